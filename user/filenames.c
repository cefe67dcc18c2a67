// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>
#include "filenames.h"
#include "proc.h"

void file_names__fill(struct file_names *n, struct path_cache *paths, unsigned long long dev,
		      unsigned long long ino, unsigned int generation, pid_t pid, bool shared)
{
	unsigned long long maj = dev >> 20, min = dev & 0xfffff;

	snprintf(n->alt, sizeof(n->alt), "%llu:%llu:%llu", maj, min, ino);
	snprintf(n->dev, sizeof(n->dev), "%llu:%llu", maj, min);
	snprintf(n->owner, sizeof(n->owner), "%d%s", pid, shared ? "+" : "");
	n->path = paths ? path_cache__get(paths, dev, ino, generation, pid) : NULL;
	if (!n->path)
		n->path = n->alt;
}
