/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* log2 histogram slots, as user/hist.h prints them: slot 0 holds 0, slot i
 * (i >= 1) holds 2^(i-1) .. 2^i - 1. Counts are __u64. */
#ifndef MEMSCOPE_HIST_BPF_H
#define MEMSCOPE_HIST_BPF_H

#define HIST_SLOTS 64

/* Branch-free floor(log2(v)) for v > 0: a loop with an early exit cannot
 * be unrolled by clang, and the verifier of older kernels refuses loops. */
static __always_inline __u32 hist__log2(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 hist__slot(__u64 v)
{
	__u32 hi = v >> 32, slot;

	if (!v)
		return 0;
	slot = (hi ? hist__log2(hi) + 32 : hist__log2((__u32)v)) + 1;
	if (slot > HIST_SLOTS - 1)
		slot = HIST_SLOTS - 1;
	/* The mask keeps the bound where the verifier sees it: clang drops it
	 * as redundant otherwise, and 6.1's verifier loses the bound of the
	 * compare through the zero-extended copy, refusing hist[slot]. */
	barrier_var(slot);
	return slot & (HIST_SLOTS - 1);
}

#endif
