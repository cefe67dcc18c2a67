/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_TOP_H
#define MEMSCOPE_TOP_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include "loop.h"
#include "schema.h"

/*
 * The top view shared by cachetop and faultstat, driven by a row schema
 * (schema.h): its columns are the schema's columns, its cells the records'
 * values, its sort keys the columns (by header, as -s names them). Rendered
 * either as plain text per interval (batch: -b, not a terminal, --json) or
 * on an ncurses screen with keys to sort, reverse, switch views, pause and
 * quit.
 */
struct top_table {
	const struct schema *s;	/* a row's fields */
	struct rec *rows;
	int nrows;
	int cap;
};

void top__table_init(struct top_table *t, const struct schema *s);
void top__table_reset(struct top_table *t);
void top__table_free(struct top_table *t);
/* Appends a row, every value absent; NULL on ENOMEM. */
struct rec *top__row(struct top_table *t);

/* The column -s NAME means (its header, case-insensitive, "%" optional),
 * or -1. */
int top__find_col(const struct schema *s, const char *name);
/* Stable sort by a column; numbers descending unless `reverse` (absent
 * values lowest), text ascending unless `reverse`. */
void top__sort(struct top_table *t, int field, bool reverse);
/* How many of n rows -n max (0: all) leaves. */
size_t top__shown(size_t n, unsigned long max);
/* Writes the column header and up to max_rows rows (0: all). */
void top__print(FILE *f, const struct top_table *t, int max_rows);
/* A total line laid out in t's columns: `total`'s values (a record of t's
 * schema), its first absent text column reading `label` and other absent
 * values blank. */
void top__print_total(FILE *f, const struct top_table *t, const struct rec *total,
		      const char *label);
/* "HEADER VALUE / HEADER VALUE" of r's fields that have a header (a title
 * line's figures), e.g. "Buffers MB: 0 / Cached MB: 333". */
void top__figures(const struct rec *r, char *buf, size_t size);
/* "lost since start: N HEADER, N HEADER" of r's counters above 0 that
 * have a header, or "". */
void top__losses(const struct rec *r, char *buf, size_t size);

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
	/* Fills the tables' records from the counts; the view sorts them. */
	void (*build)(void *ctx);
	/* The figures of the title line (top__figures) and the losses since
	 * start under it (top__losses); NULL, or returning NULL: none. */
	const struct rec *(*title)(void *ctx);
	const struct rec *(*lost)(void *ctx);
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
/* Adds a table as the next view, sorted by field `sort` (or -r). Returns
 * the view's index. */
int top__view_add(struct top_view *v, struct top_table *t, int sort, bool reverse);
/* Rows equal in the sort column keep the order of the first of fields a,
 * b that is not the sort column (-1: none), e.g. MAJOR then MINOR. */
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
 * the losses line when there are any. */
void top__view_head(struct top_view *v, const struct timespec *now, FILE *f);
/* Runs the interval loop of the command line `c`, watching pid (0: none):
 * with `batch`, batch_tick each interval (it calls top__view_update and
 * prints); else the full-screen view until q or the loop ends. Logs "pid N
 * exited" when it did, after the screen is closed. */
struct cli_common;
int top__view_run(struct top_view *v, const struct cli_common *c, pid_t pid, bool batch,
		  loop_tick_fn batch_tick);

#endif
