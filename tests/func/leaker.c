// SPDX-License-Identifier: BSD-2-Clause
/*
 * memleak's ground truth: allocates from known functions, known counts and
 * sizes, keeps some and frees the rest (also from another thread), then
 * holds everything for HOLD_MS and exits without freeing.
 *   leaker [-s] [HOLD_MS [ARGS...]]   -s: stop itself (SIGSTOP) first
 * Kept per call site (what memleak must report, exactly):
 *   leak_malloc       37 x 4000             148000
 *   leak_big           3 x 1048576 (1 MiB)  3145728
 *   leak_calloc       11 x calloc(8, 1024)   90112
 *   leak_realloc       5 x realloc(100 -> 5000)  25000 (the 100-byte mallocs are gone)
 *   leak_memalign      7 x posix_memalign(64, 2048)  14336
 *   leak_aligned       2 x aligned_alloc(4096, 8192)  16384
 *   leak_mmap          4 x mmap(65536)       262144 (2 more are munmapped)
 *   leak_reallocarray  3 x reallocarray(NULL, 10, 300)  9000
 *   leak_realloc_fail  2 x 1500 (a failing realloc keeps them)  3000
 *   leak_thread        9 x 1234, in a second thread  11106
 *   leak_munmap_part   2 x mmap(65536), one without its second half, one
 *                      without its first 16 KiB  32768 + 49152 = 81920
 * Freed, never to be reported: free_all (50 x 3333), free_big (2 x 1 MiB),
 * free_elsewhere (20 x 7777 freed by another thread), free(NULL) x 10, and a
 * malloc that fails. ARGS are printed (stderr), so a test can check -c's argv.
 *
 *   leaker eventfd N   kernel-mode ground truth: opens N eventfds (each one
 *                      kmalloc of an eventfd_ctx in do_eventfd), prints
 *                      "ready", holds them until stdin closes, then exits
 *   leaker pairs N T [LIVE]
 *                      the benchmark's workload: T threads each do N
 *                      malloc(64)+free pairs, with LIVE malloc(64) blocks
 *                      held from before the pairs (0); prints "ns_per_pair
 *                      X" (wall) and "cpu_ns_per_pair X" (the process's
 *                      CPU over the pairs only, all threads)
 *   leaker spawn RATE SECS
 *                      the bench's process churn: forks RATE processes a
 *                      second for SECS seconds, each touching 16 pages and
 *                      exiting; prints "spawned N"
 *   leaker KIND BYTES  bcc's memleak test (tests/python/test_tools_memleak.py):
 *                      waits for a byte on stdin, then leaks BYTES through
 *                      one call of KIND (malloc, calloc, realloc of a
 *                      10-byte malloc, posix_memalign, valloc, memalign,
 *                      pvalloc, aligned_alloc; alignment 512) and exits
 *   leaker churn ROUNDS N PAUSE_MS HOLD_MS
 *                      a long run's ground truth: ROUNDS times, N
 *                      malloc(64)+free pairs called with %rbp holding a
 *                      different address each time, as code without frame
 *                      pointers leaves it (so each pair has a stack of its
 *                      own to the kernel's walk), then PAUSE_MS; then
 *                      leak_late() keeps 25 x 2000 (50000) bytes, prints
 *                      "leaked", holds them HOLD_MS and exits (x86-64; "no
 *                      churn" and exit 2 elsewhere)
 *   leaker sampled N SIZE HOLD_MS
 *                      -s RATE's ground truth: leak_sampled() keeps N
 *                      malloc(SIZE) blocks and frees N others, prints
 *                      "leaked", holds them HOLD_MS and exits
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

/* visible to the linker: the compiler may not drop allocations whose
 * pointers nobody reads (gcc removes a malloc whose result is unused) */
void *volatile keep[256];
volatile int nkeep;
static volatile size_t huge = (size_t)1 << 62;

static void hold(void *p)
{
	keep[nkeep++] = p;
}

NOINLINE static void leak_malloc(void)
{
	for (int i = 0; i < 37; i++)
		hold(malloc(4000));
}

NOINLINE static void leak_big(void)
{
	for (int i = 0; i < 3; i++) {
		char *p = malloc(1 << 20);

		memset(p, 1, 4096);
		hold(p);
	}
}

NOINLINE static void leak_calloc(void)
{
	for (int i = 0; i < 11; i++)
		hold(calloc(8, 1024));
}

NOINLINE static void leak_realloc(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = malloc(100);

		hold(realloc(p, 5000));
	}
}

NOINLINE static void leak_memalign(void)
{
	for (int i = 0; i < 7; i++) {
		void *p = NULL;

		if (!posix_memalign(&p, 64, 2048))
			hold(p);
	}
}

NOINLINE static void leak_aligned(void)
{
	for (int i = 0; i < 2; i++)
		hold(aligned_alloc(4096, 8192));
}

NOINLINE static void leak_mmap(void)
{
	for (int i = 0; i < 6; i++) {
		void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (i < 4)
			hold(p);
		else
			munmap(p, 65536);
	}
}

NOINLINE static void leak_munmap_part(void)
{
	char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(p + 32768, 32768);
	munmap(q, 16384);
	hold(p);
	hold(q + 16384);
}

NOINLINE static void leak_reallocarray(void)
{
	for (int i = 0; i < 3; i++)
		hold(reallocarray(NULL, 10, 300));
}

NOINLINE static void leak_realloc_fail(void)
{
	for (int i = 0; i < 2; i++) {
		void *p = malloc(1500);

		if (realloc(p, huge))
			abort(); /* cannot succeed */
		hold(p);
	}
	if (malloc(huge))
		abort();
}

NOINLINE static void free_all(void)
{
	void *p[50];

	for (int i = 0; i < 50; i++)
		p[i] = malloc(3333);
	for (int i = 0; i < 50; i++)
		free(p[i]);
	for (int i = 0; i < 10; i++)
		free(NULL);
}

NOINLINE static void free_big(void)
{
	for (int i = 0; i < 2; i++) {
		char *p = malloc(1 << 20);

		memset(p, 1, 4096);
		free(p);
	}
}

void *volatile xfree[20];

static void *freer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++)
		free(xfree[i]);
	return NULL;
}

NOINLINE static void free_elsewhere(void)
{
	pthread_t t;

	for (int i = 0; i < 20; i++)
		xfree[i] = malloc(7777);
	pthread_create(&t, NULL, freer, NULL);
	pthread_join(t, NULL);
}

void *volatile tkeep[9];

NOINLINE static void *leak_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 9; i++)
		tkeep[i] = malloc(1234);
	return NULL;
}

NOINLINE static void run_leaks(void)
{
	pthread_t t;

	leak_malloc();
	leak_big();
	leak_calloc();
	leak_realloc();
	leak_memalign();
	leak_aligned();
	leak_mmap();
	leak_munmap_part();
	leak_reallocarray();
	leak_realloc_fail();
	free_all();
	free_big();
	free_elsewhere();
	pthread_create(&t, NULL, leak_thread, NULL);
	pthread_join(t, NULL);
}

NOINLINE static void leak_sampled(long n, size_t size)
{
	for (long i = 0; i < n; i++) {
		void *volatile p = malloc(size);

		free(malloc(size));
		(void)p;
	}
}

/* one allocation of `bytes` through `kind`; 1 when kind is unknown */
NOINLINE static int leak_kind(const char *kind, size_t bytes)
{
	void *p = NULL;

	if (!strcmp(kind, "malloc"))
		p = malloc(bytes);
	else if (!strcmp(kind, "calloc"))
		p = calloc(bytes, 1);
	else if (!strcmp(kind, "realloc"))
		p = realloc(malloc(10), bytes);
	else if (!strcmp(kind, "posix_memalign")) {
		if (posix_memalign(&p, 512, bytes))
			p = NULL;
	} else if (!strcmp(kind, "valloc"))
		p = valloc(bytes);
	else if (!strcmp(kind, "memalign"))
		p = memalign(512, bytes);
	else if (!strcmp(kind, "pvalloc"))
		p = pvalloc(bytes);
	else if (!strcmp(kind, "aligned_alloc"))
		p = aligned_alloc(512, bytes);
	else
		return 1;
	hold(p);
	printf("leaking via %s, %p\n", kind, p);
	return 0;
}

#if defined(__x86_64__)
/* fn(arg) with %rbp = frame, as code built without frame pointers may
 * leave it when it calls the allocator: the kernel's frame-pointer walk
 * reads frame[1] as a return address */
void *call_with_rbp(void *(*fn)(size_t), size_t arg, void *frame);
__asm__(".text\n"
	".globl call_with_rbp\n"
	".type call_with_rbp, @function\n"
	"call_with_rbp:\n"
	"\tpush %rbp\n"
	"\tmov %rdx, %rbp\n"
	"\tmov %rdi, %rax\n"
	"\tmov %rsi, %rdi\n"
	"\tcall *%rax\n"
	"\tpop %rbp\n"
	"\tret\n"
	".size call_with_rbp, .-call_with_rbp\n");

NOINLINE static void churn(long round, long n)
{
	/* on the stack, above the allocator's frames, where a frame-pointer
	 * walk that wants frames to grow up the stack follows it */
	volatile unsigned long frame[2];

	for (long i = 0; i < n; i++) {
		/* no next frame; a return address in no mapped file */
		frame[0] = 0;
		frame[1] = 0x10000 + (unsigned long)(round * n + i) * 16;
		free(call_with_rbp(malloc, 64, (void *)frame));
	}
}
#endif

NOINLINE static void leak_late(void)
{
	for (int i = 0; i < 25; i++)
		hold(malloc(2000));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

static long pairs_n;

/* pairs' LIVE blocks: held until exit */
static void **live_blocks;
static long nlive, live_cap;

static int hold_live(void *p)
{
	if (!p)
		return 0;
	if (nlive == live_cap) {
		void **n = realloc(live_blocks, (live_cap = live_cap * 2 + 1024) * sizeof(*n));

		if (!n)
			return 0;
		live_blocks = n;
	}
	live_blocks[nlive++] = p;
	return 1;
}

static void *pairs(void *arg)
{
	(void)arg;
	for (long i = 0; i < pairs_n; i++) {
		void *volatile p = malloc(64);

		free(p);
	}
	return NULL;
}

static int run_pairs(long n, int nt, long live)
{
	pthread_t t[64];
	struct timespec a, b, ca, cb;

	pairs_n = n;
	if (nt < 1 || nt > 64 || live < 0)
		return 2;
	for (long i = 0; i < live; i++)
		if (!hold_live(malloc(64)))
			return 1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < nt; i++)
		pthread_create(&t[i], NULL, pairs, NULL);
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	printf("ns_per_pair %.1f\n",
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)(n * nt));
	printf("cpu_ns_per_pair %.1f\n",
	       ((cb.tv_sec - ca.tv_sec) * 1e9 + (cb.tv_nsec - ca.tv_nsec)) / (double)(n * nt));
	return 0;
}

/* RATE processes a second for SECS seconds, each touching 16 pages */
static int spawn(long rate, long secs)
{
	struct timespec t0, now;
	long n = 0, total = rate * secs;

	if (rate < 1 || secs < 1)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < total) {
		double due;
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (p == 0) {
			char *m = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m != MAP_FAILED)
				for (int i = 0; i < 16; i++)
					m[i * 4096] = 1;
			_exit(0);
		}
		n++;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		/* the n-th child is due at n / rate seconds */
		clock_gettime(CLOCK_MONOTONIC, &now);
		due = (double)n / rate - ((now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9);
		if (due > 0) {
			struct timespec ts = { (time_t)due, (long)((due - (time_t)due) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	while (wait(NULL) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("spawned %ld in %.3f s\n", n,
	       (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	long hold_ms = 2000;
	int a = 1;

	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "pairs"))
		return run_pairs(atol(argv[2]), atoi(argv[3]), argc == 5 ? atol(argv[4]) : 0);
	if (argc == 4 && !strcmp(argv[1], "spawn"))
		return spawn(atol(argv[2]), atol(argv[3]));
	if (argc == 6 && !strcmp(argv[1], "churn")) {
#if defined(__x86_64__)
		long pause = atol(argv[4]);

		for (long r = 0; r < atol(argv[2]); r++) {
			churn(r, atol(argv[3]));
			sleep_ms(pause);
		}
		leak_late();
		fprintf(stderr, "leaked\n");
		sleep_ms(atol(argv[5]));
		return 0;
#else
		fprintf(stderr, "no churn\n");
		return 2;
#endif
	}
	if (argc == 5 && !strcmp(argv[1], "sampled")) {
		leak_sampled(atol(argv[2]), atol(argv[3]));
		fprintf(stderr, "leaked\n");
		sleep_ms(atol(argv[4]));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "eventfd")) {
		int n = atoi(argv[2]);
		char c;

		for (int i = 0; i < n; i++)
			if (eventfd(0, 0) < 0) {
				perror("eventfd");
				return 1;
			}
		printf("ready\n");
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
		return 0;
	}
	if (argc == 3 && argv[1][0] != '-' && atol(argv[2]) > 0 && atol(argv[1]) == 0) {
		char c;

		if (read(0, &c, 1) < 0)
			return 1;
		return leak_kind(argv[1], atol(argv[2]));
	}
	if (a < argc && !strcmp(argv[a], "-s")) {
		raise(SIGSTOP);
		a++;
	}
	if (a < argc)
		hold_ms = atol(argv[a++]);
	run_leaks();
	/* stderr: under memleak -c, stdout is memleak's report stream */
	fprintf(stderr, "leaked, pid %d, args:", getpid());
	for (; a < argc; a++)
		fprintf(stderr, " %s", argv[a]);
	fprintf(stderr, "\n");
	sleep_ms(hold_ms);
	return 0;
}
