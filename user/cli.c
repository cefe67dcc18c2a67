// SPDX-License-Identifier: BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "cli.h"
#include "log.h"
#include "module.h"
#include "probe.h"
#include "proc.h"

enum { OPT_JSON = 0x1000, OPT_PROBES, OPT_SKIP_HOOKS };

static const struct argp_option cli__options[] = {
	{ "verbose", 'v', NULL, 0, "Show probe choices and libbpf warnings (-vv: libbpf debug)", -1 },
	{ "timestamp", 'T', NULL, 0, "Print a timestamp with each report", -1 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per report, one per line", -1 },
	{ "probes", OPT_PROBES, NULL, 0,
	  "Print the hook chosen for each event, why the others were not, and exit", -1 },
	{ "skip-hooks", OPT_SKIP_HOOKS, "KINDS", 0,
	  "Never use these hook kinds (comma-separated: tp_btf, raw_tp, tracepoint, fentry, "
	  "fexit, kprobe, kretprobe), e.g. to avoid fentry where it misbehaves", -1 },
	{},
};

static error_t cli__parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_common *c = state->input;

	switch (key) {
	case 'v':
		c->verbose++;
		break;
	case 'T':
		c->timestamp = true;
		break;
	case OPT_JSON:
		c->json = true;
		break;
	case OPT_PROBES:
		c->probes = true;
		break;
	case OPT_SKIP_HOOKS:
		if (probe__parse_kinds(arg, &c->skip_kinds))
			argp_error(state, "invalid --skip-hooks '%s': kinds are tp_btf, raw_tp, "
					  "tracepoint, fentry, fexit, kprobe, kretprobe", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli__argp = { cli__options, cli__parse_opt, NULL, NULL, NULL, NULL, NULL };

int cli__parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out,
		     const char **why)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s < '0' || *s > '9') {
		*why = "not a number";
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end) {
		*why = "not a number";
		return -1;
	}
	if (errno == ERANGE || v > max) {
		*why = "too large";
		return -1;
	}
	if (v < min) {
		*why = min == 1 ? "must be at least 1" : "too small";
		return -1;
	}
	*out = v;
	return 0;
}

void cli__positional(struct cli_common *c, struct argp_state *state, const char *arg)
{
	const char *why;

	switch (c->positional) {
	case 0:
		if (cli__parse_ulong(arg, 1, 86400, &c->interval, &why))
			argp_error(state, "invalid interval '%s': %s (seconds, 1-86400)", arg, why);
		break;
	case 1:
		if (cli__parse_ulong(arg, 1, ULONG_MAX, &c->count, &why))
			argp_error(state, "invalid count '%s': %s", arg, why);
		break;
	default:
		argp_error(state, "unexpected argument '%s'", arg);
	}
	c->positional++;
}

pid_t cli__pid(struct argp_state *state, const char *arg)
{
	unsigned long v;
	const char *why;

	if (cli__parse_ulong(arg, 1, INT_MAX, &v, &why))
		argp_error(state, "invalid pid '%s': %s", arg, why);
	return (pid_t)v;
}

int cli__preflight(pid_t pid)
{
	char why[128];

	if (proc__check_bpf_caps(why, sizeof(why))) {
		log__err("needs %s: run as root", why);
		return EXIT_RUNTIME;
	}
	if (pid && !proc__pid_alive(pid)) {
		log__err("pid %d does not exist", pid);
		return EXIT_RUNTIME;
	}
	return 0;
}

int cli__preflight_cgroup(pid_t pid, const char *cgroup, struct cgroup_filter *filter)
{
	char why[256];

	if (cgroup && cgroup__resolve(cgroup, filter, why, sizeof(why))) {
		log__err("%s", why);
		return EXIT_RUNTIME;
	}
	return cli__preflight(pid);
}

int cli__parse(const struct argp *argp, int argc, char **argv, struct cli_common *c,
	       void *input)
{
	const char *name = strrchr(argv[0], '/');
	int err;

	argp_err_exit_status = EXIT_USAGE;
	/* argp and getopt name the program by argv[0] in their messages */
	if (name)
		argv[0] = (char *)name + 1;
	program_invocation_name = argv[0];
	log__init(argv[0], 0);
	err = argp_parse(argp, argc, argv, 0, NULL, input);
	log__init(log_tool, c->verbose);
	return err;
}

int cli__parse_opts(const struct argp_option *opts, argp_parser_t parser, const char *doc,
		    const struct argp *child, int argc, char **argv, struct cli_common *c,
		    void *input)
{
	const struct argp_child children[] = {
		{ &cli__argp, 0, NULL, 0 },
		{ child, 0, NULL, 0 },
		{},
	};
	const struct argp argp = { opts, parser, "[interval [count]]", doc, children, NULL, NULL };

	return cli__parse(&argp, argc, argv, c, input);
}

error_t cli__parse_key(int key, char *arg, struct argp_state *state, struct cli_common *c)
{
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = c;
		break;
	case ARGP_KEY_ARG:
		cli__positional(c, state, arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

unsigned long cli__ulong(struct argp_state *state, const char *what, const char *arg,
			 unsigned long min, unsigned long max)
{
	const char *why;
	unsigned long v;

	if (cli__parse_ulong(arg, min, max, &v, &why))
		argp_error(state, "invalid %s '%s': %s", what, arg, why);
	return v;
}

int cli__loop(const struct cli_common *c, pid_t pid, const struct loop_opts *extra,
	      loop_tick_fn tick, void *ctx, bool *pid_exited)
{
	struct loop_opts lo = {};

	if (extra)
		lo = *extra;
	lo.interval_s = c->interval;
	lo.count = c->count;
	lo.watch_pid = pid;
	lo.watch_pid_exited = pid_exited;
	return loop__run(&lo, tick, ctx);
}

void cli__report_exit(pid_t pid, bool pid_exited)
{
	if (pid_exited)
		log__err("pid %d exited", pid);
}

int cli__run(const struct cli_common *c, pid_t pid, const struct loop_opts *extra,
	     loop_tick_fn tick, void *ctx)
{
	bool pid_exited = false;
	int err = cli__loop(c, pid, extra, tick, ctx, &pid_exited);

	if (!err)
		cli__report_exit(pid, pid_exited);
	return err;
}

struct spec_input {
	const struct cli_spec *spec;
	struct cli_common *c;
};

static const struct cli_opt *spec_find(const struct cli_spec *spec, int key)
{
	const struct cli_opt *o;

	for (o = spec->opts; o && o->name; o++)
		if (o->key == key)
			return o;
	return NULL;
}

static void spec_what(const struct cli_opt *o, char *buf, size_t size)
{
	size_t i;

	snprintf(buf, size, "%s", o->what ?: o->arg ?: o->name);
	if (!o->what)
		for (i = 0; buf[i]; i++)
			buf[i] = tolower((unsigned char)buf[i]);
}

static void spec_set(struct argp_state *state, const struct cli_opt *o, const char *arg)
{
	unsigned long max = o->max, v;
	char what[64];

	spec_what(o, what, sizeof(what));
	switch (o->type) {
	case CLI_FLAG:
		*(bool *)o->dest = true;
		break;
	case CLI_COUNT:
		(*(int *)o->dest)++;
		break;
	case CLI_ULONG:
		*(unsigned long *)o->dest = cli__ulong(state, what, arg, o->min, max ?: ULONG_MAX);
		break;
	case CLI_UINT:
		v = cli__ulong(state, what, arg, o->min, max ?: UINT_MAX);
		*(unsigned int *)o->dest = (unsigned int)v;
		break;
	case CLI_PID:
		*(pid_t *)o->dest = cli__pid(state, arg);
		break;
	case CLI_STR:
		if (!*arg)
			argp_error(state, "invalid %s '': empty", what);
		*(const char **)o->dest = arg;
		break;
	case CLI_FN:
		o->fn(state, arg, o->dest);
		break;
	}
}

static error_t spec_parse(int key, char *arg, struct argp_state *state)
{
	struct spec_input *in = state->input;
	const struct cli_opt *o;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = in->c;
		state->child_inputs[1] = in->spec->child_input;
		return 0;
	case ARGP_KEY_ARG:
		if (in->spec->arg)
			in->spec->arg(state, arg);
		else
			cli__positional(in->c, state, arg);
		return 0;
	case ARGP_KEY_END:
		if (in->spec->validate)
			in->spec->validate(state);
		return 0;
	}
	o = spec_find(in->spec, key);
	if (!o)
		return ARGP_ERR_UNKNOWN;
	spec_set(state, o, arg);
	return 0;
}

int cli__parse_spec(const struct cli_spec *spec, int argc, char **argv, struct cli_common *c)
{
	struct spec_input in = { spec, c };
	struct argp_option *opts;
	const struct cli_opt *o;
	size_t n = 0, i;
	int err;

	for (o = spec->opts; o && o->name; o++)
		n++;
	opts = calloc(n + 1, sizeof(*opts));
	if (!opts)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		o = &spec->opts[i];
		opts[i] = (struct argp_option){ .name = o->name, .key = o->key, .arg = o->arg,
						.doc = o->help, .group = o->group,
						.flags = o->flags };
	}
	{
		const struct argp_child children[] = {
			{ &cli__argp, 0, NULL, 0 },
			{ spec->child, 0, NULL, 0 },
			{},
		};
		const struct argp argp = { opts, spec_parse, spec->args_doc ?: "[interval [count]]",
					   spec->doc, children, NULL, NULL };

		err = cli__parse(&argp, argc, argv, c, &in);
	}
	free(opts);
	return err;
}

enum cli_start cli__start(const struct cli_common *c, struct module *m,
			  const struct module_ops *ops, struct module_opts *o)
{
	o->all_probes = c->probes;
	o->skip_kinds = c->skip_kinds;
	int err = module__open(m, ops, o);

	if (c->probes) {
		/* also after a failed open: the table says why each hook was refused */
		module__print_probes(m, stdout);
		module__close(m);
		return err ? CLI_FAILED : CLI_DONE;
	}
	if (err)
		goto failed;
	loop__install_signals();
	if (module__attach(m))
		goto failed;
	return CLI_RUN;
failed:
	module__close(m);
	return CLI_FAILED;
}

int cli__exit_status(int err)
{
	return err ? EXIT_RUNTIME : EXIT_OK;
}
