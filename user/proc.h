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
/* The named fields of /proc/meminfo (path NULL) or of the file at path, in
 * kB: kb[i] for names[i] ("Slab"), -1 where the file has no such line.
 * Returns 0 or -errno. */
int proc__meminfo_kb(const char *path, const char *const names[], long long kb[], int n);

/* True when a process with this pid exists (a thread id counts too). */
bool proc__pid_alive(pid_t pid);

/* Copies /proc/PID/comm into buf; returns 0 or -errno. */
int proc__comm(pid_t pid, char *buf, size_t size);

/* Checks the capabilities loading and attaching tracing BPF programs needs:
 * CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN. Returns 0, or -EPERM with
 * "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)"-style text in why. */
int proc__check_bpf_caps(char *why, size_t size);
/* True when this process has CAP_SYS_ADMIN (or its capabilities cannot be read). */
bool proc__cap_sys_admin(void);

/*
 * File paths for (device, inode) pairs the kernel reports, cached, since a
 * file's path rarely changes while we watch. First the maps (mapped files)
 * and open fds of a process that touched the file; when it has exited, the
 * file handle (inode + generation, what ext4 and xfs export to NFS) opened
 * with open_by_handle_at() on the file system's mount (needs
 * CAP_DAC_READ_SEARCH). dev is the kernel's dev_t (major << 20 | minor), as
 * BPF reads it from a superblock.
 */
struct path_cache;

struct path_cache *path_cache__new(void);
void path_cache__free(struct path_cache *pc);
/* The path, or NULL when pid no longer has the file mapped or open (the
 * caller shows "major:minor:inode"). A failed lookup is retried on a later
 * call with another pid. */
const char *path_cache__get(struct path_cache *pc, unsigned long long dev, unsigned long long ino,
			    unsigned int generation, pid_t pid);

#endif
