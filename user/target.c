// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "log.h"
#include "proc.h"
#include "target.h"

char **target__split(const char *cmd)
{
	size_t n = 0, len = strlen(cmd), nptr = len / 2 + 2;
	char **argv = malloc(nptr * sizeof(*argv) + len + 1);
	char *w;
	const char *p = cmd;

	if (!argv)
		return NULL;
	w = (char *)(argv + nptr);
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

void target__parse_command(struct argp_state *state, const char *arg, void *dest)
{
	struct target *t = dest;

	free(t->argv);
	t->argv = target__split(arg);
	if (!t->argv)
		argp_failure(state, EXIT_RUNTIME, ENOMEM, "cannot parse the command");
	if (!t->argv[0])
		argp_error(state, "-c needs a command");
	t->command = arg;
}

void target__validate(struct argp_state *state, const struct target *t)
{
	if (t->pid && t->command)
		argp_error(state, "-p and -c exclude each other");
}

bool target__any(const struct target *t)
{
	return t->pid || t->command;
}

int target__find_in_path(const char *name, char *out, size_t size)
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

int target__resolve(struct target *t)
{
	int err;

	if (!t->command)
		return 0;
	err = target__find_in_path(t->argv[0], t->path, sizeof(t->path));
	if (err)
		log__err("command not found: %s", t->argv[0]);
	return err;
}

/* The child waits on a pipe, allocating nothing, until the tool has
 * attached to its pid, then execs. Uprobes live on the file's inode, so
 * they fire in the new image as soon as ld.so maps the library. */
int target__spawn(struct target *t)
{
	int fds[2], err;
	pid_t pid;

	if (!t->command)
		return 0;
	if (pipe2(fds, O_CLOEXEC))
		goto fail;
	/* reap the command without a handler; the child restores the default */
	signal(SIGCHLD, SIG_IGN);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	if (!pid) {
		char c;

		close(fds[1]);
		signal(SIGCHLD, SIG_DFL);
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execv(t->path, t->argv);
		_exit(127);
	}
	close(fds[0]);
	t->go_fd = fds[1];
	t->held = true;
	t->child = t->pid = pid;
	return 0;
fail:
	err = -errno;
	log__err("cannot start %s: %s", t->argv[0], strerror(-err));
	return err;
}

int target__go(struct target *t)
{
	int err = 0;

	if (!t->held)
		return 0;
	if (write(t->go_fd, "g", 1) != 1) {
		err = -errno;
		log__err("cannot start %s: %s", t->argv[0], strerror(-err));
		return err;
	}
	close(t->go_fd);
	t->held = false;
	return 0;
}

bool target__wait(const struct target *t, int timeout_ms, bool (*ready)(pid_t pid, void *ctx),
		  void *ctx)
{
	struct stat self, st;
	char exe[64];
	int ms;

	if (!t->child || stat("/proc/self/exe", &self))
		return false;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->child);
	for (ms = 0; ms < timeout_ms && proc__pid_alive(t->child); ms += 2) {
		/* before exec it is a copy of this program */
		if (!stat(exe, &st) && (st.st_ino != self.st_ino || st.st_dev != self.st_dev) &&
		    (!ready || ready(t->child, ctx)))
			return true;
		usleep(2000);
	}
	return false;
}

/* SIGCHLD is ignored, so the command leaves no zombie and is gone once it
 * exits */
void target__stop(struct target *t)
{
	int ms;

	if (t->held) {
		/* never let go: it must not run untraced */
		kill(t->child, SIGKILL);
		close(t->go_fd);
		t->held = false;
	} else if (t->child > 0 && proc__pid_alive(t->child) && !kill(t->child, SIGTERM)) {
		for (ms = 0; ms < TARGET_GRACE_MS && proc__pid_alive(t->child); ms += 20)
			usleep(20000);
		if (proc__pid_alive(t->child)) {
			log__info("pid %d still running %d ms after SIGTERM: SIGKILL", t->child,
				  TARGET_GRACE_MS);
			kill(t->child, SIGKILL);
		}
	}
	t->child = 0;
	free(t->argv);
	t->argv = NULL;
}
