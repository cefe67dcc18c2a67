// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "log.h"
#include "oomkill.skel.h"
#include "oomkill.h"
#include "proc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ACC_PID "the tracepoint has only the pid: the victim's task, mm and cgroup are absent"

/* oom:mark_victim carries the task pointer on 6.18 and Debian 12's 6.1 (mainline
 * up to 6.8: only the pid); else mark_oom_victim(struct task_struct *), its caller. */
static const struct probe_cand victim_cands[] = {
	{ "victim_btf", PROBE_TP_BTF, "mark_victim", NULL, "task_struct" },
	{ "victim_raw", PROBE_RAW_TP, "mark_victim", NULL, "task_struct" },
	{ "victim_fentry", PROBE_FENTRY, "mark_oom_victim", NULL, "task_struct" },
	{ "victim_kprobe", PROBE_KPROBE, "mark_oom_victim", NULL, NULL },
	{ "victim_pid_raw", PROBE_RAW_TP, "mark_victim", ACC_PID, NULL },
};

/* oom_kill_process(struct oom_control *oc, const char *message): no
 * tracepoint carries oom_control; without it the constraint is derived and
 * points, totalpages, order and gfp_mask are computed or absent. */
static const struct probe_cand decision_cands[] = {
	{ "decide_fentry", PROBE_FENTRY, "oom_kill_process", NULL, "oom_control" },
	{ "decide_kprobe", PROBE_KPROBE, "oom_kill_process", NULL, NULL },
};

/* the order and gfp mask of a page allocator OOM, without oom_control */
static const struct probe_cand alloc_cands[] = {
	{ "alloc_btf", PROBE_TP_BTF, "mm_vmscan_direct_reclaim_begin", NULL, NULL },
	{ "alloc_raw", PROBE_RAW_TP, "mm_vmscan_direct_reclaim_begin", NULL, NULL },
};

const struct probe_event oomkill__events[OOMKILL_NR_EVENTS] = {
	[OOMKILL_VICTIM] = { "oom victim", victim_cands, ARRAY_SIZE(victim_cands), false },
	[OOMKILL_DECISION] = { "oom decision", decision_cands, ARRAY_SIZE(decision_cands), true },
	[OOMKILL_ALLOC] = { "direct reclaim", alloc_cands, ARRAY_SIZE(alloc_cands), true },
};

/* Memory nodes, as constrained_alloc() compares a nodemask with them. */
static bool single_memory_node(void)
{
	FILE *f = fopen("/sys/devices/system/node/has_memory", "r");
	char line[256] = "0";

	if (f) {
		if (!fgets(line, sizeof(line), f))
			snprintf(line, sizeof(line), "0");
		fclose(f);
	}
	/* "0", not "0-1" or "0,2" */
	return !strpbrk(line, "-,");
}

static int oomkill__open(struct oomkill *ok, const struct oomkill_opts *o)
{
	int err, e;

	memset(ok, 0, sizeof(*ok));
	err = probe__init(&ok->probes, "oomkill", oomkill__events, OOMKILL_NR_EVENTS);
	if (err)
		return err;
	ok->probes.skip_kinds = o->common.skip_kinds;
	for (e = 0; o->common.forced && e < OOMKILL_NR_EVENTS; e++)
		probe__force(&ok->probes, e, o->common.forced[e]);
	/* CO-RE looks for a type vmlinux lacks (mm_rss_stat___old on 6.2+) in
	 * module BTF too, and listing module BTF objects needs CAP_SYS_ADMIN:
	 * with CAP_BPF and CAP_PERFMON alone libbpf failed ("failed to iterate
	 * BTF objects"). Given vmlinux BTF as a custom path, it searches no module
	 * (oomkill reads no module type). */
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = proc__cap_sys_admin() ?
		    NULL : "/sys/kernel/btf/vmlinux");

	ok->skel = oomkill_bpf__open_opts(&oo);
	if (!ok->skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	ok->skel->rodata->single_node = single_memory_node();
	ok->skel->rodata->memcg_v1 = !strcmp(cgroup__memcg_root(), "/sys/fs/cgroup/memory");
	return probe__resolve(&ok->probes, ok->skel->obj, o->common.all_probes);
}

static int oomkill__attach(struct oomkill *ok)
{
	int err = oomkill_bpf__load(ok->skel);

	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	return probe__attach(&ok->probes, ok->skel->obj);
}

static long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int oomkill__open_events(struct oomkill *ok, ring_buffer_sample_fn fn, void *ctx)
{
	int err = events__open(&ok->ev, ok->skel->maps.events, ok->skel->maps.dropped, fn, ctx);
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	ok->mono_to_real_ns = ts_ns(&real) - ts_ns(&mono);
	if (err) {
		log__err("cannot open the event ring buffer: %s", strerror(-err));
		return err;
	}
	ok->events_open = true;
	return 0;
}

static void oomkill__close(struct oomkill *ok)
{
	if (ok->events_open)
		events__close(&ok->ev);
	ok->events_open = false;
	probe__free(&ok->probes);
	oomkill_bpf__destroy(ok->skel);
	ok->skel = NULL;
}


static int module_open(void *state, const struct module_opts *o)
{
	return oomkill__open(state, (const struct oomkill_opts *)o);
}

static int module_attach(void *state)
{
	return oomkill__attach(state);
}

static void module_close(void *state)
{
	oomkill__close(state);
}

static const struct oomkill_opts every_program = {};
static const void *const variants[] = { &every_program, NULL };

const struct module_ops oomkill__module = {
	.name = "oomkill",
	.events = oomkill__events,
	.n_events = OOMKILL_NR_EVENTS,
	.size = sizeof(struct oomkill),
	.opts_size = sizeof(struct oomkill_opts),
	.variants = variants,
	.open = module_open,
	.attach = module_attach,
	.close = module_close,
	.probes_offset = offsetof(struct oomkill, probes),
};
