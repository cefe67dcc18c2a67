// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests of oomkill's user side: the kernel's badness, oom_score and
 * memcg totalpages formulas, gfp masks by the kernel's names, and kill
 * records built from fixture events (oom_control read, derived, pid-only).
 * No root. */
#include <limits.h>
#include <stdlib.h>
#include "check.h"
#include "oomkill.h"
#include "output.h"

/* 1 GiB of RAM, no swap: 262144 pages */
static const struct oomkill_sys sys_1g = { .ram_pages = 262144, .have_totals = true };

static void test_formulas(void)
{
	struct oomkill_mem m = { .rss = 8479, .pgtables_bytes = 106496, .adj = 300 };
	struct oomkill_sys sw = { .ram_pages = 262144, .swap_pages = 1000, .have_totals = true };

	/* the 6.18 run of tests/func/oomkill.sh: dump_tasks rss 8479, 106496
	 * bytes of page tables (26 pages), adj 300, a 32 MiB limit */
	CHECK(oomkill__badness(&m, 8192) == 8479 + 26 + 300 * 8,
	      "badness: rss + pgtables + adj * (8192 / 1000)");
	m.adj = -1000;
	CHECK(oomkill__badness(&m, 8192) == LLONG_MIN, "badness: adj -1000 is never picked");
	CHECK(oomkill__proc_score(&m, &sys_1g) == 0, "oom_score: 0 at adj -1000");
	/* the totalpages / 1000 division truncates first: 999 pages scale by 0 */
	m.adj = 1000;
	CHECK(oomkill__badness(&m, 999) == 8505, "badness: totalpages below 1000 scale adj by 0");
	m.adj = -500;
	CHECK(oomkill__badness(&m, 8192) == 8505 - 4000, "badness: negative adj");
	/* /proc: b = 8505 + 300 * 262, (1000 + b * 1000 / 262144) * 2 / 3 */
	m.adj = 300;
	CHECK(oomkill__proc_score(&m, &sys_1g) == (1000 + (8505LL + 300 * 262) * 1000 / 262144) * 2 / 3,
	      "oom_score: scaled by RAM + swap");
	CHECK(oomkill__proc_score(&m, &sys_1g) == 888, "oom_score: 888");
	m.adj = -999;
	CHECK(oomkill__proc_score(&m, &sys_1g) == (1000 + (8505LL - 999 * 262) * 1000 / 262144) * 2 / 3,
	      "oom_score: negative badness truncates toward zero as C does");
	/* mem_cgroup_get_max() */
	CHECK(oomkill__memcg_total(8192, 0, true, false, &sys_1g) == 8192, "memcg total: no swap");
	CHECK(oomkill__memcg_total(8192, 500, true, false, &sw) == 8692, "memcg total v2: + swap.max");
	CHECK(oomkill__memcg_total(8192, 1ULL << 52, true, false, &sw) == 9192,
	      "memcg total v2: swap.max capped by total swap");
	CHECK(oomkill__memcg_total(8192, 8192, true, true, &sw) == 8192, "memcg total v1: memsw = memory");
	CHECK(oomkill__memcg_total(8192, 8692, true, true, &sw) == 8692, "memcg total v1: memsw headroom");
	CHECK(oomkill__memcg_total(0, 0, false, false, &sys_1g) == 1, "memcg total: ?: 1");
}

static void test_gfp(void)
{
	char b[256];

	oomkill__gfp_names(0xcc0, false, b, sizeof(b));
	CHECK_STR(b, "GFP_KERNEL", "gfp 0xcc0");
	oomkill__gfp_names(0x100cca, false, b, sizeof(b));
	CHECK_STR(b, "GFP_HIGHUSER_MOVABLE", "gfp 0x100cca");
	oomkill__gfp_names(0x140cca, false, b, sizeof(b));
	CHECK_STR(b, "GFP_HIGHUSER_MOVABLE|__GFP_COMP", "gfp 0x140cca");
	oomkill__gfp_names(0x400cc0, false, b, sizeof(b));
	CHECK_STR(b, "GFP_KERNEL_ACCOUNT", "gfp 0x400cc0");
	oomkill__gfp_names(0x2cc0, false, b, sizeof(b));
	CHECK_STR(b, "GFP_KERNEL|__GFP_NOWARN", "gfp 0x2cc0");
	oomkill__gfp_names(0xc40, false, b, sizeof(b));
	CHECK_STR(b, "GFP_NOFS", "gfp 0xc40");
	oomkill__gfp_names(0x1100cca, false, b, sizeof(b));
	CHECK_STR(b, "GFP_HIGHUSER_MOVABLE|0x1000000", "gfp: unnamed bits in hex");
	/* GFP_ATOMIC: __GFP_HIGH|__GFP_ATOMIC|__GFP_KSWAPD_RECLAIM before 6.4 */
	oomkill__gfp_names(0xa20, true, b, sizeof(b));
	CHECK_STR(b, "GFP_ATOMIC", "gfp 0xa20 before 6.4");
	oomkill__gfp_names(0x820, false, b, sizeof(b));
	CHECK_STR(b, "GFP_ATOMIC", "gfp 0x820 since 6.4");
	oomkill__gfp_names(0x820, true, b, sizeof(b));
	CHECK_STR(b, "GFP_NOWAIT|__GFP_HIGH", "gfp 0x820 before 6.4: GFP_NOWAIT comes first");
	oomkill__gfp_names(0x1c24ca, false, b, sizeof(b));
	CHECK_STR(b, "GFP_TRANSHUGE", "gfp 0x1c24ca");
	oomkill__gfp_names(0x3c20ca, false, b, sizeof(b));
	CHECK_STR(b, "GFP_TRANSHUGE_LIGHT|__GFP_THISNODE", "gfp 0x3c20ca");
	oomkill__gfp_names(0, false, b, sizeof(b));
	CHECK_STR(b, "", "gfp 0: no names, as %pGg");
}

static void record(struct oom_event *e, const struct oomkill_sys *sys, char *buf, size_t size)
{
	static struct oomkill_bufs b;
	struct json j;
	struct rec r;
	size_t n;
	char *p = NULL;
	FILE *f = open_memstream(&p, &n);

	oomkill__event_rec(&r, &b, e, sys, 0, false, 0);
	json__init(&j, f);
	schema__json_line(&j, &r);
	fclose(f);
	snprintf(buf, size, "%s", p ? p : "");
	free(p);
}

static void base_event(struct oom_event *e)
{
	memset(e, 0, sizeof(*e));
	e->victim_pid = e->victim_tid = e->trigger_pid = e->trigger_tid = 4242;
	e->oom_score_adj = 300;
	e->have = OOM_HAVE_TASK | OOM_HAVE_MM | OOM_HAVE_MEMCG;
	e->constraint = OOM_CONSTRAINT_MEMCG;
	e->anon_rss = 8160;
	e->file_rss = 319;
	e->pgtables_bytes = 106496;
	e->memcg_max = 8192;
	e->memcg_usage = 8192;
	memcpy(e->comm, "oomvictim", 10);
}

#define HAS(buf, s, name) CHECK(strstr(buf, s) != NULL, name)

static void test_records(void)
{
	struct oom_event e;
	char buf[4096];

	/* derived (6.18): points from the formula, order and gfp absent */
	base_event(&e);
	record(&e, &sys_1g, buf, sizeof(buf));
	HAS(buf, "\"constraint\":\"memcg\"", "derived: constraint memcg");
	HAS(buf, "\"decision_from\":\"derived\"", "derived: decision_from");
	HAS(buf, "\"order\":null", "derived memcg: order absent");
	HAS(buf, "\"gfp_flags\":null", "derived memcg: gfp_flags absent");
	HAS(buf, "\"points\":10905", "derived: points 8479 + 26 + 2400");
	HAS(buf, "\"total_pages\":8192", "derived: total_pages the limit");
	HAS(buf, "\"oom_score\":888", "derived: oom_score as /proc");

	/* oom_control (guests): the kernel's own points, totalpages, gfp */
	base_event(&e);
	e.have |= OOM_HAVE_OC;
	e.points = 10904;
	e.totalpages = 8192;
	e.gfp_mask = 0xcc0;
	e.order = 0;
	record(&e, &sys_1g, buf, sizeof(buf));
	HAS(buf, "\"decision_from\":\"oom_control\"", "oc: decision_from");
	HAS(buf, "\"points\":10904", "oc: chosen_points as read, not recomputed");
	HAS(buf, "\"order\":0", "oc: order");
	HAS(buf, "\"gfp_flags\":\"0xcc0(GFP_KERNEL)\"", "oc: gfp_flags as the kernel's report");

	/* global OOM, order and gfp from the trigger's direct reclaim */
	base_event(&e);
	e.constraint = OOM_CONSTRAINT_NONE;
	e.have = OOM_HAVE_TASK | OOM_HAVE_MM | OOM_HAVE_ALLOC_TP;
	e.gfp_mask = 0x100cca;
	e.oom_score_adj = 1000;
	record(&e, &sys_1g, buf, sizeof(buf));
	HAS(buf, "\"constraint\":\"none\"", "global: constraint none");
	HAS(buf, "\"gfp_flags\":\"0x100cca(GFP_HIGHUSER_MOVABLE)\"", "global: gfp from direct reclaim");
	HAS(buf, "\"total_pages\":262144", "global: total_pages RAM + swap");
	HAS(buf, "\"points\":270505", "global: points 8505 + 1000 * 262");

	/* several memory nodes without oom_control; a cpuset OOM read from oc */
	base_event(&e);
	e.constraint = OOM_CONSTRAINT_UNKNOWN;
	e.have = OOM_HAVE_TASK | OOM_HAVE_MM;
	record(&e, &sys_1g, buf, sizeof(buf));
	HAS(buf, "\"constraint\":\"unknown\"", "unknown constraint");
	HAS(buf, "\"points\":null", "unknown constraint: points absent");
	HAS(buf, "\"oom_score\":888", "unknown constraint: oom_score still computed");
	e.constraint = OOM_CONSTRAINT_CPUSET;
	e.have |= OOM_HAVE_OC;
	e.points = 5;
	e.totalpages = 1000;
	record(&e, &sys_1g, buf, sizeof(buf));
	HAS(buf, "\"constraint\":\"cpuset\"", "oc: cpuset");
	HAS(buf, "\"points\":5", "oc: cpuset points");

	/* every field fits the record; "lost" is the last */
	HAS(buf, "\"lost\":{\"events\":0}", "the lost object is rendered");

	/* the pid-only hook: no task, no mm: no points, no score */
	memset(&e, 0, sizeof(e));
	e.victim_pid = 7;
	e.constraint = OOM_CONSTRAINT_NONE;
	record(&e, &sys_1g, buf, sizeof(buf));
	HAS(buf, "\"points\":null", "pid-only: points absent");
	HAS(buf, "\"oom_score\":null", "pid-only: oom_score absent");
	HAS(buf, "\"oom_score_adj\":null", "pid-only: adj absent");
}

int main(void)
{
	test_formulas();
	test_gfp();
	test_records();
	return check_failures ? 1 : 0;
}
