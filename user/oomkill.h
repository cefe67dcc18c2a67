/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_OOMKILL_H
#define MEMSCOPE_OOMKILL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "../bpf/oomkill.abi.h"
#include "../bpf/reclaimlat.abi.h"
#include "events.h"
#include "memstat.h"
#include "module.h"
#include "probe.h"
#include "schema.h"

/* The data source of oomkill: one record per OOM victim (bpf/oomkill.bpf.c). */
enum oomkill_event_id {
	OOMKILL_VICTIM,
	OOMKILL_DECISION,
	OOMKILL_ALLOC,
	OOMKILL_NR_EVENTS,
};

struct oomkill_opts {
	struct module_opts common;
};

struct oomkill_bpf;

struct oomkill {
	struct probe_set probes;
	struct oomkill_bpf *skel;
	struct events ev;
	bool events_open;
	long long mono_to_real_ns;
};

extern const struct probe_event oomkill__events[OOMKILL_NR_EVENTS];
extern const struct module_ops oomkill__module;

int oomkill__open_events(struct oomkill *ok, ring_buffer_sample_fn fn, void *ctx);

/*
 * A kill as a record: `e` from the kernel, the rest read now (paths, PSI,
 * system memory). Strings live in `bufs`, which must outlive the record.
 */
struct oomkill_bufs {
	char comm[TASK_COMM_LEN + 1], trigger_comm[TASK_COMM_LEN + 1];
	char victim_cg[512], trigger_cg[512], oom_cg[512];
	char gfp[512];
	struct psi psi;
	struct rec psi_rec, lost_rec, pre_rec;
};

extern const struct schema oomkill__schema, oomkill__rank_schema, oomkill__lost_schema;

/* What the record needs of the machine, read once (oomkill__sys_read). */
struct oomkill_sys {
	unsigned long long ram_pages, swap_pages;	/* totalram_pages(), total_swap_pages */
	bool have_totals;
	bool gfp_atomic;	/* the kernel has __GFP_ATOMIC (before v6.4) */
};
void oomkill__sys_read(struct oomkill_sys *sys);

void oomkill__event_rec(struct rec *r, struct oomkill_bufs *b, const struct oom_event *e,
			const struct oomkill_sys *sys, long long mono_to_real_ns, bool v1,
			unsigned long long lost);

/* The kernel's formulas (mm/oom_kill.c, fs/proc/base.c, v5.9 onwards). */
struct oomkill_mem {
	unsigned long long rss;		/* anon + file + shmem pages */
	unsigned long long swap_ents;
	unsigned long long pgtables_bytes;
	long long adj;
};
/* oom_badness(): rss + swap + page-table pages + adj * (totalpages / 1000);
 * LLONG_MIN (never picked) at adj -1000 */
long long oomkill__badness(const struct oomkill_mem *m, long long totalpages);
/* /proc/PID/oom_score: (1000 + badness * 1000 / total) * 2 / 3, with
 * total = RAM + swap both in the badness and the division; 0 at adj -1000 */
long long oomkill__proc_score(const struct oomkill_mem *m, const struct oomkill_sys *sys);
/* a memcg OOM's totalpages, mem_cgroup_get_max() ?: 1, assuming a non-zero
 * swappiness: memory.max + min(swap headroom, total swap) */
unsigned long long oomkill__memcg_total(unsigned long long max, unsigned long long swap_max,
					bool have_swap, bool v1, const struct oomkill_sys *sys);
/* gfp mask by the kernel's names, as %pGg prints it: "GFP_KERNEL|__GFP_NOWARN" */
void oomkill__gfp_names(unsigned int gfp, bool atomic, char *buf, size_t size);
/* The text block of one kill. */
void oomkill__print_block(FILE *out, const struct rec *r, bool timestamp);
void oomkill__lost_rec(struct rec *r, const struct timespec *now, unsigned long long lost);

/* --rank: processes the OOM killer would pick first; cgroup: a path below
 * the memcg root to restrict to (NULL: all). */
struct oomkill_rank {
	pid_t pid;
	char comm[TASK_COMM_LEN + 1];
	long score, adj;
	long long rss_kb, swap_kb;	/* -1: absent */
	char cgroup[256];
};
int oomkill__rank(const char *cgroup, struct oomkill_rank **rows, size_t *n);
int oomkill__rank_cmp(const void *a, const void *b);
void oomkill__rank_rec(struct rec *r, const struct oomkill_rank *row);


/* What preceded a kill: reclaimlat's per-class stalls (its module, opened
 * beside oomkill's) over the last OOMKILL_WINDOW_S seconds. */
#define OOMKILL_WINDOW_S 10
struct oomkill_preceding {
	bool have[RL_NR_CLASSES];	/* the class's hooks are attached */
	struct rl_stats st[RL_NR_CLASSES];
	unsigned int window_s;		/* seconds summed (fewer just after start) */
	const char *cgroup;		/* the stalls of this cgroup's tasks; NULL: every task */
};
void oomkill__preceding_rec(struct rec *r, struct oomkill_bufs *b,
			    const struct oomkill_preceding *p);
#endif
