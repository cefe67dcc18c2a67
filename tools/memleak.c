// SPDX-License-Identifier: BSD-2-Clause
/* memleak: outstanding allocations by stack, of one process or the kernel. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "log.h"
#include "memleak.h"
#include "mlreport.h"
#include "module.h"
#include "target.h"

static struct env {
	struct cli_common c;
	struct target t;
	bool show_allocs;
	unsigned long older_ms;
	unsigned int sample_rate;
	unsigned long top;
	unsigned long min_size, max_size;
	const char *obj;
	bool combined_only;
	bool percpu;
	bool sort_count;
	bool folded;
	bool ignored;
	bool per_function_links;
	bool no_session;
	unsigned long max_allocs;
} env = { .c = { .interval = 5 }, .older_ms = 500, .sample_rate = 1, .top = 10 };

static const char doc[] =
	"Outstanding memory allocations by stack, of one process (user mode, uprobes on its "
	"allocator) or of the kernel (without -p and -c: the kmem tracepoints).\n"
	"\n"
	"USAGE: memleak [-p PID | -c \"COMMAND ARGS...\"] [-a] [-o MS] [-s RATE] [-T TOP]\n"
	"               [-z MIN] [-Z MAX] [-O OBJ] [--combined-only] [--percpu]\n"
	"               [--sort size|count] [--folded] [--json] [-v] [interval [count]]\n"
	"\n"
	"Every interval (default 5 s) prints the TOP (10) stacks holding the most bytes in "
	"allocations older than MS (500) milliseconds that were not freed. User mode covers "
	"malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign, valloc, "
	"pvalloc, mmap, mremap, free and munmap of the libc the process maps or, for -c, will "
	"load (a static binary: its own; -O: another allocator library), and C++'s operator "
	"new and delete where libstdc++ is. The function that called the allocator is always "
	"named; deeper frames need frame pointers. The report after the process exits shows "
	"everything outstanding, whatever -o. A -c command still running when memleak stops "
	"gets SIGTERM (SIGKILL 2 s later). -T here is TOP, as in bcc; the shared --timestamp "
	"is the long option only (reports always carry the time). See memleak(8).\n"
	"\n"
	"EXAMPLES:\n"
	"    memleak -p 185              # leaks of pid 185, every 5 seconds\n"
	"    memleak -p 185 -a 10 3      # with each outstanding address, 3 reports\n"
	"    memleak -c \"./app --port 80\" # run ./app traced from its first allocation\n"
	"    memleak -p 185 -z 4096      # only allocations of at least 4 KiB\n"
	"    memleak -p 185 -O /usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n"
	"    memleak -p 185 --folded 30 1 | flamegraph.pl > leaks.svg\n"
	"    memleak -p 185 --json 1     # one JSON object per second\n"
	"    memleak                     # kernel allocations (kmalloc, slab, pages)\n"
	"    memleak --percpu            # ... and percpu allocations";

static void parse_sort(struct argp_state *state, const char *arg, void *dest)
{
	if (!strcmp(arg, "count"))
		*(bool *)dest = true;
	else if (strcmp(arg, "size"))
		argp_error(state, "invalid --sort '%s': size or count", arg);
}

static void validate(struct argp_state *state)
{
	bool user = target__any(&env.t);

	target__validate(state, &env.t);
	if (env.max_size && env.min_size > env.max_size)
		argp_error(state, "-z %lu is above -Z %lu", env.min_size, env.max_size);
	if (env.percpu && user)
		argp_error(state, "--percpu is for kernel mode (no -p, no -c)");
	if (env.obj && !user)
		argp_error(state, "-O needs -p or -c");
	if (env.folded && env.c.json)
		argp_error(state, "--folded and --json exclude each other");
}

static const struct cli_opt opts[] = {
	TARGET_OPT_PID(&env.t, "Trace this process (user mode)"),
	TARGET_OPT_COMMAND(&env.t, 'c', "Run and trace this command line (user mode)"),
	{ .name = "show-allocs", .key = 'a', .type = CLI_FLAG, .dest = &env.show_allocs,
	  .help = "Also list each outstanding address and size" },
	{ .name = "older", .key = 'o', .arg = "MS", .type = CLI_ULONG, .dest = &env.older_ms,
	  .max = 86400000UL, .what = "older-than",
	  .help = "Only allocations older than MS milliseconds (default 500)" },
	{ .name = "sample-rate", .key = 's', .arg = "RATE", .type = CLI_UINT,
	  .dest = &env.sample_rate, .min = 1, .what = "sample rate",
	  .help = "Record one allocation in RATE (default 1: all)" },
	{ .name = "top", .key = 'T', .arg = "TOP", .type = CLI_ULONG, .dest = &env.top, .min = 1,
	  .max = 1000000, .help = "Show the TOP stacks holding the most (default 10)" },
	{ .name = "min-size", .key = 'z', .arg = "MIN", .type = CLI_ULONG, .dest = &env.min_size,
	  .what = "min size", .help = "Only allocations of at least MIN bytes" },
	{ .name = "max-size", .key = 'Z', .arg = "MAX", .type = CLI_ULONG, .dest = &env.max_size,
	  .min = 1, .what = "max size", .help = "Only allocations of at most MAX bytes" },
	{ .name = "obj", .key = 'O', .arg = "OBJ", .type = CLI_STR, .dest = &env.obj,
	  .help = "The allocator library (path, or a name the process maps)" },
	{ .name = "combined-only", .key = 0x2000, .type = CLI_FLAG, .dest = &env.combined_only,
	  .help = "Keep per-stack totals in the kernel (cheaper to read; -o and -a do not "
		  "apply)" },
	{ .name = "wa-missing-free", .key = 0x2001, .type = CLI_FLAG, .dest = &env.ignored,
	  .help = "Accepted for bcc compatibility: an address allocated again always replaces "
		  "its old record" },
	{ .name = "percpu", .key = 0x2002, .type = CLI_FLAG, .dest = &env.percpu,
	  .help = "Kernel mode: also percpu allocations" },
	{ .name = "sort", .key = 0x2003, .arg = "KEY", .type = CLI_FN, .dest = &env.sort_count,
	  .fn = parse_sort, .help = "Rank stacks by size (default) or count" },
	{ .name = "folded", .key = 0x2004, .type = CLI_FLAG, .dest = &env.folded,
	  .help = "Print folded stacks (frame;frame bytes)" },
	{ .name = "per-function-links", .key = 0x2005, .type = CLI_FLAG,
	  .dest = &env.per_function_links, .flags = OPTION_HIDDEN },
	{ .name = "no-uprobe-session", .key = 0x2006, .type = CLI_FLAG, .dest = &env.no_session,
	  .flags = OPTION_HIDDEN },
	/* the bench's scaling rows hold up to 1e6 live blocks */
	{ .name = "max-allocs", .key = 0x2007, .arg = "N", .type = CLI_ULONG, .dest = &env.max_allocs,
	  .min = 1024, .max = 1UL << 24, .what = "table size", .flags = OPTION_HIDDEN },
	{},
};

static const struct cli_spec spec = { .doc = doc, .opts = opts, .validate = validate };

struct state {
	struct mlreport *rep;
	struct json json;
	bool pid_exited;	/* the traced process is gone: nothing can be freed */
};

static int tick(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	const struct rec *r = mlreport__take(s->rep, now, s->pid_exited);

	if (env.c.json)
		schema__json_line(&s->json, r);
	else if (env.folded)
		mlreport__print_folded(stdout, r, env.sort_count);
	else
		mlreport__print_text(stdout, r, env.top);
	return 0;
}

/* the command has mapped its allocator library (ld.so loaded it) */
static bool maps_lib(pid_t pid, void *lib)
{
	const char *base = strrchr(lib, '/');
	char path[PATH_MAX];

	return !memleak__maps_find(pid, base ? base + 1 : lib, path, sizeof(path));
}

int main(int argc, char **argv)
{
	static struct memleak_opts o;
	struct mlreport_opts ro;
	struct state s = {};
	struct module mod = {};
	bool user;
	int err = 0;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_USAGE;
	if (cli__preflight(env.t.pid) || target__resolve(&env.t))
		return EXIT_RUNTIME;
	user = target__any(&env.t);
	if (user && memleak__find_libs(&o, env.t.pid, env.t.command ? env.t.path : NULL, env.obj))
		return EXIT_RUNTIME;
	if (!env.c.probes && target__spawn(&env.t))
		return EXIT_RUNTIME;

	/* --probes with -c: this process stands in for the command */
	o.mo.tgid = env.t.pid ?: (env.t.command ? getpid() : 0);
	o.percpu = env.percpu;
	o.combined_only = env.combined_only;
	o.min_size = env.min_size;
	o.max_size = env.max_size;
	o.sample_rate = env.sample_rate;
	o.per_function_links = env.per_function_links;
	o.no_session = env.no_session;
	o.max_allocs = env.max_allocs;
	switch (cli__start(&env.c, &mod, user ? &memleak__module : &kmemleak__module, &o.mo)) {
	case CLI_DONE:
		return EXIT_OK;
	case CLI_FAILED:
		err = -1;
		goto cleanup;
	case CLI_RUN:
		break;
	}
	ro = (struct mlreport_opts){ .pid = env.t.pid, .min_age_ns = env.older_ms * 1000000ULL,
				     .top = env.top, .sort_count = env.sort_count,
				     .show_allocs = env.show_allocs };
	s.rep = mlreport__new(mod.state, &ro);
	if (!s.rep) {
		err = -1;
		goto cleanup;
	}
	if (env.c.json)
		json__init(&s.json, stdout);
	else if (!env.folded)
		mlreport__print_banner(stdout, env.t.pid);
	if (env.t.command) {
		err = target__go(&env.t);
		if (err)
			goto cleanup;
		/* a command that exits before the first report must have its
		 * frames named: its maps are read once it maps the allocator
		 * (the wait ends then; 5 s bounds it for a command that never
		 * does: one second was too short for an exec in a loaded
		 * emulated guest, whose static binary's frames went unnamed) */
		if (target__wait(&env.t, 5000, maps_lib, o.lib))
			mlreport__refresh(s.rep);
	} else {
		mlreport__refresh(s.rep);	/* -p: in case it exits before the first */
	}

	err = cli__loop(&env.c, env.t.pid, NULL, tick, &s, &s.pid_exited);
	if (!err)
		cli__report_exit(env.t.pid, s.pid_exited);

cleanup:
	target__stop(&env.t);
	module__close(&mod);
	mlreport__free(s.rep);
	return cli__exit_status(err);
}
