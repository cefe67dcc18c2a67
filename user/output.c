// SPDX-License-Identifier: BSD-2-Clause
#include <math.h>
#include <string.h>
#include "output.h"

void json__init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void json__key(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		j->first[j->depth] = false;
	}
	if (key) {
		fputc('"', j->f);
		fputs(key, j->f);
		fputs("\":", j->f);
	}
}

static void json__escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void json__open(struct json *j, const char *key, char c)
{
	json__key(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void json__close(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0) {
		fputc('\n', j->f);
		fflush(j->f);
	}
}

void json__begin(struct json *j, const char *key)
{
	json__open(j, key, '{');
}

void json__begin_array(struct json *j, const char *key)
{
	json__open(j, key, '[');
}

void json__end(struct json *j)
{
	json__close(j, '}');
}

void json__end_array(struct json *j)
{
	json__close(j, ']');
}

void json__str(struct json *j, const char *key, const char *val)
{
	if (!j)
		return;
	json__key(j, key);
	if (val)
		json__escaped(j->f, val);
	else
		fputs("null", j->f);
}

void json__u64(struct json *j, const char *key, unsigned long long val)
{
	json__key(j, key);
	fprintf(j->f, "%llu", val);
}

void json__i64(struct json *j, const char *key, long long val)
{
	json__key(j, key);
	fprintf(j->f, "%lld", val);
}

void json__num(struct json *j, const char *key, double val, int prec)
{
	json__key(j, key);
	if (isfinite(val))
		fprintf(j->f, "%.*f", prec, val);
	else
		fputs("null", j->f);
}

void json__bool(struct json *j, const char *key, bool val)
{
	json__key(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json__null(struct json *j, const char *key)
{
	json__key(j, key);
	fputs("null", j->f);
}

void out__rfc3339(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ldZ", ts->tv_nsec / 1000000);
}

void json__time(struct json *j, const char *key, const struct timespec *ts)
{
	char buf[32];

	out__rfc3339(ts, buf, sizeof(buf));
	json__str(j, key, buf);
}

void out__hms(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&ts->tv_sec, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
}
