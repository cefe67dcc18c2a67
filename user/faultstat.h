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
#include "probe.h"

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
};

/* Folds this interval's records (iterator and exit records, any order;
 * sorted in place) into the ledger and returns one row per process whose
 * counts moved. *rows is malloc'ed. */
int fs_ledger__update(struct fs_ledger *l, struct fs_task *recs, size_t n,
		      struct faultstat_row **rows, size_t *nrows);
void fs_ledger__free(struct fs_ledger *l);

enum faultstat_event {
	FAULTSTAT_EXIT,
	FAULTSTAT_NR_EVENTS,
};
extern const struct probe_event faultstat__events[FAULTSTAT_NR_EVENTS];

/* Programs user/faultstat.c attaches itself (not probe candidates). */
extern const char *const faultstat__direct_progs[];

struct faultstat_opts {
	pid_t tgid;			/* 0: every process */
	struct cgroup_filter cgroup;	/* -c */
	bool detail;			/* the major-fault perf event */
	bool files, stacks;		/* imply detail */
	unsigned int max_procs, max_files, max_stacks;	/* 0: defaults */
	bool all_probes;
	const int *forced;
	unsigned int skip_kinds;
};

struct faultstat_bpf;

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
};

struct cli_common;

/* As pagecache__start: opens with -p/--probes/--skip-hooks applied; with
 * --probes prints the hooks and returns 1; else loads, attaches and takes
 * the baseline (returns 0). Errors are logged and returned (< 0). */
int faultstat__start(struct faultstat *fs, struct faultstat_opts *o, const struct cli_common *c,
		     pid_t pid);
int faultstat__open(struct faultstat *fs, const struct faultstat_opts *o);
int faultstat__attach(struct faultstat *fs);
void faultstat__close(struct faultstat *fs);
/* Prints the hook table, with the iterator and the perf event (--probes). */
void faultstat__print_probes(const struct faultstat *fs, FILE *f);

/* Faults per process since the previous call (or the attach). */
int faultstat__sample(struct faultstat *fs, struct faultstat_row **rows, size_t *n);

struct faultstat_file_row {
	__u64 dev, ino;
	__u32 pid, generation;
	bool shared;
	unsigned long long major;
};
/* --files: major faults per file since the previous call. */
int faultstat__drain_files(struct faultstat *fs, struct faultstat_file_row **rows, size_t *n);

struct faultstat_stack_row {
	__u32 pid;
	char comm[TASK_COMM_LEN];
	unsigned long long count;
	int n_user, n_kernel;
	__u64 user[FS_MAX_STACK_DEPTH];
	__u64 kernel[FS_MAX_STACK_DEPTH];
};
/* --stacks: major faults per stack since the previous call. */
int faultstat__drain_stacks(struct faultstat *fs, struct faultstat_stack_row **rows, size_t *n);

/* Entries not created because a table was full, since attach. */
int faultstat__full(struct faultstat *fs, unsigned long long out[FS_NR_FULL]);
/* Exit records lost (ring buffer full) since attach. */
long long faultstat__lost_exits(struct faultstat *fs);

#endif
