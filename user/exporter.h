/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_EXPORTER_H
#define MEMSCOPE_EXPORTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "faultstat.h"
#include "memstat.h"
#include "module.h"
#include "oomkill.h"
#include "openmetrics.h"
#include "pagecache.h"
#include "reclaimlat.h"
#include "slab.h"

/*
 * memscope-exporter's collection: each source is a module (module.h) or a
 * /proc reader with one table of metric families (a schema of fields,
 * openmetrics.h) and two functions: collect folds what the kernel counted
 * since the previous call into monotonic totals (the kernel's counters are
 * read, never reset by a scrape), render writes the totals. A scrape
 * renders the latest snapshot, copied under the lock, so a slow client
 * never holds up collection. A source added later is one more entry.
 */
#define EXP_HIST_BUCKETS 13	/* le = 4^i microseconds, i = 0..12 (1 us .. 16.8 s) */

/* OOM kills: at most EXP_OOM_CGROUPS cgroup label values, in the order of
 * their first kill; the kills of later cgroups go to cgroup="other". A
 * series once shown stays, so the label set only grows, to at most
 * (EXP_OOM_CGROUPS + 1) x 5 constraints. */
#define EXP_OOM_CGROUPS 32
enum exp_oom_constraint {
	EXP_OOM_MEMCG,
	EXP_OOM_NONE,
	EXP_OOM_CPUSET,
	EXP_OOM_MEMPOLICY,
	EXP_OOM_UNKNOWN,
	EXP_OOM_NR
};

/* Slab caches: at most top_caches (--top-caches, default EXP_SLAB_TOP, at most
 * EXP_SLAB_MAX) get their own cache label, the busiest (bytes allocated and
 * freed) of each collection first while slots remain; the rest are summed
 * in cache="other". A cache keeps its slot, so no counter goes back. */
#define EXP_SLAB_TOP 20
#define EXP_SLAB_MAX 256

/*
 * Per-cgroup series (--top, --cgroup-depth): the page-cache, fault and
 * reclaim-stall figures of each memory cgroup, folded into its ancestor at
 * --cgroup-depth (the label: its path below the hierarchy root, "/" the
 * root). Each collection, the top cgroups by activity in its window (page-
 * cache accesses + dirties + faults + reclaim stalls) hold the top slots,
 * a slot kept while no busier cgroup needs it; what every other cgroup did
 * in that window goes to cgroup="other". A cgroup's own counters grow only
 * while it holds a slot, and "other" only by what the others did, so no
 * counter ever goes back and, per window, the named series plus "other"
 * are every task's total. A cgroup that loses its slot is not exported
 * (Prometheus marks it stale); its totals are kept and go on from there if
 * it wins a slot again. Series per scrape: at most EXP_CG_SERIES x (top + 1).
 */
#define EXP_CG_TOP 20		/* --top default */
#define EXP_CG_MAX 100		/* --top at most */
#define EXP_CG_DEPTH 3		/* --cgroup-depth default */
#define EXP_CG_LABELS 4096	/* label values remembered; past it: "other" */
/* per label value: 4 page cache + 2 faults + 3 major by origin + 4 stall
 * classes x (13 buckets + +Inf + _sum + _count) + 2 reclaimed */
#define EXP_CG_SERIES 75

struct exp_cg_counts {
	unsigned long long pc_accesses, pc_hits, pc_misses, pc_dirties;
	unsigned long long minor, major, cls[FS_NR_CLASSES];
	unsigned long long rl_count[RL_NR_CLASSES], rl_pages[RL_NR_CLASSES];
	double rl_sum_s[RL_NR_CLASSES];
	unsigned long long rl_cum[RL_NR_CLASSES][EXP_HIST_BUCKETS];
};

enum exp_cg_full { EXP_CGF_PAGECACHE, EXP_CGF_RECLAIMLAT, EXP_CGF_LABELS, EXP_CGF_NR };

struct exp_snap {
	/* pagecache */
	unsigned long long pc_accesses, pc_hits, pc_misses, pc_dirties;
	unsigned long long pc_full[PC_NR_FULL];
	/* faultstat */
	unsigned long long fs_minor, fs_major;
	bool fs_detail;			/* major faults by origin (bpf_find_vma, 5.17+) */
	unsigned long long fs_cls[FS_NR_CLASSES];
	unsigned long long fs_full[FS_NR_FULL];
	long long fs_lost_exits;	/* < 0: unknown */
	/* oomkill: kills by victim cgroup (slot EXP_OOM_CGROUPS: "other") */
	char ok_cg[EXP_OOM_CGROUPS][256];
	int ok_ncg;
	/* a series shows from its first kill */
	unsigned long long ok_kills[EXP_OOM_CGROUPS + 1][EXP_OOM_NR];
	long long ok_lost;		/* < 0: unknown */
	/* slab: slot EXP_SLAB_MAX is "other" */
	char sl_name[EXP_SLAB_MAX][SLAB_NAME_LEN + 16];
	int sl_n;
	unsigned long long sl_alloc[EXP_SLAB_MAX + 1], sl_free[EXP_SLAB_MAX + 1];
	bool sl_have_bytes;		/* /proc/slabinfo was readable */
	bool sl_has[EXP_SLAB_MAX + 1];	/* found in /proc/slabinfo */
	unsigned long long sl_bytes[EXP_SLAB_MAX + 1];
	unsigned long long sl_full[SLAB_NR_FULL];
	/* reclaimlat, per class */
	bool rl_has[RL_NR_CLASSES], rl_has_pages[RL_NR_CLASSES];
	unsigned long long rl_count[RL_NR_CLASSES], rl_pages[RL_NR_CLASSES];
	double rl_sum_s[RL_NR_CLASSES];
	unsigned long long rl_cum[RL_NR_CLASSES][EXP_HIST_BUCKETS];
	unsigned long long rl_full_procs;
	/* per cgroup: the top slots (sorted by path), slot EXP_CG_MAX "other" */
	bool cg_on;
	int cg_n;
	char cg_path[EXP_CG_MAX][256];
	struct exp_cg_counts cg[EXP_CG_MAX + 1];
	unsigned long long cg_full[EXP_CGF_NR];
	/* /proc */
	bool have_vm, have_psi;
	struct vmstat_snap vm;
	struct psi psi;
	struct zone_wm zones[RL_MAX_ZONES];
	int nz;
	/* self */
	unsigned long long collections;
	double collect_s;		/* the last collection's duration */
	bool bpf_stats;			/* kernel.bpf_stats_enabled */
#define EXP_MAX_PROGS 48
	struct {
		char name[24];
		char module[16];
		unsigned long long run_cnt, run_time_ns;
	} progs[EXP_MAX_PROGS];
	int nprogs;
};

enum exp_source_id {
	EXP_PAGECACHE, EXP_FAULTSTAT, EXP_RECLAIMLAT, EXP_OOMKILL, EXP_SLAB, EXP_NR_SOURCES
};

struct exporter {
	bool enabled[EXP_NR_SOURCES];
	bool optional[EXP_NR_SOURCES];	/* default, not asked for: may fail to start */
	int top_caches;			/* slab caches with their own label */
	int top_cgroups;		/* --top: 0, no per-cgroup series */
	int cgroup_depth;		/* --cgroup-depth */
	struct exp_cgroups *cgs;	/* collection's per-cgroup table */
	struct module mod[EXP_NR_SOURCES];
	unsigned long long pc_owed;
	struct pc_stats pc_prev;
	pthread_mutex_t lock;
	struct exp_snap cur;		/* written by collection only */
	struct exp_snap pub;		/* what scrapes render; under lock */
	/* self metrics that scrapes update; under lock */
	unsigned long long scrapes, not_found;
	double scrape_s_sum, last_scrape_s;
};

/* "pagecache", "faultstat", "reclaimlat", "oomkill", "slab" */
extern const char *const exporter__source_names[EXP_NR_SOURCES];
/* Source index of a name, or -1. */
int exporter__find(const char *name);

/* Opens and attaches the enabled sources, never using the hook kinds in
 * skip_kinds (1 << enum probe_kind); logs and returns -errno. */
int exporter__start(struct exporter *e, unsigned int skip_kinds);
/* --probes: each enabled source's hook choice, nothing attached; 0 or -errno. */
int exporter__print_probes(struct exporter *e, unsigned int skip_kinds, FILE *f);
/* One collection: reads every source, publishes the snapshot. */
int exporter__collect(struct exporter *e);
/* A scrape: renders the published snapshot (thread-safe). */
void exporter__render(struct exporter *e, FILE *f, enum om_format fmt);
/* Records a scrape's duration (thread-safe). */
void exporter__scraped(struct exporter *e, double seconds, bool found);
/* Detaches everything; safe after a failed start. */
void exporter__stop(struct exporter *e);

#endif
