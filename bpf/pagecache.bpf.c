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
#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "probe.bpf.h"
#include "pagecache.h"

const volatile __u32 targ_tgid;		/* 0: every process */
const volatile bool per_process;	/* fill `procs` (cachetop) */
const volatile bool per_file;		/* fill `files` (cachetop -f) */

/* Per-task memory between events: the read range already counted in the
 * current read syscall, the last folio this task inserted, its last fault
 * and fault-around window. */
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
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
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

COUNTERS_MAP(full, PC_NR_FULL);

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
}

static __always_inline struct task_state *task_state(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_state *st = bpf_map_lookup_elem(&task_states, &tid);
	struct task_state zero = {};

	if (st)
		return st;
	bpf_map_update_elem(&task_states, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&task_states, &tid);
}

/* Clamps [first, *last] to the pages of the file (the kernel's ranges run
 * past its end); false when nothing of it is inside. */
static __always_inline bool clamp_to_file(struct address_space *mapping, __u64 first, __u64 *last)
{
	long long size = BPF_CORE_READ(mapping, host, i_size), end;

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
 * A read asked for pages [first, last] of `mapping`. The kernel reports the
 * range of the whole request each time filemap_get_pages() returns a batch,
 * so one read() re-reports [later index, same last]; and it does not clamp
 * to the file size. Count each page once per read syscall, within the file.
 */
static __always_inline void on_read(struct address_space *mapping, __u64 first, __u64 last)
{
	struct task_state *st;
	__u64 sc;

	if (!traced() || !clamp_to_file(mapping, first, &last))
		return;
	st = task_state();
	if (!st) {
		count(PC_READ_PAGES, last - first + 1, mapping);
		return;
	}
	st->last_added = 0;
	sc = task__read_syscalls((struct task_struct *)bpf_get_current_task());
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
static __always_inline void on_fault(struct address_space *mapping, __u64 index)
{
	struct task_state *st;

	if (!traced())
		return;
	st = task_state();
	if (st) {
		st->last_added = 0;
		if (st->win_mapping == (__u64)mapping && index >= st->win_first &&
		    index <= st->win_last)
			return;
		if (st->flt_mapping == (__u64)mapping && st->flt_index == index)
			return;
		st->flt_mapping = (__u64)mapping;
		st->flt_index = index;
	}
	count(PC_FAULT_PAGES, 1, mapping);
}

static __always_inline void on_map_pages(struct address_space *mapping, __u64 first, __u64 last)
{
	struct task_state *st;
	__u64 n, lo, hi;

	if (!traced() || !clamp_to_file(mapping, first, &last))
		return;
	n = last - first + 1;
	st = task_state();
	if (st) {
		st->last_added = 0;
		if (st->win_mapping == (__u64)mapping) {
			lo = first > st->win_first ? first : st->win_first;
			hi = last < st->win_last ? last : st->win_last;
			if (lo <= hi)
				n -= hi - lo + 1;
		}
		/* the faulting page was counted alone: now it is in a window */
		if (st->flt_mapping == (__u64)mapping && st->flt_index >= first &&
		    st->flt_index <= last && n) {
			n--;
			st->flt_mapping = 0;
		}
		st->win_mapping = (__u64)mapping;
		st->win_first = first;
		st->win_last = last;
	}
	count(PC_FAULT_PAGES, n, mapping);
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

/* ---- v6.12+: the filemap access tracepoints ---- */

TRACEPOINT_PROGS(get_pages, mm_filemap_get_pages, on_read(mapping, index, last),
		 struct address_space *mapping, unsigned long index, unsigned long last)
TRACEPOINT_PROGS(fault, mm_filemap_fault, on_fault(mapping, index),
		 struct address_space *mapping, unsigned long index)
TRACEPOINT_PROGS(map_pages, mm_filemap_map_pages, on_map_pages(mapping, first, last),
		 struct address_space *mapping, unsigned long first, unsigned long last)

/* ---- insertions: a tracepoint since v4.14; its argument became a folio in
 * v5.16. Before, a struct page, and page-cache THPs were shmem-only: one
 * page each. ---- */

TRACEPOINT_PROGS(add, mm_filemap_add_to_page_cache, on_add(folio, folio__nr_pages(folio), BPF_CORE_READ(folio, mapping)),
		 struct folio *folio)
TRACEPOINT_PROGS(add_page, mm_filemap_add_to_page_cache, on_add(page, 1, BPF_CORE_READ(page, mapping)), struct page *page)

/* ---- dirtying: writeback_dirty_folio since v5.17; before, writeback_dirty_page,
 * fired in account_page_dirtied() ---- */

TRACEPOINT_PROGS(dirty, writeback_dirty_folio, on_dirty(folio, folio__nr_pages(folio), mapping),
		 struct folio *folio, struct address_space *mapping)
TRACEPOINT_PROGS(dirty_page, writeback_dirty_page, on_dirty(page, 1, mapping), struct page *page,
		 struct address_space *mapping)

/*
 * ---- v5.11..v6.11: no filemap access tracepoints ----
 * filemap_get_pages() (split out of generic_file_buffered_read in v5.11)
 * sees the same request as the v6.12 tracepoint, at entry instead of after
 * the batch: [ki_pos, ki_pos + count) of iocb->ki_filp. Its second argument
 * was the iov_iter up to v6.4 and the byte count from about v6.5; user/probe
 * picks the program whose BTF argument types match the running kernel.
 */
static __always_inline void read_request(struct kiocb *iocb, __u64 count)
{
	long long pos = BPF_CORE_READ(iocb, ki_pos);

	if (!count || pos < 0)
		return;
	on_read(BPF_CORE_READ(iocb, ki_filp, f_mapping), pos >> MEMSCOPE_PAGE_SHIFT,
		(pos + count - 1) >> MEMSCOPE_PAGE_SHIFT);
}

FUNCTION_PROGS(get_pages_iter, filemap_get_pages, read_request(iocb, BPF_CORE_READ(iter, count)),
	       struct kiocb *iocb, struct iov_iter *iter)
FUNCTION_PROGS(get_pages_count, filemap_get_pages, read_request(iocb, count),
	       struct kiocb *iocb, size_t count)

/* Up to v5.10, filemap_get_pages() was part of generic_file_buffered_read(),
 * called once per read (per pipe-sized chunk for sendfile and splice) with
 * the same (kiocb, iov_iter) request: counted the same way, exact here too. */
FUNCTION_PROGS(buffered_read, generic_file_buffered_read,
	       read_request(iocb, BPF_CORE_READ(iter, count)), struct kiocb *iocb,
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

FUNCTION_PROGS(fault, filemap_fault, on_fault(vmf_mapping(vmf), BPF_CORE_READ(vmf, pgoff)),
	       struct vm_fault *vmf)
/* At entry, before the kernel knows which pages are cached: the window is
 * counted even when fault-around maps nothing (the tracepoint skips those). */
FUNCTION_PROGS(map_pages, filemap_map_pages, on_map_pages(vmf_mapping(vmf), first, last),
	       struct vm_fault *vmf, unsigned long first, unsigned long last)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
