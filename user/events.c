// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "events.h"

int events__open(struct events *ev, struct bpf_map *ringbuf, struct bpf_map *dropped,
		 ring_buffer_sample_fn fn, void *ctx)
{
	memset(ev, 0, sizeof(*ev));
	ev->dropped_fd = bpf_map__fd(dropped);
	ev->rb = ring_buffer__new(bpf_map__fd(ringbuf), fn, ctx, NULL);
	if (!ev->rb)
		return -errno;
	return 0;
}

long long events__dropped(const struct events *ev)
{
	unsigned long long sum;
	__u32 key = 0;
	int err = bpfmap__percpu_sum(ev->dropped_fd, &key, &sum, 1);

	return err ? err : (long long)sum;
}

unsigned long long events__dropped_since(struct events *ev)
{
	long long now = events__dropped(ev);
	unsigned long long d;

	if (now < 0)
		return 0;
	d = (unsigned long long)now - ev->reported;
	ev->reported = now;
	return d;
}

void events__close(struct events *ev)
{
	ring_buffer__free(ev->rb);
	ev->rb = NULL;
}
