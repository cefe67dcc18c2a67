// SPDX-License-Identifier: BSD-2-Clause
/*
 * oomvictim MIB [HOLD]: touches MIB MiB of anonymous memory page by page,
 * writing the bytes touched so far to stdout after every 64 KiB ("N\n",
 * unbuffered), so whoever reads the pipe knows what it had when it died.
 * With HOLD (any second argument) it then waits for a signal instead of
 * exiting: a process that holds memory for the OOM killer to rank.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define REPORT (64UL * 1024)

int main(int argc, char **argv)
{
	unsigned long mib, size, off;
	char line[32];
	char *p;
	int n;

	if (argc < 2 || (mib = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: oomvictim MIB [hold]\n");
		return 2;
	}
	size = mib << 20;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("oomvictim: mmap");
		return 1;
	}
	for (off = 0; off < size; off += PAGE) {
		p[off] = 1;
		if ((off + PAGE) % REPORT == 0) {
			n = snprintf(line, sizeof(line), "%lu\n", off + PAGE);
			if (write(1, line, n) != n)
				return 1;
		}
	}
	if (argc > 2)
		for (;;)
			pause();
	return 0;
}
