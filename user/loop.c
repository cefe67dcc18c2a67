// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "loop.h"
#include "proc.h"

static volatile sig_atomic_t loop_stopping;

static void loop__on_signal(int sig)
{
	loop_stopping = 1;
}

void loop__install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop__on_signal; /* no SA_RESTART: interrupt sleeps and polls */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed pipe shows up as a write error instead */
}

bool loop__stopping(void)
{
	return loop_stopping;
}

void loop__stop(void)
{
	loop_stopping = 1;
}

static long long ts_ms(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

/* Waits until `deadline_ms` on CLOCK_MONOTONIC, polling the ring buffer or
 * calling o->idle meanwhile; returns early on a signal or loop__stop(). */
static int loop__wait(const struct loop_opts *o, long long deadline_ms, void *ctx)
{
	struct timespec now;
	long long left;
	int err;

	for (;;) {
		if (loop_stopping)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = deadline_ms - ts_ms(&now);
		if (left <= 0)
			return 0;
		if (o->rb) {
			err = ring_buffer__poll(o->rb, left > 100 ? 100 : (int)left);
			if (err < 0 && err != -EINTR)
				return err;
		} else if (o->idle) {
			o->idle(ctx, left > 100 ? 100 : (int)left);
		} else {
			long long ms = o->watch_pid > 0 && left > 100 ? 100 : left;
			struct timespec d = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

			nanosleep(&d, NULL);
		}
		/* a traced pid is checked several times per interval so the
		 * last report comes soon after it exits */
		if (o->watch_pid > 0 && !proc__pid_alive(o->watch_pid)) {
			if (o->watch_pid_exited)
				*o->watch_pid_exited = true;
			return 0;
		}
	}
}

int loop__run(const struct loop_opts *o, loop_tick_fn tick, void *ctx)
{
	struct timespec start, now;
	unsigned long n;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (n = 1; o->count == 0 || n <= o->count; n++) {
		err = loop__wait(o, ts_ms(&start) + (long long)(n * o->interval_s * 1000), ctx);
		if (err)
			return err;
		if (o->rb) {
			err = ring_buffer__consume(o->rb);
			if (err < 0)
				return err;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		err = tick(ctx, &now);
		if (err)
			return err < 0 ? err : 0;
		if (loop_stopping || (o->watch_pid_exited && *o->watch_pid_exited))
			break;
	}
	return 0;
}
