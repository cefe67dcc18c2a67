// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests of reclaimlat's user side: /proc/vmstat, /proc/zoneinfo and
 * /proc/pressure parsing from fixture files, watermark levels, histogram
 * JSON in microseconds, merging per-CPU stats, top-staller order. No root. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "hist.h"
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

static void test_hist_json(void)
{
	unsigned long long slots[RL_HIST_SLOTS] = { 0 };
	struct hist_view h = { slots, RL_HIST_SLOTS };
	struct json j;
	char buf[512];

	slots[0] = 1;	/* 0 us */
	slots[5] = 3;	/* 16..31 us */
	CAPTURE(buf, f, {
		json__init(&j, f);
		json__begin(&j, NULL);
		hist__json(&j, "hist", &h, "us");
		json__end(&j);
	});
	CHECK_STR(buf,
		  "{\"hist\":[{\"lo_us\":0,\"hi_us\":0,\"count\":1},"
		  "{\"lo_us\":16,\"hi_us\":31,\"count\":3}]}\n",
		  "hist: JSON in microseconds, empty slots left out");
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

int main(void)
{
	test_proc_readers();
	test_hist_json();
	test_merge_and_order();
	return check_failures ? 1 : 0;
}
