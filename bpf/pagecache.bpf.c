// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Page-cache events for cachestat and cachetop. One logical event, one
 * __always_inline handler; the tp_btf, raw_tp, fentry and kprobe programs
 * below are thin wrappers, and user/probe enables exactly one per event.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cgroup.bpf.h"
#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "probe.bpf.h"
#include "pagecache.abi.h"

const volatile __u32 targ_tgid;		/* 0: every process */
const volatile bool per_process;	/* fill `procs` (cachetop) */
const volatile bool per_file;		/* fill `files` (cachetop -f) */
const volatile bool per_cgroup;		/* fill `cgroups` (the exporter) */
/* Fault accesses are the file pages faults map, from the mm's file RSS
 * counter (on_rss), not the fault and fault-around ranges: set by user space
 * when the rss_stat hook is in use. */
const volatile bool count_mapped;
const volatile __u32 nr_cpus;
/* task_states is task local storage (v5.11+, commit 4cf1bc1f1045 "bpf:
 * Implement task local storage"), which has bpf_get_current_task_btf() too;
 * before, user space makes it an LRU hash by thread id and clears this */
const volatile bool have_task_storage = true;

/* Per-task memory between events: the read range already counted in the
 * current read syscall, the last folio this task inserted, its last fault
 * and fault-around window and the fault pages not yet counted (pending, of
 * pend_mapping); with count_mapped, the file its current fault is
 * on (cur_mapping, or not a file: cur_nonfile), found from the faulting
 * address (pf_addr, while pf_pending) at the first file page it maps. */
struct task_state {
	__u64 rd_mapping;
	__u64 rd_syscall;
	__u64 rd_first;
	__u64 rd_last;
	__u64 last_added;
	__u64 flt_mapping;
	__u64 flt_index;
	__u64 win_mapping;
	__u64 win_first;
	__u64 win_last;
	__u64 pend_mapping;
	__u64 pending;
	__u64 cur_mapping;
	__u64 pf_addr;
	__u8 pf_pending;
	__u8 pf_write;
	__u8 cur_nonfile;
	__u8 pad[5];
};

/* count_mapped: the mm's file RSS (pages) when last seen */
struct mm_state {
	__s64 file_rss;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct mm_state);
} mm_states SEC(".maps");

/* No hash to look up on each event, and freed with the task, so the exit
 * hook deletes nothing (issue 14's figures: bench/README.md) */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct task_state);
} task_states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_stats);
} totals SEC(".maps");

/* max_entries are set at open time from the tools' options */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_DEFAULT_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct pc_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PC_DEFAULT_MAX_FILES);
	__type(key, struct pc_file_key);
	__type(value, struct pc_file);
} files SEC(".maps");

/* max_entries 1 unless per_cgroup */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PC_DEFAULT_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct pc_stats);
} cgroups SEC(".maps");

COUNTERS_MAP(full, PC_NR_FULL);
COUNTERS_MAP(cgroups_full, 1);

static __always_inline void count_cgroup(enum pc_stat stat, __u64 n)
{
	__u64 id = task__memcg_id((struct task_struct *)bpf_get_current_task());
	struct pc_stats zero = {}, *s;
	bool is_full;

	s = map__lookup_or_init(&cgroups, &id, &zero, &is_full);
	if (is_full)
		counter__inc(cgroups_full, 0);
	if (s && stat < PC_NR_STATS)
		s->v[stat] += n;
}

static __always_inline void count_proc(enum pc_stat stat, __u64 n)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct pc_proc *p = bpf_map_lookup_elem(&procs, &tgid);
	bool is_full;

	if (!p) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct pc_proc fresh = {};

		fresh.uid = (__u32)bpf_get_current_uid_gid();
		BPF_CORE_READ_STR_INTO(&fresh.comm, task, group_leader, comm);
		p = map__lookup_or_init(&procs, &tgid, &fresh, &is_full);
		if (is_full)
			counter__inc(full, PC_FULL_PROCS);
		if (!p)
			return;
	}
	/* exec reads the new binary under the old name: the leader's later
	 * events keep the row's name current (cheap: no pointer chasing) */
	if ((__u32)id == tgid)
		bpf_get_current_comm(&p->comm, sizeof(p->comm));
	if (stat < PC_NR_STATS)
		__sync_fetch_and_add(&p->s.v[stat], n);
}

static __always_inline void count_file(enum pc_stat stat, __u64 n, struct address_space *mapping)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pc_file_key key = {};
	struct pc_file *f;
	bool is_full;

	if (!mapping)
		return;
	key.ino = BPF_CORE_READ(mapping, host, i_ino);
	key.dev = BPF_CORE_READ(mapping, host, i_sb, s_dev);
	f = bpf_map_lookup_elem(&files, &key);
	if (!f) {
		struct pc_file fresh = { .tgid = tgid };

		fresh.generation = BPF_CORE_READ(mapping, host, i_generation);
		bpf_get_current_comm(&fresh.comm, sizeof(fresh.comm));
		f = map__lookup_or_init(&files, &key, &fresh, &is_full);
		if (is_full)
			counter__inc(full, PC_FULL_FILES);
		if (!f)
			return;
	}
	if (f->tgid != tgid)
		f->shared = 1;
	if (stat < PC_NR_STATS)
		__sync_fetch_and_add(&f->s.v[stat], n);
}

static __always_inline bool traced(void)
{
	return !targ_tgid || (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/* Counts n pages of `stat` in the totals, and for cachetop per process and
 * per file of `mapping`. */
static __always_inline void count(enum pc_stat stat, __u64 n, struct address_space *mapping)
{
	__u32 zero = 0;
	struct pc_stats *s;

	if (!n)
		return;
	s = bpf_map_lookup_elem(&totals, &zero);
	if (s && stat < PC_NR_STATS)
		s->v[stat] += n;
	if (per_process)
		count_proc(stat, n);
	if (per_file)
		count_file(stat, n, mapping);
	if (per_cgroup)
		count_cgroup(stat, n);
}

static __always_inline struct task_state *task_state(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_state *st, zero = {};

	if (have_task_storage)
		return bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
	st = bpf_map_lookup_elem(&task_states, &tid);
	if (st)
		return st;
	bpf_map_update_elem(&task_states, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&task_states, &tid);
}

/* Clamps [first, *last] to the pages of the file (the kernel's ranges run
 * past its end); false when nothing of it is inside. `btf`: mapping is a BTF
 * pointer (tp_btf, fentry), read directly rather than with
 * bpf_probe_read_kernel() calls. */
static __always_inline bool clamp_to_file(struct address_space *mapping, __u64 first, __u64 *last,
					  bool btf)
{
	long long size = btf ? mapping->host->i_size : BPF_CORE_READ(mapping, host, i_size), end;

	if (size <= 0)
		return false;
	end = (size - 1) >> MEMSCOPE_PAGE_SHIFT;
	if (first > (__u64)end)
		return false;
	if (*last > (__u64)end)
		*last = end;
	return true;
}

/*
 * Fault ranges are counted one window late: the fentry and kprobe hooks see
 * a fault-around window at entry, before the fault's readahead (or, with
 * none, the faults on each of its pages) inserts what it maps, and an
 * interval that ended there would report as hits pages that the next one
 * reports as misses. A window's pages count when the task moves on to
 * another window, fault or read, or exits.
 */
static __always_inline void fault__flush(struct task_state *st)
{
	if (!st->pending)
		return;
	count(PC_FAULT_PAGES, st->pending, (struct address_space *)st->pend_mapping);
	st->pending = 0;
}

static __always_inline void fault__defer(struct task_state *st, __u64 n,
					 struct address_space *mapping)
{
	if (st->pend_mapping != (__u64)mapping)
		fault__flush(st);
	st->pend_mapping = (__u64)mapping;
	st->pending += n;
}

/*
 * A read asked for pages [first, last] of `mapping`. The kernel reports the
 * range of the whole request each time filemap_get_pages() returns a batch,
 * so one read() re-reports [later index, same last]; and it does not clamp
 * to the file size. Count each page once per read syscall, within the file.
 */
static __always_inline void on_read(struct address_space *mapping, __u64 first, __u64 last,
				    bool btf)
{
	struct task_state *st;
	__u64 sc;

	if (!traced() || !clamp_to_file(mapping, first, &last, btf))
		return;
	st = task_state();
	if (!st) {
		count(PC_READ_PAGES, last - first + 1, mapping);
		return;
	}
	st->last_added = 0;
	fault__flush(st);
	/* (have_task_storage: bpf_get_current_task_btf is there too, v5.11+) */
	sc = task__read_syscalls(btf && have_task_storage);
	if (st->rd_mapping == (__u64)mapping && st->rd_syscall == sc && first >= st->rd_first &&
	    first <= st->rd_last + 1) {
		if (last > st->rd_last) {
			count(PC_READ_PAGES, last - st->rd_last, mapping);
			st->rd_last = last;
		}
		return;
	}
	count(PC_READ_PAGES, last - first + 1, mapping);
	st->rd_mapping = (__u64)mapping;
	st->rd_syscall = sc;
	st->rd_first = first;
	st->rd_last = last;
}

/*
 * Page faults on file mappings. What the kernel shows is page-table
 * population, not loads: filemap_fault() asks for one page (and runs again,
 * reporting the same page, when it had to wait for I/O), and fault-around
 * (filemap_map_pages) maps the cached pages of a 16-page window around it,
 * reporting the window 2-3 times per fault. Count the union: a window's
 * pages once, a faulting page once unless its window already counted it.
 */
static __always_inline void mm__baseline(void);

/* cow: a write fault on a private mapping (see count_mapped below) */
static __always_inline void on_fault(struct address_space *mapping, __u64 index, bool cow)
{
	struct task_state *st;

	if (!traced())
		return;
	st = task_state();
	if (count_mapped) {
		/* the pages are counted when mapped (on_rss); a write fault on
		 * a private mapping maps a copy instead (anonymous memory):
		 * the file page was accessed all the same */
		mm__baseline();
		if (!st)
			return;
		st->last_added = 0;
		if (cow)
			count(PC_FAULT_PAGES, 1, mapping);
		st->cur_mapping = (__u64)mapping;
		st->cur_nonfile = 0;
		st->pf_pending = 0;
		return;
	}
	if (!st) {
		count(PC_FAULT_PAGES, 1, mapping);
		return;
	}
	st->last_added = 0;
	if (st->win_mapping == (__u64)mapping && index >= st->win_first && index <= st->win_last)
		return;
	if (st->flt_mapping == (__u64)mapping && st->flt_index == index)
		return;
	st->flt_mapping = (__u64)mapping;
	st->flt_index = index;
	fault__flush(st);
	fault__defer(st, 1, mapping);
}

static __always_inline void on_map_pages(struct address_space *mapping, __u64 first, __u64 last,
					  bool btf)
{
	struct task_state *st;
	__u64 n, lo, hi;

	if (!traced())
		return;
	if (count_mapped) {
		st = task_state();
		if (st) {
			st->last_added = 0;
			st->cur_mapping = (__u64)mapping;
			st->cur_nonfile = 0;
			st->pf_pending = 0;
		}
		return;
	}
	if (!clamp_to_file(mapping, first, &last, btf))
		return;
	n = last - first + 1;
	st = task_state();
	if (!st) {
		count(PC_FAULT_PAGES, n, mapping);
		return;
	}
	st->last_added = 0;
	if (st->win_mapping != (__u64)mapping || st->win_first != first || st->win_last != last)
		fault__flush(st);
	if (st->win_mapping == (__u64)mapping) {
		lo = first > st->win_first ? first : st->win_first;
		hi = last < st->win_last ? last : st->win_last;
		if (lo <= hi)
			n -= hi - lo + 1;
	}
	/* the faulting page was counted alone: now it is in a window */
	if (st->flt_mapping == (__u64)mapping && st->flt_index >= first && st->flt_index <= last &&
	    n) {
		n--;
		st->flt_mapping = 0;
	}
	st->win_mapping = (__u64)mapping;
	st->win_first = first;
	st->win_last = last;
	fault__defer(st, n, mapping);
}

/* A task exits: what its last fault mapped counts now (its task storage
 * goes with it). */
static __always_inline void on_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_state *st;

	if (have_task_storage)
		st = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), NULL, 0);
	else
		st = bpf_map_lookup_elem(&task_states, &tid);
	if (!st)
		return;
	if (traced())
		fault__flush(st);
	if (!have_task_storage)
		bpf_map_delete_elem(&task_states, &tid);
}

/*
 * ---- count_mapped: fault accesses from the file RSS counter ----
 * Since v6.18 fault-around maps the whole of each large folio in its window
 * (commit 357b92761d94 "mm/filemap: map entire large folio faultaround")
 * and finish_fault() the whole folio of the faulting page (commit
 * 19773df031bc "mm/fault: try to map the entire file folio in
 * finish_fault()"), while the tracepoints report only the window and the
 * page; a folio mapped with one PMD (filemap_map_pmd()) reports nothing at
 * all. Every one of these paths adds the pages it mapped to the mm's file
 * RSS counter with add_mm_counter(), which fires the rss_stat tracepoint:
 * the increase of MM_FILEPAGES since the last event is the number of file
 * pages just mapped, each page table entry once. Shared memory (tmpfs) has
 * its own counter, MM_SHMEMPAGES, and is not counted, as before.
 * The counter is a percpu_counter since v6.2 (commit f1a7941243c1 "mm:
 * convert mm's rss stats into percpu_counter"); before, each task cached its
 * updates and the tracepoint missed them: user space sets count_mapped only
 * on the percpu layout.
 */
#define MM_FILEPAGES 0		/* first of the anonymous enum of mm counters, always */
#define MAX_CPUS 1024
#define X86_PF_WRITE (1UL << 1)
#define VM_SHARED 0x8UL

struct percpu_counter___rss {
	__s64 count;
	__s32 *counters;
} __attribute__((preserve_access_index));

struct mm_struct___rss {
	struct percpu_counter___rss rss_stat[4];
} __attribute__((preserve_access_index));

/* A pointer's value as a number: the verifier allows no arithmetic on a map
 * pointer, and these are only ever read through bpf_probe_read_kernel(). */
static __always_inline __u64 ptr__bits(void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/*
 * A CPU's per-cpu offset (the kernel's __per_cpu_offset[cpu], a variable
 * that kallsyms may not name): the address of that CPU's copy of a per-CPU
 * map value less the value's per-cpu pointer, which the array map keeps in
 * struct bpf_array.
 */
static __always_inline __u64 cpu__offset(__u32 cpu)
{
	__u64 base = 0, arr = ptr__bits(&totals);
	__u32 zero = 0;
	void *mine = bpf_map_lookup_percpu_elem(&totals, &zero, cpu);

	if (!mine)
		return 0;
	bpf_probe_read_kernel(&base, sizeof(base),
			      (void *)(arr + bpf_core_field_offset(struct bpf_array, pptrs)));
	return ptr__bits(mine) - base;
}

/* percpu_counter_sum() of the mm's file pages */
static __always_inline __s64 mm__file_rss(struct mm_struct *mm)
{
	struct mm_struct___rss *m = (void *)mm;
	__s64 sum = BPF_CORE_READ(m, rss_stat[MM_FILEPAGES].count);
	__u64 pcp = (__u64)BPF_CORE_READ(m, rss_stat[MM_FILEPAGES].counters);
	__u32 cpu;

	for (cpu = 0; cpu < MAX_CPUS && cpu < nr_cpus; cpu++) {
		__u64 off = cpu__offset(cpu);
		__s32 v = 0;

		if (!off)
			break;
		bpf_probe_read_kernel(&v, sizeof(v), (void *)(pcp + off));
		sum += v;
	}
	return sum;
}

/* The current mm's counter is known from before this task maps anything. */
static __always_inline void mm__baseline(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct mm_state fresh;
	__u64 key = (__u64)mm;

	if (!mm || bpf_map_lookup_elem(&mm_states, &key))
		return;
	fresh.file_rss = mm__file_rss(mm);
	bpf_map_update_elem(&mm_states, &key, &fresh, BPF_NOEXIST);
}

struct vma_info {
	__u64 mapping;
	__u8 found, file, shared;
};

static long vma__info(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct vma_info *vi = ctx;
	struct file *f = BPF_CORE_READ(vma, vm_file);

	vi->found = 1;
	vi->file = f != NULL;
	vi->mapping = f ? (__u64)BPF_CORE_READ(f, f_mapping) : 0;
	vi->shared = !!(BPF_CORE_READ(vma, vm_flags) & VM_SHARED);
	return 0;
}

/* The vma of the current fault's address; false when it cannot be known
 * (no fault address, or the mm is busy). */
static __always_inline bool fault__vma(struct task_state *st, struct vma_info *vi)
{
	__builtin_memset(vi, 0, sizeof(*vi));
	if (!st->pf_pending)
		return false;
	st->pf_pending = 0;
	bpf_find_vma(bpf_get_current_task_btf(), st->pf_addr, vma__info, vi, 0);
	return vi->found;
}

/* A write fault on a private file mapping copies the file page: from the
 * faulting address where the hook sees no vm_fault (the tracepoints; their
 * kernels have bpf_find_vma, which the fentry and kprobe programs must not
 * call: v5.10 cannot load a program with a callback). */
static __always_inline bool fault__cow_by_addr(void)
{
	struct task_state *st;
	struct vma_info vi;

	if (!count_mapped || !traced())
		return false;
	st = task_state();
	return st && st->pf_write && fault__vma(st, &vi) && vi.file && !vi.shared;
}

#define FAULT_FLAG_WRITE 0x1UL	/* enum fault_flag, bit 0 since it was a #define */

static __always_inline bool vmf__cow(struct vm_fault *vmf)
{
	return count_mapped && (BPF_CORE_READ(vmf, flags) & FAULT_FLAG_WRITE) &&
	       !(BPF_CORE_READ(vmf, vma, vm_flags) & VM_SHARED);
}

/* exceptions:page_fault_user, x86: a fault begins; its file is looked up
 * only if it maps file pages. */
static __always_inline void on_fault_entry(unsigned long address, unsigned long error_code)
{
	struct task_state *st;

	if (!count_mapped || !traced())
		return;
	mm__baseline();
	st = task_state();
	if (!st)
		return;
	st->pf_addr = address;
	st->pf_write = !!(error_code & X86_PF_WRITE);
	st->pf_pending = 1;
}

static __always_inline void on_rss(struct mm_struct *mm, int member)
{
	struct task_struct *task;
	struct task_state *st;
	struct mm_state *ms;
	struct vma_info vi;
	__u64 key = (__u64)mm;
	__s64 now, delta;

	if (!count_mapped || member != MM_FILEPAGES)
		return;
	/* every change is followed, also by other tasks (reclaim, exit), so
	 * that an increase is the pages just mapped */
	ms = bpf_map_lookup_elem(&mm_states, &key);
	if (!ms)
		return;
	now = mm__file_rss(mm);
	delta = now - __sync_lock_test_and_set(&ms->file_rss, now);
	task = (struct task_struct *)bpf_get_current_task();
	if (delta <= 0 || BPF_CORE_READ(task, mm) != mm || !traced())
		return;
	st = task_state();
	if (!st) {
		count(PC_FAULT_PAGES, delta, NULL);
		return;
	}
	st->last_added = 0;
	if (fault__vma(st, &vi)) {
		st->cur_mapping = vi.mapping;
		st->cur_nonfile = !vi.file;
	}
	/* file pages of mappings with no file (the vDSO's) are no page cache */
	if (!st->cur_nonfile)
		count(PC_FAULT_PAGES, delta, (struct address_space *)st->cur_mapping);
}

static __always_inline void on_add(void *folio, __u64 nr, struct address_space *mapping)
{
	struct task_state *st;

	if (!traced())
		return;
	count(PC_ADDED, nr, mapping);
	st = task_state();
	if (st)
		st->last_added = (__u64)folio;
}

/*
 * A folio went from clean to dirty. When it is the folio this task inserted
 * last, with no read or fault in between, a write created it
 * (write_begin adds it, write_end dirties it): a dirty page, not a miss.
 */
static __always_inline void on_dirty(void *folio, __u64 nr, struct address_space *mapping)
{
	struct task_state *st;

	if (!traced())
		return;
	count(PC_DIRTIED, nr, mapping);
	st = task_state();
	if (st && st->last_added == (__u64)folio) {
		count(PC_ADDED_BY_WRITE, nr, mapping);
		st->last_added = 0;
	}
}

/*
 * The programs: for a tracepoint, one tp_btf and one raw_tp program; for a
 * kernel function, one fentry and one kprobe program; each calls the same
 * handler (bpf/probe.bpf.h). user/pagecache.c lists them as candidates, in
 * order.
 */

/* ---- v6.12+: the filemap access tracepoints (commit b6273b55d885 "filemap: add trace
 * events for get_pages, map_pages, and fault") ---- */

TP_BTF_PROG(get_pages, mm_filemap_get_pages, on_read(mapping, index, last, true),
	    struct address_space *mapping, unsigned long index, unsigned long last)
RAW_TP_PROG(get_pages, mm_filemap_get_pages, on_read(mapping, index, last, false),
	    struct address_space *mapping, unsigned long index, unsigned long last)
TRACEPOINT_PROGS(fault, mm_filemap_fault, on_fault(mapping, index, fault__cow_by_addr()),
		 struct address_space *mapping, unsigned long index)
TP_BTF_PROG(map_pages, mm_filemap_map_pages, on_map_pages(mapping, first, last, true),
	    struct address_space *mapping, unsigned long first, unsigned long last)
RAW_TP_PROG(map_pages, mm_filemap_map_pages, on_map_pages(mapping, first, last, false),
	    struct address_space *mapping, unsigned long first, unsigned long last)

/* ---- a task exits (the argument list grew in v6.16, commit 3e816361e94a
 * "sched/tracepoints: Move and extend the sched_process_exit() tracepoint";
 * only the first is used) ---- */

TRACEPOINT_PROGS(exit, sched_process_exit, on_exit(), struct task_struct *p)

/* ---- count_mapped: file pages mapped (v6.2+ layout), and the faulting
 * address (x86) to tell which file they belong to ---- */

TRACEPOINT_PROGS(rss, rss_stat, on_rss(mm, member), struct mm_struct *mm, int member)
TP_BTF_PROG(fault_entry, page_fault_user, on_fault_entry(address, error_code),
	    unsigned long address, struct pt_regs *regs, unsigned long error_code)

/* ---- insertions: a tracepoint since v4.14; its argument became a folio in
 * v5.16. Before, a struct page, and page-cache THPs were shmem-only: one
 * page each. ---- */

TRACEPOINT_PROGS(add, mm_filemap_add_to_page_cache, on_add(folio, folio__nr_pages(folio), BPF_CORE_READ(folio, mapping)),
		 struct folio *folio)
TRACEPOINT_PROGS(add_page, mm_filemap_add_to_page_cache, on_add(page, 1, BPF_CORE_READ(page, mapping)), struct page *page)

/* ---- dirtying: writeback_dirty_folio since v5.16 (commit b9b0ff61eef5
 * "mm/writeback: Convert tracing writeback_page_template to folios"); before,
 * writeback_dirty_page, fired in account_page_dirtied() ---- */

TRACEPOINT_PROGS(dirty, writeback_dirty_folio, on_dirty(folio, folio__nr_pages(folio), mapping),
		 struct folio *folio, struct address_space *mapping)
TRACEPOINT_PROGS(dirty_page, writeback_dirty_page, on_dirty(page, 1, mapping), struct page *page,
		 struct address_space *mapping)

/*
 * ---- v5.11..v6.11: no filemap access tracepoints ----
 * filemap_get_pages() (split out of generic_file_buffered_read in v5.11)
 * sees the same request as the v6.12 tracepoint, at entry instead of after
 * the batch: [ki_pos, ki_pos + count) of iocb->ki_filp. Its second argument
 * was the iov_iter up to v6.2 and is the byte count from v6.3 (commit
 * dd5b9d003ebc "mm: Pass info, not iter, into filemap_get_pages()"); user/probe
 * picks the program whose BTF argument types match the running kernel.
 */
static __always_inline void read_request(struct kiocb *iocb, __u64 count, bool btf)
{
	long long pos = btf ? iocb->ki_pos : BPF_CORE_READ(iocb, ki_pos);

	if (!count || pos < 0)
		return;
	on_read(btf ? iocb->ki_filp->f_mapping : BPF_CORE_READ(iocb, ki_filp, f_mapping),
		pos >> MEMSCOPE_PAGE_SHIFT, (pos + count - 1) >> MEMSCOPE_PAGE_SHIFT, btf);
}

/* The fentry programs' arguments are BTF pointers, the kprobe programs' (a
 * struct pt_regs context) plain numbers. */
#define BTF_ARGS (!__builtin_types_compatible_p(__typeof__(ctx), struct pt_regs *))
#define ITER_COUNT(iter) (BTF_ARGS ? (iter)->count : BPF_CORE_READ(iter, count))

FUNCTION_PROGS(get_pages_iter, filemap_get_pages, read_request(iocb, ITER_COUNT(iter), BTF_ARGS),
	       struct kiocb *iocb, struct iov_iter *iter)
FUNCTION_PROGS(get_pages_count, filemap_get_pages, read_request(iocb, count, BTF_ARGS),
	       struct kiocb *iocb, size_t count)

/* Up to v5.10, filemap_get_pages() was part of generic_file_buffered_read(),
 * called once per read (per pipe-sized chunk for sendfile and splice) with
 * the same (kiocb, iov_iter) request: counted the same way, exact here too. */
FUNCTION_PROGS(buffered_read, generic_file_buffered_read,
	       read_request(iocb, ITER_COUNT(iter), BTF_ARGS), struct kiocb *iocb,
	       struct iov_iter *iter)

/* Last resort, what bcc counts: mark_page_accessed() calls. Approximate:
 * writes to cached pages call it too, a page read twice within one read() is
 * counted twice, and unmapping a file page its mapping had accessed calls it
 * again (zap_pte_range, at munmap and exit): measured on 5.10, a warm read of
 * 2560 pages counted 3075 and an mmap scan 2560 faults + 3075 such calls. */
static __always_inline void page_accessed(struct page *page)
{
	struct address_space *mapping = BPF_CORE_READ(page, mapping);

	/* anonymous pages carry PAGE_MAPPING_ANON (bit 0) in ->mapping */
	if (!mapping || ((unsigned long)mapping & 1))
		return;
	if (traced())
		count(PC_READ_PAGES, 1, mapping);
}

FUNCTION_PROGS(mark_accessed, mark_page_accessed, page_accessed(page), struct page *page)

static __always_inline struct address_space *vmf_mapping(struct vm_fault *vmf)
{
	return BPF_CORE_READ(vmf, vma, vm_file, f_mapping);
}

FUNCTION_PROGS(fault, filemap_fault,
	       on_fault(vmf_mapping(vmf), BPF_CORE_READ(vmf, pgoff), vmf__cow(vmf)),
	       struct vm_fault *vmf)
/* At entry, before the kernel knows which pages are cached: the window is
 * counted even when fault-around maps nothing (the tracepoint skips those).
 * btf false: the mapping comes from vmf_mapping()'s probe reads, a plain
 * pointer to the verifier even where the program is BTF-typed (fentry). */
FUNCTION_PROGS(map_pages, filemap_map_pages, on_map_pages(vmf_mapping(vmf), first, last, false),
	       struct vm_fault *vmf, unsigned long first, unsigned long last)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
