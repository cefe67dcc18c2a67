// SPDX-License-Identifier: BSD-2-Clause
/* cachestat: page-cache hits, misses and dirties per interval. */
#include <string.h>
#include "cli.h"
#include "log.h"
#include "output.h"
#include "pagecache.h"
#include "proc.h"

static struct env {
	struct cli_common c;
	pid_t pid;
} env = { .c = { .interval = 1 } };

static const char doc[] =
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

static const struct cli_opt opts[] = {
	{ .name = "pid", .key = 'p', .arg = "PID", .type = CLI_PID, .dest = &env.pid,
	  .help = "Count only this process (all its threads)" },
	{},
};

static const struct cli_spec spec = { .doc = doc, .opts = opts };

struct state {
	struct pagecache *pc;
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
	struct rec r;
	int err;

	err = pagecache__read(s->pc, &cur);
	if (err) {
		log__err("cannot read counters: %s", strerror(-err));
		return err;
	}
	pagecache__delta(&cur, &s->prev, &d);
	s->prev = cur;
	pagecache__derive(&d, &s->owed, &k);
	if (proc__meminfo(NULL, &mi))
		log__info("cannot read /proc/meminfo");
	pagecache__stat_rec(&r, now, env.pid, &k, &mi);
	if (env.c.json)
		schema__json_line(&s->json, &r);
	else
		schema__row(stdout, &r, env.c.timestamp ? 0 : 1ULL << PCS_TIME);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct pagecache_opts po = {};
	struct state s = {};
	struct module m = {};
	enum cli_start start;
	int err;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_USAGE;
	if (cli__preflight(env.pid))
		return EXIT_RUNTIME;
	po.m.tgid = env.pid;
	start = cli__start(&env.c, &m, &pagecache__module, &po.m);
	if (start != CLI_RUN)
		return start == CLI_DONE ? EXIT_OK : EXIT_RUNTIME;
	s.pc = m.state;
	json__init(&s.json, stdout);
	if (!env.c.json) {
		schema__header(stdout, &pagecache__stat_schema,
			       env.c.timestamp ? 0 : 1ULL << PCS_TIME);
		fflush(stdout);
	}
	err = cli__run(&env.c, env.pid, NULL, tick, &s);
	module__close(&m);
	return cli__exit_status(err);
}
