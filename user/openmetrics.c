// SPDX-License-Identifier: BSD-2-Clause
/* Prometheus text and OpenMetrics exposition from field descriptions. */
#include <math.h>
#include <string.h>
#include <strings.h>
#include "openmetrics.h"

enum om_format om__negotiate(const char *accept)
{
	return accept && strcasestr(accept, "application/openmetrics-text") ? OM_OPENMETRICS
									    : OM_PROMETHEUS;
}

const char *om__content_type(enum om_format fmt)
{
	return fmt == OM_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
				     : "text/plain; version=0.0.4; charset=utf-8";
}

void om__init(struct om *o, FILE *f, enum om_format fmt)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->fmt = fmt;
}

static const char *type_name(enum field_kind k)
{
	switch (k) {
	case FK_COUNTER:
		return "counter";
	case FK_HISTOGRAM:
		return "histogram";
	default:
		return "gauge";
	}
}

static void help_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void om__family(struct om *o, const struct field *fam)
{
	o->fam = fam;
	if (fam->unit)
		snprintf(o->name, sizeof(o->name), "memscope_%s_%s", fam->key, fam->unit);
	else
		snprintf(o->name, sizeof(o->name), "memscope_%s", fam->key);
	/* Prometheus text names a counter by its sample, with _total;
	 * OpenMetrics names the family without it */
	const char *sfx = fam->kind == FK_COUNTER && o->fmt == OM_PROMETHEUS ? "_total" : "";

	fprintf(o->f, "# HELP %s%s ", o->name, sfx);
	help_text(o->f, fam->help);
	fprintf(o->f, "\n# TYPE %s%s %s\n", o->name, sfx, type_name(fam->kind));
	if (o->fmt == OM_OPENMETRICS && fam->unit)
		fprintf(o->f, "# UNIT %s %s\n", o->name, fam->unit);
}

static void series(struct om *o, const char *suffix, const char *labels, const char *extra)
{
	bool l = labels && *labels, e = extra && *extra;

	fprintf(o->f, "%s%s", o->name, suffix);
	if (l || e)
		fprintf(o->f, "{%s%s%s}", l ? labels : "", l && e ? "," : "", e ? extra : "");
	fputc(' ', o->f);
}

void om__sample(struct om *o, const char *labels, double v)
{
	if (isnan(v))
		return;
	series(o, o->fam->kind == FK_COUNTER ? "_total" : "", labels, NULL);
	fprintf(o->f, "%.17g\n", v);
}

void om__sample_u64(struct om *o, const char *labels, unsigned long long v)
{
	series(o, o->fam->kind == FK_COUNTER ? "_total" : "", labels, NULL);
	fprintf(o->f, "%llu\n", v);
}

void om__hist(struct om *o, const char *labels, const double *le,
	      const unsigned long long *cum, int n, unsigned long long count, double sum)
{
	char b[48];

	for (int i = 0; i < n; i++) {
		snprintf(b, sizeof(b), "le=\"%.9g\"", le[i]);
		series(o, "_bucket", labels, b);
		fprintf(o->f, "%llu\n", cum[i]);
	}
	series(o, "_bucket", labels, "le=\"+Inf\"");
	fprintf(o->f, "%llu\n", count);
	series(o, "_sum", labels, NULL);
	fprintf(o->f, "%.17g\n", sum);
	series(o, "_count", labels, NULL);
	fprintf(o->f, "%llu\n", count);
}

void om__end(struct om *o)
{
	if (o->fmt == OM_OPENMETRICS)
		fputs("# EOF\n", o->f);
	fflush(o->f);
}

void om__escape(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	if (!size)
		return;
	for (; *s && n + 2 < size; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[n++] = '\\';
			buf[n++] = *s == '\n' ? 'n' : *s;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
}
