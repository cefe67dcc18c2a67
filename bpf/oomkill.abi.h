/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Contract of bpf/oomkill.bpf.c: one record per OOM victim, read in the
 * kernel at oom:mark_victim (the victim is gone a moment later). Pages are
 * 4 KiB pages.
 */
#ifndef MEMSCOPE_OOMKILL_ABI_H
#define MEMSCOPE_OOMKILL_ABI_H

#include "common.h"

/* What the hook could read: absent fields are shown as absent, never 0. */
enum oom_have {
	OOM_HAVE_TASK = 1 << 0,		/* the victim's task: comm, uid, adj, cgroup */
	OOM_HAVE_MM = 1 << 1,		/* its mm: total_vm, rss split, swap, pgtables */
	OOM_HAVE_MEMCG = 1 << 2,	/* its memory cgroup's counters */
	OOM_HAVE_SWAP = 1 << 3,		/* memcg swap (v2) or memsw (v1) counter */
	/* struct oom_control, read at oom_kill_process() (fentry, kprobe):
	 * constraint, points, totalpages, order, gfp_mask, memcg are the kernel's */
	OOM_HAVE_OC = 1 << 4,
	/* order and gfp_mask of the trigger's last direct reclaim
	 * (mm_vmscan_direct_reclaim_begin), without oom_control */
	OOM_HAVE_ALLOC_TP = 1 << 5,
};

enum ok_constraint {
	OOM_CONSTRAINT_UNKNOWN,
	OOM_CONSTRAINT_NONE,		/* system-wide */
	OOM_CONSTRAINT_MEMCG,
	OOM_CONSTRAINT_CPUSET,
	OOM_CONSTRAINT_MEMPOLICY,
};

/* What oom_kill_process() was given, per trigger thread, until mark_victim. */
struct oom_decision {
	__u64 chosen;			/* oc->chosen, a task_struct pointer */
	__s64 points;			/* oc->chosen_points */
	__u64 totalpages;
	__u64 memcg;			/* oc->memcg, a mem_cgroup pointer; 0: none */
	__u32 gfp_mask;
	__s32 order;
	__u32 constraint;		/* enum ok_constraint */
	__u32 chosen_pid;		/* its pid, what the pid-only tracepoint has */
};

/* The trigger thread's last direct reclaim: its allocation's order and mask. */
struct oom_alloc {
	__u64 ts_ns;
	__u32 gfp_mask;
	__s32 order;
};
#define OOM_ALLOC_MAX_AGE_NS (10ULL * 1000000000)	/* older: not this OOM's */
#define OOM_TRACK_ENTRIES 1024

#define OOM_MAX_DEPTH 8		/* memcg ancestors searched for the limit hit */

struct oom_event {
	__u64 ts_ns;			/* CLOCK_MONOTONIC */
	__u32 trigger_pid;		/* tgid of the task that ran out_of_memory() */
	__u32 trigger_tid;
	__u32 victim_pid;		/* tgid */
	__u32 victim_tid;
	__u32 uid;
	__s32 oom_score_adj;
	__u32 have;			/* enum oom_have */
	__u32 constraint;		/* enum ok_constraint */
	__u64 total_vm;			/* pages */
	__u64 anon_rss;
	__u64 file_rss;
	__u64 shmem_rss;
	__u64 swap_ents;
	__u64 pgtables_bytes;
	__u64 victim_cgid;		/* the victim's own memory cgroup (kernfs id) */
	__u64 trigger_cgid;
	__u64 oom_cgid;			/* the memcg whose limit was hit; 0: none */
	__u64 memcg_usage;		/* pages, of oom_cgid (else the victim's memcg) */
	__u64 memcg_max;
	__u64 memcg_swap;		/* swap (v2) or memsw (v1) usage, pages */
	__u64 memcg_swap_max;		/* swap.max (v2) or memsw.max (v1), pages */
	__s64 points;			/* OOM_HAVE_OC: oc->chosen_points */
	__u64 totalpages;		/* OOM_HAVE_OC: oc->totalpages */
	__u32 gfp_mask;			/* OOM_HAVE_OC or OOM_HAVE_ALLOC_TP */
	__s32 order;
	char comm[TASK_COMM_LEN];
	char trigger_comm[TASK_COMM_LEN];
};

#define OOM_RINGBUF_BYTES (64 * 1024)

#endif
