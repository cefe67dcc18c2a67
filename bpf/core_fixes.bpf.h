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

/* v5.16..v6.14 kept a large folio's page count in folio->_folio_nr_pages
 * (64-bit); v6.15 renamed it _nr_pages (commit 4996fc547f5b "mm: let
 * _folio_nr_pages overlay memcg_data in first tail page"). Order-0 folios
 * have neither set: test PG_head first. */
struct folio___pre69 {
	unsigned int _folio_nr_pages;
} __attribute__((preserve_access_index));

/* folio->flags (and page->flags) became memdesc_flags_t, a one-word
 * struct, in v6.18 (commit 53fbef56e07d "mm: introduce memdesc_flags_t");
 * before, a plain unsigned long. CO-RE will not relocate a field across the
 * two kinds, so each layout gets its own flavor. */
struct folio___flags_word {
	unsigned long flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long folio__flags(struct folio *folio)
{
	struct folio___flags_word *old = (void *)folio;

	if (bpf_core_field_exists(old->flags))
		return BPF_CORE_READ(old, flags);
	return BPF_CORE_READ(folio, flags.f);
}

static __always_inline __u64 folio__nr_pages(struct folio *folio)
{
	struct folio___pre69 *old = (void *)folio;
	unsigned long flags = folio__flags(folio);

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
 * syscall in progress. Needs CONFIG_TASK_IO_ACCOUNTING; 0 without it.
 * btf: read it through bpf_get_current_task_btf() (v5.11+; BTF-typed
 * programs), a direct load, instead of bpf_probe_read_kernel. */
static __always_inline __u64 task__read_syscalls(bool btf)
{
	struct task_struct *task;

	if (btf) {
		task = bpf_get_current_task_btf();
		return bpf_core_field_exists(task->ioac) ? task->ioac.syscr : 0;
	}
	task = (struct task_struct *)bpf_get_current_task();
	if (!bpf_core_field_exists(task->ioac))
		return 0;
	return BPF_CORE_READ(task, ioac.syscr);
}

#endif
