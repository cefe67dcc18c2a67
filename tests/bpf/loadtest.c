// SPDX-License-Identifier: BSD-2-Clause
/*
 * Loads every data-source module (module__all) with each probe candidate
 * forced in turn, for each of its option variants, so the verifier sees
 * every program this kernel can run, and checks that the candidates this
 * kernel cannot run are rejected by the probe layer with a reason instead
 * of failing later. One line per candidate:
 *   ok|not ok <module>[ (variant)] <event> <hook>: detail
 * Nothing here knows a particular module: one loop over their ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "module.h"
#include "probe.h"

#define MAX_EVENTS 32

static int failures;

/* "pagecache" or "memleak (variant 2: uprobe_multi links, per-CPU stack buffer)" */
static void label(const struct module_ops *ops, int v, int nv, const struct module *m, char *buf,
		  size_t size)
{
	char what[160] = "";
	int n;

	if (m && m->state && ops->describe)
		ops->describe(m->state, what, sizeof(what));
	if (nv <= 1 && !what[0]) {
		snprintf(buf, size, "%s", ops->name);
		return;
	}
	n = snprintf(buf, size, "%s (variant %d", ops->name, v + 1);
	if (n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, "%s%s)", what[0] ? ": " : "", what);
}

/* The variant's options with every event's candidate forced as given:
 * malloc'ed, or NULL (logged as a failure) when the variant cannot run. */
static void *variant_opts(const struct module_ops *ops, int v, const int *forced, int *err)
{
	void *o = calloc(1, ops->opts_size);

	*err = 0;
	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	if (ops->variants && ops->variants[v])
		memcpy(o, ops->variants[v], ops->opts_size);
	if (ops->self_target)
		*err = ops->self_target(o);
	((struct module_opts *)o)->forced = forced;
	if (*err) {
		free(o);
		return NULL;
	}
	return o;
}

/* One open-attach-close with `forced`; prints the line. */
static void try_one(const struct module_ops *ops, int v, int nv, int e, int c, const int *forced)
{
	struct module m = {};
	char name[256], desc[128] = "";
	struct probe_set *ps;
	int err;
	void *o = variant_opts(ops, v, forced, &err);

	if (e >= 0)
		probe__describe(&ops->events[e].cands[c], desc, sizeof(desc));
	if (!o) {
		label(ops, v, nv, NULL, name, sizeof(name));
		printf("not ok %s: cannot set up its options here: %s\n", name, strerror(-err));
		failures++;
		return;
	}
	err = module__open(&m, ops, o);
	ps = module__probes(&m);
	label(ops, v, nv, &m, name, sizeof(name));
	if (err == -EOPNOTSUPP) {
		/* the variant needs what this kernel lacks; the module said why */
		if (e <= 0 && c <= 0)
			printf("ok %s: not on this kernel, refused at open\n", name);
	} else if (e >= 0 && err == -ENOENT && ps && ps->chosen && ps->chosen[e] < 0) {
		const char *why = probe__reason(ps, e, c);

		if (why[0]) {
			printf("ok %s '%s' %s: rejected cleanly: %s\n", name, ops->events[e].name,
			       desc, why);
		} else {
			printf("not ok %s '%s' %s: rejected without a reason\n", name,
			       ops->events[e].name, desc);
			failures++;
		}
	} else if (err) {
		printf("not ok %s%s%s: open failed: %s\n", name, e >= 0 ? " " : "", desc,
		       strerror(-err));
		failures++;
	} else if ((err = module__attach(&m))) {
		printf("not ok %s%s%s: load/attach failed: %s\n", name, e >= 0 ? " " : "", desc,
		       strerror(-err));
		failures++;
	} else {
		label(ops, v, nv, &m, name, sizeof(name));
		if (e >= 0 && ps && ps->chosen && ps->chosen[e] < 0)
			/* an optional event whose forced hook this kernel lacks:
			 * the module opened without it */
			printf("ok %s '%s' %s: optional, left out here: %s\n", name,
			       ops->events[e].name, desc, probe__reason(ps, e, c)[0] ?
			       probe__reason(ps, e, c) : "no reason given");
		else if (e >= 0)
			printf("ok %s '%s' %s: loaded and attached\n", name, ops->events[e].name,
			       desc);
		else
			printf("ok %s: loaded and attached\n", name);
	}
	module__close(&m);
	free(o);
}

static int n_variants(const struct module_ops *ops)
{
	int n = 0;

	if (!ops->variants)
		return 1;
	while (ops->variants[n])
		n++;
	return n ? n : 1;
}

static void loadtest__module(const struct module_ops *ops)
{
	int nv = n_variants(ops), v, e, c, i, forced[MAX_EVENTS];

	if (ops->n_events > MAX_EVENTS) {
		printf("not ok %s: more than %d events\n", ops->name, MAX_EVENTS);
		failures++;
		return;
	}
	for (v = 0; v < nv; v++) {
		if (!ops->n_events) {
			try_one(ops, v, nv, -1, -1, NULL);
			continue;
		}
		for (e = 0; e < ops->n_events; e++)
			for (c = 0; c < ops->events[e].n_cands; c++) {
				for (i = 0; i < ops->n_events; i++)
					forced[i] = -1;
				forced[e] = c;
				try_one(ops, v, nv, e, c, forced);
			}
	}
}

static bool is_candidate(const struct module_ops *ops, const char *prog)
{
	int e, c;

	for (e = 0; e < ops->n_events; e++)
		for (c = 0; c < ops->events[e].n_cands; c++)
			if (!strcmp(ops->events[e].cands[c].prog, prog))
				return true;
	for (c = 0; ops->direct && ops->direct[c]; c++)
		if (!strcmp(ops->direct[c], prog))
			return true;
	return false;
}

/* Every program the object ships is some event's candidate or attached by
 * the module itself: none escapes the load test above. */
static void loadtest__coverage(const struct module_ops *ops)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct module m = {};
	int n = 0, missing = 0, err;
	void *o;

	if (!ops->n_events)
		return;	/* every hook outside the probe layer: uprobes it places itself */
	o = variant_opts(ops, 0, NULL, &err);
	if (o)
		err = module__open(&m, ops, o);
	obj = o ? module__obj(&m) : NULL;
	if (!obj) {
		if (err == -EOPNOTSUPP) {
			printf("ok %s coverage: its first variant is not on this kernel\n", ops->name);
		} else {
			printf("not ok %s coverage: cannot open the object\n", ops->name);
			failures++;
		}
		goto out;
	}
	bpf_object__for_each_program(prog, obj) {
		n++;
		if (!is_candidate(ops, bpf_program__name(prog))) {
			printf("not ok %s coverage: program %s is no event's candidate\n", ops->name,
			       bpf_program__name(prog));
			missing++;
		}
	}
	if (!missing)
		printf("ok %s coverage: all %d programs are probe candidates or attached "
		       "directly\n", ops->name, n);
	failures += missing;
out:
	module__close(&m);
	free(o);
}

int main(int argc, char **argv)
{
	size_t i;

	log__init("loadtest", argc > 1 && !strcmp(argv[1], "-v") ? 1 : 0);
	if (geteuid() != 0) {
		printf("skip loadtest: needs root\n");
		return 0;
	}
	for (i = 0; module__all[i]; i++) {
		loadtest__module(module__all[i]);
		loadtest__coverage(module__all[i]);
	}
	return failures ? 1 : 0;
}
