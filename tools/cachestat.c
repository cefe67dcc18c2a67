// SPDX-License-Identifier: BSD-2-Clause
/* cachestat: page-cache hits, misses and dirties per interval. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "pagecache.h"
#include "proc.h"

static struct env {
	struct cli_common c;
	pid_t pid;
} env = { .c = { .interval = 1 } };

const char argp_program_doc[] =
	"Count page-cache hits, misses and dirtied pages, system-wide or for one process.\n"
	"\n"
	"USAGE: cachestat [-T] [-p PID] [--json] [-v] [--probes] [--skip-hooks KINDS]\n"
	"                 [interval [count]]\n"
	"\n"
	"An access is a page that a read (read, pread, readv, sendfile, splice) or a "
	"page fault on a file mapping asked for; a miss is an accessed page that had to "
	"be brought into the page cache (readahead included); HITS = accesses - misses; "
	"pages created by writes count as DIRTIES, not misses. HITRATIO = HITS / (HITS + "
	"MISSES), '-' when nothing was accessed. Pages are 4 KiB; a large folio counts "
	"as its number of pages. See cachestat(8).\n"
	"\n"
	"EXAMPLES:\n"
	"    cachestat             # every second, until Ctrl-C\n"
	"    cachestat 5 10        # every 5 seconds, 10 times\n"
	"    cachestat -T 1        # with a timestamp on each line\n"
	"    cachestat -p 185 1    # only the process with pid 185\n"
	"    cachestat --json 1 3  # one JSON object per second, three times\n"
	"    cachestat --probes    # which kernel hooks this kernel gets, and why\n"
	"    cachestat --skip-hooks fentry  # use kprobes where tracepoints are missing";

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Count only this process (all its threads)", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		env.pid = cli__pid(state, arg);
		break;
	default:
		return cli__parse_key(key, arg, state, &env.c);
	}
	return 0;
}

struct state {
	struct pagecache pc;
	struct pc_stats prev;
	unsigned long long owed;	/* misses not yet covered by accesses */
	struct json json;
};

static int tick(void *ctx, const struct timespec *now)
{
	struct state *s = ctx;
	struct pagecache_counts k;
	struct pc_stats cur, d;
	struct meminfo mi = {};
	char ts[32];
	int err;

	err = pagecache__read(&s->pc, &cur);
	if (err) {
		log__err("cannot read counters: %s", strerror(-err));
		return err;
	}
	pagecache__delta(&cur, &s->prev, &d);
	s->prev = cur;
	pagecache__derive(&d, &s->owed, &k);
	if (proc__meminfo(NULL, &mi))
		log__info("cannot read /proc/meminfo");

	if (env.c.json) {
		struct json *j = &s->json;

		json__begin(j, NULL);
		json__time(j, "time", now);
		if (env.pid)
			json__i64(j, "pid", env.pid);
		json__u64(j, "hits", k.hits);
		json__u64(j, "misses", k.misses);
		json__u64(j, "dirties", k.dirties);
		json__num(j, "hit_ratio", k.hit_ratio, 2);
		json__u64(j, "accesses", k.accesses);
		json__u64(j, "buffers_mb", mi.buffers_kb / 1024);
		json__u64(j, "cached_mb", mi.cached_kb / 1024);
		json__end(j);
		return 0;
	}
	if (env.c.timestamp) {
		out__hms(now, ts, sizeof(ts));
		printf("%-8s ", ts);
	}
	printf("%8llu %8llu %8llu ", k.hits, k.misses, k.dirties);
	if (isnan(k.hit_ratio))
		printf("%8s ", "-");
	else
		printf("%7.2f%% ", k.hit_ratio);
	printf("%12llu %10llu\n", mi.buffers_kb / 1024, mi.cached_kb / 1024);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct state s = {};
	struct pagecache_opts po = {};
	int err;

	if (cli__parse_opts(opts, parse_arg, argp_program_doc, NULL, argc, argv, &env.c, &env))
		return EXIT_USAGE;
	if (cli__preflight(env.pid))
		return EXIT_RUNTIME;
	err = pagecache__start(&s.pc, &po, &env.c, env.pid);
	if (err == 1)
		return EXIT_OK;
	if (err)
		goto cleanup;

	if (env.c.json) {
		json__init(&s.json, stdout);
	} else {
		if (env.c.timestamp)
			printf("%-8s ", "TIME");
		printf("%8s %8s %8s %8s %12s %10s\n", "HITS", "MISSES", "DIRTIES", "HITRATIO",
		       "BUFFERS_MB", "CACHED_MB");
		fflush(stdout);
	}

	err = cli__run(&env.c, env.pid, NULL, tick, &s);

cleanup:
	pagecache__close(&s.pc);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
