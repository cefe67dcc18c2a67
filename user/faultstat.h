/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_USER_FAULTSTAT_H
#define MEMSCOPE_USER_FAULTSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "faultstat.abi.h"
#include "cgroup.h"
#include "events.h"
#include "filenames.h"
#include "module.h"
#include "probe.h"
#include "schema.h"
#include "stack.h"

/*
 * faultstat's counting model. The kernel counts every task's faults; each
 * interval a task iterator reads them and the exit hook hands over each
 * thread's final counts. The ledger remembers each thread's (pid, start)
 * last count, so a thread's faults in an interval are its count now minus
 * then: a thread seen twice (alive, then in an exit record, or as a zombie
 * after it) is counted once, a reused pid is another thread, and a thread
 * born and gone within one interval still brings all its faults.
 */
struct fs_thread {
	__u32 pid, tgid;
	__u64 start_ns, leader_start_ns;
	__u64 min_flt, maj_flt;
	char comm[TASK_COMM_LEN];
	bool dead;		/* its final counts are in */
	unsigned char unseen;	/* intervals since last seen */
};

struct fs_ledger {
	struct fs_thread *t;	/* sorted by (pid, start_ns) */
	size_t n;
	__u64 since_ns;		/* threads started before this and new to us: baseline */
};

/* One process in one interval. */
struct faultstat_row {
	__u32 pid;
	__u64 start_ns;
	char comm[TASK_COMM_LEN];
	unsigned long long minor, major;
	unsigned long long cls[FS_NR_CLASSES];	/* --detail */
	__u64 memcg_id;		/* per_cgroup: its memory cgroup's kernfs id (cgroup.h) */
};

/* Folds this interval's records (iterator and exit records, any order;
 * sorted in place) into the ledger and returns one row per process whose
 * counts moved. *rows is malloc'ed. */
int fs_ledger__update(struct fs_ledger *l, struct fs_task *recs, size_t n,
		      struct faultstat_row **rows, size_t *nrows);
void fs_ledger__free(struct fs_ledger *l);
/* Orders rows by (pid, start_ns): qsort and bsearch. */
int fs_ledger__cmp_row(const void *a, const void *b);

enum faultstat_event {
	FAULTSTAT_EXIT,
	FAULTSTAT_NR_EVENTS,
};
extern const struct probe_event faultstat__events[FAULTSTAT_NR_EVENTS];

/* Programs user/faultstat.c attaches itself (not probe candidates). */
extern const char *const faultstat__direct_progs[];

struct faultstat_opts {
	struct module_opts m;		/* tgid: 0 for every process */
	struct cgroup_filter cgroup;	/* -c */
	bool detail;			/* the major-fault perf event */
	bool files, stacks;		/* imply detail */
	bool per_cgroup;		/* rows carry memcg_id (the exporter) */
	unsigned int max_procs, max_files, max_stacks;	/* 0: defaults */
};

/* faultstat's BPF object and counting model, opened with a struct
 * faultstat_opts; the state is a struct faultstat. Attaching takes the
 * baseline: counts so far are not the run's. */
extern const struct module_ops faultstat__module;

struct faultstat_bpf;
struct path_cache;

struct faultstat {
	struct faultstat_bpf *skel;
	struct probe_set probes;
	struct events ev;
	struct bpf_link *iter;
	struct bpf_link **perf_links;
	int n_perf;
	bool detail;
	struct fs_ledger ledger;
	struct fs_task *recs;		/* this interval's records */
	size_t n_recs, cap_recs;
	int rec_err;
	struct stacks *stacks;		/* --stacks: the frames' resolver */
	struct path_cache *paths;	/* --files: the files' names */
};

/* Faults per process since the previous call (or the attach). */
int faultstat__sample(struct faultstat *fs, struct faultstat_row **rows, size_t *n);
/* The sum of n rows' counts (pid and comm empty). */
void faultstat__sum(const struct faultstat_row *rows, size_t n, struct faultstat_row *total);

struct faultstat_file_row {
	__u64 dev, ino;
	__u32 pid, generation;
	bool shared;
	unsigned long long major;
	struct file_names names;	/* filled by faultstat__file_rec */
};
/* --files: major faults per file since the previous call. */
int faultstat__drain_files(struct faultstat *fs, struct faultstat_file_row **rows, size_t *n);

struct faultstat_stack_row {
	__u32 pid;
	char comm[TASK_COMM_LEN];
	unsigned long long count;
	struct stack_view user, kernel;	/* resolved (stack.h) */
	struct frame *frames;		/* both views' frames, owned */
};
/* --stacks: major faults per stack since the previous call, with their
 * frames resolved, most faults first. Free with faultstat__free_stacks. */
int faultstat__drain_stacks(struct faultstat *fs, struct faultstat_stack_row **rows, size_t *n);
void faultstat__free_stacks(struct faultstat_stack_row *rows, size_t n);

/* Entries not created because a table was full, since attach. */
int faultstat__full(struct faultstat *fs, unsigned long long out[FS_NR_FULL]);
/* Exit records lost (ring buffer full) since attach. */
long long faultstat__lost_exits(struct faultstat *fs);

/*
 * The records of its outputs (user/faultstat_rec.c): each field described
 * once, in these schemas. A row without --detail has no MAJ_FILE and
 * MAJ_SWAP ("-", null) and no major_unknown key.
 */
struct path_cache;

enum { FSR_PID, FSR_COMM, FSR_MINOR, FSR_MAJOR, FSR_MAJ_FILE, FSR_MAJ_SWAP, FSR_MAJ_UNKNOWN,
       FSR_NF };
enum { FSF_MAJOR, FSF_OWNER, FSF_FILE, FSF_PID, FSF_SHARED, FSF_NF };
enum { FSS_PID, FSS_COMM, FSS_MAJOR, FSS_USER, FSS_KERNEL, FSS_NF };
enum { FSL_EXITS, FSL_PROCS, FSL_FILES, FSL_STACKS, FSL_UNSAVED_STACKS, FSL_NF };
enum { FSO_TIME, FSO_ROWS, FSO_TOTAL, FSO_FILES, FSO_STACKS, FSO_LOST, FSO_NF };
extern const struct schema faultstat__row_schema, faultstat__file_schema,
	faultstat__stack_schema, faultstat__lost_schema, faultstat__title_schema,
	faultstat__report_schema;

/* A process's row; pid 0 and comm "": the total (no pid, comm keys). */
void faultstat__row_rec(struct rec *r, const struct faultstat_row *row, bool detail);
/* The title line's figures: the total's minor and major faults. */
void faultstat__title_rec(struct rec *r, const struct faultstat_row *total);
/* paths NULL: "major:minor:inode" */
void faultstat__file_rec(struct rec *r, struct faultstat_file_row *row, struct path_cache *paths);
void faultstat__stack_rec(struct rec *r, const struct faultstat_stack_row *row);
/* lost_exits < 0 (unknown): absent */
void faultstat__lost_rec(struct rec *r, const unsigned long long full[FS_NR_FULL],
			 long long lost_exits);
/* A stack as text: kernel frames, "--", user frames, then "comm (pid): N
 * major faults" and a blank line. */
void faultstat__print_stack(FILE *f, const struct faultstat_stack_row *row);
/* A stack as a folded line (flamegraph.pl): comm, user frames, kernel
 * frames with "_[k]", outermost first, and the count. */
void faultstat__print_folded(FILE *f, const struct faultstat_stack_row *row);

#endif
