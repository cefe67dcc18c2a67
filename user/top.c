// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>
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
