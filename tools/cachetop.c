// SPDX-License-Identifier: BSD-2-Clause
/* cachetop: page-cache hits, misses and dirties per process or per file. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "output.h"
#include "pagecache.h"
#include "proc.h"
#include "top.h"

static struct env {
	struct cli_common c;
	struct top_cli top;
	pid_t pid;
	bool files;
} env = { .c = { .interval = 1 } };

static const char doc[] =
	"Show page-cache hits, misses and dirtied pages per process, or per file.\n"
	"\n"
	"USAGE: cachetop [-p PID] [-s FIELD] [-r] [-n ROWS] [-b] [-f] [--json] [-T] [-v]\n"
	"                [interval [count]]\n"
	"\n"
	"Counts as cachestat(8) does. READ_HIT% is HITS / (HITS + MISSES) of the "
	"process's reads and faults; WRITE_HIT% is the share of the pages it dirtied that "
	"were already cached, not created by the write. '-' when there was nothing to "
	"count. Sorted by HITS unless -s. On a terminal, a full-screen view: q quits, < and > "
	"change the sort column, r reverses the order, f switches between processes and "
	"files, p pauses. "
	"See cachetop(8).\n"
	"\n"
	"EXAMPLES:\n"
	"    cachetop              # full screen, every second\n"
	"    cachetop 5            # every 5 seconds\n"
	"    cachetop -s misses    # sort by MISSES\n"
	"    cachetop -f           # per file\n"
	"    cachetop -b 1 10      # plain tables, ten times\n"
	"    cachetop --json 1 3   # JSON lines\n"
	"    cachetop -p 185 -b    # only process 185";

static const struct cli_opt opts[] = {
	{ .name = "pid", .key = 'p', .arg = "PID", .type = CLI_PID, .dest = &env.pid,
	  .help = "Count only this process" },
	{ .name = "files", .key = 'f', .type = CLI_FLAG, .dest = &env.files,
	  .help = "One row per file instead of per process" },
	{},
};

static void validate(struct argp_state *state)
{
	if (env.c.json)
		env.top.batch = true;
}

static const struct cli_spec spec = {
	.doc = doc, .opts = opts, .child = &top__argp, .child_input = &env.top,
	.validate = validate,
};

struct state {
	struct pagecache *pc;
	struct top_view view;		/* procs, then files */
	struct top_table procs, files;
	struct pagecache_row *proc_rows, *file_rows;
	size_t n_proc_rows, n_file_rows;
	struct rec title, lost;
	struct json json;
};

static void build_tables(void *ctx)
{
	struct state *s = ctx;
	struct rec *r;
	size_t i;

	top__table_reset(&s->procs);
	for (i = 0; i < s->n_proc_rows && (r = top__row(&s->procs)); i++)
		pagecache__proc_rec(r, &s->proc_rows[i]);
	top__table_reset(&s->files);
	for (i = 0; i < s->n_file_rows && (r = top__row(&s->files)); i++)
		pagecache__file_rec(r, &s->file_rows[i], s->pc->paths);
}

static int drain(void *ctx)
{
	struct state *s = ctx;
	int err = 0;

	free(s->proc_rows);
	free(s->file_rows);
	s->proc_rows = s->file_rows = NULL;
	s->n_proc_rows = s->n_file_rows = 0;
	if (!env.top.batch || !env.files)
		err = pagecache__drain(s->pc, false, &s->proc_rows, &s->n_proc_rows);
	if (!err && (!env.top.batch || env.files))
		err = pagecache__drain(s->pc, true, &s->file_rows, &s->n_file_rows);
	if (err)
		log__err("cannot read the counters: %s", strerror(-err));
	return err;
}

static const struct rec *title(void *ctx)
{
	struct state *s = ctx;
	struct meminfo mi = {};

	proc__meminfo(NULL, &mi);
	pagecache__mem_rec(&s->title, &mi);
	return &s->title;
}

static const struct rec *lost(void *ctx)
{
	struct state *s = ctx;
	unsigned long long full[PC_NR_FULL] = {};

	pagecache__full(s->pc, full);
	pagecache__lost_rec(&s->lost, full);
	return &s->lost;
}

static int batch_tick(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	const struct top_table *t;
	struct rec report;
	int err = top__view_update(&s->view);

	if (err)
		return err;
	t = top__view_table(&s->view);
	if (env.c.json) {
		rec__init(&report, env.files ? &pagecache__files_report : &pagecache__procs_report);
		rec__time(&report, PCR_TIME, now);
		rec__list(&report, PCR_ROWS, t->rows, top__shown(t->nrows, env.top.rows));
		rec__obj(&report, PCR_LOST, lost(s));
		schema__json_line(&s->json, &report);
		return 0;
	}
	top__view_head(&s->view, now, stdout);
	top__print(stdout, t, (int)env.top.rows);
	printf("\n");
	fflush(stdout);
	return 0;
}

static const struct top_ops top_ops = {
	.sample = drain,
	.build = build_tables,
	.title = title,
	.lost = lost,
};

int main(int argc, char **argv)
{
	struct pagecache_opts po = {};
	struct module m = {};
	enum cli_start start;
	struct state s = {};
	int err;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_USAGE;
	top__table_init(&s.procs, &pagecache__proc_schema);
	top__table_init(&s.files, &pagecache__file_schema);
	top__view_init(&s.view, &top_ops, &s);
	top__view_add(&s.view, &s.procs, PCP_HITS, env.top.reverse);
	top__view_add(&s.view, &s.files, PCF_HITS, env.top.reverse);
	s.view.cur = env.files;
	if (env.top.sort && top__view_sort_by(&s.view, env.files, env.top.sort))
		return EXIT_USAGE;
	if (cli__preflight(env.pid))
		return EXIT_RUNTIME;
	po.m.tgid = env.pid;
	po.per_process = !env.top.batch || !env.files;
	po.per_file = !env.top.batch || env.files;
	start = cli__start(&env.c, &m, &pagecache__module, &po.m);
	if (start != CLI_RUN)
		return start == CLI_DONE ? EXIT_OK : EXIT_RUNTIME;
	s.pc = m.state;
	json__init(&s.json, stdout);
	err = top__view_run(&s.view, &env.c, env.pid, env.top.batch, batch_tick);
	module__close(&m);
	top__table_free(&s.procs);
	top__table_free(&s.files);
	free(s.proc_rows);
	free(s.file_rows);
	return cli__exit_status(err);
}
