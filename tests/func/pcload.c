// SPDX-License-Identifier: BSD-2-Clause
/*
 * Page-cache workloads whose answer is known, for functional tests and the
 * benchmark.
 *   pcload create FILE NPAGES    write NPAGES pages, fsync, evict
 *   pcload evict FILE            fsync + POSIX_FADV_DONTNEED
 *   pcload resident FILE         print the number of cached pages (mincore)
 *   pcload pin FILE...           map and mlock the files, print "pinned", wait for a signal:
 *                                keeps it cached against page-cache dropping from outside
 *   pcload [-s] [-n REPS] read FILE [CHUNK]  buffered read() of the whole file
 *   pcload [-s] sendfile FILE    sendfile() the whole file to /dev/null
 *   pcload [-s] mmap FILE [random]  touch one byte of every page of a mapping
 *   pcload [-s] write FILE NPAGES  write NPAGES new pages with write()
 *   pcload [-s] rewrite FILE NPAGES  write over the first NPAGES pages in place
 * -s: stop (SIGSTOP) before the work, so a tracer can attach to the pid first.
 * -n: repeat the work REPS times (benchmark).
 * Prints "pages=N" on stdout: the number of pages the work asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#define PAGE 4096L

static void die(const char *what, const char *file)
{
	fprintf(stderr, "pcload: %s %s: %s\n", what, file, strerror(errno));
	exit(1);
}

static int open_or_die(const char *file, int flags)
{
	int fd = open(file, flags, 0644);

	if (fd < 0)
		die("open", file);
	return fd;
}

static long file_pages(int fd, const char *file)
{
	struct stat st;

	if (fstat(fd, &st))
		die("stat", file);
	return (st.st_size + PAGE - 1) / PAGE;
}

static void evict(const char *file)
{
	int fd = open_or_die(file, O_RDWR);

	if (fsync(fd))
		die("fsync", file);
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		die("fadvise", file);
	close(fd);
}

static long write_pages(const char *file, long n, int flags)
{
	static char buf[32 * PAGE];
	int fd = open_or_die(file, flags);
	long done = 0;

	memset(buf, 'm', sizeof(buf));
	while (done < n) {
		long chunk = n - done < 32 ? n - done : 32;

		if (write(fd, buf, chunk * PAGE) != chunk * PAGE)
			die("write", file);
		done += chunk;
	}
	close(fd);
	return n;
}

/* Maps the whole file read-only; *pages gets its size, NULL when empty. */
static char *map_file(const char *file, long *pages)
{
	int fd = open_or_die(file, O_RDONLY);
	char *p;

	*pages = file_pages(fd, file);
	if (!*pages) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, *pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap", file);
	close(fd);
	return p;
}

static long resident(const char *file)
{
	long n, i, r = 0;
	unsigned char *vec;
	char *p = map_file(file, &n);

	if (!p)
		return 0;
	vec = malloc(n);
	if (!vec || mincore(p, n * PAGE, vec))
		die("mincore", file);
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	munmap(p, n * PAGE);
	free(vec);
	return r;
}

static long do_read(const char *file, long chunk)
{
	int fd = open_or_die(file, O_RDONLY);
	long n = file_pages(fd, file);
	char *buf = malloc(chunk);
	ssize_t r;

	if (!buf)
		die("malloc", file);
	while ((r = read(fd, buf, chunk)) > 0)
		;
	if (r < 0)
		die("read", file);
	free(buf);
	close(fd);
	return n;
}

static long do_sendfile(const char *file)
{
	int fd = open_or_die(file, O_RDONLY), out = open_or_die("/dev/null", O_WRONLY);
	long n = file_pages(fd, file);
	off_t off = 0;
	ssize_t r;

	while ((r = sendfile(out, fd, &off, 1 << 20)) > 0)
		;
	if (r < 0)
		die("sendfile", file);
	close(out);
	close(fd);
	return n;
}

static long do_mmap(const char *file, int random)
{
	volatile char sum = 0;
	long n, i;
	char *p = map_file(file, &n);

	if (!p)
		return 0;
	if (random && madvise(p, n * PAGE, MADV_RANDOM))
		die("madvise", file);
	for (i = 0; i < n; i++)
		sum += p[i * PAGE];
	munmap(p, n * PAGE);
	return n;
}

int main(int argc, char **argv)
{
	int stop = 0, opt;
	long reps = 1, r, pages = 0;
	const char *cmd, *file;

	while ((opt = getopt(argc, argv, "+sn:")) != -1) {
		if (opt == 's')
			stop = 1;
		else if (opt == 'n')
			reps = atol(optarg);
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: pcload [-s] [-n REPS] create|evict|resident|read|sendfile|"
				"mmap|write FILE [ARG]\n");
		return 2;
	}
	cmd = argv[optind];
	file = argv[optind + 1];

	if (!strcmp(cmd, "create")) {
		write_pages(file, atol(argv[optind + 2]), O_WRONLY | O_CREAT | O_TRUNC);
		evict(file);
		return 0;
	}
	if (!strcmp(cmd, "evict")) {
		evict(file);
		return 0;
	}
	if (!strcmp(cmd, "pin")) {
		long n, total = 0;
		int i;

		for (i = optind + 1; i < argc; i++) {
			char *p = map_file(argv[i], &n);

			if (p && mlock(p, n * PAGE))
				die("mlock", argv[i]);
			total += n;
		}
		printf("pinned %ld\n", total);
		fflush(stdout);
		pause();
		return 0;
	}
	if (!strcmp(cmd, "resident")) {
		printf("%ld\n", resident(file));
		return 0;
	}
	if (stop) {
		/* fault in our own code and libc now, so that the traced work
		 * shows only the pages it asks for */
		if (mlockall(MCL_CURRENT) == 0)
			munlockall();
		raise(SIGSTOP);
	}
	for (r = 0; r < reps; r++) {
		if (!strcmp(cmd, "read"))
			pages += do_read(file, argc - optind > 2 ? atol(argv[optind + 2]) : 128 * 1024);
		else if (!strcmp(cmd, "sendfile"))
			pages += do_sendfile(file);
		else if (!strcmp(cmd, "mmap"))
			pages += do_mmap(file, argc - optind > 2 && !strcmp(argv[optind + 2], "random"));
		else if (!strcmp(cmd, "write"))
			pages += write_pages(file, atol(argv[optind + 2]),
					     O_WRONLY | O_CREAT | O_TRUNC);
		else if (!strcmp(cmd, "rewrite"))
			pages += write_pages(file, atol(argv[optind + 2]), O_WRONLY);
		else {
			fprintf(stderr, "pcload: unknown command %s\n", cmd);
			return 2;
		}
	}
	printf("pages=%ld\n", pages);
	return 0;
}
