/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_USER_RECLAIMLAT_H
#define MEMSCOPE_USER_RECLAIMLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "reclaimlat.abi.h"
#include "events.h"
#include "probe.h"

/*
 * The reclaim-stall counter behind reclaimlat: one BPF object
 * (bpf/reclaimlat.bpf.c), per-class statistics drained each interval,
 * a per-process table and an event ring buffer.
 */
enum reclaimlat_event {
	RECLAIMLAT_DIRECT_BEGIN,
	RECLAIMLAT_DIRECT_END,
	RECLAIMLAT_MEMCG_BEGIN,
	RECLAIMLAT_MEMCG_END,
	RECLAIMLAT_SOFT_BEGIN,
	RECLAIMLAT_SOFT_END,
	RECLAIMLAT_KSWAPD_WAKE,
	RECLAIMLAT_KSWAPD_SLEEP,
	RECLAIMLAT_KSWAPD_PAGES,
	RECLAIMLAT_SLAB_BEGIN,
	RECLAIMLAT_SLAB_END,
	RECLAIMLAT_COMPACT_BEGIN,
	RECLAIMLAT_COMPACT_END,
	RECLAIMLAT_NR_EVENTS,
};
extern const struct probe_event reclaimlat__events[RECLAIMLAT_NR_EVENTS];

/* "direct", "memcg", "kswapd", "slab", "compact" */
extern const char *const reclaimlat__class_names[RL_NR_CLASSES];

struct reclaimlat_bpf;

struct reclaimlat {
	struct reclaimlat_bpf *skel;
	struct probe_set probes;
	struct events ev;
	bool events_open;
};

struct reclaimlat_opts {
	pid_t tgid;		/* 0: every process */
	__u64 cgroup_id;	/* -c: bpf/cgroup.bpf.h's tunables */
	int cgroup_mode;
	bool ms;		/* histograms in milliseconds */
	bool procs;		/* fill the per-process table */
	bool events;		/* send one event per stall */
	__u64 min_ns;		/* events: only stalls at least this long */
	bool all_probes;	/* evaluate every candidate (for --probes) */
	const int *forced;	/* per event: candidate index or -1; NULL: none */
	unsigned int skip_kinds;
};

int reclaimlat__open(struct reclaimlat *rl, const struct reclaimlat_opts *o);
/* Loads and attaches; errors are logged with their cause. */
int reclaimlat__attach(struct reclaimlat *rl);
/* Opens the ring buffer, calling fn per struct rl_event. */
int reclaimlat__open_events(struct reclaimlat *rl, ring_buffer_sample_fn fn, void *ctx);
void reclaimlat__close(struct reclaimlat *rl);

/* Whether a class's events have hooks here (slab and compaction are
 * optional), and whether kswapd periods carry their pages. */
bool reclaimlat__has_class(const struct reclaimlat *rl, int class);
bool reclaimlat__kswapd_pages(const struct reclaimlat *rl);

/* What was counted since the previous call, per class (summed over CPUs,
 * max taken over CPUs). */
int reclaimlat__drain(struct reclaimlat *rl, struct rl_stats out[RL_NR_CLASSES]);

struct reclaimlat_row {
	__u32 pid, class;
	char comm[TASK_COMM_LEN];
	__u64 count, total_ns, max_ns, pages;
};

/* Reads and empties the per-process table, sorted by total time, largest
 * first; *rows is malloc'ed. */
int reclaimlat__drain_procs(struct reclaimlat *rl, struct reclaimlat_row **rows, size_t *n);
/* Rows that could not be created because the table was full, since attach. */
int reclaimlat__full(struct reclaimlat *rl, unsigned long long *procs);

/* Adds b into a (max: the larger). */
void reclaimlat__merge(struct rl_stats *a, const struct rl_stats *b);
/* Sort order for rows: total time, then stalls, then pid. */
int reclaimlat__cmp_rows(const void *a, const void *b);

#endif
