// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpfmap.h"

int bpfmap__dump(int fd, size_t ksz, size_t vsz, size_t cap, void *keys, void *vals, size_t *n)
{
	char *k = keys, *v = vals, *prev = NULL;
	__u64 in = 0, out = 0;
	void *inp = NULL;
	__u32 count;
	int err;

	*n = 0;
	for (;;) {
		count = cap - *n;
		if (!count)
			return 0;
		err = bpf_map_lookup_batch(fd, inp, &out, k + *n * ksz, v + *n * vsz, &count, NULL);
		*n += count;
		if (err) {
			if (errno == ENOENT)
				return 0;
			break;
		}
		in = out;
		inp = &in;
	}
	/* no batch ops here (or a batch failed part way): walk the keys */
	*n = 0;
	while (*n < cap && !bpf_map_get_next_key(fd, prev, k + *n * ksz)) {
		prev = k + *n * ksz;
		if (!bpf_map_lookup_elem(fd, prev, v + *n * vsz))
			(*n)++;
	}
	return 0;
}

int bpfmap__keys(int fd, size_t ksz, size_t cap, void *keys, size_t *n)
{
	char *k = keys, *prev = NULL;

	*n = 0;
	while (*n < cap && !bpf_map_get_next_key(fd, prev, k + *n * ksz)) {
		prev = k + *n * ksz;
		(*n)++;
	}
	return 0;
}

int bpfmap__drain(int fd, size_t ksz, size_t vsz, size_t cap, void **keys, void **vals,
		  size_t *n)
{
	char *k, *v, *prev = NULL;
	size_t nk = 0, i;

	*n = 0;
	*keys = k = malloc(cap * ksz + 1);
	*vals = v = malloc(cap * vsz + 1);
	if (!k || !v) {
		free(k);
		free(v);
		*keys = *vals = NULL;
		return -ENOMEM;
	}
	while (nk < cap && !bpf_map_get_next_key(fd, prev, k + nk * ksz)) {
		prev = k + nk * ksz;
		nk++;
	}
	for (i = 0; i < nk; i++) {
		char *key = k + i * ksz, *val = v + *n * vsz;

		if (bpf_map_lookup_and_delete_elem(fd, key, val)) {
			if (bpf_map_lookup_elem(fd, key, val))
				continue;
			bpf_map_delete_elem(fd, key);
		}
		if (*n != i)
			memmove(k + *n * ksz, key, ksz);
		(*n)++;
	}
	return 0;
}

int bpfmap__ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : n ? n : -EINVAL;
}

/* per-CPU values are laid out 8-byte aligned, one per possible CPU */
static size_t percpu_stride(size_t vsz)
{
	return (vsz + 7) & ~(size_t)7;
}

int bpfmap__percpu_fold(int fd, const void *key, size_t vsz,
			void (*merge)(void *acc, const void *cpu_val), void *acc)
{
	int ncpu = bpfmap__ncpus(), c, err = 0;
	size_t stride = percpu_stride(vsz);
	char *vals;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, stride);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, vals))
		err = -errno;
	for (c = 0; !err && c < ncpu; c++)
		merge(acc, vals + c * stride);
	free(vals);
	return err;
}

struct sum_ctx {
	unsigned long long *out;
	size_t n;
};

static void sum_words(void *acc, const void *cpu_val)
{
	struct sum_ctx *s = acc;
	unsigned long long w;
	size_t i;

	for (i = 0; i < s->n; i++) {
		memcpy(&w, (const char *)cpu_val + i * sizeof(w), sizeof(w));
		s->out[i] += w;
	}
}

int bpfmap__percpu_sum(int fd, const void *key, unsigned long long *out, size_t n)
{
	struct sum_ctx s = { out, n };

	memset(out, 0, n * sizeof(*out));
	return bpfmap__percpu_fold(fd, key, n * sizeof(*out), sum_words, &s);
}

int bpfmap__percpu_zero(int fd, const void *key, size_t vsz)
{
	int ncpu = bpfmap__ncpus(), err = 0;
	void *zeros;

	if (ncpu < 0)
		return ncpu;
	zeros = calloc(ncpu, percpu_stride(vsz));
	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(fd, key, zeros, BPF_ANY))
		err = -errno;
	free(zeros);
	return err;
}
