/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_TOP_H
#define MEMSCOPE_TOP_H

#include <stdbool.h>
#include <stdio.h>

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

#endif
