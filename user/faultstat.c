// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "bpfmap.h"
#include "faultstat.h"
#include "faultstat.skel.h"
#include "log.h"
#include "proc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ACC_RELEASE                                                                           \
	"exact; a process's last counts arrive when it is reaped, so a zombie's show late"

static const struct probe_cand exit_cands[] = {
	{ "exit_btf", PROBE_TP_BTF, "sched_process_exit", NULL, NULL },
	{ "exit_raw", PROBE_RAW_TP, "sched_process_exit", NULL, NULL },
	{ "release_fentry", PROBE_FENTRY, "release_task", ACC_RELEASE, "task_struct" },
	{ "release_kprobe", PROBE_KPROBE, "release_task", ACC_RELEASE, "task_struct" },
};

const struct probe_event faultstat__events[FAULTSTAT_NR_EVENTS] = {
	[FAULTSTAT_EXIT] = { "thread exit", exit_cands, ARRAY_SIZE(exit_cands), false },
};

const char *const faultstat__direct_progs[] = { "task_counts", "major_fault", NULL };

/* ---- the BPF object ---- */

static int fs__add_rec(struct faultstat *fs, const struct fs_task *r)
{
	if (fs->n_recs == fs->cap_recs) {
		size_t cap = fs->cap_recs ? fs->cap_recs * 2 : 1024;
		struct fs_task *n = realloc(fs->recs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fs->recs = n;
		fs->cap_recs = cap;
	}
	fs->recs[fs->n_recs++] = *r;
	return 0;
}

static int fs__on_exit(void *ctx, void *data, size_t size)
{
	struct faultstat *fs = ctx;

	if (size < sizeof(struct fs_task))
		return 0;
	if (fs__add_rec(fs, data))
		fs->rec_err = -ENOMEM;
	return 0;
}

static bool fs__have_find_vma(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_find_vma, NULL) > 0;
}

static int fs__perf_open(int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_PAGE_FAULTS_MAJ,
		.sample_period = 1,
	};

	return (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int faultstat__open(void *state, const struct module_opts *mo)
{
	const struct faultstat_opts *o = (const struct faultstat_opts *)mo;
	unsigned int max_procs = o->max_procs ?: FS_DEFAULT_MAX_PROCS;
	bool detail = o->detail || o->files || o->stacks;
	struct faultstat *fs = state;
	int err, e;

	memset(fs, 0, sizeof(*fs));
	err = probe__init(&fs->probes, "faultstat", faultstat__events, FAULTSTAT_NR_EVENTS);
	if (err)
		return err;
	fs->probes.skip_kinds = mo->skip_kinds;
	for (e = 0; mo->forced && e < FAULTSTAT_NR_EVENTS; e++)
		probe__force(&fs->probes, e, mo->forced[e]);
	fs->skel = faultstat_bpf__open();
	if (!fs->skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	fs->detail = detail;
	fs->skel->rodata->targ_tgid = mo->tgid;
	fs->skel->rodata->targ_files = o->files;
	fs->skel->rodata->targ_stacks = o->stacks;
	fs->skel->rodata->targ_memcg = o->per_cgroup;
	fs->skel->rodata->targ_cgroup_id = o->cgroup.id;
	fs->skel->rodata->targ_cgroup_mode = o->cgroup.mode;
	bpf_map__set_max_entries(fs->skel->maps.details, detail ? max_procs : 1);
	bpf_map__set_max_entries(fs->skel->maps.files,
				 o->files ? (o->max_files ?: FS_DEFAULT_MAX_FILES) : 1);
	/* preallocated: before v6.1 perf_event programs may use no other hash
	 * map (commit 96da3f7d489d "bpf: Remove tracing program restriction on
	 * map types") */
	bpf_map__set_map_flags(fs->skel->maps.stackmap, 0);
	bpf_map__set_max_entries(fs->skel->maps.stackmap,
				 o->stacks ? (o->max_stacks ?: FS_DEFAULT_MAX_STACKS) : 1);
	bpf_map__set_max_entries(fs->skel->maps.stacks,
				 o->stacks ? (o->max_stacks ?: FS_DEFAULT_MAX_STACKS) : 1);
	bpf_program__set_autoload(fs->skel->progs.major_fault, detail);
	err = probe__resolve(&fs->probes, fs->skel->obj, mo->all_probes);
	if (err)
		return err;
	/* (--probes says so in its table) */
	if (detail && !fs__have_find_vma() && !mo->all_probes) {
		log__err("%s needs bpf_find_vma() (Linux 5.17 or later)",
			 o->files ? "-f" : o->stacks ? "--stacks" : "-d");
		return -EOPNOTSUPP;
	}
	if (o->files && !(fs->paths = path_cache__new())) {
		log__err("out of memory");
		return -ENOMEM;
	}
	if (o->stacks) {
		fs->stacks = stacks__new();
		if (!fs->stacks) {
			log__err("out of memory");
			return -ENOMEM;
		}
		/* -p: its modules known from the start, for frames after it exits */
		if (mo->tgid)
			stacks__user_syms(fs->stacks, mo->tgid);
	}
	return 0;
}

static int fs__attach_perf(struct faultstat *fs)
{
	int ncpu = libbpf_num_possible_cpus(), cpu, fd, err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	fs->perf_links = calloc(ncpu, sizeof(*fs->perf_links));
	if (!fs->perf_links)
		return -ENOMEM;
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct bpf_link *link;

		fd = fs__perf_open(cpu);
		if (fd < 0) {
			err = -errno;
			if (err == -ENODEV || err == -ENXIO || err == -EINVAL)
				continue; /* a possible CPU that is offline */
			log__err("cannot open the major-fault perf event on CPU %d: %s", cpu,
				 strerror(-err));
			return err;
		}
		link = bpf_program__attach_perf_event(fs->skel->progs.major_fault, fd);
		if (!link) {
			err = -errno;
			close(fd);
			log__err("cannot attach to the major-fault perf event: %s", strerror(-err));
			return err;
		}
		/* the link owns fd now: bpf_link__destroy closes it */
		fs->perf_links[fs->n_perf++] = link;
	}
	if (!fs->n_perf) {
		log__err("no CPU accepts the major-fault perf event");
		return -ENODEV;
	}
	return 0;
}

static int fs__iterate(struct faultstat *fs)
{
	struct fs_task buf[256];
	size_t have = 0, i;
	ssize_t got;
	int fd, err = 0;

	fd = bpf_iter_create(bpf_link__fd(fs->iter));
	if (fd < 0)
		return -errno;
	for (;;) {
		got = read(fd, (char *)buf + have, sizeof(buf) - have);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
		if (got == 0)
			break;
		have += got;
		for (i = 0; i + 1 <= have / sizeof(buf[0]); i++)
			if ((err = fs__add_rec(fs, &buf[i])))
				goto out;
		memmove(buf, (char *)buf + i * sizeof(buf[0]), have - i * sizeof(buf[0]));
		have -= i * sizeof(buf[0]);
	}
out:
	close(fd);
	return err;
}

static int faultstat__attach(void *state)
{
	struct faultstat *fs = state;
	struct faultstat_row *rows;
	struct timespec ts;
	size_t n;
	int err = faultstat_bpf__load(fs->skel);

	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	err = events__open(&fs->ev, fs->skel->maps.events, fs->skel->maps.dropped, fs__on_exit,
			   fs);
	if (err) {
		log__err("cannot open the exit ring buffer: %s", strerror(-err));
		return err;
	}
	err = probe__attach(&fs->probes, fs->skel->obj);
	if (err)
		return err;
	fs->iter = bpf_program__attach_iter(fs->skel->progs.task_counts, NULL);
	if (!fs->iter) {
		err = -errno;
		log__err("cannot attach the task iterator: %s", strerror(-err));
		return err;
	}
	if (fs->detail && (err = fs__attach_perf(fs)))
		return err;
	/* the baseline: counts so far are not this run's */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fs->ledger.since_ns = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	err = faultstat__sample(fs, &rows, &n);
	free(rows);
	if (err)
		log__err("cannot read the task counters: %s", strerror(-err));
	return err;
}

/* After the probe table: the task iterator and the perf event. */
static void faultstat__print_direct(void *state, FILE *f)
{
	const struct faultstat *fs = state;
	const struct btf *btf = probe__vmlinux_btf();
	bool iter = btf && btf__find_by_name_kind(btf, "bpf_iter_task", BTF_KIND_FUNC) >= 0;
	int fd = fs__perf_open(0);
	char perf_why[112];

	fprintf(f, "%-20s %-52s %s\n", "task counters", "iter:task",
		iter ? "CHOSEN, exact" : "MISSING: no task iterator in this kernel");
	if (fd >= 0) {
		close(fd);
		snprintf(perf_why, sizeof(perf_why), "%s",
			 !fs__have_find_vma()     ? "unavailable: no bpf_find_vma (Linux < 5.17)"
			 : fs->detail		 ? "CHOSEN, faults from get_user_pages() not seen"
						 : "available (--detail)");
	} else {
		snprintf(perf_why, sizeof(perf_why), "unavailable: %s", strerror(errno));
	}
	fprintf(f, "%-20s %-52s %s\n", "major fault detail", "perf_event:major-faults", perf_why);
}

static void faultstat__close(void *state)
{
	struct faultstat *fs = state;
	int i;

	for (i = 0; i < fs->n_perf; i++)
		bpf_link__destroy(fs->perf_links[i]);
	free(fs->perf_links);
	fs->perf_links = NULL;
	fs->n_perf = 0;
	bpf_link__destroy(fs->iter);
	fs->iter = NULL;
	probe__free(&fs->probes);
	events__close(&fs->ev);
	faultstat_bpf__destroy(fs->skel);
	fs->skel = NULL;
	fs_ledger__free(&fs->ledger);
	free(fs->recs);
	fs->recs = NULL;
	fs->n_recs = fs->cap_recs = 0;
	stacks__free(fs->stacks);
	fs->stacks = NULL;
	path_cache__free(fs->paths);
	fs->paths = NULL;
}

/* The load test's: every program and map (--files --stacks), or, where
 * the kernel has no bpf_find_vma (< 5.17, commit 7c7e3d31e785 "bpf:
 * Introduce helper bpf_find_vma"), what it can load. */
static const struct faultstat_opts faultstat__all = { .files = true, .stacks = true,
						     .per_cgroup = true };
static const struct faultstat_opts faultstat__counting = {};
static const void *const faultstat__variants[] = { &faultstat__all, &faultstat__counting, NULL };

const struct module_ops faultstat__module = {
	.name = "faultstat",
	.events = faultstat__events,
	.n_events = FAULTSTAT_NR_EVENTS,
	.size = sizeof(struct faultstat),
	.opts_size = sizeof(struct faultstat_opts),
	.variants = faultstat__variants,
	.direct = faultstat__direct_progs,
	.open = faultstat__open,
	.attach = faultstat__attach,
	.close = faultstat__close,
	.probes_offset = offsetof(struct faultstat, probes),
	.print_direct = faultstat__print_direct,
};

/* Empties a hash map: the keys and values of the entries taken (malloc'ed,
 * in step). */
static int fs__take_all(struct bpf_map *map, char **keys, char **vals, size_t *n)
{
	return bpfmap__drain(bpf_map__fd(map), bpf_map__key_size(map), bpf_map__value_size(map),
			     bpf_map__max_entries(map), (void **)keys, (void **)vals, n);
}

static int fs__join_details(struct faultstat *fs, struct faultstat_row **rows, size_t *n)
{
	size_t nk, i, extra = 0;
	struct faultstat_row *out;
	char *keys, *vals;
	int err = fs__take_all(fs->skel->maps.details, &keys, &vals, &nk);

	if (err)
		return err;
	out = realloc(*rows, (*n + nk + 1) * sizeof(*out));
	if (!out) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	*rows = out;
	for (i = 0; i < nk; i++) {
		const struct fs_proc_key *k = (void *)(keys + i * sizeof(*k));
		const struct fs_detail *v = (void *)(vals + i * sizeof(*v));
		struct faultstat_row key = { .pid = k->tgid, .start_ns = k->leader_start_ns }, *r;
		int c;

		r = bsearch(&key, out, *n, sizeof(*out), fs_ledger__cmp_row);
		if (!r) {
			/* faults the counters do not show yet (a process whose
			 * exit record comes next interval) */
			r = &out[*n + extra++];
			*r = key;
			memcpy(r->comm, v->comm, sizeof(r->comm));
			r->comm[sizeof(r->comm) - 1] = '\0';
		}
		for (c = 0; c < FS_NR_CLASSES; c++)
			r->cls[c] += v->v[c];
	}
	*n += extra;
	qsort(out, *n, sizeof(*out), fs_ledger__cmp_row);
	free(keys);
	free(vals);
	return 0;
}

int faultstat__sample(struct faultstat *fs, struct faultstat_row **rows, size_t *n)
{
	int err;

	*rows = NULL;
	*n = 0;
	fs->n_recs = 0;
	fs->rec_err = 0;
	err = fs__iterate(fs);
	if (!err) {
		err = ring_buffer__consume(fs->ev.rb);
		err = err < 0 ? err : fs->rec_err;
	}
	if (err)
		return err;
	err = fs_ledger__update(&fs->ledger, fs->recs, fs->n_recs, rows, n);
	if (!err && fs->detail)
		err = fs__join_details(fs, rows, n);
	return err;
}

int faultstat__drain_files(struct faultstat *fs, struct faultstat_file_row **rows, size_t *n)
{
	struct faultstat_file_row *out;
	char *keys, *vals;
	size_t nk, i;
	int err = fs__take_all(fs->skel->maps.files, &keys, &vals, &nk);

	*rows = NULL;
	*n = 0;
	if (err)
		return err;
	out = calloc(nk + 1, sizeof(*out));
	for (i = 0; out && i < nk; i++) {
		const struct fs_file_key *k = (void *)(keys + i * sizeof(*k));
		const struct fs_file *v = (void *)(vals + i * sizeof(*v));

		out[i] = (struct faultstat_file_row){
			.dev = k->dev, .ino = k->ino, .pid = v->pid, .generation = v->generation,
			.shared = v->shared, .major = v->major,
		};
	}
	free(keys);
	free(vals);
	if (!out)
		return -ENOMEM;
	*rows = out;
	*n = nk;
	return 0;
}

/* The addresses of stack `id` (0: none), 0-ended, in ips. */
static void fs__stack(int fd, __u64 id, __u64 ips[FS_MAX_STACK_DEPTH])
{
	memset(ips, 0, FS_MAX_STACK_DEPTH * sizeof(*ips));
	if (id && bpf_map_lookup_elem(fd, &id, ips))
		memset(ips, 0, FS_MAX_STACK_DEPTH * sizeof(*ips));
}

static int fs__depth(const __u64 *ips)
{
	int n = 0;

	while (n < FS_MAX_STACK_DEPTH && ips[n])
		n++;
	return n;
}

/* Frame 0 of each stack is where the fault was, the others are return
 * addresses. */
static int fs__resolve(struct faultstat *fs, struct faultstat_stack_row *r, const __u64 *uips,
		       const __u64 *kips)
{
	int nu = fs__depth(uips), nk = fs__depth(kips);
	struct frame *f = calloc(nu + nk + 1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	r->frames = f;
	r->user = (struct stack_view){ f, 0, false };
	r->kernel = (struct stack_view){ f + nu, 0, true };
	if (fs->stacks) {
		r->user.n = stacks__resolve(fs->stacks, r->pid, uips, nu, 1, f);
		r->kernel.n = stacks__resolve(fs->stacks, 0, kips, nk, 1, f + nu);
	}
	return 0;
}

static int fs__cmp_stack(const void *pa, const void *pb)
{
	const struct faultstat_stack_row *a = pa, *b = pb;

	return a->count < b->count ? 1 : a->count > b->count ? -1 : 0;
}

int faultstat__drain_stacks(struct faultstat *fs, struct faultstat_stack_row **rows, size_t *n)
{
	int sfd = bpf_map__fd(fs->skel->maps.stackmap);
	__u64 uips[FS_MAX_STACK_DEPTH], kips[FS_MAX_STACK_DEPTH];
	struct faultstat_stack_row *out;
	char *keys, *vals;
	size_t nk, i;
	int err = fs__take_all(fs->skel->maps.stacks, &keys, &vals, &nk);

	*rows = NULL;
	*n = 0;
	if (err)
		return err;
	out = calloc(nk + 1, sizeof(*out));
	err = out ? 0 : -ENOMEM;
	for (i = 0; !err && i < nk; i++) {
		const struct fs_stack_key *k = (void *)(keys + i * sizeof(*k));
		const struct fs_stack *v = (void *)(vals + i * sizeof(*v));
		struct faultstat_stack_row *r = &out[i];

		r->pid = k->tgid;
		memcpy(r->comm, v->comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
		r->count = v->count;
		fs__stack(sfd, k->ustack, uips);
		fs__stack(sfd, k->kstack, kips);
		err = fs__resolve(fs, r, uips, kips);
	}
	/* stack ids are shared between keys: free them once all are read */
	for (i = 0; i < nk; i++) {
		const struct fs_stack_key *k = (void *)(keys + i * sizeof(*k));

		if (k->ustack)
			bpf_map_delete_elem(sfd, &k->ustack);
		if (k->kstack)
			bpf_map_delete_elem(sfd, &k->kstack);
	}
	free(keys);
	free(vals);
	if (fs->stacks)
		stacks__prune(fs->stacks);
	if (err) {
		faultstat__free_stacks(out, nk);
		return err;
	}
	qsort(out, nk, sizeof(*out), fs__cmp_stack);
	*rows = out;
	*n = nk;
	return 0;
}

void faultstat__free_stacks(struct faultstat_stack_row *rows, size_t n)
{
	size_t i;

	for (i = 0; rows && i < n; i++)
		free(rows[i].frames);
	free(rows);
}

int faultstat__full(struct faultstat *fs, unsigned long long out[FS_NR_FULL])
{
	int fd = bpf_map__fd(fs->skel->maps.full), err;
	__u32 i;

	for (i = 0; i < FS_NR_FULL; i++)
		if ((err = bpfmap__percpu_sum(fd, &i, &out[i], 1)))
			return err;
	return 0;
}

long long faultstat__lost_exits(struct faultstat *fs)
{
	return events__dropped(&fs->ev);
}
