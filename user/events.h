/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_EVENTS_H
#define MEMSCOPE_EVENTS_H

#include <bpf/libbpf.h>
#include "bpfmap.h"

/*
 * Ring-buffer events with drop accounting. The BPF side reserves through
 * events__reserve() (bpf/maps.bpf.h), which counts a failed reservation in a
 * per-CPU `dropped` slot; this side polls and reports the total (summed
 * with bpfmap__percpu_sum, which users of this header may call), so lost
 * events are shown, never silent.
 */
struct events {
	struct ring_buffer *rb;
	int dropped_fd;			/* per-CPU array, one __u64 slot */
	unsigned long long reported;	/* dropped total already reported */
};

int events__open(struct events *ev, struct bpf_map *ringbuf, struct bpf_map *dropped,
		 ring_buffer_sample_fn fn, void *ctx);
/* Events lost so far (sum over CPUs); -errno on failure. */
long long events__dropped(const struct events *ev);
/* Events lost since the previous call. */
unsigned long long events__dropped_since(struct events *ev);
void events__close(struct events *ev);

#endif
