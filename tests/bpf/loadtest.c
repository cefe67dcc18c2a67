// SPDX-License-Identifier: BSD-2-Clause
/*
 * Loads every BPF object with each probe candidate forced in turn, so the
 * verifier sees every program this kernel can run, and checks that the
 * candidates this kernel cannot run are rejected by the probe layer with a
 * reason instead of failing later. One line per candidate:
 *   ok|not ok|skip <object> <event> <hook>: detail
 * Each object is one entry of `objects` below: a few adapters around its
 * user/ module's open, attach and close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "module.h"
#include "pagecache.h"
#include "probe.h"
#include "pagecache.skel.h"
#include "reclaimlat.h"
#include "reclaimlat.skel.h"
#include "faultstat.h"
#include "faultstat.skel.h"
#include "memleak.h"
#include "module.h"

#define MAX_EVENTS 32

struct lt_object {
	const char *name;
	const struct probe_event *events;
	int n_events;
	/* Opens with `forced` (per event: candidate or -1) and picks hooks;
	 * returns the handle (also on error, for probes/close) or NULL. */
	void *(*open)(const int *forced, int *err);
	struct probe_set *(*probes)(void *h);
	struct bpf_object *(*obj)(void *h);
	int (*attach)(void *h);
	void (*close)(void *h);
	/* Programs the object's module attaches itself, outside the probe
	 * layer (iterators, perf events): loaded with every variant above,
	 * NULL-terminated; NULL: none. */
	const char *const *direct;
};

/* Modules driven through module.h (pagecache, faultstat): opened with the
 * first of their option sets (module_ops.variants) this kernel can run;
 * -EOPNOTSUPP is "not on this kernel", e.g. faultstat's --files --stacks
 * without bpf_find_vma (< 5.17). */
struct lt_module {
	struct module m;	/* first: the handle is a struct module * too */
	char opts[256];
};

static void *lt_module_open(const struct module_ops *ops, const int *forced, int *err)
{
	struct lt_module *h = calloc(1, sizeof(*h));
	int v;

	for (v = 0; h && ops->opts_size <= sizeof(h->opts) && ops->variants[v]; v++) {
		module__close(&h->m);
		memcpy(h->opts, ops->variants[v], ops->opts_size);
		((struct module_opts *)h->opts)->forced = forced;
		*err = module__open(&h->m, ops, (struct module_opts *)h->opts);
		if (*err != -EOPNOTSUPP)
			break;
	}
	return h;
}
static struct probe_set *lt_module_probes(void *h) { return module__probes(h); }
static struct bpf_object *lt_module_obj(void *h)
{
	struct module *m = h;

	return m->state ? m->ops->obj(m->state) : NULL;
}
static int lt_module_attach(void *h) { return module__attach(h); }
static void lt_module_close(void *h)
{
	module__close(h);
	free(h);
}
static void *lt_pagecache_open(const int *forced, int *err)
{
	return lt_module_open(&pagecache__module, forced, err);
}
static void *lt_faultstat_open(const int *forced, int *err)
{
	return lt_module_open(&faultstat__module, forced, err);
}

static void *lt_reclaimlat_open(const int *forced, int *err)
{
	/* every map and path in use: per-process rows and events */
	struct reclaimlat_opts o = { .common.forced = forced, .procs = true, .events = true };
	struct reclaimlat *rl = calloc(1, sizeof(*rl));

	if (rl)
		*err = reclaimlat__open(rl, &o);
	return rl;
}
static struct probe_set *lt_reclaimlat_probes(void *h) { return &((struct reclaimlat *)h)->probes; }
static struct bpf_object *lt_reclaimlat_obj(void *h)
{
	struct reclaimlat *rl = h;

	return rl->skel ? rl->skel->obj : NULL;
}
static int lt_reclaimlat_attach(void *h) { return reclaimlat__attach(h); }
static void lt_reclaimlat_close(void *h)
{
	reclaimlat__close(h);
	free(h);
}

/* memleak's kernel mode (its user mode attaches uprobes to a process and
 * is covered by tests/func/memleak.sh) */
static void *lt_kmemleak_open(const int *forced, int *err)
{
	struct memleak_opts o = *(const struct memleak_opts *)kmemleak__module.variants[0];
	struct module *m = calloc(1, sizeof(*m));

	o.mo.forced = forced;
	if (m)
		*err = module__open(m, &kmemleak__module, &o.mo);
	return m;
}
static struct probe_set *lt_kmemleak_probes(void *h) { return module__probes(h); }
static struct bpf_object *lt_kmemleak_obj(void *h)
{
	struct module *m = h;

	return m->state ? m->ops->obj(m->state) : NULL;
}
static int lt_kmemleak_attach(void *h) { return module__attach(h); }
static void lt_kmemleak_close(void *h)
{
	module__close(h);
	free(h);
}

static const struct lt_object objects[] = {
	{ "pagecache", pagecache__events, PAGECACHE_NR_EVENTS, lt_pagecache_open,
	  lt_module_probes, lt_module_obj, lt_module_attach, lt_module_close, NULL },
	{ "reclaimlat", reclaimlat__events, RECLAIMLAT_NR_EVENTS, lt_reclaimlat_open,
	  lt_reclaimlat_probes, lt_reclaimlat_obj, lt_reclaimlat_attach, lt_reclaimlat_close,
	  NULL },
	{ "faultstat", faultstat__events, FAULTSTAT_NR_EVENTS, lt_faultstat_open,
	  lt_module_probes, lt_module_obj, lt_module_attach, lt_module_close,
	  faultstat__direct_progs },
	{ "kmemleak", kmemleak__events, KML_NR_EVENTS, lt_kmemleak_open, lt_kmemleak_probes,
	  lt_kmemleak_obj, lt_kmemleak_attach, lt_kmemleak_close, NULL },
};

static int failures;

static void loadtest__object(const struct lt_object *o)
{
	const struct probe_event *evs = o->events;
	int e, c;

	for (e = 0; e < o->n_events; e++) {
		for (c = 0; c < evs[e].n_cands; c++) {
			int forced[MAX_EVENTS], err = -ENOMEM, i;
			struct probe_set *ps;
			char desc[128];
			const char *why;
			void *h;

			for (i = 0; i < o->n_events; i++)
				forced[i] = -1;
			forced[e] = c;
			probe__describe(&evs[e].cands[c], desc, sizeof(desc));
			h = o->open(forced, &err);
			ps = h ? o->probes(h) : NULL;
			if (err == -ENOENT && ps && ps->chosen && ps->chosen[e] < 0) {
				why = probe__reason(ps, e, c);
				if (why[0])
					printf("ok %s '%s' %s: rejected cleanly: %s\n", o->name,
					       evs[e].name, desc, why);
				else {
					printf("not ok %s '%s' %s: rejected without a reason\n",
					       o->name, evs[e].name, desc);
					failures++;
				}
			} else if (err) {
				printf("not ok %s '%s' %s: open failed: %s\n", o->name, evs[e].name,
				       desc, strerror(-err));
				failures++;
			} else if ((err = o->attach(h))) {
				printf("not ok %s '%s' %s: load/attach failed: %s\n", o->name,
				       evs[e].name, desc, strerror(-err));
				failures++;
			} else {
				printf("ok %s '%s' %s: loaded and attached\n", o->name, evs[e].name,
				       desc);
			}
			if (h)
				o->close(h);
		}
	}
}

/* Every program the object ships is some event's candidate: none escapes
 * the load test above. */
static void loadtest__coverage(const struct lt_object *o)
{
	int forced[MAX_EVENTS], n = 0, missing = 0, err = 0, e, c;
	struct bpf_program *prog;
	struct bpf_object *obj;
	void *h;

	for (e = 0; e < o->n_events; e++)
		forced[e] = -1;
	h = o->open(forced, &err);
	obj = h ? o->obj(h) : NULL;
	if (!obj) {
		printf("not ok %s coverage: cannot open the object\n", o->name);
		failures++;
		if (h)
			o->close(h);
		return;
	}
	bpf_object__for_each_program(prog, obj) {
		bool found = false;

		n++;
		for (e = 0; e < o->n_events && !found; e++)
			for (c = 0; c < o->events[e].n_cands && !found; c++)
				found = !strcmp(o->events[e].cands[c].prog,
						bpf_program__name(prog));
		for (c = 0; o->direct && o->direct[c] && !found; c++)
			found = !strcmp(o->direct[c], bpf_program__name(prog));
		if (!found) {
			printf("not ok %s coverage: program %s is no event's candidate\n", o->name,
			       bpf_program__name(prog));
			missing++;
		}
	}
	if (!missing)
		printf("ok %s coverage: all %d programs are probe candidates or attached "
		       "directly\n", o->name, n);
	failures += missing;
	o->close(h);
}

/* memleak's user-mode object: uprobes on this process's own libc, with
 * each variant of links (session, uprobe_multi, per function, as far as
 * this kernel has them) and stack buffer (what older kernels get) */
static void loadtest__memleak_user(void)
{
	const void *const *v;

	for (v = memleak__module.variants; *v; v++) {
		struct memleak_opts o = *(const struct memleak_opts *)*v;
		struct module mod = {};
		char desc[128];
		int err;

		err = memleak__module.self_target(&o);
		if (!err)
			err = module__open(&mod, &memleak__module, &o.mo);
		if (!err)
			err = module__attach(&mod);
		if (err) {
			printf("not ok memleak user mode (%s, %s): %s\n",
			       o.per_function_links ? "per-function links" : "default links",
			       o.no_task_storage ? "per-CPU stack buffer" : "default stack buffer",
			       strerror(-err));
			failures++;
		} else {
			memleak__module.describe(mod.state, desc, sizeof(desc));
			printf("ok memleak user mode (%s): loaded and attached\n", desc);
		}
		module__close(&mod);
	}
}

int main(int argc, char **argv)
{
	size_t i;

	log__init("loadtest", argc > 1 && !strcmp(argv[1], "-v") ? 1 : 0);
	if (geteuid() != 0) {
		printf("skip loadtest: needs root\n");
		return 0;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (objects[i].n_events > MAX_EVENTS) {
			printf("not ok %s: more than %d events\n", objects[i].name, MAX_EVENTS);
			failures++;
			continue;
		}
		loadtest__object(&objects[i]);
		loadtest__coverage(&objects[i]);
	}
	loadtest__memleak_user();
	return failures ? 1 : 0;
}
