// SPDX-License-Identifier: BSD-2-Clause
/* slabratetop: slab allocations, frees and growth per cache. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "cli.h"
#include "log.h"
#include "output.h"
#include "slab.h"
#include "top.h"

static struct env {
	struct cli_common c;
	struct top_cli top;
	pid_t pid;
	const char *cgroup;
	const char *stacks;
	bool noclear, folded;
} env = { .c = { .interval = 1 }, .top = { .rows = 20 } };

static const char doc[] =
	"Show slab allocations, frees and net growth per cache.\n"
	"\n"
	"USAGE: slabratetop [-C] [-r ROWS] [-s FIELD] [-p PID] [-c CGROUP_PATH]\n"
	"                   [--stacks CACHE [--folded]] [-b] [-T] [--json] [-v]\n"
	"                   [--probes] [interval [count]]\n"
	"\n"
	"Each interval, per cache: ALLOCS and BYTES (bcc's columns), FREES, NET_OBJS and "
	"NET_BYTES (allocated minus freed), and from /proc/slabinfo the cache's active "
	"OBJS and SIZE_MB now, and RECL: whether it is reclaimable. kmalloc counts in its "
	"kmalloc-N cache; kmalloc above 8 KiB (the page allocator) in kmalloc-large. The "
	"title carries Slab, SReclaimable and SUnreclaim of /proc/meminfo. With -p or -c, "
	"only the target's allocations and frees (a kmalloc object's free counts where "
	"it was allocated). Sorted by BYTES unless -s. On a terminal, a full-screen view: "
	"q quits, < and > change the sort column, r reverses the order, p pauses. "
	"--stacks CACHE: instead, each interval, the objects of CACHE allocated since the "
	"start and still live, per process and kernel+user stack, most bytes first. See "
	"slabratetop(8) for what is exact and the JSON keys.\n"
	"\n"
	"EXAMPLES:\n"
	"    slabratetop              # full screen, every second\n"
	"    slabratetop -C 5 3       # plain tables, 3 x 5 s\n"
	"    slabratetop -s net_objs  # caches growing fastest first\n"
	"    slabratetop -r 5         # the top 5 caches\n"
	"    slabratetop -p 185 -b    # only what process 185 allocates and frees\n"
	"    slabratetop -c /sys/fs/cgroup/app -b   # only tasks in this cgroup\n"
	"    slabratetop --json 1 3   # JSON lines\n"
	"    slabratetop --stacks dentry -p 185 10 1   # who holds 185's live dentries\n"
	"    slabratetop --stacks kmalloc-64 --folded 10 1 > k64.folded  # flame graph";

enum { OPT_STACKS = 1000, OPT_FOLDED };

static const struct cli_opt opts[] = {
	{ .name = "noclear", .key = 'C', .type = CLI_FLAG, .dest = &env.noclear,
	  .help = "Do not clear the screen: plain tables (as -b)" },
	{ .name = "maxrows", .key = 'r', .arg = "ROWS", .type = CLI_ULONG, .dest = &env.top.rows,
	  .min = 1, .max = 100000, .help = "Show at most ROWS caches (default 20)" },
	{ .name = "sort", .key = 's', .arg = "FIELD", .type = CLI_STR, .dest = &env.top.sort,
	  .help = "Sort by this column (its name, case-insensitive; default BYTES)" },
	{ .name = "batch", .key = 'b', .type = CLI_FLAG, .dest = &env.top.batch,
	  .help = "Plain tables, not a full-screen view" },
	{ .name = "pid", .key = 'p', .arg = "PID", .type = CLI_PID, .dest = &env.pid,
	  .help = "Count only this process's allocations and frees" },
	{ .name = "cgroup", .key = 'c', .arg = "CGROUP_PATH", .type = CLI_STR, .dest = &env.cgroup,
	  .help = "Count only tasks in this cgroup or below (v2, or the v1 memory hierarchy)" },
	{ .name = "stacks", .key = OPT_STACKS, .arg = "CACHE", .type = CLI_STR, .dest = &env.stacks,
	  .help = "The live objects of CACHE per allocating process and stack" },
	{ .name = "folded", .key = OPT_FOLDED, .type = CLI_FLAG, .dest = &env.folded,
	  .help = "With --stacks: folded lines for flamegraph.pl, weighed by live bytes" },
	{},
};

static void validate(struct argp_state *state)
{
	if (env.folded && !env.stacks)
		argp_error(state, "--folded needs --stacks CACHE");
	if (env.folded && env.c.json)
		argp_error(state, "--folded and --json exclude each other");
	if (env.c.json || env.noclear || env.stacks || !isatty(STDOUT_FILENO))
		env.top.batch = true;
}

static const struct cli_spec spec = { .doc = doc, .opts = opts, .validate = validate };

struct state {
	struct slab *sl;
	struct top_view view;
	struct top_table caches;
	struct slab_row *rows;
	size_t nrows;
	struct rec title, lost;
	struct json json;
};

static void build(void *ctx)
{
	struct state *s = ctx;
	struct rec *r;
	size_t i;

	top__table_reset(&s->caches);
	for (i = 0; i < s->nrows && (r = top__row(&s->caches)); i++)
		slab__row_rec(r, &s->rows[i]);
}

static int sample(void *ctx)
{
	struct state *s = ctx;
	int err;

	free(s->rows);
	err = slab__drain(s->sl, &s->rows, &s->nrows);
	if (err)
		log__err("cannot read the counters: %s", strerror(-err));
	return err;
}

static const struct rec *title(void *ctx)
{
	struct state *s = ctx;
	struct slab_meminfo mi;

	slab__meminfo(NULL, &mi);
	slab__title_rec(&s->title, &mi);
	return &s->title;
}

static const struct rec *lost(void *ctx)
{
	struct state *s = ctx;
	unsigned long long l[SLAB_NR_COUNTERS] = {};

	slab__lost_all(s->sl, l);
	slab__lost_rec(&s->lost, l);
	return &s->lost;
}

static void print_stacks_json(struct state *s, const struct timespec *now,
			      const struct slab_stack_row *st, size_t n)
{
	struct rec report, *recs = calloc(n + 1, sizeof(*recs));
	size_t i, shown = top__shown(n, env.top.rows);

	for (i = 0; recs && i < shown; i++)
		slab__stack_rec(&recs[i], &st[i]);
	rec__init(&report, &slab__stacks_report_schema);
	rec__time(&report, SLSREP_TIME, now);
	rec__str(&report, SLSREP_CACHE, env.stacks);
	if (recs)
		rec__list(&report, SLSREP_STACKS, recs, shown);
	rec__obj(&report, SLSREP_LOST, lost(s));
	schema__json_line(&s->json, &report);
	free(recs);
}

static int stacks_tick(struct state *s, const struct timespec *now)
{
	struct slab_stack_row *st;
	size_t n, i;
	int err = slab__drain_stacks(s->sl, &st, &n);

	if (err) {
		log__err("cannot read the stacks: %s", strerror(-err));
		return err;
	}
	if (env.c.json) {
		print_stacks_json(s, now, st, n);
	} else if (env.folded) {
		for (i = 0; i < n; i++)
			slab__print_folded(stdout, &st[i]);
	} else {
		top__view_head(&s->view, now, stdout);
		printf("Live %s objects allocated since the start, by stack:\n\n", env.stacks);
		for (i = 0; i < top__shown(n, env.top.rows); i++)
			slab__print_stack(stdout, &st[i]);
	}
	fflush(stdout);
	slab__free_stacks(st, n);
	return 0;
}

static int batch_tick(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	struct rec report;
	int err = top__view_update(&s->view);

	if (err)
		return err;
	if (env.stacks)
		return stacks_tick(s, now);
	if (env.c.json) {
		rec__init(&report, &slab__report_schema);
		rec__time(&report, SLREP_TIME, now);
		rec__obj(&report, SLREP_MEM, title(s));
		rec__list(&report, SLREP_ROWS, s->caches.rows,
			  top__shown(s->caches.nrows, env.top.rows));
		rec__obj(&report, SLREP_LOST, lost(s));
		schema__json_line(&s->json, &report);
		return 0;
	}
	top__view_head(&s->view, now, stdout);
	top__print(stdout, &s->caches, (int)env.top.rows);
	printf("\n");
	fflush(stdout);
	return 0;
}

static const struct top_ops top_ops = {
	.sample = sample, .build = build, .title = title, .lost = lost,
};

int main(int argc, char **argv)
{
	struct cgroup_filter cg = {};
	struct slab_opts so = {};
	struct module m = {};
	enum cli_start start;
	struct state s = {};
	int err;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_USAGE;
	top__table_init(&s.caches, &slab__row_schema);
	top__view_init(&s.view, &top_ops, &s);
	top__view_add(&s.view, &s.caches, SLR_BYTES, false);
	if (env.top.sort && top__view_sort_by(&s.view, 0, env.top.sort))
		return EXIT_USAGE;
	if (cli__preflight_cgroup(env.pid, env.cgroup, &cg))
		return EXIT_RUNTIME;
	so.m.tgid = env.pid;
	so.cgroup_id = cg.id;
	so.cgroup_mode = cg.mode;
	so.stacks_cache = env.stacks;
	if (env.stacks && !slab__is_cache(env.stacks)) {
		log__err("no slab cache '%s' in /proc/slabinfo", env.stacks);
		return EXIT_RUNTIME;
	}
	start = cli__start(&env.c, &m, &slab__module, &so.m);
	if (start != CLI_RUN)
		return start == CLI_DONE ? EXIT_OK : EXIT_RUNTIME;
	s.sl = m.state;
	json__init(&s.json, stdout);
	err = top__view_run(&s.view, &env.c, env.pid, env.top.batch, batch_tick);
	module__close(&m);
	top__table_free(&s.caches);
	free(s.rows);
	return cli__exit_status(err);
}
