/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_OUTPUT_H
#define MEMSCOPE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

/*
 * A streaming JSON writer for one-object-per-line output. Keys are given
 * with each value (NULL inside arrays); nesting is tracked so commas come
 * out right. json__end() on the outermost object writes the newline and
 * flushes, so a consumer reading a pipe sees each report when it is made.
 */
#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

void json__init(struct json *j, FILE *f);
void json__begin(struct json *j, const char *key);	/* { */
void json__begin_array(struct json *j, const char *key);	/* [ */
void json__end(struct json *j);		/* } */
void json__end_array(struct json *j);	/* ] */
void json__str(struct json *j, const char *key, const char *val);
void json__u64(struct json *j, const char *key, unsigned long long val);
void json__i64(struct json *j, const char *key, long long val);
/* A number with `prec` decimals; NaN and infinities become null. */
void json__num(struct json *j, const char *key, double val, int prec);
void json__bool(struct json *j, const char *key, bool val);
void json__null(struct json *j, const char *key);
/* "time": RFC 3339 in UTC with milliseconds, e.g. 2026-11-23T01:15:04.123Z */
void json__time(struct json *j, const char *key, const struct timespec *ts);

/* "HH:MM:SS" local time, as bcc's -T. buf needs 9 bytes. */
void out__hms(const struct timespec *ts, char *buf, size_t size);
/* RFC 3339 UTC with milliseconds; buf needs 25 bytes. */
void out__rfc3339(const struct timespec *ts, char *buf, size_t size);

#endif
