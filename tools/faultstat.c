// SPDX-License-Identifier: BSD-2-Clause
/* faultstat: minor and major page faults per process, and where the major
 * ones come from. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "faultstat.h"
#include "log.h"
#include "output.h"
#include "proc.h"
#include "top.h"

static struct env {
	struct cli_common c;
	struct top_cli top;
	pid_t pid;
	const char *cgroup;
	bool detail, files, stacks, folded;
} env = { .c = { .interval = 1 } };

static const char doc[] =
	"Count minor and major page faults per process, and where the major ones come from.\n"
	"\n"
	"USAGE: faultstat [-p PID] [-c CGROUP_PATH] [-s FIELD] [-r] [-n ROWS] [-b]\n"
	"                 [-d] [-f] [--stacks] [--folded] [-T] [--json] [-v]\n"
	"                 [interval [count]]\n"
	"\n"
	"MINOR and MAJOR are the kernel's own per-task counters (as getrusage(2) and "
	"/proc/PID/stat), read each interval with no work added to any fault; processes that "
	"exit within the interval are counted too. With -d, each major fault is classified by "
	"the memory it hit: MAJ_FILE (a file mapping, read from disk) or MAJ_SWAP (anonymous "
	"memory, swapped in); this adds a hook to every major fault. Sorted by MAJOR, then "
	"MINOR, unless -s. On a terminal, a "
	"full-screen view: q quits, < and > change the sort column, r reverses the order, f "
	"switches to files (with -f), p pauses. See faultstat(8).\n"
	"\n"
	"EXAMPLES:\n"
	"    faultstat              # full screen, every second\n"
	"    faultstat -b 5         # plain tables every 5 seconds\n"
	"    faultstat -p 185 -b    # only process 185\n"
	"    faultstat -c /sys/fs/cgroup/system.slice -b   # only that cgroup and below\n"
	"    faultstat -d -b        # split major faults into file and swap\n"
	"    faultstat -f -b        # and list the files major faults read\n"
	"    faultstat --stacks -b 10 1   # the stacks of major faults over 10 s\n"
	"    faultstat --folded 10 1 > out.folded   # for flamegraph.pl\n"
	"    faultstat --json 1 3   # JSON lines";

enum { OPT_STACKS = 0x2000, OPT_FOLDED };

static const struct cli_opt opts[] = {
	{ .name = "pid", .key = 'p', .arg = "PID", .type = CLI_PID, .dest = &env.pid,
	  .help = "Count only this process" },
	{ .name = "cgroup", .key = 'c', .arg = "CGROUP_PATH", .type = CLI_STR, .dest = &env.cgroup,
	  .help = "Count only processes in this cgroup (and below)" },
	{ .name = "detail", .key = 'd', .type = CLI_FLAG, .dest = &env.detail,
	  .help = "Classify major faults as file or swap (a hook per major fault)" },
	{ .name = "files", .key = 'f', .type = CLI_FLAG, .dest = &env.files,
	  .help = "List the files major faults read (implies -d)" },
	{ .name = "stacks", .key = OPT_STACKS, .type = CLI_FLAG, .dest = &env.stacks,
	  .help = "Count major faults per user+kernel stack (implies -d)" },
	{ .name = "folded", .key = OPT_FOLDED, .type = CLI_FLAG, .dest = &env.folded,
	  .help = "Stacks in folded form, one line each (implies --stacks)" },
	{},
};

static void validate(struct argp_state *state)
{
	env.stacks |= env.folded;
	env.detail |= env.files || env.stacks;
	if (env.c.json || env.folded)
		env.top.batch = true;
}

static const struct cli_spec spec = {
	.doc = doc, .opts = opts, .child = &top__argp, .child_input = &env.top,
	.validate = validate,
};

struct state {
	struct faultstat *fs;
	struct top_view view;		/* procs, then files with -f */
	struct top_table procs, files;
	struct faultstat_row *rows, total;
	struct faultstat_file_row *file_rows;
	size_t n_rows, n_file_rows;
	struct rec total_rec, title, lost;
	struct json json;
};

static void build_tables(void *ctx)
{
	struct state *s = ctx;
	struct rec *r;
	size_t i;

	top__table_reset(&s->procs);
	for (i = 0; i < s->n_rows && (r = top__row(&s->procs)); i++)
		faultstat__row_rec(r, &s->rows[i], env.detail);
	top__table_reset(&s->files);
	for (i = 0; i < s->n_file_rows && (r = top__row(&s->files)); i++)
		faultstat__file_rec(r, &s->file_rows[i], s->fs->paths);
}

static int sample(void *ctx)
{
	struct state *s = ctx;
	int err;

	free(s->rows);
	free(s->file_rows);
	s->rows = NULL;
	s->file_rows = NULL;
	s->n_rows = s->n_file_rows = 0;
	err = faultstat__sample(s->fs, &s->rows, &s->n_rows);
	if (!err && env.files)
		err = faultstat__drain_files(s->fs, &s->file_rows, &s->n_file_rows);
	if (err)
		log__err("cannot read the counters: %s", strerror(-err));
	faultstat__sum(s->rows, s->n_rows, &s->total);
	faultstat__row_rec(&s->total_rec, &s->total, env.detail);
	return err;
}

static const struct rec *title(void *ctx)
{
	struct state *s = ctx;

	faultstat__title_rec(&s->title, &s->total);
	return &s->title;
}

static const struct rec *lost(void *ctx)
{
	struct state *s = ctx;
	unsigned long long full[FS_NR_FULL] = {};

	faultstat__full(s->fs, full);
	faultstat__lost_rec(&s->lost, full, faultstat__lost_exits(s->fs));
	return &s->lost;
}

static void print_json(struct state *s, const struct timespec *now,
		       const struct faultstat_stack_row *st, size_t n_st)
{
	struct rec report, *stacks = calloc(n_st + 1, sizeof(*stacks));
	size_t i;

	for (i = 0; stacks && i < n_st; i++)
		faultstat__stack_rec(&stacks[i], &st[i]);
	rec__init(&report, &faultstat__report_schema);
	rec__time(&report, FSO_TIME, now);
	rec__list(&report, FSO_ROWS, s->procs.rows, top__shown(s->procs.nrows, env.top.rows));
	rec__obj(&report, FSO_TOTAL, &s->total_rec);
	if (env.files)
		rec__list(&report, FSO_FILES, s->files.rows, s->files.nrows);
	if (env.stacks && stacks)
		rec__list(&report, FSO_STACKS, stacks, n_st);
	rec__obj(&report, FSO_LOST, lost(s));
	schema__json_line(&s->json, &report);
	free(stacks);
}

static int batch_tick(void *ctx, const struct timespec *now)
{
	struct faultstat_stack_row *st = NULL;
	struct state *s = ctx;
	size_t n_st = 0, i;
	int err = top__view_update(&s->view);

	if (!err && env.stacks && (err = faultstat__drain_stacks(s->fs, &st, &n_st)))
		log__err("cannot read the stacks: %s", strerror(-err));
	if (err)
		return err;
	if (env.c.json) {
		print_json(s, now, st, n_st);
	} else if (env.folded) {
		for (i = 0; i < n_st; i++)
			faultstat__print_folded(stdout, &st[i]);
	} else {
		top__view_head(&s->view, now, stdout);
		top__print(stdout, &s->procs, (int)env.top.rows);
		top__print_total(stdout, &s->procs, &s->total_rec, "TOTAL");
		if (env.files) {
			printf("\n");
			top__print(stdout, &s->files, (int)env.top.rows);
		}
		if (env.stacks)
			printf("\n");
		for (i = 0; i < top__shown(n_st, env.top.rows); i++)
			faultstat__print_stack(stdout, &st[i]);
		printf("\n");
	}
	fflush(stdout);
	faultstat__free_stacks(st, n_st);
	return 0;
}

static const struct top_ops top_ops = {
	.sample = sample,
	.build = build_tables,
	.title = title,
	.lost = lost,
};

int main(int argc, char **argv)
{
	struct faultstat_opts fo = {};
	struct module m = {};
	enum cli_start start;
	struct state s = {};
	int err;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_USAGE;
	top__table_init(&s.procs, &faultstat__row_schema);
	top__table_init(&s.files, &faultstat__file_schema);
	top__view_init(&s.view, &top_ops, &s);
	top__view_add(&s.view, &s.procs, FSR_MAJOR, env.top.reverse);
	top__view_ties(&s.view, 0, FSR_MAJOR, FSR_MINOR);
	if (env.files)
		top__view_add(&s.view, &s.files, FSF_MAJOR, env.top.reverse);
	if (env.top.sort && top__view_sort_by(&s.view, 0, env.top.sort))
		return EXIT_USAGE;
	if (cli__preflight_cgroup(env.pid, env.cgroup, &fo.cgroup))
		return EXIT_RUNTIME;
	fo.m.tgid = env.pid;
	fo.detail = env.detail;
	fo.files = env.files;
	fo.stacks = env.stacks;
	start = cli__start(&env.c, &m, &faultstat__module, &fo.m);
	if (start != CLI_RUN)
		return start == CLI_DONE ? EXIT_OK : EXIT_RUNTIME;
	s.fs = m.state;
	json__init(&s.json, stdout);
	err = top__view_run(&s.view, &env.c, env.pid, env.top.batch, batch_tick);
	module__close(&m);
	top__table_free(&s.procs);
	top__table_free(&s.files);
	free(s.rows);
	free(s.file_rows);
	return cli__exit_status(err);
}
