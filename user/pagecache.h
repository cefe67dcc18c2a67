/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_USER_PAGECACHE_H
#define MEMSCOPE_USER_PAGECACHE_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "pagecache.abi.h"
#include "probe.h"

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
	double hit_ratio;	/* percent; NaN when nothing was accessed */
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

struct pagecache {
	struct pagecache_bpf *skel;
	struct probe_set probes;
	struct pagecache_owed_table owed[2];	/* processes, files */
};

struct pagecache_opts {
	pid_t tgid;		/* 0: every process */
	bool per_process;	/* fill the per-process table (cachetop) */
	bool per_file;		/* fill the per-file table (cachetop -f) */
	unsigned int max_procs;	/* table sizes; 0: PC_DEFAULT_MAX_* */
	unsigned int max_files;
	bool all_probes;	/* evaluate every candidate (for --probes) */
	const int *forced;	/* per event: candidate index or -1; NULL: none */
	unsigned int skip_kinds;	/* hook kinds never to use (--skip-hooks) */
};

struct cli_common;

/* What every page-cache tool does at start: opens with the common options
 * (-p, --probes, --skip-hooks) applied to `o`; with --probes prints the
 * hooks and closes (returns 1); else installs the signal handlers, loads and
 * attaches (returns 0). Errors are logged and returned (< 0). */
int pagecache__start(struct pagecache *pc, struct pagecache_opts *o,
		     const struct cli_common *c, pid_t pid);

/* Opens the object and picks hooks; on -ENOENT the missing hook was logged. */
int pagecache__open(struct pagecache *pc, const struct pagecache_opts *o);
/* Loads and attaches; errors are logged with their cause. */
int pagecache__attach(struct pagecache *pc);
/* Totals since attach, summed over CPUs. */
int pagecache__read(struct pagecache *pc, struct pc_stats *out);
void pagecache__close(struct pagecache *pc);

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
};

/* Reads and empties the per-process (files = false) or per-file table:
 * what was counted since the previous call, each row's hits net of the
 * misses it owed from earlier calls. *rows is malloc'ed. */
int pagecache__drain(struct pagecache *pc, bool files, struct pagecache_row **rows, size_t *n);
/* Entries that could not be created because a table was full, since attach. */
int pagecache__full(struct pagecache *pc, unsigned long long out[PC_NR_FULL]);

#endif
