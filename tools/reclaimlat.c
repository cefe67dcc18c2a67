// SPDX-License-Identifier: BSD-2-Clause
/* reclaimlat: how long tasks stall in memory reclaim, per class and process. */
#include <stdio.h>
#include "cgroup.h"
#include "cli.h"
#include "log.h"
#include "module.h"
#include "reclaimlat.h"

static struct env {
	struct cli_common c;
	struct reclaimlat_opts o;
	const char *cgroup;
	unsigned long min_ms;
	bool min_set;
	bool procs;
} env = { .c = { .interval = 1 } };

static const char doc[] =
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
	"target. slab time is nested in the other classes' time. See reclaimlat(8) for "
	"the JSON keys.\n"
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

static void parse_min(struct argp_state *state, const char *arg, void *dest)
{
	env.min_ms = cli__ulong(state, "MIN_MS", arg, 0, 3600000);
	env.min_set = true;
}

static const struct cli_opt opts[] = {
	{ .name = "pid", .key = 'p', .arg = "PID", .type = CLI_PID, .dest = &env.o.common.tgid,
	  .help = "Only stalls of this process (all its threads)" },
	{ .name = "cgroup", .key = 'c', .arg = "CGROUP_PATH", .type = CLI_STR, .dest = &env.cgroup,
	  .help = "Only stalls of tasks in this cgroup or below (v2, or the v1 memory hierarchy)" },
	{ .name = "milliseconds", .key = 'm', .type = CLI_FLAG, .dest = &env.o.ms,
	  .help = "Histograms in milliseconds (default microseconds)" },
	{ .name = "events", .key = 'e', .type = CLI_FLAG, .dest = &env.o.events,
	  .help = "Event mode: one line per stall" },
	{ .name = "min", .key = 'd', .arg = "MIN_MS", .type = CLI_FN, .fn = parse_min,
	  .help = "Event mode: only stalls of at least MIN_MS ms (default 0)" },
	{ .name = "procs", .key = 'P', .type = CLI_FLAG, .dest = &env.procs,
	  .help = "Show the top stalling processes" },
	{},
};

static void validate(struct argp_state *state)
{
	if (env.min_set && !env.o.events)
		argp_error(state, "-d is for event mode: add -e");
	if (env.procs && env.o.events)
		argp_error(state, "-P is for summary mode, not -e");
}

static const struct cli_spec spec = { .doc = doc, .opts = opts, .validate = validate };

static struct state {
	struct module m;
	struct reclaimlat *rl;
	struct json json;
	struct reclaimlat_report rep;	/* large: kept out of the stack */
} s;

static int tick_summary(void *ctx, const struct timespec *now)
{
	struct reclaimlat_snap snap;
	int err = reclaimlat__snapshot(s.rl, now, &snap);

	if (err)
		return err;
	reclaimlat__report(&s.rep, &snap);
	if (env.c.json)
		schema__json_line(&s.json, &s.rep.rec);
	else
		reclaimlat__print_report(stdout, &s.rep, env.c.timestamp, env.procs);
	reclaimlat__snap_free(&snap);
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	char comm[TASK_COMM_LEN + 1];
	struct rec r;

	if (reclaimlat__event_rec(&r, comm, data, size, s.rl->mono_to_real_ns,
				  reclaimlat__kswapd_pages(s.rl)))
		return 0;
	if (env.c.json)
		schema__json_line(&s.json, &r);
	else
		schema__row(stdout, &r, 0);
	return 0;
}

static int tick_events(void *ctx, const struct timespec *now)
{
	unsigned long long lost = events__dropped_since(&s.rl->ev);
	struct rec line, l;

	if (lost) {
		reclaimlat__lost_rec(&line, &l, now, lost);
		if (env.c.json)
			schema__json_line(&s.json, &line);
		else
			reclaimlat__print_lost(stdout, &line);
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct cgroup_filter cg = {};
	struct loop_opts lo = {};
	int err;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_RUNTIME;
	if (cli__preflight_cgroup(env.o.common.tgid, env.cgroup, &cg))
		return EXIT_RUNTIME;
	env.o.cgroup_id = cg.id;
	env.o.cgroup_mode = cg.mode;
	env.o.procs = !env.o.events;
	env.o.min_ns = (__u64)env.min_ms * 1000000ULL;
	switch (cli__start(&env.c, &s.m, &reclaimlat__module, &env.o.common)) {
	case CLI_DONE:
		return EXIT_OK;
	case CLI_FAILED:
		return EXIT_RUNTIME;
	case CLI_RUN:
		break;
	}
	s.rl = s.m.state;
	if (env.o.events) {
		err = reclaimlat__open_events(s.rl, on_event, NULL);
		if (err)
			goto cleanup;
		lo.rb = s.rl->ev.rb;
	}
	if (env.c.json)
		json__init(&s.json, stdout);
	else
		reclaimlat__print_begin(stdout, env.o.events);
	err = cli__run(&env.c, env.o.common.tgid, &lo, env.o.events ? tick_events : tick_summary,
		       NULL);
	if (env.o.events)
		reclaimlat__end_events(s.rl, env.min_ms);
cleanup:
	module__close(&s.m);
	return cli__exit_status(err);
}
