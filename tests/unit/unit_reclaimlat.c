// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests of reclaimlat's user side: /proc/vmstat, /proc/zoneinfo and
 * /proc/pressure parsing from fixture files, watermark levels, merging
 * per-CPU stats, top-staller order, and its schemas (summary report, event,
 * lost line) rendered from fixture records to text and JSON. No root. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "memstat.h"
#include "output.h"
#include "reclaimlat.h"

static char root[64];

static void fixture(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A 6.x zoneinfo: per-node stats inside the first zone, "promo" after
 * "high", an empty Movable zone, and a second node. */
static const char zoneinfo[] =
	"Node 0, zone      DMA\n"
	"  per-node stats\n"
	"      nr_inactive_anon 273301\n"
	"      nr_free_pages 9\n"
	"  pages free     3840\n"
	"        boost    0\n"
	"        min      36\n"
	"        low      45\n"
	"        high     54\n"
	"        promo    63\n"
	"        spanned  4095\n"
	"        present  3998\n"
	"        managed  3840\n"
	"        cma      0\n"
	"        protection: (0, 2, 3, 3, 3)\n"
	"      nr_free_pages 3840\n"
	"      min 999\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count: 0\n"
	"              high:  0\n"
	"Node 0, zone   Normal\n"
	"  pages free     9000\n"
	"        min      9438\n"
	"        low      11797\n"
	"        high     14156\n"
	"        managed  5000000\n"
	"        protection: (0, 0, 0, 0, 0)\n"
	"Node 0, zone  Movable\n"
	"  pages free     0\n"
	"        min      0\n"
	"        low      0\n"
	"        high     0\n"
	"        managed  0\n"
	"Node 1, zone   Normal\n"
	"  pages free     12000\n"
	"        min      9438\n"
	"        low      11797\n"
	"        high     14156\n"
	"        managed  5000000\n";

static void test_proc_readers(void)
{
	struct zone_wm z[8];
	struct vmstat_snap v;
	struct psi p;
	char path[128];
	int n;

	snprintf(root, sizeof(root), "/tmp/unit_reclaimlat.XXXXXX");
	if (!mkdtemp(root)) {
		CHECK(0, "memstat: mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/pressure", root);
	mkdir(path, 0755);

	fixture("/proc/vmstat", "nr_free_pages 100\npswpin 51057\npswpout 86103\n"
				"allocstall_dma 1\nallocstall_dma32 2\nallocstall_normal 3\n"
				"allocstall_movable 4\npgsteal_kswapd 5\npgsteal_direct 6\n"
				"pgsteal_khugepaged 7\npgsteal_anon 86226\npgsteal_file 11\n"
				"compact_stall 12\n");
	CHECK(memstat__vmstat(root, &v) == 0 && v.pswpin == 51057 && v.pswpout == 86103 &&
		      v.allocstall == 10 && v.pgsteal_kswapd == 5 && v.pgsteal_direct == 6 &&
		      v.pgsteal_anon == 86226 && v.pgsteal_file == 11 && v.compact_stall == 12,
	      "memstat: vmstat swap, allocstall_* summed, pgsteal, compact_stall");
	fixture("/proc/vmstat", "nr_free_pages 100\n");
	CHECK(memstat__vmstat(root, &v) < 0, "memstat: vmstat without pswpout is an error");

	fixture("/proc/zoneinfo", zoneinfo);
	n = memstat__zoneinfo(root, z, 8);
	CHECK(n == 3, "memstat: zoneinfo keeps the 3 zones with managed pages");
	CHECK(n >= 1 && z[0].node == 0 && !strcmp(z[0].name, "DMA") && z[0].free == 3840 &&
		      z[0].min == 36 && z[0].low == 45 && z[0].high == 54 && z[0].managed == 3840,
	      "memstat: zoneinfo DMA watermarks, not per-node or pageset lines");
	CHECK(n >= 3 && z[1].node == 0 && !strcmp(z[1].name, "Normal") && z[2].node == 1 &&
		      z[2].free == 12000,
	      "memstat: zoneinfo second zone and second node");
	CHECK(n >= 3 && !strcmp(z[0].label, "0:DMA") && !strcmp(z[2].label, "1:Normal"),
	      "memstat: zoneinfo labels node:zone");
	CHECK(memstat__zoneinfo(root, z, 1) == 1, "memstat: zoneinfo stops at max");
	CHECK(n >= 3 && !strcmp(memstat__zone_level(&z[0]), "ok") &&
		      !strcmp(memstat__zone_level(&z[1]), "<min") &&
		      !strcmp(memstat__zone_level(&z[2]), "<high"),
	      "memstat: watermark levels");

	CHECK(memstat__psi(root, "memory", &p) < 0, "memstat: no PSI file is an error");
	fixture("/proc/pressure/memory",
		"some avg10=12.34 avg60=1.00 avg300=0.01 total=231653\n"
		"full avg10=5.67 avg60=0.00 avg300=0.01 total=230385\n");
	CHECK(memstat__psi(root, "memory", &p) == 0 && p.some_avg10 == 12.34 &&
		      p.full_avg10 == 5.67 && p.some_total_us == 231653 &&
		      p.full_total_us == 230385,
	      "memstat: PSI some and full");

	snprintf(path, sizeof(path), "rm -rf %s", root);
	if (system(path))
		CHECK(0, "memstat: cleanup");
}

static void test_merge_and_order(void)
{
	struct rl_stats a = { .count = 2, .total_ns = 100, .max_ns = 70, .pages = 5 };
	struct rl_stats b = { .count = 1, .total_ns = 90, .max_ns = 90, .pages = 0 };
	struct reclaimlat_row rows[3] = {
		{ .pid = 3, .count = 1, .total_ns = 10 },
		{ .pid = 1, .count = 5, .total_ns = 500 },
		{ .pid = 2, .count = 9, .total_ns = 10 },
	};

	a.hist[3] = 2;
	b.hist[3] = 1;
	b.hist[4] = 1;
	reclaimlat__merge(&a, &b);
	CHECK(a.count == 3 && a.total_ns == 190 && a.max_ns == 90 && a.pages == 5 &&
		      a.hist[3] == 3 && a.hist[4] == 1,
	      "reclaimlat: merging CPUs adds counts and keeps the largest max");
	qsort(rows, 3, sizeof(rows[0]), reclaimlat__cmp_rows);
	CHECK(rows[0].pid == 1 && rows[1].pid == 2 && rows[2].pid == 3,
	      "reclaimlat: top stallers by total time, then stalls");
	CHECK_STR(reclaimlat__class_names[RL_MEMCG], "memcg", "reclaimlat: class names");
}

/* 2025-12-01T00:00:00.123Z; the text's local time is UTC (main sets TZ) */
static const struct timespec when = { .tv_sec = 1764547200, .tv_nsec = 123456789 };

static void fixture_snap(struct reclaimlat_snap *s, struct reclaimlat_row rows[2])
{
	int c;

	memset(s, 0, sizeof(*s));
	s->time = when;
	s->interval_s = 2;
	for (c = 0; c < RL_NR_CLASSES; c++)
		s->has_class[c] = c != RL_COMPACT;	/* no compaction hooks here */
	s->has_pages[RL_DIRECT] = s->has_pages[RL_MEMCG] = true;	/* kswapd: no pages hook */
	s->st[RL_MEMCG] = (struct rl_stats){ .count = 3, .total_ns = 4500000, .max_ns = 3000000,
					     .pages = 42 };
	s->st[RL_MEMCG].hist[11] = 2;	/* 1024..2047 us */
	s->st[RL_MEMCG].hist[12] = 1;
	s->st[RL_KSWAPD].pages = 9;	/* not shown: no pages hook */
	rows[0] = (struct reclaimlat_row){ .pid = 4242, .class = RL_MEMCG, .comm = "memhog",
					   .count = 3, .total_ns = 4500000, .max_ns = 3000000,
					   .pages = 42 };
	rows[1] = (struct reclaimlat_row){ .pid = 57, .class = RL_KSWAPD, .comm = "kswapd0",
					   .count = 1, .total_ns = 1000000, .max_ns = 1000000,
					   .pages = 5 };
	s->rows = rows;
	s->nrows = 2;
	s->lost_procs = 2;
	s->have_vm = true;
	s->vm = (struct vmstat_snap){ .pswpin = 10, .pswpout = 25, .allocstall = 1 };
	s->zones[0] = (struct zone_wm){ .node = 0, .name = "Normal", .label = "0:Normal",
					.free = 9000, .min = 9438, .low = 11797, .high = 14156 };
	s->nz = 1;
	s->have_psi = true;
	s->psi = (struct psi){ .some_avg10 = 12.34, .full_avg10 = 5.67 };
}

static struct reclaimlat_report rep;

static void test_report(void)
{
	struct reclaimlat_row rows[2];
	struct reclaimlat_snap s;
	struct json j;
	char buf[8192];

	fixture_snap(&s, rows);
	reclaimlat__report(&rep, &s);
	CAPTURE(buf, f, reclaimlat__print_report(f, &rep, true, true));
	CHECK_STR(buf,
		  "00:00:00\n"
		  "CLASS       COUNT     TOTAL_MS     MAX_MS      PAGES\n"
		  "direct          0        0.000      0.000          0\n"
		  "memcg           3        4.500      3.000         42\n"
		  "kswapd          0        0.000      0.000          -\n"
		  "slab            0        0.000      0.000          -\n"
		  "compact         -            -          -          -\n"
		  "swap-in 5.0 pages/s, swap-out 12.5 pages/s, allocstalls 1, psi some 12.34% full 5.67%\n"
		  "ZONE               FREE        MIN        LOW       HIGH LEVEL\n"
		  "0:Normal           9000       9438      11797      14156 <min\n"
		  "\n"
		  "memcg stalls:\n"
		  "          usecs        : count    distribution\n"
		  "         0 -> 0          : 0        |                                        |\n"
		  "         1 -> 1          : 0        |                                        |\n"
		  "         2 -> 3          : 0        |                                        |\n"
		  "         4 -> 7          : 0        |                                        |\n"
		  "         8 -> 15         : 0        |                                        |\n"
		  "        16 -> 31         : 0        |                                        |\n"
		  "        32 -> 63         : 0        |                                        |\n"
		  "        64 -> 127        : 0        |                                        |\n"
		  "       128 -> 255        : 0        |                                        |\n"
		  "       256 -> 511        : 0        |                                        |\n"
		  "       512 -> 1023       : 0        |                                        |\n"
		  "      1024 -> 2047       : 2        |****************************************|\n"
		  "      2048 -> 4095       : 1        |********************                    |\n"
		  "\n"
		  "PID      COMM             CLASS      STALLS     TOTAL_MS     MAX_MS      PAGES\n"
		  "4242     memhog           memcg           3        4.500      3.000         42\n"
		  "57       kswapd0          kswapd          1        1.000      1.000          -\n"
		  "\n",
		  "report text: classes (a missing one all '-'), swap and PSI, zones, "
		  "histograms, top stallers");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &rep.rec)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.123Z\",\"interval_s\":2.000,\"classes\":{"
		  "\"direct\":{\"stalls\":0,\"total_ms\":0.000,\"max_ms\":0.000,\"pages\":0,"
		  "\"hist\":[]},"
		  "\"memcg\":{\"stalls\":3,\"total_ms\":4.500,\"max_ms\":3.000,\"pages\":42,"
		  "\"hist\":[{\"lo_us\":1024,\"hi_us\":2047,\"count\":2},"
		  "{\"lo_us\":2048,\"hi_us\":4095,\"count\":1}]},"
		  "\"kswapd\":{\"stalls\":0,\"total_ms\":0.000,\"max_ms\":0.000,\"pages\":null,"
		  "\"hist\":[]},"
		  "\"slab\":{\"stalls\":0,\"total_ms\":0.000,\"max_ms\":0.000,\"pages\":null,"
		  "\"hist\":[]},"
		  "\"compact\":null},"
		  "\"top\":[{\"pid\":4242,\"comm\":\"memhog\",\"class\":\"memcg\",\"stalls\":3,"
		  "\"total_ms\":4.500,\"max_ms\":3.000,\"pages\":42},"
		  "{\"pid\":57,\"comm\":\"kswapd0\",\"class\":\"kswapd\",\"stalls\":1,"
		  "\"total_ms\":1.000,\"max_ms\":1.000,\"pages\":null}],"
		  "\"swap\":{\"in_pps\":5.0,\"out_pps\":12.5,\"in_pages\":10,\"out_pages\":25},"
		  "\"allocstalls\":1,"
		  "\"zones\":[{\"node\":0,\"zone\":\"Normal\",\"free_pages\":9000,"
		  "\"min_pages\":9438,\"low_pages\":11797,\"high_pages\":14156,\"level\":\"<min\"}],"
		  "\"psi\":{\"some_avg10_pct\":12.34,\"full_avg10_pct\":5.67},"
		  "\"lost\":{\"procs\":2}}\n",
		  "report JSON: classes by name (null without hooks), top, swap, zones in pages, "
		  "psi in percent, one lost object");

	/* -m, no -P, no -T; no /proc/vmstat, no PSI, no zones */
	s.ms = true;
	s.have_vm = s.have_psi = false;
	s.nz = 0;
	reclaimlat__report(&rep, &s);
	CAPTURE(buf, f, reclaimlat__print_report(f, &rep, false, false));
	CHECK(!strncmp(buf, "CLASS ", 6) &&
		      strstr(buf, "\nswap and allocstalls: /proc/vmstat unreadable, psi n/a\n"
				  "ZONE               FREE        MIN        LOW       HIGH LEVEL\n\n"
				  "memcg stalls:\n          msecs        : count") &&
		      !strstr(buf, "PID "),
	      "report text: -m histograms in msecs, no top without -P, what /proc lacks");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &rep.rec)));
	CHECK(strstr(buf, "{\"lo_ms\":1024,\"hi_ms\":2047,\"count\":2}") &&
		      strstr(buf, "\"swap\":null,\"allocstalls\":null,\"zones\":[],\"psi\":null,"),
	      "report JSON: -m histograms in ms; null where /proc lacks the data");
}

static void test_events(void)
{
	long long mono_to_real = 1764547200LL * 1000000000LL - 5000000000LL;
	struct rl_event e = { .ts_ns = 5123456789ULL, .lat_ns = 2500000, .pages = 33,
			      .pid = 4242, .tid = 4243, .class = RL_MEMCG, .nid = -1,
			      .comm = "memhog" };
	char comm[TASK_COMM_LEN + 1], buf[1024];
	struct rec r, lost;
	struct json j;

	CAPTURE(buf, f, reclaimlat__print_begin(f, true));
	CHECK_STR(buf, "TIME         COMM             PID      CLASS       LAT(ms)    PAGES\n",
		  "event text: header");
	CHECK(reclaimlat__event_rec(&r, comm, &e, sizeof(e) - 1, mono_to_real, true) < 0,
	      "event: a short sample is refused");
	CHECK(!reclaimlat__event_rec(&r, comm, &e, sizeof(e), mono_to_real, true), "event: record");
	CAPTURE(buf, f, schema__row(f, &r, 0));
	CHECK_STR(buf, "00:00:00.123 memhog           4242     memcg         2.500       33\n",
		  "event text: one line per stall, bcc-like");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.123Z\",\"comm\":\"memhog\",\"pid\":4242,"
		  "\"tid\":4243,\"class\":\"memcg\",\"lat_ms\":2.500,\"pages\":33}\n",
		  "event JSON: no nid but for kswapd");
	e.class = RL_KSWAPD;
	e.nid = 0;
	e.pid = e.tid = 57;
	memcpy(e.comm, "kswapd0", 8);
	reclaimlat__event_rec(&r, comm, &e, sizeof(e), mono_to_real, false);
	CAPTURE(buf, f, schema__row(f, &r, 0));
	CHECK_STR(buf, "00:00:00.123 kswapd0          57       kswapd        2.500        -\n",
		  "event text: kswapd without its pages hook");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK(strstr(buf, "\"pages\":null,\"nid\":0}") != NULL, "event JSON: kswapd's node");

	reclaimlat__lost_rec(&r, &lost, &when, 7);
	CAPTURE(buf, f, reclaimlat__print_lost(f, &r));
	CHECK_STR(buf, "# 7 events dropped: the ring buffer was full\n", "lost line: text");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf, "{\"time\":\"2025-12-01T00:00:00.123Z\",\"lost\":{\"events\":7}}\n",
		  "lost line: JSON, one lost object");
	CAPTURE(buf, f, reclaimlat__print_begin(f, false));
	CHECK_STR(buf, "Tracing reclaim stalls... Ctrl-C to end.\n\n", "summary text: banner");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_proc_readers();
	test_merge_and_order();
	test_report();
	test_events();
	return check_failures ? 1 : 0;
}
