/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* log2 histogram slots, as user/hist.h prints them: slot 0 holds 0, slot i
 * (i >= 1) holds 2^(i-1) .. 2^i - 1. Counts are __u64. */
#ifndef MEMSCOPE_HIST_BPF_H
#define MEMSCOPE_HIST_BPF_H

#define HIST_SLOTS 64

static __always_inline __u32 hist__slot(__u64 v)
{
	__u32 slot = 0;

	/* bounded: 64 iterations at most, unrolled by the compiler */
#pragma unroll
	for (int i = 0; i < 64; i++) {
		if (!v)
			break;
		v >>= 1;
		slot++;
	}
	return slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;
}

#endif
