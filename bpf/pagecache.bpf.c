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
#include "pagecache.h"

const volatile __u32 targ_tgid;		/* 0: every process */

/* Per-task memory between events: the read range already counted in the
 * current read syscall, the last folio this task inserted, its last fault. */
struct task_state {
	__u64 rd_mapping;
	__u64 rd_syscall;
	__u64 rd_first;
	__u64 rd_last;
	__u64 last_added;
	__u64 flt_mapping;
	__u64 flt_index;
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

static __always_inline bool traced(void)
{
	return !targ_tgid || (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

static __always_inline void count(enum pc_stat stat, __u64 n)
{
	__u32 zero = 0;
	struct pc_stats *s = bpf_map_lookup_elem(&totals, &zero);

	if (s && stat < PC_NR_STATS)
		s->v[stat] += n;
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

/* Index of the last page of the file, or -1 when it is empty. */
static __always_inline long long last_page(struct address_space *mapping)
{
	long long size = BPF_CORE_READ(mapping, host, i_size);

	return size > 0 ? (size - 1) >> MEMSCOPE_PAGE_SHIFT : -1;
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
	long long end;
	__u64 sc;

	if (!traced())
		return;
	end = last_page(mapping);
	if (end < 0 || first > (__u64)end)
		return;
	if (last > (__u64)end)
		last = end;
	st = task_state();
	if (!st) {
		count(PC_READ_PAGES, last - first + 1);
		return;
	}
	st->last_added = 0;
	sc = task__read_syscalls((struct task_struct *)bpf_get_current_task());
	if (st->rd_mapping == (__u64)mapping && st->rd_syscall == sc && first >= st->rd_first &&
	    first <= st->rd_last + 1) {
		if (last > st->rd_last) {
			count(PC_READ_PAGES, last - st->rd_last);
			st->rd_last = last;
		}
		return;
	}
	count(PC_READ_PAGES, last - first + 1);
	st->rd_mapping = (__u64)mapping;
	st->rd_syscall = sc;
	st->rd_first = first;
	st->rd_last = last;
}

/*
 * filemap_fault() asked for page `index`. A fault that had to wait for I/O
 * returns VM_FAULT_RETRY and the whole fault runs again, reporting the same
 * page twice: count a repeat of the task's previous fault once.
 */
static __always_inline void on_fault(struct address_space *mapping, __u64 index)
{
	struct task_state *st;

	if (!traced())
		return;
	st = task_state();
	if (st) {
		st->last_added = 0;
		if (st->flt_mapping == (__u64)mapping && st->flt_index == index)
			return;
		st->flt_mapping = (__u64)mapping;
		st->flt_index = index;
	}
	count(PC_FAULT_PAGES, 1);
}

/* Fault-around mapped the cached pages of [first, last] around a fault. */
static __always_inline void on_map_pages(struct address_space *mapping, __u64 first, __u64 last)
{
	long long end;

	if (!traced())
		return;
	end = last_page(mapping);
	if (end < 0 || first > (__u64)end)
		return;
	if (last > (__u64)end)
		last = end;
	count(PC_FAULT_PAGES, last - first + 1);
}

static __always_inline void on_add(void *folio, __u64 nr)
{
	struct task_state *st;

	if (!traced())
		return;
	count(PC_ADDED, nr);
	st = task_state();
	if (st)
		st->last_added = (__u64)folio;
}

/*
 * A folio went from clean to dirty. When it is the folio this task inserted
 * last, with no read or fault in between, a write created it
 * (write_begin adds it, write_end dirties it): a dirty page, not a miss.
 */
static __always_inline void on_dirty(void *folio, __u64 nr)
{
	struct task_state *st;

	if (!traced())
		return;
	count(PC_DIRTIED, nr);
	st = task_state();
	if (st && st->last_added == (__u64)folio) {
		count(PC_ADDED_BY_WRITE, nr);
		st->last_added = 0;
	}
}

/* ---- v6.12+: the filemap access tracepoints ---- */

SEC("tp_btf/mm_filemap_get_pages")
int BPF_PROG(get_pages_btf, struct address_space *mapping, unsigned long index, unsigned long last)
{
	on_read(mapping, index, last);
	return 0;
}

SEC("raw_tp/mm_filemap_get_pages")
int BPF_PROG(get_pages_raw, struct address_space *mapping, unsigned long index, unsigned long last)
{
	on_read(mapping, index, last);
	return 0;
}

SEC("tp_btf/mm_filemap_fault")
int BPF_PROG(fault_btf, struct address_space *mapping, unsigned long index)
{
	on_fault(mapping, index);
	return 0;
}

SEC("raw_tp/mm_filemap_fault")
int BPF_PROG(fault_raw, struct address_space *mapping, unsigned long index)
{
	on_fault(mapping, index);
	return 0;
}

SEC("tp_btf/mm_filemap_map_pages")
int BPF_PROG(map_pages_btf, struct address_space *mapping, unsigned long first, unsigned long last)
{
	on_map_pages(mapping, first, last);
	return 0;
}

SEC("raw_tp/mm_filemap_map_pages")
int BPF_PROG(map_pages_raw, struct address_space *mapping, unsigned long first, unsigned long last)
{
	on_map_pages(mapping, first, last);
	return 0;
}

/* ---- insertions: a tracepoint since v4.14; its argument became a folio in v5.16 ---- */

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(add_btf, struct folio *folio)
{
	on_add(folio, folio__nr_pages(folio));
	return 0;
}

SEC("raw_tp/mm_filemap_add_to_page_cache")
int BPF_PROG(add_raw, struct folio *folio)
{
	on_add(folio, folio__nr_pages(folio));
	return 0;
}

/* ---- dirtying: writeback_dirty_folio since v5.17 (writeback_dirty_page before) ---- */

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(dirty_btf, struct folio *folio, struct address_space *mapping)
{
	on_dirty(folio, folio__nr_pages(folio));
	return 0;
}

SEC("raw_tp/writeback_dirty_folio")
int BPF_PROG(dirty_raw, struct folio *folio, struct address_space *mapping)
{
	on_dirty(folio, folio__nr_pages(folio));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
