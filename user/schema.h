/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_SCHEMA_H
#define MEMSCOPE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include "hist.h"
#include "output.h"

/*
 * A field is described once: its JSON key, column header and width, unit,
 * kind and format. A frontend (or a data-source module) fills records, the
 * values of one schema's fields, and the renderers here make the plain
 * table, JSON lines and the top view from them (the exporter adds
 * OpenMetrics), so no output format can drift from another.
 *
 * JSON keys: snake_case, with a unit suffix where there is a unit (_pct,
 * _ms, _us, _bytes, _pages, _kb, _s); every kind of loss sits in one "lost"
 * object. A value the kernel cannot give is absent: null in JSON, "-" in a
 * table, never 0.
 */
enum field_type {
	FT_U64,
	FT_I64,
	FT_DBL,		/* printed with .prec decimals; NaN and inf are absent */
	FT_STR,
	FT_BOOL,
	FT_TIME,	/* a struct timespec: RFC 3339 UTC in JSON, HH:MM:SS in tables
			 * (with .prec decimals of the second: HH:MM:SS.mmm) */
	FT_OBJ,		/* one record of .sub (e.g. "lost") */
	FT_LIST,	/* an array of records of .sub (rows, zones, stacks) */
	FT_HIST,	/* a struct hist_view: log2 slots, in the view's unit or
			 * else the field's; a block of text (schema__block) */
	FT_FRAMES,	/* a struct stack_view (stack.h): resolved frames */
};

enum field_kind {
	FK_LABEL,	/* identifies a row: pid, comm, file, class */
	FK_COUNTER,	/* events counted over the interval (or since start) */
	FK_GAUGE,	/* a level: bytes outstanding, free pages */
	FK_RATIO,	/* a share, e.g. a percent */
	FK_HISTOGRAM,
	FK_STACK,
	FK_GROUP,	/* FT_OBJ/FT_LIST: a nested record or table */
};

enum field_flags {
	FF_JSON_ONLY = 1 << 0,	/* not a column of the table */
	FF_TEXT_ONLY = 1 << 1,	/* not a JSON key */
	FF_OMIT = 1 << 2,	/* absent: no key at all in JSON (not null) */
	FF_PCT = 1 << 3,	/* FT_DBL: a '%' after the number in tables */
	FF_NOSORT = 1 << 4,	/* not a top-view sort key */
};

struct schema;

struct field {
	const char *key;	/* JSON key */
	const char *header;	/* table column header; NULL: no column */
	int width;		/* column width; negative: left-aligned */
	int prec;		/* FT_DBL: decimals */
	enum field_type type;
	enum field_kind kind;
	const char *unit;	/* "pages", "bytes", "ms", "pct"... (OpenMetrics, docs) */
	const char *help;	/* one line: man pages, OpenMetrics HELP */
	unsigned int flags;	/* enum field_flags */
	const struct schema *sub;	/* FT_OBJ, FT_LIST */
};

struct schema {
	const char *name;	/* "cachestat", "cachetop.row" */
	const struct field *fields;
	int n;
};

#define SCHEMA(nm, arr) { .name = (nm), .fields = (arr), .n = (int)(sizeof(arr) / sizeof((arr)[0])) }
#define SCHEMA_MAX_FIELDS 32

struct stack_view;
struct rec;

struct val {
	bool set;		/* false: absent (null, "-") */
	union {
		unsigned long long u;
		long long i;
		double d;
		const char *s;	/* not copied: valid until rendered */
		bool b;
		struct timespec t;
		struct {
			const struct rec *recs;	/* FT_OBJ: one; FT_LIST: n */
			size_t n;
		} list;
		struct hist_view h;
		const struct stack_view *st;
	};
};

struct rec {
	const struct schema *s;
	struct val v[SCHEMA_MAX_FIELDS];
};

/* Every value absent. */
void rec__init(struct rec *r, const struct schema *s);
void rec__u64(struct rec *r, int f, unsigned long long v);
void rec__i64(struct rec *r, int f, long long v);
/* NaN or inf: absent */
void rec__dbl(struct rec *r, int f, double v);
/* NULL: absent */
void rec__str(struct rec *r, int f, const char *s);
void rec__bool(struct rec *r, int f, bool v);
void rec__time(struct rec *r, int f, const struct timespec *t);
void rec__obj(struct rec *r, int f, const struct rec *sub);
void rec__list(struct rec *r, int f, const struct rec *recs, size_t n);
void rec__hist(struct rec *r, int f, const struct hist_view *h);
void rec__stack(struct rec *r, int f, const struct stack_view *st);
/* The number a top view sorts by: u/i/d as a double, else NaN. */
double rec__num(const struct rec *r, int f);

/* The text of one scalar value as its table cell shows it ("-" when
 * absent), without padding. */
void schema__cell(const struct rec *r, int f, char *buf, size_t size);

/* The table: a header line of the schema's columns (fields with a header
 * and not FF_JSON_ONLY, scalar types), and one line per record. `hide` is
 * a bit mask of field indexes left out (e.g. TIME without -T). */
void schema__header(FILE *out, const struct schema *s, unsigned long long hide);
void schema__row(FILE *out, const struct rec *r, unsigned long long hide);
/* A list field of r: its header, then its rows (max 0: all). */
void schema__table(FILE *out, const struct rec *r, int list_field, size_t max);

/* A field that is a block of text rather than a cell, after a table: an
 * FT_HIST as hist__print's bcc-style histogram (nothing when absent or
 * empty). Other types print nothing. */
void schema__block(FILE *out, const struct rec *r, int f);

/* The record as one JSON object: under `key` (NULL at top level or in an
 * array). At top level json__end writes the newline and flushes. */
void schema__json(struct json *j, const char *key, const struct rec *r);
/* The record as one JSON line on j's stream. */
void schema__json_line(struct json *j, const struct rec *r);

/* Field index of `key`, or -1. */
int schema__find(const struct schema *s, const char *key);
/* Field index whose header matches `name` case-insensitively, "%" optional
 * (what top views' -s accepts), or -1. */
int schema__find_header(const struct schema *s, const char *name);

#endif
