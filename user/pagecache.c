// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "bpfmap.h"
#include "log.h"
#include "pagecache.skel.h"
#include "pagecache.h"
#include "proc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define EVENT(n, c, opt) { n, c, ARRAY_SIZE(c), opt }

/* Accuracy notes shown by --probes and in cachestat(8). */
#define ACC_GET_PAGES_ENTRY                                                                   \
	"exact for completed reads; counts the request at entry, so a read cut short by "    \
	"an error or signal still counts its pages"
#define ACC_MARK_ACCESSED                                                                     \
	"approximate: one per mark_page_accessed() call, which writes to cached pages, "    \
	"repeated lookups and unmapping accessed file pages also make"
#define ACC_MAP_PAGES_ENTRY                                                                   \
	"as the tracepoint, but also counts windows where fault-around found nothing cached"
#define ACC_NO_FAULT_ADDR                                                                     \
	"totals exact; per file, pages a fault maps count to the file of the task's last "   \
	"page-cache event"

static const struct probe_cand read_cands[] = {
	{ "get_pages_btf", PROBE_TP_BTF, "mm_filemap_get_pages", NULL, NULL },
	{ "get_pages_raw", PROBE_RAW_TP, "mm_filemap_get_pages", NULL, NULL },
	{ "get_pages_count_fentry", PROBE_FENTRY, "filemap_get_pages", ACC_GET_PAGES_ENTRY,
	  "kiocb,size_t" },
	{ "get_pages_iter_fentry", PROBE_FENTRY, "filemap_get_pages", ACC_GET_PAGES_ENTRY,
	  "kiocb,iov_iter" },
	{ "get_pages_count_kprobe", PROBE_KPROBE, "filemap_get_pages", ACC_GET_PAGES_ENTRY,
	  "kiocb,size_t" },
	{ "get_pages_iter_kprobe", PROBE_KPROBE, "filemap_get_pages", ACC_GET_PAGES_ENTRY,
	  "kiocb,iov_iter" },
	{ "buffered_read_fentry", PROBE_FENTRY, "generic_file_buffered_read", ACC_GET_PAGES_ENTRY,
	  "kiocb,iov_iter" },
	{ "buffered_read_kprobe", PROBE_KPROBE, "generic_file_buffered_read", ACC_GET_PAGES_ENTRY,
	  "kiocb,iov_iter" },
	{ "mark_accessed_fentry", PROBE_FENTRY, "mark_page_accessed", ACC_MARK_ACCESSED, "page" },
	{ "mark_accessed_kprobe", PROBE_KPROBE, "mark_page_accessed", ACC_MARK_ACCESSED, "page" },
};

static const struct probe_cand fault_cands[] = {
	{ "fault_btf", PROBE_TP_BTF, "mm_filemap_fault", NULL, NULL },
	{ "fault_raw", PROBE_RAW_TP, "mm_filemap_fault", NULL, NULL },
	{ "fault_fentry", PROBE_FENTRY, "filemap_fault", NULL, "vm_fault" },
	{ "fault_kprobe", PROBE_KPROBE, "filemap_fault", NULL, "vm_fault" },
};

static const struct probe_cand fault_around_cands[] = {
	{ "map_pages_btf", PROBE_TP_BTF, "mm_filemap_map_pages", NULL, NULL },
	{ "map_pages_raw", PROBE_RAW_TP, "mm_filemap_map_pages", NULL, NULL },
	{ "map_pages_fentry", PROBE_FENTRY, "filemap_map_pages", ACC_MAP_PAGES_ENTRY, "vm_fault" },
	{ "map_pages_kprobe", PROBE_KPROBE, "filemap_map_pages", ACC_MAP_PAGES_ENTRY, "vm_fault" },
};

static const struct probe_cand add_cands[] = {
	{ "add_btf", PROBE_TP_BTF, "mm_filemap_add_to_page_cache", NULL, "folio" },
	{ "add_raw", PROBE_RAW_TP, "mm_filemap_add_to_page_cache", NULL, "folio" },
	{ "add_page_btf", PROBE_TP_BTF, "mm_filemap_add_to_page_cache", NULL, "page" },
	{ "add_page_raw", PROBE_RAW_TP, "mm_filemap_add_to_page_cache", NULL, "page" },
};

static const struct probe_cand dirty_cands[] = {
	{ "dirty_btf", PROBE_TP_BTF, "writeback_dirty_folio", NULL, "folio" },
	{ "dirty_raw", PROBE_RAW_TP, "writeback_dirty_folio", NULL, "folio" },
	{ "dirty_page_btf", PROBE_TP_BTF, "writeback_dirty_page", NULL, "page" },
	{ "dirty_page_raw", PROBE_RAW_TP, "writeback_dirty_page", NULL, "page" },
};

/* Where these are in use (v6.2+), fault accesses are the file pages that
 * faults map, not the fault and fault-around ranges (bpf/pagecache.bpf.c). */
static const struct probe_cand mapped_cands[] = {
	{ "rss_btf", PROBE_TP_BTF, "rss_stat", NULL, NULL },
	{ "rss_raw", PROBE_RAW_TP, "rss_stat", NULL, NULL },
};

static const struct probe_cand exit_cands[] = {
	{ "exit_btf", PROBE_TP_BTF, "sched_process_exit", NULL, NULL },
	{ "exit_raw", PROBE_RAW_TP, "sched_process_exit", NULL, NULL },
};

static const struct probe_cand fault_entry_cands[] = {
	{ "fault_entry_btf", PROBE_TP_BTF, "page_fault_user", NULL, NULL, "find_vma" },
};

const struct probe_event pagecache__events[PAGECACHE_NR_EVENTS] = {
	[PAGECACHE_READ] = EVENT("read access", read_cands, false),
	[PAGECACHE_FAULT] = EVENT("fault access", fault_cands, false),
	[PAGECACHE_FAULT_AROUND] = EVENT("fault-around access", fault_around_cands, false),
	[PAGECACHE_ADD] = EVENT("page-cache insert", add_cands, false),
	[PAGECACHE_DIRTY] = EVENT("page dirtied", dirty_cands, false),
	[PAGECACHE_MAPPED] = EVENT("file pages mapped", mapped_cands, true),
	[PAGECACHE_FAULT_ADDR] = EVENT("fault address", fault_entry_cands, true),
	[PAGECACHE_EXIT] = EVENT("task exit", exit_cands, true),
};

void pagecache__delta(const struct pc_stats *after, const struct pc_stats *before,
		      struct pc_stats *out)
{
	int i;

	for (i = 0; i < PC_NR_STATS; i++)
		out->v[i] = after->v[i] - before->v[i];
}

void pagecache__derive(const struct pc_stats *d, unsigned long long *owed,
		       struct pagecache_counts *out)
{
	unsigned long long added = d->v[PC_ADDED], by_write = d->v[PC_ADDED_BY_WRITE], due;

	out->accesses = d->v[PC_READ_PAGES] + d->v[PC_FAULT_PAGES];
	out->misses = added > by_write ? added - by_write : 0;
	/* readahead inserts pages (misses) before they are read: what an
	 * interval's accesses do not cover is taken from the next interval's
	 * hits, so that any split into intervals sums to one long interval */
	due = out->misses + (owed ? *owed : 0);
	out->hits = out->accesses > due ? out->accesses - due : 0;
	if (owed)
		*owed = due > out->accesses ? due - out->accesses : 0;
	out->dirties = d->v[PC_DIRTIED];
	out->hit_pct = out->hits + out->misses
			       ? 100.0 * (double)out->hits / (double)(out->hits + out->misses)
			       : NAN;
}

double pagecache__write_hit(const struct pc_stats *d)
{
	unsigned long long dirtied = d->v[PC_DIRTIED], created = d->v[PC_ADDED_BY_WRITE];

	if (!dirtied)
		return NAN;
	return created >= dirtied ? 0.0 : 100.0 * (double)(dirtied - created) / (double)dirtied;
}

/*
 * The rss_stat tracepoint sees every change of an mm's counters only since
 * they became percpu_counters in v6.2 (commit f1a7941243c1 "mm: convert
 * mm's rss stats into percpu_counter"); before, a task cached its own
 * updates and the tracepoint fired only when they were flushed. There the
 * rss_stat hook is not used and the fault and fault-around ranges count.
 */
/* The type of member `name` of struct or union `t`, looking into anonymous
 * members (mm_struct keeps most fields in one); NULL if none. */
static const struct btf_type *pagecache__member(const struct btf *btf, const struct btf_type *t,
						const char *name, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *mt = btf__type_by_id(btf, m->type);

		if (!mt)
			continue;
		if (!m->name_off && depth < 4 && (btf_is_struct(mt) || btf_is_union(mt))) {
			mt = pagecache__member(btf, mt, name, depth + 1);
			if (mt)
				return mt;
		} else if (!strcmp(btf__name_by_offset(btf, m->name_off), name)) {
			return mt;
		}
	}
	return NULL;
}

static bool pagecache__rss_is_percpu(void)
{
	const struct btf *btf = probe__vmlinux_btf();
	const struct btf_type *t;
	int id;

	id = btf ? btf__find_by_name_kind(btf, "mm_struct", BTF_KIND_STRUCT) : -1;
	if (id < 0)
		return false;
	t = pagecache__member(btf, btf__type_by_id(btf, id), "rss_stat", 0);
	if (!t || !btf_is_array(t))
		return false;
	t = btf__type_by_id(btf, btf_array(t)->type);
	return t && !strcmp(btf__name_by_offset(btf, t->name_off), "percpu_counter");
}

/* Takes back the choice of an optional event's hook, saying why. */
static void pagecache__unchoose(struct pagecache *pc, int e, const char *why)
{
	struct probe_set *ps = &pc->probes;
	const struct probe_event *ev = &pagecache__events[e];
	int c = ps->chosen[e], i;

	if (c < 0)
		return;
	for (i = 0; i < ev->n_cands; i++)
		if (i == c || !strncmp(probe__reason(ps, e, i), "available", 9))
			snprintf(probe__reason(ps, e, i), PROBE_WHY_LEN, "%s", why);
	bpf_program__set_autoload(bpf_object__find_program_by_name(pc->skel->obj,
								   ev->cands[c].prog), false);
	ps->chosen[e] = -1;
}

static void pagecache__check_rss(struct pagecache *pc)
{
	if (!pagecache__rss_is_percpu())
		pagecache__unchoose(pc, PAGECACHE_MAPPED,
				    "mm counters are cached per task here (before v6.2): not every "
				    "change fires");
	if (!probe__chosen(&pc->probes, PAGECACHE_MAPPED))
		pagecache__unchoose(pc, PAGECACHE_FAULT_ADDR,
				    "not needed: fault-around ranges count here, not mapped pages");
}

static int pagecache__open(void *state, const struct module_opts *mo)
{
	const struct pagecache_opts *o = (const struct pagecache_opts *)mo;
	struct pagecache *pc = state;
	int err, e;

	memset(pc, 0, sizeof(*pc));
	err = probe__init(&pc->probes, "pagecache", pagecache__events, PAGECACHE_NR_EVENTS);
	if (err)
		return err;
	pc->probes.skip_kinds = mo->skip_kinds;
	for (e = 0; mo->forced && e < PAGECACHE_NR_EVENTS; e++)
		probe__force(&pc->probes, e, mo->forced[e]);
	pc->skel = pagecache_bpf__open();
	if (!pc->skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	if (o->per_file && !(pc->paths = path_cache__new())) {
		log__err("out of memory");
		return -ENOMEM;
	}
	pc->skel->rodata->targ_tgid = mo->tgid;
	pc->skel->rodata->per_process = o->per_process;
	pc->skel->rodata->per_file = o->per_file;
	bpf_map__set_max_entries(pc->skel->maps.procs,
				 o->per_process ? (o->max_procs ?: PC_DEFAULT_MAX_PROCS) : 1);
	bpf_map__set_max_entries(pc->skel->maps.files,
				 o->per_file ? (o->max_files ?: PC_DEFAULT_MAX_FILES) : 1);
	pc->skel->rodata->per_cgroup = o->per_cgroup;
	if (!o->per_cgroup)
		bpf_map__set_max_entries(pc->skel->maps.cgroups, 1);
	/* before v5.11 (commit 4cf1bc1f1045 "bpf: Implement task local
	 * storage") the per-task state is a hash by thread id, deleted at exit */
	pc->task_storage = !o->no_task_storage &&
			   libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	pc->skel->rodata->have_task_storage = pc->task_storage;
	if (!pc->task_storage) {
		bpf_map__set_type(pc->skel->maps.task_states, BPF_MAP_TYPE_LRU_HASH);
		bpf_map__set_map_flags(pc->skel->maps.task_states, 0);
		bpf_map__set_max_entries(pc->skel->maps.task_states, PC_MAX_TASKS);
	}
	log__info("per-task state: %s", pc->task_storage ? "task storage" : "LRU hash");
	err = probe__resolve(&pc->probes, pc->skel->obj, mo->all_probes);
	if (err)
		return err;
	pagecache__check_rss(pc);
	pc->skel->rodata->count_mapped = probe__chosen(&pc->probes, PAGECACHE_MAPPED) != NULL;
	pc->skel->rodata->nr_cpus = libbpf_num_possible_cpus();
	return 0;
}

static int pagecache__attach(void *state)
{
	struct pagecache *pc = state;
	int err = pagecache_bpf__load(pc->skel);

	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	return probe__attach(&pc->probes, pc->skel->obj);
}

int pagecache__read(struct pagecache *pc, struct pc_stats *out)
{
	__u32 zero = 0;

	return bpfmap__percpu_sum(bpf_map__fd(pc->skel->maps.totals), &zero, out->v, PC_NR_STATS);
}

static void pagecache__close(void *state)
{
	struct pagecache *pc = state;

	free(pc->owed[0].e);
	free(pc->owed[1].e);
	memset(pc->owed, 0, sizeof(pc->owed));
	path_cache__free(pc->paths);
	pc->paths = NULL;
	probe__free(&pc->probes);
	pagecache_bpf__destroy(pc->skel);
	pc->skel = NULL;
}

static void pagecache__describe(void *state, char *buf, size_t size)
{
	struct pagecache *pc = state;

	snprintf(buf, size, "%s task state", pc->task_storage ? "task-storage" : "LRU-hash");
}

/* every map and program in use, with each kind of task state: what the
 * load test opens */
static const struct pagecache_opts pagecache__all[] = {
	{ .per_process = true, .per_file = true, .per_cgroup = true },
	{ .per_process = true, .per_file = true, .per_cgroup = true, .no_task_storage = true },
};
static const void *const pagecache__variants[] = { &pagecache__all[0], &pagecache__all[1], NULL };

const struct module_ops pagecache__module = {
	.name = "pagecache",
	.events = pagecache__events,
	.n_events = PAGECACHE_NR_EVENTS,
	.size = sizeof(struct pagecache),
	.opts_size = sizeof(struct pagecache_opts),
	.variants = pagecache__variants,
	.open = pagecache__open,
	.attach = pagecache__attach,
	.close = pagecache__close,
	.describe = pagecache__describe,
	.probes_offset = offsetof(struct pagecache, probes),
};

/* A file's owed misses are forgotten after this many drains without events
 * (a process's when it exits): pages read ahead and never read would
 * otherwise be owed for ever, by a table that only grows. */
#define OWED_IDLE_DRAINS 60
#define OWED_MAX 8192

static struct pagecache_owed *pagecache__owed_find(struct pagecache_owed_table *t, __u64 k1,
						  __u64 k2)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].k1 == k1 && t->e[i].k2 == k2)
			return &t->e[i];
	return NULL;
}

/* Derives a row's counts with what it owed since the last drain and keeps
 * what it owes now. */
static void pagecache__fill(struct pagecache_owed_table *t, struct pagecache_row *r, __u64 k1,
			    __u64 k2)
{
	struct pagecache_owed *o = pagecache__owed_find(t, k1, k2);
	unsigned long long owed = o ? o->owed : 0;

	pagecache__derive(&r->raw, &owed, &r->k);
	r->write_hit = pagecache__write_hit(&r->raw);
	if (!o && owed && t->n < OWED_MAX) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 64;
			struct pagecache_owed *e = realloc(t->e, cap * sizeof(*e));

			if (!e)
				return;
			t->e = e;
			t->cap = cap;
		}
		o = &t->e[t->n++];
		o->k1 = k1;
		o->k2 = k2;
	}
	if (o) {
		o->owed = owed;
		o->idle = 0;
	}
}

/* Drops what is owed by rows that are gone, after a drain. */
static void pagecache__owed_expire(struct pagecache_owed_table *t, bool files)
{
	size_t i = 0;

	while (i < t->n) {
		struct pagecache_owed *o = &t->e[i];
		bool gone = !o->owed;

		if (!gone && o->idle++ > 0)
			gone = files ? o->idle > OWED_IDLE_DRAINS
				     : kill((pid_t)o->k1, 0) && errno == ESRCH;
		if (gone)
			*o = t->e[--t->n];
		else
			i++;
	}
}

/* Reads and empties one table (bpfmap__drain) into rows. */
int pagecache__drain(struct pagecache *pc, bool files, struct pagecache_row **rows, size_t *n)
{
	struct bpf_map *map = files ? pc->skel->maps.files : pc->skel->maps.procs;
	size_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map), nk, i;
	struct pagecache_row *out;
	char *keys, *vals;
	int err = bpfmap__drain(bpf_map__fd(map), ksz, vsz, bpf_map__max_entries(map),
				(void **)&keys, (void **)&vals, &nk);

	*rows = NULL;
	*n = 0;
	if (err)
		return err;
	out = calloc(nk + 1, sizeof(*out));
	for (i = 0; out && i < nk; i++) {
		struct pagecache_row *r = &out[i];

		if (files) {
			const struct pc_file_key *k = (const void *)(keys + i * ksz);
			const struct pc_file *v = (const void *)(vals + i * vsz);

			r->dev = k->dev;
			r->ino = k->ino;
			r->pid = v->tgid;
			r->shared = v->shared;
			r->generation = v->generation;
			memcpy(r->comm, v->comm, sizeof(r->comm));
			r->raw = v->s;
		} else {
			const struct pc_proc *v = (const void *)(vals + i * vsz);

			r->pid = *(const __u32 *)(keys + i * ksz);
			r->uid = v->uid;
			memcpy(r->comm, v->comm, sizeof(r->comm));
			r->raw = v->s;
		}
		r->comm[sizeof(r->comm) - 1] = '\0';
		if (files)
			pagecache__fill(&pc->owed[1], r, r->dev, r->ino);
		else
			pagecache__fill(&pc->owed[0], r, r->pid, 0);
	}
	free(keys);
	free(vals);
	if (!out)
		return -ENOMEM;
	pagecache__owed_expire(&pc->owed[files], files);
	*rows = out;
	*n = nk;
	return 0;
}

int pagecache__read_cgroups(struct pagecache *pc, struct pagecache_cgroup **rows, size_t *n)
{
	struct bpf_map *map = pc->skel->maps.cgroups;
	size_t cap = bpf_map__max_entries(map), vsz = sizeof(struct pc_stats), i;
	int ncpus = bpfmap__ncpus(), err;
	struct pc_stats *vals;
	__u64 *keys;

	*rows = NULL;
	*n = 0;
	if (ncpus < 0)
		return ncpus;
	keys = calloc(cap, sizeof(*keys));
	vals = calloc(cap * ncpus, vsz);
	*rows = calloc(cap ?: 1, sizeof(**rows));
	err = keys && vals && *rows ? 0 : -ENOMEM;
	if (!err)
		err = bpfmap__dump(bpf_map__fd(map), sizeof(*keys), vsz * ncpus, cap, keys, vals, n);
	for (i = 0; !err && i < *n; i++) {
		(*rows)[i].id = keys[i];
		for (int c = 0; c < ncpus; c++)
			for (int k = 0; k < PC_NR_STATS; k++)
				(*rows)[i].s.v[k] += vals[i * ncpus + c].v[k];
	}
	free(keys);
	free(vals);
	if (err) {
		free(*rows);
		*rows = NULL;
		*n = 0;
	}
	return err;
}

void pagecache__forget_cgroup(struct pagecache *pc, __u64 id)
{
	bpf_map_delete_elem(bpf_map__fd(pc->skel->maps.cgroups), &id);
}

int pagecache__cgroups_full(struct pagecache *pc, unsigned long long *out)
{
	__u32 zero = 0;

	return bpfmap__percpu_sum(bpf_map__fd(pc->skel->maps.cgroups_full), &zero, out, 1);
}

int pagecache__full(struct pagecache *pc, unsigned long long out[PC_NR_FULL])
{
	int fd = bpf_map__fd(pc->skel->maps.full), err;
	__u32 i;

	for (i = 0; i < PC_NR_FULL; i++)
		if ((err = bpfmap__percpu_sum(fd, &i, &out[i], 1)))
			return err;
	return 0;
}
