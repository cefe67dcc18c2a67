// SPDX-License-Identifier: BSD-2-Clause
/*
 * Short-lived processes and threads with known fault counts, for faultstat.
 *   faultstat_spawn [-s] [-t THREADS] CHILDREN PAGES
 * Forks CHILDREN processes one after another; each starts THREADS threads
 * (default 0) that each touch PAGES fresh anonymous pages and exit, touches
 * PAGES pages itself, and exits right away. Each child prints
 * "pid=P minflt=M majflt=J" with its whole getrusage(RUSAGE_SELF) count,
 * which includes its exited threads and everything since the fork: the
 * ground truth for a process that lives a few milliseconds.
 * -s: stop (SIGSTOP) before the first fork, so a tracer can attach first.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static long pages, page;

static void *touch(void *arg)
{
	char *buf = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	long i;

	if (buf == MAP_FAILED)
		exit(1);
	madvise(buf, pages * page, MADV_NOHUGEPAGE);
	for (i = 0; i < pages; i++)
		buf[i * page] = 1;
	return arg;
}

int main(int argc, char **argv)
{
	int opt, stop = 0;
	long children, threads = 0, c, t;
	struct rusage ru;

	while ((opt = getopt(argc, argv, "st:")) != -1) {
		if (opt == 's')
			stop = 1;
		else if (opt == 't')
			threads = atol(optarg);
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: faultstat_spawn [-s] [-t THREADS] CHILDREN PAGES\n");
		return 2;
	}
	children = atol(argv[optind]);
	pages = atol(argv[optind + 1]);
	page = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stop)
		raise(SIGSTOP);
	for (c = 0; c < children; c++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			pthread_t tid[64];
			char line[96];
			int n;

			for (t = 0; t < threads && t < 64; t++)
				pthread_create(&tid[t], NULL, touch, NULL);
			for (t = 0; t < threads && t < 64; t++)
				pthread_join(tid[t], NULL);
			touch(NULL);
			getrusage(RUSAGE_SELF, &ru);
			n = snprintf(line, sizeof(line), "pid=%d minflt=%ld majflt=%ld\n", getpid(),
				     ru.ru_minflt, ru.ru_majflt);
			/* write(2) and _exit: no stdio buffers to fault in after the count */
			if (write(1, line, n) != n)
				_exit(1);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	return 0;
}
