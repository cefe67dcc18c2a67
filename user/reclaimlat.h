/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_USER_RECLAIMLAT_H
#define MEMSCOPE_USER_RECLAIMLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include "reclaimlat.abi.h"
#include "events.h"
#include "memstat.h"
#include "module.h"
#include "probe.h"
#include "schema.h"

/*
 * The reclaim-stall counter behind reclaimlat: one BPF object
 * (bpf/reclaimlat.bpf.c), per-class statistics drained each interval,
 * a per-process table and an event ring buffer; a snapshot adds the
 * memory state of /proc (memstat.h) that a report shows beside them.
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
	bool ms;			/* histograms in milliseconds */
	long long mono_to_real_ns;	/* event timestamps to wall clock */
	/* where the interval of the next snapshot begins (set at attach) */
	struct timespec prev_mono;
	struct vmstat_snap prev_vm;
	bool have_prev_vm;
	unsigned long long full_seen;	/* process rows lost, already reported */
};

struct reclaimlat_opts {
	struct module_opts common;	/* tgid: 0, every process */
	__u64 cgroup_id;	/* -c: bpf/cgroup.bpf.h's tunables */
	int cgroup_mode;
	bool ms;		/* histograms in milliseconds */
	bool procs;		/* fill the per-process table */
	bool events;		/* send one event per stall */
	__u64 min_ns;		/* events: only stalls at least this long */
	bool cgroups;		/* fill the per-memory-cgroup table (the exporter) */
};

/* The data source as a module (module.h): open, attach, close below. */
extern const struct module_ops reclaimlat__module;

int reclaimlat__open(struct reclaimlat *rl, const struct reclaimlat_opts *o);
/* Loads and attaches; errors are logged with their cause. The first
 * snapshot's interval begins here. */
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
/* cgroups: reads and empties the per-cgroup table (struct rl_cg_key and
 * struct rl_cg in step, malloc'ed): the stalls since the previous call. */
int reclaimlat__drain_cgroups(struct reclaimlat *rl, struct rl_cg_key **keys, struct rl_cg **vals,
			      size_t *n);
/* Stalls the per-cgroup table could not count (it was full), since attach. */
int reclaimlat__cgroups_full(struct reclaimlat *rl, unsigned long long *out);
/* Rows that could not be created because the table was full, since attach. */
int reclaimlat__full(struct reclaimlat *rl, unsigned long long *procs);

/* Adds b into a (max: the larger). */
void reclaimlat__merge(struct rl_stats *a, const struct rl_stats *b);
/* Sort order for rows: total time, then stalls, then pid. */
int reclaimlat__cmp_rows(const void *a, const void *b);

#define RL_TOP_ROWS 10
#define RL_MAX_ZONES 32

/* Everything one summary report shows: the interval's stalls, the top
 * stallers, and the system's memory state from /proc. */
struct reclaimlat_snap {
	struct timespec time;		/* wall clock */
	double interval_s;
	bool ms;			/* histograms in milliseconds */
	bool has_class[RL_NR_CLASSES];	/* the kernel has the class's hooks */
	bool has_pages[RL_NR_CLASSES];	/* the class reclaims pages, counted here */
	struct rl_stats st[RL_NR_CLASSES];
	struct reclaimlat_row *rows;	/* largest total first; malloc'ed */
	size_t nrows;
	unsigned long long lost_procs;	/* rows lost (table full) in the interval */
	bool have_vm;			/* /proc/vmstat was read, now and before */
	struct vmstat_snap vm;		/* its counters' growth over the interval */
	struct zone_wm zones[RL_MAX_ZONES];
	int nz;
	bool have_psi;
	struct psi psi;
};

/* Takes the interval that ended at `now` (wall clock): drains the counters
 * and reads /proc; the next interval begins. Logs and returns -errno if a
 * map cannot be read. */
int reclaimlat__snapshot(struct reclaimlat *rl, const struct timespec *now,
			 struct reclaimlat_snap *s);
void reclaimlat__snap_free(struct reclaimlat_snap *s);

/* Event mode's end: logs the events the ring buffer dropped, and every
 * stall the run timed, with those of at least min_ms ms ("reclaimlat: N
 * stalls traced, M of at least D ms"): the lines a complete output has. */
void reclaimlat__end_events(struct reclaimlat *rl, unsigned long min_ms);

/*
 * The records of reclaimlat's outputs (schema.h). A summary report:
 * time, interval_s, classes (an object by class name, each null where the
 * kernel lacks the class's hooks), top, swap, allocstalls, zones, psi,
 * lost; as text, the class table (one row a class), the swap and PSI
 * line, the zone table, a histogram per class with stalls and, with
 * procs, the top stallers. An event: one line or JSON object per stall.
 */
enum rl_report_field {
	RLR_TIME, RLR_INTERVAL, RLR_CLASSES, RLR_CLASS_ROWS, RLR_TOP, RLR_SWAP,
	RLR_ALLOCSTALLS, RLR_ZONES, RLR_PSI, RLR_LOST, RLR_NF
};
enum rl_class_field {
	RLC_CLASS, RLC_STALLS, RLC_TOTAL, RLC_MAX, RLC_PAGES, RLC_HIST, RLC_NF
};
enum rl_top_field {
	RLT_PID, RLT_COMM, RLT_CLASS, RLT_STALLS, RLT_TOTAL, RLT_MAX, RLT_PAGES, RLT_NF
};
enum rl_swap_field { RLS_IN_PPS, RLS_OUT_PPS, RLS_IN_PAGES, RLS_OUT_PAGES, RLS_NF };
enum rl_lost_field { RLL_EVENTS, RLL_PROCS, RLL_NF };
enum rl_event_field {
	RLE_TIME, RLE_COMM, RLE_PID, RLE_TID, RLE_CLASS, RLE_LAT, RLE_PAGES, RLE_NID, RLE_NF
};
enum rl_lost_line_field { RLD_TIME, RLD_LOST, RLD_NF };
extern const struct schema reclaimlat__report_schema, reclaimlat__event_schema,
	reclaimlat__lost_line_schema;

/* A summary report's records; they point into the snapshot. */
struct reclaimlat_report {
	struct rec rec;		/* of reclaimlat__report_schema */
	struct rec classes, cls[RL_NR_CLASSES], top[RL_TOP_ROWS], swap, zones[RL_MAX_ZONES],
		psi, lost;
	struct hist_view hist[RL_NR_CLASSES];
};
void reclaimlat__report(struct reclaimlat_report *r, const struct reclaimlat_snap *s);
/* The text report: with -T (timestamp) its time above it; the top
 * stallers with -P (procs). */
void reclaimlat__print_report(FILE *out, const struct reclaimlat_report *r, bool timestamp,
			      bool procs);

/* The record of one struct rl_event of `size` bytes from the ring buffer
 * (-EINVAL if short); comm is its storage. Its ts_ns is CLOCK_MONOTONIC. */
int reclaimlat__event_rec(struct rec *r, char comm[TASK_COMM_LEN + 1], const void *data,
			  size_t size, long long mono_to_real_ns, bool kswapd_pages);
/* Event mode's line for events the ring buffer dropped (JSON: lost.events). */
void reclaimlat__lost_rec(struct rec *r, struct rec *lost, const struct timespec *now,
			  unsigned long long events);
/* What the text output begins with: the banner of summary mode, or the
 * column headers of event mode. */
void reclaimlat__print_begin(FILE *out, bool events);
/* The lost-events line as text: "# N events dropped: the ring buffer was full". */
void reclaimlat__print_lost(FILE *out, const struct rec *line);

#endif
