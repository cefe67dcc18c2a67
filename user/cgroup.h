/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_CGROUP_H
#define MEMSCOPE_CGROUP_H

#include <stddef.h>
#include <linux/types.h>
#include "../bpf/common.h"

/* What bpf/cgroup.bpf.h's targ_cgroup_id and targ_cgroup_mode are set to. */
struct cgroup_filter {
	__u64 id;
	enum cgroup_filter_mode mode;
};

/*
 * Resolves -c CGROUP_PATH: a directory on a cgroup v2 mount, or on the v1
 * memory hierarchy (the one reclaim and faults are accounted to). Returns 0,
 * or -errno with a one-line reason in why ("... is not a cgroup directory").
 */
int cgroup__resolve(const char *path, struct cgroup_filter *f, char *why, size_t size);

/* Where the memory cgroup hierarchy is mounted (v1 memory or v2). */
const char *cgroup__memcg_root(void);
/* The path below that root of the cgroup with kernfs id `id` ("/a/b", "/"
 * for the root), found by walking the hierarchy (slow: for rare events);
 * -ENOENT when none has it any more. */
int cgroup__path(__u64 id, char *buf, size_t size);

/* Every directory of the memory cgroup hierarchy: its kernfs id and its
 * path below the root ("/" for the root). */
struct cgroup_entry {
	__u64 id;
	char path[256];
};
/* *out is malloc'ed (the root first); 0 or -errno. */
int cgroup__list(struct cgroup_entry **out, size_t *n);
/* path cut after its first `depth` components ("/a/b/c", 2: "/a/b"). */
void cgroup__fold(const char *path, int depth, char *buf, size_t size);

#endif
