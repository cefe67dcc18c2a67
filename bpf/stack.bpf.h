/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stacks keyed by their content. BPF_MAP_TYPE_STACK_TRACE puts a stack in
 * the bucket its 32-bit hash picks; a second stack in a taken bucket makes
 * bpf_get_stackid() fail with -EEXIST (or, with BPF_F_REUSE_STACKID,
 * overwrite the first, whose id then names the wrong stack in every record
 * that holds it). With 16384 buckets and the few dozen stacks of a small
 * leaking program that happened in 7 runs of 30. Here the id is a 64-bit
 * hash of the frames and the map a hash map: distinct stacks collide with
 * odds of about n^2 / 2^65, and a full map is counted by the caller.
 *
 * bpf_get_stack() needs a buffer larger than the BPF stack: the caller
 * passes one it owns for the whole program run. Per-CPU buffers serve
 * programs that cannot be preempted (tracepoints, perf events; uprobes up
 * to v5.19). Uprobe programs since v6.0 (commit 8c7dcb84e3b7 "bpf: implement
 * sleepable uprobes by chaining gps") run under migrate_disable() only and
 * can be preempted by another thread running the same program on the same
 * CPU: they pass per-thread storage.
 */
#ifndef MEMSCOPE_STACK_BPF_H
#define MEMSCOPE_STACK_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

struct stack_frames {
	__u64 ip[STACK_MAX_DEPTH];
};

/* no preallocation: a stack is 1 KiB and most runs see far fewer stacks
 * than the map holds */
#define STACKS_MAP(name, entries)                                                            \
	struct {                                                                             \
		__uint(type, BPF_MAP_TYPE_HASH);                                             \
		__uint(max_entries, entries);                                                \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                        \
		__type(key, __u64);                                                          \
		__type(value, struct stack_frames);                                          \
	} name SEC(".maps")

/*
 * Per-CPU buffers for programs that cannot be preempted (tracepoints, perf
 * events). They can still be interrupted by another program on the same
 * CPU (kmalloc in an interrupt handler): interrupts nest, so a depth count
 * gives each level its own buffer.
 */
#define STACK_SCRATCH_LEVELS 4 /* task, softirq, hardirq, NMI */

struct stack_scratch {
	__u32 depth;
	__u32 pad;
	struct stack_frames level[STACK_SCRATCH_LEVELS];
};

#define STACK_SCRATCH_MAP(name)                                                              \
	struct {                                                                             \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                     \
		__uint(max_entries, 1);                                                      \
		__type(key, __u32);                                                          \
		__type(value, struct stack_scratch);                                         \
	} name SEC(".maps")

/*
 * Reads the current stack (flags as bpf_get_stack: 0 for the kernel's,
 * BPF_F_USER_STACK) into `buf` and returns its id, a hash of its frames;
 * 0: no stack (none to read: a perf event raised with user registers has
 * no kernel stack).
 */
static __always_inline __u64 stack__read(void *ctx, struct stack_frames *buf, __u64 flags)
{
	long len = bpf_get_stack(ctx, buf->ip, sizeof(buf->ip), flags);
	__u64 h = 0x9e3779b97f4a7c15ULL, n;
	int i;

	if (len <= 0)
		return 0;
	n = len / sizeof(__u64);
	/* bpf_get_stack() zeroes the rest of the buffer, so equal stacks
	 * are equal values too */
	for (i = 0; i < STACK_MAX_DEPTH; i++) {
		if (i >= n)
			break;
		h ^= buf->ip[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= n;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h ?: 1;
}

/*
 * The user stack of a uprobe's or uretprobe's registers by their frame
 * pointers, into `buf`, and its id as stack__read()'s; 0: none. The same
 * frames as bpf_get_stack(BPF_F_USER_STACK) reads where they are sound,
 * at a third of the cost where they end in a frame pointer that points
 * nowhere. The kernel's walk reads whatever %rbp holds: in code built
 * without frame pointers that is any value, and a read of an unmapped
 * address is a page fault, about 0.6 us, once per stack (the BPF time of
 * memleak's pair fell from 1.3 to 0.65 us with the check below). Here a
 * frame must lie above the last one (and the first above the stack
 * pointer), as frames of a stack that grows down do; the walk stops at the
 * first that does not, at a return address 0, or at an unreadable frame.
 * Frames past the stack's end are zero (the buffer's are, where the last
 * stack read into it ended).
 */
static __always_inline __u64 stack__read_user_fp(struct pt_regs *regs,
						  struct stack_frames *buf)
{
	__u64 fp = PT_REGS_FP(regs), lo = PT_REGS_SP(regs), ip = PT_REGS_IP(regs);
	__u64 h = (0x9e3779b97f4a7c15ULL ^ ip) * 0xff51afd7ed558ccdULL, fr[2];
	bool walking = true;
	int i;

	/* one loop, whose counter and state are dead after it: the verifier
	 * then sees the code that follows once, not once per depth */
	buf->ip[0] = ip;
	for (i = 1; i < STACK_MAX_DEPTH; i++) {
		if (walking) {
			/* fr: the saved frame pointer, the return address */
			if (fp >= lo && !(fp & 7) &&
			    !bpf_probe_read_user(fr, sizeof(fr), (void *)fp) && fr[1]) {
				buf->ip[i] = fr[1];
				h ^= h >> 32;
				h = (h ^ fr[1]) * 0xff51afd7ed558ccdULL;
				lo = fp + sizeof(fr);
				fp = fr[0];
				continue;
			}
			walking = false;
		}
		/* what is left of the last stack: its frames are not 0 */
		if (!buf->ip[i])
			break;
		buf->ip[i] = 0;
	}
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h ?: 1;
}

/* Puts stack `id` (read into buf) in `map` unless it is there; false: the
 * map is full */
static __always_inline bool stack__store(void *map, __u64 id, struct stack_frames *buf)
{
	/* a lookup first: BPF_NOEXIST on a present key takes the bucket lock */
	return bpf_map_lookup_elem(map, &id) || !bpf_map_update_elem(map, &id, buf, BPF_NOEXIST) ||
	       bpf_map_lookup_elem(map, &id);
}

/* stack__read() and stack__store(): the stack's id, 0 when there is none
 * or (*full set) the map was full */
static __always_inline __u64 stack__save(void *ctx, void *map, struct stack_frames *buf,
					 __u64 flags, bool *full)
{
	__u64 id = stack__read(ctx, buf, flags);

	*full = id && !stack__store(map, id, buf);
	return *full ? 0 : id;
}

/* The buffer of this interrupt level in a STACK_SCRATCH_MAP, NULL when
 * none is left; give it back with stack__scratch_put() */
static __always_inline struct stack_frames *stack__scratch_get(void *scratch_map)
{
	struct stack_scratch *s;
	__u32 zero = 0, d;

	s = bpf_map_lookup_elem(scratch_map, &zero);
	if (!s)
		return NULL;
	d = s->depth++;
	if (d < STACK_SCRATCH_LEVELS)
		return &s->level[d & (STACK_SCRATCH_LEVELS - 1)];
	s->depth--;
	return NULL;
}

static __always_inline void stack__scratch_put(void *scratch_map)
{
	struct stack_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(scratch_map, &zero);
	if (s)
		s->depth--;
}

/* stack__save() through a STACK_SCRATCH_MAP: for programs that cannot be
 * preempted */
static __always_inline __u64 stack__save_scratch(void *ctx, void *map, void *scratch_map,
						 __u64 flags, bool *full)
{
	struct stack_frames *buf = stack__scratch_get(scratch_map);
	__u64 id = 0;

	*full = false;
	if (!buf)
		return 0;
	id = stack__save(ctx, map, buf, flags, full);
	stack__scratch_put(scratch_map);
	return id;
}

#endif
