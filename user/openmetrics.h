/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_OPENMETRICS_H
#define MEMSCOPE_OPENMETRICS_H

#include <stdbool.h>
#include <stdio.h>
#include "schema.h"

/*
 * The Prometheus text format (version 0.0.4) and OpenMetrics 1.0, from
 * field descriptions (schema.h): a metric family is a struct field whose
 * key is the name after "memscope_" without unit or "_total", whose unit
 * is a base unit ("pages", "seconds", "bytes", or NULL), whose kind is
 * FK_COUNTER, FK_GAUGE or FK_HISTOGRAM and whose help is the HELP line.
 * Names: memscope_<key>_<unit>, samples of counters with "_total";
 * OpenMetrics adds "# UNIT" and ends with "# EOF".
 */
enum om_format { OM_PROMETHEUS, OM_OPENMETRICS };

struct om {
	FILE *f;
	enum om_format fmt;
	const struct field *fam;	/* the family being written */
	char name[128];			/* its name, without _total */
};

/* The format an Accept header asks for (NULL: Prometheus text). */
enum om_format om__negotiate(const char *accept);
const char *om__content_type(enum om_format fmt);

void om__init(struct om *o, FILE *f, enum om_format fmt);
/* Begins a family: HELP, TYPE (and UNIT) lines. */
void om__family(struct om *o, const struct field *fam);
/* One sample of the family; labels: `a="x",b="y"` or NULL. NaN: nothing
 * (a value the kernel cannot give is absent). */
void om__sample(struct om *o, const char *labels, double v);
void om__sample_u64(struct om *o, const char *labels, unsigned long long v);
/* A histogram's series: n upper bounds (in the family's unit), the
 * cumulative count at each, then +Inf (count), _sum and _count. */
void om__hist(struct om *o, const char *labels, const double *le,
	      const unsigned long long *cum, int n, unsigned long long count, double sum);
/* Ends the exposition ("# EOF" in OpenMetrics). */
void om__end(struct om *o);
/* Escapes a label value (\\, \", \n) into buf. */
void om__escape(const char *s, char *buf, size_t size);

#endif
