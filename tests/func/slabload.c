// SPDX-License-Identifier: BSD-2-Clause
/*
 * Slab workloads of known size for tests/func/slabratetop.sh:
 *   slabload dentries DIR N   stat() N names that do not exist in DIR: N
 *                             negative dentries
 *   slabload xattr FILE N     N setxattr(FILE, "user.memscope_absent", 3000 bytes,
 *                             XATTR_REPLACE): each copies the value into a
 *                             kmalloc'ed 3000-byte buffer (kmalloc-4k), frees it
 * Waits for a line on stdin first (so the tool is attached), prints "done"
 * and waits for stdin to close before exiting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char value[3000];
	char line[64], path[4096];
	struct stat st;
	long n, i;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: slabload dentries DIR N | xattr FILE N\n");
		return 2;
	}
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (i = 0; i < n; i++) {
		if (!strcmp(argv[1], "dentries")) {
			snprintf(path, sizeof(path), "%s/absent-%ld-%ld", argv[2], (long)getpid(), i);
			if (!stat(path, &st) || errno != ENOENT) {
				fprintf(stderr, "slabload: %s exists or: %s\n", path, strerror(errno));
				return 1;
			}
		} else {
			if (!setxattr(argv[2], "user.memscope_absent", value, sizeof(value),
				      XATTR_REPLACE)) {
				fprintf(stderr, "slabload: setxattr succeeded\n");
				return 1;
			}
		}
	}
	printf("done\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}
