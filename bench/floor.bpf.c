// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The bench's floor: empty programs on the hooks a tool uses, so that a
 * run traced by them costs what the kernel's machinery costs (the trap, the
 * uprobe's handler, the return trampoline) and nothing a tool could save.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

SEC("uprobe")
int floor_uprobe(void *ctx)
{
	return 0;
}

/* cachestat's read hook (a cached read() fires only this one) */
SEC("tp_btf/mm_filemap_get_pages")
int floor_get_pages(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
