// SPDX-License-Identifier: BSD-2-Clause
/* faultstat's ledger: thread records to per-process interval counts. */
#include <stdlib.h>
#include "check.h"
#include "faultstat.h"

static struct fs_task rec(__u32 pid, __u32 tgid, __u64 start, __u64 lstart, __u64 min, __u64 maj,
			  bool exited)
{
	struct fs_task r = { .pid = pid, .tgid = tgid, .start_ns = start, .leader_start_ns = lstart,
			     .min_flt = min, .maj_flt = maj, .flags = exited ? FS_TASK_EXITED : 0 };

	snprintf(r.comm, sizeof(r.comm), "p%u", tgid);
	return r;
}

/* One interval: returns the rows, checks their number. */
static struct faultstat_row *step(struct fs_ledger *l, struct fs_task *recs, size_t n,
				  size_t want_rows, const char *name)
{
	struct faultstat_row *rows;
	size_t nrows;
	int err = fs_ledger__update(l, recs, n, &rows, &nrows);

	CHECK(!err && nrows == want_rows, name);
	return rows;
}

int main(void)
{
	struct fs_ledger l = { .since_ns = 100 };
	struct faultstat_row *r;

	{ /* threads that predate us are a baseline, not faults */
		struct fs_task t[] = { rec(10, 10, 50, 50, 500, 7, false),
				       rec(11, 10, 60, 50, 300, 0, false) };
		free(step(&l, t, 2, 0, "baseline: no rows"));
	}
	{ /* two threads of one process: one row, the sum of their deltas */
		struct fs_task t[] = { rec(11, 10, 60, 50, 310, 1, false),
				       rec(10, 10, 50, 50, 505, 7, false) };
		r = step(&l, t, 2, 1, "two threads: one row");
		CHECK(r[0].pid == 10 && r[0].minor == 15 && r[0].major == 1, "two threads: summed");
		CHECK_STR(r[0].comm, "p10", "two threads: comm");
		free(r);
	}
	{ /* a thread exits: its exit record and its zombie count once */
		struct fs_task t[] = { rec(11, 10, 60, 50, 320, 1, true),
				       rec(11, 10, 60, 50, 320, 1, false),
				       rec(10, 10, 50, 50, 505, 7, false) };
		r = step(&l, t, 3, 1, "exit + zombie: one row");
		CHECK(r[0].minor == 10 && r[0].major == 0, "exit + zombie: counted once");
		free(r);
	}
	{ /* the zombie again: nothing new */
		struct fs_task t[] = { rec(11, 10, 60, 50, 320, 1, false),
				       rec(10, 10, 50, 50, 505, 7, false) };
		free(step(&l, t, 2, 0, "zombie seen again: no rows"));
	}
	{ /* born and gone within the interval: only an exit record */
		struct fs_task t[] = { rec(20, 20, 200, 200, 1000, 2, true),
				       rec(10, 10, 50, 50, 505, 7, false) };
		r = step(&l, t, 2, 1, "short-lived: one row");
		CHECK(r[0].pid == 20 && r[0].minor == 1000 && r[0].major == 2,
		      "short-lived: all its faults");
		free(r);
	}
	{ /* pid 20 reused by a new process: a row of its own */
		struct fs_task t[] = { rec(20, 20, 300, 300, 40, 0, false),
				       rec(10, 10, 50, 50, 505, 7, false) };
		r = step(&l, t, 2, 1, "pid reuse: one row");
		CHECK(r[0].pid == 20 && r[0].start_ns == 300 && r[0].minor == 40,
		      "pid reuse: the new process's faults only");
		free(r);
	}
	{ /* the same pid twice in one interval: two rows */
		struct fs_task t[] = { rec(20, 20, 300, 300, 45, 0, true),
				       rec(20, 20, 400, 400, 9, 0, false),
				       rec(10, 10, 50, 50, 505, 7, false) };
		r = step(&l, t, 3, 2, "pid reused within an interval: two rows");
		CHECK(r[0].start_ns == 300 && r[0].minor == 5 && r[1].start_ns == 400 &&
			      r[1].minor == 9,
		      "pid reused within an interval: kept apart by start time");
		free(r);
	}
	{ /* exec from a non-leader thread: it takes the dead leader's id and
	   * start time with its own counters; a baseline, then counted */
		struct fs_task t1[] = { rec(10, 10, 50, 50, 505, 7, true) };
		struct fs_task t2[] = { rec(10, 10, 50, 50, 30, 0, false) };
		struct fs_task t3[] = { rec(10, 10, 50, 50, 42, 0, false) };

		free(step(&l, t1, 1, 0, "exec: leader's exit, nothing new"));
		free(step(&l, t2, 1, 0, "exec: new leader is a baseline"));
		r = step(&l, t3, 1, 1, "exec: then counted");
		CHECK(r[0].minor == 12, "exec: its later faults");
		free(r);
	}
	fs_ledger__free(&l);
	return check_failures ? 1 : 0;
}
