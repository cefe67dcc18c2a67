// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "cli.h"
#include "faultstat.h"
#include "faultstat.skel.h"
#include "log.h"
#include "loop.h"

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

/* ---- the ledger ---- */

static int fs__cmp_task(const void *pa, const void *pb)
{
	const struct fs_task *a = pa, *b = pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return 0;
}

static int fs__cmp_row(const void *pa, const void *pb)
{
	const struct faultstat_row *a = pa, *b = pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return 0;
}

static __u64 fs__sub(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

/* Dead threads are remembered this many intervals, so a zombie seen after
 * its exit record adds nothing; threads neither seen nor reported dead
 * (their exit record was lost) are forgotten after FS_UNSEEN_MAX. */
#define FS_DEAD_KEEP 2
#define FS_UNSEEN_MAX 5

static void fs__thread_from(struct fs_thread *t, const struct fs_task *r)
{
	t->pid = r->pid;
	t->tgid = r->tgid;
	t->start_ns = r->start_ns;
	t->leader_start_ns = r->leader_start_ns;
	t->min_flt = r->min_flt;
	t->maj_flt = r->maj_flt;
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->dead = r->flags & FS_TASK_EXITED;
	t->unseen = 0;
}

int fs_ledger__update(struct fs_ledger *l, struct fs_task *recs, size_t n,
		      struct faultstat_row **rows, size_t *nrows)
{
	struct fs_thread *nt;
	struct faultstat_row *dr;
	size_t i = 0, j = 0, k = 0, nd = 0, m, w;

	*rows = NULL;
	*nrows = 0;
	qsort(recs, n, sizeof(*recs), fs__cmp_task);
	/* one record per thread: an exit record and an iterator record of the
	 * same thread carry the same final counts or the exit's are higher */
	for (m = 0, w = 0; m < n; m++) {
		if (w && !fs__cmp_task(&recs[w - 1], &recs[m])) {
			struct fs_task *p = &recs[w - 1];

			if (recs[m].min_flt > p->min_flt)
				p->min_flt = recs[m].min_flt;
			if (recs[m].maj_flt > p->maj_flt)
				p->maj_flt = recs[m].maj_flt;
			if (recs[m].flags & FS_TASK_EXITED) {
				p->flags |= FS_TASK_EXITED;
				memcpy(p->comm, recs[m].comm, sizeof(p->comm));
			}
			continue;
		}
		recs[w++] = recs[m];
	}
	n = w;
	nt = calloc(l->n + n + 1, sizeof(*nt));
	dr = calloc(n + 1, sizeof(*dr));
	if (!nt || !dr) {
		free(nt);
		free(dr);
		return -ENOMEM;
	}
	while (i < l->n || j < n) {
		struct fs_thread *o = i < l->n ? &l->t[i] : NULL;
		struct fs_task *r = j < n ? &recs[j] : NULL;
		__u64 dmin = 0, dmaj = 0;
		int c;

		if (!o)
			c = 1;
		else if (!r)
			c = -1;
		else if (o->pid != r->pid)
			c = o->pid < r->pid ? -1 : 1;
		else
			c = o->start_ns < r->start_ns ? -1 : o->start_ns > r->start_ns;
		if (c < 0) {
			i++;
			if (++o->unseen <= (o->dead ? FS_DEAD_KEEP : FS_UNSEEN_MAX))
				nt[k++] = *o;
			continue;
		}
		j++;
		if (c > 0) {
			/* new to us: born since the baseline, all its faults are
			 * new; else it predates us and this is its baseline */
			if (r->start_ns >= l->since_ns) {
				dmin = r->min_flt;
				dmaj = r->maj_flt;
			}
			fs__thread_from(&nt[k++], r);
		} else {
			i++;
			if (o->dead && o->min_flt == r->min_flt && o->maj_flt == r->maj_flt) {
				/* its zombie, or its exit record again */
				nt[k++] = *o;
				continue;
			}
			if (!o->dead) {
				dmin = fs__sub(r->min_flt, o->min_flt);
				dmaj = fs__sub(r->maj_flt, o->maj_flt);
			}
			/* else another thread took over the id and start time
			 * (a non-leader thread's exec: de_thread() gives it the
			 * leader's): this is its baseline */
			fs__thread_from(&nt[k++], r);
		}
		if (dmin || dmaj) {
			struct faultstat_row *d = &dr[nd++];

			d->pid = r->tgid;
			d->start_ns = r->leader_start_ns;
			memcpy(d->comm, r->comm, sizeof(d->comm));
			d->comm[sizeof(d->comm) - 1] = '\0';
			d->minor = dmin;
			d->major = dmaj;
		}
	}
	free(l->t);
	l->t = nt;
	l->n = k;
	/* threads to processes */
	qsort(dr, nd, sizeof(*dr), fs__cmp_row);
	for (m = 0, w = 0; m < nd; m++) {
		if (w && !fs__cmp_row(&dr[w - 1], &dr[m])) {
			dr[w - 1].minor += dr[m].minor;
			dr[w - 1].major += dr[m].major;
			/* the leader's record names the process best */
			if (dr[m].comm[0])
				memcpy(dr[w - 1].comm, dr[m].comm, sizeof(dr[m].comm));
			continue;
		}
		dr[w++] = dr[m];
	}
	*rows = dr;
	*nrows = w;
	return 0;
}

void fs_ledger__free(struct fs_ledger *l)
{
	free(l->t);
	l->t = NULL;
	l->n = 0;
}

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

int faultstat__open(struct faultstat *fs, const struct faultstat_opts *o)
{
	unsigned int max_procs = o->max_procs ?: FS_DEFAULT_MAX_PROCS;
	bool detail = o->detail || o->files || o->stacks;
	int err, e;

	memset(fs, 0, sizeof(*fs));
	err = probe__init(&fs->probes, "faultstat", faultstat__events, FAULTSTAT_NR_EVENTS);
	if (err)
		return err;
	fs->probes.skip_kinds = o->skip_kinds;
	for (e = 0; o->forced && e < FAULTSTAT_NR_EVENTS; e++)
		probe__force(&fs->probes, e, o->forced[e]);
	fs->skel = faultstat_bpf__open();
	if (!fs->skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	fs->detail = detail;
	fs->skel->rodata->targ_tgid = o->tgid;
	fs->skel->rodata->targ_files = o->files;
	fs->skel->rodata->targ_stacks = o->stacks;
	fs->skel->rodata->targ_cgroup_id = o->cgroup.id;
	fs->skel->rodata->targ_cgroup_mode = o->cgroup.mode;
	bpf_map__set_max_entries(fs->skel->maps.details, detail ? max_procs : 1);
	bpf_map__set_max_entries(fs->skel->maps.files,
				 o->files ? (o->max_files ?: FS_DEFAULT_MAX_FILES) : 1);
	/* preallocated: before v6.1 perf_event programs may use no other hash
	 * map */
	bpf_map__set_map_flags(fs->skel->maps.stackmap, 0);
	bpf_map__set_max_entries(fs->skel->maps.stackmap,
				 o->stacks ? (o->max_stacks ?: FS_DEFAULT_MAX_STACKS) : 1);
	bpf_map__set_max_entries(fs->skel->maps.stacks,
				 o->stacks ? (o->max_stacks ?: FS_DEFAULT_MAX_STACKS) : 1);
	bpf_program__set_autoload(fs->skel->progs.major_fault, detail);
	err = probe__resolve(&fs->probes, fs->skel->obj, o->all_probes);
	if (err)
		return err;
	if (detail && !fs__have_find_vma()) {
		log__err("--detail needs bpf_find_vma() (Linux 5.17 or later)");
		return -EOPNOTSUPP;
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

int faultstat__attach(struct faultstat *fs)
{
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

int faultstat__start(struct faultstat *fs, struct faultstat_opts *o, const struct cli_common *c,
		     pid_t pid)
{
	int err;

	o->tgid = pid;
	o->all_probes = c->probes;
	o->skip_kinds = c->skip_kinds;
	err = faultstat__open(fs, o);
	if (c->probes) {
		if (fs->probes.chosen)
			faultstat__print_probes(fs, stdout);
		faultstat__close(fs);
		return err == -EOPNOTSUPP ? 1 : err ?: 1;
	}
	if (err)
		return err;
	loop__install_signals();
	return faultstat__attach(fs);
}

void faultstat__print_probes(const struct faultstat *fs, FILE *f)
{
	const struct btf *btf = probe__vmlinux_btf();
	bool iter = btf && btf__find_by_name_kind(btf, "bpf_iter_task", BTF_KIND_FUNC) >= 0;
	int fd = fs__perf_open(0);
	char perf_why[112];

	probe__print(&fs->probes, f);
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

void faultstat__close(struct faultstat *fs)
{
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
}

/* Keys of a hash map, for draining: keys first, then lookup-and-delete each
 * (deleting while walking with get_next_key would restart the walk). */
static int fs__keys(int fd, size_t ksz, size_t cap, char **keys, size_t *n)
{
	char *prev = NULL;

	*n = 0;
	*keys = malloc(cap * ksz + 1);
	if (!*keys)
		return -ENOMEM;
	while (*n < cap && !bpf_map_get_next_key(fd, prev, *keys + *n * ksz)) {
		prev = *keys + *n * ksz;
		(*n)++;
	}
	return 0;
}

static int fs__take(int fd, const void *key, void *val)
{
	if (!bpf_map_lookup_and_delete_elem(fd, key, val))
		return 0;
	/* kernels before 5.14 have no lookup_and_delete for hashes */
	if (bpf_map_lookup_elem(fd, key, val))
		return -ENOENT;
	bpf_map_delete_elem(fd, key);
	return 0;
}

/* Empties a hash map: the keys and values of the entries taken (malloc'ed,
 * in step). */
static int fs__take_all(struct bpf_map *map, char **keys, char **vals, size_t *n)
{
	size_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map), nk, i;
	int fd = bpf_map__fd(map);
	int err = fs__keys(fd, ksz, bpf_map__max_entries(map), keys, &nk);

	*vals = NULL;
	*n = 0;
	if (err)
		return err;
	*vals = malloc(nk * vsz + 1);
	if (!*vals) {
		free(*keys);
		*keys = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < nk; i++) {
		if (fs__take(fd, *keys + i * ksz, *vals + *n * vsz))
			continue;
		memmove(*keys + *n * ksz, *keys + i * ksz, ksz);
		(*n)++;
	}
	return 0;
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

		r = bsearch(&key, out, *n, sizeof(*out), fs__cmp_row);
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
	qsort(out, *n, sizeof(*out), fs__cmp_row);
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

static void fs__stack(int fd, __u64 id, __u64 *ips, int *n)
{
	__u64 buf[FS_MAX_STACK_DEPTH] = {};
	int i;

	*n = 0;
	if (!id || bpf_map_lookup_elem(fd, &id, buf))
		return;
	for (i = 0; i < FS_MAX_STACK_DEPTH && buf[i]; i++)
		ips[(*n)++] = buf[i];
}

int faultstat__drain_stacks(struct faultstat *fs, struct faultstat_stack_row **rows, size_t *n)
{
	int sfd = bpf_map__fd(fs->skel->maps.stackmap);
	struct faultstat_stack_row *out;
	char *keys, *vals;
	size_t nk, i;
	int err = fs__take_all(fs->skel->maps.stacks, &keys, &vals, &nk);

	*rows = NULL;
	*n = 0;
	if (err)
		return err;
	out = calloc(nk + 1, sizeof(*out));
	for (i = 0; out && i < nk; i++) {
		const struct fs_stack_key *k = (void *)(keys + i * sizeof(*k));
		const struct fs_stack *v = (void *)(vals + i * sizeof(*v));
		struct faultstat_stack_row *r = &out[i];

		r->pid = k->tgid;
		memcpy(r->comm, v->comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = '\0';
		r->count = v->count;
		fs__stack(sfd, k->ustack, r->user, &r->n_user);
		fs__stack(sfd, k->kstack, r->kernel, &r->n_kernel);
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
	if (!out)
		return -ENOMEM;
	*rows = out;
	*n = nk;
	return 0;
}

int faultstat__full(struct faultstat *fs, unsigned long long out[FS_NR_FULL])
{
	int i, err;

	for (i = 0; i < FS_NR_FULL; i++) {
		err = bpfmap__percpu_sum(bpf_map__fd(fs->skel->maps.full), &i, &out[i], 1);
		if (err)
			return err;
	}
	return 0;
}

long long faultstat__lost_exits(struct faultstat *fs)
{
	return events__dropped(&fs->ev);
}
