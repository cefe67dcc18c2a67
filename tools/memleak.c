// SPDX-License-Identifier: BSD-2-Clause
/* memleak: outstanding allocations by stack, of one process or the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"
#include "log.h"
#include "loop.h"
#include "memleak.h"
#include "output.h"
#include "proc.h"
#include "sym.h"

enum { OPT_COMBINED = 0x2000, OPT_WA_MISSING_FREE, OPT_PERCPU, OPT_SORT, OPT_FOLDED,
       OPT_PER_FUNCTION_LINKS, OPT_NO_SESSION };

static struct env {
	struct cli_common c;
	pid_t pid;
	char *command;
	bool show_allocs;
	unsigned long older_ms;
	unsigned long sample_rate;
	unsigned long top;
	unsigned long min_size, max_size;
	const char *obj;
	bool combined_only;
	bool percpu;
	bool sort_count;
	bool folded;
	bool per_function_links;
	bool no_session;
} env = { .c = { .interval = 5 }, .older_ms = 500, .sample_rate = 1, .top = 10 };

const char argp_program_doc[] =
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

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this process (user mode)", 0 },
	{ "command", 'c', "COMMAND", 0, "Run and trace this command line (user mode)", 0 },
	{ "show-allocs", 'a', NULL, 0, "Also list each outstanding address and size", 0 },
	{ "older", 'o', "MS", 0, "Only allocations older than MS milliseconds (default 500)", 0 },
	{ "sample-rate", 's', "RATE", 0, "Record one allocation in RATE (default 1: all)", 0 },
	{ "top", 'T', "TOP", 0, "Show the TOP stacks holding the most (default 10)", 0 },
	{ "min-size", 'z', "MIN", 0, "Only allocations of at least MIN bytes", 0 },
	{ "max-size", 'Z', "MAX", 0, "Only allocations of at most MAX bytes", 0 },
	{ "obj", 'O', "OBJ", 0, "The allocator library (path, or a name the process maps)", 0 },
	{ "combined-only", OPT_COMBINED, NULL, 0, "Keep per-stack totals in the kernel "
	  "(cheaper to read; -o and -a do not apply)", 0 },
	{ "wa-missing-free", OPT_WA_MISSING_FREE, NULL, 0,
	  "Accepted for bcc compatibility: an address allocated again always replaces its "
	  "old record", 0 },
	{ "percpu", OPT_PERCPU, NULL, 0, "Kernel mode: also percpu allocations", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "Rank stacks by size (default) or count", 0 },
	{ "folded", OPT_FOLDED, NULL, 0, "Print folded stacks (frame;frame bytes)", 0 },
	{ "per-function-links", OPT_PER_FUNCTION_LINKS, NULL, OPTION_HIDDEN, NULL, 0 },
	{ "no-uprobe-session", OPT_NO_SESSION, NULL, OPTION_HIDDEN, NULL, 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		env.pid = cli__pid(state, arg);
		break;
	case 'c':
		env.command = arg;
		break;
	case 'a':
		env.show_allocs = true;
		break;
	case 'o':
		env.older_ms = cli__ulong(state, "older-than", arg, 0, 86400000UL);
		break;
	case 's':
		env.sample_rate = cli__ulong(state, "sample rate", arg, 1, UINT_MAX);
		break;
	case 'T':
		env.top = cli__ulong(state, "top", arg, 1, 1000000);
		break;
	case 'z':
		env.min_size = cli__ulong(state, "min size", arg, 0, ULONG_MAX);
		break;
	case 'Z':
		env.max_size = cli__ulong(state, "max size", arg, 1, ULONG_MAX);
		break;
	case 'O':
		env.obj = arg;
		break;
	case OPT_COMBINED:
		env.combined_only = true;
		break;
	case OPT_WA_MISSING_FREE:
		break;
	case OPT_PERCPU:
		env.percpu = true;
		break;
	case OPT_SORT:
		if (!strcmp(arg, "count"))
			env.sort_count = true;
		else if (strcmp(arg, "size"))
			argp_error(state, "invalid --sort '%s': size or count", arg);
		break;
	case OPT_FOLDED:
		env.folded = true;
		break;
	case OPT_PER_FUNCTION_LINKS:
		env.per_function_links = true;
		break;
	case OPT_NO_SESSION:
		env.no_session = true;
		break;
	case ARGP_KEY_END:
		if (env.pid && env.command)
			argp_error(state, "-p and -c exclude each other");
		if (env.max_size && env.min_size > env.max_size)
			argp_error(state, "-z %lu is above -Z %lu", env.min_size, env.max_size);
		if (env.percpu && (env.pid || env.command))
			argp_error(state, "--percpu is for kernel mode (no -p, no -c)");
		if (env.obj && !env.pid && !env.command)
			argp_error(state, "-O needs -p or -c");
		if (env.folded && env.c.json)
			argp_error(state, "--folded and --json exclude each other");
		break;
	default:
		return cli__parse_key(key, arg, state, &env.c);
	}
	return 0;
}

/* ---- the allocator library ---- */

/* A static binary is its own allocator library, if it has one */
static bool static_has_malloc(const char *path)
{
	unsigned long long off;

	if (syms__func_offset(path, "malloc", &off)) {
		log__err("%s is static and has no malloc: nothing to trace (name its allocator with -O)",
			 path);
		return false;
	}
	log__info("%s is static: probing its own allocator", path);
	return true;
}

/* The library to probe: -O as a path, -O as a name the process maps, or
 * the libc it maps; for -c, whose process does not exist yet, the library
 * of that name or the libc that its dynamic linker says it will load, or
 * the binary itself when it is static. */
static int resolve_lib(pid_t pid, const char *cmd, char *out, size_t size)
{
	int err;

	if (env.obj && strchr(env.obj, '/')) {
		if (access(env.obj, R_OK)) {
			log__err("cannot read %s: %s", env.obj, strerror(errno));
			return -ENOENT;
		}
		snprintf(out, size, "%s", env.obj);
		return 0;
	}
	if (cmd) {
		err = memleak__command_lib(cmd, env.obj, out, size);
		if (err == 1 && !static_has_malloc(out))
			return -ENOENT;
		else if (err == -ENOENT && env.obj)
			log__err("%s loads no library named %s", cmd, env.obj);
		else if (err == -ENOENT)
			log__err("%s loads no libc (name its allocator with -O)", cmd);
		else if (err)
			log__err("cannot tell what %s loads: %s", cmd,
				 err == -ENOEXEC ? "not an ELF file, or its dynamic linker failed" :
						   strerror(-err));
		return err < 0 ? err : 0;
	}
	err = memleak__maps_find(pid, env.obj, out, size);
	if (err == -ENOENT && !env.obj) {
		char exe[64];

		snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
		if (memleak__command_lib(exe, NULL, out, size) == 1)
			return static_has_malloc(exe) ? 0 : -ENOENT;
	}
	if (err == -ENOENT) {
		if (env.obj)
			log__err("pid %d maps no library named %s", pid, env.obj);
		else
			log__err("pid %d maps no libc (name its allocator with -O)", pid);
	} else if (err) {
		log__err("cannot read /proc/%d/maps: %s", pid, strerror(-err));
	}
	return err;
}

/* ---- -c: the command, started stopped before its first instruction ---- */

static char **split_command(const char *cmd)
{
	size_t n = 0, len = strlen(cmd);
	char **argv = calloc(len / 2 + 2, sizeof(*argv));
	char *buf = malloc(len + 1), *w = buf;
	const char *p = cmd;

	if (!argv || !buf)
		return NULL;
	while (*p) {
		char quote = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		argv[n++] = w;
		for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
			if (!quote && (*p == '"' || *p == '\''))
				quote = *p;
			else if (quote && *p == quote)
				quote = 0;
			else if (*p == '\\' && p[1] && quote != '\'')
				*w++ = *++p;
			else
				*w++ = *p;
		}
		*w++ = '\0';
	}
	argv[n] = NULL;
	return argv;
}

static int find_in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH") ?: "/usr/local/bin:/usr/bin:/bin";
	char dir[PATH_MAX / 2];

	if (strchr(name, '/')) {
		snprintf(out, size, "%s", name);
		return access(out, X_OK) ? -errno : 0;
	}
	while (*path) {
		size_t l = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)l, l ? path : ".");
		if (snprintf(out, size, "%s/%s", dir, name) < (int)size && !access(out, X_OK))
			return 0;
		path += l + (path[l] == ':');
	}
	return -ENOENT;
}

/* Forks a child that waits on a pipe, allocating nothing, until the
 * uprobes are attached to its pid, then execs. Uprobes live on the file's
 * inode, so they fire in the new image as soon as ld.so maps libc. */
static pid_t spawn_stopped(char **argv, const char *path, int *go_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	/* reap the command without a handler; the child restores the default */
	signal(SIGCHLD, SIG_IGN);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		char c;

		close(fds[1]);
		signal(SIGCHLD, SIG_DFL);
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

/* When memleak stops first, the command must not run on untraced and
 * orphaned: SIGTERM, as timeout(1) sends, then SIGKILL if it is still
 * there after COMMAND_GRACE_MS. SIGCHLD is ignored, so it leaves no zombie
 * and is gone once it exits. */
#define COMMAND_GRACE_MS 2000

static void stop_command(pid_t pid)
{
	int ms;

	if (kill(pid, SIGTERM))
		return;
	for (ms = 0; ms < COMMAND_GRACE_MS && proc__pid_alive(pid); ms += 20)
		usleep(20000);
	if (proc__pid_alive(pid)) {
		log__info("pid %d still running %d ms after SIGTERM: SIGKILL", pid,
			  COMMAND_GRACE_MS);
		kill(pid, SIGKILL);
	}
}

/* ---- reports ---- */

struct stack_agg {
	__u64 id;
	unsigned long long bytes, allocs;
	int n;
	__u64 frames[ML_MAX_FRAMES];
};

struct state {
	struct memleak m;
	struct syms *syms;
	struct json json;
	__u64 *keys;
	struct ml_alloc *vals;
	size_t cap;
	struct stack_agg *agg;	/* the stacks of one report */
	size_t n_stacks;	/* room in agg: the stack map's size */
	struct id_size {
		__u64 id, size;
	} *held;		/* (stack id, size) of each allocation old enough */
	__u64 *ids;		/* the stack ids that records hold, for the GC */
	bool pid_exited;	/* the traced process is gone: nothing can be freed */
};

static int cmp_id(const void *a, const void *b)
{
	const struct id_size *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_frames(const struct stack_agg *x, const struct stack_agg *y)
{
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return memcmp(x->frames, y->frames, x->n * sizeof(x->frames[0]));
}

static int cmp_by_frames(const void *a, const void *b)
{
	return cmp_frames(a, b);
}

static int cmp_agg(const void *a, const void *b)
{
	const struct stack_agg *x = a, *y = b;
	unsigned long long kx = env.sort_count ? x->allocs : x->bytes;
	unsigned long long ky = env.sort_count ? y->allocs : y->bytes;

	if (kx != ky)
		return kx > ky ? -1 : 1;
	return cmp_frames(x, y);
}

/* Reads the whole allocs table: one batch syscall per few thousand entries
 * where the kernel has batch ops (v5.6), else key by key. */
static size_t read_allocs(struct state *s)
{
	__u64 in = 0, out = 0, key, prev;
	void *inp = NULL;
	size_t n = 0;
	__u32 count;
	int fd = s->m.allocs_fd, err;
	bool first = true;

	for (;;) {
		count = s->cap - n;
		if (!count)
			return n;
		err = bpf_map_lookup_batch(fd, inp, &out, s->keys + n, s->vals + n, &count, NULL);
		n += count;
		if (err) {
			if (errno == ENOENT)
				return n;
			break;
		}
		in = out;
		inp = &in;
	}
	n = 0;
	while (n < s->cap && !bpf_map_get_next_key(fd, first ? NULL : &prev, &key)) {
		first = false;
		prev = key;
		s->keys[n] = key;
		if (!bpf_map_lookup_elem(fd, &key, &s->vals[n]))
			n++;
	}
	return n;
}

/* The stack's frames. In user mode the walk stops at the first address in
 * no mapped file: without frame pointers, the frame-pointer walk past the
 * allocator's caller reads whatever %rbp holds, and such frames would split
 * one call site into many stacks. */
static void read_stack(struct state *s, struct stack_agg *a)
{
	__u64 key = a->id;
	struct sym_info si;
	int n;

	memset(a->frames, 0, sizeof(a->frames));
	a->n = 0;
	if (bpf_map_lookup_elem(s->m.stacks_fd, &key, a->frames))
		return;
	for (n = 0; n < ML_MAX_FRAMES && a->frames[n]; n++)
		if (env.pid && n && syms__resolve(s->syms, a->frames[n], true, &si) == -ENOENT)
			break;
	a->n = n;
	/* kernel stacks start in our BPF program and the tracepoint's
	 * bpf_trace_run: not the allocation's story */
	while (!env.pid && a->n > 0) {
		syms__resolve(s->syms, a->frames[0], true, &si);
		if (!si.name || (strcmp(si.module ?: "", "bpf") &&
				 strncmp(si.name, "bpf_trace_run", 13) &&
				 strncmp(si.name, "__bpf_trace_", 12)))
			break;
		memmove(a->frames, a->frames + 1, (a->n - 1) * sizeof(a->frames[0]));
		a->n--;
	}
	memset(a->frames + n, 0, (ML_MAX_FRAMES - n) * sizeof(a->frames[0]));
}

static void print_stack_text(struct state *s, const struct stack_agg *a)
{
	int i;

	printf("\t%llu bytes in %llu allocations from stack\n", a->bytes, a->allocs);
	for (i = 0; i < a->n; i++) {
		struct sym_info si;

		syms__resolve(s->syms, a->frames[i], true, &si);
		if (si.name)
			printf("\t\t%s+0x%llx [%s]", si.name, si.offset, si.module);
		else if (si.module)
			printf("\t\t0x%llx [%s]", (unsigned long long)a->frames[i], si.module);
		else
			printf("\t\t0x%llx [unknown]", (unsigned long long)a->frames[i]);
		if (si.file)
			printf(" %s:%d", si.file, si.line);
		putchar('\n');
	}
}

static void print_stack_folded(struct state *s, const struct stack_agg *a)
{
	int i;

	for (i = a->n - 1; i >= 0; i--) {
		struct sym_info si;

		syms__resolve(s->syms, a->frames[i], true, &si);
		if (si.name)
			printf("%s", si.name);
		else
			printf("[%s]", si.module ?: "unknown");
		if (i)
			putchar(';');
	}
	printf(" %llu\n", env.sort_count ? a->allocs : a->bytes);
}

static void print_stack_json(struct state *s, const struct stack_agg *a)
{
	struct json *j = &s->json;
	int i;

	json__begin(j, NULL);
	json__u64(j, "bytes", a->bytes);
	json__u64(j, "allocs", a->allocs);
	json__begin_array(j, "frames");
	for (i = 0; i < a->n; i++) {
		struct sym_info si;

		syms__resolve(s->syms, a->frames[i], true, &si);
		json__begin(j, NULL);
		json__u64(j, "addr", a->frames[i]);
		if (si.name)
			json__str(j, "sym", si.name);
		else
			json__null(j, "sym");
		json__u64(j, "offset", si.name ? si.offset : 0);
		if (si.module)
			json__str(j, "module", si.module);
		else
			json__null(j, "module");
		if (si.file) {
			json__str(j, "file", si.file);
			json__u64(j, "line", si.line);
		} else {
			json__null(j, "file");
			json__null(j, "line");
		}
		json__end(j);
	}
	json__end_array(j);
	json__end(j);
}

/* Stacks that no allocation holds leave the stack map: with churn it
 * would fill, and later leaks would have no stack */
static void gc_stacks(struct state *s, size_t n)
{
	int d = memleak__gc_stacks(&s->m, s->ids, n);

	if (d > 0 && log_verbosity > 1)
		log__info("%d stacks that no allocation holds deleted", d);
}

static int tick(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	unsigned long long cnt[ML_NR_COUNTERS] = {}, lost_bytes = 0, lost_allocs = 0;
	struct timespec mono;
	unsigned long long now_ns, min_age = env.older_ms * 1000000ULL;
	size_t n = 0, i, m, nagg = 0, top;
	struct stack_agg *list;
	char ts[32];

	clock_gettime(CLOCK_MONOTONIC, &mono);
	now_ns = mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	/* once the process is gone nothing can be freed any more: the last
	 * report holds everything outstanding, whatever its age */
	if (s->pid_exited)
		min_age = 0;
	memleak__counters(&s->m, cnt);
	if (s->syms && env.pid)
		syms__refresh(s->syms);
	if (env.combined_only) {
		__u64 key, *prev = NULL, k2;
		struct ml_combined c;

		while (!bpf_map_get_next_key(s->m.combined_fd, prev, &key)) {
			k2 = key;
			prev = &k2;
			if (bpf_map_lookup_elem(s->m.combined_fd, &key, &c) || !c.allocs ||
			    nagg == s->n_stacks)
				continue;
			s->agg[nagg].id = key;
			s->agg[nagg].bytes = c.bytes;
			s->agg[nagg].allocs = c.allocs;
			s->ids[nagg++] = key;
		}
		gc_stacks(s, nagg);
	} else {
		size_t nheld = 0, nids = 0;

		n = read_allocs(s);
		for (i = 0; i < n; i++)
			if (s->vals[i].stack_id)
				s->ids[nids++] = s->vals[i].stack_id;
		gc_stacks(s, nids);
		for (i = 0; i < n; i++) {
			struct ml_alloc *a = &s->vals[i];

			if (now_ns < a->ts_ns || now_ns - a->ts_ns < min_age) {
				a->ts_ns = 0; /* too young: not shown with -a either */
				continue;
			}
			if (!a->stack_id) {
				lost_bytes += a->size;
				lost_allocs++;
				continue;
			}
			s->held[nheld].id = a->stack_id;
			s->held[nheld++].size = a->size;
		}
		/* one entry per stack id */
		qsort(s->held, nheld, sizeof(*s->held), cmp_id);
		for (i = 0; i < nheld; i++) {
			if (!nagg || s->agg[nagg - 1].id != s->held[i].id) {
				if (nagg == s->n_stacks)
					break;
				s->agg[nagg].id = s->held[i].id;
				s->agg[nagg].bytes = 0;
				s->agg[nagg++].allocs = 0;
			}
			s->agg[nagg - 1].bytes += s->held[i].size;
			s->agg[nagg - 1].allocs++;
		}
	}
	list = s->agg;
	for (i = 0; i < nagg; i++)
		read_stack(s, &list[i]);
	/* stacks that are one after read_stack's cut become one */
	qsort(list, nagg, sizeof(*list), cmp_by_frames);
	for (i = 0, m = 0; i < nagg; i++) {
		if (m && !cmp_frames(&list[m - 1], &list[i])) {
			list[m - 1].bytes += list[i].bytes;
			list[m - 1].allocs += list[i].allocs;
			continue;
		}
		if (m != i)
			list[m] = list[i];
		m++;
	}
	nagg = m;
	qsort(list, nagg, sizeof(*list), cmp_agg);
	top = nagg < env.top ? nagg : env.top;

	if (env.c.json) {
		struct json *j = &s->json;

		json__begin(j, NULL);
		json__time(j, "time", now);
		if (env.pid)
			json__i64(j, "pid", env.pid);
		json__begin_array(j, "stacks");
		for (i = 0; i < top; i++)
			print_stack_json(s, &list[i]);
		json__end_array(j);
		if (env.show_allocs && !env.combined_only) {
			json__begin_array(j, "addrs");
			for (i = 0; i < n; i++) {
				if (!s->vals[i].ts_ns)
					continue;
				json__begin(j, NULL);
				json__u64(j, "addr", s->keys[i]);
				json__u64(j, "size", s->vals[i].size);
				json__end(j);
			}
			json__end_array(j);
		}
		json__u64(j, "lost_stacks", cnt[ML_LOST_STACKS]);
		json__u64(j, "lost_stack_bytes", lost_bytes);
		json__u64(j, "lost_stack_allocs", lost_allocs);
		json__u64(j, "dropped", cnt[ML_DROPPED] + cnt[ML_COMBINED_FULL]);
		json__end(j);
	} else if (env.folded) {
		for (i = 0; i < top; i++)
			print_stack_folded(s, &list[i]);
		fflush(stdout);
	} else {
		out__hms(now, ts, sizeof(ts));
		if (env.show_allocs && !env.combined_only)
			for (i = 0; i < n; i++)
				if (s->vals[i].ts_ns)
					printf("\taddr = %llx size = %llu\n",
					       (unsigned long long)s->keys[i],
					       (unsigned long long)s->vals[i].size);
		printf("[%s] Top %lu stacks with outstanding allocations:\n", ts, env.top);
		/* largest last, as bcc: the worst leak sits next to the prompt */
		for (i = top; i-- > 0;)
			print_stack_text(s, &list[i]);
		if (lost_allocs)
			printf("\t%llu bytes in %llu allocations whose stack was lost\n", lost_bytes,
			       lost_allocs);
		if (cnt[ML_LOST_STACKS] || cnt[ML_DROPPED] || cnt[ML_COMBINED_FULL])
			printf("\tlost_stacks %llu (stack unreadable or stack map full), dropped %llu (table full)\n",
			       cnt[ML_LOST_STACKS], cnt[ML_DROPPED] + cnt[ML_COMBINED_FULL]);
		fflush(stdout);
	}
	return 0;
}

/* The symbolizer learns a process's files from its maps at each report;
 * a command that exits before the first would have its frames unnamed:
 * once it has exec'd and maps the allocator library (ld.so loaded it),
 * read its maps (waiting up to 1 s) */
static void symbolize_command(struct state *s, pid_t pid, const char *lib)
{
	const char *base = strrchr(lib, '/');
	char path[PATH_MAX], exe[64];
	struct stat self, st;
	int ms;

	base = base ? base + 1 : lib;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (stat("/proc/self/exe", &self))
		return;
	for (ms = 0; ms < 1000 && proc__pid_alive(pid); ms += 2) {
		/* before exec it is a copy of memleak, which maps a libc too */
		if (!stat(exe, &st) && (st.st_ino != self.st_ino || st.st_dev != self.st_dev) &&
		    !memleak__maps_find(pid, base, path, sizeof(path))) {
			syms__refresh(s->syms);
			return;
		}
		usleep(2000);
	}
}

static void print_uprobe_plan(const struct memleak_opts *o, const struct memleak *m)
{
	const char *link = m->session ? " (uprobe session)" : m->multi ? " (uprobe_multi)" : "";
	int fn;

	printf("%-16s %-12s %s\n", "FUNCTION", "OFFSET", "PROBES");
	for (fn = 0; fn < ML_NR_FNS; fn++) {
		if (!o->offsets[fn]) {
			printf("%-16s %-12s %s\n", memleak__fn_names[fn], "-", "absent: not traced");
			continue;
		}
		printf("%-16s 0x%-10llx uprobe%s%s in %s\n", memleak__fn_names[fn],
		       memleak__entry_offset(o->lib, fn, o->offsets[fn]),
		       fn == ML_FREE || fn == ML_MUNMAP ? "" : " + uretprobe",
		       link, o->lib);
	}
	for (fn = 0; o->cxx_lib && fn < ML_NR_CXX; fn++)
		if (o->cxx_offsets[fn])
			printf("%-16s 0x%-10llx uprobe%s%s in %s\n", memleak__cxx_fns[fn].name,
			       o->cxx_offsets[fn],
			       memleak__cxx_fns[fn].fn == ML_DELETE ? "" : " + uretprobe", link,
			       o->cxx_lib);
}

int main(int argc, char **argv)
{
	struct memleak_opts o = {};
	struct state s = {};
	char lib[PATH_MAX], path[PATH_MAX], cxx[PATH_MAX];
	char **cargv = NULL;
	int err, go_fd = -1;
	pid_t child = 0;

	if (cli__parse_opts(opts, parse_arg, argp_program_doc, NULL, argc, argv, &env.c, &env))
		return EXIT_USAGE;
	if (cli__preflight(env.pid))
		return EXIT_RUNTIME;

	if (env.command) {
		cargv = split_command(env.command);
		if (!cargv || !cargv[0]) {
			log__err("-c needs a command");
			return EXIT_USAGE;
		}
		if (find_in_path(cargv[0], path, sizeof(path))) {
			log__err("command not found: %s", cargv[0]);
			return EXIT_RUNTIME;
		}
	}
	if (env.pid || env.command) {
		if (resolve_lib(env.pid, env.command ? path : NULL, lib, sizeof(lib)))
			return EXIT_RUNTIME;
		o.lib = lib;
		if (memleak__lib_offsets(lib, &o))
			return EXIT_RUNTIME;
		/* operator new and delete where the C++ runtime is (else in
		 * a static binary, the allocator library itself): their
		 * caller is the allocation's first frame */
		if ((env.command ? memleak__command_lib(path, "libstdc++", cxx, sizeof(cxx)) :
				   memleak__maps_find(env.pid, "libstdc++", cxx, sizeof(cxx))) < 0)
			snprintf(cxx, sizeof(cxx), "%s", lib);
		memleak__cxx_offsets(cxx, &o);
	}
	if (env.command && !env.c.probes) {
		child = spawn_stopped(cargv, path, &go_fd);
		if (child < 0) {
			log__err("cannot start %s: %s", cargv[0], strerror(-child));
			return EXIT_RUNTIME;
		}
		env.pid = child;
	}

	o.pid = env.pid ?: (env.command ? getpid() : 0);
	o.percpu = env.percpu;
	o.combined_only = env.combined_only;
	o.min_size = env.min_size;
	o.max_size = env.max_size;
	o.sample_rate = env.sample_rate;
	o.per_function_links = env.per_function_links;
	o.no_session = env.no_session;
	o.all_probes = env.c.probes;
	o.skip_kinds = env.c.skip_kinds;
	err = memleak__open(&s.m, &o);
	if (env.c.probes) {
		if (o.pid)
			print_uprobe_plan(&o, &s.m);
		else if (s.m.probes.chosen)
			probe__print(&s.m.probes, stdout);
		memleak__close(&s.m);
		return err ? EXIT_RUNTIME : EXIT_OK;
	}
	if (err)
		goto cleanup;
	loop__install_signals();
	err = memleak__attach(&s.m);
	if (err)
		goto cleanup;

	s.n_stacks = s.m.max_stacks;
	s.cap = s.m.max_allocs;
	s.agg = calloc(s.n_stacks, sizeof(*s.agg));
	s.held = calloc(s.cap, sizeof(*s.held));
	s.keys = calloc(s.cap, sizeof(*s.keys));
	s.vals = calloc(s.cap, sizeof(*s.vals));
	s.ids = calloc(s.cap > s.n_stacks ? s.cap : s.n_stacks, sizeof(*s.ids));
	s.syms = env.pid ? syms__new_pid(env.pid) : syms__new_kernel();
	if (!s.agg || !s.held || !s.keys || !s.vals || !s.ids || !s.syms) {
		err = -errno ?: -ENOMEM;
		log__err("cannot set up: %s", strerror(-err));
		goto cleanup;
	}
	if (!env.pid) {
		int kr;

		if (memleak__kallsyms_hidden(&kr)) {
			if (kr == 2)
				log__err("kernel addresses are hidden (kernel.kptr_restrict = 2): kernel frames show as 0xADDR [unknown]");
			else
				log__err("kernel addresses are hidden from this process (kernel.kptr_restrict = %d, no CAP_SYSLOG): kernel frames show as 0xADDR [unknown]",
					 kr);
		}
	}
	if (env.c.json)
		json__init(&s.json, stdout);
	else if (!env.folded) {
		if (env.pid)
			printf("Attaching to pid %d, Ctrl-C to quit.\n", env.pid);
		else
			printf("Attaching to kernel allocators, Ctrl-C to quit.\n");
		fflush(stdout);
	}
	if (go_fd >= 0) {
		if (write(go_fd, "g", 1) != 1) {
			err = -errno;
			log__err("cannot start %s: %s", cargv[0], strerror(-err));
			goto cleanup;
		}
		close(go_fd);
		go_fd = -1;
		symbolize_command(&s, child, lib);
	}

	err = cli__loop(&env.c, env.pid, NULL, tick, &s, &s.pid_exited);
	if (!err)
		cli__report_exit(env.pid, s.pid_exited);

cleanup:
	if (go_fd >= 0) /* never attached: the command must not run untraced */
		kill(child, SIGKILL);
	else if (child > 0 && !s.pid_exited)
		stop_command(child);
	memleak__close(&s.m);
	syms__free(s.syms);
	free(s.agg);
	free(s.held);
	free(s.keys);
	free(s.vals);
	free(s.ids);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
