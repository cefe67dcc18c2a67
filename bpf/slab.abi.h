/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The contract between bpf/slab.bpf.c and user/slab.c. */
#ifndef MEMSCOPE_SLAB_ABI_H
#define MEMSCOPE_SLAB_ABI_H

#include "common.h"

#define SLAB_NAME_LEN 32
#define SLAB_DEFAULT_MAX_CACHES 2048
#define SLAB_DEFAULT_MAX_LIVE 262144	/* live kmalloc objects whose free is matched */
#define SLAB_DEFAULT_MAX_STACK_OBJS 1048576	/* --stacks: live objects of the cache */
#define SLAB_DEFAULT_MAX_STACKS 16384	/* --stacks: distinct stacks */

/* The key of a cache: a struct kmem_cache's address, or for kmalloc (whose
 * tracepoint carries no cache) SLAB_KMALLOC_KEY | type << 32 | bytes_alloc,
 * below any kernel address. */
#define SLAB_KMALLOC_KEY (1ULL << 40)
#define SLAB_IS_KMALLOC(key) ((key) >> 48 == 0)
enum slab_kmalloc_type {
	SLAB_KM_NORMAL,
	SLAB_KM_CG,	/* __GFP_ACCOUNT: kmalloc-cg-N */
	SLAB_KM_RCL,	/* __GFP_RECLAIMABLE: kmalloc-rcl-N */
	SLAB_KM_DMA,	/* __GFP_DMA: dma-kmalloc-N */
	SLAB_KM_LARGE,	/* above the largest kmalloc cache: the page allocator */
};

/* Per cache and CPU, totals since attach. */
struct slab_stats {
	__u64 allocs, frees;
	__u64 alloc_bytes, free_bytes;
	__u32 size;			/* s->size, or bytes_alloc */
	__u32 object_size;
	char name[SLAB_NAME_LEN];	/* s->name; "" for kmalloc keys */
	__u32 stacked;			/* --stacks: this is the cache */
	__u32 pad;
};

/* --stacks: the live objects of one cache per (process, user stack, kernel
 * stack) that allocated them; an object's free finds its key through the
 * object -> key table and takes it off. */
struct slab_stack_key {
	__u64 ustack, kstack;	/* stack ids (bpf/stack.bpf.h); 0: none */
	__u32 tgid;
	__u32 pad;
};
struct slab_stack {
	__s64 objs;		/* allocated and not yet freed */
	__u32 size;		/* bytes an object takes */
	__u32 pad;
	char comm[TASK_COMM_LEN];
};

enum slab_full {
	SLAB_FULL_CACHES,	/* a cache not counted: the table was full */
	SLAB_FULL_LIVE,		/* a kmalloc object whose free cannot be matched */
	SLAB_KFREE_UNMATCHED,	/* kfree of an object not allocated while tracing */
	SLAB_NR_FULL,		/* the exporter's three */
	SLAB_FULL_STACK_OBJS = SLAB_NR_FULL,	/* --stacks: an object not tracked (table full) */
	SLAB_FULL_STACKS,	/* --stacks: a stack not saved (table full) */
	SLAB_LOST_STACKS,	/* --stacks: a kernel stack that could not be read */
	SLAB_BULK_UNATTRIBUTED,	/* objects kfree_bulk() freed: their caches unknown */
	SLAB_NR_COUNTERS,
};

#endif
