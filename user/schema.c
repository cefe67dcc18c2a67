// SPDX-License-Identifier: BSD-2-Clause
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "schema.h"
#include "stack.h"

void rec__init(struct rec *r, const struct schema *s)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
}

static struct val *slot(struct rec *r, int f)
{
	if (f < 0 || f >= r->s->n || f >= SCHEMA_MAX_FIELDS)
		return NULL;
	return &r->v[f];
}

void rec__u64(struct rec *r, int f, unsigned long long v)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = true;
		x->u = v;
	}
}

void rec__i64(struct rec *r, int f, long long v)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = true;
		x->i = v;
	}
}

void rec__dbl(struct rec *r, int f, double v)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = isfinite(v);
		x->d = v;
	}
}

void rec__str(struct rec *r, int f, const char *s)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = s != NULL;
		x->s = s;
	}
}

void rec__bool(struct rec *r, int f, bool v)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = true;
		x->b = v;
	}
}

void rec__time(struct rec *r, int f, const struct timespec *t)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = t != NULL;
		if (t)
			x->t = *t;
	}
}

void rec__obj(struct rec *r, int f, const struct rec *sub)
{
	rec__list(r, f, sub, sub ? 1 : 0);
	if (!sub && slot(r, f))
		r->v[f].set = false;
}

void rec__list(struct rec *r, int f, const struct rec *recs, size_t n)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = true;
		x->list.recs = recs;
		x->list.n = n;
	}
}

void rec__hist(struct rec *r, int f, const struct hist_view *h)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = h != NULL;
		if (h)
			x->h = *h;
	}
}

void rec__stack(struct rec *r, int f, const struct stack_view *st)
{
	struct val *x = slot(r, f);

	if (x) {
		x->set = st != NULL;
		x->st = st;
	}
}

double rec__num(const struct rec *r, int f)
{
	const struct val *x = &r->v[f];

	if (!x->set)
		return NAN;
	switch (r->s->fields[f].type) {
	case FT_U64:
		return (double)x->u;
	case FT_I64:
		return (double)x->i;
	case FT_DBL:
		return x->d;
	default:
		return NAN;
	}
}

static bool is_scalar(enum field_type t)
{
	return t <= FT_TIME;
}

void schema__cell(const struct rec *r, int f, char *buf, size_t size)
{
	const struct field *fd = &r->s->fields[f];
	const struct val *x = &r->v[f];

	if (!size)
		return;
	if (!x->set) {
		snprintf(buf, size, "-");
		return;
	}
	switch (fd->type) {
	case FT_U64:
		snprintf(buf, size, "%llu", x->u);
		break;
	case FT_I64:
		snprintf(buf, size, "%lld", x->i);
		break;
	case FT_DBL:
		snprintf(buf, size, "%.*f%s", fd->prec, x->d, fd->flags & FF_PCT ? "%" : "");
		break;
	case FT_STR:
		snprintf(buf, size, "%s", x->s);
		break;
	case FT_BOOL:
		snprintf(buf, size, "%s", x->b ? "yes" : "no");
		break;
	case FT_TIME:
		out__hms(&x->t, buf, size);
		if (fd->prec > 0 && fd->prec <= 9) {
			size_t len = strlen(buf);
			long frac = x->t.tv_nsec;
			int i;

			for (i = fd->prec; i < 9; i++)
				frac /= 10;
			snprintf(buf + len, size - len, ".%0*ld", fd->prec, frac);
		}
		break;
	default:
		snprintf(buf, size, "-");
		break;
	}
}

static bool is_column(const struct field *fd, int f, unsigned long long hide)
{
	return fd->header && !(fd->flags & FF_JSON_ONLY) && is_scalar(fd->type) &&
	       !(f < 64 && (hide >> f) & 1);
}

/* Columns are separated by one space; the last one is not padded when
 * left-aligned, so no line ends in blanks. */
static void put_cell(FILE *out, const char *text, int width, bool first, bool last)
{
	if (!first)
		fputc(' ', out);
	if (width < 0 && last)
		fputs(text, out);
	else
		fprintf(out, "%*s", width, text);
}

static int last_column(const struct schema *s, unsigned long long hide)
{
	int f, last = -1;

	for (f = 0; f < s->n; f++)
		if (is_column(&s->fields[f], f, hide))
			last = f;
	return last;
}

void schema__header(FILE *out, const struct schema *s, unsigned long long hide)
{
	int f, last = last_column(s, hide);
	bool first = true;

	for (f = 0; f < s->n; f++) {
		const struct field *fd = &s->fields[f];

		if (!is_column(fd, f, hide))
			continue;
		put_cell(out, fd->header, fd->width, first, f == last);
		first = false;
	}
	fputc('\n', out);
}

void schema__row(FILE *out, const struct rec *r, unsigned long long hide)
{
	int f, last = last_column(r->s, hide);
	bool first = true;
	char cell[512];

	for (f = 0; f < r->s->n; f++) {
		const struct field *fd = &r->s->fields[f];

		if (!is_column(fd, f, hide))
			continue;
		schema__cell(r, f, cell, sizeof(cell));
		put_cell(out, cell, fd->width, first, f == last);
		first = false;
	}
	fputc('\n', out);
}

void schema__table(FILE *out, const struct rec *r, int list_field, size_t max)
{
	const struct field *fd = &r->s->fields[list_field];
	const struct val *x = &r->v[list_field];
	size_t i;

	if (fd->type != FT_LIST || !fd->sub)
		return;
	schema__header(out, fd->sub, 0);
	if (!x->set)
		return;
	for (i = 0; i < x->list.n && (!max || i < max); i++)
		schema__row(out, &x->list.recs[i], 0);
}

void schema__block(FILE *out, const struct rec *r, int f)
{
	const struct field *fd = &r->s->fields[f];
	const struct val *x = &r->v[f];

	if (x->set && fd->type == FT_HIST)
		hist__print(out, &x->h, hist__label(x->h.unit ?: fd->unit));
}

static void json_val(struct json *j, const struct field *fd, const struct val *x)
{
	size_t i;

	if (!x->set) {
		if (!(fd->flags & FF_OMIT))
			json__null(j, fd->key);
		return;
	}
	switch (fd->type) {
	case FT_U64:
		json__u64(j, fd->key, x->u);
		break;
	case FT_I64:
		json__i64(j, fd->key, x->i);
		break;
	case FT_DBL:
		json__num(j, fd->key, x->d, fd->prec);
		break;
	case FT_STR:
		json__str(j, fd->key, x->s);
		break;
	case FT_BOOL:
		json__bool(j, fd->key, x->b);
		break;
	case FT_TIME:
		json__time(j, fd->key, &x->t);
		break;
	case FT_OBJ:
		if (x->list.n)
			schema__json(j, fd->key, &x->list.recs[0]);
		else
			json__null(j, fd->key);
		break;
	case FT_LIST:
		json__begin_array(j, fd->key);
		for (i = 0; i < x->list.n; i++)
			schema__json(j, NULL, &x->list.recs[i]);
		json__end_array(j);
		break;
	case FT_HIST:
		hist__json(j, fd->key, &x->h, x->h.unit ?: fd->unit ?: "");
		break;
	case FT_FRAMES:
		stack__json(j, fd->key, x->st);
		break;
	}
}

void schema__json(struct json *j, const char *key, const struct rec *r)
{
	int f;

	json__begin(j, key);
	for (f = 0; f < r->s->n; f++) {
		const struct field *fd = &r->s->fields[f];

		if (fd->flags & FF_TEXT_ONLY)
			continue;
		json_val(j, fd, &r->v[f]);
	}
	json__end(j);
}

void schema__json_line(struct json *j, const struct rec *r)
{
	schema__json(j, NULL, r);
}

int schema__find(const struct schema *s, const char *key)
{
	int f;

	for (f = 0; f < s->n; f++)
		if (s->fields[f].key && !strcmp(s->fields[f].key, key))
			return f;
	return -1;
}

int schema__find_header(const struct schema *s, const char *name)
{
	size_t n = strlen(name);
	int f;

	if (n && name[n - 1] == '%')
		n--;
	for (f = 0; f < s->n; f++) {
		const char *h = s->fields[f].header;
		size_t hn;

		if (!h)
			continue;
		hn = strlen(h);
		if (hn && h[hn - 1] == '%')
			hn--;
		if (hn == n && !strncasecmp(h, name, n))
			return f;
	}
	return -1;
}
