/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_USER_PAGECACHE_H
#define MEMSCOPE_USER_PAGECACHE_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "pagecache.abi.h"
#include "filenames.h"
#include "module.h"
#include "probe.h"
#include "schema.h"

/*
 * The page-cache counting model shared by cachestat and cachetop: one BPF
 * object (bpf/pagecache.bpf.c), one formula (pagecache__derive).
 *
 *   accesses = pages asked for by reads + file pages mapped by faults
 *   misses   = pages inserted into the page cache - pages created by writes
 *   hits     = accesses - misses; misses an interval's accesses do not cover
 *              (readahead ahead of the reader) are owed by the next intervals' hits
 *   dirties  = pages that went from clean to dirty
 *   ratio    = hits / (hits + misses), percent
 */
struct pagecache_counts {
	unsigned long long accesses, hits, misses, dirties;
	double hit_pct;		/* NaN when nothing was accessed */
};

/* `owed` (may be NULL: one interval on its own) carries misses not yet
 * covered by accesses from one interval to the next. */
void pagecache__derive(const struct pc_stats *delta, unsigned long long *owed,
		       struct pagecache_counts *out);

/* WRITE_HIT%: of the pages writes dirtied, the percent that were already
 * cached (not created by the write); NaN when nothing was dirtied. */
double pagecache__write_hit(const struct pc_stats *delta);
/* after - before, field by field. */
void pagecache__delta(const struct pc_stats *after, const struct pc_stats *before,
		      struct pc_stats *out);

enum pagecache_event {
	PAGECACHE_READ,
	PAGECACHE_FAULT,
	PAGECACHE_FAULT_AROUND,
	PAGECACHE_ADD,
	PAGECACHE_DIRTY,
	PAGECACHE_MAPPED,	/* optional: file pages mapped by faults (v6.2+) */
	PAGECACHE_FAULT_ADDR,	/* optional: which file a fault maps (x86) */
	PAGECACHE_EXIT,		/* optional: a task's last fault pages count at its exit */
	PAGECACHE_NR_EVENTS,
};
extern const struct probe_event pagecache__events[PAGECACHE_NR_EVENTS];

struct pagecache_bpf;
struct path_cache;

/* Misses a drained row (a process, or a file) still owes: see pagecache__derive. */
struct pagecache_owed {
	__u64 k1, k2;		/* pid and 0, or dev and ino */
	unsigned long long owed;
	unsigned int idle;	/* drains since it last had events */
};

struct pagecache_owed_table {
	struct pagecache_owed *e;
	size_t n, cap;
};

/* The module's state (module.h: pagecache__module). */
struct pagecache {
	struct pagecache_bpf *skel;
	struct probe_set probes;
	struct pagecache_owed_table owed[2];	/* processes, files */
	struct path_cache *paths;	/* per_file: the files' names */
	bool task_storage;	/* the per-task state: task storage, or an LRU hash */
};

/* The per-task state's LRU hash, where there is no task storage: threads */
#define PC_MAX_TASKS 16384

struct pagecache_opts {
	struct module_opts m;	/* tgid: 0 for every process */
	bool per_process;	/* fill the per-process table (cachetop) */
	bool per_file;		/* fill the per-file table (cachetop -f) */
	bool per_cgroup;	/* fill the per-memory-cgroup table (the exporter) */
	unsigned int max_procs;	/* table sizes; 0: PC_DEFAULT_MAX_* */
	unsigned int max_files;
	bool no_task_storage;	/* per-task state in an LRU hash, as before v5.11 */
};

/* One BPF object behind cachestat and cachetop, opened with a struct
 * pagecache_opts; the state is a struct pagecache. */
extern const struct module_ops pagecache__module;

/* Totals since attach, summed over CPUs. */
int pagecache__read(struct pagecache *pc, struct pc_stats *out);

/* One row of a drained table: a process, or a file (dev, ino). */
struct pagecache_row {
	__u32 pid, uid;
	__u64 dev, ino;		/* files: the kernel's dev_t and the inode */
	__u32 generation;	/* files: the inode's generation */
	bool shared;		/* files: more processes than `pid` touched it */
	char comm[TASK_COMM_LEN];
	struct pc_stats raw;
	struct pagecache_counts k;
	double write_hit;	/* pagecache__write_hit() */
	/* the labels its record shows (pagecache__proc_rec, __file_rec) */
	char user[32];
	struct file_names names;
};

/* Reads and empties the per-process (files = false) or per-file table:
 * what was counted since the previous call, each row's hits net of the
 * misses it owed from earlier calls. *rows is malloc'ed. */
int pagecache__drain(struct pagecache *pc, bool files, struct pagecache_row **rows, size_t *n);
/* per_cgroup: one memory cgroup's totals since attach (kernfs id, cgroup.h). */
struct pagecache_cgroup {
	__u64 id;
	struct pc_stats s;
};
/* Reads the per-cgroup table (summed over CPUs); *rows is malloc'ed. */
int pagecache__read_cgroups(struct pagecache *pc, struct pagecache_cgroup **rows, size_t *n);
/* Drops a removed cgroup's entry, once its last totals were read. */
void pagecache__forget_cgroup(struct pagecache *pc, __u64 id);
/* Events the per-cgroup table could not count (it was full), since attach. */
int pagecache__cgroups_full(struct pagecache *pc, unsigned long long *out);
/* Entries that could not be created because a table was full, since attach. */
int pagecache__full(struct pagecache *pc, unsigned long long out[PC_NR_FULL]);

/*
 * The records of its outputs (user/pagecache_rec.c): each field is
 * described once, in these schemas, and rendered by schema.h and top.h.
 */
struct meminfo;
struct path_cache;

/* cachestat: one report. pid 0: none (no "pid" key). */
enum { PCS_TIME, PCS_PID, PCS_HITS, PCS_MISSES, PCS_DIRTIES, PCS_HIT_PCT, PCS_ACCESSES,
       PCS_BUFFERS_MB, PCS_CACHED_MB, PCS_NF };
extern const struct schema pagecache__stat_schema;
void pagecache__stat_rec(struct rec *r, const struct timespec *now, pid_t pid,
			 const struct pagecache_counts *k, const struct meminfo *mi);

/* cachetop: a process's row, a file's row (paths NULL: "major:minor:inode"),
 * the title figures, the losses, and the report (time, rows, lost) of
 * each view. */
enum { PCP_PID, PCP_UID, PCP_USER, PCP_COMM, PCP_HITS, PCP_MISSES, PCP_DIRTIES,
       PCP_READ_HIT_PCT, PCP_WRITE_HIT_PCT, PCP_NF };
enum { PCF_FILE, PCF_DEV, PCF_INO, PCF_PID, PCF_SHARED, PCF_OWNER, PCF_HITS, PCF_MISSES,
       PCF_DIRTIES, PCF_READ_HIT_PCT, PCF_NF };
enum { PCR_TIME, PCR_ROWS, PCR_LOST, PCR_NF };
extern const struct schema pagecache__proc_schema, pagecache__file_schema;
extern const struct schema pagecache__procs_report, pagecache__files_report;
extern const struct schema pagecache__mem_schema, pagecache__lost_schema;
void pagecache__proc_rec(struct rec *r, struct pagecache_row *row);
void pagecache__file_rec(struct rec *r, struct pagecache_row *row, struct path_cache *paths);
void pagecache__mem_rec(struct rec *r, const struct meminfo *mi);
void pagecache__lost_rec(struct rec *r, const unsigned long long full[PC_NR_FULL]);

#endif
