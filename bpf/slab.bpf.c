// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Slab allocations and frees per cache for slabratetop, aggregated in the
 * kernel: a per-CPU hash keyed by the cache. The kmem_cache_alloc and
 * kmem_cache_free tracepoints carry the struct kmem_cache since v6.1
 * (commit 2c1d697fb8ba "mm/slab_common: drop kmem_alloc & avoid
 * dereferencing fields when not using"; kmem_cache_alloc_node and the NUMA
 * variants fold into them in commit 11e9734bcb6a "mm/slab_common: unify
 * NUMA and UMA version of tracepoints"). kmalloc gives bytes_alloc and gfp
 * flags only, so it is keyed by its kmalloc-N cache's size and type; kfree
 * gives only the pointer, so live kmalloc objects are remembered (bounded,
 * a full table counted) to match their frees.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cgroup.bpf.h"
#include "maps.bpf.h"
#include "probe.bpf.h"
#include "stack.bpf.h"
#include "slab.abi.h"

const volatile __u32 targ_tgid;		/* 0: every process */
/* --stacks: the cache by name (a kmem_cache's) or by kmalloc key */
const volatile bool targ_stacks;
const volatile char targ_stack_name[SLAB_NAME_LEN];
const volatile __u64 targ_stack_key;

/* gfp bits, unchanged since v4.x (include/linux/gfp_types.h) */
#define GFP_DMA_BIT (1U << 0)
#define GFP_RECLAIMABLE_BIT (1U << 4)
#define GFP_ACCOUNT_BIT (1U << 22)
/* KMALLOC_MAX_CACHE_SIZE for SLUB: two pages */
#define KMALLOC_MAX_CACHE (2U << MEMSCOPE_PAGE_SHIFT)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SLAB_DEFAULT_MAX_CACHES);
	__type(key, __u64);
	__type(value, struct slab_stats);
} caches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLAB_DEFAULT_MAX_LIVE);
	__type(key, __u64);	/* the object */
	__type(value, __u64);	/* its cache key */
} live SEC(".maps");

/* --stacks only (max_entries 1 otherwise): object -> the key it counts in */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLAB_DEFAULT_MAX_STACK_OBJS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct slab_stack_key);
} stack_objs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLAB_DEFAULT_MAX_STACKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct slab_stack_key);
	__type(value, struct slab_stack);
} stack_live SEC(".maps");

STACKS_MAP(stackmap, SLAB_DEFAULT_MAX_STACKS);
STACK_SCRATCH_MAP(scratch);

COUNTERS_MAP(full, SLAB_NR_COUNTERS);

/* an empty value to insert: a per-CPU hash value is too big for the stack
 * of every caller to hold twice */
struct slab_stats zero_stats;

static __always_inline bool traced(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	return current__in_cgroup();
}

static __always_inline struct slab_stats *stats_of(__u64 key)
{
	struct slab_stats *st = bpf_map_lookup_elem(&caches, &key);
	long err;

	if (st)
		return st;
	err = bpf_map_update_elem(&caches, &key, &zero_stats, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		counter__inc(full, SLAB_FULL_CACHES);
		return NULL;
	}
	return bpf_map_lookup_elem(&caches, &key);
}

static __always_inline bool is_stack_name(const char *name)
{
	int i;

	for (i = 0; i < SLAB_NAME_LEN; i++) {
		if (name[i] != targ_stack_name[i])
			return false;
		if (!name[i])
			return true;
	}
	return true;
}

/* An insert gives every CPU a zeroed value: each fills in its own copy. */
static __always_inline void stats_fill(struct slab_stats *st, const struct kmem_cache *s,
				       __u64 key, __u32 size)
{
	if (st->size)
		return;
	if (s) {
		const char *name = BPF_CORE_READ(s, name);

		st->size = BPF_CORE_READ(s, size);
		st->object_size = BPF_CORE_READ(s, object_size);
		bpf_probe_read_kernel_str(st->name, sizeof(st->name), name);
		st->stacked = targ_stacks && is_stack_name(st->name);
	} else {
		st->size = size;
		st->object_size = size;
		st->stacked = targ_stacks && key == targ_stack_key;
	}
}

/* --stacks: the object's key gives back its count */
static __always_inline void stack_free(__u64 obj)
{
	struct slab_stack_key *k, key;
	struct slab_stack *v;

	k = bpf_map_lookup_elem(&stack_objs, &obj);
	if (!k)
		return;
	key = *k;
	if (bpf_map_delete_elem(&stack_objs, &obj))
		return;	/* another CPU's free of it took it */
	v = bpf_map_lookup_elem(&stack_live, &key);
	if (v)
		__sync_fetch_and_add(&v->objs, -1);
}

static __always_inline void stack_alloc(void *ctx, __u64 obj, __u32 size)
{
	struct slab_stack_key key = { .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct slab_stack fresh = { .size = size }, *v;
	bool is_full;

	key.ustack = stack__save_scratch(ctx, &stackmap, &scratch, BPF_F_USER_STACK, &is_full);
	if (is_full)
		counter__inc(full, SLAB_FULL_STACKS);
	key.kstack = stack__save_scratch(ctx, &stackmap, &scratch, 0, &is_full);
	if (is_full)
		counter__inc(full, SLAB_FULL_STACKS);
	else if (!key.kstack)
		counter__inc(full, SLAB_LOST_STACKS);
	/* an object seen again without its free (freed on a path not seen)
	 * leaves its old stack first */
	stack_free(obj);
	v = bpf_map_lookup_elem(&stack_live, &key);
	if (!v) {
		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		v = map__lookup_or_init(&stack_live, &key, &fresh, &is_full);
		if (!v) {
			counter__inc(full, SLAB_FULL_STACKS);
			return;
		}
	}
	if (bpf_map_update_elem(&stack_objs, &obj, &key, BPF_NOEXIST)) {
		counter__inc(full, SLAB_FULL_STACK_OBJS);
		return;
	}
	__sync_fetch_and_add(&v->objs, 1);
}

static __always_inline void cache_alloc(void *ctx, const void *ptr, const struct kmem_cache *s)
{
	struct slab_stats *st;

	if (!ptr || !s || !traced())
		return;
	st = stats_of((__u64)s);
	if (!st)
		return;
	stats_fill(st, s, (__u64)s, 0);
	st->allocs++;
	st->alloc_bytes += st->size;
	if (targ_stacks && st->stacked)
		stack_alloc(ctx, (__u64)ptr, st->size);
}

static __always_inline void cache_free(const void *ptr, const struct kmem_cache *s)
{
	struct slab_stats *st;

	if (!ptr || !s)
		return;
	/* whoever frees it: the object was the target's when allocated */
	if (targ_stacks)
		stack_free((__u64)ptr);
	if (!traced())
		return;
	st = stats_of((__u64)s);
	if (!st)
		return;
	stats_fill(st, s, (__u64)s, 0);
	st->frees++;
	st->free_bytes += st->size;
}

static __always_inline __u64 kmalloc_key(__u64 bytes_alloc, __u32 gfp)
{
	__u64 type = SLAB_KM_NORMAL;

	/* mm/slab.h kmalloc_type(): DMA, then reclaimable, then accounted */
	if (bytes_alloc > KMALLOC_MAX_CACHE)
		type = SLAB_KM_LARGE;
	else if (gfp & GFP_DMA_BIT)
		type = SLAB_KM_DMA;
	else if (gfp & GFP_RECLAIMABLE_BIT)
		type = SLAB_KM_RCL;
	else if (gfp & GFP_ACCOUNT_BIT)
		type = SLAB_KM_CG;
	return SLAB_KMALLOC_KEY | type << 32 | (__u32)bytes_alloc;
}

static __always_inline void kmalloc_alloc(void *ctx, const void *ptr, __u64 bytes_alloc,
					  __u32 gfp)
{
	__u64 key, obj = (__u64)ptr;
	struct slab_stats *st;

	if (!ptr || !traced())
		return;
	key = kmalloc_key(bytes_alloc, gfp);
	st = stats_of(key);
	if (!st)
		return;
	stats_fill(st, NULL, key, (__u32)bytes_alloc);
	st->allocs++;
	st->alloc_bytes += bytes_alloc;
	if (bpf_map_update_elem(&live, &obj, &key, BPF_ANY))
		counter__inc(full, SLAB_FULL_LIVE);
	if (targ_stacks && st->stacked)
		stack_alloc(ctx, obj, (__u32)bytes_alloc);
}

static __always_inline void kmalloc_free(const void *ptr)
{
	__u64 obj = (__u64)ptr, *key, k;
	struct slab_stats *st;

	if (!ptr)
		return;
	/* kfree() may free an object of any cache (v6.4 documents it: "mm/slab:
	 * document kfree() as allowed for kmem_cache_alloc() objects"), and
	 * then fires kfree only */
	if (targ_stacks)
		stack_free(obj);
	/* matched even when the freeing task is not traced: the object was
	 * counted when it was allocated, so its free is the target's too */
	key = bpf_map_lookup_elem(&live, &obj);
	if (!key) {
		if (traced())
			counter__inc(full, SLAB_KFREE_UNMATCHED);
		return;
	}
	k = *key;
	bpf_map_delete_elem(&live, &obj);
	st = stats_of(k);
	if (!st)
		return;
	stats_fill(st, NULL, k, (__u32)k);
	st->frees++;
	st->free_bytes += st->size;
}

/*
 * raw_tp only: v6.1's verifier refuses a tp_btf program's read of a
 * "const void *" argument ("arg1 type UNKNOWN is not a struct", seen in the
 * 6.1 guest), which every one of these tracepoints has; 6.18 allows it.
 * raw_tp reads the same arguments, as plain words.
 */
RAW_TP_PROG(cache_alloc, kmem_cache_alloc, cache_alloc(ctx, ptr, s), unsigned long call_site,
		 const void *ptr, struct kmem_cache *s)
RAW_TP_PROG(cache_free, kmem_cache_free, cache_free(ptr, s), unsigned long call_site,
		 const void *ptr, struct kmem_cache *s)
RAW_TP_PROG(kmalloc, kmalloc, kmalloc_alloc(ctx, ptr, bytes_alloc, gfp), unsigned long call_site,
		 const void *ptr, size_t bytes_req, size_t bytes_alloc, unsigned int gfp)
/* before v6.1 kmalloc_node was its own tracepoint, same leading arguments */
RAW_TP_PROG(kmalloc_node, kmalloc_node, kmalloc_alloc(ctx, ptr, bytes_alloc, gfp),
		 unsigned long call_site, const void *ptr, size_t bytes_req, size_t bytes_alloc,
		 unsigned int gfp)
RAW_TP_PROG(kfree, kfree, kmalloc_free(ptr), unsigned long call_site, const void *ptr)

/*
 * kmem_cache_alloc_bulk and kmem_cache_free_bulk fire no tracepoint on any
 * version: hooked where fentry works, they count (ALLOCS, FREES) but name
 * no object, so a bulk-freed kmalloc object or --stacks object stays
 * counted live. Their "void **" argument is refused by the verifier before
 * v6.x in fentry programs, so it is not read: ctx by position.
 * kfree_bulk() is kmem_cache_free_bulk(NULL, ...): objects of any cache,
 * counted as lost.
 */
static __always_inline void bulk_count(const struct kmem_cache *s, long n, bool alloc)
{
	struct slab_stats *st;

	if (n <= 0 || !traced())
		return;
	if (!s) {
		__u32 k = SLAB_BULK_UNATTRIBUTED;
		__u64 *c = alloc ? NULL : bpf_map_lookup_elem(&full, &k);

		if (c)
			*c += n;
		return;
	}
	st = stats_of((__u64)s);
	if (!st)
		return;
	stats_fill(st, s, (__u64)s, 0);
	if (alloc) {
		st->allocs += n;
		st->alloc_bytes += n * st->size;
	} else {
		st->frees += n;
		st->free_bytes += n * st->size;
	}
}

/* kmem_cache_alloc_bulk(s, flags, size, p) returns how many it allocated */
SEC("fexit/kmem_cache_alloc_bulk")
int alloc_bulk_fexit(unsigned long long *ctx)
{
	bulk_count((const struct kmem_cache *)ctx[0], (int)ctx[4], true);
	return 0;
}

/* v6.10: kmem_cache_alloc_bulk_noprof (memory allocation profiling) */
SEC("fexit/kmem_cache_alloc_bulk_noprof")
int alloc_bulk_noprof_fexit(unsigned long long *ctx)
{
	bulk_count((const struct kmem_cache *)ctx[0], (int)ctx[4], true);
	return 0;
}

SEC("fentry/kmem_cache_free_bulk")
int free_bulk_fentry(unsigned long long *ctx)
{
	bulk_count((const struct kmem_cache *)ctx[0], (long)ctx[1], false);
	return 0;
}

/*
 * Before v6.1 the kmem_cache_alloc and kmem_cache_free tracepoints carry
 * no cache (v5.12 added the cache's name to kmem_cache_free, not the
 * cache): the exported functions are hooked instead, fexit for the
 * allocations (the object is the return value) and fentry for the frees.
 * kmem_cache_alloc_node is its own function there, and so is
 * kmem_cache_alloc_lru (v5.18, "mm: introduce kmem_cache_alloc_lru"),
 * which d_alloc uses from then. kmem_cache_alloc_trace (the
 * kmalloc path) is not hooked: the kmalloc tracepoint counts it. A "void *"
 * argument reads as a scalar in fentry programs on every version.
 */
SEC("fexit/kmem_cache_alloc")
int BPF_PROG(cache_alloc_fexit, struct kmem_cache *s, unsigned int gfp, void *ret)
{
	cache_alloc(ctx, ret, s);
	return 0;
}

SEC("fexit/kmem_cache_alloc_node")
int BPF_PROG(cache_alloc_node_fexit, struct kmem_cache *s, unsigned int gfp, int node, void *ret)
{
	cache_alloc(ctx, ret, s);
	return 0;
}

SEC("fexit/kmem_cache_alloc_lru")
int BPF_PROG(cache_alloc_lru_fexit, struct kmem_cache *s, void *lru, unsigned int gfp, void *ret)
{
	cache_alloc(ctx, ret, s);
	return 0;
}

FUNCTION_PROGS(cache_free, kmem_cache_free, cache_free(x, s), struct kmem_cache *s, void *x)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
