/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_BPFMAP_H
#define MEMSCOPE_BPFMAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Map I/O written once: reading a whole hash map, emptying it, and folding
 * a per-CPU value over every possible CPU. Each call works on every kernel
 * memscope supports, with the faster primitive where the kernel has it.
 */

/* Reads up to cap entries of a hash map into keys and vals (cap * key
 * size, cap * value size); *n: how many. Batch lookup where the kernel has
 * it (v5.6, commit cb4d03ab499d "bpf: Add generic support for lookup batch
 * op"), else get_next_key and lookup. Returns 0 or -errno. */
int bpfmap__dump(int fd, size_t ksz, size_t vsz, size_t cap, void *keys, void *vals, size_t *n);

/* Reads up to cap keys of a hash map into keys (cap * ksz); *n: how many.
 * Returns 0 or -errno. */
int bpfmap__keys(int fd, size_t ksz, size_t cap, void *keys, size_t *n);

/* Empties a hash map of up to cap entries: *keys and *vals are malloc'ed,
 * in step, *n entries (free both). Keys are read first, then each entry is
 * taken with lookup_and_delete, which closes the window between lookup and
 * delete for hashes from v5.14 (commit 3e87f192b405 "bpf: Add
 * lookup_and_delete_elem support to hashtab"); before, lookup then delete,
 * and what a handler adds in between is lost. Deleting while walking
 * with get_next_key would restart the walk. Returns 0 or -errno. */
int bpfmap__drain(int fd, size_t ksz, size_t vsz, size_t cap, void **keys, void **vals,
		  size_t *n);

/* Possible CPUs (what per-CPU maps hold a value for); > 0, or -errno. */
int bpfmap__ncpus(void);

/* Calls merge(acc, value) for key's value on each possible CPU of a
 * per-CPU array or hash with values of vsz bytes. Returns 0 or -errno. */
int bpfmap__percpu_fold(int fd, const void *key, size_t vsz,
			void (*merge)(void *acc, const void *cpu_val), void *acc);
/* The per-CPU value of key as n u64 words, each summed over CPUs. */
int bpfmap__percpu_sum(int fd, const void *key, unsigned long long *out, size_t n);
/* Writes zeros into key's value on every CPU. */
int bpfmap__percpu_zero(int fd, const void *key, size_t vsz);

#endif
