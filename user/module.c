// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include "module.h"

int module__open(struct module *m, const struct module_ops *ops, const struct module_opts *o)
{
	int err;

	m->ops = ops;
	m->state = calloc(1, ops->size);
	if (!m->state)
		return -ENOMEM;
	err = ops->open(m->state, o);
	return err;
}

int module__attach(struct module *m)
{
	return m->ops->attach(m->state);
}

struct probe_set *module__probes(const struct module *m)
{
	return m->state ? (struct probe_set *)((char *)m->state + m->ops->probes_offset) : NULL;
}

struct bpf_object *module__obj(const struct module *m)
{
	struct probe_set *ps = module__probes(m);

	return ps ? ps->obj : NULL;
}

void module__print_probes(const struct module *m, FILE *f)
{
	struct probe_set *ps;

	if (m->state && m->ops->print_probes) {
		m->ops->print_probes(m->state, f);
		return;
	}
	ps = module__probes(m);
	if (!ps || !ps->chosen)
		return;
	probe__print(ps, f);
	if (m->ops->print_direct)
		m->ops->print_direct(m->state, f);
}

void module__close(struct module *m)
{
	if (!m->state)
		return;
	m->ops->close(m->state);
	free(m->state);
	m->state = NULL;
}
