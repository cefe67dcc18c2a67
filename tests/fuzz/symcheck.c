// SPDX-License-Identifier: BSD-2-Clause
/* The symbolizer's two ways into a file, for the fuzz test:
 *   symcheck offsets FILE NAME...  uprobe offsets, as memleak -O reads them
 *   symcheck map FILE OFFSET...    a child maps FILE; its frames at FILE's
 *                                  start + OFFSET are symbolized as memleak
 *                                  symbolizes a traced process
 * Prints one line per result, or one "symcheck: ..." line and exits 1.
 * -v messages (what was not read, and why) go to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "stack.h"
#include "sym.h"
#include "symfile.h"

static int check_offsets(const char *path, int n, char **names)
{
	unsigned long long offs[16];
	int i, err;

	if (n > 16)
		n = 16;
	err = syms__func_offsets(path, (const char *const *)names, n, offs);
	if (err) {
		log__err("%s: %s", path, symfile__strerror(err));
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s 0x%llx\n", names[i], offs[i]);
	return 0;
}

static int check_map(const char *path, int n, char **offs)
{
	int fds[2], i, rc = 0;
	unsigned long long base;
	struct syms *s;
	pid_t child;

	if (pipe(fds))
		return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		int fd = open(path, O_RDONLY | O_NONBLOCK);
		struct stat st;
		void *p = MAP_FAILED;

		if (fd >= 0 && !fstat(fd, &st) && st.st_size > 0)
			p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		base = p == MAP_FAILED ? 0 : (unsigned long long)(unsigned long)p;
		if (write(fds[1], &base, sizeof(base)) != sizeof(base))
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &base, sizeof(base)) != sizeof(base) || !base) {
		log__err("%s: cannot be mapped", path);
		rc = 1;
		goto out;
	}
	s = syms__new_pid(child);
	if (!s) {
		log__err("cannot read the maps of pid %d: %s", child, strerror(errno));
		rc = 1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned long long addr = base + strtoull(offs[i], NULL, 0);
		struct frame f = { .addr = addr };
		char buf[1024];

		syms__resolve(s, addr, true, &f.si);
		stack__frame_text(&f, buf, sizeof(buf));
		printf("frame %s\n", buf);
	}
	/* an address in no mapping ends a stack */
	{
		struct sym_info si;

		if (syms__resolve(s, 0xa7757be1366c4183ULL, true, &si) != -ENOENT) {
			log__err("a garbage address resolved to [%s]", si.module ?: "?");
			rc = 1;
		}
	}
	syms__free(s);
out:
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}

int main(int argc, char **argv)
{
	log__init("symcheck", 1);
	if (argc >= 4 && !strcmp(argv[1], "offsets"))
		return check_offsets(argv[2], argc - 3, argv + 3);
	if (argc >= 4 && !strcmp(argv[1], "map"))
		return check_map(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: symcheck offsets FILE NAME... | map FILE OFFSET...\n");
	return 2;
}
