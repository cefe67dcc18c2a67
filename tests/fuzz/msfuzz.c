// SPDX-License-Identifier: BSD-2-Clause
/* The small library the symbolizer's fuzz test mutates (tests/fuzz/gen.py)
 * and the planted-file tests load: one function that allocates, so a
 * process that loads it has a stack frame inside it. */
#include <stdlib.h>

void *msfuzz_blocks[64];

__attribute__((noinline)) void *msfuzz_leak(int n)
{
	int i;

	for (i = 0; i < n && i < 64; i++)
		msfuzz_blocks[i] = malloc(1000 + i);
	return msfuzz_blocks[0];
}
