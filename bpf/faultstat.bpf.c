// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * faultstat. Counting does no work per fault: the kernel already counts
 * each task's faults (mm_account_fault(): current->min_flt/maj_flt), so a
 * task iterator reads those counters each interval and the exit hook keeps
 * each thread's final counts, for tasks that are gone by the next read.
 * --detail adds one program per major fault, on the perf software event
 * that mm_account_fault() raises with the faulting address.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cgroup.bpf.h"
#include "maps.bpf.h"
#include "probe.bpf.h"
#include "stack.bpf.h"
#include "faultstat.abi.h"

const volatile __u32 targ_tgid;		/* 0: every process */
const volatile bool targ_files;		/* --files: the per-file table */
const volatile bool targ_stacks;	/* --stacks */
const volatile bool targ_memcg;		/* records carry memcg_id (the exporter) */

EVENTS_MAPS(FS_EXIT_RINGBUF);

/* max_entries are set at open time from the options */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FS_DEFAULT_MAX_PROCS);
	__type(key, struct fs_proc_key);
	__type(value, struct fs_detail);
} details SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FS_DEFAULT_MAX_FILES);
	__type(key, struct fs_file_key);
	__type(value, struct fs_file);
} files SEC(".maps");

STACKS_MAP(stackmap, FS_DEFAULT_MAX_STACKS);
STACK_SCRATCH_MAP(scratch);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FS_DEFAULT_MAX_STACKS);
	__type(key, struct fs_stack_key);
	__type(value, struct fs_stack);
} stacks SEC(".maps");

COUNTERS_MAP(full, FS_NR_FULL);

static __always_inline bool task__wanted(struct task_struct *task)
{
	if (targ_tgid && BPF_CORE_READ(task, tgid) != targ_tgid)
		return false;
	return task__in_cgroup(task);
}

static __always_inline void task__fill(struct fs_task *r, struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	r->pid = BPF_CORE_READ(task, pid);
	r->tgid = BPF_CORE_READ(task, tgid);
	r->start_ns = BPF_CORE_READ(task, start_time);
	r->leader_start_ns = BPF_CORE_READ(leader, start_time);
	r->min_flt = BPF_CORE_READ(task, min_flt);
	r->maj_flt = BPF_CORE_READ(task, maj_flt);
	BPF_CORE_READ_STR_INTO(&r->comm, leader, comm);
	r->memcg_id = targ_memcg ? task__memcg_id(task) : 0;
}

SEC("iter/task")
int task_counts(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct fs_task r = {};

	if (!task || !task__wanted(task))
		return 0;
	task__fill(&r, task);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* A thread's counters are final here: the exit tracepoint comes after
 * exit_mm(), the last point where the thread can fault on its memory. */
static __always_inline int on_exit(struct task_struct *task)
{
	struct fs_task *r;

	if (!task__wanted(task))
		return 0;
	r = events__reserve(sizeof(*r));
	if (!r)
		return 0;
	task__fill(r, task);
	r->flags = FS_TASK_EXITED;
	r->pad = 0;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

TRACEPOINT_PROGS(exit, sched_process_exit, on_exit(task), struct task_struct *task)
/* Fallbacks: release_task() runs once the thread is reaped, later than its
 * exit but with the same final counts. */
FUNCTION_PROGS(release, release_task, on_exit(task), struct task_struct *task)

struct vma_class {
	__u64 dev;
	__u64 ino;
	__u32 generation;
	__u32 file;
};

static long vma__classify(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_class *c = data;
	struct file *f = BPF_CORE_READ(vma, vm_file);
	struct inode *inode;

	if (!f)
		return 0;
	inode = BPF_CORE_READ(f, f_inode);
	c->file = 1;
	c->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	c->ino = BPF_CORE_READ(inode, i_ino);
	c->generation = BPF_CORE_READ(inode, i_generation);
	return 0;
}

static __always_inline void count_file(struct vma_class *c, __u32 tgid)
{
	struct fs_file_key key = { .dev = c->dev, .ino = c->ino };
	struct fs_file fresh = { .pid = tgid, .generation = c->generation }, *f;
	bool is_full;

	f = map__lookup_or_init(&files, &key, &fresh, &is_full);
	if (!f) {
		if (is_full)
			counter__inc(full, FS_FULL_FILES);
		return;
	}
	if (f->pid != tgid)
		f->shared = 1;
	__sync_fetch_and_add(&f->major, 1);
}

static __always_inline void count_stack(struct bpf_perf_event_data *ctx,
					const struct fs_proc_key *pk, const char *comm)
{
	struct fs_stack_key key = { .tgid = pk->tgid, .leader_start_ns = pk->leader_start_ns };
	struct fs_stack fresh = {}, *s;
	bool is_full;

	key.ustack = stack__save_scratch(ctx, &stackmap, &scratch, BPF_F_USER_STACK, &is_full);
	if (is_full)
		counter__inc(full, FS_LOST_STACKS);
	key.kstack = stack__save_scratch(ctx, &stackmap, &scratch, 0, &is_full);
	if (is_full)
		counter__inc(full, FS_LOST_STACKS);
	__builtin_memcpy(fresh.comm, comm, sizeof(fresh.comm));
	s = map__lookup_or_init(&stacks, &key, &fresh, &is_full);
	if (!s) {
		if (is_full)
			counter__inc(full, FS_FULL_STACKS);
		return;
	}
	__sync_fetch_and_add(&s->count, 1);
}

/* PERF_COUNT_SW_PAGE_FAULTS_MAJ, sample_period 1: raised by
 * mm_account_fault() in the faulting task for each completed major fault
 * that has user-visible registers (not get_user_pages() faults), with the
 * faulting address as the sample's addr. */
SEC("perf_event")
int major_fault(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *leader = task->group_leader;
	struct fs_proc_key pk = {};
	struct vma_class c = {};
	struct fs_detail *d, fresh = {};
	enum fs_class cls;
	bool is_full;
	long err;

	pk.tgid = bpf_get_current_pid_tgid() >> 32;
	if (targ_tgid && pk.tgid != targ_tgid)
		return 0;
	if (!current__in_cgroup())
		return 0;
	pk.leader_start_ns = BPF_CORE_READ(leader, start_time);
	err = bpf_find_vma(task, ctx->addr, vma__classify, &c, 0);
	cls = err ? FS_MAJ_UNKNOWN : c.file ? FS_MAJ_FILE : FS_MAJ_SWAP;
	BPF_CORE_READ_STR_INTO(&fresh.comm, leader, comm);
	d = map__lookup_or_init(&details, &pk, &fresh, &is_full);
	if (d)
		__sync_fetch_and_add(&d->v[cls], 1);
	else if (is_full)
		counter__inc(full, FS_FULL_PROCS);
	if (targ_files && cls == FS_MAJ_FILE)
		count_file(&c, pk.tgid);
	if (targ_stacks)
		count_stack(ctx, &pk, fresh.comm);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
