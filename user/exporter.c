// SPDX-License-Identifier: BSD-2-Clause
/* memscope-exporter's collection and its metric families. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "exporter.h"
#include "log.h"

const char *const exporter__source_names[EXP_NR_SOURCES] = {
	[EXP_PAGECACHE] = "pagecache",
	[EXP_FAULTSTAT] = "faultstat",
	[EXP_RECLAIMLAT] = "reclaimlat",
	[EXP_OOMKILL] = "oomkill",
	[EXP_SLAB] = "slab",
};

static const struct module_ops *const source_ops[EXP_NR_SOURCES] = {
	[EXP_PAGECACHE] = &pagecache__module,
	[EXP_FAULTSTAT] = &faultstat__module,
	[EXP_RECLAIMLAT] = &reclaimlat__module,
	[EXP_OOMKILL] = &oomkill__module,
	[EXP_SLAB] = &slab__module,
};

int exporter__find(const char *name)
{
	for (int i = 0; i < EXP_NR_SOURCES; i++)
		if (!strcmp(name, exporter__source_names[i]))
			return i;
	return -1;
}

#define COUNTER(k, u, h) { .key = (k), .type = FT_U64, .kind = FK_COUNTER, .unit = (u), .help = (h) }
#define GAUGE(k, u, h) { .key = (k), .type = FT_DBL, .kind = FK_GAUGE, .unit = (u), .help = (h) }

/* The metric families, one table per source. */
enum { MPC_ACCESSES, MPC_HITS, MPC_MISSES, MPC_DIRTIES, MPC_NF };
static const struct field pc_fields[MPC_NF] = {
	COUNTER("pagecache_accesses", "pages",
		"Pages asked for by reads and file page faults (cachestat ACCESSES)"),
	COUNTER("pagecache_hits", "pages", "Accessed pages found in the page cache (cachestat HITS)"),
	COUNTER("pagecache_misses", "pages",
		"Pages brought into the page cache for reads, readahead included (cachestat MISSES)"),
	COUNTER("pagecache_dirties", "pages", "Pages that went from clean to dirty (cachestat DIRTIES)"),
};

enum { MFS_FAULTS, MFS_MAJOR_BY, MFS_NF };
static const struct field fs_fields[MFS_NF] = {
	COUNTER("page_faults", NULL,
		"Page faults of every task, by type minor or major (faultstat MINOR, MAJOR)"),
	COUNTER("major_faults", NULL,
		"Major faults by origin: file (read from a file), swap (swap-in), unknown "
		"(faultstat MAJ_FILE, MAJ_SWAP; Linux 5.17+; not those of get_user_pages)"),
};

enum { MRL_STALL, MRL_PAGES, MRL_NF };
static const struct field rl_fields[MRL_NF] = {
	{ .key = "reclaim_stall", .type = FT_HIST, .kind = FK_HISTOGRAM, .unit = "seconds",
	  .help = "Reclaim stalls by class: direct, memcg, kswapd (active periods), slab "
		  "(shrinker calls), compact (reclaimlat)" },
	COUNTER("reclaim_reclaimed", "pages", "Pages reclaimed by class, where the class reclaims pages"),
};

/* per cgroup (exporter.h): the families above with a cgroup label */
enum { MCG_ACCESSES, MCG_HITS, MCG_MISSES, MCG_DIRTIES, MCG_FAULTS, MCG_MAJOR_BY, MCG_STALL,
       MCG_PAGES, MCG_NF };
static const struct field cg_fields[MCG_NF] = {
	COUNTER("cgroup_pagecache_accesses", "pages",
		"pagecache_accesses per memory cgroup (--top, --cgroup-depth; the rest in "
		"cgroup=\"other\")"),
	COUNTER("cgroup_pagecache_hits", "pages", "pagecache_hits per memory cgroup"),
	COUNTER("cgroup_pagecache_misses", "pages", "pagecache_misses per memory cgroup"),
	COUNTER("cgroup_pagecache_dirties", "pages", "pagecache_dirties per memory cgroup"),
	COUNTER("cgroup_page_faults", NULL,
		"page_faults per memory cgroup of the faulting task, by type minor or major"),
	COUNTER("cgroup_major_faults", NULL, "major_faults by origin per memory cgroup"),
	{ .key = "cgroup_reclaim_stall", .type = FT_HIST, .kind = FK_HISTOGRAM, .unit = "seconds",
	  .help = "reclaim_stall per memory cgroup of the stalled task, by class direct, memcg, "
		  "slab, compact (kswapd is no task's: system-wide only); shown from a "
		  "cgroup's first stall of a class" },
	COUNTER("cgroup_reclaim_reclaimed", "pages",
		"reclaim_reclaimed per memory cgroup, classes direct and memcg"),
};

enum { MOK_KILLS, MOK_NF };
static const struct field ok_fields[MOK_NF] = {
	COUNTER("oom_kills", NULL,
		"Processes the OOM killer chose, by the victim's own memory cgroup (its path below "
		"the hierarchy root; \"other\" past the first 32 cgroups, \"unknown\" when the "
		"hook has no task or the cgroup is gone) and constraint memcg, none (system-wide), "
		"cpuset, mempolicy or unknown (oomkill)"),
};

enum { MSL_ALLOC, MSL_FREE, MSL_BYTES, MSL_NF };
static const struct field sl_fields[MSL_NF] = {
	COUNTER("slab_allocated", "bytes",
		"Bytes allocated per slab cache (slabratetop BYTES), for the --top-caches busiest "
		"caches, the others in cache=\"other\" (Linux 6.1+)"),
	COUNTER("slab_freed", "bytes", "Bytes freed per slab cache, as slab_allocated"),
	GAUGE("slab", "bytes",
	      "Active objects x object size per slab cache now (/proc/slabinfo), the same caches"),
};

enum { MPR_SWAPIN, MPR_SWAPOUT, MPR_ZONE_FREE, MPR_ZONE_WM, MPR_PSI, MPR_PSI_AVG10, MPR_NF };
static const struct field proc_fields[MPR_NF] = {
	COUNTER("swap_in", "pages", "Pages swapped in (/proc/vmstat pswpin)"),
	COUNTER("swap_out", "pages", "Pages swapped out (/proc/vmstat pswpout)"),
	GAUGE("zone_free", "pages", "Free pages per zone (/proc/zoneinfo)"),
	GAUGE("zone_watermark", "pages",
	      "A zone's min, low and high watermarks (/proc/zoneinfo): kswapd wakes below low, "
	      "allocations reclaim directly below min"),
	COUNTER("memory_pressure_stalled", "seconds",
		"Time some or all non-idle tasks stalled on memory (/proc/pressure/memory total)"),
	GAUGE("memory_pressure_avg10", "ratio",
	      "Share of the last 10 s some or all tasks stalled on memory (/proc/pressure/memory)"),
};

enum { MSE_SCRAPES, MSE_SCRAPE_S, MSE_LAST_SCRAPE, MSE_COLLECTIONS, MSE_COLLECT, MSE_FULL,
       MSE_LOST, MSE_PROG_RUNS, MSE_PROG_TIME, MSE_SOURCE, MSE_NF };
static const struct field self_fields[MSE_NF] = {
	COUNTER("exporter_scrapes", NULL, "Scrapes of /metrics served"),
	COUNTER("exporter_scrape_duration", "seconds", "Time spent rendering /metrics, summed"),
	GAUGE("exporter_last_scrape_duration", "seconds", "The previous scrape's rendering time"),
	COUNTER("exporter_collections", NULL, "Collections of the kernel's counters"),
	GAUGE("exporter_collection_duration", "seconds", "The last collection's duration"),
	COUNTER("maps_full", NULL,
		"Entries a BPF table could not create because it was full, by source and table"),
	COUNTER("events_lost", NULL, "Events a BPF ring buffer dropped, by source"),
	COUNTER("bpf_prog_runs", NULL,
		"Runs of each BPF program (kernel BPF stats; absent unless kernel.bpf_stats_enabled=1)"),
	COUNTER("bpf_prog_run_time", "seconds",
		"Time spent in each BPF program (kernel BPF stats; absent unless enabled)"),
	GAUGE("exporter_source_up", NULL, "1 for each data source attached"),
};

_Static_assert(EXP_OOM_CGROUPS == 32, "oom_kills' help names the bound");

static int cg__init(struct exporter *e);
static void cg__free(struct exporter *e);

/* A kill record, consumed in collection (e->cur is collection's own). */
static int on_kill(void *ctx, void *data, size_t size)
{
	struct exporter *e = ctx;
	struct exp_snap *s = &e->cur;
	const struct oom_event *ev = data;
	char path[256] = "unknown";
	int slot, c;

	if (size < sizeof(*ev))
		return 0;
	c = ev->constraint == OOM_CONSTRAINT_MEMCG	  ? EXP_OOM_MEMCG
	    : ev->constraint == OOM_CONSTRAINT_NONE	  ? EXP_OOM_NONE
	    : ev->constraint == OOM_CONSTRAINT_CPUSET	  ? EXP_OOM_CPUSET
	    : ev->constraint == OOM_CONSTRAINT_MEMPOLICY ? EXP_OOM_MEMPOLICY
							  : EXP_OOM_UNKNOWN;
	/* the cgroup outlives its victim: read the path while it is there */
	if (!(ev->have & OOM_HAVE_TASK) || cgroup__path(ev->victim_cgid, path, sizeof(path)))
		snprintf(path, sizeof(path), "unknown");
	for (slot = 0; slot < s->ok_ncg && strcmp(s->ok_cg[slot], path); slot++)
		;
	if (slot == s->ok_ncg) {
		if (s->ok_ncg < EXP_OOM_CGROUPS)
			snprintf(s->ok_cg[s->ok_ncg++], sizeof(s->ok_cg[0]), "%s", path);
		else
			slot = EXP_OOM_CGROUPS;
	}
	s->ok_kills[slot][c]++;
	return 0;
}

static int open_sources(struct exporter *e, unsigned int skip_kinds, bool all_probes, FILE *probes)
{
	struct pagecache_opts po = {};
	struct faultstat_opts fo = {};
	struct reclaimlat_opts ro = {};
	struct oomkill_opts oo = {};
	struct slab_opts so = {};
	struct module_opts *o[EXP_NR_SOURCES] = { &po.m, &fo.m, &ro.common, &oo.common, &so.m };
	int err, ret = 0;

	po.per_cgroup = fo.per_cgroup = ro.cgroups = e->top_cgroups > 0;
	for (int i = 0; i < EXP_NR_SOURCES; i++) {
		if (!e->enabled[i])
			continue;
		o[i]->skip_kinds = skip_kinds;
		o[i]->all_probes = all_probes;
		if (i == EXP_FAULTSTAT)
			fo.detail = e->cur.fs_detail;
		err = module__open(&e->mod[i], source_ops[i], o[i]);
		if (probes) {
			fprintf(probes, "%s%s:\n", i ? "\n" : "", exporter__source_names[i]);
			module__print_probes(&e->mod[i], probes);
			module__close(&e->mod[i]);
			ret = ret ?: err;
			continue;
		}
		if (!err)
			err = module__attach(&e->mod[i]);
		if (!err && i == EXP_OOMKILL)
			err = oomkill__open_events(e->mod[i].state, on_kill, e);
		if (err && (e->optional[i] || err == -EOPNOTSUPP)) {
			/* a default source this kernel or these privileges refuse,
			 * or a kernel a source does not support (slab before
			 * 6.1): serve without it (source_up 0), said once */
			log__err("source %s not started (%s): serving without it",
				 exporter__source_names[i], strerror(-err));
			module__close(&e->mod[i]);
			e->enabled[i] = false;
			continue;
		}
		if (err) {
			log__err("cannot start source %s: %s", exporter__source_names[i],
				 strerror(-err));
			return err;
		}
	}
	return ret;
}

int exporter__print_probes(struct exporter *e, unsigned int skip_kinds, FILE *f)
{
	return open_sources(e, skip_kinds, true, f);
}

int exporter__start(struct exporter *e, unsigned int skip_kinds)
{
	int err;

	/* major faults by origin need bpf_find_vma() (v5.17); without it the
	 * family is absent, not 0 */
	e->cur.fs_detail = e->enabled[EXP_FAULTSTAT] &&
			   libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_find_vma, NULL) > 0;

	pthread_mutex_init(&e->lock, NULL);
	e->cur.cg_on = e->top_cgroups > 0 && (e->enabled[EXP_PAGECACHE] ||
					      e->enabled[EXP_FAULTSTAT] ||
					      e->enabled[EXP_RECLAIMLAT]);
	if (e->cur.cg_on && (err = cg__init(e))) {
		log__err("out of memory");
		return err;
	}
	e->cur.fs_lost_exits = -1;
	e->cur.ok_lost = -1;
	err = open_sources(e, skip_kinds, false, NULL);
	if (err)
		return err;
	if (e->enabled[EXP_RECLAIMLAT]) {
		struct reclaimlat *rl = e->mod[EXP_RECLAIMLAT].state;

		for (int c = 0; c < RL_NR_CLASSES; c++) {
			e->cur.rl_has[c] = reclaimlat__has_class(rl, c);
			e->cur.rl_has_pages[c] = c == RL_KSWAPD ? reclaimlat__kswapd_pages(rl)
								: c == RL_DIRECT || c == RL_MEMCG;
		}
	}
	return exporter__collect(e);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- per cgroup (exporter.h) ---- */

struct exp_cgl {		/* a label value: a memory cgroup at --cgroup-depth */
	char path[256];		/* "": a free slot (index 0: ids of no known cgroup) */
	struct exp_cg_counts named;	/* grown while it holds a top slot */
	struct exp_cg_counts win;	/* this window's, but the page cache's */
	struct pc_stats pc_win;		/* this window's raw page-cache deltas */
	unsigned long long pc_owed;	/* pagecache__derive's carry */
	unsigned long long activity;
	int nids;			/* memory cgroups folded into it */
	bool top, had_win;
};

struct exp_memcg {		/* one memory cgroup, as the BPF tables key it */
	__u64 id;
	int l;			/* its label */
	struct pc_stats prev;	/* its page-cache totals at the last read */
};

struct exp_cgroups {
	struct exp_cgl *l;
	size_t nl, capl;
	struct exp_memcg *m;	/* sorted by id */
	size_t nm, capm;
	struct cgroup_entry *dirs;	/* the last walk, sorted by id */
	size_t ndirs;
	bool walked;		/* in this collection */
	unsigned int since_walk;	/* collections */
	struct exp_cg_counts other;
};

/* A removed cgroup is noticed at the next walk: one at least this often
 * (collections), and whenever an id is new. */
#define EXP_CG_REWALK 30

static int cmp_dir(const void *a, const void *b)
{
	const struct cgroup_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cg__walk(struct exp_cgroups *c)
{
	struct cgroup_entry *d;
	size_t n;
	int err = cgroup__list(&d, &n);

	if (err)
		return err;
	free(c->dirs);
	qsort(d, n, sizeof(*d), cmp_dir);
	c->dirs = d;
	c->ndirs = n;
	c->walked = true;
	c->since_walk = 0;
	return 0;
}

static const struct cgroup_entry *cg__dir(struct exp_cgroups *c, __u64 id)
{
	struct cgroup_entry key = { .id = id };

	return c->ndirs ? bsearch(&key, c->dirs, c->ndirs, sizeof(key), cmp_dir) : NULL;
}

/* The label of a path at depth: its own, a new one, or 0 ("other") when
 * EXP_CG_LABELS are in use. */
static int cg__label(struct exporter *e, const char *path)
{
	struct exp_cgroups *c = e->cgs;
	char folded[256];
	size_t i, free_slot = 0;

	cgroup__fold(path, e->cgroup_depth, folded, sizeof(folded));
	for (i = 1; i < c->nl; i++) {
		if (!strcmp(c->l[i].path, folded))
			return (int)i;
		if (!free_slot && !c->l[i].path[0])
			free_slot = i;
	}
	if (!free_slot) {
		if (c->nl == EXP_CG_LABELS) {
			e->cur.cg_full[EXP_CGF_LABELS]++;
			return 0;
		}
		if (c->nl == c->capl) {
			size_t cap = c->capl * 2;
			struct exp_cgl *l = realloc(c->l, cap * sizeof(*l));

			if (!l)
				return 0;
			c->l = l;
			c->capl = cap;
		}
		free_slot = c->nl++;
	}
	memset(&c->l[free_slot], 0, sizeof(c->l[0]));
	snprintf(c->l[free_slot].path, sizeof(c->l[0].path), "%s", folded);
	return (int)free_slot;
}

/* The entry of a memory cgroup id, made on first sight (its label found by
 * walking the hierarchy, at most once a collection); NULL: out of memory. */
static struct exp_memcg *cg__memcg(struct exporter *e, __u64 id)
{
	struct exp_cgroups *c = e->cgs;
	const struct cgroup_entry *d;
	size_t lo = 0, hi = c->nm;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->m[mid].id == id)
			return &c->m[mid];
		if (c->m[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (c->nm == c->capm) {
		size_t cap = c->capm ? c->capm * 2 : 64;
		struct exp_memcg *m = realloc(c->m, cap * sizeof(*m));

		if (!m)
			return NULL;
		c->m = m;
		c->capm = cap;
	}
	if (!cg__dir(c, id) && !c->walked)
		cg__walk(c);
	d = cg__dir(c, id);
	memmove(&c->m[lo + 1], &c->m[lo], (c->nm - lo) * sizeof(c->m[0]));
	c->nm++;
	memset(&c->m[lo], 0, sizeof(c->m[0]));
	c->m[lo].id = id;
	/* gone already (or id 0: no memory cgroup): "other" */
	c->m[lo].l = d ? cg__label(e, d->path) : 0;
	c->l[c->m[lo].l].nids++;
	return &c->m[lo];
}

static struct exp_cgl *cg__of(struct exporter *e, __u64 id)
{
	struct exp_memcg *m = cg__memcg(e, id);

	return &e->cgs->l[m ? m->l : 0];
}

static int cg__init(struct exporter *e)
{
	struct exp_cgroups *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	e->cgs = c;
	c->capl = 64;
	c->l = calloc(c->capl, sizeof(*c->l));
	if (!c->l)
		return -ENOMEM;
	c->nl = 1;	/* l[0]: ids of no known cgroup */
	snprintf(c->l[0].path, sizeof(c->l[0].path), "other");
	return 0;
}

static void cg__free(struct exporter *e)
{
	if (!e->cgs)
		return;
	free(e->cgs->l);
	free(e->cgs->m);
	free(e->cgs->dirs);
	free(e->cgs);
	e->cgs = NULL;
}

static void cg__add(struct exp_cg_counts *a, const struct exp_cg_counts *b)
{
	a->pc_accesses += b->pc_accesses;
	a->pc_hits += b->pc_hits;
	a->pc_misses += b->pc_misses;
	a->pc_dirties += b->pc_dirties;
	a->minor += b->minor;
	a->major += b->major;
	for (int i = 0; i < FS_NR_CLASSES; i++)
		a->cls[i] += b->cls[i];
	for (int c = 0; c < RL_NR_CLASSES; c++) {
		a->rl_count[c] += b->rl_count[c];
		a->rl_pages[c] += b->rl_pages[c];
		a->rl_sum_s[c] += b->rl_sum_s[c];
		for (int k = 0; k < EXP_HIST_BUCKETS; k++)
			a->rl_cum[c][k] += b->rl_cum[c][k];
	}
}

static int cg_pagecache(struct exporter *e)
{
	struct pagecache *pc = e->mod[EXP_PAGECACHE].state;
	struct pagecache_cgroup *rows;
	size_t n;
	int err = pagecache__read_cgroups(pc, &rows, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		struct exp_memcg *m = cg__memcg(e, rows[i].id);
		struct exp_cgl *l = &e->cgs->l[m ? m->l : 0];
		struct pc_stats d;

		if (!m)
			continue;
		pagecache__delta(&rows[i].s, &m->prev, &d);
		m->prev = rows[i].s;
		for (int k = 0; k < PC_NR_STATS; k++)
			l->pc_win.v[k] += d.v[k];
		l->had_win = true;
	}
	free(rows);
	return pagecache__cgroups_full(pc, &e->cur.cg_full[EXP_CGF_PAGECACHE]);
}

static void cg_faults(struct exporter *e, const struct faultstat_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct exp_cgl *l = cg__of(e, rows[i].memcg_id);

		l->win.minor += rows[i].minor;
		l->win.major += rows[i].major;
		for (int c = 0; c < FS_NR_CLASSES; c++)
			l->win.cls[c] += rows[i].cls[c];
		l->had_win = true;
	}
}

static int cg_reclaim(struct exporter *e)
{
	struct reclaimlat *rl = e->mod[EXP_RECLAIMLAT].state;
	struct rl_cg_key *keys;
	struct rl_cg *vals;
	size_t n;
	int err = reclaimlat__drain_cgroups(rl, &keys, &vals, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		struct exp_cgl *l = cg__of(e, keys[i].memcg_id);
		int c = keys[i].class, slot = 0;
		unsigned long long cum = 0;

		if (c < 0 || c >= RL_NR_CLASSES)
			continue;
		l->win.rl_count[c] += vals[i].count;
		l->win.rl_pages[c] += vals[i].pages;
		l->win.rl_sum_s[c] += (double)vals[i].total_ns / 1e9;
		/* slots as collect_reclaimlat's: below 4^b us are slots 0 .. 2b */
		for (int b = 0; b < EXP_HIST_BUCKETS; b++) {
			for (; slot <= 2 * b && slot < RL_CG_SLOTS; slot++)
				cum += vals[i].hist[slot];
			l->win.rl_cum[c][b] += cum;
		}
		l->had_win = true;
	}
	free(keys);
	free(vals);
	return reclaimlat__cgroups_full(rl, &e->cur.cg_full[EXP_CGF_RECLAIMLAT]);
}

static struct exp_cgroups *sort_ctx;

/* busier first; a slot's holder before a newcomer; then by path */
static int cmp_busier_cg(const void *a, const void *b)
{
	const struct exp_cgl *x = &sort_ctx->l[*(const int *)a], *y = &sort_ctx->l[*(const int *)b];

	if (x->activity != y->activity)
		return x->activity < y->activity ? 1 : -1;
	if (x->top != y->top)
		return x->top ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int cmp_path_idx(const void *a, const void *b)
{
	return strcmp(sort_ctx->l[*(const int *)a].path, sort_ctx->l[*(const int *)b].path);
}

/* Removed cgroups: their last deltas were read this collection; their
 * entries go (the page-cache table's too), and a label with none left
 * and no slot is freed. */
static void cg__prune(struct exporter *e)
{
	struct exp_cgroups *c = e->cgs;
	size_t w = 0;

	for (size_t i = 0; i < c->nm; i++) {
		if (cg__dir(c, c->m[i].id)) {
			c->m[w++] = c->m[i];
			continue;
		}
		if (e->enabled[EXP_PAGECACHE])
			pagecache__forget_cgroup(e->mod[EXP_PAGECACHE].state, c->m[i].id);
		c->l[c->m[i].l].nids--;
	}
	c->nm = w;
	for (size_t i = 1; i < c->nl; i++)
		if (c->l[i].path[0] && !c->l[i].nids && !c->l[i].top)
			c->l[i].path[0] = '\0';
}

/* The window's end: the top set, then each label's window to its own
 * counters or to "other"; the snapshot's slots. */
static int cg__finish(struct exporter *e, struct exp_snap *s)
{
	struct exp_cgroups *c = e->cgs;
	int *idx = malloc(c->nl * sizeof(*idx)), ni = 0, ntop = 0;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < c->nl; i++) {
		struct exp_cgl *l = &c->l[i];
		struct pagecache_counts k;

		l->activity = 0;
		if (!l->had_win)
			continue;
		pagecache__derive(&l->pc_win, &l->pc_owed, &k);
		l->win.pc_accesses = k.accesses;
		l->win.pc_hits = k.hits;
		l->win.pc_misses = k.misses;
		l->win.pc_dirties = k.dirties;
		l->activity = k.accesses + k.dirties + l->win.minor + l->win.major;
		for (int r = 0; r < RL_NR_CLASSES; r++)
			l->activity += l->win.rl_count[r];
	}
	/* the busiest of this window, then holders that were idle */
	for (size_t i = 1; i < c->nl; i++)
		if (c->l[i].path[0] && (c->l[i].activity || c->l[i].top))
			idx[ni++] = (int)i;
	sort_ctx = c;
	qsort(idx, ni, sizeof(*idx), cmp_busier_cg);
	for (int j = 0; j < ni; j++) {
		struct exp_cgl *l = &c->l[idx[j]];

		l->top = ntop < e->top_cgroups && (l->activity || l->top);
		ntop += l->top;
	}
	for (size_t i = 0; i < c->nl; i++) {
		struct exp_cgl *l = &c->l[i];

		if (!l->had_win)
			continue;
		cg__add(i && l->top ? &l->named : &c->other, &l->win);
		memset(&l->win, 0, sizeof(l->win));
		memset(&l->pc_win, 0, sizeof(l->pc_win));
		l->had_win = false;
	}
	if (++c->since_walk >= EXP_CG_REWALK && !c->walked)
		cg__walk(c);
	if (c->walked)
		cg__prune(e);
	c->walked = false;
	/* the snapshot: slots in path order */
	ni = 0;
	for (size_t i = 1; i < c->nl; i++)
		if (c->l[i].path[0] && c->l[i].top)
			idx[ni++] = (int)i;
	qsort(idx, ni, sizeof(*idx), cmp_path_idx);
	s->cg_n = ni;
	for (int j = 0; j < ni; j++) {
		snprintf(s->cg_path[j], sizeof(s->cg_path[0]), "%s", c->l[idx[j]].path);
		s->cg[j] = c->l[idx[j]].named;
	}
	s->cg[EXP_CG_MAX] = c->other;
	free(idx);
	return 0;
}

static int collect_pagecache(struct exporter *e, struct exp_snap *s)
{
	struct pagecache *pc = e->mod[EXP_PAGECACHE].state;
	struct pc_stats cur, d;
	struct pagecache_counts k;
	int err = pagecache__read(pc, &cur);

	if (err)
		return err;
	/* the per-CPU totals since attach are only read; the deltas go
	 * through cachestat's formula, with the misses readahead owes carried
	 * over, so the hits sum to what one long cachestat interval shows */
	pagecache__delta(&cur, &e->pc_prev, &d);
	e->pc_prev = cur;
	pagecache__derive(&d, &e->pc_owed, &k);
	s->pc_accesses += k.accesses;
	s->pc_hits += k.hits;
	s->pc_misses += k.misses;
	s->pc_dirties += k.dirties;
	if (e->cgs && (err = cg_pagecache(e)))
		return err;
	return pagecache__full(pc, s->pc_full);
}

static int collect_faultstat(struct exporter *e, struct exp_snap *s)
{
	struct faultstat *fs = e->mod[EXP_FAULTSTAT].state;
	struct faultstat_row *rows = NULL, total;
	size_t n = 0;
	int err = faultstat__sample(fs, &rows, &n);

	if (err)
		return err;
	faultstat__sum(rows, n, &total);
	if (e->cgs)
		cg_faults(e, rows, n);
	free(rows);
	s->fs_minor += total.minor;
	s->fs_major += total.major;
	for (int c = 0; c < FS_NR_CLASSES; c++)
		s->fs_cls[c] += total.cls[c];
	s->fs_lost_exits = faultstat__lost_exits(fs);
	return faultstat__full(fs, s->fs_full);
}

/* Slot i of the BPF histogram holds 2^(i-1) .. 2^i - 1 microseconds (slot
 * 0: 0), so the stalls below 4^b us are those of slots 0 .. 2b. */
static int collect_reclaimlat(struct exporter *e, struct exp_snap *s)
{
	struct reclaimlat *rl = e->mod[EXP_RECLAIMLAT].state;
	struct rl_stats st[RL_NR_CLASSES];
	int err = reclaimlat__drain(rl, st);

	if (err)
		return err;
	for (int c = 0; c < RL_NR_CLASSES; c++) {
		unsigned long long cum = 0;
		int slot = 0;

		s->rl_count[c] += st[c].count;
		s->rl_pages[c] += st[c].pages;
		s->rl_sum_s[c] += (double)st[c].total_ns / 1e9;
		for (int b = 0; b < EXP_HIST_BUCKETS; b++) {
			for (; slot <= 2 * b; slot++)
				cum += st[c].hist[slot];
			s->rl_cum[c][b] += cum;
		}
	}
	if (e->cgs && (err = cg_reclaim(e)))
		return err;
	return reclaimlat__full(rl, &s->rl_full_procs);
}

static int collect_oomkill(struct exporter *e, struct exp_snap *s)
{
	struct oomkill *ok = e->mod[EXP_OOMKILL].state;
	int n = ring_buffer__consume(ok->ev.rb);

	if (n < 0)
		return n;
	s->ok_lost = events__dropped(&ok->ev);
	return 0;
}

static int cmp_busier(const void *a, const void *b)
{
	const struct slab_row *x = a, *y = b;
	unsigned long long bx = x->alloc_bytes + x->free_bytes, by = y->alloc_bytes + y->free_bytes;

	return bx < by ? 1 : bx > by ? -1 : strcmp(x->name, y->name);
}

/* The slot of a cache name: its own, a new one while any remain, else "other". */
static int slab_slot(struct exporter *e, struct exp_snap *s, const char *name, bool may_add)
{
	int i;

	for (i = 0; i < s->sl_n; i++)
		if (!strcmp(s->sl_name[i], name))
			return i;
	if (!may_add || s->sl_n >= e->top_caches)
		return EXP_SLAB_MAX;
	snprintf(s->sl_name[s->sl_n], sizeof(s->sl_name[0]), "%s", name);
	return s->sl_n++;
}

/* active objects x object size per slot, from the whole of /proc/slabinfo */
static void slab_bytes(struct exp_snap *s)
{
	struct slabinfo_entry *e;
	size_t n, j;

	memset(s->sl_bytes, 0, sizeof(s->sl_bytes));
	memset(s->sl_has, 0, sizeof(s->sl_has));
	s->sl_have_bytes = !slab__slabinfo_read(NULL, &e, &n);
	for (j = 0; j < n; j++) {
		int i;

		for (i = 0; i < s->sl_n && strcmp(s->sl_name[i], e[j].name); i++)
			;
		if (i == s->sl_n)
			i = EXP_SLAB_MAX;
		s->sl_bytes[i] += e[j].l.active_objs * e[j].l.objsize;
		s->sl_has[i] = true;
	}
	free(e);
}

static int collect_slab(struct exporter *e, struct exp_snap *s)
{
	struct slab *sl = e->mod[EXP_SLAB].state;
	struct slab_row *rows = NULL;
	size_t n = 0;
	int err = slab__drain(sl, &rows, &n);

	if (err)
		return err;
	qsort(rows, n, sizeof(*rows), cmp_busier);
	for (size_t i = 0; i < n; i++) {
		int slot = slab_slot(e, s, rows[i].name, true);

		s->sl_alloc[slot] += rows[i].alloc_bytes;
		s->sl_free[slot] += rows[i].free_bytes;
	}
	free(rows);
	slab_bytes(s);
	return slab__lost(sl, s->sl_full);
}

static void collect_proc(struct exp_snap *s)
{
	int nz;

	s->have_vm = !memstat__vmstat(NULL, &s->vm);
	s->have_psi = !memstat__psi(NULL, "memory", &s->psi);
	nz = memstat__zoneinfo(NULL, s->zones, RL_MAX_ZONES);
	s->nz = nz > 0 ? nz : 0;
}

static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

static void collect_progs(struct exporter *e, struct exp_snap *s)
{
	s->nprogs = 0;
	s->bpf_stats = bpf_stats_enabled();
	if (!s->bpf_stats)
		return;
	for (int i = 0; i < EXP_NR_SOURCES; i++) {
		struct bpf_object *obj = e->enabled[i] ? module__obj(&e->mod[i]) : NULL;
		struct bpf_program *p;

		if (!obj)
			continue;
		bpf_object__for_each_program(p, obj) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd = bpf_program__fd(p);

			if (fd < 0 || s->nprogs == EXP_MAX_PROGS ||
			    bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			snprintf(s->progs[s->nprogs].name, sizeof(s->progs[0].name), "%s",
				 bpf_program__name(p));
			snprintf(s->progs[s->nprogs].module, sizeof(s->progs[0].module), "%s",
				 exporter__source_names[i]);
			s->progs[s->nprogs].run_cnt = info.run_cnt;
			s->progs[s->nprogs].run_time_ns = info.run_time_ns;
			s->nprogs++;
		}
	}
}

int exporter__collect(struct exporter *e)
{
	static int (*const fn[EXP_NR_SOURCES])(struct exporter *, struct exp_snap *) = {
		collect_pagecache, collect_faultstat, collect_reclaimlat, collect_oomkill,
		collect_slab,
	};
	struct exp_snap *s = &e->cur;
	double t0 = now_s();
	int err;

	for (int i = 0; i < EXP_NR_SOURCES; i++) {
		if (!e->enabled[i])
			continue;
		err = fn[i](e, s);
		if (err) {
			log__err("cannot read source %s: %s", exporter__source_names[i],
				 strerror(-err));
			return err;
		}
	}
	if (e->cgs && (err = cg__finish(e, s)))
		return err;
	collect_proc(s);
	collect_progs(e, s);
	s->collections++;
	s->collect_s = now_s() - t0;
	pthread_mutex_lock(&e->lock);
	e->pub = *s;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

void exporter__scraped(struct exporter *e, double seconds, bool found)
{
	pthread_mutex_lock(&e->lock);
	if (found) {
		e->scrapes++;
		e->scrape_s_sum += seconds;
		e->last_scrape_s = seconds;
	} else {
		e->not_found++;
	}
	pthread_mutex_unlock(&e->lock);
}

static void render_pagecache(const struct exp_snap *s, struct om *o)
{
	const unsigned long long v[MPC_NF] = { s->pc_accesses, s->pc_hits, s->pc_misses,
					       s->pc_dirties };

	for (int i = 0; i < MPC_NF; i++) {
		om__family(o, &pc_fields[i]);
		om__sample_u64(o, NULL, v[i]);
	}
}

static void render_faultstat(const struct exp_snap *s, struct om *o)
{
	om__family(o, &fs_fields[MFS_FAULTS]);
	om__sample_u64(o, "type=\"minor\"", s->fs_minor);
	om__sample_u64(o, "type=\"major\"", s->fs_major);
	if (s->fs_detail) {
		static const char *const origin[FS_NR_CLASSES] = { "file", "swap", "unknown" };
		char l[32];

		om__family(o, &fs_fields[MFS_MAJOR_BY]);
		for (int c = 0; c < FS_NR_CLASSES; c++) {
			snprintf(l, sizeof(l), "origin=\"%s\"", origin[c]);
			om__sample_u64(o, l, s->fs_cls[c]);
		}
	}
}

static void render_reclaimlat(const struct exp_snap *s, struct om *o)
{
	double le[EXP_HIST_BUCKETS];
	char l[48];

	for (int b = 0; b < EXP_HIST_BUCKETS; b++)
		le[b] = ldexp(1e-6, 2 * b);
	om__family(o, &rl_fields[MRL_STALL]);
	for (int c = 0; c < RL_NR_CLASSES; c++) {
		if (!s->rl_has[c])
			continue;
		snprintf(l, sizeof(l), "class=\"%s\"", reclaimlat__class_names[c]);
		om__hist(o, l, le, s->rl_cum[c], EXP_HIST_BUCKETS, s->rl_count[c], s->rl_sum_s[c]);
	}
	om__family(o, &rl_fields[MRL_PAGES]);
	for (int c = 0; c < RL_NR_CLASSES; c++) {
		if (!s->rl_has[c] || !s->rl_has_pages[c])
			continue;
		snprintf(l, sizeof(l), "class=\"%s\"", reclaimlat__class_names[c]);
		om__sample_u64(o, l, s->rl_pages[c]);
	}
}

static void render_oomkill(const struct exp_snap *s, struct om *o)
{
	static const char *const cons[EXP_OOM_NR] = { "memcg", "none", "cpuset", "mempolicy",
								   "unknown" };
	char l[640], cg[512];

	om__family(o, &ok_fields[MOK_KILLS]);
	for (int i = 0; i <= EXP_OOM_CGROUPS; i++) {
		if (i < EXP_OOM_CGROUPS && i >= s->ok_ncg)
			continue;
		om__escape(i < EXP_OOM_CGROUPS ? s->ok_cg[i] : "other", cg, sizeof(cg));
		for (int c = 0; c < EXP_OOM_NR; c++) {
			if (!s->ok_kills[i][c])
				continue;
			snprintf(l, sizeof(l), "cgroup=\"%s\",constraint=\"%s\"", cg, cons[c]);
			om__sample_u64(o, l, s->ok_kills[i][c]);
		}
	}
}

static void render_slab(const struct exp_snap *s, struct om *o)
{
	const unsigned long long *const v[] = { s->sl_alloc, s->sl_free };
	char l[128], c[96];

	for (int f = 0; f < 2; f++) {
		om__family(o, &sl_fields[f == 0 ? MSL_ALLOC : MSL_FREE]);
		for (int i = 0; i < s->sl_n; i++) {
			om__escape(s->sl_name[i], c, sizeof(c));
			snprintf(l, sizeof(l), "cache=\"%s\"", c);
			om__sample_u64(o, l, v[f][i]);
		}
		om__sample_u64(o, "cache=\"other\"", v[f][EXP_SLAB_MAX]);
	}
	if (!s->sl_have_bytes)
		return;
	om__family(o, &sl_fields[MSL_BYTES]);
	for (int i = 0; i < s->sl_n; i++) {
		if (!s->sl_has[i])
			continue;	/* kmalloc-large and the like: no slabinfo line */
		om__escape(s->sl_name[i], c, sizeof(c));
		snprintf(l, sizeof(l), "cache=\"%s\"", c);
		om__sample_u64(o, l, s->sl_bytes[i]);
	}
	om__sample_u64(o, "cache=\"other\"", s->sl_bytes[EXP_SLAB_MAX]);
}

static void render_proc(const struct exp_snap *s, struct om *o)
{
	static const char *const wm[] = { "min", "low", "high" };
	char l[96], zone[64];

	if (s->have_vm) {
		om__family(o, &proc_fields[MPR_SWAPIN]);
		om__sample_u64(o, NULL, s->vm.pswpin);
		om__family(o, &proc_fields[MPR_SWAPOUT]);
		om__sample_u64(o, NULL, s->vm.pswpout);
	}
	if (s->nz) {
		om__family(o, &proc_fields[MPR_ZONE_FREE]);
		for (int i = 0; i < s->nz; i++) {
			om__escape(s->zones[i].name, zone, sizeof(zone));
			snprintf(l, sizeof(l), "node=\"%d\",zone=\"%s\"", s->zones[i].node, zone);
			om__sample_u64(o, l, s->zones[i].free);
		}
		om__family(o, &proc_fields[MPR_ZONE_WM]);
		for (int i = 0; i < s->nz; i++) {
			const unsigned long long v[] = { s->zones[i].min, s->zones[i].low,
							 s->zones[i].high };

			om__escape(s->zones[i].name, zone, sizeof(zone));
			for (int w = 0; w < 3; w++) {
				snprintf(l, sizeof(l), "node=\"%d\",zone=\"%s\",level=\"%s\"",
					 s->zones[i].node, zone, wm[w]);
				om__sample_u64(o, l, v[w]);
			}
		}
	}
	if (s->have_psi) {
		om__family(o, &proc_fields[MPR_PSI]);
		om__sample(o, "kind=\"some\"", (double)s->psi.some_total_us / 1e6);
		om__sample(o, "kind=\"full\"", (double)s->psi.full_total_us / 1e6);
		om__family(o, &proc_fields[MPR_PSI_AVG10]);
		om__sample(o, "kind=\"some\"", s->psi.some_avg10 / 100);
		om__sample(o, "kind=\"full\"", s->psi.full_avg10 / 100);
	}
}

static void render_cgroups(const struct exporter *e, const struct exp_snap *s, struct om *o)
{
	static const char *const origin[FS_NR_CLASSES] = { "file", "swap", "unknown" };
	double le[EXP_HIST_BUCKETS];
	char l[640], cg[512];
	int f, i, c;

	for (int b = 0; b < EXP_HIST_BUCKETS; b++)
		le[b] = ldexp(1e-6, 2 * b);
	/* one family at a time, each with every slot, then "other" */
#define EACH_SLOT(...)                                                                       \
	for (i = 0; i <= s->cg_n; i++) {                                                     \
		const struct exp_cg_counts *k = &s->cg[i < s->cg_n ? i : EXP_CG_MAX];        \
		om__escape(i < s->cg_n ? s->cg_path[i] : "other", cg, sizeof(cg));           \
		__VA_ARGS__                                                                  \
	}
	if (e->enabled[EXP_PAGECACHE]) {
		for (f = MCG_ACCESSES; f <= MCG_DIRTIES; f++) {
			om__family(o, &cg_fields[f]);
			EACH_SLOT({
				const unsigned long long v[] = { k->pc_accesses, k->pc_hits,
								 k->pc_misses, k->pc_dirties };

				snprintf(l, sizeof(l), "cgroup=\"%s\"", cg);
				om__sample_u64(o, l, v[f - MCG_ACCESSES]);
			})
		}
	}
	if (e->enabled[EXP_FAULTSTAT]) {
		om__family(o, &cg_fields[MCG_FAULTS]);
		EACH_SLOT({
			snprintf(l, sizeof(l), "cgroup=\"%s\",type=\"minor\"", cg);
			om__sample_u64(o, l, k->minor);
			snprintf(l, sizeof(l), "cgroup=\"%s\",type=\"major\"", cg);
			om__sample_u64(o, l, k->major);
		})
		if (s->fs_detail) {
			om__family(o, &cg_fields[MCG_MAJOR_BY]);
			EACH_SLOT({
				for (c = 0; c < FS_NR_CLASSES; c++) {
					snprintf(l, sizeof(l), "cgroup=\"%s\",origin=\"%s\"", cg,
						 origin[c]);
					om__sample_u64(o, l, k->cls[c]);
				}
			})
		}
	}
	if (e->enabled[EXP_RECLAIMLAT]) {
		om__family(o, &cg_fields[MCG_STALL]);
		EACH_SLOT({
			for (c = 0; c < RL_NR_CLASSES; c++) {
				if (c == RL_KSWAPD || !s->rl_has[c] || !k->rl_count[c])
					continue;
				snprintf(l, sizeof(l), "cgroup=\"%s\",class=\"%s\"", cg,
					 reclaimlat__class_names[c]);
				om__hist(o, l, le, k->rl_cum[c], EXP_HIST_BUCKETS, k->rl_count[c],
					 k->rl_sum_s[c]);
			}
		})
		om__family(o, &cg_fields[MCG_PAGES]);
		EACH_SLOT({
			for (c = 0; c < RL_NR_CLASSES; c++) {
				if ((c != RL_DIRECT && c != RL_MEMCG) || !k->rl_count[c])
					continue;
				snprintf(l, sizeof(l), "cgroup=\"%s\",class=\"%s\"", cg,
					 reclaimlat__class_names[c]);
				om__sample_u64(o, l, k->rl_pages[c]);
			}
		})
	}
#undef EACH_SLOT
}

static void render_self(const struct exporter *e, const struct exp_snap *s, struct om *o,
			unsigned long long scrapes, double scrape_sum, double last_scrape)
{
	static const char *const pc_full[PC_NR_FULL] = { "procs", "files" };
	static const char *const fs_full[FS_NR_FULL] = { "procs", "files", "stacks" };
	/* caches: not counted, table full; live: kmalloc objects whose free cannot be
	 * matched; kfree_unmatched: frees of objects allocated before attach */
	static const char *const sl_full[SLAB_NR_FULL] = { "caches", "live", "kfree_unmatched" };
	char l[96];

	om__family(o, &self_fields[MSE_SCRAPES]);
	om__sample_u64(o, NULL, scrapes);
	om__family(o, &self_fields[MSE_SCRAPE_S]);
	om__sample(o, NULL, scrape_sum);
	om__family(o, &self_fields[MSE_LAST_SCRAPE]);
	om__sample(o, NULL, last_scrape);
	om__family(o, &self_fields[MSE_COLLECTIONS]);
	om__sample_u64(o, NULL, s->collections);
	om__family(o, &self_fields[MSE_COLLECT]);
	om__sample(o, NULL, s->collect_s);
	om__family(o, &self_fields[MSE_FULL]);
	for (int i = 0; e->enabled[EXP_PAGECACHE] && i < PC_NR_FULL; i++) {
		snprintf(l, sizeof(l), "source=\"pagecache\",table=\"%s\"", pc_full[i]);
		om__sample_u64(o, l, s->pc_full[i]);
	}
	for (int i = 0; e->enabled[EXP_FAULTSTAT] && i < FS_NR_FULL; i++) {
		snprintf(l, sizeof(l), "source=\"faultstat\",table=\"%s\"", fs_full[i]);
		om__sample_u64(o, l, s->fs_full[i]);
	}
	if (e->enabled[EXP_RECLAIMLAT])
		om__sample_u64(o, "source=\"reclaimlat\",table=\"procs\"", s->rl_full_procs);
	if (s->cg_on) {
		/* labels: cgroups past EXP_CG_LABELS remembered, folded into "other" */
		if (e->enabled[EXP_PAGECACHE])
			om__sample_u64(o, "source=\"pagecache\",table=\"cgroups\"",
				       s->cg_full[EXP_CGF_PAGECACHE]);
		if (e->enabled[EXP_RECLAIMLAT])
			om__sample_u64(o, "source=\"reclaimlat\",table=\"cgroups\"",
				       s->cg_full[EXP_CGF_RECLAIMLAT]);
		om__sample_u64(o, "source=\"exporter\",table=\"cgroup_labels\"",
			       s->cg_full[EXP_CGF_LABELS]);
	}
	for (int i = 0; e->enabled[EXP_SLAB] && i < SLAB_NR_FULL; i++) {
		snprintf(l, sizeof(l), "source=\"slab\",table=\"%s\"", sl_full[i]);
		om__sample_u64(o, l, s->sl_full[i]);
	}
	om__family(o, &self_fields[MSE_LOST]);
	if (e->enabled[EXP_FAULTSTAT] && s->fs_lost_exits >= 0)
		om__sample_u64(o, "source=\"faultstat\"", (unsigned long long)s->fs_lost_exits);
	if (e->enabled[EXP_OOMKILL] && s->ok_lost >= 0)
		om__sample_u64(o, "source=\"oomkill\"", (unsigned long long)s->ok_lost);
	if (s->bpf_stats) {
		om__family(o, &self_fields[MSE_PROG_RUNS]);
		for (int i = 0; i < s->nprogs; i++) {
			snprintf(l, sizeof(l), "source=\"%s\",prog=\"%s\"", s->progs[i].module,
				 s->progs[i].name);
			om__sample_u64(o, l, s->progs[i].run_cnt);
		}
		om__family(o, &self_fields[MSE_PROG_TIME]);
		for (int i = 0; i < s->nprogs; i++) {
			snprintf(l, sizeof(l), "source=\"%s\",prog=\"%s\"", s->progs[i].module,
				 s->progs[i].name);
			om__sample(o, l, (double)s->progs[i].run_time_ns / 1e9);
		}
	}
	om__family(o, &self_fields[MSE_SOURCE]);
	for (int i = 0; i < EXP_NR_SOURCES; i++) {
		snprintf(l, sizeof(l), "source=\"%s\"", exporter__source_names[i]);
		om__sample_u64(o, l, e->enabled[i]);
	}
}

void exporter__render(struct exporter *e, FILE *f, enum om_format fmt)
{
	static void (*const fn[EXP_NR_SOURCES])(const struct exp_snap *, struct om *) = {
		render_pagecache, render_faultstat, render_reclaimlat, render_oomkill,
		render_slab,
	};
	struct exp_snap *s = malloc(sizeof(*s));
	unsigned long long scrapes;
	double sum, last;
	struct om o;

	if (!s)
		return;
	pthread_mutex_lock(&e->lock);
	*s = e->pub;
	scrapes = e->scrapes;
	sum = e->scrape_s_sum;
	last = e->last_scrape_s;
	pthread_mutex_unlock(&e->lock);
	om__init(&o, f, fmt);
	for (int i = 0; i < EXP_NR_SOURCES; i++)
		if (e->enabled[i])
			fn[i](s, &o);
	if (s->cg_on)
		render_cgroups(e, s, &o);
	render_proc(s, &o);
	render_self(e, s, &o, scrapes, sum, last);
	om__end(&o);
	free(s);
}

void exporter__stop(struct exporter *e)
{
	for (int i = 0; i < EXP_NR_SOURCES; i++)
		module__close(&e->mod[i]);
	cg__free(e);
}
