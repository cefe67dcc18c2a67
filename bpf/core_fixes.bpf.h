/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CO-RE shims for kernel layout changes, each naming the kernel that changed.
 * Only BPF_CORE_READ-style reads here, so one program serves both sides of a
 * change and the verifier never sees a type it does not know.
 */
#ifndef MEMSCOPE_CORE_FIXES_BPF_H
#define MEMSCOPE_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/* v5.16..v6.8 kept a large folio's page count in folio->_folio_nr_pages;
 * commit "mm: Rename folio->_folio_nr_pages to folio->_nr_pages" (v6.9ish)
 * renamed it. Order-0 folios have neither set: test PG_head first. */
struct folio___pre69 {
	unsigned int _folio_nr_pages;
} __attribute__((preserve_access_index));

static __always_inline __u64 folio__nr_pages(struct folio *folio)
{
	unsigned long flags = 0;
	struct folio___pre69 *old = (void *)folio;

	/* folio->flags became memdesc_flags_t (a one-word struct) in v6.18;
	 * reading the first word works on both layouts */
	bpf_core_read(&flags, sizeof(flags), &folio->flags);
	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	if (bpf_core_field_exists(folio->_nr_pages))
		return BPF_CORE_READ(folio, _nr_pages);
	if (bpf_core_field_exists(old->_folio_nr_pages))
		return BPF_CORE_READ(old, _folio_nr_pages);
	return 1;
}

/* task->ioac.syscr counts read syscalls and is bumped after each one
 * completes (vfs_read, do_readv, do_sendfile): a cheap id of the read
 * syscall in progress. Needs CONFIG_TASK_IO_ACCOUNTING; 0 without it. */
static __always_inline __u64 task__read_syscalls(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->ioac))
		return 0;
	return BPF_CORE_READ(task, ioac.syscr);
}

#endif
