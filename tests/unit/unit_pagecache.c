// SPDX-License-Identifier: BSD-2-Clause
/* cachestat's and cachetop's schemas (user/pagecache_rec.c) rendered from
 * fixture records: the table lines and JSON lines users and scripts see. */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "pagecache.h"
#include "proc.h"
#include "top.h"

static const struct timespec ts = { .tv_sec = 1764547200, .tv_nsec = 5000000 };

static void test_cachestat(void)
{
	struct pagecache_counts k = { .accesses = 2600, .hits = 2500, .misses = 100, .dirties = 7,
				      .hit_pct = 96.153846 };
	struct meminfo mi = { .buffers_kb = 3 * 1024 + 5, .cached_kb = 555 * 1024 };
	struct json j;
	struct rec r;
	char buf[2048];

	pagecache__stat_rec(&r, &ts, 0, &k, &mi);
	CAPTURE(buf, f, schema__header(f, &pagecache__stat_schema, 1ULL << PCS_TIME));
	CHECK_STR(buf, "    HITS   MISSES  DIRTIES HITRATIO   BUFFERS_MB  CACHED_MB\n",
		  "cachestat: bcc's header");
	CAPTURE(buf, f, schema__row(f, &r, 1ULL << PCS_TIME));
	CHECK_STR(buf, "    2500      100        7   96.15%            3        555\n",
		  "cachestat: a report line");
	CAPTURE(buf, f, schema__header(f, &pagecache__stat_schema, 0));
	CHECK_STR(buf, "TIME         HITS   MISSES  DIRTIES HITRATIO   BUFFERS_MB  CACHED_MB\n",
		  "cachestat -T: header");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.005Z\",\"hits\":2500,\"misses\":100,\"dirties\":7,"
		  "\"hit_pct\":96.15,\"accesses\":2600,\"buffers_mb\":3,\"cached_mb\":555}\n",
		  "cachestat: JSON, no pid key without -p");
	k = (struct pagecache_counts){ .hit_pct = NAN };
	pagecache__stat_rec(&r, &ts, 185, &k, &mi);
	CAPTURE(buf, f, schema__row(f, &r, 1ULL << PCS_TIME));
	CHECK_STR(buf, "       0        0        0        -            3        555\n",
		  "cachestat: nothing accessed, HITRATIO '-'");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.005Z\",\"pid\":185,\"hits\":0,\"misses\":0,"
		  "\"dirties\":0,\"hit_pct\":null,\"accesses\":0,\"buffers_mb\":3,"
		  "\"cached_mb\":555}\n",
		  "cachestat -p: JSON with pid, null ratio");
}

static void test_cachetop(void)
{
	struct pagecache_row rows[2] = {
		{ .pid = 4242, .uid = 0, .comm = "dd",
		  .k = { .hits = 2560, .misses = 0, .dirties = 3, .hit_pct = 100 },
		  .write_hit = NAN },
		{ .pid = 77, .dev = (8ULL << 20) | 1, .ino = 12, .shared = true, .comm = "cat",
		  .k = { .hits = 10, .misses = 30, .hit_pct = 25 } },
	};
	unsigned long long full[PC_NR_FULL] = { 0, 4 };
	struct meminfo mi = { .buffers_kb = 0, .cached_kb = 333 * 1024 };
	struct rec proc, file, lost, report, title;
	struct top_table t;
	struct json j;
	char buf[2048];

	pagecache__proc_rec(&proc, &rows[0]);
	pagecache__file_rec(&file, &rows[1], NULL);
	pagecache__lost_rec(&lost, full);
	top__table_init(&t, &pagecache__proc_schema);
	*top__row(&t) = proc;
	CAPTURE(buf, f, top__print(f, &t, 0));
	CHECK_STR(buf,
		  "    PID UID      CMD                  HITS   MISSES  DIRTIES  READ_HIT% WRITE_HIT%\n"
		  "   4242 root     dd                   2560        0        3     100.0%          -\n",
		  "cachetop: bcc's columns, the user's name under UID");
	top__table_free(&t);
	top__table_init(&t, &pagecache__file_schema);
	*top__row(&t) = file;
	CAPTURE(buf, f, top__print(f, &t, 0));
	CHECK_STR(buf,
		  "FILE                                                  PID     HITS   MISSES  "
		  "DIRTIES    HIT%\n"
		  "8:1:12                                                77+       10       30  "
		  "      0   25.0%\n",
		  "cachetop -f: no path found, major:minor:inode; '+' when shared");
	top__table_free(&t);

	rec__init(&report, &pagecache__procs_report);
	rec__time(&report, PCR_TIME, &ts);
	rec__list(&report, PCR_ROWS, &proc, 1);
	rec__obj(&report, PCR_LOST, &lost);
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &report)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.005Z\",\"rows\":[{\"pid\":4242,\"uid\":0,"
		  "\"user\":\"root\",\"comm\":\"dd\",\"hits\":2560,\"misses\":0,\"dirties\":3,"
		  "\"hit_pct\":100.0,\"write_hit_pct\":null}],\"lost\":{\"procs\":0,\"files\":4}}\n",
		  "cachetop: JSON report, losses in lost");
	rec__init(&report, &pagecache__files_report);
	rec__time(&report, PCR_TIME, &ts);
	rec__list(&report, PCR_ROWS, &file, 1);
	rec__obj(&report, PCR_LOST, &lost);
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &report)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.005Z\",\"rows\":[{\"file\":\"8:1:12\",\"dev\":\"8:1\","
		  "\"ino\":12,\"pid\":77,\"shared\":true,\"hits\":10,\"misses\":30,\"dirties\":0,"
		  "\"hit_pct\":25.0}],\"lost\":{\"procs\":0,\"files\":4}}\n",
		  "cachetop -f: JSON report");
	pagecache__mem_rec(&title, &mi);
	top__figures(&title, buf, sizeof(buf));
	CHECK_STR(buf, "Buffers MB: 0 / Cached MB: 333", "cachetop: title figures");
	top__losses(&lost, buf, sizeof(buf));
	CHECK_STR(buf, "lost since start: 4 files not counted (table full)", "cachetop: losses line");
}

int main(void)
{
	test_cachestat();
	test_cachetop();
	return check_failures ? 1 : 0;
}
