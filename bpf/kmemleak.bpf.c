// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * memleak, kernel mode: outstanding kernel allocations from the kmem
 * tracepoints. Every tracepoint here has the allocated pointer as its second
 * argument on every kernel since v4.x, so the handlers read arguments by
 * position; where an argument changed (v6.1's "mm/slab_common: drop
 * kmem_alloc & avoid dereferencing fields when not using" made
 * kmem_cache_alloc's third argument the cache), each layout has its own
 * program and user/probe picks the one whose BTF signature matches.
 * v6.1 also folded kmalloc_node and kmem_cache_alloc_node into kmalloc and
 * kmem_cache_alloc: those events are optional.
 * The slab and percpu events pass the object as `const void *`, which v6.1's
 * verifier refuses to read in tp_btf programs ("arg1 type UNKNOWN is not a
 * struct"): they are raw_tp only, as fast and as stable.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.bpf.h"

const volatile __u64 min_size;
const volatile __u64 max_size = ~0ULL;
const volatile __u32 sample_rate = 1;
const volatile __u32 page_size = 4096;

static __always_inline int ml__alloc(void *ctx, __u64 addr, __u64 size)
{
	if (!addr || size < min_size || size > max_size)
		return 0;
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return 0;
	ml__record(ctx, addr, size, 0);
	return 0;
}

static __always_inline int ml__kfree(__u64 addr)
{
	if (addr)
		ml__free(addr);
	return 0;
}

/* kmalloc(call_site, ptr, bytes_req, bytes_alloc, ...): every version */
SEC("raw_tp/kmalloc")
int kmalloc_raw(u64 *ctx) { return ml__alloc(ctx, ctx[1], ctx[3]); }
/* before v6.1 */
SEC("raw_tp/kmalloc_node")
int kmalloc_node_raw(u64 *ctx) { return ml__alloc(ctx, ctx[1], ctx[3]); }

/* v6.1+: kmem_cache_alloc(call_site, ptr, struct kmem_cache *s, ...) */
static __always_inline int ml__cache_alloc(void *ctx, __u64 addr, struct kmem_cache *s)
{
	return ml__alloc(ctx, addr, BPF_CORE_READ(s, size));
}
SEC("raw_tp/kmem_cache_alloc")
int cache_alloc_raw(u64 *ctx) { return ml__cache_alloc(ctx, ctx[1], (void *)ctx[2]); }
/* before v6.1: kmem_cache_alloc(call_site, ptr, bytes_req, bytes_alloc, gfp) */
SEC("raw_tp/kmem_cache_alloc")
int cache_alloc_old_raw(u64 *ctx) { return ml__alloc(ctx, ctx[1], ctx[3]); }
SEC("raw_tp/kmem_cache_alloc_node")
int cache_alloc_node_raw(u64 *ctx) { return ml__alloc(ctx, ctx[1], ctx[3]); }

/* kfree(call_site, ptr); kmem_cache_free(call_site, ptr[, name or cache]) */
SEC("raw_tp/kfree")
int kfree_raw(u64 *ctx) { return ml__kfree(ctx[1]); }
SEC("raw_tp/kmem_cache_free")
int cache_free_raw(u64 *ctx) { return ml__kfree(ctx[1]); }

/* mm_page_alloc(page, order, gfp, migratetype), mm_page_free(page, order):
 * keyed by the struct page pointer, which no slab object shares */
SEC("tp_btf/mm_page_alloc")
int page_alloc_btf(u64 *ctx) { return ml__alloc(ctx, ctx[0], (__u64)page_size << (__u32)ctx[1]); }
SEC("raw_tp/mm_page_alloc")
int page_alloc_raw(u64 *ctx) { return ml__alloc(ctx, ctx[0], (__u64)page_size << (__u32)ctx[1]); }
SEC("tp_btf/mm_page_free")
int page_free_btf(u64 *ctx) { return ml__kfree(ctx[0]); }
SEC("raw_tp/mm_page_free")
int page_free_raw(u64 *ctx) { return ml__kfree(ctx[0]); }

/* since "percpu: add call_site to percpu_alloc_percpu" (v5.19/v6.0): percpu_alloc_percpu(call_site,
 * reserved, is_atomic, size, align, base_addr, off, ptr, ...) */
SEC("raw_tp/percpu_alloc_percpu")
int percpu_alloc_raw(u64 *ctx) { return ml__alloc(ctx, ctx[7], ctx[3]); }
/* before: percpu_alloc_percpu(reserved, is_atomic, size, align, base_addr, off, ptr) */
SEC("raw_tp/percpu_alloc_percpu")
int percpu_alloc_old_raw(u64 *ctx) { return ml__alloc(ctx, ctx[6], ctx[2]); }
/* percpu_free_percpu(base_addr, off, ptr) */
SEC("raw_tp/percpu_free_percpu")
int percpu_free_raw(u64 *ctx) { return ml__kfree(ctx[2]); }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
