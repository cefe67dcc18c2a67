// SPDX-License-Identifier: BSD-2-Clause
/*
 * memleak's C++ ground truth: allocations through libstdc++'s operator new,
 * whose caller memleak must name as the first frame (libstdc++ itself has
 * no frame pointers), with malloc inside it not counted again.
 *   cxxleaker HOLD_MS
 * Kept per call site (what memleak must report, exactly):
 *   make           50 x new Widget[100]          80000 (1600 bytes each)
 *   make_aligned    3 x new (align_val_t(256)) Page  12288 (4096 each)
 * Freed, never to be reported: churn (40 x new Widget, sized delete; 40 x
 * new (nothrow) Widget[10], delete[]). Prints "leaked" on stderr, holds
 * HOLD_MS, exits.
 */
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>

#define NOINLINE __attribute__((noinline, noclone))

struct Widget {
	int v[4];
};

struct alignas(256) Page {
	char b[4096];
};

/* visible to the linker, so the compiler keeps every allocation */
void *volatile keep[64];
volatile int nkeep;

NOINLINE void make()
{
	for (int i = 0; i < 50; i++)
		keep[nkeep++] = new Widget[100];
}

NOINLINE void make_aligned()
{
	for (int i = 0; i < 3; i++)
		keep[nkeep++] = new Page;
}

NOINLINE void churn()
{
	for (int i = 0; i < 40; i++) {
		Widget *volatile w = new Widget;
		Widget *volatile a = new (std::nothrow) Widget[10];

		delete w;
		delete[] a;
	}
}

int main(int argc, char **argv)
{
	long hold_ms = argc > 1 ? atol(argv[1]) : 1000;
	struct timespec ts = { hold_ms / 1000, hold_ms % 1000 * 1000000 };

	make();
	make_aligned();
	churn();
	fprintf(stderr, "leaked\n");
	nanosleep(&ts, NULL);
	return 0;
}
