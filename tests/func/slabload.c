// SPDX-License-Identifier: BSD-2-Clause
/*
 * Slab workloads of known size for tests/func/slabratetop.sh:
 *   slabload dentries DIR N   stat() N names that do not exist in DIR: N
 *                             negative dentries
 *   slabload xattr FILE N     N setxattr(FILE, "user.memscope_absent", 3000 bytes,
 *                             XATTR_REPLACE): each copies the value into a
 *                             kmalloc'ed 3000-byte buffer (kmalloc-4k), frees it
 * Waits for a line on stdin first (so the tool is attached), prints "done"
 * and waits for stdin to close before exiting. Built with frame pointers:
 * slabratetop --stacks must name dentries_load in the dentries' user stack
 * (stat_absent's own frame is skipped by a frame-pointer walk from libc's
 * syscall wrapper, which makes none).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static __attribute__((noinline)) int stat_absent(const char *dir, long i)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/absent-%ld-%ld", dir, (long)getpid(), i);
	if (!stat(path, &st) || errno != ENOENT) {
		fprintf(stderr, "slabload: %s exists or: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static __attribute__((noinline)) int dentries_load(const char *dir, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (stat_absent(dir, i))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static char value[3000];
	char line[64];
	long n, i;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: slabload dentries DIR N | xattr FILE N\n");
		return 2;
	}
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	if (!strcmp(argv[1], "dentries") && dentries_load(argv[2], n))
		return 1;
	for (i = 0; strcmp(argv[1], "dentries") && i < n; i++) {
		if (!setxattr(argv[2], "user.memscope_absent", value, sizeof(value),
			      XATTR_REPLACE)) {
			fprintf(stderr, "slabload: setxattr succeeded\n");
			return 1;
		}
	}
	printf("done\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
