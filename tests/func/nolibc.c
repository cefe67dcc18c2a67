// SPDX-License-Identifier: BSD-2-Clause
/*
 * A program without libc (-nostdlib -static): no allocator that memleak
 * knows, so `memleak -c` must refuse it instead of probing a libc it never
 * loads. It exits at once.
 */
void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
#elif defined(__aarch64__)
	__asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0");
#endif
	for (;;)
		;
}
