// SPDX-License-Identifier: BSD-2-Clause
/* oomkill: what the OOM killer did, why, and who is next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "cli.h"
#include "log.h"
#include "module.h"
#include "oomkill.h"
#include "reclaimlat.h"

static struct env {
	struct cli_common c;
	struct oomkill_opts o;
	const char *cgroup;
	bool rank;
	unsigned long top;
} env = { .c = { .interval = 1 }, .top = 10 };

static const char doc[] =
	"Show every OOM kill as one record: the victim (pid, comm, uid, its own memory "
	"cgroup), the task that triggered it, the constraint (none, memcg, cpuset, "
	"mempolicy), the allocation's order and gfp flags, the victim's memory, "
	"oom_score_adj, badness points and oom_score, the cgroup's limit and usage (or "
	"the system's free memory), memory pressure and the reclaim stalls before it. "
	"With --rank: who the kernel would pick next.\n"
	"\n"
	"USAGE: oomkill [-c CGROUP_PATH] [-T] [--json] [-v] [--probes] [--skip-hooks KINDS]\n"
	"       oomkill --rank [-n N] [-c CGROUP_PATH] [--json]\n"
	"\n"
	"What the victim is made of is read in the kernel when it is marked, so the record "
	"survives the victim; records the ring buffer cannot hold are counted and shown. "
	"Where fentry or kprobes reach oom_kill_process(), constraint, points, order and "
	"gfp flags are the kernel's own (decision_from oom_control); elsewhere they are "
	"derived, and what cannot be (order and gfp of a memcg OOM) is shown as '-' (JSON "
	"null). See oomkill(8) for the keys and what each kernel gives.\n"
	"\n"
"EXAMPLES:\n"
	"    oomkill                     # one block per kill, until Ctrl-C\n"
	"    oomkill -T                  # with the time of each kill\n"
	"    oomkill --json              # one JSON object per kill\n"
	"    oomkill -c /sys/fs/cgroup/app   # victims and stalls of this cgroup\n"
	"    oomkill --rank              # the 10 processes the OOM killer would pick first\n"
	"    oomkill --rank -n 0 -c /sys/fs/cgroup/app   # every process of a cgroup, ranked\n"
	"    oomkill --probes            # which kernel hook this kernel gets, and why";

static const struct cli_opt opts[] = {
	{ .name = "cgroup", .key = 'c', .arg = "CGROUP_PATH", .type = CLI_STR, .dest = &env.cgroup,
	  .help = "Only victims (or --rank processes) in this memory cgroup or below" },
	{ .name = "rank", .key = 'r', .type = CLI_FLAG, .dest = &env.rank,
	  .help = "Print processes in the order the OOM killer would pick them, and exit" },
	{ .name = "top", .key = 'n', .arg = "N", .type = CLI_ULONG, .dest = &env.top,
	  .max = 1000000, .help = "--rank: at most N processes (default 10, 0: all)" },
	{},
};

static void no_args(struct argp_state *state, const char *arg)
{
	argp_error(state, "unexpected argument '%s': oomkill takes no interval", arg);
}

static bool top_set(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "-n", 2) || !strncmp(argv[i], "--top", 5))
			return true;
	return false;
}

static const struct cli_spec spec = { .doc = doc, .args_doc = "", .opts = opts, .arg = no_args };

static struct state {
	struct module m;
	struct oomkill *ok;
	struct json json;
	char filter[512];	/* -c as a path below the memcg root; "" none */
	struct cgroup_filter cg;	/* -c resolved, for reclaimlat's filter */
	bool v1;
	struct oomkill_sys sys;
	/* reclaimlat beside: one slot of per-class stalls per second */
	struct module rlm;
	bool have_rl;
	struct rl_stats slots[OOMKILL_WINDOW_S][RL_NR_CLASSES];
	unsigned int cur, filled;
} s;

static bool wanted(const struct rec *r)
{
	char cg[600];
	size_t n = strlen(s.filter);

	if (!n)
		return true;
	schema__cell(r, schema__find(&oomkill__schema, "victim_cgroup"), cg, sizeof(cg));
	if (!strcmp(s.filter, "/"))
		return true;
	return !strncmp(cg, s.filter, n) && (cg[n] == '\0' || cg[n] == '/');
}

/* Adds the stalls since the last drain to the current second's slot. */
static void drain_stalls(void)
{
	struct rl_stats now[RL_NR_CLASSES];
	int c;

	if (!s.have_rl || reclaimlat__drain(s.rlm.state, now))
		return;
	for (c = 0; c < RL_NR_CLASSES; c++)
		reclaimlat__merge(&s.slots[s.cur][c], &now[c]);
}

static void preceding(struct oomkill_preceding *p)
{
	unsigned int i;
	int c;

	memset(p, 0, sizeof(*p));
	drain_stalls();
	for (c = 0; c < RL_NR_CLASSES; c++)
		p->have[c] = reclaimlat__has_class(s.rlm.state, c);
	for (i = 0; i < OOMKILL_WINDOW_S; i++)
		for (c = 0; c < RL_NR_CLASSES; c++)
			reclaimlat__merge(&p->st[c], &s.slots[i][c]);
	p->window_s = s.filled + 1 < OOMKILL_WINDOW_S ? s.filled + 1 : OOMKILL_WINDOW_S;
	p->cgroup = s.filter[0] ? s.filter : NULL;
}

static int on_event(void *ctx, void *data, size_t size)
{
	static struct oomkill_bufs b;
	struct rec r;

	if (size < sizeof(struct oom_event))
		return 0;
	oomkill__event_rec(&r, &b, data, &s.sys, s.ok->mono_to_real_ns, s.v1,
			   events__dropped_since(&s.ok->ev));
	if (!wanted(&r))
		return 0;
	if (s.have_rl) {
		struct oomkill_preceding p;

		preceding(&p);
		oomkill__preceding_rec(&r, &b, &p);
	}
	if (env.c.json)
		schema__json_line(&s.json, &r);
	else
		oomkill__print_block(stdout, &r, env.c.timestamp);
	return 0;
}

static int tick(void *ctx, const struct timespec *now)
{
	unsigned long long lost = events__dropped_since(&s.ok->ev);
	struct rec line;

	drain_stalls();
	s.cur = (s.cur + 1) % OOMKILL_WINDOW_S;
	memset(s.slots[s.cur], 0, sizeof(s.slots[s.cur]));
	if (s.filled < OOMKILL_WINDOW_S)
		s.filled++;
	if (lost) {
		oomkill__lost_rec(&line, now, lost);
		if (env.c.json)
			schema__json_line(&s.json, &line);
		else
			printf("# %llu kill records dropped: the ring buffer was full\n", lost);
	}
	fflush(stdout);
	return 0;
}

/* -c as the kernel names the cgroup: its path below the hierarchy root. */
static int set_filter(void)
{
	const char *root = cgroup__memcg_root();
	char why[256], *real;
	size_t n = strlen(root);

	if (!env.cgroup)
		return 0;
	if (cgroup__resolve(env.cgroup, &s.cg, why, sizeof(why))) {
		log__err("%s", why);
		return -1;
	}
	real = realpath(env.cgroup, NULL);
	if (!real || strncmp(real, root, n) || (real[n] && real[n] != '/')) {
		log__err("%s is not on the memory cgroup hierarchy %s", env.cgroup, root);
		free(real);
		return -1;
	}
	snprintf(s.filter, sizeof(s.filter), "%s", real[n] ? real + n : "/");
	free(real);
	return 0;
}

static int rank(void)
{
	struct oomkill_rank *rows;
	struct rec r;
	size_t n, i;
	int err = oomkill__rank(s.filter[0] ? s.filter : NULL, &rows, &n);

	if (err) {
		log__err("cannot read /proc: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	if (env.top && n > env.top)
		n = env.top;
	if (env.c.json)
		json__init(&s.json, stdout);
	else
		schema__header(stdout, &oomkill__rank_schema, 0);
	for (i = 0; i < n; i++) {
		oomkill__rank_rec(&r, &rows[i]);
		if (env.c.json)
			schema__json_line(&s.json, &r);
		else
			schema__row(stdout, &r, 0);
	}
	free(rows);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct loop_opts lo = {};
	struct reclaimlat_opts rlo = {};
	long long lost;
	int err;

	if (cli__parse_spec(&spec, argc, argv, &env.c))
		return EXIT_RUNTIME;
	if (!env.rank && top_set(argc, argv)) {
		log__err("-n is for --rank");
		return EXIT_USAGE;
	}
	if (set_filter())
		return EXIT_RUNTIME;
	s.v1 = !strcmp(cgroup__memcg_root(), "/sys/fs/cgroup/memory");
	oomkill__sys_read(&s.sys);
	if (env.rank)
		return rank();
	if (cli__preflight(0))
		return EXIT_RUNTIME;
	switch (cli__start(&env.c, &s.m, &oomkill__module, &env.o.common)) {
	case CLI_DONE:
		return EXIT_OK;
	case CLI_FAILED:
		return EXIT_RUNTIME;
	case CLI_RUN:
		break;
	}
	s.ok = s.m.state;
	/* what preceded a kill: reclaimlat's module, optional; with -c, the
	 * stalls of that cgroup's tasks */
	rlo.cgroup_id = s.cg.id;
	rlo.cgroup_mode = s.cg.mode;
	if (!module__open(&s.rlm, &reclaimlat__module, &rlo.common) && !module__attach(&s.rlm))
		s.have_rl = true;
	else
		log__info("no reclaim stalls in the records: reclaimlat's hooks did not attach");
	err = oomkill__open_events(s.ok, on_event, NULL);
	if (err)
		goto cleanup;
	lo.rb = s.ok->ev.rb;
	/* attached: the banner (on stderr under --json, whose stdout is only JSON) */
	if (env.c.json)
		json__init(&s.json, stdout);
	fputs("Tracing OOM kills... Ctrl-C to end.\n", env.c.json ? stderr : stdout);
	fflush(env.c.json ? stderr : stdout);
	err = cli__run(&env.c, 0, &lo, tick, NULL);
	lost = events__dropped(&s.ok->ev);
	if (lost > 0)
		log__err("%lld kill records dropped in all: the ring buffer was full", lost);
cleanup:
	module__close(&s.rlm);
	module__close(&s.m);
	return cli__exit_status(err);
}
