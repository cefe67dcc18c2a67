/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Contract of bpf/faultstat.bpf.c. Counting reads the kernel's own per-task
 * fault counters (task->min_flt, maj_flt: what getrusage and /proc/PID/stat
 * report) with a task iterator, plus each thread's final counts at exit, so
 * nothing runs per fault. --detail adds a perf-event program per major fault
 * that classifies it by the faulting address's VMA.
 */
#ifndef MEMSCOPE_FAULTSTAT_ABI_H
#define MEMSCOPE_FAULTSTAT_ABI_H

#include "common.h"

#define FS_DEFAULT_MAX_PROCS 10240
#define FS_DEFAULT_MAX_FILES 4096
#define FS_DEFAULT_MAX_STACKS 4096
#define FS_MAX_STACK_DEPTH STACK_MAX_DEPTH
#define FS_EXIT_RINGBUF (1 << 20)

#define FS_TASK_EXITED 1

/* One thread's counters: a record of the task iterator, or a thread's final
 * counts from the exit hook (flags FS_TASK_EXITED). A thread is (pid,
 * start_ns), a process (tgid, leader_start_ns): a reused id is never taken
 * for the earlier task. */
struct fs_task {
	__u32 pid;		/* thread id */
	__u32 tgid;
	__u64 start_ns;		/* task->start_time, CLOCK_MONOTONIC */
	__u64 leader_start_ns;
	__u64 min_flt;
	__u64 maj_flt;
	char comm[TASK_COMM_LEN];	/* the group leader's */
	__u32 flags;
	__u32 pad;
	__u64 memcg_id;		/* targ_memcg: its memory cgroup's kernfs id; else 0 */
};

struct fs_proc_key {
	__u32 tgid;
	__u32 pad;
	__u64 leader_start_ns;
};

/* --detail: major faults by what the faulting address maps. */
enum fs_class {
	FS_MAJ_FILE,		/* a file mapping: read from the file (or shmem swap) */
	FS_MAJ_SWAP,		/* anonymous memory: swap-in */
	FS_MAJ_UNKNOWN,		/* VMA not found (mmap lock contended, or unmapped) */
	FS_NR_CLASSES,
};

struct fs_detail {
	__u64 v[FS_NR_CLASSES];
	char comm[TASK_COMM_LEN];
};

struct fs_file_key {
	__u64 dev;		/* the kernel's dev_t: major << 20 | minor */
	__u64 ino;
};

struct fs_file {
	__u64 major;
	__u32 pid;		/* a process that faulted on it, to find its path */
	__u32 generation;
	__u32 shared;		/* other processes faulted on it too */
	__u32 pad;
};

/* --stacks: major faults per (process, user stack, kernel stack). */
struct fs_stack_key {
	__u32 tgid;
	__u32 pad;
	__u64 ustack;		/* stack ids (bpf/stack.bpf.h); 0: none */
	__u64 kstack;
	__u64 leader_start_ns;
};

struct fs_stack {
	__u64 count;
	char comm[TASK_COMM_LEN];
};

enum fs_full {
	FS_FULL_PROCS,
	FS_FULL_FILES,
	FS_FULL_STACKS,
	FS_LOST_STACKS,		/* a stack not saved: unreadable, or the stack map full */
	FS_NR_FULL,
};

#endif
