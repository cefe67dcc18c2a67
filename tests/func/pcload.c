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
 *   pcload [-s] pread FILE [CHUNK]   the same with pread() at explicit offsets
 *   pcload [-s] readv FILE [CHUNK]   the same with readv() of 4 buffers of CHUNK/4
 *   pcload [-s] sendfile FILE    sendfile() the whole file to /dev/null
 *   pcload [-s] splice FILE      splice() the whole file through a pipe to /dev/null
 *   pcload [-s] mmap FILE [normal|random|sequential|hugepage|cow]  touch one byte
 *                                of every page of a mapping, after that madvise();
 *                                hugepage also aligns the mapping to 2 MiB; cow
 *                                writes the byte into a private mapping instead
 *   pcload [-s] write FILE NPAGES  write NPAGES new pages with write()
 *   pcload [-s] rewrite FILE NPAGES  write over the first NPAGES pages in place
 *   pcload [-s] partial FILE NPAGES  write 100 bytes at the start of each of the
 *                                first NPAGES pages (a partial write of each page)
 * -s: stop (SIGSTOP) before the work, so a tracer can attach to the pid first.
 * -w MS: spread the work over time, sleeping MS ms after every 1 MiB, so that
 *        it spans several report intervals.
 * -n: repeat the work REPS times (benchmark).
 * -i: also print "read_pages=N": the pages this process read from storage, the
 *     kernel's own count (read_bytes of /proc/self/io, counted as each read bio
 *     is submitted), or "read_pages=-" where the kernel keeps no I/O accounting.
 * Prints "pages=N" on stdout: the number of pages the work asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define PAGE 4096L
#define PMD_SIZE (2L << 20)

static long pace_ms;	/* -w */

/* read_bytes of /proc/self/io in pages, or -1 without task I/O accounting */
static long read_pages(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long b = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "read_bytes: %lld", &b) == 1)
			break;
	fclose(f);
	return b < 0 ? -1 : (long)(b / PAGE);
}

/* Called after every `bytes` of work: sleeps pace_ms per MiB done. */
static void pace(long bytes)
{
	static long done;
	struct timespec d = { .tv_sec = pace_ms / 1000, .tv_nsec = (pace_ms % 1000) * 1000000 };

	if (!pace_ms)
		return;
	for (done += bytes; done >= (1L << 20); done -= 1L << 20)
		nanosleep(&d, NULL);
}

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

static long write_partial(const char *file, long n)
{
	static char buf[100];
	int fd = open_or_die(file, O_WRONLY);
	long i;

	memset(buf, 'p', sizeof(buf));
	for (i = 0; i < n; i++)
		if (pwrite(fd, buf, sizeof(buf), i * PAGE) != sizeof(buf))
			die("pwrite", file);
	close(fd);
	return n;
}

/* Maps the whole file read-only, at a 2 MiB-aligned address with `align`
 * (so that the kernel can map a 2 MiB folio with one PMD); *pages gets its
 * size, NULL when empty. */
static char *map_file_at(const char *file, long *pages, int align, int cow)
{
	int fd = open_or_die(file, O_RDONLY);
	char *p, *hint = NULL;

	*pages = file_pages(fd, file);
	if (!*pages) {
		close(fd);
		return NULL;
	}
	if (align) {
		char *r = mmap(NULL, *pages * PAGE + PMD_SIZE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (r == MAP_FAILED)
			die("mmap", "(reserve)");
		hint = (char *)(((unsigned long)r + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	}
	p = mmap(hint, *pages * PAGE, PROT_READ | (cow ? PROT_WRITE : 0),
		 (cow ? MAP_PRIVATE : MAP_SHARED) | (hint ? MAP_FIXED : 0), fd, 0);
	if (p == MAP_FAILED)
		die("mmap", file);
	close(fd);
	return p;
}

static char *map_file(const char *file, long *pages)
{
	return map_file_at(file, pages, 0, 0);
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

enum read_how { READ, PREAD, READV };

static long do_read(const char *file, long chunk, enum read_how how)
{
	int fd = open_or_die(file, O_RDONLY);
	long n = file_pages(fd, file), q = chunk / 4;
	char *buf = malloc(chunk);
	struct iovec iov[4];
	off_t off = 0;
	ssize_t r;
	int i;

	if (!buf)
		die("malloc", file);
	for (i = 0; i < 4; i++) {
		iov[i].iov_base = buf + i * q;
		iov[i].iov_len = i < 3 ? q : chunk - 3 * q;
	}
	do {
		if (how == PREAD)
			r = pread(fd, buf, chunk, off);
		else if (how == READV)
			r = readv(fd, iov, 4);
		else
			r = read(fd, buf, chunk);
		if (r > 0) {
			off += r;
			pace(r);
		}
	} while (r > 0);
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
		pace(r);
	if (r < 0)
		die("sendfile", file);
	close(out);
	close(fd);
	return n;
}

static long do_splice(const char *file)
{
	int fd = open_or_die(file, O_RDONLY), out = open_or_die("/dev/null", O_WRONLY), p[2];
	long n = file_pages(fd, file);
	ssize_t r, w;

	if (pipe(p))
		die("pipe", file);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	while ((r = splice(fd, NULL, p[1], NULL, 1 << 20, 0)) > 0) {
		for (w = 0; w < r;) {
			ssize_t k = splice(p[0], NULL, out, NULL, r - w, 0);

			if (k <= 0)
				die("splice", "/dev/null");
			w += k;
		}
		pace(r);
	}
	if (r < 0)
		die("splice", file);
	close(p[0]);
	close(p[1]);
	close(out);
	close(fd);
	return n;
}

static long do_mmap(const char *file, const char *advice)
{
	volatile char sum = 0;
	int adv = MADV_NORMAL, align = 0, cow = 0;
	long n, i;
	char *p;

	if (!strcmp(advice, "random"))
		adv = MADV_RANDOM;
	else if (!strcmp(advice, "sequential"))
		adv = MADV_SEQUENTIAL;
	else if (!strcmp(advice, "hugepage"))
		adv = MADV_HUGEPAGE, align = 1;
	else if (!strcmp(advice, "cow"))
		cow = 1;
	else if (strcmp(advice, "normal")) {
		fprintf(stderr, "pcload: unknown mmap advice %s\n", advice);
		exit(2);
	}
	p = map_file_at(file, &n, align, cow);
	if (!p)
		return 0;
	if (adv != MADV_NORMAL && madvise(p, n * PAGE, adv))
		die("madvise", file);
	for (i = 0; i < n; i++) {
		if (cow)
			p[i * PAGE] = 1;
		else
			sum += p[i * PAGE];
		pace(PAGE);
	}
	munmap(p, n * PAGE);
	return n;
}

int main(int argc, char **argv)
{
	int stop = 0, io = 0, opt;
	long rp0 = 0;
	long reps = 1, r, pages = 0, chunk;
	const char *cmd, *file, *arg;

	while ((opt = getopt(argc, argv, "+sin:w:")) != -1) {
		if (opt == 's')
			stop = 1;
		else if (opt == 'i')
			io = 1;
		else if (opt == 'n')
			reps = atol(optarg);
		else if (opt == 'w')
			pace_ms = atol(optarg);
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: pcload [-s] [-i] [-n REPS] [-w MS] create|evict|resident|pin|read|"
				"pread|readv|sendfile|splice|mmap|write|rewrite FILE [ARG]\n");
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
	/* the work's own reads only: not the faults of start-up */
	if (io)
		rp0 = read_pages();
	arg = argc - optind > 2 ? argv[optind + 2] : NULL;
	chunk = arg ? atol(arg) : 128 * 1024;
	for (r = 0; r < reps; r++) {
		if (!strcmp(cmd, "read"))
			pages += do_read(file, chunk, READ);
		else if (!strcmp(cmd, "pread"))
			pages += do_read(file, chunk, PREAD);
		else if (!strcmp(cmd, "readv"))
			pages += do_read(file, chunk, READV);
		else if (!strcmp(cmd, "sendfile"))
			pages += do_sendfile(file);
		else if (!strcmp(cmd, "splice"))
			pages += do_splice(file);
		else if (!strcmp(cmd, "mmap"))
			pages += do_mmap(file, arg ? arg : "normal");
		else if (!strcmp(cmd, "write"))
			pages += write_pages(file, atol(argv[optind + 2]),
					     O_WRONLY | O_CREAT | O_TRUNC);
		else if (!strcmp(cmd, "rewrite"))
			pages += write_pages(file, atol(argv[optind + 2]), O_WRONLY);
		else if (!strcmp(cmd, "partial"))
			pages += write_partial(file, atol(argv[optind + 2]));
		else {
			fprintf(stderr, "pcload: unknown command %s\n", cmd);
			return 2;
		}
	}
	printf("pages=%ld\n", pages);
	if (io) {
		long rp = read_pages();

		if (rp < 0)
			printf("read_pages=-\n");
		else
			printf("read_pages=%ld\n", rp - rp0);
	}
	return 0;
}
