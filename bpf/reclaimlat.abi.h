/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Contract of bpf/reclaimlat.bpf.c: reclaim stalls per class, per process,
 * and as events. Times are nanoseconds; pages are 4 KiB pages.
 */
#ifndef MEMSCOPE_RECLAIMLAT_ABI_H
#define MEMSCOPE_RECLAIMLAT_ABI_H

#include "common.h"

#define RL_HIST_SLOTS 64

enum rl_class {
	RL_DIRECT,	/* global direct reclaim in an allocating task */
	RL_MEMCG,	/* memory cgroup limit reclaim (and v1 soft-limit reclaim) */
	RL_KSWAPD,	/* a kswapd active period, first wake to sleep */
	RL_SLAB,	/* one shrinker call (nested in the classes above) */
	RL_COMPACT,	/* direct compaction of one zone in an allocating task */
	RL_NR_CLASSES,
};

/* In-flight slots; soft-limit reclaim nests in direct reclaim and kswapd,
 * so it needs its own slot, though it is counted as memcg. */
#define RL_SLOT_SOFTLIMIT RL_NR_CLASSES

struct rl_stats {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 pages;
	__u64 at_least_min;		/* stalls of at least targ_min_ns */
	__u64 hist[RL_HIST_SLOTS];	/* log2 of microseconds, or of ms with -m */
};

struct rl_proc_key {
	__u32 tgid;
	__u32 class;
};

struct rl_proc {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 pages;
	char comm[TASK_COMM_LEN];
};

struct rl_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC at the end of the stall */
	__u64 lat_ns;
	__u64 pages;		/* RL_NO_PAGES when the class has none */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 class;
	__s32 nid;		/* kswapd: its node; else -1 */
	char comm[TASK_COMM_LEN];
};

#define RL_NO_PAGES (~0ULL)

/* The exporter's per-cgroup table (targ_cgroups), drained each collection:
 * the stalls of tasks in a memory cgroup (kernfs id, bpf/cgroup.bpf.h), by
 * class; kswapd periods are no task's and are not in it. */
#define RL_CG_SLOTS 32		/* up to 2^31 us (35 min): the exporter's buckets end at 16.8 s */

struct rl_cg_key {
	__u64 memcg_id;
	__u32 class;
	__u32 pad;
};

struct rl_cg {
	__u64 count;
	__u64 total_ns;
	__u64 pages;
	__u64 hist[RL_CG_SLOTS];	/* log2 of microseconds, as rl_stats; the last: more */
};

#define RL_DEFAULT_MAX_CGROUPS 4096	/* (cgroup, class) entries */

/* Entries that could not be made. */
enum rl_full {
	RL_FULL_PROCS,
	RL_NR_FULL,
};

#define RL_DEFAULT_MAX_PROCS 4096
#define RL_INFLIGHT_ENTRIES 16384
#define RL_RINGBUF_BYTES (256 * 1024)

#endif
