/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * -c CGROUP_PATH for hooks that carry no cgroup (vmscan tracepoints, task
 * iterators): a task matches when its cgroup on the path's hierarchy is that
 * cgroup or one below it. user/cgroup.c resolves the path to the cgroup's
 * kernfs id, which is the directory's inode number and cgroup->kn->id
 * (u64 since v5.5, commit 67c0496e87d1 "kernfs: convert kernfs_node->id from
 * union kernfs_node_id to u64"), and to the hierarchy: cgroup v2, or the v1
 * memory hierarchy, where a task's cgroup is its memory css's cgroup, not
 * dfl_cgrp.
 * Include once per BPF object; set the two tunables before load.
 */
#ifndef MEMSCOPE_CGROUP_BPF_H
#define MEMSCOPE_CGROUP_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "common.h"

const volatile __u64 targ_cgroup_id = 0;	/* 0: every task */
const volatile __u32 targ_cgroup_mode = CGROUP_FILTER_NONE;

/* Deeper cgroups than this below the target are not matched. */
#define CGROUP_MAX_DEPTH 16

/* The task's memory cgroup: its memory css's cgroup, on the v1 memory
 * hierarchy or on v2 (there the nearest ancestor with the controller on). */
static __always_inline struct cgroup *task__memcg(struct task_struct *t)
{
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cset = BPF_CORE_READ(t, cgroups);
	/* the subsystem's index differs with the kernel's config: relocate it */
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return NULL;
	bpf_core_read(&css, sizeof(css), &cset->subsys[id]);
	return css ? BPF_CORE_READ(css, cgroup) : NULL;
}

static __always_inline struct cgroup *task__filter_cgroup(struct task_struct *t)
{
	if (targ_cgroup_mode != CGROUP_FILTER_V1_MEMORY)
		return BPF_CORE_READ(t, cgroups, dfl_cgrp);
	return task__memcg(t);
}

/* The exporter's per-cgroup tables are keyed by this: the kernfs id of the
 * task's memory cgroup (user/cgroup.c finds its path), 0 if it has none. */
static __always_inline __u64 task__memcg_id(struct task_struct *t)
{
	struct cgroup *cg = task__memcg(t);

	return cg ? BPF_CORE_READ(cg, kn, id) : 0;
}

static __always_inline bool task__in_cgroup(struct task_struct *t)
{
	/* a cgroup's css ("self") is embedded in it: parent css -> parent cgroup */
	__u32 self_off = bpf_core_field_offset(struct cgroup, self);
	struct cgroup *cg;
	int i;

	if (targ_cgroup_mode == CGROUP_FILTER_NONE)
		return true;
	cg = task__filter_cgroup(t);
	for (i = 0; i < CGROUP_MAX_DEPTH && cg; i++) {
		struct cgroup_subsys_state *parent;

		if (BPF_CORE_READ(cg, kn, id) == targ_cgroup_id)
			return true;
		parent = BPF_CORE_READ(cg, self.parent);
		cg = parent ? (struct cgroup *)((char *)parent - self_off) : NULL;
	}
	return false;
}

static __always_inline bool current__in_cgroup(void)
{
	if (targ_cgroup_mode == CGROUP_FILTER_NONE)
		return true;
	return task__in_cgroup((struct task_struct *)bpf_get_current_task());
}

#endif
