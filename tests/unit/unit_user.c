// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests of user/: number parsing, JSON and histogram output, the
 * page-cache formula, /proc parsing. No root, no BPF. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "cgroup.h"
#include "cli.h"
#include "hist.h"
#include "output.h"
#include "pagecache.h"
#include "probe.h"
#include "proc.h"
#include "top.h"

static void test_parse_ulong(void)
{
	unsigned long v = 0;
	const char *why = NULL;

	CHECK(cli__parse_ulong("5", 1, 10, &v, &why) == 0 && v == 5, "cli: accepts 5");
	CHECK(cli__parse_ulong("0", 1, 10, &v, &why) == -1 && !strcmp(why, "must be at least 1"),
	      "cli: rejects 0 below min 1");
	CHECK(cli__parse_ulong("11", 1, 10, &v, &why) == -1 && !strcmp(why, "too large"),
	      "cli: rejects above max");
	CHECK(cli__parse_ulong("abc", 1, 10, &v, &why) == -1 && !strcmp(why, "not a number"),
	      "cli: rejects letters");
	CHECK(cli__parse_ulong("5s", 1, 10, &v, &why) == -1, "cli: rejects trailing garbage");
	CHECK(cli__parse_ulong("", 1, 10, &v, &why) == -1, "cli: rejects empty");
	CHECK(cli__parse_ulong("-1", 0, 10, &v, &why) == -1, "cli: rejects negative");
	CHECK(cli__parse_ulong(" 5", 0, 10, &v, &why) == -1, "cli: rejects leading space");
	CHECK(cli__parse_ulong("99999999999999999999999", 0, ULONG_MAX, &v, &why) == -1 &&
		      !strcmp(why, "too large"),
	      "cli: rejects overflow");
}

/* A tool as tools/ write one: its own options, the shared child, and a -T
 * of its own (memleak's TOP) that wins over the child's -T, --timestamp. */
static struct fake_tool {
	struct cli_common c;
	unsigned long top;
} fake;

static error_t fake_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'T':
		fake.top = cli__ulong(state, "top", arg, 1, 100);
		break;
	default:
		return cli__parse_key(key, arg, state, &fake.c);
	}
	return 0;
}

static void test_parse_opts(void)
{
	static const struct argp_option opts[] = {
		{ "top", 'T', "TOP", 0, "Show TOP rows", 0 },
		{},
	};
	char *a1[] = { "tool", "-v", "--json", "-T", "7", "5", "3", NULL };
	char *a2[] = { "tool", "--timestamp", "2", NULL };

	memset(&fake, 0, sizeof(fake));
	CHECK(cli__parse_opts(opts, fake_parse, "doc", NULL, 7, a1, &fake.c, &fake) == 0 &&
		      fake.c.verbose == 1 && fake.c.json && fake.top == 7 && !fake.c.timestamp &&
		      fake.c.interval == 5 && fake.c.count == 3 && fake.c.positional == 2,
	      "cli: shared child, the tool's own -T and [interval [count]] in one parse");
	memset(&fake, 0, sizeof(fake));
	CHECK(cli__parse_opts(opts, fake_parse, "doc", NULL, 3, a2, &fake.c, &fake) == 0 &&
		      fake.c.timestamp && !fake.top && fake.c.interval == 2 && !fake.c.count,
	      "cli: --timestamp reaches the shared child when the tool owns -T");
}

static void test_json(void)
{
	struct timespec ts = { .tv_sec = 1795396504, .tv_nsec = 123456789 };
	struct json j;
	char buf[512];

	CAPTURE(buf, f, {
		json__init(&j, f);
		json__begin(&j, NULL);
		json__time(&j, "time", &ts);
		json__u64(&j, "hits", 18446744073709551615ULL);
		json__num(&j, "ratio", 99.5, 2);
		json__num(&j, "nan", NAN, 2);
		json__str(&j, "s", "a\"b\\c\n\x01");
		json__begin_array(&j, "rows");
		json__begin(&j, NULL);
		json__i64(&j, "pid", -1);
		json__end(&j);
		json__begin(&j, NULL);
		json__bool(&j, "x", true);
		json__end(&j);
		json__end_array(&j);
		json__end(&j);
	});
	CHECK_STR(buf,
		  "{\"time\":\"2026-11-23T01:15:04.123Z\",\"hits\":18446744073709551615,"
		  "\"ratio\":99.50,\"nan\":null,\"s\":\"a\\\"b\\\\c\\n\\u0001\","
		  "\"rows\":[{\"pid\":-1},{\"x\":true}]}\n",
		  "json: nesting, escaping, NaN as null, RFC 3339 time");
}

static void test_hist(void)
{
	unsigned long long slots[HIST_SLOTS] = { 0 };
	struct hist_view h = { slots, HIST_SLOTS };
	unsigned long long lo, hi;
	struct json j;
	char buf[1024];

	hist__bounds(0, &lo, &hi);
	CHECK(lo == 0 && hi == 0, "hist: slot 0 holds 0");
	hist__bounds(1, &lo, &hi);
	CHECK(lo == 1 && hi == 1, "hist: slot 1 holds 1");
	hist__bounds(4, &lo, &hi);
	CHECK(lo == 8 && hi == 15, "hist: slot 4 holds 8..15");
	hist__bounds(64, &lo, &hi);
	CHECK(lo == 1ULL << 63 && hi == ~0ULL, "hist: slot 64 reaches 2^64-1");

	slots[1] = 2;
	slots[3] = 4;
	CAPTURE(buf, f, hist__print(f, &h, "usecs"));
	CHECK_STR(buf,
		  "          usecs        : count    distribution\n"
		  "         0 -> 0          : 0        |                                        |\n"
		  "         1 -> 1          : 2        |********************                    |\n"
		  "         2 -> 3          : 0        |                                        |\n"
		  "         4 -> 7          : 4        |****************************************|\n",
		  "hist: text view");
	CAPTURE(buf, f, {
		json__init(&j, f);
		json__begin(&j, NULL);
		hist__json(&j, "hist", &h, "us");
		json__end(&j);
	});
	CHECK_STR(buf,
		  "{\"hist\":[{\"lo_us\":1,\"hi_us\":1,\"count\":2},"
		  "{\"lo_us\":4,\"hi_us\":7,\"count\":4}]}\n",
		  "hist: JSON view lists non-empty slots");
	memset(slots, 0, sizeof(slots));
	CAPTURE(buf, f, hist__print(f, &h, "usecs"));
	CHECK_STR(buf, "", "hist: empty histogram prints nothing");
}

static void test_pagecache_formula(void)
{
	struct pc_stats d = { 0 };
	struct pagecache_counts k;

	/* cold read of 100 pages: all read pages were inserted */
	d.v[PC_READ_PAGES] = 100;
	d.v[PC_ADDED] = 100;
	pagecache__derive(&d, NULL, &k);
	CHECK(k.hits == 0 && k.misses == 100 && k.hit_pct == 0.0, "pagecache: cold read");
	/* warm read plus a fault-around window */
	memset(&d, 0, sizeof(d));
	d.v[PC_READ_PAGES] = 84;
	d.v[PC_FAULT_PAGES] = 16;
	pagecache__derive(&d, NULL, &k);
	CHECK(k.accesses == 100 && k.hits == 100 && k.misses == 0 && k.hit_pct == 100.0,
	      "pagecache: warm read and fault pages are hits");
	/* 64 new pages written: dirties, not misses */
	memset(&d, 0, sizeof(d));
	d.v[PC_ADDED] = 64;
	d.v[PC_ADDED_BY_WRITE] = 64;
	d.v[PC_DIRTIED] = 64;
	pagecache__derive(&d, NULL, &k);
	CHECK(k.misses == 0 && k.dirties == 64 && k.hits == 0 && isnan(k.hit_pct),
	      "pagecache: written pages are dirties, ratio undefined without reads");
	/* readahead inserted more than this interval read */
	memset(&d, 0, sizeof(d));
	d.v[PC_READ_PAGES] = 10;
	d.v[PC_ADDED] = 32;
	pagecache__derive(&d, NULL, &k);
	CHECK(k.hits == 0 && k.misses == 32, "pagecache: readahead beyond reads is not negative hits");
	/* 3 of 4 pages cached */
	memset(&d, 0, sizeof(d));
	d.v[PC_READ_PAGES] = 4;
	d.v[PC_ADDED] = 1;
	pagecache__derive(&d, NULL, &k);
	CHECK(k.hits == 3 && k.misses == 1 && k.hit_pct == 75.0, "pagecache: 75% ratio");

	/* a cold read of 100 pages over three intervals, readahead ahead of
	 * the reader: 10 read of 32 inserted, then 60 of 68, then 30 of 0,
	 * plus 5 warm pages in the last: the sum is that of one interval */
	struct pc_stats parts[3] = { 0 };
	unsigned long long owed = 0, hits = 0, misses = 0;
	int i;

	parts[0].v[PC_READ_PAGES] = 10, parts[0].v[PC_ADDED] = 32;
	parts[1].v[PC_READ_PAGES] = 60, parts[1].v[PC_ADDED] = 68;
	parts[2].v[PC_READ_PAGES] = 35;
	for (i = 0; i < 3; i++) {
		pagecache__derive(&parts[i], &owed, &k);
		hits += k.hits;
		misses += k.misses;
	}
	CHECK(hits == 5 && misses == 100 && owed == 0,
	      "pagecache: misses owed across intervals sum to one interval's figures");

	struct pc_stats a = { { 10, 20, 30, 40, 50 } }, b = { { 1, 2, 3, 4, 5 } }, out;
	pagecache__delta(&a, &b, &out);
	CHECK(out.v[0] == 9 && out.v[4] == 45, "pagecache: delta");
}

static void test_meminfo(void)
{
	char root[] = "/tmp/memscope-unit-XXXXXX", path[128];
	struct meminfo m = { 0 };
	FILE *f;

	if (!mkdtemp(root)) {
		CHECK(0, "proc: mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/meminfo", root);
	f = fopen(path, "w");
	fputs("MemTotal:       24683656 kB\nBuffers:            3468 kB\n"
	      "Cached:           567132 kB\nSwapCached:            0 kB\n",
	      f);
	fclose(f);
	CHECK(proc__meminfo(root, &m) == 0 && m.buffers_kb == 3468 && m.cached_kb == 567132,
	      "proc: meminfo Buffers and Cached (not SwapCached)");
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);
	CHECK(proc__meminfo("/nonexistent", &m) < 0, "proc: missing meminfo is an error");
	CHECK(proc__pid_alive(getpid()), "proc: own pid is alive");
}

static void test_probe_describe(void)
{
	const struct probe_cand a = { "p", PROBE_TP_BTF, "mm_filemap_get_pages", NULL, NULL };
	const struct probe_cand b = { "p", PROBE_KPROBE, "filemap_get_pages", NULL, "kiocb,size_t" };
	char buf[128];

	probe__describe(&a, buf, sizeof(buf));
	CHECK_STR(buf, "tp_btf:mm_filemap_get_pages", "probe: describe a tracepoint");
	probe__describe(&b, buf, sizeof(buf));
	CHECK_STR(buf, "kprobe:filemap_get_pages(kiocb,size_t)", "probe: describe with signature");
}

static void test_top(void)
{
	enum { C_PID, C_CMD, C_HITS, C_RATIO, C_NF };
	static const struct field fields[] = {
		[C_PID] = { .key = "pid", .header = "PID", .width = 5, .type = FT_U64 },
		[C_CMD] = { .key = "comm", .header = "CMD", .width = -6, .type = FT_STR },
		[C_HITS] = { .key = "hits", .header = "HITS", .width = 6, .type = FT_U64 },
		[C_RATIO] = { .key = "hit_pct", .header = "READ_HIT%", .width = 9, .prec = 1,
			      .type = FT_DBL, .flags = FF_PCT },
	};
	static const struct schema sch = SCHEMA("t", fields);
	struct top_table t;
	struct rec *r, total;
	char buf[512];
	int i;
	const struct {
		int pid;
		const char *cmd;
		unsigned long long hits;
		double ratio;
	} rows[] = { { 10, "b", 5, 50 }, { 20, "a", 7, NAN }, { 30, "c", 5, 100 } };

	top__table_init(&t, &sch);
	for (i = 0; i < 3; i++) {
		r = top__row(&t);
		rec__u64(r, C_PID, rows[i].pid);
		rec__str(r, C_CMD, rows[i].cmd);
		rec__u64(r, C_HITS, rows[i].hits);
		rec__dbl(r, C_RATIO, rows[i].ratio);
	}
	CHECK(top__find_col(&sch, "hits") == C_HITS, "top: -s is case-insensitive");
	CHECK(top__find_col(&sch, "read_hit") == C_RATIO, "top: -s without the %");
	CHECK(top__find_col(&sch, "nope") == -1, "top: unknown field");
	top__sort(&t, C_HITS, false);
	CAPTURE(buf, f, top__print(f, &t, 0));
	CHECK_STR(buf,
		  "  PID CMD      HITS READ_HIT%\n"
		  "   20 a           7         -\n"
		  "   10 b           5     50.0%\n"
		  "   30 c           5    100.0%\n",
		  "top: numeric sort descending, stable on ties, NaN as '-'");
	top__sort(&t, C_RATIO, true);
	CAPTURE(buf, f, top__print(f, &t, 2));
	CHECK_STR(buf,
		  "  PID CMD      HITS READ_HIT%\n"
		  "   20 a           7         -\n"
		  "   10 b           5     50.0%\n",
		  "top: reversed, NaN lowest, row limit");
	top__sort(&t, C_CMD, false);
	CHECK(!strcmp(t.rows[0].v[C_CMD].s, "a") && !strcmp(t.rows[2].v[C_CMD].s, "c"),
	      "top: text sorts ascending");
	rec__init(&total, &sch);
	rec__u64(&total, C_HITS, 17);
	CAPTURE(buf, f, top__print_total(f, &t, &total, "TOTAL"));
	CHECK_STR(buf, "      TOTAL      17\n", "top: a total line, its label in the text column");
	CAPTURE(buf, f, (top__figures(&total, buf, sizeof(buf)), fputs(buf, f)));
	CHECK_STR(buf, "PID - / CMD - / HITS 17 / READ_HIT% -", "top: title figures");
	CAPTURE(buf, f, (top__losses(&total, buf, sizeof(buf)), fputs(buf, f)));
	CHECK_STR(buf, "lost since start: 17 HITS", "top: losses, only those above 0");
	CHECK(top__shown(3, 0) == 3 && top__shown(3, 2) == 2 && top__shown(3, 9) == 3,
	      "top: -n rows shown");
	top__table_free(&t);
}

/* -c CGROUP_PATH: what is not a cgroup is refused with its cause; a cgroup
 * resolves to its directory's inode (its kernfs id). */
static void test_cgroup_resolve(void)
{
	struct cgroup_filter f;
	char why[256];
	struct stat st;
	const char *cg = NULL;

	CHECK(cgroup__resolve("/nonexistent-cgroup", &f, why, sizeof(why)) == -ENOENT &&
		      strstr(why, "No such file"),
	      "cgroup: missing path refused");
	CHECK(cgroup__resolve("/", &f, why, sizeof(why)) == -ENOTDIR &&
		      strstr(why, "is not a cgroup directory"),
	      "cgroup: non-cgroup directory refused");
	if (!access("/sys/fs/cgroup/memory/memory.stat", F_OK))
		cg = "/sys/fs/cgroup/memory";
	else if (!access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		cg = "/sys/fs/cgroup";
	if (cg && !stat(cg, &st))
		CHECK(!cgroup__resolve(cg, &f, why, sizeof(why)) && f.id == st.st_ino &&
			      f.mode != CGROUP_FILTER_NONE,
		      "cgroup: a memory cgroup resolves to its inode");
}

/* --cgroup-depth: a path folds into its ancestor at depth N, "/" stays "/" */
static void test_cgroup_fold(void)
{
	static const struct {
		const char *path;
		int depth;
		const char *want;
	} t[] = {
		{ "/", 0, "/" },	   { "/", 3, "/" },	    { "/a", 0, "/" },
		{ "/a/b/c/d", 3, "/a/b/c" }, { "/a/b/c/d", 1, "/a" }, { "/a/b", 3, "/a/b" },
		{ "/a/b", 2, "/a/b" },
	};
	char buf[64], name[96];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cgroup__fold(t[i].path, t[i].depth, buf, sizeof(buf));
		snprintf(name, sizeof(name), "cgroup: %s at depth %d is %s", t[i].path, t[i].depth,
			 t[i].want);
		CHECK_STR(buf, t[i].want, name);
	}
}

int main(void)
{
	test_cgroup_fold();
	test_parse_ulong();
	test_parse_opts();
	test_cgroup_resolve();
	test_json();
	test_hist();
	test_pagecache_formula();
	test_meminfo();
	test_probe_describe();
	test_top();
	return check_failures ? 1 : 0;
}
