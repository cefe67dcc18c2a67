// SPDX-License-Identifier: BSD-2-Clause
/* maplib LIB N: loads LIB, stops itself (the test then deletes LIB and
 * plants files under its name, and attaches memleak), then leaks N blocks
 * from LIB's msfuzz_leak and waits to be killed. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	void *(*leak)(int);
	void *h;

	if (argc != 3) {
		fprintf(stderr, "usage: maplib LIB N\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW);
	leak = h ? (void *(*)(int))dlsym(h, "msfuzz_leak") : NULL;
	if (!leak) {
		fprintf(stderr, "maplib: %s\n", dlerror());
		return 1;
	}
	raise(SIGSTOP);
	leak(atoi(argv[2]));
	for (;;)
		pause();
}
