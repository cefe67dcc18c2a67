/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_LOOP_H
#define MEMSCOPE_LOOP_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

struct ring_buffer;

/* SIGINT, SIGTERM and SIGHUP end the loop; the tool then detaches and exits 0. */
void loop__install_signals(void);
bool loop__stopping(void);
void loop__stop(void);

/* Called once per interval; `now` is the wall-clock time of the report.
 * Return 0 to go on, > 0 to stop cleanly, < 0 for an error (returned). */
typedef int (*loop_tick_fn)(void *ctx, const struct timespec *now);

struct loop_opts {
	unsigned long interval_s;
	unsigned long count;		/* 0: until signalled */
	struct ring_buffer *rb;		/* polled between ticks when not NULL */
	pid_t watch_pid;		/* when > 0: stop after the tick that follows its exit */
	bool *watch_pid_exited;		/* set when watch_pid went away */
	/* When set, called instead of sleeping, to wait up to timeout_ms for
	 * something else, such as a key in a full-screen view. */
	void (*idle)(void *ctx, int timeout_ms);
};

/* Runs ticks on a monotonic schedule (no drift). A signal cuts the current
 * interval short and runs one last tick, so Ctrl-C still prints what was
 * counted. Returns the first error of a tick or of polling, else 0. */
int loop__run(const struct loop_opts *o, loop_tick_fn tick, void *ctx);

#endif
