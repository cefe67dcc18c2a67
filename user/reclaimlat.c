// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "bpfmap.h"
#include "log.h"
#include "reclaimlat.skel.h"
#include "reclaimlat.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define EVENT(n, c, opt) { n, c, ARRAY_SIZE(c), opt }

const char *const reclaimlat__class_names[RL_NR_CLASSES] = {
	[RL_DIRECT] = "direct", [RL_MEMCG] = "memcg",	  [RL_KSWAPD] = "kswapd",
	[RL_SLAB] = "slab",	[RL_COMPACT] = "compact",
};

/* The function fallbacks time the whole call: also the wait of a task that
 * try_to_free_pages() throttles (it then returns 1 without reclaiming, and
 * the tracepoints do not fire). */
#define ACC_DIRECT_FUNC                                                                       \
	"times the whole try_to_free_pages() call, including throttling waits the "         \
	"tracepoints leave out"
#define ACC_FUNC "times the whole function call; pages from its return value"

#define TP(prog, tp, args) { prog "_btf", PROBE_TP_BTF, tp, NULL, args }, \
			   { prog "_raw", PROBE_RAW_TP, tp, NULL, args }

static const struct probe_cand direct_begin_cands[] = {
	TP("direct_begin", "mm_vmscan_direct_reclaim_begin", NULL),
	{ "direct_begin_fentry", PROBE_FENTRY, "try_to_free_pages", ACC_DIRECT_FUNC, NULL },
	{ "direct_begin_kprobe", PROBE_KPROBE, "try_to_free_pages", ACC_DIRECT_FUNC, NULL },
};
static const struct probe_cand direct_end_cands[] = {
	TP("direct_end", "mm_vmscan_direct_reclaim_end", NULL),
	{ "direct_end_fexit", PROBE_FEXIT, "try_to_free_pages", ACC_DIRECT_FUNC, NULL,
	  "get_func_ret" },
	{ "direct_end_kretprobe", PROBE_KRETPROBE, "try_to_free_pages", ACC_DIRECT_FUNC, NULL },
};
static const struct probe_cand memcg_begin_cands[] = {
	TP("memcg_begin", "mm_vmscan_memcg_reclaim_begin", NULL),
	{ "memcg_begin_fentry", PROBE_FENTRY, "try_to_free_mem_cgroup_pages", ACC_FUNC, NULL },
	{ "memcg_begin_kprobe", PROBE_KPROBE, "try_to_free_mem_cgroup_pages", ACC_FUNC, NULL },
};
static const struct probe_cand memcg_end_cands[] = {
	TP("memcg_end", "mm_vmscan_memcg_reclaim_end", NULL),
	{ "memcg_end_fexit", PROBE_FEXIT, "try_to_free_mem_cgroup_pages", ACC_FUNC, NULL,
	  "get_func_ret" },
	{ "memcg_end_kretprobe", PROBE_KRETPROBE, "try_to_free_mem_cgroup_pages", ACC_FUNC,
	  NULL },
};
static const struct probe_cand soft_begin_cands[] = {
	TP("soft_begin", "mm_vmscan_memcg_softlimit_reclaim_begin", NULL),
};
static const struct probe_cand soft_end_cands[] = {
	TP("soft_end", "mm_vmscan_memcg_softlimit_reclaim_end", NULL),
};
static const struct probe_cand kswapd_wake_cands[] = {
	TP("kswapd_wake", "mm_vmscan_kswapd_wake", NULL),
};
static const struct probe_cand kswapd_sleep_cands[] = {
	TP("kswapd_sleep", "mm_vmscan_kswapd_sleep", NULL),
};
static const struct probe_cand kswapd_pages_cands[] = {
	TP("lru_inactive", "mm_vmscan_lru_shrink_inactive", NULL),
};
static const struct probe_cand slab_begin_cands[] = {
	TP("slab_begin", "mm_shrink_slab_start", NULL),
};
static const struct probe_cand slab_end_cands[] = {
	TP("slab_end", "mm_shrink_slab_end", NULL),
};
/* before v5.x the compaction tracepoints had no compact_control argument */
static const struct probe_cand compact_begin_cands[] = {
	TP("compact_begin", "mm_compaction_begin", "compact_control"),
};
static const struct probe_cand compact_end_cands[] = {
	TP("compact_end", "mm_compaction_end", NULL),
};

const struct probe_event reclaimlat__events[RECLAIMLAT_NR_EVENTS] = {
	[RECLAIMLAT_DIRECT_BEGIN] = EVENT("direct begin", direct_begin_cands, false),
	[RECLAIMLAT_DIRECT_END] = EVENT("direct end", direct_end_cands, false),
	[RECLAIMLAT_MEMCG_BEGIN] = EVENT("memcg begin", memcg_begin_cands, false),
	[RECLAIMLAT_MEMCG_END] = EVENT("memcg end", memcg_end_cands, false),
	[RECLAIMLAT_SOFT_BEGIN] = EVENT("softlimit begin", soft_begin_cands, true),
	[RECLAIMLAT_SOFT_END] = EVENT("softlimit end", soft_end_cands, true),
	[RECLAIMLAT_KSWAPD_WAKE] = EVENT("kswapd wake", kswapd_wake_cands, false),
	[RECLAIMLAT_KSWAPD_SLEEP] = EVENT("kswapd sleep", kswapd_sleep_cands, false),
	[RECLAIMLAT_KSWAPD_PAGES] = EVENT("kswapd pages", kswapd_pages_cands, true),
	[RECLAIMLAT_SLAB_BEGIN] = EVENT("slab begin", slab_begin_cands, true),
	[RECLAIMLAT_SLAB_END] = EVENT("slab end", slab_end_cands, true),
	[RECLAIMLAT_COMPACT_BEGIN] = EVENT("compaction begin", compact_begin_cands, true),
	[RECLAIMLAT_COMPACT_END] = EVENT("compaction end", compact_end_cands, true),
};

static bool reclaimlat__pair(const struct reclaimlat *rl, int begin, int end)
{
	return probe__chosen(&rl->probes, begin) && probe__chosen(&rl->probes, end);
}

bool reclaimlat__has_class(const struct reclaimlat *rl, int class)
{
	switch (class) {
	case RL_DIRECT:
		return reclaimlat__pair(rl, RECLAIMLAT_DIRECT_BEGIN, RECLAIMLAT_DIRECT_END);
	case RL_MEMCG:
		return reclaimlat__pair(rl, RECLAIMLAT_MEMCG_BEGIN, RECLAIMLAT_MEMCG_END);
	case RL_KSWAPD:
		return reclaimlat__pair(rl, RECLAIMLAT_KSWAPD_WAKE, RECLAIMLAT_KSWAPD_SLEEP);
	case RL_SLAB:
		return reclaimlat__pair(rl, RECLAIMLAT_SLAB_BEGIN, RECLAIMLAT_SLAB_END);
	case RL_COMPACT:
		return reclaimlat__pair(rl, RECLAIMLAT_COMPACT_BEGIN, RECLAIMLAT_COMPACT_END);
	}
	return false;
}

bool reclaimlat__kswapd_pages(const struct reclaimlat *rl)
{
	return probe__chosen(&rl->probes, RECLAIMLAT_KSWAPD_PAGES) != NULL;
}

int reclaimlat__open(struct reclaimlat *rl, const struct reclaimlat_opts *o)
{
	int err, e;

	memset(rl, 0, sizeof(*rl));
	err = probe__init(&rl->probes, "reclaimlat", reclaimlat__events, RECLAIMLAT_NR_EVENTS);
	if (err)
		return err;
	rl->probes.skip_kinds = o->common.skip_kinds;
	for (e = 0; o->common.forced && e < RECLAIMLAT_NR_EVENTS; e++)
		probe__force(&rl->probes, e, o->common.forced[e]);
	rl->ms = o->ms;
	rl->skel = reclaimlat_bpf__open();
	if (!rl->skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	rl->skel->rodata->targ_tgid = o->common.tgid;
	rl->skel->rodata->targ_cgroup_id = o->cgroup_id;
	rl->skel->rodata->targ_cgroup_mode = o->cgroup_mode;
	rl->skel->rodata->targ_ms = o->ms;
	rl->skel->rodata->targ_procs = o->procs;
	rl->skel->rodata->targ_events = o->events;
	rl->skel->rodata->targ_min_ns = o->min_ns;
	if (!o->procs)
		bpf_map__set_max_entries(rl->skel->maps.procs, 1);
	rl->skel->rodata->targ_cgroups = o->cgroups;
	if (!o->cgroups)
		bpf_map__set_max_entries(rl->skel->maps.cgroups, 1);
	return probe__resolve(&rl->probes, rl->skel->obj, o->common.all_probes);
}

int reclaimlat__attach(struct reclaimlat *rl)
{
	int err = reclaimlat_bpf__load(rl->skel);

	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	err = probe__attach(&rl->probes, rl->skel->obj);
	clock_gettime(CLOCK_MONOTONIC, &rl->prev_mono);
	rl->have_prev_vm = !memstat__vmstat(NULL, &rl->prev_vm);
	return err;
}

static long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int reclaimlat__open_events(struct reclaimlat *rl, ring_buffer_sample_fn fn, void *ctx)
{
	int err = events__open(&rl->ev, rl->skel->maps.events, rl->skel->maps.dropped, fn, ctx);
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	rl->mono_to_real_ns = ts_ns(&real) - ts_ns(&mono);
	if (err) {
		log__err("cannot open the event ring buffer: %s", strerror(-err));
		return err;
	}
	rl->events_open = true;
	return 0;
}

void reclaimlat__close(struct reclaimlat *rl)
{
	if (rl->events_open)
		events__close(&rl->ev);
	rl->events_open = false;
	probe__free(&rl->probes);
	reclaimlat_bpf__destroy(rl->skel);
	rl->skel = NULL;
}

void reclaimlat__merge(struct rl_stats *a, const struct rl_stats *b)
{
	int i;

	a->count += b->count;
	a->total_ns += b->total_ns;
	a->pages += b->pages;
	a->at_least_min += b->at_least_min;
	if (b->max_ns > a->max_ns)
		a->max_ns = b->max_ns;
	for (i = 0; i < RL_HIST_SLOTS; i++)
		a->hist[i] += b->hist[i];
}

static void merge_cpu(void *acc, const void *cpu_val)
{
	reclaimlat__merge(acc, cpu_val);
}

int reclaimlat__drain(struct reclaimlat *rl, struct rl_stats out[RL_NR_CLASSES])
{
	int fd = bpf_map__fd(rl->skel->maps.stats), c, err = 0;
	struct timespec settle = { .tv_nsec = 1000000 };
	__u32 old, key;

	old = rl->skel->bss->epoch & 1;
	__atomic_store_n(&rl->skel->bss->epoch, old ^ 1, __ATOMIC_SEQ_CST);
	/* a handler that read the old epoch finishes within microseconds */
	nanosleep(&settle, NULL);
	memset(out, 0, RL_NR_CLASSES * sizeof(*out));
	for (c = 0; !err && c < RL_NR_CLASSES; c++) {
		key = old * RL_NR_CLASSES + c;
		err = bpfmap__percpu_fold(fd, &key, sizeof(*out), merge_cpu, &out[c]);
		if (!err)
			err = bpfmap__percpu_zero(fd, &key, sizeof(*out));
	}
	return err;
}

int reclaimlat__cmp_rows(const void *a, const void *b)
{
	const struct reclaimlat_row *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (int)x->class - (int)y->class;
}

int reclaimlat__drain_procs(struct reclaimlat *rl, struct reclaimlat_row **rows, size_t *n)
{
	struct bpf_map *map = rl->skel->maps.procs;
	struct rl_proc_key *keys;
	struct reclaimlat_row *out;
	struct rl_proc *vals;
	size_t i;
	int err;

	*rows = NULL;
	err = bpfmap__drain(bpf_map__fd(map), sizeof(*keys), sizeof(*vals),
			    bpf_map__max_entries(map), (void **)&keys, (void **)&vals, n);
	if (err)
		return err;
	out = calloc(*n ? *n : 1, sizeof(*out));
	for (i = 0; out && i < *n; i++) {
		struct reclaimlat_row *r = &out[i];

		r->pid = keys[i].tgid;
		r->class = keys[i].class;
		memcpy(r->comm, vals[i].comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
		r->count = vals[i].count;
		r->total_ns = vals[i].total_ns;
		r->max_ns = vals[i].max_ns;
		r->pages = vals[i].pages;
	}
	free(keys);
	free(vals);
	if (!out) {
		*n = 0;
		return -ENOMEM;
	}
	qsort(out, *n, sizeof(*out), reclaimlat__cmp_rows);
	*rows = out;
	return 0;
}

int reclaimlat__drain_cgroups(struct reclaimlat *rl, struct rl_cg_key **keys, struct rl_cg **vals,
			      size_t *n)
{
	struct bpf_map *map = rl->skel->maps.cgroups;

	return bpfmap__drain(bpf_map__fd(map), sizeof(**keys), sizeof(**vals),
			     bpf_map__max_entries(map), (void **)keys, (void **)vals, n);
}

int reclaimlat__cgroups_full(struct reclaimlat *rl, unsigned long long *out)
{
	__u32 zero = 0;

	return bpfmap__percpu_sum(bpf_map__fd(rl->skel->maps.cgroups_full), &zero, out, 1);
}

int reclaimlat__full(struct reclaimlat *rl, unsigned long long *procs)
{
	__u32 key = RL_FULL_PROCS;

	return bpfmap__percpu_sum(bpf_map__fd(rl->skel->maps.full), &key, procs, 1);
}

static bool class_has_pages(const struct reclaimlat *rl, int c)
{
	if (c == RL_KSWAPD)
		return reclaimlat__kswapd_pages(rl);
	return c == RL_DIRECT || c == RL_MEMCG;
}

int reclaimlat__snapshot(struct reclaimlat *rl, const struct timespec *now,
			 struct reclaimlat_snap *s)
{
	unsigned long long full = 0;
	struct vmstat_snap vm;
	struct timespec mono;
	bool vm_ok;
	int c, err;

	memset(s, 0, sizeof(*s));
	s->time = *now;
	s->ms = rl->ms;
	for (c = 0; c < RL_NR_CLASSES; c++) {
		s->has_class[c] = reclaimlat__has_class(rl, c);
		s->has_pages[c] = class_has_pages(rl, c);
	}
	err = reclaimlat__drain(rl, s->st);
	if (!err)
		err = reclaimlat__drain_procs(rl, &s->rows, &s->nrows);
	if (err) {
		log__err("cannot read counters: %s", strerror(-err));
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	s->interval_s = (double)(ts_ns(&mono) - ts_ns(&rl->prev_mono)) / 1e9;
	rl->prev_mono = mono;
	vm_ok = !memstat__vmstat(NULL, &vm);
	s->have_vm = vm_ok && rl->have_prev_vm;
	if (s->have_vm) {
		s->vm.pswpin = vm.pswpin - rl->prev_vm.pswpin;
		s->vm.pswpout = vm.pswpout - rl->prev_vm.pswpout;
		s->vm.allocstall = vm.allocstall - rl->prev_vm.allocstall;
	}
	rl->prev_vm = vm;
	rl->have_prev_vm = vm_ok;
	s->nz = memstat__zoneinfo(NULL, s->zones, RL_MAX_ZONES);
	if (s->nz < 0)
		s->nz = 0;
	s->have_psi = !memstat__psi(NULL, "memory", &s->psi);
	if (!reclaimlat__full(rl, &full) && full > rl->full_seen) {
		s->lost_procs = full - rl->full_seen;
		rl->full_seen = full;
		log__err("%llu process rows lost: the process table is full", s->lost_procs);
	}
	return 0;
}

void reclaimlat__snap_free(struct reclaimlat_snap *s)
{
	free(s->rows);
	s->rows = NULL;
	s->nrows = 0;
}

void reclaimlat__end_events(struct reclaimlat *rl, unsigned long min_ms)
{
	long long lost = events__dropped(&rl->ev);
	struct rl_stats st[RL_NR_CLASSES], all = {};
	int c;

	if (lost > 0)
		log__err("%lld events dropped in all: the ring buffer was full", lost);
	/* event mode never drains the statistics: they hold the whole run */
	if (reclaimlat__drain(rl, st))
		return;
	for (c = 0; c < RL_NR_CLASSES; c++)
		reclaimlat__merge(&all, &st[c]);
	log__err("%llu stalls traced, %llu of at least %lu ms", (unsigned long long)all.count,
		 (unsigned long long)all.at_least_min, min_ms);
}

static int module_open(void *state, const struct module_opts *o)
{
	return reclaimlat__open(state, (const struct reclaimlat_opts *)o);
}

static int module_attach(void *state)
{
	return reclaimlat__attach(state);
}

static void module_close(void *state)
{
	reclaimlat__close(state);
}

/* every map and path in use: per-process rows and events */
static const struct reclaimlat_opts every_program = { .procs = true, .events = true,
						     .cgroups = true };
static const void *const variants[] = { &every_program, NULL };

const struct module_ops reclaimlat__module = {
	.name = "reclaimlat",
	.events = reclaimlat__events,
	.n_events = RECLAIMLAT_NR_EVENTS,
	.size = sizeof(struct reclaimlat),
	.opts_size = sizeof(struct reclaimlat_opts),
	.variants = variants,
	.open = module_open,
	.attach = module_attach,
	.close = module_close,
	.probes_offset = offsetof(struct reclaimlat, probes),
};
