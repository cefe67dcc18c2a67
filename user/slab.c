// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpfmap.h"
#include "log.h"
#include "proc.h"
#include "slab.h"
#include "slab.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define EVENT(n, c, opt) { n, c, ARRAY_SIZE(c), opt }

#define ACC_KMALLOC                                                                           \
	"cache from bytes_alloc and gfp flags (kmalloc_type); frees matched to objects "     \
	"allocated while tracing"

/* The cache argument: v6.1+ for both tracepoints, the functions before
 * (see bpf/slab.bpf.c). */
static const struct probe_cand cache_alloc_cands[] = {
	{ "cache_alloc_raw", PROBE_RAW_TP, "kmem_cache_alloc", NULL,
	  "long unsigned int,void,kmem_cache" },
	{ "cache_alloc_fexit", PROBE_FEXIT, "kmem_cache_alloc", NULL, "kmem_cache" },
};
static const struct probe_cand cache_free_cands[] = {
	{ "cache_free_raw", PROBE_RAW_TP, "kmem_cache_free", NULL,
	  "long unsigned int,void,kmem_cache" },
	{ "cache_free_fentry", PROBE_FENTRY, "kmem_cache_free", NULL, "kmem_cache,void" },
	{ "cache_free_kprobe", PROBE_KPROBE, "kmem_cache_free", NULL, "kmem_cache,void" },
};
#define ACC_BULK "counted; objects not matched to their frees (kmalloc, --stacks)"
static const struct probe_cand alloc_bulk_cands[] = {
	{ "alloc_bulk_fexit", PROBE_FEXIT, "kmem_cache_alloc_bulk", ACC_BULK, "kmem_cache" },
	{ "alloc_bulk_noprof_fexit", PROBE_FEXIT, "kmem_cache_alloc_bulk_noprof", ACC_BULK,
	  "kmem_cache" },
};
static const struct probe_cand free_bulk_cands[] = {
	{ "free_bulk_fentry", PROBE_FENTRY, "kmem_cache_free_bulk", ACC_BULK, "kmem_cache" },
};
static const struct probe_cand cache_alloc_node_cands[] = {
	{ "cache_alloc_node_fexit", PROBE_FEXIT, "kmem_cache_alloc_node", NULL, "kmem_cache" },
};
static const struct probe_cand cache_alloc_lru_cands[] = {
	{ "cache_alloc_lru_fexit", PROBE_FEXIT, "kmem_cache_alloc_lru", NULL,
	  "kmem_cache,list_lru" },
};
static const struct probe_cand kmalloc_cands[] = {
	{ "kmalloc_raw", PROBE_RAW_TP, "kmalloc", ACC_KMALLOC, NULL },
};
static const struct probe_cand kmalloc_node_cands[] = {
	{ "kmalloc_node_raw", PROBE_RAW_TP, "kmalloc_node", ACC_KMALLOC, NULL },
};
static const struct probe_cand kfree_cands[] = {
	{ "kfree_raw", PROBE_RAW_TP, "kfree", NULL, NULL },
};

const struct probe_event slab__events[SLAB_NR_EVENTS] = {
	[SLAB_CACHE_ALLOC] = EVENT("cache allocation", cache_alloc_cands, false),
	[SLAB_CACHE_FREE] = EVENT("cache free", cache_free_cands, false),
	[SLAB_KMALLOC] = EVENT("kmalloc", kmalloc_cands, false),
	[SLAB_KMALLOC_NODE] = EVENT("kmalloc_node", kmalloc_node_cands, true),
	[SLAB_KFREE] = EVENT("kfree", kfree_cands, false),
	[SLAB_ALLOC_BULK] = EVENT("bulk allocation", alloc_bulk_cands, true),
	[SLAB_FREE_BULK] = EVENT("bulk free", free_bulk_cands, true),
	[SLAB_CACHE_ALLOC_NODE] = EVENT("cache allocation on a node", cache_alloc_node_cands,
					false),
	[SLAB_CACHE_ALLOC_LRU] = EVENT("cache allocation on an lru", cache_alloc_lru_cands, true),
};

struct slab_totals {
	__u64 key;
	__u64 allocs, frees, alloc_bytes, free_bytes;
};

static int slab__open(struct slab *sl, const struct slab_opts *o)
{
	char why[PROBE_WHY_LEN];
	struct bpf_program *prog;
	int err, e, n = SLAB_NR_EVENTS;

	memset(sl, 0, sizeof(*sl));
	/* v6.1+: the tracepoints carry the cache, and also count what the
	 * fallback's _node and _lru functions allocate: those are left out */
	if (!probe__available(PROBE_RAW_TP, "kmem_cache_alloc", cache_alloc_cands[0].args, why,
			      sizeof(why)))
		n = SLAB_NR_BASE;
	for (e = n; o->m.forced && e < SLAB_NR_EVENTS; e++)
		if (o->m.forced[e] >= 0) {
			log__err("%s: only before v6.1", slab__events[e].name);
			return -EOPNOTSUPP;
		}
	err = probe__init(&sl->probes, "slab", slab__events, n);
	if (err)
		return err;
	sl->probes.skip_kinds = o->m.skip_kinds;
	for (e = 0; o->m.forced && e < n; e++)
		probe__force(&sl->probes, e, o->m.forced[e]);
	sl->skel = slab_bpf__open();
	if (!sl->skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	/* the events left out must not load: probe__resolve only sets the
	 * programs of the events it is given */
	bpf_object__for_each_program(prog, sl->skel->obj)
		bpf_program__set_autoload(prog, false);
	sl->skel->rodata->targ_tgid = o->m.tgid;
	sl->skel->rodata->targ_cgroup_id = o->cgroup_id;
	sl->skel->rodata->targ_cgroup_mode = o->cgroup_mode;
	if (o->stacks_cache) {
		__u64 key = 0;

		if (strlen(o->stacks_cache) >= SLAB_NAME_LEN) {
			log__err("cache name '%s' is longer than %d characters", o->stacks_cache,
				 SLAB_NAME_LEN - 1);
			return -EINVAL;
		}
		slab__kmalloc_key(o->stacks_cache, &key);
		sl->skel->rodata->targ_stacks = true;
		sl->skel->rodata->targ_stack_key = key;
		strcpy((char *)sl->skel->rodata->targ_stack_name, o->stacks_cache);
		sl->stacks = stacks__new();
		if (!sl->stacks) {
			log__err("out of memory");
			return -ENOMEM;
		}
		/* -p: its modules known from the start, for frames after it exits */
		if (o->m.tgid)
			stacks__user_syms(sl->stacks, o->m.tgid);
	} else {
		bpf_map__set_max_entries(sl->skel->maps.stack_objs, 1);
		bpf_map__set_max_entries(sl->skel->maps.stack_live, 1);
		bpf_map__set_max_entries(sl->skel->maps.stackmap, 1);
	}
	return probe__resolve(&sl->probes, sl->skel->obj, o->m.all_probes);
}

static int slab__attach(struct slab *sl)
{
	int err = slab_bpf__load(sl->skel);

	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	return probe__attach(&sl->probes, sl->skel->obj);
}

static void slab__close(struct slab *sl)
{
	stacks__free(sl->stacks);
	sl->stacks = NULL;
	probe__free(&sl->probes);
	slab_bpf__destroy(sl->skel);
	sl->skel = NULL;
	free(sl->prev);
	sl->prev = NULL;
	sl->nprev = 0;
}

void slab__kmalloc_name(__u64 key, char *buf, size_t size)
{
	static const char *const prefix[] = {
		[SLAB_KM_NORMAL] = "kmalloc-",
		[SLAB_KM_CG] = "kmalloc-cg-",
		[SLAB_KM_RCL] = "kmalloc-rcl-",
		[SLAB_KM_DMA] = "dma-kmalloc-",
	};
	unsigned int type = (unsigned int)(key >> 32) & 0xff, n = (unsigned int)key;

	if (type == SLAB_KM_LARGE || type >= ARRAY_SIZE(prefix))
		snprintf(buf, size, "kmalloc-large");
	else if (n >= 1024 && !(n % 1024))
		snprintf(buf, size, "%s%uk", prefix[type], n / 1024);
	else
		snprintf(buf, size, "%s%u", prefix[type], n);
}

int slab__kmalloc_key(const char *name, __u64 *key)
{
	static const struct {
		const char *prefix;
		__u64 type;
	} types[] = {
		{ "kmalloc-cg-", SLAB_KM_CG },
		{ "kmalloc-rcl-", SLAB_KM_RCL },
		{ "dma-kmalloc-", SLAB_KM_DMA },
		{ "kmalloc-", SLAB_KM_NORMAL },
	};
	unsigned long n;
	size_t i, len;
	char *end;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		len = strlen(types[i].prefix);
		if (strncmp(name, types[i].prefix, len) || name[len] < '1' || name[len] > '9')
			continue;
		n = strtoul(name + len, &end, 10);
		if (*end == 'k') {
			n *= 1024;
			end++;
		}
		if (*end || n > 1UL << 30)
			return -EINVAL;
		*key = SLAB_KMALLOC_KEY | types[i].type << 32 | n;
		return 0;
	}
	return -EINVAL;
}

bool slab__is_cache(const char *name)
{
	struct slabinfo_line l;
	__u64 key;

	return !slab__kmalloc_key(name, &key) || !slab__slabinfo(NULL, name, &l);
}

static void merge_stats(void *acc, const void *cpu_val)
{
	struct slab_stats *a = acc;
	const struct slab_stats *b = cpu_val;

	a->allocs += b->allocs;
	a->frees += b->frees;
	a->alloc_bytes += b->alloc_bytes;
	a->free_bytes += b->free_bytes;
	if (!a->name[0] && b->name[0])
		memcpy(a->name, b->name, sizeof(a->name));
	if (!a->size)
		a->size = b->size;
}

static int cmp_totals(const void *a, const void *b)
{
	__u64 x = ((const struct slab_totals *)a)->key, y = ((const struct slab_totals *)b)->key;

	return x < y ? -1 : x > y;
}

int slab__slabinfo_read(const char *path, struct slabinfo_entry **out, size_t *n)
{
	FILE *f = fopen(path ? path : "/proc/slabinfo", "re");
	struct slabinfo_entry *e = NULL, *t;
	size_t cap = 0;
	char line[512];

	*out = NULL;
	*n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct slabinfo_entry x;

		if (sscanf(line, "%63s %llu %llu %llu", x.name, &x.l.active_objs, &x.l.num_objs,
			   &x.l.objsize) != 4)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			t = realloc(e, cap * sizeof(*e));
			if (!t)
				break;
			e = t;
		}
		e[(*n)++] = x;
	}
	fclose(f);
	*out = e;
	return 0;
}

int slab__slabinfo(const char *path, const char *name, struct slabinfo_line *out)
{
	struct slabinfo_entry *e;
	size_t n, i;
	int err = slab__slabinfo_read(path, &e, &n);

	if (err)
		return err;
	err = -ENOENT;

	for (i = 0; i < n; i++)
		if (!strcmp(e[i].name, name)) {
			*out = e[i].l;
			err = 0;
			break;
		}
	free(e);
	return err;
}

/* /sys/kernel/slab/NAME/ATTR as a number; -1: absent */
static int slab_attr(const char *name, const char *attr)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", name, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int reclaimable(const char *name)
{
	int v = slab_attr(name, "reclaim_account");

	return v < 0 ? -1 : v != 0;
}

int slab__drain(struct slab *sl, struct slab_row **rows, size_t *n)
{
	int fd = bpf_map__fd(sl->skel->maps.caches), err;
	size_t nkeys = 0, i, j, nrows = 0, ninfo;
	struct slab_totals *cur = NULL;
	struct slabinfo_entry *info;
	struct slab_row *out = NULL;
	__u64 *keys;

	*rows = NULL;
	*n = 0;
	keys = calloc(SLAB_DEFAULT_MAX_CACHES, sizeof(*keys));
	cur = calloc(SLAB_DEFAULT_MAX_CACHES, sizeof(*cur));
	out = calloc(SLAB_DEFAULT_MAX_CACHES, sizeof(*out));
	if (!keys || !cur || !out) {
		err = -ENOMEM;
		goto fail;
	}
	err = bpfmap__keys(fd, sizeof(__u64), SLAB_DEFAULT_MAX_CACHES, keys, &nkeys);
	if (err)
		goto fail;
	slab__slabinfo_read(NULL, &info, &ninfo);	/* none: OBJS and SIZE_MB absent */
	for (i = 0; i < nkeys; i++) {
		struct slab_stats st = {};
		struct slab_totals *p, k = { .key = keys[i] };
		struct slab_row *r;

		if (bpfmap__percpu_fold(fd, &keys[i], sizeof(st), merge_stats, &st))
			continue;
		cur[i] = (struct slab_totals){ keys[i], st.allocs, st.frees, st.alloc_bytes,
					       st.free_bytes };
		p = sl->prev ? bsearch(&k, sl->prev, sl->nprev, sizeof(k), cmp_totals) : NULL;
		r = &out[nrows];
		memset(r, 0, sizeof(*r));
		r->key = keys[i];
		r->allocs = st.allocs - (p ? p->allocs : 0);
		r->frees = st.frees - (p ? p->frees : 0);
		r->alloc_bytes = st.alloc_bytes - (p ? p->alloc_bytes : 0);
		r->free_bytes = st.free_bytes - (p ? p->free_bytes : 0);
		if (!r->allocs && !r->frees)
			continue;
		r->net_objs = (long long)r->allocs - (long long)r->frees;
		r->net_bytes = (long long)r->alloc_bytes - (long long)r->free_bytes;
		r->size = st.size;
		if (SLAB_IS_KMALLOC(keys[i]))
			slab__kmalloc_name(keys[i], r->name, sizeof(r->name));
		else
			snprintf(r->name, sizeof(r->name), "%s", st.name);
		r->reclaimable = -1;
		for (j = 0; j < ninfo; j++)
			if (!strcmp(info[j].name, r->name)) {
				r->have_info = true;
				r->objs = info[j].l.active_objs;
				r->total_bytes = info[j].l.num_objs * info[j].l.objsize;
				r->reclaimable = reclaimable(r->name);
				/* v6.18: kfree_rcu() of a cache with per-CPU
				 * sheaves goes to an RCU sheaf and is freed
				 * from it in bulk, with no tracepoint and no
				 * function to hook (maple_node: ALLOCS and
				 * no FREES): its net growth is unknown */
				r->net_unknown = slab_attr(r->name, "sheaf_capacity") > 0;
				break;
			}
		nrows++;
	}
	free(info);
	qsort(cur, nkeys, sizeof(*cur), cmp_totals);
	free(sl->prev);
	sl->prev = cur;
	sl->nprev = nkeys;
	free(keys);
	*rows = out;
	*n = nrows;
	return 0;
fail:
	free(keys);
	free(cur);
	free(out);
	return err;
}

/* The addresses of stack `id` (0: none), 0-ended, in ips. */
static int stack_ips(int fd, __u64 id, __u64 ips[STACK_MAX_DEPTH])
{
	int n = 0;

	memset(ips, 0, STACK_MAX_DEPTH * sizeof(*ips));
	if (id && bpf_map_lookup_elem(fd, &id, ips))
		memset(ips, 0, STACK_MAX_DEPTH * sizeof(*ips));
	while (n < STACK_MAX_DEPTH && ips[n])
		n++;
	return n;
}

static int cmp_stack_rows(const void *pa, const void *pb)
{
	const struct slab_stack_row *a = pa, *b = pb;

	return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

void slab__free_stacks(struct slab_stack_row *rows, size_t n)
{
	size_t i;

	for (i = 0; rows && i < n; i++)
		free(rows[i].frames);
	free(rows);
}

int slab__drain_stacks(struct slab *sl, struct slab_stack_row **rows, size_t *n)
{
	int sfd = bpf_map__fd(sl->skel->maps.stackmap), err;
	__u64 uips[STACK_MAX_DEPTH], kips[STACK_MAX_DEPTH];
	size_t cap = bpf_map__max_entries(sl->skel->maps.stack_live), nk = 0, i, nr = 0;
	struct slab_stack_key *keys = calloc(cap, sizeof(*keys));
	struct slab_stack *vals = calloc(cap, sizeof(*vals));
	struct slab_stack_row *out = calloc(cap + 1, sizeof(*out));

	*rows = NULL;
	*n = 0;
	err = keys && vals && out ? 0 : -ENOMEM;
	if (!err)
		err = bpfmap__dump(bpf_map__fd(sl->skel->maps.stack_live), sizeof(*keys),
				   sizeof(*vals), cap, keys, vals, &nk);
	for (i = 0; !err && i < nk; i++) {
		struct slab_stack_row *r = &out[nr];
		int nu, nkf;

		if (vals[i].objs <= 0)
			continue;
		r->pid = keys[i].tgid;
		memcpy(r->comm, vals[i].comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
		r->objs = vals[i].objs;
		r->bytes = r->objs * vals[i].size;
		nu = stack_ips(sfd, keys[i].ustack, uips);
		nkf = stack_ips(sfd, keys[i].kstack, kips);
		r->frames = calloc(nu + nkf + 1, sizeof(*r->frames));
		if (!r->frames) {
			err = -ENOMEM;
			break;
		}
		nr++;
		/* every frame of a tracepoint's stack is a return address, and
		 * so is a syscall's user frame 0 */
		r->user = (struct stack_view){ r->frames, 0, false };
		r->kernel = (struct stack_view){ r->frames + nu, 0, true };
		r->user.n = stacks__resolve(sl->stacks, r->pid, uips, nu, 0, r->frames);
		r->kernel.n = stacks__resolve(sl->stacks, 0, kips, nkf, 0, r->frames + nu);
	}
	free(keys);
	free(vals);
	if (err) {
		slab__free_stacks(out, nr);
		return err;
	}
	qsort(out, nr, sizeof(*out), cmp_stack_rows);
	*rows = out;
	*n = nr;
	return 0;
}

static int slab__counters(struct slab *sl, unsigned long long *out, __u32 n)
{
	int fd = bpf_map__fd(sl->skel->maps.full), err;
	__u32 k;

	for (k = 0; k < n; k++) {
		err = bpfmap__percpu_sum(fd, &k, &out[k], 1);
		if (err)
			return err;
	}
	return 0;
}

int slab__lost(struct slab *sl, unsigned long long out[SLAB_NR_FULL])
{
	return slab__counters(sl, out, SLAB_NR_FULL);
}

int slab__lost_all(struct slab *sl, unsigned long long out[SLAB_NR_COUNTERS])
{
	return slab__counters(sl, out, SLAB_NR_COUNTERS);
}

int slab__meminfo(const char *path, struct slab_meminfo *mi)
{
	static const char *const names[] = { "Slab", "SReclaimable", "SUnreclaim" };
	long long kb[3];
	int err = proc__meminfo_kb(path, names, kb, 3);

	mi->slab_kb = kb[0];
	mi->reclaimable_kb = kb[1];
	mi->unreclaim_kb = kb[2];
	return err;
}

static int module_open(void *state, const struct module_opts *o)
{
	return slab__open(state, (const struct slab_opts *)o);
}

static int module_attach(void *state)
{
	return slab__attach(state);
}

static void module_close(void *state)
{
	slab__close(state);
}

static const struct slab_opts every_program = {};
static const void *const variants[] = { &every_program, NULL };

const struct module_ops slab__module = {
	.name = "slab",
	.events = slab__events,
	.n_events = SLAB_NR_EVENTS,
	.size = sizeof(struct slab),
	.opts_size = sizeof(struct slab_opts),
	.variants = variants,
	.open = module_open,
	.attach = module_attach,
	.close = module_close,
	.probes_offset = offsetof(struct slab, probes),
};
