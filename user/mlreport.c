// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "bpfmap.h"
#include "log.h"
#include "mlreport.h"

static const struct field stack_fields[] = {
	[MLS_BYTES] = { .key = "bytes", .type = FT_U64, .kind = FK_GAUGE, .unit = "bytes",
			.help = "bytes outstanding from this stack" },
	[MLS_ALLOCS] = { .key = "allocs", .type = FT_U64, .kind = FK_GAUGE,
			 .help = "allocations outstanding from this stack" },
	[MLS_FRAMES] = { .key = "frames", .type = FT_FRAMES, .kind = FK_STACK,
			 .help = "the stack, innermost frame first" },
};
const struct schema mlreport__stack_schema = SCHEMA("memleak.stack", stack_fields);

static const struct field addr_fields[] = {
	[MLA_ADDR] = { .key = "addr", .type = FT_U64, .kind = FK_LABEL,
		       .help = "address of an outstanding allocation" },
	[MLA_BYTES] = { .key = "bytes", .type = FT_U64, .kind = FK_GAUGE, .unit = "bytes",
			.help = "its size" },
};
const struct schema mlreport__addr_schema = SCHEMA("memleak.addr", addr_fields);

static const struct field lost_fields[] = {
	[MLL_STACKS] = { .key = "stacks", .type = FT_U64, .kind = FK_COUNTER,
			 .help = "stacks not saved since start: unreadable, or the stack map full" },
	[MLL_ALLOCS] = { .key = "allocs", .type = FT_U64, .kind = FK_COUNTER,
			 .help = "allocations not recorded since start: table full" },
	[MLL_STACK_ALLOCS] = { .key = "stack_allocs", .type = FT_U64, .kind = FK_GAUGE,
			       .help = "outstanding allocations whose stack was lost" },
	[MLL_STACK_BYTES] = { .key = "stack_bytes", .type = FT_U64, .kind = FK_GAUGE,
			      .unit = "bytes", .help = "their bytes" },
};
const struct schema mlreport__lost_schema = SCHEMA("memleak.lost", lost_fields);

static const struct field report_fields[] = {
	[MLR_TIME] = { .key = "time", .type = FT_TIME, .kind = FK_LABEL,
		       .help = "when the tables were read (RFC 3339, UTC)" },
	[MLR_PID] = { .key = "pid", .type = FT_I64, .kind = FK_LABEL, .flags = FF_OMIT,
		      .help = "the traced process (user mode)" },
	[MLR_STACKS] = { .key = "stacks", .type = FT_LIST, .kind = FK_GROUP,
			 .sub = &mlreport__stack_schema,
			 .help = "the top stacks, largest first" },
	[MLR_ADDRS] = { .key = "addrs", .type = FT_LIST, .kind = FK_GROUP, .flags = FF_OMIT,
			.sub = &mlreport__addr_schema,
			.help = "with -a: every outstanding allocation" },
	[MLR_LOST] = { .key = "lost", .type = FT_OBJ, .kind = FK_GROUP,
		       .sub = &mlreport__lost_schema, .help = "what was not counted" },
};
const struct schema mlreport__schema = SCHEMA("memleak", report_fields);

/* One stack's totals; frames: its addresses, cut where the resolver ends
 * the stack (n of them) */
struct agg {
	__u64 id;
	unsigned long long bytes, allocs;
	int n;
	__u64 frames[ML_MAX_FRAMES];
};

struct id_size {
	__u64 id, size;
};

struct mlreport {
	struct memleak *m;
	struct mlreport_opts o;
	struct stacks *stacks;
	size_t cap, n_stacks;	/* the allocs and stack maps' sizes */
	__u64 *keys;
	void *vals;		/* struct ml_alloc, or struct ml_combined */
	struct id_size *held;	/* (stack id, size) of each allocation old enough */
	__u64 *ids;		/* the stack ids that records hold, for the GC */
	struct agg *agg;
	struct frame scratch[ML_MAX_FRAMES];
	/* the report */
	struct rec rec, lost, *stack_recs, *addr_recs;
	struct stack_view *views;
	struct frame *frames;
	size_t frames_cap, recs_cap, views_cap, addr_cap;
};

struct mlreport *mlreport__new(struct memleak *m, const struct mlreport_opts *o)
{
	struct mlreport *r = calloc(1, sizeof(*r));
	size_t vsz = sizeof(struct ml_alloc) > sizeof(struct ml_combined) ?
			     sizeof(struct ml_alloc) : sizeof(struct ml_combined);

	if (!r)
		goto fail;
	r->m = m;
	r->o = *o;
	r->cap = m->max_allocs > m->max_stacks ? m->max_allocs : m->max_stacks;
	r->n_stacks = m->max_stacks;
	r->keys = calloc(r->cap, sizeof(*r->keys));
	r->vals = calloc(r->cap, vsz);
	r->held = calloc(r->cap, sizeof(*r->held));
	r->ids = calloc(r->cap, sizeof(*r->ids));
	r->agg = calloc(r->n_stacks, sizeof(*r->agg));
	r->stacks = stacks__new();
	if (!r->keys || !r->vals || !r->held || !r->ids || !r->agg || !r->stacks)
		goto fail;
	return r;
fail:
	log__err("cannot set up: %s", strerror(ENOMEM));
	mlreport__free(r);
	return NULL;
}

void mlreport__free(struct mlreport *r)
{
	if (!r)
		return;
	stacks__free(r->stacks);
	free(r->keys);
	free(r->vals);
	free(r->held);
	free(r->ids);
	free(r->agg);
	free(r->stack_recs);
	free(r->addr_recs);
	free(r->views);
	free(r->frames);
	free(r);
}

void mlreport__refresh(struct mlreport *r)
{
	struct syms *sy = r->o.pid ? stacks__user_syms(r->stacks, r->o.pid) : NULL;

	if (sy)
		syms__refresh(sy);
}

/* Grows *p to hold n elements of size sz; false on ENOMEM. */
static bool reserve(void **p, size_t *cap, size_t n, size_t sz)
{
	void *q;

	if (n <= *cap)
		return true;
	q = realloc(*p, n * sz);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

static int cmp_id(const void *a, const void *b)
{
	const struct id_size *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_frames(const struct agg *x, const struct agg *y)
{
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return memcmp(x->frames, y->frames, x->n * sizeof(x->frames[0]));
}

static int cmp_by_frames(const void *a, const void *b)
{
	return cmp_frames(a, b);
}

static int cmp_by_bytes(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return cmp_frames(x, y);
}

static int cmp_by_allocs(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	if (x->allocs != y->allocs)
		return x->allocs > y->allocs ? -1 : 1;
	return cmp_frames(x, y);
}

/* Stacks that no allocation holds leave the stack map: with churn it
 * would fill, and later leaks would have no stack */
static void gc_stacks(struct mlreport *r, size_t n)
{
	int d = memleak__gc_stacks(r->m, r->ids, n);

	if (d > 0 && log_verbosity > 1)
		log__info("%d stacks that no allocation holds deleted", d);
}

/* --combined-only: the kernel's totals per stack */
static size_t take_combined(struct mlreport *r)
{
	struct ml_combined *c = r->vals;
	size_t n = 0, i, nagg = 0;

	bpfmap__dump(r->m->combined_fd, sizeof(__u64), sizeof(*c), r->n_stacks, r->keys, c, &n);
	for (i = 0; i < n; i++) {
		if (!c[i].allocs)
			continue;
		r->agg[nagg].id = r->keys[i];
		r->agg[nagg].bytes = c[i].bytes;
		r->agg[nagg].allocs = c[i].allocs;
		r->ids[nagg++] = r->keys[i];
	}
	gc_stacks(r, nagg);
	return nagg;
}

/* Every allocation old enough, summed per stack id; those whose stack was
 * lost into `lost`; *n_allocs: the table's entries (too young: ts_ns 0) */
static size_t take_allocs(struct mlreport *r, unsigned long long min_age, size_t *n_allocs)
{
	struct ml_alloc *v = r->vals;
	unsigned long long now_ns, lost_bytes = 0, lost_allocs = 0;
	size_t n = 0, i, nheld = 0, nids = 0, nagg = 0;
	struct timespec mono;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	now_ns = mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	bpfmap__dump(r->m->allocs_fd, sizeof(__u64), sizeof(*v), r->m->max_allocs, r->keys, v, &n);
	for (i = 0; i < n; i++)
		if (v[i].stack_id)
			r->ids[nids++] = v[i].stack_id;
	gc_stacks(r, nids);
	for (i = 0; i < n; i++) {
		if (now_ns < v[i].ts_ns || now_ns - v[i].ts_ns < min_age) {
			v[i].ts_ns = 0; /* too young: not shown with -a either */
			continue;
		}
		if (!v[i].stack_id) {
			lost_bytes += v[i].size;
			lost_allocs++;
			continue;
		}
		r->held[nheld].id = v[i].stack_id;
		r->held[nheld++].size = v[i].size;
	}
	rec__u64(&r->lost, MLL_STACK_ALLOCS, lost_allocs);
	rec__u64(&r->lost, MLL_STACK_BYTES, lost_bytes);
	/* one entry per stack id */
	qsort(r->held, nheld, sizeof(*r->held), cmp_id);
	for (i = 0; i < nheld; i++) {
		struct agg *a;

		if (!nagg || r->agg[nagg - 1].id != r->held[i].id) {
			if (nagg == r->n_stacks)
				break;
			a = &r->agg[nagg++];
			a->id = r->held[i].id;
			a->bytes = a->allocs = 0;
		}
		a = &r->agg[nagg - 1];
		a->bytes += r->held[i].size;
		a->allocs++;
	}
	*n_allocs = n;
	return nagg;
}

/* The stack's addresses as the resolver keeps them: kernel stacks without
 * the BPF program's frames, user stacks cut at the first address in no
 * mapped file */
static void read_stack(struct mlreport *r, struct agg *a)
{
	__u64 key = a->id;
	int i;

	a->n = 0;
	memset(a->frames, 0, sizeof(a->frames));
	if (bpf_map_lookup_elem(r->m->stacks_fd, &key, a->frames))
		return;
	a->n = stacks__resolve(r->stacks, r->o.pid, a->frames, ML_MAX_FRAMES, 0, r->scratch);
	for (i = 0; i < a->n; i++)
		a->frames[i] = r->scratch[i].addr;
	memset(a->frames + a->n, 0, (ML_MAX_FRAMES - a->n) * sizeof(a->frames[0]));
}

/* Stacks that are one after read_stack's cut become one */
static size_t merge_stacks(struct agg *list, size_t n)
{
	size_t i, m = 0;

	qsort(list, n, sizeof(*list), cmp_by_frames);
	for (i = 0; i < n; i++) {
		if (m && !cmp_frames(&list[m - 1], &list[i])) {
			list[m - 1].bytes += list[i].bytes;
			list[m - 1].allocs += list[i].allocs;
			continue;
		}
		if (m != i)
			list[m] = list[i];
		m++;
	}
	return m;
}

static int build_stacks(struct mlreport *r, size_t top)
{
	size_t i, nf = 0;

	for (i = 0; i < top; i++)
		nf += r->agg[i].n;
	if (!reserve((void **)&r->stack_recs, &r->recs_cap, top, sizeof(*r->stack_recs)) ||
	    !reserve((void **)&r->views, &r->views_cap, top, sizeof(*r->views)) ||
	    !reserve((void **)&r->frames, &r->frames_cap, nf, sizeof(*r->frames)))
		return -ENOMEM;
	for (i = 0, nf = 0; i < top; i++) {
		struct agg *a = &r->agg[i];
		struct stack_view *v = &r->views[i];
		struct rec *s = &r->stack_recs[i];

		v->frames = r->frames + nf;
		v->n = stacks__resolve(r->stacks, r->o.pid, a->frames, a->n, 0, r->frames + nf);
		v->kernel = !r->o.pid;
		nf += v->n;
		rec__init(s, &mlreport__stack_schema);
		rec__u64(s, MLS_BYTES, a->bytes);
		rec__u64(s, MLS_ALLOCS, a->allocs);
		rec__stack(s, MLS_FRAMES, v);
	}
	rec__list(&r->rec, MLR_STACKS, r->stack_recs, top);
	return 0;
}

static int build_addrs(struct mlreport *r, size_t n)
{
	const struct ml_alloc *v = r->vals;
	size_t i, k = 0, old = 0;

	for (i = 0; i < n; i++)
		old += !!v[i].ts_ns;
	if (!reserve((void **)&r->addr_recs, &r->addr_cap, old, sizeof(*r->addr_recs)))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!v[i].ts_ns)
			continue;
		rec__init(&r->addr_recs[k], &mlreport__addr_schema);
		rec__u64(&r->addr_recs[k], MLA_ADDR, r->keys[i]);
		rec__u64(&r->addr_recs[k++], MLA_BYTES, v[i].size);
	}
	rec__list(&r->rec, MLR_ADDRS, r->addr_recs, k);
	return 0;
}

const struct rec *mlreport__take(struct mlreport *r, const struct timespec *now, bool final)
{
	unsigned long long cnt[ML_NR_COUNTERS] = {};
	size_t nagg, n_allocs = 0, i, top;
	bool combined = r->m->o.combined_only;

	rec__init(&r->rec, &mlreport__schema);
	rec__init(&r->lost, &mlreport__lost_schema);
	rec__time(&r->rec, MLR_TIME, now);
	if (r->o.pid)
		rec__i64(&r->rec, MLR_PID, r->o.pid);
	memleak__counters(r->m, cnt);
	rec__u64(&r->lost, MLL_STACKS, cnt[ML_LOST_STACKS]);
	rec__u64(&r->lost, MLL_ALLOCS, cnt[ML_DROPPED] + cnt[ML_COMBINED_FULL]);
	rec__obj(&r->rec, MLR_LOST, &r->lost);
	mlreport__refresh(r);
	/* once the process is gone nothing can be freed any more: the last
	 * report holds everything outstanding, whatever its age */
	nagg = combined ? take_combined(r) : take_allocs(r, final ? 0 : r->o.min_age_ns, &n_allocs);
	for (i = 0; i < nagg; i++)
		read_stack(r, &r->agg[i]);
	nagg = merge_stacks(r->agg, nagg);
	qsort(r->agg, nagg, sizeof(*r->agg), r->o.sort_count ? cmp_by_allocs : cmp_by_bytes);
	top = nagg < r->o.top ? nagg : r->o.top;
	if (build_stacks(r, top) ||
	    (r->o.show_allocs && !combined && build_addrs(r, n_allocs)))
		log__err("cannot make the report: %s", strerror(ENOMEM));
	return &r->rec;
}

void mlreport__print_banner(FILE *f, pid_t pid)
{
	if (pid)
		fprintf(f, "Attaching to pid %d, Ctrl-C to quit.\n", pid);
	else
		fprintf(f, "Attaching to kernel allocators, Ctrl-C to quit.\n");
	fflush(f);
}

void mlreport__print_text(FILE *f, const struct rec *r, unsigned long top)
{
	const struct val *addrs = &r->v[MLR_ADDRS], *stacks = &r->v[MLR_STACKS];
	const struct rec *lost = r->v[MLR_LOST].set ? r->v[MLR_LOST].list.recs : NULL;
	size_t i;
	char ts[32];

	for (i = 0; addrs->set && i < addrs->list.n; i++) {
		const struct rec *a = &addrs->list.recs[i];

		fprintf(f, "\taddr = %llx size = %llu\n", a->v[MLA_ADDR].u, a->v[MLA_BYTES].u);
	}
	out__hms(&r->v[MLR_TIME].t, ts, sizeof(ts));
	fprintf(f, "[%s] Top %lu stacks with outstanding allocations:\n", ts, top);
	/* largest last, as bcc: the worst leak sits next to the prompt */
	for (i = stacks->set ? stacks->list.n : 0; i-- > 0;) {
		const struct rec *s = &stacks->list.recs[i];

		fprintf(f, "\t%llu bytes in %llu allocations from stack\n", s->v[MLS_BYTES].u,
			s->v[MLS_ALLOCS].u);
		stack__print(f, s->v[MLS_FRAMES].st, "\t\t");
	}
	if (lost && lost->v[MLL_STACK_ALLOCS].u)
		fprintf(f, "\t%llu bytes in %llu allocations whose stack was lost\n",
			lost->v[MLL_STACK_BYTES].u, lost->v[MLL_STACK_ALLOCS].u);
	if (lost && (lost->v[MLL_STACKS].u || lost->v[MLL_ALLOCS].u))
		fprintf(f, "\tlost %llu stacks (stack unreadable or stack map full), %llu allocations (table full)\n",
			lost->v[MLL_STACKS].u, lost->v[MLL_ALLOCS].u);
	fflush(f);
}

void mlreport__print_folded(FILE *f, const struct rec *r, bool sort_count)
{
	const struct val *stacks = &r->v[MLR_STACKS];
	size_t i;

	for (i = 0; stacks->set && i < stacks->list.n; i++) {
		const struct rec *s = &stacks->list.recs[i];

		stack__folded(f, s->v[MLS_FRAMES].st, "");
		fprintf(f, " %llu\n", sort_count ? s->v[MLS_ALLOCS].u : s->v[MLS_BYTES].u);
	}
	fflush(f);
}
