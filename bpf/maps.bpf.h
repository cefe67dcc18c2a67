/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ring-buffer events with drop accounting, the BPF half of user/events.h.
 * A tool declares its buffers with EVENTS_MAPS(size) and reserves with
 * events__reserve(): a failed reservation is counted per CPU in `dropped`,
 * which user space reads and prints, so lost events are never silent.
 */
#ifndef MEMSCOPE_MAPS_BPF_H
#define MEMSCOPE_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

#define EVENTS_MAPS(ringbuf_bytes)                                                           \
	struct {                                                                             \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                                          \
		__uint(max_entries, ringbuf_bytes);                                          \
	} events SEC(".maps");                                                               \
	struct {                                                                             \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                     \
		__uint(max_entries, 1);                                                      \
		__type(key, __u32);                                                          \
		__type(value, __u64);                                                        \
	} dropped SEC(".maps")

/* NULL when the buffer is full; the drop is counted. */
#define events__reserve(size)                                                                \
	({                                                                                   \
		void *e_ = bpf_ringbuf_reserve(&events, (size), 0);                         \
		if (!e_) {                                                                   \
			__u32 z_ = 0;                                                        \
			__u64 *d_ = bpf_map_lookup_elem(&dropped, &z_);                      \
			if (d_)                                                              \
				__sync_fetch_and_add(d_, 1);                                 \
		}                                                                            \
		e_;                                                                          \
	})

/*
 * The value at `key`, inserted as `init` first when absent. NULL when the
 * map is full (*full is set, for the caller's drop counter) or on a failed
 * lookup. Another CPU inserting the key first is fine (EEXIST).
 */
static __always_inline void *map__lookup_or_init(void *map, const void *key, const void *init,
						 bool *full)
{
	void *v = bpf_map_lookup_elem(map, key);
	long err;

	*full = false;
	if (v)
		return v;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		*full = true;
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

/*
 * Per-CPU counters of what was lost (a full map, a lost stack), indexed by
 * the tool's enum; user space sums them (bpfmap__percpu_sum) and shows them.
 */
#define COUNTERS_MAP(name, nr)                                                               \
	struct {                                                                             \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                     \
		__uint(max_entries, nr);                                                     \
		__type(key, __u32);                                                          \
		__type(value, __u64);                                                        \
	} name SEC(".maps")

static __always_inline void counters__inc(void *map, __u32 which)
{
	__u64 *n = bpf_map_lookup_elem(map, &which);

	if (n)
		(*n)++;
}

/* `map` by name, not address: a local of the same name (a `bool full`)
 * has no `value` member and fails to compile instead of being counted into. */
#define counter__inc(map, which)                                                             \
	({                                                                                   \
		_Static_assert(sizeof(*(map).value) == sizeof(__u64), #map " is not a COUNTERS_MAP"); \
		counters__inc(&(map), (which));                                              \
	})

#endif
