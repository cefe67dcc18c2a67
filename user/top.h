/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_TOP_H
#define MEMSCOPE_TOP_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include "loop.h"

/*
 * The top view shared by cachetop and faultstat: a table of rows whose
 * cells carry both their text and a number to sort by, rendered either as
 * plain text per interval (batch: -b, not a terminal, --json) or on an
 * ncurses screen with keys to sort, reverse, switch views, pause and quit.
 */
struct top_col {
	const char *name;	/* header, also what -s accepts (case-insensitive) */
	int width;		/* negative: left-aligned */
	bool numeric;		/* sort by number (descending first) or by text */
};

#define TOP_CELL_LEN 256

struct top_cell {
	char text[TOP_CELL_LEN];
	double num;
};

struct top_table {
	const struct top_col *cols;
	int ncols;
	int nrows;
	int cap;
	struct top_cell *cells;	/* nrows * ncols */
};

void top__table_init(struct top_table *t, const struct top_col *cols, int ncols);
void top__table_reset(struct top_table *t);
void top__table_free(struct top_table *t);
/* Appends a row; returns its first cell (ncols cells), or NULL on ENOMEM. */
struct top_cell *top__row(struct top_table *t);
void top__cell_num(struct top_cell *c, double v, const char *fmt);
void top__cell_str(struct top_cell *c, const char *s);

/* Column index for a -s FIELD (case-insensitive, "%" optional), -1 if none. */
int top__find_col(const struct top_col *cols, int ncols, const char *name);
/* Stable sort by column; numbers descending unless `reverse`, text ascending
 * unless `reverse`. */
void top__sort(struct top_table *t, int col, bool reverse);
/* Writes the column header and up to max_rows rows (0: all). */
void top__print(FILE *f, const struct top_table *t, int max_rows);
/* Writes one row laid out in t's columns, e.g. a total under the table. */
void top__print_row(FILE *f, const struct top_table *t, const struct top_cell *row);

/* ---- the interactive screen ---- */

enum top_key {
	TOP_KEY_NONE,
	TOP_KEY_QUIT,		/* q */
	TOP_KEY_PREV_SORT,	/* < */
	TOP_KEY_NEXT_SORT,	/* > */
	TOP_KEY_REVERSE,	/* r */
	TOP_KEY_FILES,		/* f */
	TOP_KEY_PAUSE,		/* p */
	TOP_KEY_RESIZE,
};

int top__screen_open(void);
void top__screen_close(void);
/* Draws the title line and the table, as many rows as fit. */
void top__screen_draw(const char *title, const struct top_table *t, const char *status);
/* Waits up to timeout_ms for a key. */
enum top_key top__screen_key(int timeout_ms);

/* ---- the view: options, sort keys, title, batch or full screen ---- */

/* -s, -r, -n, -b, filled by the child parser top__argp; state->input must
 * be a struct top_cli *. Attach it with { &top__argp, 0, NULL, 0 } after
 * cli__argp (child_inputs[1]). */
struct top_cli {
	const char *sort;	/* -s: a column name; NULL: the tool's default */
	bool reverse;		/* -r */
	bool batch;		/* -b, or stdout is not a terminal */
	unsigned long rows;	/* -n: 0 for all */
};
extern const struct argp top__argp;

/* What a tool brings to the view; ctx is the tool's state. */
struct top_ops {
	/* New counts for an interval; logs and returns errors (< 0). */
	int (*sample)(void *ctx);
	/* Fills the tables from the counts; the view sorts them after. */
	void (*build)(void *ctx);
	/* The tool's figures in the title line, e.g. "Faults: minor 3 / major 1". */
	void (*title)(void *ctx, char *buf, size_t size);
	/* A warning line under the title (lost events, full tables), "" if none. */
	void (*status)(void *ctx, char *buf, size_t size);
};

#define TOP_MAX_VIEWS 2

struct top_view {
	const struct top_ops *ops;
	void *ctx;
	struct top_table *tables[TOP_MAX_VIEWS];	/* f cycles through them */
	int nviews, cur;
	int sort[TOP_MAX_VIEWS];
	int ties[TOP_MAX_VIEWS][2];	/* -1: none */
	bool reverse[TOP_MAX_VIEWS];
	bool paused;			/* full screen: p */
	struct timespec when;		/* full screen: time of the counts shown */
};

void top__view_init(struct top_view *v, const struct top_ops *ops, void *ctx);
/* Adds a table as the next view, sorted by column `sort` (or -r). Returns
 * the view's index. */
int top__view_add(struct top_view *v, struct top_table *t, int sort, bool reverse);
/* Rows equal in the sort column keep the order of the first of a, b that
 * is not the sort column (-1: none), e.g. MAJOR then MINOR. */
void top__view_ties(struct top_view *v, int view, int a, int b);
/* -s FIELD for a view (and makes it the one shown). Logs and returns -1
 * when no column has that name. */
int top__view_sort_by(struct top_view *v, int view, const char *field);
/* The table shown now. */
struct top_table *top__view_table(const struct top_view *v);
/* Sorts every view's table by its keys. */
void top__view_sort(struct top_view *v);
/* New counts: sample, build, sort. */
int top__view_update(struct top_view *v);
/* Writes the title line (time, the tool's figures, sort and order) and
 * the status line when there is one. */
void top__view_head(struct top_view *v, const struct timespec *now, FILE *f);
/* Runs the interval loop of the command line `c`, watching pid (0: none):
 * with `batch`, batch_tick each interval (it calls top__view_update and
 * prints); else the full-screen view until q or the loop ends. Logs "pid N
 * exited" when it did, after the screen is closed. */
struct cli_common;
int top__view_run(struct top_view *v, const struct cli_common *c, pid_t pid, bool batch,
		  loop_tick_fn batch_tick);

#endif
