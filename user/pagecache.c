// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cli.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "pagecache.skel.h"
#include "pagecache.h"

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

const struct probe_event pagecache__events[PAGECACHE_NR_EVENTS] = {
	[PAGECACHE_READ] = EVENT("read access", read_cands, false),
	[PAGECACHE_FAULT] = EVENT("fault access", fault_cands, false),
	[PAGECACHE_FAULT_AROUND] = EVENT("fault-around access", fault_around_cands, false),
	[PAGECACHE_ADD] = EVENT("page-cache insert", add_cands, false),
	[PAGECACHE_DIRTY] = EVENT("page dirtied", dirty_cands, false),
};

void pagecache__delta(const struct pc_stats *after, const struct pc_stats *before,
		      struct pc_stats *out)
{
	int i;

	for (i = 0; i < PC_NR_STATS; i++)
		out->v[i] = after->v[i] - before->v[i];
}

void pagecache__derive(const struct pc_stats *d, struct pagecache_counts *out)
{
	unsigned long long added = d->v[PC_ADDED], by_write = d->v[PC_ADDED_BY_WRITE];

	out->accesses = d->v[PC_READ_PAGES] + d->v[PC_FAULT_PAGES];
	out->misses = added > by_write ? added - by_write : 0;
	out->hits = out->accesses > out->misses ? out->accesses - out->misses : 0;
	out->dirties = d->v[PC_DIRTIED];
	out->hit_ratio = out->hits + out->misses
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

int pagecache__open(struct pagecache *pc, const struct pagecache_opts *o)
{
	int err, e;

	memset(pc, 0, sizeof(*pc));
	err = probe__init(&pc->probes, "pagecache", pagecache__events, PAGECACHE_NR_EVENTS);
	if (err)
		return err;
	pc->probes.skip_kinds = o->skip_kinds;
	for (e = 0; o->forced && e < PAGECACHE_NR_EVENTS; e++)
		probe__force(&pc->probes, e, o->forced[e]);
	pc->skel = pagecache_bpf__open();
	if (!pc->skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	pc->skel->rodata->targ_tgid = o->tgid;
	pc->skel->rodata->per_process = o->per_process;
	pc->skel->rodata->per_file = o->per_file;
	bpf_map__set_max_entries(pc->skel->maps.procs,
				 o->per_process ? (o->max_procs ?: PC_DEFAULT_MAX_PROCS) : 1);
	bpf_map__set_max_entries(pc->skel->maps.files,
				 o->per_file ? (o->max_files ?: PC_DEFAULT_MAX_FILES) : 1);
	return probe__resolve(&pc->probes, pc->skel->obj, o->all_probes);
}

int pagecache__attach(struct pagecache *pc)
{
	int err = pagecache_bpf__load(pc->skel);

	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	return probe__attach(&pc->probes, pc->skel->obj);
}

int pagecache__start(struct pagecache *pc, struct pagecache_opts *o,
		     const struct cli_common *c, pid_t pid)
{
	int err;

	o->tgid = pid;
	o->all_probes = c->probes;
	o->skip_kinds = c->skip_kinds;
	err = pagecache__open(pc, o);
	if (c->probes) {
		if (pc->probes.chosen)
			probe__print(&pc->probes, stdout);
		pagecache__close(pc);
		return err ?: 1;
	}
	if (err)
		return err;
	loop__install_signals();
	return pagecache__attach(pc);
}

int pagecache__read(struct pagecache *pc, struct pc_stats *out)
{
	int i, c, n = libbpf_num_possible_cpus();
	struct pc_stats *vals;
	__u32 zero = 0;

	if (n <= 0)
		return -EINVAL;
	vals = calloc(n, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(pc->skel->maps.totals), &zero, vals)) {
		free(vals);
		return -errno;
	}
	memset(out, 0, sizeof(*out));
	for (c = 0; c < n; c++)
		for (i = 0; i < PC_NR_STATS; i++)
			out->v[i] += vals[c].v[i];
	free(vals);
	return 0;
}

void pagecache__close(struct pagecache *pc)
{
	probe__free(&pc->probes);
	pagecache_bpf__destroy(pc->skel);
	pc->skel = NULL;
}

static void pagecache__fill(struct pagecache_row *r)
{
	pagecache__derive(&r->raw, &r->k);
	r->write_hit = pagecache__write_hit(&r->raw);
}

/*
 * Keys first, then lookup-and-delete each: deleting while walking with
 * get_next_key would restart the walk. Counts added between the lookup and
 * the delete of one key (a few instructions) are lost; lookup_and_delete
 * closes that window where the kernel has it for hashes (v5.14+).
 */
int pagecache__drain(struct pagecache *pc, bool files, struct pagecache_row **rows, size_t *n)
{
	struct bpf_map *map = files ? pc->skel->maps.files : pc->skel->maps.procs;
	size_t ksz = bpf_map__key_size(map), cap = bpf_map__max_entries(map), nk = 0, i;
	int fd = bpf_map__fd(map);
	char *keys, *prev = NULL;
	struct pagecache_row *out;

	*rows = NULL;
	*n = 0;
	keys = malloc(cap * ksz);
	out = calloc(cap ? cap : 1, sizeof(*out));
	if (!keys || !out) {
		free(keys);
		free(out);
		return -ENOMEM;
	}
	while (nk < cap && !bpf_map_get_next_key(fd, prev, keys + nk * ksz)) {
		prev = keys + nk * ksz;
		nk++;
	}
	for (i = 0; i < nk; i++) {
		struct pagecache_row *r = &out[*n];
		void *key = keys + i * ksz;

		if (files) {
			struct pc_file v;

			if (bpf_map_lookup_and_delete_elem(fd, key, &v)) {
				if (bpf_map_lookup_elem(fd, key, &v))
					continue;
				bpf_map_delete_elem(fd, key);
			}
			r->dev = ((struct pc_file_key *)key)->dev;
			r->ino = ((struct pc_file_key *)key)->ino;
			r->pid = v.tgid;
			r->shared = v.shared;
			r->generation = v.generation;
			memcpy(r->comm, v.comm, sizeof(r->comm));
			r->raw = v.s;
		} else {
			struct pc_proc v;

			if (bpf_map_lookup_and_delete_elem(fd, key, &v)) {
				if (bpf_map_lookup_elem(fd, key, &v))
					continue;
				bpf_map_delete_elem(fd, key);
			}
			r->pid = *(__u32 *)key;
			r->uid = v.uid;
			memcpy(r->comm, v.comm, sizeof(r->comm));
			r->raw = v.s;
		}
		r->comm[sizeof(r->comm) - 1] = '\0';
		pagecache__fill(r);
		(*n)++;
	}
	free(keys);
	*rows = out;
	return 0;
}

int pagecache__full(struct pagecache *pc, unsigned long long out[PC_NR_FULL])
{
	int i, err;

	for (i = 0; i < PC_NR_FULL; i++) {
		err = events__percpu_sum(bpf_map__fd(pc->skel->maps.full), i, &out[i]);
		if (err)
			return err;
	}
	return 0;
}
