/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* memleak's kernel/user contract, shared by the user-mode (uprobe) and the
 * kernel-mode (kmem tracepoint) objects. */
#ifndef MEMSCOPE_MEMLEAK_ABI_H
#define MEMSCOPE_MEMLEAK_ABI_H

#include "common.h"

/* Allocator functions; the uprobe's attach cookie says which one fired
 * (ML_COOKIE_FN). The libc functions come first (ML_NR_FNS of them), then
 * the C++ runtime's: every form of operator new and new[] (size first),
 * and of operator delete and delete[] (pointer first). */
enum memleak_fn {
	ML_MALLOC,
	ML_CALLOC,
	ML_REALLOC,
	ML_REALLOCARRAY,
	ML_POSIX_MEMALIGN,
	ML_ALIGNED_ALLOC,
	ML_MEMALIGN,
	ML_VALLOC,
	ML_PVALLOC,
	ML_MMAP,
	ML_MREMAP,
	ML_FREE,
	ML_MUNMAP,
	ML_NR_FNS,
	ML_NEW = ML_NR_FNS,
	ML_DELETE,
	ML_NR_KINDS,
};

/* A cookie is the function and, above it, the probe's index: a session
 * link learns each probe's entry address apart, and the several forms of
 * operator new are one function at several addresses. */
#define ML_COOKIE(fn, slot) ((__u64)(fn) | (__u64)(slot) << 8)
#define ML_COOKIE_FN(c) ((__u32)(c) & 0xff)
#define ML_COOKIE_SLOT(c) ((__u32)(c) >> 8)
#define ML_MAX_PROBES 64

/* frames kept per stack; deeper stacks are cut */
#define ML_MAX_FRAMES STACK_MAX_DEPTH
#define ML_DEFAULT_MAX_ALLOCS 262144
#define ML_DEFAULT_STACKS 16384

/* One outstanding allocation, keyed by its address. */
struct ml_alloc {
	__u64 size;
	__u64 ts_ns;		/* bpf_ktime_get_ns() at allocation */
	__u64 stack_id;		/* 0: the stack was lost (counted in lost_stacks) */
};

/* Outstanding totals per stack, for --combined-only. */
struct ml_combined {
	__u64 bytes;
	__u64 allocs;
};

enum ml_counter {
	ML_LOST_STACKS,		/* no stack read, or the stack map full */
	ML_DROPPED,		/* an allocation not recorded: allocs map full */
	ML_COMBINED_FULL,	/* combined map full */
	ML_NR_COUNTERS,
};

#endif
