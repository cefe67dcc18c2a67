/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What memleak's two BPF objects share: the outstanding-allocation table
 * (address -> size, time, stack), per-stack totals for --combined-only, the
 * stack map, and counters for everything lost, so a full map or a stack-map
 * collision is reported, never shown as a stack.
 */
#ifndef MEMSCOPE_MEMLEAK_BPF_H
#define MEMSCOPE_MEMLEAK_BPF_H

#include <bpf/bpf_helpers.h>
#include "maps.bpf.h"
#include "stack.bpf.h"
#include "memleak.abi.h"

const volatile bool combined_only;	/* keep per-stack totals */

/* max_entries set at open time from options; no preallocation, since most
 * runs track far fewer allocations than the table holds */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ML_DEFAULT_MAX_ALLOCS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct ml_alloc);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ML_DEFAULT_STACKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct ml_combined);
} combined SEC(".maps");

STACKS_MAP(stacks, ML_DEFAULT_STACKS);

COUNTERS_MAP(counters, ML_NR_COUNTERS);

static __always_inline void ml__combined_add(__u64 stack_id, __u64 size, int sign)
{
	struct ml_combined *c, fresh = {};
	__u64 key = stack_id;
	bool is_full;

	if (!combined_only)
		return;
	/* a free of a stack no longer held has nothing to subtract from */
	if (sign < 0)
		c = bpf_map_lookup_elem(&combined, &key);
	else if (!(c = map__lookup_or_init(&combined, &key, &fresh, &is_full)) && is_full)
		counter__inc(counters, ML_COMBINED_FULL);
	if (!c)
		return;
	if (sign > 0) {
		__sync_fetch_and_add(&c->bytes, size);
		__sync_fetch_and_add(&c->allocs, 1);
	} else {
		__sync_fetch_and_add(&c->bytes, -size);
		__sync_fetch_and_add(&c->allocs, -1);
	}
}

/* --combined-only: `bytes` of a stack's allocation gone, the allocation
 * itself still there (a partial munmap) */
static __always_inline void ml__combined_shrink(__u64 stack_id, __u64 bytes)
{
	struct ml_combined *c;
	__u64 key = stack_id;

	if (!combined_only || !stack_id)
		return;
	c = bpf_map_lookup_elem(&combined, &key);
	if (c)
		__sync_fetch_and_add(&c->bytes, -bytes);
}

static __always_inline void ml__free(__u64 addr)
{
	struct ml_alloc *a;

	if (combined_only) {
		a = bpf_map_lookup_elem(&allocs, &addr);
		if (!a)
			return;
		ml__combined_add(a->stack_id, a->size, -1);
	}
	bpf_map_delete_elem(&allocs, &addr);
}

/*
 * An address seen allocated again without a free in between (a free we
 * could not see, e.g. from before attach) replaces the old record; its
 * bytes leave the totals, as bcc's --wa-missing-free does. stack_id: from
 * stack__read() or stack__read_user_fp() into buf; 0 (or no buf): the
 * stack was lost.
 *
 * User space deletes the stacks that no record holds
 * (memleak__gc_stacks): the stack is stored again after the record is in
 * the tables (allocs, and combined), so one deleted before that is back,
 * and one deleted after it is held by a record that user space reads next,
 * and restores.
 */
static __always_inline void ml__record(__u64 addr, __u64 size, __u64 stack_id,
				       struct stack_frames *buf)
{
	struct ml_alloc a = {};

	if (!buf || (stack_id && !stack__store(&stacks, stack_id, buf)))
		stack_id = 0;
	a.size = size;
	a.ts_ns = bpf_ktime_get_ns();
	a.stack_id = stack_id;
	if (!a.stack_id)
		counter__inc(counters, ML_LOST_STACKS);
	if (combined_only)
		ml__free(addr);
	if (bpf_map_update_elem(&allocs, &addr, &a, BPF_ANY)) {
		counter__inc(counters, ML_DROPPED);
		return;
	}
	if (!a.stack_id)
		return;
	ml__combined_add(a.stack_id, size, 1);
	/* clang knows buf is set here, older verifiers (v6.1) do not */
	barrier_var(buf);
	if (buf)
		stack__store(&stacks, stack_id, buf);
}

#endif
