// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <curses.h>
#include "cli.h"
#include "log.h"
#include "output.h"
#include "top.h"

/* a cell's text, for sorting by text and for total lines */
#define TOP_CELL_LEN 512

void top__table_init(struct top_table *t, const struct schema *s)
{
	memset(t, 0, sizeof(*t));
	t->s = s;
}

void top__table_reset(struct top_table *t)
{
	t->nrows = 0;
}

void top__table_free(struct top_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->nrows = t->cap = 0;
}

struct rec *top__row(struct top_table *t)
{
	struct rec *r;

	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		struct rec *rows = realloc(t->rows, (size_t)cap * sizeof(*rows));

		if (!rows)
			return NULL;
		t->rows = rows;
		t->cap = cap;
	}
	r = &t->rows[t->nrows++];
	rec__init(r, t->s);
	return r;
}

static bool top__is_key(const struct schema *s, int f)
{
	return schema__is_column(s, f, 0) && !(s->fields[f].flags & FF_NOSORT);
}

int top__find_col(const struct schema *s, const char *name)
{
	int f = schema__find_header(s, name);

	return top__is_key(s, f) ? f : -1;
}

static bool top__numeric(const struct field *fd)
{
	return fd->type == FT_U64 || fd->type == FT_I64 || fd->type == FT_DBL;
}

struct sort_ctx {
	const struct top_table *t;
	int field;
	bool reverse;
};
static struct sort_ctx sort_ctx;

static int top__cmp_idx(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb, f = sort_ctx.field, r;
	const struct rec *ra = &sort_ctx.t->rows[a], *rb = &sort_ctx.t->rows[b];

	if (top__numeric(&sort_ctx.t->s->fields[f])) {
		/* absent ("-") sorts as the smallest value */
		double x = rec__num(ra, f), y = rec__num(rb, f);

		x = isnan(x) ? -INFINITY : x;
		y = isnan(y) ? -INFINITY : y;
		r = x < y ? 1 : x > y ? -1 : 0;
	} else {
		char ta[TOP_CELL_LEN], tb[TOP_CELL_LEN];

		schema__cell(ra, f, ta, sizeof(ta));
		schema__cell(rb, f, tb, sizeof(tb));
		r = strcmp(ta, tb);
	}
	if (sort_ctx.reverse)
		r = -r;
	return r ? r : a - b; /* stable */
}

void top__sort(struct top_table *t, int field, bool reverse)
{
	struct rec *sorted;
	int *idx, i;

	if (t->nrows < 2 || field < 0 || field >= t->s->n)
		return;
	idx = malloc(t->nrows * sizeof(*idx));
	sorted = malloc((size_t)t->nrows * sizeof(*sorted));
	if (!idx || !sorted) {
		free(idx);
		free(sorted);
		return;
	}
	for (i = 0; i < t->nrows; i++)
		idx[i] = i;
	sort_ctx = (struct sort_ctx){ t, field, reverse };
	qsort(idx, t->nrows, sizeof(*idx), top__cmp_idx);
	for (i = 0; i < t->nrows; i++)
		sorted[i] = t->rows[idx[i]];
	memcpy(t->rows, sorted, (size_t)t->nrows * sizeof(*sorted));
	free(sorted);
	free(idx);
}

size_t top__shown(size_t n, unsigned long max)
{
	return max && max < n ? max : n;
}

void top__print(FILE *f, const struct top_table *t, int max_rows)
{
	int i;

	schema__header(f, t->s, 0);
	for (i = 0; i < t->nrows && (max_rows <= 0 || i < max_rows); i++)
		schema__row(f, &t->rows[i], 0);
}

void top__print_total(FILE *f, const struct top_table *t, const struct rec *total,
		      const char *label)
{
	char text[SCHEMA_MAX_FIELDS][TOP_CELL_LEN];
	const char *cells[SCHEMA_MAX_FIELDS] = {};
	int i;

	for (i = 0; i < t->s->n && i < SCHEMA_MAX_FIELDS; i++) {
		if (total->v[i].set) {
			schema__cell(total, i, text[i], sizeof(text[i]));
			cells[i] = text[i];
		} else if (label && t->s->fields[i].type == FT_STR) {
			cells[i] = label;
			label = NULL;
		}
	}
	schema__line(f, t->s, cells, 0);
}

/* Appends to buf at *n, as far as it goes. */
static void top__append(char *buf, size_t size, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void top__append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= size)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t)k;
}

/* The title's figures ("HEADER VALUE / ...") or the losses line ("lost
 * since start: VALUE HEADER, ..." of the values above 0). */
static void top__describe(const struct rec *r, bool losses, char *buf, size_t size)
{
	char cell[TOP_CELL_LEN];
	size_t n = 0;
	int f;

	buf[0] = '\0';
	for (f = 0; r && f < r->s->n; f++) {
		const char *h = r->s->fields[f].header;

		if (!h || (losses && !(rec__num(r, f) > 0)))
			continue;
		schema__cell(r, f, cell, sizeof(cell));
		if (losses)
			top__append(buf, size, &n, "%s%s %s", n ? ", " : "lost since start: ", cell, h);
		else
			top__append(buf, size, &n, "%s%s %s", n ? " / " : "", h, cell);
	}
}

void top__figures(const struct rec *r, char *buf, size_t size)
{
	top__describe(r, false, buf, size);
}

void top__losses(const struct rec *r, char *buf, size_t size)
{
	top__describe(r, true, buf, size);
}

/* One table line as text, without its newline. */
static void top__line(char *buf, size_t size, const struct top_table *t, const struct rec *r)
{
	FILE *f = fmemopen(buf, size, "w");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return;
	if (r)
		schema__row(f, r, 0);
	else
		schema__header(f, t->s, 0);
	fclose(f);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

int top__screen_open(void)
{
	if (!initscr())
		return -ENOTTY;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	return 0;
}

void top__screen_close(void)
{
	if (!isendwin())
		endwin();
}

void top__screen_draw(const char *title, const struct top_table *t, const char *status)
{
	char line[4096];
	int rows, cols, i, y = 0;

	getmaxyx(stdscr, rows, cols);
	erase();
	mvaddnstr(y++, 0, title, cols);
	if (status && status[0])
		mvaddnstr(y++, 0, status, cols);
	top__line(line, sizeof(line), t, NULL);
	attron(A_REVERSE);
	mvaddnstr(y++, 0, line, cols);
	attroff(A_REVERSE);
	for (i = 0; i < t->nrows && y < rows; i++, y++) {
		top__line(line, sizeof(line), t, &t->rows[i]);
		mvaddnstr(y, 0, line, cols);
	}
	refresh();
}

enum top_key top__screen_key(int timeout_ms)
{
	int ch;

	timeout(timeout_ms);
	ch = getch();
	switch (ch) {
	case 'q':
	case 'Q':
		return TOP_KEY_QUIT;
	case '<':
		return TOP_KEY_PREV_SORT;
	case '>':
		return TOP_KEY_NEXT_SORT;
	case 'r':
	case 'R':
		return TOP_KEY_REVERSE;
	case 'f':
	case 'F':
		return TOP_KEY_FILES;
	case 'p':
	case 'P':
		return TOP_KEY_PAUSE;
	case KEY_RESIZE:
		return TOP_KEY_RESIZE;
	default:
		return TOP_KEY_NONE;
	}
}

static const struct argp_option top__options[] = {
	{ "sort", 's', "FIELD", 0, "Sort by this column (its name, case-insensitive)", 0 },
	{ "reverse", 'r', NULL, 0, "Reverse the sort order", 0 },
	{ "rows", 'n', "ROWS", 0, "Show at most ROWS rows (default: all in batch, the screen)", 0 },
	{ "batch", 'b', NULL, 0, "Plain tables, not a full-screen view", 0 },
	{},
};

static error_t top__parse_opt(int key, char *arg, struct argp_state *state)
{
	struct top_cli *o = state->input;
	const char *why;

	switch (key) {
	case 's':
		o->sort = arg;
		break;
	case 'r':
		o->reverse = true;
		break;
	case 'n':
		if (cli__parse_ulong(arg, 1, INT_MAX, &o->rows, &why))
			argp_error(state, "invalid rows '%s': %s", arg, why);
		break;
	case 'b':
		o->batch = true;
		break;
	case ARGP_KEY_END:
		if (!isatty(STDOUT_FILENO))
			o->batch = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp top__argp = { top__options, top__parse_opt, NULL, NULL, NULL, NULL, NULL };

void top__view_init(struct top_view *v, const struct top_ops *ops, void *ctx)
{
	memset(v, 0, sizeof(*v));
	v->ops = ops;
	v->ctx = ctx;
	memset(v->ties, -1, sizeof(v->ties));
}

int top__view_add(struct top_view *v, struct top_table *t, int sort, bool reverse)
{
	int i = v->nviews;

	if (i == TOP_MAX_VIEWS)
		return -1;
	v->tables[i] = t;
	v->sort[i] = sort;
	v->reverse[i] = reverse;
	v->nviews++;
	return i;
}

void top__view_ties(struct top_view *v, int view, int a, int b)
{
	v->ties[view][0] = a;
	v->ties[view][1] = b;
}

int top__view_sort_by(struct top_view *v, int view, const char *field)
{
	const struct top_table *t = v->tables[view];
	int col = top__find_col(t->s, field);

	if (col < 0) {
		log__err("unknown sort field '%s' (one of the column names)", field);
		return -1;
	}
	v->sort[view] = col;
	v->cur = view;
	return 0;
}

struct top_table *top__view_table(const struct top_view *v)
{
	return v->tables[v->cur];
}

void top__view_sort(struct top_view *v)
{
	int i, k;

	for (i = 0; i < v->nviews; i++) {
		/* stable sorts: the tie-breaker first */
		for (k = 0; k < 2; k++) {
			if (v->ties[i][k] >= 0 && v->ties[i][k] != v->sort[i]) {
				top__sort(v->tables[i], v->ties[i][k], v->reverse[i]);
				break;
			}
		}
		top__sort(v->tables[i], v->sort[i], v->reverse[i]);
	}
}

static void top__view_build(struct top_view *v)
{
	v->ops->build(v->ctx);
	top__view_sort(v);
}

int top__view_update(struct top_view *v)
{
	int err = v->ops->sample(v->ctx);

	if (err)
		return err;
	top__view_build(v);
	return 0;
}

static void top__view_title(struct top_view *v, const struct timespec *now, char *buf,
			    size_t size)
{
	const struct top_table *t = top__view_table(v);
	char hms[16], figures[256];

	out__hms(now, hms, sizeof(hms));
	top__figures(v->ops->title ? v->ops->title(v->ctx) : NULL, figures, sizeof(figures));
	snprintf(buf, size, "%s %s%sSort: %s / Order: %s", hms, figures, figures[0] ? " / " : "",
		 t->s->fields[v->sort[v->cur]].header,
		 v->reverse[v->cur] ? "ascending" : "descending");
}

static void top__view_status(struct top_view *v, char *buf, size_t size)
{
	top__losses(v->ops->lost ? v->ops->lost(v->ctx) : NULL, buf, size);
}

void top__view_head(struct top_view *v, const struct timespec *now, FILE *f)
{
	char line[512];

	top__view_title(v, now, line, sizeof(line));
	fprintf(f, "%s\n", line);
	top__view_status(v, line, sizeof(line));
	if (line[0])
		fprintf(f, "%s\n", line);
}

static void top__view_redraw(struct top_view *v)
{
	char t[512], st[512];

	top__view_title(v, &v->when, t, sizeof(t));
	top__view_status(v, st, sizeof(st));
	if (v->paused)
		snprintf(st + strlen(st), sizeof(st) - strlen(st), "%sPAUSED (p resumes)",
			 st[0] ? " / " : "");
	top__screen_draw(t, top__view_table(v), st);
}

/* The full-screen view's interval: new counts, unless paused. */
static int top__view_tick(void *ctx, const struct timespec *now)
{
	struct top_view *v = ctx;
	int err;

	if (v->paused)
		return 0;
	err = top__view_update(v);
	if (err)
		return err;
	v->when = *now;
	top__view_redraw(v);
	return 0;
}

/* Between intervals: keys re-sort or switch the view of the same counts. */
static void top__view_idle(void *ctx, int timeout_ms)
{
	struct top_view *v = ctx;
	enum top_key k = top__screen_key(timeout_ms);
	const struct schema *s = v->tables[v->cur]->s;
	int i = v->cur, step = 0, f;

	switch (k) {
	case TOP_KEY_NONE:
		return;
	case TOP_KEY_QUIT:
		loop__stop();
		return;
	case TOP_KEY_PREV_SORT:
		step = s->n - 1;
		break;
	case TOP_KEY_NEXT_SORT:
		step = 1;
		break;
	case TOP_KEY_REVERSE:
		v->reverse[i] = !v->reverse[i];
		break;
	case TOP_KEY_FILES:
		v->cur = (v->cur + 1) % v->nviews;
		break;
	case TOP_KEY_PAUSE:
		v->paused = !v->paused;
		break;
	case TOP_KEY_RESIZE:
		break;
	}
	/* the previous or next column that is a sort key */
	for (f = (v->sort[i] + step) % s->n; step && !top__is_key(s, f); f = (f + step) % s->n)
		;
	if (step)
		v->sort[i] = f;
	top__view_build(v);
	top__view_redraw(v);
}

int top__view_run(struct top_view *v, const struct cli_common *c, pid_t pid, bool batch,
		  loop_tick_fn batch_tick)
{
	const struct loop_opts o = { .idle = top__view_idle };
	bool pid_exited = false;
	int err;

	if (batch)
		return cli__run(c, pid, NULL, batch_tick, v->ctx);
	if (top__screen_open()) {
		log__err("cannot start the full-screen view (use -b)");
		return -ENOTTY;
	}
	clock_gettime(CLOCK_REALTIME, &v->when);
	top__view_build(v);
	top__view_redraw(v);
	err = cli__loop(c, pid, &o, top__view_tick, v, &pid_exited);
	/* after the screen is gone, or the message would be drawn over */
	top__screen_close();
	if (!err)
		cli__report_exit(pid, pid_exited);
	return err;
}
