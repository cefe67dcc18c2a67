// SPDX-License-Identifier: BSD-2-Clause
/* badframe N: stops itself, then makes 2N mallocs of 100 bytes from one
 * call site with %rbp pointing at a fake frame whose return address is a
 * different garbage value each time (N non-canonical, N canonical but in no
 * mapping), as code built without frame pointers leaves %rbp; then waits
 * to be killed. A frame-pointer walk reads [call site, garbage]: one call
 * site, one stack once the garbage is cut. x86-64 only (exit 77 elsewhere). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long long fake[2]; /* { next frame pointer, return address } */
void *badframe_blocks[256];

#if defined(__x86_64__)
__attribute__((noinline)) static void *badframe_site(unsigned long long garbage)
{
	void *p;

	fake[0] = 0;
	fake[1] = garbage;
	/* past the red zone, 16-byte aligned for the call; %rbp and %rsp
	 * kept in callee-saved registers */
	asm volatile("mov %%rsp, %%r13\n\t"
		     "mov %%rbp, %%r12\n\t"
		     "sub $128, %%rsp\n\t"
		     "and $-16, %%rsp\n\t"
		     "mov %[fp], %%rbp\n\t"
		     "mov $100, %%edi\n\t"
		     "call malloc@PLT\n\t"
		     "mov %%r12, %%rbp\n\t"
		     "mov %%r13, %%rsp"
		     : "=a"(p)
		     : [fp] "r"(fake)
		     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "memory",
		       "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	return p;
}
#endif

int main(int argc, char **argv)
{
#if defined(__x86_64__)
	int i, n = argc > 1 ? atoi(argv[1]) : 8;

	raise(SIGSTOP);
	for (i = 0; i < n && i < 128; i++) {
		badframe_blocks[2 * i] = badframe_site(0xa7757be1366c4183ULL + i * 0x10000);
		badframe_blocks[2 * i + 1] = badframe_site(0x00007ff000000000ULL + i * 0x10000);
	}
	for (;;)
		pause();
#else
	fprintf(stderr, "badframe: x86-64 only\n");
	return 77;
#endif
}
