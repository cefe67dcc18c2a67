/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_TARGET_H
#define MEMSCOPE_TARGET_H

#include <argp.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * What a tool traces: every process, one process (-p PID), or a command it
 * runs itself (bcc memleak's -c "COMMAND ARGS"), traced from its first
 * instruction: the command is forked stopped before exec, the tool attaches
 * to its pid, then lets it exec. When the tool stops first, the command
 * does not run on untraced: SIGTERM, as timeout(1) sends, then SIGKILL.
 */
struct target {
	pid_t pid;		/* -p, or the command's once spawned; 0: none */
	const char *command;	/* -c: the command line as given; NULL: none */
	char **argv;		/* the command line split, as a shell would without expansions */
	char path[PATH_MAX];	/* the command's executable, looked up in PATH */
	pid_t child;		/* the spawned command; 0: none */
	bool held;		/* spawned, and waiting for target__go */
	int go_fd;		/* while held: the child execs once this is written */
};

/* Option table entries (cli.h) for -p and for the command, whose key the
 * tool picks (bcc's memleak: 'c'; a tool whose -c is a cgroup path takes
 * a long option only). Put target__validate in the tool's validate step. */
#define TARGET_OPT_PID(t, help_)                                                           \
	{ .name = "pid", .key = 'p', .arg = "PID", .type = CLI_PID, .dest = &(t)->pid,    \
	  .help = (help_) }
#define TARGET_OPT_COMMAND(t, key_, help_)                                                 \
	{ .name = "command", .key = (key_), .arg = "COMMAND", .type = CLI_FN,             \
	  .dest = (t), .fn = target__parse_command, .help = (help_) }

/* CLI_FN of TARGET_OPT_COMMAND: splits the line; argp_error()s when empty. */
void target__parse_command(struct argp_state *state, const char *arg, void *dest);
/* argp_error()s when both -p and a command are given. */
void target__validate(struct argp_state *state, const struct target *t);
/* -p or a command given. */
bool target__any(const struct target *t);

/* A command line split into words: blanks separate words, '...' and "..."
 * quote, a backslash escapes the next character (not within '...').
 * NULL-ended, malloc'ed as one block with the words after it (free() it);
 * NULL on ENOMEM. */
char **target__split(const char *cmd);
/* The executable `name` names: itself when it has a '/', else the first
 * executable file of that name in $PATH. Returns 0 or -errno (-ENOENT). */
int target__find_in_path(const char *name, char *out, size_t size);

/* Looks the command's executable up (t->path); logs when not found.
 * Returns 0 or -errno; 0 without a command. */
int target__resolve(struct target *t);
/* Forks the command, stopped before exec until target__go, and sets
 * t->pid to it; logs. Returns 0 or -errno; 0 without a command. */
int target__spawn(struct target *t);
/* Lets the spawned command exec; logs. Returns 0 or -errno. */
int target__go(struct target *t);
/* Waits up to timeout_ms until the command has exec'd (its /proc/PID/exe
 * is no longer this program) and ready(pid, ctx) holds (NULL: nothing
 * more), e.g. until it maps a library. Returns true when it did. */
bool target__wait(const struct target *t, int timeout_ms, bool (*ready)(pid_t pid, void *ctx),
		  void *ctx);
/* Ends a command that was never let go (SIGKILL), or one still running
 * (SIGTERM, then SIGKILL after TARGET_GRACE_MS); frees argv. */
#define TARGET_GRACE_MS 2000
void target__stop(struct target *t);

#endif
