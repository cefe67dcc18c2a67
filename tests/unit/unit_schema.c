// SPDX-License-Identifier: BSD-2-Clause
/* The shared renderers (user/schema.c, user/frames.c) on fixture records. */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "schema.h"
#include "stack.h"

enum { L_A, L_B, L_N };
static const struct field lost_fields[] = {
	[L_A] = { .key = "a", .type = FT_U64, .kind = FK_COUNTER },
	[L_B] = { .key = "b", .type = FT_U64, .kind = FK_COUNTER },
};
static const struct schema lost_schema = SCHEMA("t.lost", lost_fields);

enum { R_NAME, R_N, R_NF };
static const struct field row_fields[] = {
	[R_NAME] = { .key = "name", .header = "NAME", .width = -6, .type = FT_STR, .kind = FK_LABEL },
	[R_N] = { .key = "n", .header = "N", .width = 4, .type = FT_U64, .kind = FK_COUNTER },
};
static const struct schema row_schema = SCHEMA("t.row", row_fields);

enum { T_TIME, T_HITS, T_RATIO, T_GONE, T_SECRET, T_ROWS, T_LOST, T_STACK, T_NF };
static const struct field top_fields[] = {
	[T_TIME] = { .key = "time", .header = "TIME", .width = -8, .type = FT_TIME },
	[T_HITS] = { .key = "hits", .header = "HITS", .width = 6, .type = FT_U64,
		     .kind = FK_COUNTER, .unit = "pages" },
	[T_RATIO] = { .key = "hit_pct", .header = "HIT%", .width = 8, .prec = 2, .type = FT_DBL,
		      .kind = FK_RATIO, .flags = FF_PCT },
	[T_GONE] = { .key = "gone", .header = "GONE", .width = 5, .type = FT_I64 },
	[T_SECRET] = { .key = "json_only", .header = "X", .type = FT_BOOL,
		       .flags = FF_JSON_ONLY },
	[T_ROWS] = { .key = "rows", .type = FT_LIST, .kind = FK_GROUP, .sub = &row_schema },
	[T_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP, .sub = &lost_schema },
	[T_STACK] = { .key = "frames", .type = FT_FRAMES, .kind = FK_STACK, .flags = FF_OMIT },
};
static const struct schema top_schema = SCHEMA("t", top_fields);

enum { H_TIME, H_HIST, H_NF };
static const struct field hist_fields[] = {
	[H_TIME] = { .key = "time", .header = "TIME", .width = -12, .prec = 3, .type = FT_TIME },
	[H_HIST] = { .key = "hist", .type = FT_HIST, .kind = FK_HISTOGRAM, .unit = "us" },
};
static const struct schema hist_schema = SCHEMA("t.hist", hist_fields);

/* FT_TIME with decimals of the second; FT_HIST as a text block and as JSON,
 * in the field's unit or the view's */
static void test_time_and_hist(void)
{
	struct timespec ts = { .tv_sec = 1764547200, .tv_nsec = 5999999 };
	unsigned long long slots[4] = { 0, 2, 0, 1 };
	struct hist_view h = { slots, 4, NULL };
	struct json j;
	struct rec r;
	char buf[1024];

	rec__init(&r, &hist_schema);
	rec__time(&r, H_TIME, &ts);
	schema__cell(&r, H_TIME, buf, sizeof(buf));
	CHECK(strlen(buf) == 12 && !strcmp(buf + 8, ".005"), "time: .prec decimals, truncated");
	CAPTURE(buf, f, schema__block(f, &r, H_HIST));
	CHECK_STR(buf, "", "block: an absent histogram prints nothing");
	rec__hist(&r, H_HIST, &h);
	CAPTURE(buf, f, schema__block(f, &r, H_HIST));
	CHECK_STR(buf,
		  "          usecs        : count    distribution\n"
		  "         0 -> 0          : 0        |                                        |\n"
		  "         1 -> 1          : 2        |****************************************|\n"
		  "         2 -> 3          : 0        |                                        |\n"
		  "         4 -> 7          : 1        |********************                    |\n",
		  "block: a histogram in the field's unit, bcc-style");
	h.unit = "ms";
	rec__hist(&r, H_HIST, &h);
	CAPTURE(buf, f, schema__block(f, &r, H_HIST));
	CHECK(!strncmp(buf, "          msecs        : count", 30), "block: the view's unit");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK(strstr(buf, "\"hist\":[{\"lo_ms\":1,\"hi_ms\":1,\"count\":2},"
			  "{\"lo_ms\":4,\"hi_ms\":7,\"count\":1}]}") != NULL,
	      "json: a histogram in the view's unit");
}

int main(void)
{
	struct timespec ts = { .tv_sec = 1764547200, .tv_nsec = 5000000 };	/* 2025-12-01 */
	struct rec r, rows[2], lost;
	struct json j;
	char buf[2048];

	rec__init(&lost, &lost_schema);
	rec__u64(&lost, L_A, 1);
	rec__u64(&lost, L_B, 0);
	rec__init(&rows[0], &row_schema);
	rec__str(&rows[0], R_NAME, "one");
	rec__u64(&rows[0], R_N, 7);
	rec__init(&rows[1], &row_schema);
	rec__str(&rows[1], R_NAME, "two");

	rec__init(&r, &top_schema);
	rec__time(&r, T_TIME, &ts);
	rec__u64(&r, T_HITS, 42);
	rec__dbl(&r, T_RATIO, 87.5);
	rec__bool(&r, T_SECRET, true);
	rec__list(&r, T_ROWS, rows, 2);
	rec__obj(&r, T_LOST, &lost);

	CAPTURE(buf, f, schema__header(f, &top_schema, 1ULL << T_TIME));
	CHECK_STR(buf, "  HITS     HIT%  GONE\n", "header: hidden and JSON-only fields are no columns");
	CAPTURE(buf, f, schema__row(f, &r, 1ULL << T_TIME));
	CHECK_STR(buf, "    42   87.50%     -\n", "row: widths, a percent, an absent value as '-'");
	CAPTURE(buf, f, schema__table(f, &r, T_ROWS, 0));
	CHECK_STR(buf, "NAME      N\none       7\ntwo       -\n",
		  "table: a list field, left-aligned text, no trailing blanks");
	CAPTURE(buf, f, schema__table(f, &r, T_ROWS, 1));
	CHECK_STR(buf, "NAME      N\none       7\n", "table: at most max rows");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.005Z\",\"hits\":42,\"hit_pct\":87.50,\"gone\":null,"
		  "\"json_only\":true,\"rows\":[{\"name\":\"one\",\"n\":7},{\"name\":\"two\",\"n\":null}],"
		  "\"lost\":{\"a\":1,\"b\":0}}\n",
		  "json: absent is null, FF_OMIT leaves the key out, nested objects and lists");

	rec__dbl(&r, T_RATIO, NAN);
	CAPTURE(buf, f, schema__row(f, &r, 0));
	CHECK(strstr(buf, "       -") != NULL, "row: NaN is absent");
	CHECK(isnan(rec__num(&r, T_RATIO)) && rec__num(&r, T_HITS) == 42, "rec__num");
	CHECK(schema__find_header(&top_schema, "hit") == T_RATIO, "find_header: '%' optional");
	CHECK(schema__find_header(&top_schema, "HITS") == T_HITS, "find_header: case");
	CHECK(schema__find(&top_schema, "lost") == T_LOST, "find");

	{
		struct frame fr[2] = {
			{ .addr = 0x401136, .si = { .name = "leak", .offset = 0x16, .module = "a.out",
						    .file = "a.c", .line = 9 } },
			{ .addr = 0x7f0011223344 },
		};
		struct stack_view v = { fr, 2, false };

		rec__stack(&r, T_STACK, &v);
		CAPTURE(buf, f, (json__init(&j, f), json__begin(&j, NULL), stack__json(&j, "f", &v),
				 json__end(&j)));
		CHECK_STR(buf,
			  "{\"f\":[{\"addr\":4198710,\"sym\":\"leak\",\"offset\":22,\"module\":\"a.out\","
			  "\"file\":\"a.c\",\"line\":9},{\"addr\":139638264181572,\"sym\":null,"
			  "\"offset\":null,\"module\":null,\"file\":null,\"line\":null}]}\n",
			  "frames: one JSON frame schema, null where unknown");
		CAPTURE(buf, f, stack__print(f, &v, "\t"));
		CHECK_STR(buf, "\tleak+0x16 [a.out] a.c:9\n\t0x7f0011223344 [unknown]\n",
			  "frames: text");
		CAPTURE(buf, f, stack__folded(f, &v, "_[k]"));
		CHECK_STR(buf, "[unknown]_[k];leak_[k]", "frames: folded, outermost first");
	}
	test_time_and_hist();
	return check_failures ? 1 : 0;
}
