/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_MLREPORT_H
#define MEMSCOPE_MLREPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>
#include "memleak.h"
#include "schema.h"
#include "stack.h"

/*
 * memleak's report, described once (schema.h): the outstanding allocations
 * of one pass over the tables, grouped by stack, as a record that the
 * renderers turn into JSON lines, bcc's text layout or folded stacks.
 *
 * {"time", "pid" (user mode), "stacks": [{"bytes", "allocs", "frames"}],
 *  "addrs" (-a): [{"addr", "bytes"}],
 *  "lost": {"stacks", "allocs", "stack_allocs", "stack_bytes"}}
 */
enum { MLR_TIME, MLR_PID, MLR_STACKS, MLR_ADDRS, MLR_LOST, MLR_NF };
enum { MLS_BYTES, MLS_ALLOCS, MLS_FRAMES, MLS_NF };
enum { MLA_ADDR, MLA_BYTES, MLA_NF };
enum { MLL_STACKS, MLL_ALLOCS, MLL_STACK_ALLOCS, MLL_STACK_BYTES, MLL_NF };
extern const struct schema mlreport__schema, mlreport__stack_schema, mlreport__addr_schema,
	mlreport__lost_schema;

struct mlreport_opts {
	pid_t pid;			/* user mode: the traced process; 0: kernel */
	unsigned long long min_age_ns;	/* -o */
	size_t top;			/* stacks in a report */
	bool sort_count;		/* rank by allocations, not bytes */
	bool show_allocs;		/* -a: every outstanding address */
};

struct mlreport;

/* For the tables of m, once it is attached. NULL on ENOMEM (logged). */
struct mlreport *mlreport__new(struct memleak *m, const struct mlreport_opts *o);
void mlreport__free(struct mlreport *r);
/* The process's symbolizer learns its files now (user mode), e.g. once a
 * command has exec'd, so that its frames are named after it exits. */
void mlreport__refresh(struct mlreport *r);
/* Reads the tables and returns the report at `now` (valid until the next
 * call). `final`: the process is gone, nothing can be freed any more,
 * so every allocation counts whatever its age. Stacks that no allocation
 * holds leave the stack map. */
const struct rec *mlreport__take(struct mlreport *r, const struct timespec *now, bool final);

/* bcc's "Attaching to pid N, Ctrl-C to quit." (pid 0: kernel allocators) */
void mlreport__print_banner(FILE *f, pid_t pid);
/* bcc's layout: "\taddr = ADDR size = N" lines (-a), "[HH:MM:SS] Top TOP
 * stacks with outstanding allocations:", then each stack, the largest
 * last, "\tN bytes in M allocations from stack" and its frames, then what
 * was lost. */
void mlreport__print_text(FILE *f, const struct rec *r, unsigned long top);
/* One line per stack: frames outermost first, ';'-joined, then allocs
 * (sort_count) or bytes. */
void mlreport__print_folded(FILE *f, const struct rec *r, bool sort_count);

#endif
