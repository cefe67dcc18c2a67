// SPDX-License-Identifier: BSD-2-Clause
/* faultstat's ledger: thread records to per-process interval counts; its
 * schemas (user/faultstat_rec.c) rendered from fixture records. */
#include <stdlib.h>
#include "check.h"
#include "faultstat.h"
#include "top.h"

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

static void test_schemas(void)
{
	static const struct timespec ts = { .tv_sec = 1764547200, .tv_nsec = 5000000 };
	struct faultstat_row rows[2] = {
		{ .pid = 2062, .comm = "pcload", .minor = 2, .major = 2000,
		  .cls = { [FS_MAJ_FILE] = 1990, [FS_MAJ_SWAP] = 4, [FS_MAJ_UNKNOWN] = 6 } },
		{ .pid = 7, .comm = "sh", .minor = 30 },
	}, sum;
	struct faultstat_file_row file = { .dev = (254ULL << 20), .ino = 99, .pid = 2062,
					   .major = 2000 };
	struct frame fr[3] = {
		{ .addr = 0xffffffff81001000,
		  .si = { .name = "filemap_fault", .offset = 0x10, .module = "kernel" } },
		{ .addr = 0x401136,
		  .si = { .name = "main", .offset = 0x16, .module = "pcload", .file = "pcload.c",
			  .line = 9 } },
		{ .addr = 0x7f0011223344 },
	};
	struct faultstat_stack_row st = { .pid = 2062, .comm = "pcload", .count = 2000,
					  .user = { fr + 1, 2, false }, .kernel = { fr, 1, true } };
	unsigned long long full[FS_NR_FULL] = { [FS_LOST_STACKS] = 3 };
	struct rec r[2], total, frec, srec, lost, report, title;
	struct top_table t;
	struct json j;
	char buf[4096];

	top__table_init(&t, &faultstat__row_schema);
	faultstat__row_rec(top__row(&t), &rows[0], true);
	faultstat__row_rec(top__row(&t), &rows[1], true);
	faultstat__sum(rows, 2, &sum);
	faultstat__row_rec(&total, &sum, true);
	CAPTURE(buf, f, (top__print(f, &t, 0), top__print_total(f, &t, &total, "TOTAL")));
	CHECK_STR(buf,
		  "    PID COMM                  MINOR    MAJOR MAJ_FILE MAJ_SWAP\n"
		  "   2062 pcload                    2     2000     1990        4\n"
		  "      7 sh                       30        0        0        0\n"
		  "        TOTAL                    32     2000     1990        4\n",
		  "faultstat -d: rows and the TOTAL line");
	faultstat__row_rec(&r[0], &rows[0], false);
	CAPTURE(buf, f, schema__row(f, &r[0], 0));
	CHECK_STR(buf, "   2062 pcload                    2     2000        -        -\n",
		  "faultstat: without -d, no classes");
	top__table_free(&t);
	faultstat__title_rec(&title, &sum);
	top__figures(&title, buf, sizeof(buf));
	CHECK_STR(buf, "Faults: minor 32 / major 2000", "faultstat: title figures");

	top__table_init(&t, &faultstat__file_schema);
	faultstat__file_rec(top__row(&t), &file, NULL);
	CAPTURE(buf, f, top__print(f, &t, 0));
	CHECK_STR(buf, "   MAJOR      PID FILE\n    2000     2062 254:0:99\n",
		  "faultstat -f: files table");
	frec = t.rows[0];
	faultstat__stack_rec(&srec, &st);
	faultstat__lost_rec(&lost, full, 0);
	faultstat__row_rec(&r[0], &rows[0], false);
	faultstat__row_rec(&total, &rows[0], false);
	total.v[FSR_PID].set = total.v[FSR_COMM].set = false;
	rec__init(&report, &faultstat__report_schema);
	rec__time(&report, FSO_TIME, &ts);
	rec__list(&report, FSO_ROWS, r, 1);
	rec__obj(&report, FSO_TOTAL, &total);
	rec__obj(&report, FSO_LOST, &lost);
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &report)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.005Z\",\"rows\":[{\"pid\":2062,\"comm\":\"pcload\","
		  "\"minor\":2,\"major\":2000,\"major_file\":null,\"major_swap\":null}],"
		  "\"total\":{\"minor\":2,\"major\":2000,\"major_file\":null,\"major_swap\":null},"
		  "\"lost\":{\"exits\":0,\"procs\":0,\"files\":0,\"stacks\":0,"
		  "\"unsaved_stacks\":3}}\n",
		  "faultstat: JSON without -d: null classes, no major_unknown, no files or stacks");
	faultstat__row_rec(&r[0], &rows[0], true);
	rec__list(&report, FSO_FILES, &frec, 1);
	rec__list(&report, FSO_STACKS, &srec, 1);
	faultstat__lost_rec(&lost, full, -1);
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &report)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T00:00:00.005Z\",\"rows\":[{\"pid\":2062,\"comm\":\"pcload\","
		  "\"minor\":2,\"major\":2000,\"major_file\":1990,\"major_swap\":4,"
		  "\"major_unknown\":6}],"
		  "\"total\":{\"minor\":2,\"major\":2000,\"major_file\":null,\"major_swap\":null},"
		  "\"files\":[{\"major\":2000,\"file\":\"254:0:99\",\"pid\":2062,\"shared\":false}],"
		  "\"stacks\":[{\"pid\":2062,\"comm\":\"pcload\",\"major\":2000,"
		  "\"user\":[{\"addr\":4198710,\"sym\":\"main\",\"offset\":22,\"module\":\"pcload\","
		  "\"file\":\"pcload.c\",\"line\":9},{\"addr\":139638264181572,\"sym\":null,"
		  "\"offset\":null,\"module\":null,\"file\":null,\"line\":null}],"
		  "\"kernel\":[{\"addr\":18446744071578849280,\"sym\":\"filemap_fault\",\"offset\":16,"
		  "\"module\":\"kernel\",\"file\":null,\"line\":null}]}],"
		  "\"lost\":{\"exits\":null,\"procs\":0,\"files\":0,\"stacks\":0,"
		  "\"unsaved_stacks\":3}}\n",
		  "faultstat -d -f --stacks: JSON with classes, files, stacks of frame objects");
	top__table_free(&t);
	top__losses(&lost, buf, sizeof(buf));
	CHECK_STR(buf, "lost since start: 3 stacks counted without frames", "faultstat: losses line");
	CAPTURE(buf, f, faultstat__print_stack(f, &st));
	CHECK_STR(buf,
		  "    filemap_fault+0x10 [kernel]\n    --\n    main+0x16 [pcload] pcload.c:9\n"
		  "    0x7f0011223344 [unknown]\n    pcload (2062): 2000 major faults\n\n",
		  "faultstat --stacks: text");
	CAPTURE(buf, f, faultstat__print_folded(f, &st));
	CHECK_STR(buf, "pcload;[unknown];main;filemap_fault_[k] 2000\n", "faultstat --folded");
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
	test_schemas();
	return check_failures ? 1 : 0;
}
