/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Contract of bpf/pagecache.bpf.c, the one page-cache counter behind cachestat
 * and cachetop. The kernel side counts raw page events; user/pagecache.c turns
 * them into hits, misses and dirties, so there is one formula.
 */
#ifndef MEMSCOPE_PAGECACHE_ABI_H
#define MEMSCOPE_PAGECACHE_ABI_H

#include "common.h"

enum pc_stat {
	PC_READ_PAGES,		/* pages asked for by read/pread/readv/sendfile/splice */
	PC_FAULT_PAGES,		/* file pages mapped by page faults (fault + fault-around) */
	PC_ADDED,		/* pages inserted into the page cache */
	PC_ADDED_BY_WRITE,	/* of those, pages a write created (then dirtied) */
	PC_DIRTIED,		/* pages that went from clean to dirty */
	PC_NR_STATS,
};

struct pc_stats {
	__u64 v[PC_NR_STATS];
};

/* cachetop: per-process and per-file tables, drained by user space each
 * interval (so a process that lived 10 ms still shows in its interval). */
struct pc_proc {
	struct pc_stats s;
	__u32 uid;
	__u32 pad;
	char comm[TASK_COMM_LEN];	/* the process's (thread group leader's) name */
};

struct pc_file_key {
	__u64 dev;			/* the kernel's dev_t of the inode's superblock */
	__u64 ino;
};

struct pc_file {
	struct pc_stats s;
	__u32 tgid;			/* the first process that touched it in the interval */
	__u32 shared;			/* 1 when other processes touched it too */
	__u32 generation;		/* inode->i_generation: with ino, a file handle */
	__u32 pad;
	char comm[TASK_COMM_LEN];
};

/* Table entries that could not be created because the table was full. */
enum pc_full {
	PC_FULL_PROCS,
	PC_FULL_FILES,
	PC_NR_FULL,
};

/* The exporter's per-cgroup table: totals since attach (never drained) per
 * memory cgroup, keyed by its kernfs id (bpf/cgroup.bpf.h); what a full
 * table could not count is in `cgroups_full`. */
#define PC_DEFAULT_MAX_CGROUPS 4096

#define PC_DEFAULT_MAX_PROCS 8192
#define PC_DEFAULT_MAX_FILES 8192

#endif
