// SPDX-License-Identifier: BSD-2-Clause
/* The stack renderers (stack.h): apart from the resolver, so that a tool
 * whose schema has no stacks does not link the symbolizer. */
#include <stdio.h>
#include "stack.h"

void stack__frame_text(const struct frame *f, char *buf, size_t size)
{
	const struct sym_info *si = &f->si;
	int n;

	if (si->name)
		n = snprintf(buf, size, "%s+0x%llx [%s]", si->name, si->offset,
			     si->module ?: "unknown");
	else
		n = snprintf(buf, size, "0x%llx [%s]", f->addr, si->module ?: "unknown");
	if (si->file && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, " %s:%d", si->file, si->line);
}

void stack__print(FILE *out, const struct stack_view *v, const char *indent)
{
	char buf[1024];
	int i;

	for (i = 0; v && i < v->n; i++) {
		stack__frame_text(&v->frames[i], buf, sizeof(buf));
		fprintf(out, "%s%s\n", indent, buf);
	}
}

void stack__folded(FILE *out, const struct stack_view *v, const char *suffix)
{
	int i;

	for (i = v ? v->n - 1 : -1; i >= 0; i--) {
		const struct sym_info *si = &v->frames[i].si;

		if (si->name)
			fprintf(out, "%s%s", si->name, suffix);
		else
			fprintf(out, "[%s]%s", si->module ?: "unknown", suffix);
		if (i)
			fputc(';', out);
	}
}

void stack__print_pair(FILE *out, const struct stack_view *kernel, const struct stack_view *user,
		       const char *indent)
{
	stack__print(out, kernel, indent);
	if (kernel->n && user->n)
		fprintf(out, "%s--\n", indent);
	stack__print(out, user, indent);
}

void stack__folded_line(FILE *out, const char *comm, const struct stack_view *user,
			const struct stack_view *kernel, unsigned long long value)
{
	fputs(comm, out);
	if (user->n) {
		fputc(';', out);
		stack__folded(out, user, "");
	}
	if (kernel->n) {
		fputc(';', out);
		stack__folded(out, kernel, "_[k]");
	}
	fprintf(out, " %llu\n", value);
}

void stack__json(struct json *j, const char *key, const struct stack_view *v)
{
	int i;

	json__begin_array(j, key);
	for (i = 0; v && i < v->n; i++) {
		const struct frame *f = &v->frames[i];

		json__begin(j, NULL);
		json__u64(j, "addr", f->addr);
		if (f->si.name) {
			json__str(j, "sym", f->si.name);
			json__u64(j, "offset", f->si.offset);
		} else {
			json__null(j, "sym");
			json__null(j, "offset");
		}
		if (f->si.module)
			json__str(j, "module", f->si.module);
		else
			json__null(j, "module");
		if (f->si.file) {
			json__str(j, "file", f->si.file);
			json__u64(j, "line", f->si.line);
		} else {
			json__null(j, "file");
			json__null(j, "line");
		}
		json__end(j);
	}
	json__end_array(j);
}
