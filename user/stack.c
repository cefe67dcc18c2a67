// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stack.h"

struct stacks {
	struct syms *kernel;
	bool kernel_tried;
	struct syms_cache *users;
};

struct stacks *stacks__new(void)
{
	struct stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->users = syms_cache__new();
	if (!s->users) {
		free(s);
		return NULL;
	}
	return s;
}

void stacks__free(struct stacks *s)
{
	if (!s)
		return;
	syms__free(s->kernel);
	syms_cache__free(s->users);
	free(s);
}

void stacks__prune(struct stacks *s)
{
	syms_cache__prune(s->users);
}

struct syms *stacks__user_syms(struct stacks *s, pid_t pid)
{
	return syms_cache__get(s->users, pid);
}

static struct syms *kernel_syms(struct stacks *s)
{
	if (!s->kernel_tried) {
		s->kernel_tried = true;
		s->kernel = syms__new_kernel();
	}
	return s->kernel;
}

/* The BPF program and the tracepoint glue that ran it (__traceiter_*:
 * the tracepoint's iterator since v5.10, seen in 6.18 stacks) */
static bool is_tool_frame(const struct sym_info *si)
{
	if (!si->name)
		return false;
	return !strcmp(si->module ?: "", "bpf") || !strncmp(si->name, "bpf_trace_run", 13) ||
	       !strncmp(si->name, "__bpf_trace_", 12) || !strncmp(si->name, "__traceiter_", 12);
}

int stacks__resolve(struct stacks *s, pid_t pid, const __u64 *ips, int n, int first_ret,
		    struct frame *out)
{
	struct syms *sy = pid ? syms_cache__get(s->users, pid) : kernel_syms(s);
	int i, kept = 0;

	for (i = 0; i < n && ips[i]; i++) {
		struct frame *f = &out[kept];
		bool ret = i >= first_ret;

		memset(f, 0, sizeof(*f));
		f->addr = ips[i];
		if (pid && ret && i > 0 && ips[i] >> 56)
			break;
		if (sy && syms__resolve(sy, ips[i], ret, &f->si) == -ENOENT && pid && ret && i > 0)
			break;
		if (!pid && !kept && is_tool_frame(&f->si))
			continue;
		kept++;
	}
	return kept;
}
