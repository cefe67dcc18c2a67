/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_PROC_H
#define MEMSCOPE_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct meminfo {
	unsigned long long buffers_kb;
	unsigned long long cached_kb;
};

/* Reads Buffers and Cached from /proc/meminfo (or root/proc/meminfo when
 * root is not NULL, for tests). Returns 0 or -errno. */
int proc__meminfo(const char *root, struct meminfo *m);

/* True when a process with this pid exists (a thread id counts too). */
bool proc__pid_alive(pid_t pid);

/* Copies /proc/PID/comm into buf; returns 0 or -errno. */
int proc__comm(pid_t pid, char *buf, size_t size);

/* Checks the capabilities loading and attaching tracing BPF programs needs:
 * CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN. Returns 0, or -EPERM with
 * "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)"-style text in why. */
int proc__check_bpf_caps(char *why, size_t size);

#endif
