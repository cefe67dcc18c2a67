/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_USER_SLAB_H
#define MEMSCOPE_USER_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include "slab.abi.h"
#include "module.h"
#include "probe.h"
#include "schema.h"
#include "stack.h"

/*
 * The slab counter behind slabratetop: one BPF object (bpf/slab.bpf.c)
 * counting allocations and frees per cache since attach; a drain turns
 * them into the interval's growth and adds what /proc/slabinfo says of
 * each cache now.
 */
enum slab_event {
	SLAB_CACHE_ALLOC,
	SLAB_CACHE_FREE,
	SLAB_KMALLOC,
	SLAB_KMALLOC_NODE,	/* optional: its own tracepoint before v6.1 */
	SLAB_KFREE,
	SLAB_ALLOC_BULK,	/* optional: fexit only */
	SLAB_FREE_BULK,		/* optional: fentry only */
	SLAB_NR_BASE,		/* v6.1+: the tracepoints above are all */
	/* before v6.1, beside kmem_cache_alloc's fexit */
	SLAB_CACHE_ALLOC_NODE = SLAB_NR_BASE,
	SLAB_CACHE_ALLOC_LRU,	/* optional: v5.18-v6.0 */
	SLAB_NR_EVENTS,
};
extern const struct probe_event slab__events[SLAB_NR_EVENTS];

struct slab_bpf;
struct slab_totals;

struct slab {
	struct slab_bpf *skel;
	struct probe_set probes;
	struct slab_totals *prev;	/* per key, at the previous drain */
	size_t nprev;
	struct stacks *stacks;		/* --stacks: the frames' resolver */
};

struct slab_opts {
	struct module_opts m;	/* tgid: 0, every process */
	__u64 cgroup_id;	/* -c: bpf/cgroup.bpf.h's tunables */
	int cgroup_mode;
	const char *stacks_cache;	/* --stacks CACHE; NULL: off */
};

extern const struct module_ops slab__module;

/* One cache's row of an interval. */
struct slab_row {
	char name[SLAB_NAME_LEN + 16];
	__u64 key;
	unsigned long long allocs, frees, alloc_bytes, free_bytes;
	long long net_objs, net_bytes;
	bool net_unknown;		/* frees on a path no hook sees: no NET */
	unsigned int size;		/* bytes an object takes (s->size) */
	bool have_info;			/* found in /proc/slabinfo */
	unsigned long long objs;	/* its active objects now */
	unsigned long long total_bytes;	/* num_objs x objsize */
	int reclaimable;		/* -1: unknown */
};

/* The rows of caches with events since the previous call; *rows is
 * malloc'ed. Returns 0 or -errno. */
int slab__drain(struct slab *sl, struct slab_row **rows, size_t *n);
/* What was lost since attach (enum slab_full): the first SLAB_NR_FULL, or
 * all SLAB_NR_COUNTERS. */
int slab__lost(struct slab *sl, unsigned long long out[SLAB_NR_FULL]);
int slab__lost_all(struct slab *sl, unsigned long long out[SLAB_NR_COUNTERS]);

/* The cache name of a kmalloc key ("kmalloc-cg-1k", "kmalloc-large"). */
void slab__kmalloc_name(__u64 key, char *buf, size_t size);
/* The kmalloc key of a kmalloc-N cache's name (the inverse of
 * slab__kmalloc_name, kmalloc-large excepted): 0, or -EINVAL. */
int slab__kmalloc_key(const char *name, __u64 *key);
/* A cache that /proc/slabinfo lists, or a kmalloc-N name (the tracepoints
 * count kmalloc by size, whatever the kernel's cache is called). */
bool slab__is_cache(const char *name);

/* --stacks: the live objects of the cache per process and stack, since
 * attach, frames resolved, most bytes first. Free with slab__free_stacks. */
struct slab_stack_row {
	pid_t pid;
	char comm[TASK_COMM_LEN];
	unsigned long long objs, bytes;
	struct frame *frames;		/* user's, then kernel's */
	struct stack_view user, kernel;
};
int slab__drain_stacks(struct slab *sl, struct slab_stack_row **rows, size_t *n);
void slab__free_stacks(struct slab_stack_row *rows, size_t n);

/* /proc/meminfo's Slab, SReclaimable, SUnreclaim in kB; -1: absent. */
struct slab_meminfo {
	long long slab_kb, reclaimable_kb, unreclaim_kb;
};
int slab__meminfo(const char *path, struct slab_meminfo *mi);

/* One line of /proc/slabinfo by cache name: 0, or -ENOENT. */
struct slabinfo_line {
	unsigned long long active_objs, num_objs, objsize;
};
/* Every line of /proc/slabinfo (path NULL) or of path, malloc'd into *out
 * (free it); 0, or -errno when the file cannot be read. */
struct slabinfo_entry {
	char name[64];
	struct slabinfo_line l;
};
int slab__slabinfo_read(const char *path, struct slabinfo_entry **out, size_t *n);
int slab__slabinfo(const char *path, const char *name, struct slabinfo_line *out);

/* The records (user/slab_rec.c). */
enum { SLR_CACHE, SLR_ALLOCS, SLR_BYTES, SLR_FREES, SLR_NET_OBJS, SLR_NET_BYTES, SLR_OBJS,
       SLR_SIZE_MB, SLR_OBJ_SIZE, SLR_RECLAIMABLE, SLR_NF };
enum { SLT_SLAB, SLT_RECL, SLT_UNRECL, SLT_NF };
enum { SLREP_TIME, SLREP_MEM, SLREP_ROWS, SLREP_LOST, SLREP_NF };
enum { SLS_PID, SLS_COMM, SLS_OBJS, SLS_BYTES, SLS_USER, SLS_KERNEL, SLS_NF };
enum { SLSREP_TIME, SLSREP_CACHE, SLSREP_STACKS, SLSREP_LOST, SLSREP_NF };
extern const struct schema slab__row_schema, slab__title_schema, slab__lost_schema,
	slab__report_schema, slab__stack_schema, slab__stacks_report_schema;
void slab__row_rec(struct rec *r, const struct slab_row *row);
void slab__title_rec(struct rec *r, const struct slab_meminfo *mi);
void slab__lost_rec(struct rec *r, const unsigned long long lost[SLAB_NR_COUNTERS]);
void slab__stack_rec(struct rec *r, const struct slab_stack_row *row);
/* A stack as text: kernel frames, "--", user frames, then "comm (pid): N
 * objects, B bytes live" */
void slab__print_stack(FILE *f, const struct slab_stack_row *row);
/* A stack as a folded line (flamegraph.pl): comm, user frames, kernel
 * frames with "_[k]", then its live bytes */
void slab__print_folded(FILE *f, const struct slab_stack_row *row);

#endif
