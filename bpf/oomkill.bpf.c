// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * OOM kills for oomkill: at oom:mark_victim (or mark_oom_victim() where the
 * tracepoint carries only a pid) everything that describes the victim is
 * read from its task_struct, mm and memory cgroup, because the task is gone
 * a moment later; the current task is the one that called out_of_memory()
 * (a charging task for a memcg OOM). Records go through a ring buffer whose
 * failed reservations are counted.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "probe.bpf.h"
#include "oomkill.abi.h"

EVENTS_MAPS(OOM_RINGBUF_BYTES);

/* Set before load: one node with memory (no cpuset or mempolicy constraint
 * is possible: constrained_alloc() needs a nodemask narrower than the
 * memory nodes), and the v1 memory controller (memsw, not swap). */
const volatile bool single_node;
const volatile bool memcg_v1;

/* oom_kill_process()'s oom_control, keyed by the trigger thread */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OOM_TRACK_ENTRIES);
	__type(key, __u32);
	__type(value, struct oom_decision);
} decisions SEC(".maps");

/* each thread's last direct reclaim */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OOM_TRACK_ENTRIES);
	__type(key, __u32);
	__type(value, struct oom_alloc);
} allocs SEC(".maps");

/* Before v6.2 (commit f1a7941243c1 "mm: convert mm's rss stats into
 * percpu_counter") the counters were an atomic_long_t array. */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

static __always_inline __u64 mm_counter(struct mm_struct *mm, int i)
{
	long v = 0;

	if (i < 0 || i >= 4)
		return 0;
	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;

		v = BPF_CORE_READ(old, rss_stat.count[i].counter);
	} else {
		/* what get_mm_counter() reads: the shared count, not the
		 * per-CPU deltas (at most the batch per CPU behind) */
		v = BPF_CORE_READ(mm, rss_stat[i].count);
	}
	return v > 0 ? v : 0;
}

static __always_inline struct mem_cgroup *task_memcg(struct task_struct *t)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cset = BPF_CORE_READ(t, cgroups);

	if (!cset || id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return NULL;
	bpf_core_read(&css, sizeof(css), &cset->subsys[id]);
	/* the css is a mem_cgroup's first member */
	return (struct mem_cgroup *)css;
}

static __always_inline __u64 memcg_id(struct mem_cgroup *m)
{
	return m ? BPF_CORE_READ(m, css.cgroup, kn, id) : 0;
}

/* v1 charges swap to memsw (memory + swap), v2 to swap: two fields in 5.10
 * and 6.1, a union of the two in 6.18; the hierarchy's own is read. */
static __always_inline void memcg_swap(struct oom_event *e, struct mem_cgroup *m)
{
	if (memcg_v1 && bpf_core_field_exists(m->memsw)) {
		e->memcg_swap = BPF_CORE_READ(m, memsw.usage.counter);
		e->memcg_swap_max = BPF_CORE_READ(m, memsw.max);
	} else if (!memcg_v1 && bpf_core_field_exists(m->swap)) {
		e->memcg_swap = BPF_CORE_READ(m, swap.usage.counter);
		e->memcg_swap_max = BPF_CORE_READ(m, swap.max);
	} else {
		return;
	}
	e->have |= OOM_HAVE_SWAP;
}

/*
 * Without oom_control (no fentry or kprobe on oom_kill_process) the
 * constraint is derived. A memcg OOM runs in the task whose charge failed,
 * so the first memory cgroup from the trigger's upwards whose usage is
 * within a huge page of its limit is the one whose limit was hit. Else, on
 * one memory node, constrained_alloc() can only answer CONSTRAINT_NONE; on
 * several, cpuset and mempolicy are not told apart: unknown.
 * With oom_control: its constraint, and oc->memcg is the cgroup.
 */
static __always_inline void fill_memcg(struct oom_event *e, struct mem_cgroup *victim,
				       const struct oom_decision *d)
{
	struct mem_cgroup *m = task_memcg((struct task_struct *)bpf_get_current_task());
	struct mem_cgroup *pick = victim;
	int i;

	e->constraint = single_node ? OOM_CONSTRAINT_NONE : OOM_CONSTRAINT_UNKNOWN;
	if (d) {
		e->constraint = d->constraint;
		if (d->memcg) {
			pick = (struct mem_cgroup *)d->memcg;
			e->oom_cgid = memcg_id(pick);
		}
		m = NULL;
	}
	for (i = 0; i < OOM_MAX_DEPTH && m; i++) {
		__u64 usage = BPF_CORE_READ(m, memory.usage.counter);
		__u64 max = BPF_CORE_READ(m, memory.max);

		if (max < (1ULL << 50) && usage + 512 >= max) {
			e->constraint = OOM_CONSTRAINT_MEMCG;
			e->oom_cgid = memcg_id(m);
			pick = m;
			break;
		}
		m = (struct mem_cgroup *)BPF_CORE_READ(m, css.parent);
	}
	if (!pick)
		return;
	e->memcg_usage = BPF_CORE_READ(pick, memory.usage.counter);
	e->memcg_max = BPF_CORE_READ(pick, memory.max);
	e->have |= OOM_HAVE_MEMCG;
	memcg_swap(e, pick);
}

/* What oom_kill_process() decided, for the victim it chose: a memory.oom.group
 * kill marks more tasks, and a dying trigger marks itself without it. */
static __always_inline const struct oom_decision *decision(__u64 victim, __u32 pid)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct oom_decision *d = bpf_map_lookup_elem(&decisions, &tid);

	if (!d || (victim ? d->chosen != victim : d->chosen_pid != pid))
		return NULL;
	return d;
}

static __always_inline void fill_alloc(struct oom_event *e, const struct oom_decision *d)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct oom_alloc *a;

	if (d) {
		e->points = d->points;
		e->totalpages = d->totalpages;
		e->gfp_mask = d->gfp_mask;
		e->order = d->order;
		e->have |= OOM_HAVE_OC;
		return;
	}
	/* the page allocator's OOM follows its direct reclaim, a memcg's does
	 * not (try_to_free_mem_cgroup_pages() traces order 0 and its own mask) */
	if (e->constraint == OOM_CONSTRAINT_MEMCG)
		return;
	a = bpf_map_lookup_elem(&allocs, &tid);
	if (!a || e->ts_ns - a->ts_ns > OOM_ALLOC_MAX_AGE_NS)
		return;
	e->gfp_mask = a->gfp_mask;
	e->order = a->order;
	e->have |= OOM_HAVE_ALLOC_TP;
}

static __always_inline void fill_trigger(struct oom_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->ts_ns = bpf_ktime_get_ns();
	e->trigger_pid = id >> 32;
	e->trigger_tid = (__u32)id;
	bpf_get_current_comm(&e->trigger_comm, sizeof(e->trigger_comm));
	e->trigger_cgid = memcg_id(task_memcg((struct task_struct *)bpf_get_current_task()));
}

static __always_inline void victim(struct task_struct *t)
{
	struct oom_event *e = events__reserve(sizeof(*e));
	const struct oom_decision *d;
	struct mem_cgroup *memcg;
	struct mm_struct *mm;

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	fill_trigger(e);
	e->victim_pid = BPF_CORE_READ(t, tgid);
	e->victim_tid = BPF_CORE_READ(t, pid);
	BPF_CORE_READ_STR_INTO(&e->comm, t, comm);
	e->uid = BPF_CORE_READ(t, cred, uid.val);
	e->oom_score_adj = BPF_CORE_READ(t, signal, oom_score_adj);
	memcg = task_memcg(t);
	e->victim_cgid = memcg_id(memcg);
	e->have |= OOM_HAVE_TASK;
	mm = BPF_CORE_READ(t, mm);
	if (mm) {
		e->total_vm = BPF_CORE_READ(mm, total_vm);
		e->file_rss = mm_counter(mm, MM_FILEPAGES);
		e->anon_rss = mm_counter(mm, MM_ANONPAGES);
		e->swap_ents = mm_counter(mm, MM_SWAPENTS);
		e->shmem_rss = mm_counter(mm, MM_SHMEMPAGES);
		e->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
		e->have |= OOM_HAVE_MM;
	}
	d = decision((__u64)t, 0);
	fill_memcg(e, memcg, d);
	fill_alloc(e, d);
	bpf_ringbuf_submit(e, 0);
}

/* v5.10's tracepoint has only the pid: a record of the trigger, the pid
 * and the constraint; the rest is absent. */
static __always_inline void victim_pid(int pid)
{
	struct oom_event *e = events__reserve(sizeof(*e));
	const struct oom_decision *d;

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	fill_trigger(e);
	e->victim_pid = pid;
	e->victim_tid = pid;
	d = decision(0, pid);
	fill_memcg(e, NULL, d);
	fill_alloc(e, d);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline __u32 constraint_of(int c)
{
	if (c == bpf_core_enum_value(enum oom_constraint, CONSTRAINT_NONE))
		return OOM_CONSTRAINT_NONE;
	if (c == bpf_core_enum_value(enum oom_constraint, CONSTRAINT_MEMCG))
		return OOM_CONSTRAINT_MEMCG;
	if (c == bpf_core_enum_value(enum oom_constraint, CONSTRAINT_CPUSET))
		return OOM_CONSTRAINT_CPUSET;
	if (c == bpf_core_enum_value(enum oom_constraint, CONSTRAINT_MEMORY_POLICY))
		return OOM_CONSTRAINT_MEMPOLICY;
	return OOM_CONSTRAINT_UNKNOWN;
}

/* oom_kill_process(oc, message): select_bad_process() has filled oc. */
static __always_inline void decide(struct oom_control *oc)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct oom_decision d = {};

	d.chosen = (__u64)BPF_CORE_READ(oc, chosen);
	d.chosen_pid = BPF_CORE_READ(oc, chosen, pid);
	d.points = BPF_CORE_READ(oc, chosen_points);
	d.totalpages = BPF_CORE_READ(oc, totalpages);
	d.memcg = (__u64)BPF_CORE_READ(oc, memcg);
	d.gfp_mask = BPF_CORE_READ(oc, gfp_mask);
	d.order = BPF_CORE_READ(oc, order);
	d.constraint = constraint_of(BPF_CORE_READ(oc, constraint));
	bpf_map_update_elem(&decisions, &tid, &d, BPF_ANY);
}

static __always_inline void direct_reclaim(int order, gfp_t gfp)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct oom_alloc a = { .ts_ns = bpf_ktime_get_ns(), .gfp_mask = gfp, .order = order };

	bpf_map_update_elem(&allocs, &tid, &a, BPF_ANY);
}

/* The task pointer: the tracepoint where it has one (6.18, Debian 12's 6.1),
 * else the function that fires it. The pid-only tracepoint is the last resort. */
TRACEPOINT_PROGS(victim, mark_victim, victim(task), struct task_struct *task)
FUNCTION_PROGS(victim, mark_oom_victim, victim(task), struct task_struct *task)
RAW_TP_PROG(victim_pid, mark_victim, victim_pid(pid), int pid)
FUNCTION_PROGS(decide, oom_kill_process, decide(oc), struct oom_control *oc)
TRACEPOINT_PROGS(alloc, mm_vmscan_direct_reclaim_begin, direct_reclaim(order, gfp),
		 int order, gfp_t gfp)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
