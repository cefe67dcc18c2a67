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

/*
 * oom_control is no argument of the tracepoint: the constraint is derived.
 * A memcg OOM runs in the task whose charge failed, so the first memory
 * cgroup from the trigger's upwards whose usage is within a huge page of
 * its limit is the one whose limit was hit; none: a system-wide OOM.
 */
static __always_inline void fill_memcg(struct oom_event *e, struct mem_cgroup *victim)
{
	struct mem_cgroup *m = task_memcg((struct task_struct *)bpf_get_current_task());
	struct mem_cgroup *pick = victim;
	int i;

	e->constraint = OOM_CONSTRAINT_NONE;
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
	if (bpf_core_field_exists(pick->swap)) {
		e->memcg_swap = BPF_CORE_READ(pick, swap.usage.counter);
		e->have |= OOM_HAVE_SWAP;
	}
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
	fill_memcg(e, memcg);
	bpf_ringbuf_submit(e, 0);
}

/* v5.10's tracepoint has only the pid: a record of the trigger, the pid
 * and the constraint; the rest is absent. */
static __always_inline void victim_pid(int pid)
{
	struct oom_event *e = events__reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	fill_trigger(e);
	e->victim_pid = pid;
	e->victim_tid = pid;
	fill_memcg(e, NULL);
	bpf_ringbuf_submit(e, 0);
}

/* The task pointer: the tracepoint where it has one (6.18, Debian 12's 6.1),
 * else the function that fires it. The pid-only tracepoint is the last resort. */
TRACEPOINT_PROGS(victim, mark_victim, victim(task), struct task_struct *task)
FUNCTION_PROGS(victim, mark_oom_victim, victim(task), struct task_struct *task)
RAW_TP_PROG(victim_pid, mark_victim, victim_pid(pid), int pid)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
