/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_FILENAMES_H
#define MEMSCOPE_FILENAMES_H

#include <stdbool.h>
#include <sys/types.h>

struct path_cache;

/*
 * The labels of a row that is a file the kernel named by (dev, inode), as
 * cachetop -f and faultstat -f show it: its path (proc.h's path_cache), or
 * "major:minor:inode" when no path is found; its device "major:minor"; and
 * the process that touched it, "PID+" when others did too.
 */
struct file_names {
	const char *path;	/* the cache's string, or alt */
	char alt[64];
	char dev[24];
	char owner[16];
};

/* paths NULL: no lookup (the "major:minor:inode" form). dev is the
 * kernel's dev_t (major << 20 | minor). */
void file_names__fill(struct file_names *n, struct path_cache *paths, unsigned long long dev,
		      unsigned long long ino, unsigned int generation, pid_t pid, bool shared);

#endif
