// SPDX-License-Identifier: BSD-2-Clause
/* The Prometheus text and OpenMetrics renderer (user/openmetrics.c). */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "openmetrics.h"

static const struct field misses = { .key = "pagecache_misses", .type = FT_U64,
				     .kind = FK_COUNTER, .unit = "pages",
				     .help = "Pages \\ missed\nagain" };
static const struct field faults = { .key = "page_faults", .type = FT_U64, .kind = FK_COUNTER,
				     .help = "Faults" };
static const struct field zone = { .key = "zone_free", .type = FT_DBL, .kind = FK_GAUGE,
				   .unit = "pages", .help = "Free" };
static const struct field stall = { .key = "reclaim_stall", .type = FT_HIST,
				    .kind = FK_HISTOGRAM, .unit = "seconds", .help = "Stalls" };

static void render(FILE *f, enum om_format fmt)
{
	static const double le[] = { 0.001, 0.5 };
	static const unsigned long long cum[] = { 1, 3 };
	struct om o;

	om__init(&o, f, fmt);
	om__family(&o, &misses);
	om__sample_u64(&o, NULL, 42);
	om__family(&o, &faults);
	om__sample_u64(&o, "type=\"minor\"", 7);
	om__family(&o, &zone);
	om__sample(&o, "zone=\"Normal\"", 12);
	om__sample(&o, "zone=\"DMA\"", NAN);
	om__family(&o, &stall);
	om__hist(&o, "class=\"direct\"", le, cum, 2, 4, 2.25);
	om__end(&o);
}

int main(void)
{
	char buf[4096], esc[32];

	CAPTURE(buf, f, render(f, OM_PROMETHEUS));
	CHECK_STR(buf,
		  "# HELP memscope_pagecache_misses_pages_total Pages \\\\ missed\\nagain\n"
		  "# TYPE memscope_pagecache_misses_pages_total counter\n"
		  "memscope_pagecache_misses_pages_total 42\n"
		  "# HELP memscope_page_faults_total Faults\n"
		  "# TYPE memscope_page_faults_total counter\n"
		  "memscope_page_faults_total{type=\"minor\"} 7\n"
		  "# HELP memscope_zone_free_pages Free\n"
		  "# TYPE memscope_zone_free_pages gauge\n"
		  "memscope_zone_free_pages{zone=\"Normal\"} 12\n"
		  "# HELP memscope_reclaim_stall_seconds Stalls\n"
		  "# TYPE memscope_reclaim_stall_seconds histogram\n"
		  "memscope_reclaim_stall_seconds_bucket{class=\"direct\",le=\"0.001\"} 1\n"
		  "memscope_reclaim_stall_seconds_bucket{class=\"direct\",le=\"0.5\"} 3\n"
		  "memscope_reclaim_stall_seconds_bucket{class=\"direct\",le=\"+Inf\"} 4\n"
		  "memscope_reclaim_stall_seconds_sum{class=\"direct\"} 2.25\n"
		  "memscope_reclaim_stall_seconds_count{class=\"direct\"} 4\n",
		  "prometheus: _total on counters' TYPE and samples, units in names, "
		  "HELP escaped, absent value no sample, cumulative buckets");
	CAPTURE(buf, f, render(f, OM_OPENMETRICS));
	CHECK(strstr(buf, "# TYPE memscope_pagecache_misses_pages counter\n"
			  "# UNIT memscope_pagecache_misses_pages pages\n"
			  "memscope_pagecache_misses_pages_total 42\n") != NULL,
	      "openmetrics: counter family without _total, # UNIT, sample with _total");
	CHECK(strstr(buf, "# TYPE memscope_page_faults counter\nmemscope_page_faults_total{") !=
		      NULL,
	      "openmetrics: no # UNIT without a unit");
	CHECK(strlen(buf) > 6 && !strcmp(buf + strlen(buf) - 6, "# EOF\n"), "openmetrics: # EOF last");
	CHECK(om__negotiate("application/openmetrics-text; version=1.0.0,text/plain;q=0.5") ==
		      OM_OPENMETRICS,
	      "negotiate: openmetrics when asked");
	CHECK(om__negotiate("text/plain") == OM_PROMETHEUS && om__negotiate(NULL) == OM_PROMETHEUS,
	      "negotiate: text otherwise");
	om__escape("a\"b\\c\nd", esc, sizeof(esc));
	CHECK_STR(esc, "a\\\"b\\\\c\\nd", "escape: label value");
	om__escape("abcdef", esc, 4);
	CHECK_STR(esc, "ab", "escape: cut to the buffer");
	return check_failures ? 1 : 0;
}
