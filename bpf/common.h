/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by every tool's kernel/user contract. Fixed-width fields only. */
#ifndef MEMSCOPE_COMMON_H
#define MEMSCOPE_COMMON_H

#define TASK_COMM_LEN 16
#define MEMSCOPE_PAGE_SHIFT 12

/* Frames kept per stack (bpf/stack.bpf.h); the kernel's default
 * perf_event_max_stack. A stack's id is a 64-bit hash of its frames, 0 for
 * a stack that could not be saved. */
#define STACK_MAX_DEPTH 127

/* How a -c CGROUP_PATH filter matches tasks (bpf/cgroup.bpf.h). */
enum cgroup_filter_mode {
	CGROUP_FILTER_NONE,
	CGROUP_FILTER_V2,		/* the task's cgroup on the unified hierarchy */
	CGROUP_FILTER_V1_MEMORY,	/* its cgroup on the v1 memory hierarchy */
};

#endif
