// SPDX-License-Identifier: BSD-2-Clause
/*
 * Anonymous-memory workload whose fault counts are known, for faultstat and
 * reclaimlat tests and the benchmark.
 *   memhog [-s] [-S] [-p PASSES] [-w] PAGES
 * Maps PAGES fresh anonymous pages (THP off for the region, so one fault
 * maps one page) and writes one byte to each page, PASSES times (default 1).
 * The first pass takes one minor fault per page; later passes take none
 * unless the pages were reclaimed in between (then swap-ins: major faults).
 * -s: stop (SIGSTOP) before the first pass, so a tracer can attach first.
 * -S: stop after every pass but the last, so a test can push the pages out
 *     (lower a memory cgroup's limit) before the next pass.
 * -w: read only after the first pass (no write: swap-in without re-dirtying).
 * After each pass prints "pass=N minflt=M majflt=J" from getrusage(RUSAGE_SELF)
 * deltas over that pass: the kernel's own count, the tests' ground truth.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
	int opt, stop_first = 0, stop_between = 0, read_later = 0;
	long pages, passes = 1, page = sysconf(_SC_PAGESIZE), p, i;
	volatile char *buf;
	struct rusage a, b;
	char *end;

	while ((opt = getopt(argc, argv, "sSp:w")) != -1) {
		switch (opt) {
		case 's': stop_first = 1; break;
		case 'S': stop_between = 1; break;
		case 'w': read_later = 1; break;
		case 'p': passes = strtol(optarg, &end, 10);
			if (*end || passes < 1) {
				fprintf(stderr, "memhog: bad passes '%s'\n", optarg);
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: memhog [-s] [-S] [-p PASSES] [-w] PAGES\n");
		return 2;
	}
	pages = strtol(argv[optind], &end, 10);
	if (*end || pages < 1) {
		fprintf(stderr, "memhog: bad page count '%s'\n", argv[optind]);
		return 2;
	}
	buf = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("memhog: mmap");
		return 1;
	}
	/* one fault per 4 KiB page, whatever the THP setting */
	madvise((void *)buf, pages * page, MADV_NOHUGEPAGE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stop_first)
		raise(SIGSTOP);
	for (p = 1; p <= passes; p++) {
		unsigned long sum = 0;

		getrusage(RUSAGE_SELF, &a);
		for (i = 0; i < pages; i++) {
			if (p > 1 && read_later)
				sum += buf[i * page];
			else
				buf[i * page] = (char)(p + i);
		}
		getrusage(RUSAGE_SELF, &b);
		printf("pass=%ld minflt=%ld majflt=%ld%s\n", p, b.ru_minflt - a.ru_minflt,
		       b.ru_majflt - a.ru_majflt, sum == 1 ? " " : "");
		if (stop_between && p < passes)
			raise(SIGSTOP);
	}
	return 0;
}
