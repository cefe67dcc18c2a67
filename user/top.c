// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
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

void top__table_init(struct top_table *t, const struct top_col *cols, int ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

void top__table_reset(struct top_table *t)
{
	t->nrows = 0;
}

void top__table_free(struct top_table *t)
{
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

struct top_cell *top__row(struct top_table *t)
{
	struct top_cell *row;

	if (t->nrows == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		struct top_cell *c = realloc(t->cells, (size_t)cap * t->ncols * sizeof(*c));

		if (!c)
			return NULL;
		t->cells = c;
		t->cap = cap;
	}
	row = &t->cells[(size_t)t->nrows * t->ncols];
	memset(row, 0, (size_t)t->ncols * sizeof(*row));
	t->nrows++;
	return row;
}

void top__cell_num(struct top_cell *c, double v, const char *fmt)
{
	c->num = v;
	if (isnan(v))
		snprintf(c->text, sizeof(c->text), "-");
	else if (fmt)
		snprintf(c->text, sizeof(c->text), fmt, v);
	else
		snprintf(c->text, sizeof(c->text), "%.0f", v);
}

void top__cell_str(struct top_cell *c, const char *s)
{
	snprintf(c->text, sizeof(c->text), "%s", s);
	c->num = 0;
}

int top__find_col(const struct top_col *cols, int ncols, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < ncols; i++) {
		size_t m = strlen(cols[i].name);

		if (!strcasecmp(cols[i].name, name))
			return i;
		/* "read_hit" for READ_HIT% */
		if (m == n + 1 && cols[i].name[m - 1] == '%' && !strncasecmp(cols[i].name, name, n))
			return i;
	}
	return -1;
}

struct sort_ctx {
	const struct top_table *t;
	int col;
	bool reverse;
};
static struct sort_ctx sort_ctx;

static int top__cmp_idx(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb, r;
	const struct top_table *t = sort_ctx.t;
	const struct top_cell *ca = &t->cells[(size_t)a * t->ncols + sort_ctx.col];
	const struct top_cell *cb = &t->cells[(size_t)b * t->ncols + sort_ctx.col];

	if (t->cols[sort_ctx.col].numeric) {
		/* NaN ("-") sorts as the smallest value */
		double x = isnan(ca->num) ? -1 : ca->num, y = isnan(cb->num) ? -1 : cb->num;

		r = x < y ? 1 : x > y ? -1 : 0;
	} else {
		r = strcmp(ca->text, cb->text);
	}
	if (sort_ctx.reverse)
		r = -r;
	return r ? r : a - b; /* stable */
}

void top__sort(struct top_table *t, int col, bool reverse)
{
	struct top_cell *sorted;
	int *idx, i;

	if (t->nrows < 2 || col < 0 || col >= t->ncols)
		return;
	idx = malloc(t->nrows * sizeof(*idx));
	sorted = malloc((size_t)t->nrows * t->ncols * sizeof(*sorted));
	if (!idx || !sorted) {
		free(idx);
		free(sorted);
		return;
	}
	for (i = 0; i < t->nrows; i++)
		idx[i] = i;
	sort_ctx = (struct sort_ctx){ t, col, reverse };
	qsort(idx, t->nrows, sizeof(*idx), top__cmp_idx);
	for (i = 0; i < t->nrows; i++)
		memcpy(&sorted[(size_t)i * t->ncols], &t->cells[(size_t)idx[i] * t->ncols],
		       t->ncols * sizeof(*sorted));
	memcpy(t->cells, sorted, (size_t)t->nrows * t->ncols * sizeof(*sorted));
	free(sorted);
	free(idx);
}

static void top__format_row(char *buf, size_t size, const struct top_table *t,
			    const struct top_cell *row)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < t->ncols && n < size; i++) {
		int w = t->cols[i].width;
		const char *text = row ? row[i].text : t->cols[i].name;

		/* the last column is not padded: long file paths stay whole */
		if (i == t->ncols - 1 && w < 0)
			n += snprintf(buf + n, size - n, "%s", text);
		else
			n += snprintf(buf + n, size - n, "%*s ", w, text);
	}
	while (n > 0 && n < size && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

void top__print(FILE *f, const struct top_table *t, int max_rows)
{
	char line[4096];
	int i;

	top__format_row(line, sizeof(line), t, NULL);
	fprintf(f, "%s\n", line);
	for (i = 0; i < t->nrows && (max_rows <= 0 || i < max_rows); i++) {
		top__format_row(line, sizeof(line), t, &t->cells[(size_t)i * t->ncols]);
		fprintf(f, "%s\n", line);
	}
}

void top__print_row(FILE *f, const struct top_table *t, const struct top_cell *row)
{
	char line[4096];

	top__format_row(line, sizeof(line), t, row);
	fprintf(f, "%s\n", line);
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
	top__format_row(line, sizeof(line), t, NULL);
	attron(A_REVERSE);
	mvaddnstr(y++, 0, line, cols);
	attroff(A_REVERSE);
	for (i = 0; i < t->nrows && y < rows; i++, y++) {
		top__format_row(line, sizeof(line), t, &t->cells[(size_t)i * t->ncols]);
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
	int col = top__find_col(t->cols, t->ncols, field);

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
	v->ops->title(v->ctx, figures, sizeof(figures));
	snprintf(buf, size, "%s %s / Sort: %s / Order: %s", hms, figures,
		 t->cols[v->sort[v->cur]].name, v->reverse[v->cur] ? "ascending" : "descending");
}

void top__view_head(struct top_view *v, const struct timespec *now, FILE *f)
{
	char line[512];

	top__view_title(v, now, line, sizeof(line));
	fprintf(f, "%s\n", line);
	v->ops->status(v->ctx, line, sizeof(line));
	if (line[0])
		fprintf(f, "%s\n", line);
}

static void top__view_redraw(struct top_view *v)
{
	char t[512], st[512];

	top__view_title(v, &v->when, t, sizeof(t));
	v->ops->status(v->ctx, st, sizeof(st));
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
	int i = v->cur, ncols = v->tables[i]->ncols;

	switch (k) {
	case TOP_KEY_NONE:
		return;
	case TOP_KEY_QUIT:
		loop__stop();
		return;
	case TOP_KEY_PREV_SORT:
		v->sort[i] = (v->sort[i] + ncols - 1) % ncols;
		break;
	case TOP_KEY_NEXT_SORT:
		v->sort[i] = (v->sort[i] + 1) % ncols;
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
