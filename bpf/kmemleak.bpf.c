// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * memleak, kernel mode: outstanding kernel allocations from the kmem
 * tracepoints. Every tracepoint here has the allocated pointer as its second
 * argument on every kernel since v4.x, so the handlers read arguments by
 * position; where an argument changed (v6.1, commit 2c1d697fb8ba
 * "mm/slab_common: drop kmem_alloc & avoid dereferencing fields when not
 * using", made kmem_cache_alloc's third argument the cache), each layout has
 * its own program and user/probe picks the one whose BTF signature matches.
 * v6.1 also folded kmalloc_node and kmem_cache_alloc_node into kmalloc and
 * kmem_cache_alloc (commit 11e9734bcb6a "mm/slab_common: unify NUMA and UMA
 * version of tracepoints"): those events are optional.
 * The slab and percpu events pass the object as `const void *`, which v6.1's
 * verifier refuses to read in tp_btf programs ("arg1 type UNKNOWN is not a
 * struct"): they are raw_tp only, as fast and as stable.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.bpf.h"
#include "probe.bpf.h"

const volatile __u64 min_size;
const volatile __u64 max_size = ~0ULL;
const volatile __u32 sample_rate = 1;
const volatile __u32 page_size = 4096;

STACK_SCRATCH_MAP(scratch);

static __always_inline void ml__alloc(void *ctx, __u64 addr, __u64 size)
{
	struct stack_frames *buf;

	if (!addr || size < min_size || size > max_size)
		return;
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return;
	buf = stack__scratch_get(&scratch);
	ml__record(addr, size, buf ? stack__read(ctx, buf, 0) : 0, buf);
	if (buf)
		stack__scratch_put(&scratch);
}

static __always_inline void ml__kfree(__u64 addr)
{
	if (addr)
		ml__free(addr);
}

/* kmalloc(call_site, ptr, bytes_req, bytes_alloc, ...): every version */
RAW_TP_PROG(kmalloc, kmalloc, ml__alloc(ctx, ctx[1], ctx[3]))
/* before v6.1 */
RAW_TP_PROG(kmalloc_node, kmalloc_node, ml__alloc(ctx, ctx[1], ctx[3]))

/* v6.1+: kmem_cache_alloc(call_site, ptr, struct kmem_cache *s, ...) */
static __always_inline void ml__cache_alloc(void *ctx, __u64 addr, struct kmem_cache *s)
{
	ml__alloc(ctx, addr, BPF_CORE_READ(s, size));
}
RAW_TP_PROG(cache_alloc, kmem_cache_alloc, ml__cache_alloc(ctx, ctx[1], (void *)ctx[2]))
/* before v6.1: kmem_cache_alloc(call_site, ptr, bytes_req, bytes_alloc, gfp) */
RAW_TP_PROG(cache_alloc_old, kmem_cache_alloc, ml__alloc(ctx, ctx[1], ctx[3]))
RAW_TP_PROG(cache_alloc_node, kmem_cache_alloc_node, ml__alloc(ctx, ctx[1], ctx[3]))

/* kfree(call_site, ptr); kmem_cache_free(call_site, ptr[, name or cache]) */
RAW_TP_PROG(kfree, kfree, ml__kfree(ctx[1]))
RAW_TP_PROG(cache_free, kmem_cache_free, ml__kfree(ctx[1]))

/* mm_page_alloc(page, order, gfp, migratetype), mm_page_free(page, order):
 * keyed by the struct page pointer, which no slab object shares */
TRACEPOINT_PROGS(page_alloc, mm_page_alloc,
		 ml__alloc(ctx, ctx[0], (__u64)page_size << (__u32)ctx[1]))
TRACEPOINT_PROGS(page_free, mm_page_free, ml__kfree(ctx[0]))

/* since v5.19 (commit f67bed134a05 "percpu: improve percpu_alloc_percpu event trace"):
 * percpu_alloc_percpu(call_site, reserved, is_atomic, size, align, base_addr, off, ptr, ...) */
RAW_TP_PROG(percpu_alloc, percpu_alloc_percpu, ml__alloc(ctx, ctx[7], ctx[3]))
/* before: percpu_alloc_percpu(reserved, is_atomic, size, align, base_addr, off, ptr) */
RAW_TP_PROG(percpu_alloc_old, percpu_alloc_percpu, ml__alloc(ctx, ctx[6], ctx[2]))
/* percpu_free_percpu(base_addr, off, ptr) */
RAW_TP_PROG(percpu_free, percpu_free_percpu, ml__kfree(ctx[2]))

char LICENSE[] SEC("license") = "Dual BSD/GPL";
