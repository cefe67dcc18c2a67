// SPDX-License-Identifier: BSD-2-Clause
/* faultstat: minor and major page faults per process, and where the major
 * ones come from. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cgroup.h"
#include "cli.h"
#include "faultstat.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "proc.h"
#include "stack.h"
#include "sym.h"
#include "top.h"

static struct env {
	struct cli_common c;
	struct top_cli top;
	pid_t pid;
	const char *cgroup;
	bool detail, files, stacks, folded;
} env = { .c = { .interval = 1 } };

const char argp_program_doc[] =
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

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Count only this process", 0 },
	{ "cgroup", 'c', "CGROUP_PATH", 0, "Count only processes in this cgroup (and below)", 0 },
	{ "detail", 'd', NULL, 0, "Classify major faults as file or swap (a hook per major fault)",
	  0 },
	{ "files", 'f', NULL, 0, "List the files major faults read (implies -d)", 0 },
	{ "stacks", OPT_STACKS, NULL, 0, "Count major faults per user+kernel stack (implies -d)",
	  0 },
	{ "folded", OPT_FOLDED, NULL, 0, "Stacks in folded form, one line each (implies --stacks)",
	  0 },
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
	case 'c':
		env.cgroup = arg;
		break;
	case 'd':
		env.detail = true;
		break;
	case 'f':
		env.files = env.detail = true;
		break;
	case OPT_FOLDED:
		env.folded = true;
		/* fall through */
	case OPT_STACKS:
		env.stacks = env.detail = true;
		break;
	default:
		return cli__parse_key(key, arg, state, &env.c);
	}
	return 0;
}

static const struct top_col proc_cols[] = {
	{ "PID", 7, true },    { "COMM", -16, false },	 { "MINOR", 10, true },
	{ "MAJOR", 8, true },  { "MAJ_FILE", 8, true }, { "MAJ_SWAP", 8, true },
};
static const struct top_col file_cols[] = {
	{ "MAJOR", 8, true },
	{ "PID", 8, false },
	{ "FILE", -48, false },
};
#define N_PROC_COLS ((int)(sizeof(proc_cols) / sizeof(proc_cols[0])))
#define N_FILE_COLS ((int)(sizeof(file_cols) / sizeof(file_cols[0])))
#define COL_MINOR 2
#define COL_MAJOR 3
#define COL_FILE_MAJOR 0

struct totals {
	unsigned long long minor, major, cls[FS_NR_CLASSES];
};

struct state {
	struct faultstat fs;
	struct path_cache *paths;
	struct syms *ksyms;
	struct syms_cache *usyms;
	struct top_view view;		/* procs, then files with -f */
	struct top_table procs, files, total;
	struct faultstat_row *rows;
	struct faultstat_file_row *file_rows;
	size_t n_rows, n_file_rows;
	struct totals t;
	struct json json;
};

static const char *file_name(struct state *s, const struct faultstat_file_row *r, char *buf,
			     size_t size)
{
	const char *p = path_cache__get(s->paths, r->dev, r->ino, r->generation, r->pid);

	if (p)
		return p;
	snprintf(buf, size, "%llu:%llu:%llu", r->dev >> 20, r->dev & 0xfffff, r->ino);
	return buf;
}

static void fill_counts(struct top_cell *c, unsigned long long minor, unsigned long long major,
			const unsigned long long *cls)
{
	top__cell_num(&c[2], minor, NULL);
	top__cell_num(&c[3], major, NULL);
	top__cell_num(&c[4], env.detail ? cls[FS_MAJ_FILE] : NAN, NULL);
	top__cell_num(&c[5], env.detail ? cls[FS_MAJ_SWAP] : NAN, NULL);
}

static void build_tables(void *ctx)
{
	struct state *s = ctx;
	char buf[32], name[4096];
	struct top_cell *c;
	size_t i;

	top__table_reset(&s->procs);
	for (i = 0; i < s->n_rows; i++) {
		const struct faultstat_row *r = &s->rows[i];

		if (!(c = top__row(&s->procs)))
			break;
		top__cell_num(&c[0], r->pid, NULL);
		top__cell_str(&c[1], r->comm);
		fill_counts(c, r->minor, r->major, r->cls);
	}
	top__table_reset(&s->total);
	if ((c = top__row(&s->total))) {
		top__cell_str(&c[0], "");
		top__cell_str(&c[1], "TOTAL");
		fill_counts(c, s->t.minor, s->t.major, s->t.cls);
	}
	top__table_reset(&s->files);
	for (i = 0; i < s->n_file_rows; i++) {
		const struct faultstat_file_row *r = &s->file_rows[i];

		if (!(c = top__row(&s->files)))
			break;
		top__cell_num(&c[0], r->major, NULL);
		snprintf(buf, sizeof(buf), "%u%s", r->pid, r->shared ? "+" : "");
		top__cell_str(&c[1], buf);
		top__cell_str(&c[2], file_name(s, r, name, sizeof(name)));
	}
}

static int sample(void *ctx)
{
	struct state *s = ctx;
	size_t i;
	int err;

	free(s->rows);
	free(s->file_rows);
	s->rows = NULL;
	s->file_rows = NULL;
	s->n_rows = s->n_file_rows = 0;
	memset(&s->t, 0, sizeof(s->t));
	err = faultstat__sample(&s->fs, &s->rows, &s->n_rows);
	if (!err && env.files)
		err = faultstat__drain_files(&s->fs, &s->file_rows, &s->n_file_rows);
	if (err) {
		log__err("cannot read the counters: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < s->n_rows; i++) {
		int c;

		s->t.minor += s->rows[i].minor;
		s->t.major += s->rows[i].major;
		for (c = 0; c < FS_NR_CLASSES; c++)
			s->t.cls[c] += s->rows[i].cls[c];
	}
	return 0;
}

static void title(void *ctx, char *buf, size_t size)
{
	struct state *s = ctx;

	snprintf(buf, size, "Faults: minor %llu / major %llu", s->t.minor, s->t.major);
}

/* Lost exit records and full tables, since start: "" when none. */
static void status(void *ctx, char *buf, size_t size)
{
	struct state *s = ctx;
	unsigned long long full[FS_NR_FULL] = {};
	long long lost = faultstat__lost_exits(&s->fs);
	size_t n = 0;

	buf[0] = '\0';
	faultstat__full(&s->fs, full);
	if (lost > 0)
		n += snprintf(buf + n, size - n, "exit records lost: %lld (their last faults "
						 "are missing) ", lost);
	if (full[FS_FULL_PROCS] || full[FS_FULL_FILES] || full[FS_FULL_STACKS])
		n += snprintf(buf + n, size - n,
			      "tables full: %llu process, %llu file, %llu stack entries not counted ",
			      full[FS_FULL_PROCS], full[FS_FULL_FILES], full[FS_FULL_STACKS]);
	if (full[FS_LOST_STACKS] && n < size)
		snprintf(buf + n, size - n, "stacks not saved: %llu (counted without frames)",
			 full[FS_LOST_STACKS]);
}

/* Resolves a stack's frames (frame 0 is where the fault was, the others
 * return addresses). A user stack ends at its first frame in no module or
 * beyond any user address space (56 bits on x86-64 and arm64): walked
 * without frame pointers, what follows is not a return address. */
static int resolve(struct state *s, const struct faultstat_stack_row *r, bool user,
		   struct sym_info *si)
{
	struct syms *sy = user ? syms_cache__get(s->usyms, r->pid) : s->ksyms;
	const __u64 *ips = user ? r->user : r->kernel;
	int i, n = user ? r->n_user : r->n_kernel;

	for (i = 0; i < n; i++) {
		if (!sy) {
			memset(&si[i], 0, sizeof(si[i]));
			continue;
		}
		if (user && i > 0 && ips[i] >> 56)
			break;
		if (syms__resolve(sy, ips[i], i > 0, &si[i]) == -ENOENT && user && i > 0)
			break;
	}
	return i;
}

static int cmp_stack(const void *pa, const void *pb)
{
	const struct faultstat_stack_row *a = pa, *b = pb;

	return a->count < b->count ? 1 : a->count > b->count ? -1 : 0;
}

static void frame_name(const struct sym_info *si, char *buf, size_t size)
{
	if (si->name)
		snprintf(buf, size, "%s", si->name);
	else
		snprintf(buf, size, "[%s]", si->module ?: "unknown");
}

/* Outermost frame first, user then kernel, as flamegraph.pl wants; names
 * only, so that frames of one function merge. */
static void print_folded(struct state *s, const struct faultstat_stack_row *r)
{
	struct sym_info si[FS_MAX_STACK_DEPTH];
	char sym[512];
	int i;

	printf("%s", r->comm);
	for (i = resolve(s, r, true, si) - 1; i >= 0; i--) {
		frame_name(&si[i], sym, sizeof(sym));
		printf(";%s", sym);
	}
	for (i = resolve(s, r, false, si) - 1; i >= 0; i--) {
		frame_name(&si[i], sym, sizeof(sym));
		printf(";%s_[k]", sym);
	}
	printf(" %llu\n", r->count);
}

static void print_stack(struct state *s, const struct faultstat_stack_row *r)
{
	struct sym_info ks[FS_MAX_STACK_DEPTH], us[FS_MAX_STACK_DEPTH];
	int nk = resolve(s, r, false, ks), nu = resolve(s, r, true, us), i;
	char sym[1024];

	for (i = 0; i < nk; i++) {
		stack__frame_text(&(struct frame){ .addr = r->kernel[i], .si = ks[i] }, sym, sizeof(sym));
		printf("    %s\n", sym);
	}
	if (nk && nu)
		printf("    --\n");
	for (i = 0; i < nu; i++) {
		stack__frame_text(&(struct frame){ .addr = r->user[i], .si = us[i] }, sym, sizeof(sym));
		printf("    %s\n", sym);
	}
	printf("    %s (%u): %llu major faults\n\n", r->comm, r->pid, r->count);
}

static void json_stack(struct state *s, const struct faultstat_stack_row *r)
{
	struct sym_info ks[FS_MAX_STACK_DEPTH], us[FS_MAX_STACK_DEPTH];
	int nk = resolve(s, r, false, ks), nu = resolve(s, r, true, us), i;
	struct json *j = &s->json;
	char sym[1024];

	json__begin(j, NULL);
	json__u64(j, "pid", r->pid);
	json__str(j, "comm", r->comm);
	json__u64(j, "major", r->count);
	json__begin_array(j, "user");
	for (i = 0; i < nu; i++) {
		stack__frame_text(&(struct frame){ .addr = r->user[i], .si = us[i] }, sym, sizeof(sym));
		json__str(j, NULL, sym);
	}
	json__end_array(j);
	json__begin_array(j, "kernel");
	for (i = 0; i < nk; i++) {
		stack__frame_text(&(struct frame){ .addr = r->kernel[i], .si = ks[i] }, sym, sizeof(sym));
		json__str(j, NULL, sym);
	}
	json__end_array(j);
	json__end(j);
}

static void json_counts(struct json *j, unsigned long long minor, unsigned long long major,
			const unsigned long long *cls)
{
	json__u64(j, "minor", minor);
	json__u64(j, "major", major);
	if (env.detail) {
		json__u64(j, "major_file", cls[FS_MAJ_FILE]);
		json__u64(j, "major_swap", cls[FS_MAJ_SWAP]);
		json__u64(j, "major_unknown", cls[FS_MAJ_UNKNOWN]);
	} else {
		json__null(j, "major_file");
		json__null(j, "major_swap");
	}
}

static void print_json(struct state *s, const struct timespec *now,
		       struct faultstat_stack_row *st, size_t n_st)
{
	unsigned long long full[FS_NR_FULL] = {};
	long long lost = faultstat__lost_exits(&s->fs);
	struct json *j = &s->json;
	char name[4096];
	int i;

	faultstat__full(&s->fs, full);
	json__begin(j, NULL);
	json__time(j, "time", now);
	json__begin_array(j, "rows");
	for (i = 0; i < s->procs.nrows && (!env.top.rows || i < (int)env.top.rows); i++) {
		/* in the table's order: find the row by its cells */
		const struct top_cell *c = &s->procs.cells[(size_t)i * s->procs.ncols];
		size_t k;

		for (k = 0; k < s->n_rows; k++) {
			const struct faultstat_row *r = &s->rows[k];

			if (r->pid != (__u32)c[0].num || r->minor != (unsigned long long)c[2].num ||
			    r->major != (unsigned long long)c[3].num || strcmp(r->comm, c[1].text))
				continue;
			json__begin(j, NULL);
			json__u64(j, "pid", r->pid);
			json__str(j, "comm", r->comm);
			json_counts(j, r->minor, r->major, r->cls);
			json__end(j);
			break;
		}
	}
	json__end_array(j);
	json__begin(j, "total");
	json_counts(j, s->t.minor, s->t.major, s->t.cls);
	json__end(j);
	if (env.files) {
		json__begin_array(j, "files");
		for (i = 0; i < (int)s->n_file_rows; i++) {
			const struct faultstat_file_row *r = &s->file_rows[i];

			json__begin(j, NULL);
			json__str(j, "file", file_name(s, r, name, sizeof(name)));
			json__u64(j, "major", r->major);
			json__u64(j, "pid", r->pid);
			json__bool(j, "shared", r->shared);
			json__end(j);
		}
		json__end_array(j);
	}
	if (env.stacks) {
		json__begin_array(j, "stacks");
		for (i = 0; i < (int)n_st; i++)
			json_stack(s, &st[i]);
		json__end_array(j);
	}
	json__begin(j, "lost");
	json__u64(j, "exits", lost > 0 ? lost : 0);
	json__u64(j, "procs", full[FS_FULL_PROCS]);
	json__u64(j, "files", full[FS_FULL_FILES]);
	json__u64(j, "stacks", full[FS_FULL_STACKS]);
	json__u64(j, "unsaved_stacks", full[FS_LOST_STACKS]);
	json__end(j);
	json__end(j);
}

static int batch_tick(void *ctx, const struct timespec *now)
{
	struct faultstat_stack_row *st = NULL;
	struct state *s = ctx;
	size_t n_st = 0, i;
	int err = top__view_update(&s->view);

	if (err)
		return err;
	if (env.stacks) {
		err = faultstat__drain_stacks(&s->fs, &st, &n_st);
		if (err) {
			log__err("cannot read the stacks: %s", strerror(-err));
			return err;
		}
		qsort(st, n_st, sizeof(*st), cmp_stack);
	}
	if (env.c.json) {
		print_json(s, now, st, n_st);
		goto out;
	}
	if (env.folded) {
		for (i = 0; i < n_st; i++)
			print_folded(s, &st[i]);
		fflush(stdout);
		goto out;
	}
	top__view_head(&s->view, now, stdout);
	top__print(stdout, &s->procs, (int)env.top.rows);
	top__print_row(stdout, &s->total, s->total.cells);
	if (env.files) {
		printf("\n");
		top__print(stdout, &s->files, (int)env.top.rows);
	}
	if (env.stacks) {
		printf("\n");
		for (i = 0; i < n_st && (!env.top.rows || i < env.top.rows); i++)
			print_stack(s, &st[i]);
	}
	printf("\n");
	fflush(stdout);
out:
	if (s->usyms)
		syms_cache__prune(s->usyms);
	free(st);
	return 0;
}

static const struct top_ops top_ops = {
	.sample = sample,
	.build = build_tables,
	.title = title,
	.status = status,
};

int main(int argc, char **argv)
{
	struct faultstat_opts fo = {};
	struct state s = {};
	int err;

	if (cli__parse_opts(opts, parse_arg, argp_program_doc, &top__argp, argc, argv, &env.c,
			    &env))
		return EXIT_USAGE;
	if (env.c.json || env.folded)
		env.top.batch = true;
	top__table_init(&s.procs, proc_cols, N_PROC_COLS);
	top__table_init(&s.total, proc_cols, N_PROC_COLS);
	top__table_init(&s.files, file_cols, N_FILE_COLS);
	top__view_init(&s.view, &top_ops, &s);
	top__view_add(&s.view, &s.procs, COL_MAJOR, env.top.reverse);
	top__view_ties(&s.view, 0, COL_MAJOR, COL_MINOR);
	if (env.files)
		top__view_add(&s.view, &s.files, COL_FILE_MAJOR, env.top.reverse);
	if (env.top.sort && top__view_sort_by(&s.view, 0, env.top.sort))
		return EXIT_USAGE;
	if (cli__preflight_cgroup(env.pid, env.cgroup, &fo.cgroup))
		return EXIT_RUNTIME;
	fo.detail = env.detail;
	fo.files = env.files;
	fo.stacks = env.stacks;
	err = faultstat__start(&s.fs, &fo, &env.c, env.pid);
	if (err == 1)
		return EXIT_OK;
	if (err)
		goto cleanup;
	s.paths = path_cache__new();
	if (!s.paths) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (env.stacks) {
		s.ksyms = syms__new_kernel();
		s.usyms = syms_cache__new();
		if (!s.ksyms || !s.usyms) {
			err = -errno ?: -ENOMEM;
			log__err("cannot read the kernel's symbols: %s", strerror(-err));
			goto cleanup;
		}
		/* -p: its modules known from the start, for frames after it exits */
		if (env.pid)
			syms_cache__get(s.usyms, env.pid);
	}

	json__init(&s.json, stdout);
	err = top__view_run(&s.view, &env.c, env.pid, env.top.batch, batch_tick);

cleanup:
	faultstat__close(&s.fs);
	path_cache__free(s.paths);
	syms__free(s.ksyms);
	syms_cache__free(s.usyms);
	top__table_free(&s.procs);
	top__table_free(&s.total);
	top__table_free(&s.files);
	free(s.rows);
	free(s.file_rows);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
