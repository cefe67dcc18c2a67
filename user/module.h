/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_MODULE_H
#define MEMSCOPE_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "probe.h"

/*
 * One interface per data source (a BPF object and its user-side model):
 * open with options (probes picked, nothing loaded), report the probe
 * choice, attach (load and attach), close. Frontends, the load test and
 * the exporter all drive a data source through this, so its lifecycle is
 * written once. Snapshots are the module's own calls (typed), whose
 * results the caller turns into records (schema.h).
 */
struct module_opts {		/* first member of every module's options */
	pid_t tgid;		/* 0: every process */
	bool all_probes;	/* evaluate every candidate (for --probes) */
	const int *forced;	/* per event: candidate index or -1; NULL: none */
	unsigned int skip_kinds;	/* (1 << enum probe_kind) never to use */
};

struct module_ops {
	const char *name;		/* "pagecache": load test lines, messages */
	const struct probe_event *events;
	int n_events;
	size_t size;			/* of the module's state */
	size_t opts_size;		/* of its options, which begin with module_opts */
	/* Option sets that together load every program of the object (the
	 * load test opens each, every candidate forced in turn); NULL-ended.
	 * An open that returns -EOPNOTSUPP means "not on this kernel". */
	const void *const *variants;
	/* Programs the module attaches itself, outside the probe layer
	 * (iterators, perf events); NULL-ended, or NULL. */
	const char *const *direct;
	/* Opens the object and picks hooks (-ENOENT: a required event has no
	 * hook here, logged). `o` is the module's own options struct. */
	int (*open)(void *state, const struct module_opts *o);
	int (*attach)(void *state);		/* loads and attaches; logs */
	void (*close)(void *state);		/* safe after a failed open */
	/* offsetof the state's struct probe_set, which probe__resolve also
	 * tells the object it picked hooks of */
	size_t probes_offset;
	/* For the load test, which traces itself: fills in a variant's
	 * run-time fields (memleak: this process's pid and libc); -errno:
	 * the variant cannot run here. NULL: nothing to fill. */
	int (*self_target)(void *opts);
	/* What an attached module chose where the probe layer does not say
	 * (link kind, stack buffer), for the load test's lines. NULL: none. */
	void (*describe)(void *state, char *buf, size_t size);
	/* Lines after the probe table for what `direct` attaches (why each
	 * is used or not here); NULL: none. */
	void (*print_direct)(void *state, FILE *f);
	/* Hooks outside the probe layer (uprobes on a library the module
	 * picked): prints them for --probes instead of the probe set's
	 * table; NULL: the probe set's table. */
	void (*print_probes)(void *state, FILE *f);
};

struct module {
	const struct module_ops *ops;
	void *state;		/* ops->size bytes, owned */
};

/* Allocates the state and opens; -errno on failure, when the state stays
 * for module__probes (why each hook was refused) until module__close. */
int module__open(struct module *m, const struct module_ops *ops, const struct module_opts *o);
int module__attach(struct module *m);
void module__print_probes(const struct module *m, FILE *f);
struct probe_set *module__probes(const struct module *m);
/* The BPF object whose hooks were picked; NULL before that, after close. */
struct bpf_object *module__obj(const struct module *m);
/* Closes and frees the state; safe to call twice. */
void module__close(struct module *m);

/* Every data source, NULL-ended: the load test and the exporter walk it. */
extern const struct module_ops *const module__all[];

#endif
