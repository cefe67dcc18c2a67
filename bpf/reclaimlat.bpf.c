// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reclaim stalls for reclaimlat: direct reclaim, memory-cgroup reclaim,
 * kswapd active periods, shrinker calls and direct compaction. A begin hook
 * stores its start time per (slot, thread) in an LRU hash; the end hook
 * turns it into a stall: per-class stats, a per-process row, an event.
 * One __always_inline handler per hook, thin per-attach-type wrappers.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cgroup.bpf.h"
#include "hist.bpf.h"
#include "maps.bpf.h"
#include "probe.bpf.h"
#include "reclaimlat.abi.h"

const volatile __u32 targ_tgid;		/* 0: every process */
const volatile bool targ_ms;		/* histogram in milliseconds */
const volatile bool targ_procs;		/* fill `procs` */
const volatile bool targ_events;	/* send events */
const volatile __u64 targ_min_ns;	/* events: only stalls this long */
const volatile bool targ_cgroups;	/* fill `cgroups` (the exporter) */

/* User space flips it each interval and drains the half not in use, so
 * per-interval maxima need no reset race. */
__u32 epoch;

struct inflight {
	__u64 ts;
	__u64 pages;	/* kswapd: pages reclaimed so far in the period */
	__s32 nid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RL_INFLIGHT_ENTRIES);
	__type(key, __u64);	/* slot << 32 | tid */
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * RL_NR_CLASSES);
	__type(key, __u32);
	__type(value, struct rl_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RL_DEFAULT_MAX_PROCS);
	__type(key, struct rl_proc_key);
	__type(value, struct rl_proc);
} procs SEC(".maps");

/* max_entries 1 unless targ_cgroups */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RL_DEFAULT_MAX_CGROUPS);
	__type(key, struct rl_cg_key);
	__type(value, struct rl_cg);
} cgroups SEC(".maps");

COUNTERS_MAP(full, RL_NR_FULL);
COUNTERS_MAP(cgroups_full, 1);

EVENTS_MAPS(RL_RINGBUF_BYTES);

static __always_inline bool traced(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	return current__in_cgroup();
}

static __always_inline __u64 slot_key(__u32 slot)
{
	return ((__u64)slot << 32) | (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void stall_begin(__u32 slot, __s32 nid)
{
	struct inflight v = { .nid = nid };
	__u64 key;

	if (!traced())
		return;
	key = slot_key(slot);
	v.ts = bpf_ktime_get_ns();
	/* kswapd traces a wake for every balance_pgdat() pass but a sleep
	 * only when it really sleeps: a period starts at its first wake */
	bpf_map_update_elem(&inflight, &key, &v, slot == RL_KSWAPD ? BPF_NOEXIST : BPF_ANY);
}

static __always_inline void record_proc(__u32 class, __u64 lat, __u64 pages)
{
	struct rl_proc_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .class = class };
	struct rl_proc fresh = {}, *p;
	bool full_;

	p = bpf_map_lookup_elem(&procs, &key);
	if (!p) {
		bpf_get_current_comm(&fresh.comm, sizeof(fresh.comm));
		p = map__lookup_or_init(&procs, &key, &fresh, &full_);
		if (full_)
			counter__inc(full, RL_FULL_PROCS);
		if (!p)
			return;
	}
	__sync_fetch_and_add(&p->count, 1);
	__sync_fetch_and_add(&p->total_ns, lat);
	if (pages != RL_NO_PAGES)
		__sync_fetch_and_add(&p->pages, pages);
	if (lat > p->max_ns)
		p->max_ns = lat;
}

/* Stalls are rare (a few thousand a second in a storm): a shared hash with
 * atomic adds. */
static const struct rl_cg rl_cg_zero = {};	/* a new entry's value: too big for the stack */

static __always_inline void record_cgroup(__u32 class, __u64 lat, __u64 pages)
{
	struct rl_cg_key key = { .class = class };
	struct rl_cg *c;
	__u32 slot;
	bool is_full;

	key.memcg_id = task__memcg_id((struct task_struct *)bpf_get_current_task());
	c = map__lookup_or_init(&cgroups, &key, &rl_cg_zero, &is_full);
	if (is_full)
		counter__inc(cgroups_full, 0);
	if (!c)
		return;
	__sync_fetch_and_add(&c->count, 1);
	__sync_fetch_and_add(&c->total_ns, lat);
	if (pages != RL_NO_PAGES)
		__sync_fetch_and_add(&c->pages, pages);
	slot = hist__slot(lat / 1000);
	if (slot > RL_CG_SLOTS - 1)
		slot = RL_CG_SLOTS - 1;
	__sync_fetch_and_add(&c->hist[slot & (RL_CG_SLOTS - 1)], 1);
}

static __always_inline void record(__u32 class, __u64 now, __u64 lat, __u64 pages, __s32 nid)
{
	__u32 idx = (*(volatile __u32 *)&epoch & 1) * RL_NR_CLASSES + class;
	struct rl_stats *s = bpf_map_lookup_elem(&stats, &idx);
	struct rl_event *e;

	if (s) {
		s->count++;
		s->total_ns += lat;
		if (lat > s->max_ns)
			s->max_ns = lat;
		if (pages != RL_NO_PAGES)
			s->pages += pages;
		if (lat >= targ_min_ns)
			s->at_least_min++;
		s->hist[hist__slot(lat / (targ_ms ? 1000000 : 1000))]++;
	}
	if (targ_procs)
		record_proc(class, lat, pages);
	if (targ_cgroups && class != RL_KSWAPD)
		record_cgroup(class, lat, pages);
	if (!targ_events || lat < targ_min_ns)
		return;
	e = events__reserve(sizeof(*e));
	if (!e)
		return;
	e->ts_ns = now;
	e->lat_ns = lat;
	e->pages = pages;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->class = class;
	e->nid = nid;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void stall_end(__u32 slot, __u32 class, __u64 pages)
{
	__u64 key = slot_key(slot), now;
	struct inflight *v = bpf_map_lookup_elem(&inflight, &key);
	__u64 ts;
	__s32 nid;

	if (!v)
		return;
	now = bpf_ktime_get_ns();
	ts = v->ts;
	nid = v->nid;
	if (slot == RL_KSWAPD)
		pages = v->pages;
	bpf_map_delete_elem(&inflight, &key);
	if (now < ts)
		return;
	record(class, now, now - ts, pages, nid);
}

/* kswapd's pages: what the LRU scans reclaimed in its thread during a period. */
static __always_inline void lru_reclaimed(__u64 nr)
{
	__u64 key = slot_key(RL_KSWAPD);
	struct inflight *v = bpf_map_lookup_elem(&inflight, &key);

	if (v)
		__sync_fetch_and_add(&v->pages, nr);
}

/* Only compaction in an allocating task stalls it; kcompactd, proactive
 * compaction and /proc/sys/vm/compact_memory do not (direct_compaction
 * is false for them). */
static __always_inline void compact_begin(struct compact_control *cc)
{
	if (BPF_CORE_READ(cc, direct_compaction))
		stall_begin(RL_COMPACT, -1);
}

TRACEPOINT_PROGS(direct_begin, mm_vmscan_direct_reclaim_begin, stall_begin(RL_DIRECT, -1))
TRACEPOINT_PROGS(direct_end, mm_vmscan_direct_reclaim_end, stall_end(RL_DIRECT, RL_DIRECT, nr),
		 unsigned long nr)
FUNCTION_PROGS(direct_begin, try_to_free_pages, stall_begin(RL_DIRECT, -1))
RETURN_PROGS(direct_end, try_to_free_pages, stall_end(RL_DIRECT, RL_DIRECT, ret))

TRACEPOINT_PROGS(memcg_begin, mm_vmscan_memcg_reclaim_begin, stall_begin(RL_MEMCG, -1))
TRACEPOINT_PROGS(memcg_end, mm_vmscan_memcg_reclaim_end, stall_end(RL_MEMCG, RL_MEMCG, nr),
		 unsigned long nr)
FUNCTION_PROGS(memcg_begin, try_to_free_mem_cgroup_pages, stall_begin(RL_MEMCG, -1))
RETURN_PROGS(memcg_end, try_to_free_mem_cgroup_pages, stall_end(RL_MEMCG, RL_MEMCG, ret))

TRACEPOINT_PROGS(soft_begin, mm_vmscan_memcg_softlimit_reclaim_begin,
		 stall_begin(RL_SLOT_SOFTLIMIT, -1))
TRACEPOINT_PROGS(soft_end, mm_vmscan_memcg_softlimit_reclaim_end,
		 stall_end(RL_SLOT_SOFTLIMIT, RL_MEMCG, nr), unsigned long nr)

TRACEPOINT_PROGS(kswapd_wake, mm_vmscan_kswapd_wake, stall_begin(RL_KSWAPD, nid), int nid)
TRACEPOINT_PROGS(kswapd_sleep, mm_vmscan_kswapd_sleep, stall_end(RL_KSWAPD, RL_KSWAPD, 0), int nid)
TRACEPOINT_PROGS(lru_inactive, mm_vmscan_lru_shrink_inactive, lru_reclaimed(nr_reclaimed),
		 int nid, unsigned long nr_scanned, unsigned long nr_reclaimed)

TRACEPOINT_PROGS(slab_begin, mm_shrink_slab_start, stall_begin(RL_SLAB, -1))
TRACEPOINT_PROGS(slab_end, mm_shrink_slab_end, stall_end(RL_SLAB, RL_SLAB, RL_NO_PAGES))

TRACEPOINT_PROGS(compact_begin, mm_compaction_begin, compact_begin(cc), struct compact_control *cc)
TRACEPOINT_PROGS(compact_end, mm_compaction_end, stall_end(RL_COMPACT, RL_COMPACT, RL_NO_PAGES))

char LICENSE[] SEC("license") = "Dual BSD/GPL";
