/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_USER_MEMLEAK_H
#define MEMSCOPE_USER_MEMLEAK_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "memleak.abi.h"
#include "module.h"
#include "probe.h"

/*
 * memleak's BPF side: user mode (bpf/memleak.bpf.c, uprobes on one
 * process's allocator) or kernel mode (bpf/kmemleak.bpf.c, the kmem
 * tracepoints through user/probe). Both fill the same tables: allocs
 * (address -> size, time, stack id), stacks, combined, counters.
 */
enum kmemleak_event {
	KML_KMALLOC,
	KML_KMALLOC_NODE,
	KML_CACHE_ALLOC,
	KML_CACHE_ALLOC_NODE,
	KML_KFREE,
	KML_CACHE_FREE,
	KML_PAGE_ALLOC,
	KML_PAGE_FREE,
	KML_PERCPU_ALLOC,	/* the percpu events come last: only with --percpu */
	KML_PERCPU_FREE,
	KML_NR_EVENTS,
};
extern const struct probe_event kmemleak__events[KML_NR_EVENTS];
extern const char *const memleak__fn_names[ML_NR_FNS];

/* The C++ runtime's allocation functions, by mangled name (LP64) */
#define ML_NR_CXX 20
struct memleak_cxx_fn {
	const char *sym;
	const char *name;	/* demangled */
	int fn;			/* ML_NEW or ML_DELETE */
};
extern const struct memleak_cxx_fn memleak__cxx_fns[ML_NR_CXX];

struct memleak_opts {
	struct module_opts mo;		/* mo.tgid: user mode's process */
	/* user mode: the allocator library (memleak__find_libs) */
	char lib[PATH_MAX];
	/* user mode: file offset per function, 0 when the library lacks it */
	unsigned long long offsets[ML_NR_FNS];
	/* user mode: the C++ runtime (libstdc++, or a static binary), "":
	 * none; file offset per memleak__cxx_fns entry, 0 when absent */
	char cxx_lib[PATH_MAX];
	unsigned long long cxx_offsets[ML_NR_CXX];
	bool percpu;			/* kernel mode: the percpu events too */
	bool combined_only;
	unsigned long long min_size, max_size;
	unsigned int sample_rate;
	unsigned int max_allocs, max_stacks;	/* 0: defaults */
	bool per_function_links;	/* never one uprobe_multi link */
	bool no_task_storage;		/* tests: the per-CPU stack buffer of < v5.11 */
	bool no_session;		/* tests: no uprobe session link (v6.13+) */
};

/*
 * The two data sources (module.h), both with struct memleak_opts and
 * struct memleak as state: memleak__module, user mode (mo.tgid's
 * allocator; its variants are the links, session, uprobe_multi or one per
 * function, times the stack buffer, task storage or per CPU, each traced
 * on the load test itself through self_target), and kmemleak__module,
 * kernel mode.
 */
extern const struct module_ops memleak__module;
extern const struct module_ops kmemleak__module;

struct memleak_bpf;
struct kmemleak_bpf;

struct memleak {
	struct memleak_bpf *uskel;
	struct kmemleak_bpf *kskel;
	struct probe_set probes;	/* kernel mode */
	bool multi;			/* user mode: uprobe_multi links */
	bool session;			/* user mode: one uprobe session link */
	bool task_storage;		/* user mode: stacks read through task storage,
					 * else a per-CPU buffer */
	int multi_fds[4];		/* entry and return links per library; -1: none */
	struct bpf_link *links[2 * ML_MAX_PROBES];
	int n_links;
	int allocs_fd, stacks_fd, combined_fd, counters_fd;
	unsigned int max_allocs, max_stacks;	/* table sizes */
	/* the stacks memleak__gc_stacks deleted last time, sorted by id */
	__u64 *gc_ids;
	void *gc_frames;
	size_t gc_n;
	__u64 *gc_zero;		/* --combined-only: entries at 0 last time */
	size_t gc_nzero;
	struct memleak_opts o;
};

/* The file pid maps whose name is `want` (NULL: its libc), or whose path
 * contains it. Returns 0 or -ENOENT (-errno when the maps are unreadable). */
int memleak__maps_find(pid_t pid, const char *want, char *out, size_t size);
/* The library that the command at `path` (an ELF file, or a script run by
 * one) will load whose name is libc (want NULL) or contains want, as its
 * dynamic linker answers; a static binary is its own allocator library.
 * Returns 0, 1 (static: out is the binary), -ENOENT (it loads none such),
 * -ENOEXEC (no ELF file, or its dynamic linker failed) or -errno. */
int memleak__command_lib(const char *path, const char *want, char *out, size_t size);
/* Fills o->offsets from the library's symbols; malloc and free must exist.
 * Errors are logged. */
int memleak__lib_offsets(const char *lib, struct memleak_opts *o);
/* Fills o->cxx_offsets from the C++ runtime's symbols and sets o->cxx_lib
 * when it has any. Returns how many it found. */
int memleak__cxx_offsets(const char *lib, struct memleak_opts *o);
/* The libraries to probe and their offsets in o: -O `obj` as a path, as a
 * name the process maps, or the libc it maps; for a command not started
 * yet (`cmd`: its executable; pid unused), the library of that name or
 * the libc its dynamic linker says it will load; a static binary is its
 * own allocator library (refused without malloc). The C++ runtime where
 * libstdc++ is, else the allocator library. Errors are logged. */
int memleak__find_libs(struct memleak_opts *o, pid_t pid, const char *cmd, const char *obj);
/* Opens the object for the mode of `o` (and, in kernel mode, picks hooks).
 * Errors are logged. */
int memleak__open_user(struct memleak *m, const struct memleak_opts *o);
int memleak__open_kernel(struct memleak *m, const struct memleak_opts *o);
/* --probes in user mode: each function, its offset and its probes. */
void memleak__print_plan(const struct memleak *m, FILE *f);
/* Loads and attaches. */
int memleak__attach(struct memleak *m);
/* Detaches every probe (closing uprobe_multi links detaches all their
 * uprobes at once); safe to call twice. */
void memleak__detach(struct memleak *m);
void memleak__close(struct memleak *m);
/* 1 when /proc/kallsyms shows this process no addresses (kptr_restrict 2,
 * or 1 without CAP_SYSLOG), so kernel frames cannot be named; also gives
 * kptr_restrict's value (-1: unreadable). */
int memleak__kallsyms_hidden(int *kptr_restrict);
/*
 * Deletes the stacks that no outstanding allocation holds, so that a long
 * run with churn does not fill the stack map. `held`: the stack ids of
 * every record in the table just read (or of --combined-only totals not
 * at 0), sorted here. A stack deleted last time that a record now holds (recorded
 * while this ran) is put back. --combined-only: also deletes totals at 0
 * twice running. Returns the number of stacks deleted, or -errno.
 */
int memleak__gc_stacks(struct memleak *m, __u64 *held, size_t n);
/* Counter totals over CPUs (enum ml_counter). */
int memleak__counters(struct memleak *m, unsigned long long out[ML_NR_COUNTERS]);
/* x86-64: where to put the entry uprobe of a function so that the kernel
 * emulates the probed instruction instead of single-stepping it out of
 * line (10x the cost). glibc's free starts with test %rdi,%rdi; je: the
 * je, 3 bytes in, is emulated and every call passes it with %rdi intact. */
unsigned long long memleak__entry_offset(const char *path, int fn, unsigned long long off);

#endif
