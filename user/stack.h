/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_STACK_H
#define MEMSCOPE_STACK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "output.h"
#include "sym.h"

/*
 * One stack module for every tool: the addresses a BPF program captured
 * (bpf/stack.bpf.h) are resolved here, kernel frames through kallsyms and
 * user frames through the process's symbolizer (sym.h: symtab, debuginfo,
 * file:line, demangling), and rendered one way in each format:
 *
 *   text    one frame per line, "name+0x1c [module] file:line"
 *   folded  names only, outermost first, ';'-joined (flamegraph.pl)
 *   JSON    an array of frame objects, the same keys in every tool:
 *           {"addr", "sym", "offset", "module", "file", "line"}, null
 *           where unknown
 */
struct frame {
	unsigned long long addr;
	struct sym_info si;	/* strings owned by the resolver */
};

struct stack_view {
	const struct frame *frames;
	int n;
	bool kernel;
};

struct stacks;

/* Kernel symbols are read on first use, user symbolizers per process as
 * in syms_cache. NULL on ENOMEM. */
struct stacks *stacks__new(void);
void stacks__free(struct stacks *s);
/* Frees the symbolizers of processes gone since the previous prune. */
void stacks__prune(struct stacks *s);
/* The user symbolizer of pid (NULL: gone and never seen), for callers
 * that resolve single addresses (uprobe targets) through the same cache. */
struct syms *stacks__user_syms(struct stacks *s, pid_t pid);

/*
 * Resolves the n addresses `ips` (trailing zeros end the stack) into `out`
 * (room for n) and returns the frames kept:
 *  - pid 0: a kernel stack. Leading frames of the BPF program and the
 *    tracepoint's bpf_trace_run / __bpf_trace_* are dropped: they are the
 *    tool's, not the event's.
 *  - pid > 0: a user stack of that process. From frame `first_ret` on, an
 *    address is a return address (the call before it names the line).
 *    The stack ends at the first such frame in no mapped file or above any
 *    user address space (56 bits): walked without frame pointers, what
 *    follows is not a return address, and such frames would split one call
 *    site into many stacks.
 */
int stacks__resolve(struct stacks *s, pid_t pid, const __u64 *ips, int n, int first_ret,
		    struct frame *out);

/* "name+0x1c [module] file:line", "0x7f00 [module]" or "0x7f00 [unknown]" */
void stack__frame_text(const struct frame *f, char *buf, size_t size);
/* One line per frame, each after `indent`. */
void stack__print(FILE *out, const struct stack_view *v, const char *indent);
/* The frames' names, outermost first, each followed by `suffix` (e.g.
 * "_[k]" for kernel frames, "" for none) and separated by ';'; nothing
 * after the last. An unknown function is "[module]". */
void stack__folded(FILE *out, const struct stack_view *v, const char *suffix);
/* A kernel stack, then "--", then its user stack, each frame after
 * `indent` (the text report of faultstat --stacks and slabratetop --stacks) */
void stack__print_pair(FILE *out, const struct stack_view *kernel, const struct stack_view *user,
		       const char *indent);
/* One folded line: "comm;user frames;kernel frames_[k] value" */
void stack__folded_line(FILE *out, const char *comm, const struct stack_view *user,
			const struct stack_view *kernel, unsigned long long value);
/* An array of frame objects under `key`. */
void stack__json(struct json *j, const char *key, const struct stack_view *v);

#endif
