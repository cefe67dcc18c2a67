// SPDX-License-Identifier: BSD-2-Clause
/* cachetop: page-cache hits, misses and dirties per process or per file. */
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "log.h"
#include "loop.h"
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

const char argp_program_doc[] =
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

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Count only this process", 0 },
	{ "files", 'f', NULL, 0, "One row per file instead of per process", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[1] = &env.top;
		return cli__parse_key(key, arg, state, &env.c);
	case 'p':
		env.pid = cli__pid(state, arg);
		break;
	case 'f':
		env.files = true;
		break;
	default:
		return cli__parse_key(key, arg, state, &env.c);
	}
	return 0;
}

static const struct top_col proc_cols[] = {
	{ "PID", 7, true },	 { "UID", -8, false },	   { "CMD", -16, false },
	{ "HITS", 8, true },	 { "MISSES", 8, true },	   { "DIRTIES", 8, true },
	{ "READ_HIT%", 10, true }, { "WRITE_HIT%", 10, true },
};
static const struct top_col file_cols[] = {
	{ "FILE", -48, false }, { "PID", 8, false },     { "HITS", 8, true },
	{ "MISSES", 8, true },  { "DIRTIES", 8, true },  { "HIT%", 7, true },
};
#define N_PROC_COLS ((int)(sizeof(proc_cols) / sizeof(proc_cols[0])))
#define N_FILE_COLS ((int)(sizeof(file_cols) / sizeof(file_cols[0])))
#define COL_HITS_PROC 3
#define COL_HITS_FILE 2

struct state {
	struct pagecache pc;
	struct path_cache *paths;
	struct top_view view;		/* procs, then files */
	struct top_table procs, files;
	struct pagecache_row *proc_rows, *file_rows;
	size_t n_proc_rows, n_file_rows;
	struct json json;
};

static void user_name(__u32 uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%u", uid);
}

static const char *file_name(struct state *s, const struct pagecache_row *r, char *buf,
			     size_t size)
{
	const char *p = path_cache__get(s->paths, r->dev, r->ino, r->generation, r->pid);

	if (p)
		return p;
	snprintf(buf, size, "%llu:%llu:%llu", r->dev >> 20, r->dev & 0xfffff, r->ino);
	return buf;
}

/* Long paths keep their tail: the file name matters more than /home/... */
static void fit(char *dst, size_t size, const char *src, int width)
{
	size_t n = strlen(src);

	if (width <= 3 || n <= (size_t)width)
		snprintf(dst, size, "%s", src);
	else
		snprintf(dst, size, "...%s", src + n - (width - 3));
}

static void build_tables(void *ctx)
{
	struct state *s = ctx;
	char buf[64], name[4096];
	size_t i;

	top__table_reset(&s->procs);
	for (i = 0; i < s->n_proc_rows; i++) {
		const struct pagecache_row *r = &s->proc_rows[i];
		struct top_cell *c = top__row(&s->procs);

		if (!c)
			break;
		top__cell_num(&c[0], r->pid, NULL);
		user_name(r->uid, buf, sizeof(buf));
		top__cell_str(&c[1], buf);
		top__cell_str(&c[2], r->comm);
		top__cell_num(&c[3], r->k.hits, NULL);
		top__cell_num(&c[4], r->k.misses, NULL);
		top__cell_num(&c[5], r->k.dirties, NULL);
		top__cell_num(&c[6], r->k.hit_ratio, "%.1f%%");
		top__cell_num(&c[7], r->write_hit, "%.1f%%");
	}
	top__table_reset(&s->files);
	for (i = 0; i < s->n_file_rows; i++) {
		const struct pagecache_row *r = &s->file_rows[i];
		struct top_cell *c = top__row(&s->files);

		if (!c)
			break;
		fit(c[0].text, sizeof(c[0].text), file_name(s, r, name, sizeof(name)), 48);
		snprintf(buf, sizeof(buf), "%u%s", r->pid, r->shared ? "+" : "");
		top__cell_str(&c[1], buf);
		top__cell_num(&c[2], r->k.hits, NULL);
		top__cell_num(&c[3], r->k.misses, NULL);
		top__cell_num(&c[4], r->k.dirties, NULL);
		top__cell_num(&c[5], r->k.hit_ratio, "%.1f%%");
	}
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
		err = pagecache__drain(&s->pc, false, &s->proc_rows, &s->n_proc_rows);
	if (!err && (!env.top.batch || env.files))
		err = pagecache__drain(&s->pc, true, &s->file_rows, &s->n_file_rows);
	if (err)
		log__err("cannot read the counters: %s", strerror(-err));
	return err;
}

static void title(void *ctx, char *buf, size_t size)
{
	struct meminfo mi = {};

	(void)ctx;
	proc__meminfo(NULL, &mi);
	snprintf(buf, size, "Buffers MB: %llu / Cached MB: %llu", mi.buffers_kb / 1024,
		 mi.cached_kb / 1024);
}

static void status(void *ctx, char *buf, size_t size)
{
	struct state *s = ctx;
	unsigned long long full[PC_NR_FULL] = {};

	buf[0] = '\0';
	if (!pagecache__full(&s->pc, full) && (full[PC_FULL_PROCS] || full[PC_FULL_FILES]))
		snprintf(buf, size,
			 "tables full: %llu process and %llu file entries not counted since start",
			 full[PC_FULL_PROCS], full[PC_FULL_FILES]);
}

static void print_json(struct state *s, const struct timespec *now)
{
	unsigned long long full[PC_NR_FULL] = {};
	struct json *j = &s->json;
	char name[4096];
	size_t i;

	pagecache__full(&s->pc, full);
	json__begin(j, NULL);
	json__time(j, "time", now);
	json__begin_array(j, "rows");
	for (i = 0; i < (env.files ? s->n_file_rows : s->n_proc_rows); i++) {
		const struct pagecache_row *r = env.files ? &s->file_rows[i] : &s->proc_rows[i];

		json__begin(j, NULL);
		if (env.files) {
			json__str(j, "file", file_name(s, r, name, sizeof(name)));
			snprintf(name, sizeof(name), "%llu:%llu", r->dev >> 20, r->dev & 0xfffff);
			json__str(j, "dev", name);
			json__u64(j, "ino", r->ino);
			json__u64(j, "pid", r->pid);
			json__bool(j, "shared", r->shared);
		} else {
			json__u64(j, "pid", r->pid);
			json__u64(j, "uid", r->uid);
			json__str(j, "comm", r->comm);
		}
		json__u64(j, "hits", r->k.hits);
		json__u64(j, "misses", r->k.misses);
		json__u64(j, "dirties", r->k.dirties);
		json__num(j, env.files ? "hit_pct" : "read_hit_pct", r->k.hit_ratio, 2);
		if (!env.files)
			json__num(j, "write_hit_pct", r->write_hit, 2);
		json__end(j);
	}
	json__end_array(j);
	json__begin(j, "full");
	json__u64(j, "procs", full[PC_FULL_PROCS]);
	json__u64(j, "files", full[PC_FULL_FILES]);
	json__end(j);
	json__end(j);
}

static int batch_tick(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	int err = top__view_update(&s->view);

	if (err)
		return err;
	if (env.c.json) {
		print_json(s, now);
		return 0;
	}
	top__view_head(&s->view, now, stdout);
	top__print(stdout, top__view_table(&s->view), (int)env.top.rows);
	printf("\n");
	fflush(stdout);
	return 0;
}

static const struct top_ops top_ops = {
	.sample = drain,
	.build = build_tables,
	.title = title,
	.status = status,
};

int main(int argc, char **argv)
{
	struct state s = {};
	struct pagecache_opts po = {};
	int err;

	if (cli__parse_opts(opts, parse_arg, argp_program_doc, &top__argp, argc, argv, &env.c,
			    &env))
		return EXIT_USAGE;
	if (env.c.json)
		env.top.batch = true;
	top__table_init(&s.procs, proc_cols, N_PROC_COLS);
	top__table_init(&s.files, file_cols, N_FILE_COLS);
	top__view_init(&s.view, &top_ops, &s);
	top__view_add(&s.view, &s.procs, COL_HITS_PROC, env.top.reverse);
	top__view_add(&s.view, &s.files, COL_HITS_FILE, env.top.reverse);
	s.view.cur = env.files;
	if (env.top.sort && top__view_sort_by(&s.view, env.files, env.top.sort))
		return EXIT_USAGE;
	if (cli__preflight(env.pid))
		return EXIT_RUNTIME;
	po.per_process = !env.top.batch || !env.files;
	po.per_file = !env.top.batch || env.files;
	err = pagecache__start(&s.pc, &po, &env.c, env.pid);
	if (err == 1)
		return EXIT_OK;
	if (err)
		goto cleanup;
	s.paths = path_cache__new();
	if (!s.paths) {
		err = -ENOMEM;
		goto cleanup;
	}

	json__init(&s.json, stdout);
	err = top__view_run(&s.view, &env.c, env.pid, env.top.batch, batch_tick);

cleanup:
	pagecache__close(&s.pc);
	path_cache__free(s.paths);
	top__table_free(&s.procs);
	top__table_free(&s.files);
	free(s.proc_rows);
	free(s.file_rows);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
