/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_CLI_H
#define MEMSCOPE_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <sys/types.h>
#include "loop.h"

/* Options every tool has; filled by the shared argp child parser. */
struct cli_common {
	int verbose;		/* -v, -vv */
	bool timestamp;		/* -T */
	bool json;		/* --json: one object per line */
	bool probes;		/* --probes: print the hook chosen per event and exit */
	unsigned int skip_kinds;	/* --skip-hooks: bit (1 << enum probe_kind) per kind */
	unsigned long interval;	/* seconds between reports; the tool sets its default */
	unsigned long count;	/* reports before exit; 0: until Ctrl-C */
	int positional;		/* how many of [interval [count]] were given */
};

/* The child parser for -v, -T, --json, --probes; state->input must be a
 * struct cli_common *. Attach it with { &cli__argp, 0, NULL, 0 }. */
extern const struct argp cli__argp;

/* Strict unsigned parsing: the whole string, base 10, within [min, max].
 * Returns 0, or -1 with *why set to a static description. */
int cli__parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out,
		     const char **why);

/* Parses one of [interval [count]]; argp_error()s (exit 2) on bad input. */
void cli__positional(struct cli_common *c, struct argp_state *state, const char *arg);

/* --pid argument: a positive pid; argp_error()s on bad input. */
pid_t cli__pid(struct argp_state *state, const char *arg);

/* Checks what every tracing tool needs before it loads anything: the BPF
 * capabilities, and that --pid exists (pid 0: none given). Logs the cause;
 * returns 0 or EXIT_RUNTIME. */
int cli__preflight(pid_t pid);

/* cli__preflight(pid) after resolving -c CGROUP_PATH (NULL: none) into
 * *filter, which the tool sets its BPF tunables from. */
struct cgroup_filter;
int cli__preflight_cgroup(pid_t pid, const char *cgroup, struct cgroup_filter *filter);

/* argp_parse with usage errors exiting 2 and the tool name set for messages. */
int cli__parse(const struct argp *argp, int argc, char **argv, struct cli_common *c,
	       void *input);

/* cli__parse of a tool's options and parser with the shared child attached
 * (child input 0) and "[interval [count]]" as the arguments; `child` (or
 * NULL) is a second child, such as top__argp, whose input the tool sets as
 * child_inputs[1] at ARGP_KEY_INIT. The parser's default case returns
 * cli__parse_key(). */
int cli__parse_opts(const struct argp_option *opts, argp_parser_t parser, const char *doc,
		    const struct argp *child, int argc, char **argv, struct cli_common *c,
		    void *input);

/* The default case of a tool's argp parser: gives the shared child its input
 * and parses [interval [count]]; ARGP_ERR_UNKNOWN for anything else. */
error_t cli__parse_key(int key, char *arg, struct argp_state *state, struct cli_common *c);

/* A number option within [min, max]; argp_error()s "invalid WHAT 'ARG': why". */
unsigned long cli__ulong(struct argp_state *state, const char *what, const char *arg,
			 unsigned long min, unsigned long max);

/* loop__run() with the command line's interval and count, stopping after the
 * tick that follows pid's exit (pid 0: none), which it logs. `extra` (or
 * NULL) gives the ring buffer and idle callback. */
int cli__run(const struct cli_common *c, pid_t pid, const struct loop_opts *extra,
	     loop_tick_fn tick, void *ctx);
/* The two halves of cli__run, for a caller that must do something between
 * the loop's end and the message (close a full screen): cli__loop sets
 * *pid_exited, cli__report_exit logs it. */
int cli__loop(const struct cli_common *c, pid_t pid, const struct loop_opts *extra,
	      loop_tick_fn tick, void *ctx, bool *pid_exited);
void cli__report_exit(pid_t pid, bool pid_exited);

/*
 * Declarative options: one table per tool, each entry keeping flag,
 * destination, type, bounds and help together; one parser for every type,
 * with strict numbers and "TOOL: invalid WHAT 'ARG': why" errors (exit 2).
 * Checks that span options go in one validate step, after every option.
 */
enum cli_opt_type {
	CLI_FLAG,	/* bool *: set */
	CLI_COUNT,	/* int *: incremented per use */
	CLI_ULONG,	/* unsigned long *: within [min, max] */
	CLI_UINT,	/* unsigned int *: within [min, max] */
	CLI_PID,	/* pid_t *: a positive pid (that it exists: cli__preflight) */
	CLI_STR,	/* const char **: the argument as given, non-empty */
	CLI_FN,		/* fn(state, arg, dest): anything else */
};

struct cli_opt {
	const char *name;	/* long option */
	int key;		/* short option, or >= 0x100 for long only */
	const char *arg;	/* argument's name; NULL for CLI_FLAG, CLI_COUNT */
	enum cli_opt_type type;
	void *dest;
	unsigned long min, max;	/* CLI_ULONG, CLI_UINT; max 0: the type's maximum */
	const char *what;	/* in messages; NULL: the argument's name, lower case */
	const char *help;
	void (*fn)(struct argp_state *state, const char *arg, void *dest);
	int group;		/* argp group, for --help's order; 0 by default */
	int flags;		/* argp option flags: OPTION_HIDDEN (tests' knobs) */
};

struct cli_spec {
	const char *doc;	/* --help text: summary, usage, EXAMPLES */
	const char *args_doc;	/* NULL: "[interval [count]]" */
	const struct cli_opt *opts;	/* ends with an entry whose name is NULL */
	const struct argp *child;	/* a second child parser (top__argp) or NULL */
	void *child_input;
	/* positional arguments; NULL: [interval [count]] */
	void (*arg)(struct argp_state *state, const char *arg);
	/* after every option and argument: checks that span options
	 * (argp_error()s on a conflict); NULL: none */
	void (*validate)(struct argp_state *state);
};

/* Parses argv by spec (with the shared child for -v, -T, --json, --probes,
 * --skip-hooks and [interval [count]]). Returns 0, or exits 2 on a usage
 * error; an internal failure returns -errno. */
int cli__parse_spec(const struct cli_spec *spec, int argc, char **argv, struct cli_common *c);

/*
 * The one lifecycle of a frontend over a data-source module (module.h):
 * opens it with -p, --probes and --skip-hooks applied to `o`; with --probes
 * prints the hooks chosen and closes it (CLI_DONE); else installs the
 * signal handlers, loads and attaches (CLI_RUN). Errors are logged, the
 * module is closed (CLI_FAILED).
 */
enum cli_start { CLI_RUN, CLI_DONE, CLI_FAILED };
struct module;
struct module_ops;
struct module_opts;
enum cli_start cli__start(const struct cli_common *c, struct module *m,
			  const struct module_ops *ops, struct module_opts *o);
/* The exit status for a loop's result and a module's close. */
int cli__exit_status(int err);

#endif
