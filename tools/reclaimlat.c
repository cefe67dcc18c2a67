// SPDX-License-Identifier: BSD-2-Clause
/* reclaimlat: how long tasks stall in memory reclaim, per class and process. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgroup.h"
#include "cli.h"
#include "hist.h"
#include "log.h"
#include "loop.h"
#include "memstat.h"
#include "output.h"
#include "reclaimlat.h"

#define TOP_ROWS 10
#define MAX_ZONES 32

static struct env {
	struct cli_common c;
	pid_t pid;
	const char *cgroup;
	bool ms;
	bool events;
	bool min_set;
	unsigned long min_ms;
	bool procs;
} env = { .c = { .interval = 1 } };

const char argp_program_doc[] =
	"Show how long tasks stall in memory reclaim: direct reclaim, memory-cgroup "
	"reclaim, kswapd, slab shrinking and direct compaction.\n"
	"\n"
	"USAGE: reclaimlat [-p PID] [-c CGROUP_PATH] [-m] [-e [-d MIN_MS]] [-P] [-T]\n"
	"                  [--json] [-v] [--probes] [--skip-hooks KINDS] [interval [count]]\n"
	"\n"
	"Each interval: per reclaim class the stalls, their total and longest time, the "
	"pages they reclaimed and a log2 latency histogram; swap-in and swap-out pages per "
	"second and allocation stalls (/proc/vmstat); each zone's free pages against its "
	"min/low/high watermarks (/proc/zoneinfo); memory pressure (PSI). kswapd is "
	"timed from its first wake to its sleep and is not a task of any -p or -c "
	"target. slab time is nested in the other classes' time. See reclaimlat(8).\n"
	"\n"
	"EXAMPLES:\n"
	"    reclaimlat                  # every second, until Ctrl-C\n"
	"    reclaimlat -P 5 3           # with the top stalling processes, 3 x 5 s\n"
	"    reclaimlat -m               # histograms in milliseconds\n"
	"    reclaimlat -c /sys/fs/cgroup/app   # only tasks in this cgroup (and below)\n"
	"    reclaimlat -p 185           # only process 185\n"
	"    reclaimlat -e               # one line per stall, like drsnoop, every class\n"
	"    reclaimlat -e -d 10         # only stalls of 10 ms or more\n"
	"    reclaimlat --json 1 3       # one JSON object per second, three times\n"
	"    reclaimlat --probes         # which kernel hooks this kernel gets, and why";

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Only stalls of this process (all its threads)", 0 },
	{ "cgroup", 'c', "CGROUP_PATH", 0,
	  "Only stalls of tasks in this cgroup or below (v2, or the v1 memory hierarchy)", 0 },
	{ "milliseconds", 'm', NULL, 0, "Histograms in milliseconds (default microseconds)", 0 },
	{ "events", 'e', NULL, 0, "Event mode: one line per stall", 0 },
	{ "min", 'd', "MIN_MS", 0, "Event mode: only stalls of at least MIN_MS ms (default 0)", 0 },
	{ "procs", 'P', NULL, 0, "Show the top stalling processes", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		env.pid = cli__pid(state, arg);
		break;
	case 'c':
		env.cgroup = arg;
		break;
	case 'm':
		env.ms = true;
		break;
	case 'e':
		env.events = true;
		break;
	case 'd':
		env.min_ms = cli__ulong(state, "MIN_MS", arg, 0, 3600000);
		env.min_set = true;
		break;
	case 'P':
		env.procs = true;
		break;
	case ARGP_KEY_END:
		if (env.min_set && !env.events)
			argp_error(state, "-d is for event mode: add -e");
		if (env.procs && env.events)
			argp_error(state, "-P is for summary mode, not -e");
		break;
	default:
		return cli__parse_key(key, arg, state, &env.c);
	}
	return 0;
}

struct state {
	struct reclaimlat rl;
	struct json json;
	struct vmstat_snap prev_vm;
	bool have_vm;
	struct timespec prev_ts;	/* CLOCK_MONOTONIC of the previous report */
	long long mono_to_real_ns;	/* event timestamps to wall clock */
	unsigned long long full_reported;
};

static double ns_ms(unsigned long long ns)
{
	return (double)ns / 1e6;
}

static long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* ---- summary mode ---- */

static bool class_has_pages(const struct state *s, int c)
{
	if (c == RL_KSWAPD)
		return reclaimlat__kswapd_pages(&s->rl);
	return c == RL_DIRECT || c == RL_MEMCG;
}

static void json_class(struct state *s, int c, const struct rl_stats *st)
{
	struct json *j = &s->json;
	struct hist_view h = { st->hist, RL_HIST_SLOTS };

	if (!reclaimlat__has_class(&s->rl, c)) {
		json__null(j, reclaimlat__class_names[c]);
		return;
	}
	json__begin(j, reclaimlat__class_names[c]);
	json__u64(j, "count", st->count);
	json__num(j, "total_us", (double)st->total_ns / 1e3, 3);
	json__num(j, "max_us", (double)st->max_ns / 1e3, 3);
	if (class_has_pages(s, c))
		json__u64(j, "pages", st->pages);
	else
		json__null(j, "pages");
	hist__json(j, "hist", &h, env.ms ? "ms" : "us");
	json__end(j);
}

static void print_summary_json(struct state *s, const struct timespec *now, double secs,
			       const struct rl_stats *st, const struct vmstat_snap *dv, bool have_vm,
			       const struct zone_wm *zones, int nz, const struct psi *psi,
			       bool have_psi, const struct reclaimlat_row *rows, size_t nrows)
{
	struct json *j = &s->json;
	size_t i;
	int c;

	json__begin(j, NULL);
	json__time(j, "time", now);
	json__num(j, "interval_s", secs, 3);
	json__begin(j, "classes");
	for (c = 0; c < RL_NR_CLASSES; c++)
		json_class(s, c, &st[c]);
	json__end(j);
	json__begin_array(j, "top");
	for (i = 0; i < nrows && i < TOP_ROWS; i++) {
		json__begin(j, NULL);
		json__u64(j, "pid", rows[i].pid);
		json__str(j, "comm", rows[i].comm);
		json__str(j, "class", reclaimlat__class_names[rows[i].class]);
		json__u64(j, "stalls", rows[i].count);
		json__num(j, "total_ms", ns_ms(rows[i].total_ns), 3);
		json__num(j, "max_ms", ns_ms(rows[i].max_ns), 3);
		if (class_has_pages(s, rows[i].class))
			json__u64(j, "pages", rows[i].pages);
		else
			json__null(j, "pages");
		json__end(j);
	}
	json__end_array(j);
	if (have_vm) {
		json__begin(j, "swap");
		json__num(j, "in_pps", dv->pswpin / secs, 1);
		json__num(j, "out_pps", dv->pswpout / secs, 1);
		json__u64(j, "in_pages", dv->pswpin);
		json__u64(j, "out_pages", dv->pswpout);
		json__end(j);
		json__u64(j, "allocstalls", dv->allocstall);
	} else {
		json__null(j, "swap");
		json__null(j, "allocstalls");
	}
	json__begin_array(j, "zones");
	for (c = 0; c < nz; c++) {
		json__begin(j, NULL);
		json__i64(j, "node", zones[c].node);
		json__str(j, "zone", zones[c].name);
		json__u64(j, "free", zones[c].free);
		json__u64(j, "min", zones[c].min);
		json__u64(j, "low", zones[c].low);
		json__u64(j, "high", zones[c].high);
		json__str(j, "level", memstat__zone_level(&zones[c]));
		json__end(j);
	}
	json__end_array(j);
	if (have_psi) {
		json__begin(j, "psi");
		json__num(j, "some_avg10", psi->some_avg10, 2);
		json__num(j, "full_avg10", psi->full_avg10, 2);
		json__end(j);
	} else {
		json__null(j, "psi");
	}
	json__end(j);
}

static void print_summary_text(struct state *s, const struct timespec *now, double secs,
			       const struct rl_stats *st, const struct vmstat_snap *dv, bool have_vm,
			       const struct zone_wm *zones, int nz, const struct psi *psi,
			       bool have_psi, const struct reclaimlat_row *rows, size_t nrows)
{
	char ts[32];
	size_t i;
	int c;

	if (env.c.timestamp) {
		out__hms(now, ts, sizeof(ts));
		printf("%s\n", ts);
	}
	printf("%-8s %8s %12s %10s %10s\n", "CLASS", "COUNT", "TOTAL_MS", "MAX_MS", "PAGES");
	for (c = 0; c < RL_NR_CLASSES; c++) {
		printf("%-8s ", reclaimlat__class_names[c]);
		if (!reclaimlat__has_class(&s->rl, c)) {
			printf("%8s %12s %10s %10s\n", "n/a", "n/a", "n/a", "n/a");
			continue;
		}
		printf("%8llu %12.3f %10.3f ", (unsigned long long)st[c].count,
		       ns_ms(st[c].total_ns), ns_ms(st[c].max_ns));
		if (class_has_pages(s, c))
			printf("%10llu\n", (unsigned long long)st[c].pages);
		else
			printf("%10s\n", "-");
	}
	if (have_vm)
		printf("swap-in %.0f pages/s, swap-out %.0f pages/s, allocstalls %llu", dv->pswpin / secs,
		       dv->pswpout / secs, dv->allocstall);
	else
		printf("swap and allocstalls: /proc/vmstat unreadable");
	if (have_psi)
		printf(", psi some %.2f%% full %.2f%%\n", psi->some_avg10, psi->full_avg10);
	else
		printf(", psi n/a\n");
	printf("%-12s %10s %10s %10s %10s  %s\n", "ZONE", "FREE", "MIN", "LOW", "HIGH", "LEVEL");
	for (c = 0; c < nz; c++) {
		char name[32];

		snprintf(name, sizeof(name), "%d:%s", zones[c].node, zones[c].name);
		printf("%-12s %10llu %10llu %10llu %10llu  %s\n", name, zones[c].free, zones[c].min,
		       zones[c].low, zones[c].high, memstat__zone_level(&zones[c]));
	}
	for (c = 0; c < RL_NR_CLASSES; c++) {
		struct hist_view h = { st[c].hist, RL_HIST_SLOTS };

		if (!st[c].count)
			continue;
		printf("\n%s stalls:\n", reclaimlat__class_names[c]);
		hist__print(stdout, &h, env.ms ? "msecs" : "usecs");
	}
	if (env.procs) {
		printf("\n%-8s %-16s %-8s %8s %12s %10s %10s\n", "PID", "COMM", "CLASS", "STALLS",
		       "TOTAL_MS", "MAX_MS", "PAGES");
		for (i = 0; i < nrows && i < TOP_ROWS; i++) {
			printf("%-8u %-16s %-8s %8llu %12.3f %10.3f ", rows[i].pid, rows[i].comm,
			       reclaimlat__class_names[rows[i].class],
			       (unsigned long long)rows[i].count, ns_ms(rows[i].total_ns),
			       ns_ms(rows[i].max_ns));
			if (class_has_pages(s, rows[i].class))
				printf("%10llu\n", (unsigned long long)rows[i].pages);
			else
				printf("%10s\n", "-");
		}
	}
	printf("\n");
	fflush(stdout);
}

static int tick_summary(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	struct rl_stats st[RL_NR_CLASSES];
	struct vmstat_snap vm, dv = {};
	struct zone_wm zones[MAX_ZONES];
	struct reclaimlat_row *rows = NULL;
	unsigned long long full = 0;
	struct timespec mono;
	struct psi psi;
	bool have_vm, have_psi;
	size_t nrows = 0;
	double secs;
	int err, nz;

	err = reclaimlat__drain(&s->rl, st);
	if (!err)
		err = reclaimlat__drain_procs(&s->rl, &rows, &nrows);
	if (err) {
		log__err("cannot read counters: %s", strerror(-err));
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	secs = (double)(ts_ns(&mono) - ts_ns(&s->prev_ts)) / 1e9;
	if (secs <= 0)
		secs = env.c.interval;
	s->prev_ts = mono;
	have_vm = !memstat__vmstat(NULL, &vm) && s->have_vm;
	if (have_vm) {
		dv.pswpin = vm.pswpin - s->prev_vm.pswpin;
		dv.pswpout = vm.pswpout - s->prev_vm.pswpout;
		dv.allocstall = vm.allocstall - s->prev_vm.allocstall;
	}
	s->prev_vm = vm;
	nz = memstat__zoneinfo(NULL, zones, MAX_ZONES);
	if (nz < 0)
		nz = 0;
	have_psi = !memstat__psi(NULL, "memory", &psi);

	if (env.c.json)
		print_summary_json(s, now, secs, st, &dv, have_vm, zones, nz, &psi, have_psi, rows,
				   nrows);
	else
		print_summary_text(s, now, secs, st, &dv, have_vm, zones, nz, &psi, have_psi, rows,
				   nrows);
	free(rows);
	if (!reclaimlat__full(&s->rl, &full) && full > s->full_reported) {
		log__err("%llu process rows lost: the process table is full",
			 full - s->full_reported);
		s->full_reported = full;
	}
	return 0;
}

/* ---- event mode ---- */

static int on_event(void *ctx, void *data, size_t size)
{
	struct state *s = ctx;
	const struct rl_event *e = data;
	long long real = (long long)e->ts_ns + s->mono_to_real_ns;
	struct timespec ts = { .tv_sec = real / 1000000000LL, .tv_nsec = real % 1000000000LL };
	const char *cls = e->class < RL_NR_CLASSES ? reclaimlat__class_names[e->class] : "?";
	char comm[TASK_COMM_LEN + 1], hms[32];

	if (size < sizeof(*e))
		return 0;
	memcpy(comm, e->comm, TASK_COMM_LEN);
	comm[TASK_COMM_LEN] = '\0';
	if (env.c.json) {
		struct json *j = &s->json;

		json__begin(j, NULL);
		json__time(j, "time", &ts);
		json__str(j, "comm", comm);
		json__u64(j, "pid", e->pid);
		json__u64(j, "tid", e->tid);
		json__str(j, "class", cls);
		json__num(j, "lat_ms", ns_ms(e->lat_ns), 3);
		if (e->pages == RL_NO_PAGES ||
		    (e->class == RL_KSWAPD && !reclaimlat__kswapd_pages(&s->rl)))
			json__null(j, "pages");
		else
			json__u64(j, "pages", e->pages);
		if (e->nid >= 0)
			json__i64(j, "nid", e->nid);
		json__end(j);
		return 0;
	}
	out__hms(&ts, hms, sizeof(hms));
	printf("%s.%03ld %-16s %-8u %-8s %10.3f ", hms, ts.tv_nsec / 1000000, comm, e->pid, cls,
	       ns_ms(e->lat_ns));
	if (e->pages == RL_NO_PAGES || (e->class == RL_KSWAPD && !reclaimlat__kswapd_pages(&s->rl)))
		printf("%8s\n", "-");
	else
		printf("%8llu\n", (unsigned long long)e->pages);
	return 0;
}

static int tick_events(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	unsigned long long lost = events__dropped_since(&s->rl.ev);

	if (lost) {
		if (env.c.json) {
			json__begin(&s->json, NULL);
			json__time(&s->json, "time", now);
			json__u64(&s->json, "dropped", lost);
			json__end(&s->json);
		} else {
			printf("# %llu events dropped: the ring buffer was full\n", lost);
		}
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct reclaimlat_opts o = {};
	struct cgroup_filter cg = {};
	struct state s = {};
	struct timespec mono, real;
	int err;

	if (cli__parse_opts(opts, parse_arg, argp_program_doc, NULL, argc, argv, &env.c, &env))
		return EXIT_USAGE;
	if (cli__preflight_cgroup(env.pid, env.cgroup, &cg))
		return EXIT_RUNTIME;

	o.tgid = env.pid;
	o.cgroup_id = cg.id;
	o.cgroup_mode = cg.mode;
	o.ms = env.ms;
	o.procs = !env.events;
	o.events = env.events;
	o.min_ns = (__u64)env.min_ms * 1000000ULL;
	o.all_probes = env.c.probes;
	o.skip_kinds = env.c.skip_kinds;
	err = reclaimlat__open(&s.rl, &o);
	if (env.c.probes) {
		if (s.rl.probes.chosen)
			probe__print(&s.rl.probes, stdout);
		reclaimlat__close(&s.rl);
		return err ? EXIT_RUNTIME : EXIT_OK;
	}
	if (err)
		goto cleanup;
	loop__install_signals();
	err = reclaimlat__attach(&s.rl);
	if (err)
		goto cleanup;
	if (env.events) {
		err = reclaimlat__open_events(&s.rl, on_event, &s);
		if (err)
			goto cleanup;
	}
	if (env.c.json)
		json__init(&s.json, stdout);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	s.mono_to_real_ns = ts_ns(&real) - ts_ns(&mono);
	s.prev_ts = mono;
	s.have_vm = !memstat__vmstat(NULL, &s.prev_vm);

	if (env.events && !env.c.json) {
		printf("%-12s %-16s %-8s %-8s %10s %8s\n", "TIME", "COMM", "PID", "CLASS", "LAT(ms)",
		       "PAGES");
		fflush(stdout);
	} else if (!env.events && !env.c.json) {
		printf("Tracing reclaim stalls... Ctrl-C to end.\n\n");
		fflush(stdout);
	}

	struct loop_opts lo = { .rb = env.events ? s.rl.ev.rb : NULL };

	err = cli__run(&env.c, env.pid, &lo, env.events ? tick_events : tick_summary, &s);
	if (env.events) {
		long long lost = events__dropped(&s.rl.ev);
		struct rl_stats st[RL_NR_CLASSES], all = {};
		int c;

		if (lost > 0)
			log__err("%lld events dropped in all: the ring buffer was full", lost);
		/* event mode never drains the statistics: they hold the whole run */
		if (!reclaimlat__drain(&s.rl, st)) {
			for (c = 0; c < RL_NR_CLASSES; c++)
				reclaimlat__merge(&all, &st[c]);
			fprintf(stderr, "reclaimlat: %llu stalls traced, %llu of at least %lu ms\n",
				(unsigned long long)all.count, (unsigned long long)all.at_least_min,
				env.min_ms);
		}
	}

cleanup:
	reclaimlat__close(&s.rl);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
