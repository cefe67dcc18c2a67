// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "log.h"
#include "memleak.h"
#include "sym.h"
#include "symfile.h"
#include "memleak.skel.h"
#include "kmemleak.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define EVENT(n, c, opt) { n, c, ARRAY_SIZE(c), opt }

const char *const memleak__fn_names[ML_NR_FNS] = {
	[ML_MALLOC] = "malloc",
	[ML_CALLOC] = "calloc",
	[ML_REALLOC] = "realloc",
	[ML_REALLOCARRAY] = "reallocarray",
	[ML_POSIX_MEMALIGN] = "posix_memalign",
	[ML_ALIGNED_ALLOC] = "aligned_alloc",
	[ML_MEMALIGN] = "memalign",
	[ML_VALLOC] = "valloc",
	[ML_PVALLOC] = "pvalloc",
	[ML_MMAP] = "mmap",
	[ML_MREMAP] = "mremap",
	[ML_FREE] = "free",
	[ML_MUNMAP] = "munmap",
};

#define CACHE_ARGS_NEW "long unsigned int,void,kmem_cache"
#define CACHE_ARGS_OLD "long unsigned int,void,size_t"

static const struct probe_cand kmalloc_cands[] = {
	{ "kmalloc_raw", PROBE_RAW_TP, "kmalloc", NULL, NULL },
};
static const struct probe_cand kmalloc_node_cands[] = {
	{ "kmalloc_node_raw", PROBE_RAW_TP, "kmalloc_node", NULL, NULL },
};
static const struct probe_cand cache_alloc_cands[] = {
	{ "cache_alloc_raw", PROBE_RAW_TP, "kmem_cache_alloc", NULL, CACHE_ARGS_NEW },
	{ "cache_alloc_old_raw", PROBE_RAW_TP, "kmem_cache_alloc", NULL, CACHE_ARGS_OLD },
};
static const struct probe_cand cache_alloc_node_cands[] = {
	{ "cache_alloc_node_raw", PROBE_RAW_TP, "kmem_cache_alloc_node", NULL, CACHE_ARGS_OLD },
};
static const struct probe_cand kfree_cands[] = {
	{ "kfree_raw", PROBE_RAW_TP, "kfree", NULL, NULL },
};
static const struct probe_cand cache_free_cands[] = {
	{ "cache_free_raw", PROBE_RAW_TP, "kmem_cache_free", NULL, NULL },
};
static const struct probe_cand page_alloc_cands[] = {
	{ "page_alloc_btf", PROBE_TP_BTF, "mm_page_alloc", NULL, "page" },
	{ "page_alloc_raw", PROBE_RAW_TP, "mm_page_alloc", NULL, "page" },
};
static const struct probe_cand page_free_cands[] = {
	{ "page_free_btf", PROBE_TP_BTF, "mm_page_free", NULL, "page" },
	{ "page_free_raw", PROBE_RAW_TP, "mm_page_free", NULL, "page" },
};
static const struct probe_cand percpu_alloc_cands[] = {
	{ "percpu_alloc_raw", PROBE_RAW_TP, "percpu_alloc_percpu", NULL,
	  "long unsigned int,bool" },
	{ "percpu_alloc_old_raw", PROBE_RAW_TP, "percpu_alloc_percpu", NULL, "bool,bool" },
};
static const struct probe_cand percpu_free_cands[] = {
	{ "percpu_free_raw", PROBE_RAW_TP, "percpu_free_percpu", NULL, NULL },
};

const struct probe_event kmemleak__events[KML_NR_EVENTS] = {
	[KML_KMALLOC] = EVENT("kmalloc", kmalloc_cands, false),
	[KML_KMALLOC_NODE] = EVENT("kmalloc_node", kmalloc_node_cands, true),
	[KML_CACHE_ALLOC] = EVENT("kmem_cache_alloc", cache_alloc_cands, false),
	[KML_CACHE_ALLOC_NODE] = EVENT("kmem_cache_alloc_node", cache_alloc_node_cands, true),
	[KML_KFREE] = EVENT("kfree", kfree_cands, false),
	[KML_CACHE_FREE] = EVENT("kmem_cache_free", cache_free_cands, false),
	[KML_PAGE_ALLOC] = EVENT("page alloc", page_alloc_cands, false),
	[KML_PAGE_FREE] = EVENT("page free", page_free_cands, false),
	[KML_PERCPU_ALLOC] = EVENT("percpu alloc", percpu_alloc_cands, false),
	[KML_PERCPU_FREE] = EVENT("percpu free", percpu_free_cands, false),
};

/* uprobe_multi links (v6.6) are created through bpf(2) directly: libbpf
 * 1.1 predates them. The layout is the kernel's link_create attr. */
#define ML_BPF_LINK_CREATE 28
#define ML_BPF_TRACE_UPROBE_MULTI 48
#define ML_BPF_TRACE_UPROBE_SESSION 57
#define ML_BPF_F_UPROBE_MULTI_RETURN 1U

struct ml_uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 um_flags;
	__u32 pid;
	__u32 pad;
};

static bool is_libc(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strcmp(b, "libc.so.6") || !strcmp(b, "libc.so") ||
	       (!strncmp(b, "libc-", 5) && strstr(b, ".so"));
}

/* The file the process maps whose name is `want` (NULL: its libc), or whose
 * path contains it. Returns 0 or -ENOENT. */
int memleak__maps_find(pid_t pid, const char *want, char *out, size_t size)
{
	char path[64], line[4096];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (want ? !strstr(p, want) : !is_libc(p))
			continue;
		snprintf(out, size, "%s", p);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int memleak__lib_offsets(const char *lib, struct memleak_opts *o)
{
	int fn, err = syms__func_offsets(lib, memleak__fn_names, ML_NR_FNS, o->offsets);

	if (err) {
		log__err("cannot read symbols of %s: %s", lib, symfile__strerror(err));
		return err;
	}
	for (fn = 0; fn < ML_NR_FNS; fn++) {
		if (o->offsets[fn])
			continue;
		if (fn == ML_MALLOC || fn == ML_FREE) {
			log__err("%s has no function %s", lib, memleak__fn_names[fn]);
			return -ENOENT;
		}
		log__info("%s has no %s: not traced", lib, memleak__fn_names[fn]);
	}
	return 0;
}

/* uprobe_multi (v6.6) and uprobe session (v6.13) links: their attach types
 * in kernel BTF */
static bool memleak__kernel_has_attach_type(const char *name)
{
	return probe__kernel_enum_has("bpf_attach_type", name) == 1;
}

unsigned long long memleak__entry_offset(const char *path, int fn, unsigned long long off)
{
#if defined(__x86_64__)
	unsigned char b[5];
	int fd;

	if (fn != ML_FREE)
		return off;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return off;
	if (pread(fd, b, sizeof(b), off) == sizeof(b) && b[0] == 0x48 && b[1] == 0x85 &&
	    b[2] == 0xff && (b[3] == 0x74 || (b[3] == 0x0f && b[4] == 0x84)))
		off += 3;
	close(fd);
#endif
	return off;
}

static int memleak__open_user(struct memleak *m, const struct memleak_opts *o)
{
	struct memleak_bpf *skel = memleak_bpf__open();
	struct bpf_program *prog;
	int err;

	if (!skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	m->uskel = skel;
	skel->rodata->targ_tgid = o->pid;
	skel->rodata->min_size = o->min_size;
	skel->rodata->max_size = o->max_size ?: ~0ULL;
	skel->rodata->sample_rate = o->sample_rate ?: 1;
	skel->rodata->combined_only = o->combined_only;
	bpf_map__set_max_entries(skel->maps.allocs, o->max_allocs ?: ML_DEFAULT_MAX_ALLOCS);
	bpf_map__set_max_entries(skel->maps.stacks, o->max_stacks ?: ML_DEFAULT_STACKS);
	bpf_map__set_max_entries(skel->maps.combined,
				 o->combined_only ? (o->max_stacks ?: ML_DEFAULT_STACKS) : 1);
	/* before v5.11 (no task storage) uprobe programs are not preemptible
	 * and a per-CPU buffer holds the stack being read */
	m->task_storage = !o->no_task_storage &&
			  libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	skel->rodata->have_task_storage = m->task_storage;
	if (!m->task_storage) {
		bpf_map__set_type(skel->maps.frames, BPF_MAP_TYPE_PERCPU_ARRAY);
		bpf_map__set_key_size(skel->maps.frames, sizeof(__u32));
		bpf_map__set_max_entries(skel->maps.frames, 1);
		bpf_map__set_map_flags(skel->maps.frames, 0);
	}
	m->multi = !o->per_function_links &&
		   memleak__kernel_has_attach_type("BPF_TRACE_UPROBE_MULTI");
	/* a session link (v6.13) skips the return probe of calls that record
	 * nothing: one trap instead of two for those */
	m->session = m->multi && !o->no_session &&
		     memleak__kernel_has_attach_type("BPF_TRACE_UPROBE_SESSION");
	/* the session program, the two cookie-reading programs, or one
	 * program per function */
	bpf_object__for_each_program(prog, skel->obj) {
		bool on;

		if (prog == skel->progs.memleak_session)
			on = m->session;
		else if (prog == skel->progs.memleak_entry || prog == skel->progs.memleak_return)
			on = m->multi && !m->session;
		else
			on = !m->multi;
		bpf_program__set_autoload(prog, on);
	}
	if (m->session)
		bpf_program__set_expected_attach_type(skel->progs.memleak_session,
						      ML_BPF_TRACE_UPROBE_SESSION);
	else if (m->multi) {
		bpf_program__set_expected_attach_type(skel->progs.memleak_entry,
						      ML_BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.memleak_return,
						      ML_BPF_TRACE_UPROBE_MULTI);
	}
	log__info("uprobes: %s; stack buffer: %s",
		  m->session ? "one uprobe session link" :
		  m->multi   ? "two uprobe_multi links" : "one link per function",
		  m->task_storage ? "task storage" : "per CPU");
	return 0;
}

static int memleak__open_kernel(struct memleak *m, const struct memleak_opts *o)
{
	struct kmemleak_bpf *skel;
	struct bpf_program *prog;
	int err, e;

	err = probe__init(&m->probes, "kmemleak", kmemleak__events,
			  o->percpu ? KML_NR_EVENTS : KML_PERCPU_ALLOC);
	if (err)
		return err;
	m->probes.skip_kinds = o->skip_kinds;
	for (e = 0; o->forced && e < m->probes.n_events; e++)
		probe__force(&m->probes, e, o->forced[e]);
	skel = kmemleak_bpf__open();
	if (!skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	m->kskel = skel;
	skel->rodata->min_size = o->min_size;
	skel->rodata->max_size = o->max_size ?: ~0ULL;
	skel->rodata->sample_rate = o->sample_rate ?: 1;
	skel->rodata->combined_only = o->combined_only;
	skel->rodata->page_size = getpagesize();
	bpf_map__set_max_entries(skel->maps.allocs, o->max_allocs ?: ML_DEFAULT_MAX_ALLOCS);
	bpf_map__set_max_entries(skel->maps.stacks, o->max_stacks ?: ML_DEFAULT_STACKS);
	bpf_map__set_max_entries(skel->maps.combined,
				 o->combined_only ? (o->max_stacks ?: ML_DEFAULT_STACKS) : 1);
	/* preallocated: a table that allocates as it grows would kmalloc
	 * inside our own kmalloc hook and report itself */
	bpf_map__set_map_flags(skel->maps.allocs, 0);
	bpf_map__set_map_flags(skel->maps.combined, 0);
	bpf_map__set_map_flags(skel->maps.stacks, 0);
	/* events left out (percpu) must not load: probe__resolve only sets
	 * the programs of the events it is given */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	return probe__resolve(&m->probes, skel->obj, o->all_probes);
}

int memleak__open(struct memleak *m, const struct memleak_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->multi_fds[0] = m->multi_fds[1] = -1;
	m->o = *o;
	return o->pid ? memleak__open_user(m, o) : memleak__open_kernel(m, o);
}

static int memleak__attach_multi(struct memleak *m, struct bpf_program *prog, bool ret,
				 const unsigned long long *offs, const __u64 *cookies, int n)
{
	struct ml_uprobe_multi_attr attr = {};
	int fd;

	attr.prog_fd = bpf_program__fd(prog);
	attr.attach_type = m->session ? ML_BPF_TRACE_UPROBE_SESSION : ML_BPF_TRACE_UPROBE_MULTI;
	attr.path = (__u64)(unsigned long)m->o.lib;
	attr.offsets = (__u64)(unsigned long)offs;
	attr.cookies = (__u64)(unsigned long)cookies;
	attr.cnt = n;
	attr.um_flags = ret ? ML_BPF_F_UPROBE_MULTI_RETURN : 0;
	attr.pid = m->o.pid;
	fd = syscall(__NR_bpf, ML_BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

static int memleak__attach_user(struct memleak *m)
{
	unsigned long long offs[ML_NR_FNS], roffs[ML_NR_FNS];
	__u64 cookies[ML_NR_FNS], rcookies[ML_NR_FNS];
	int fn, i, n = 0, nr = 0, err;

	for (fn = 0; fn < ML_NR_FNS; fn++) {
		unsigned long long off = m->o.offsets[fn];
		bool dup = false;

		if (!off)
			continue;
		/* aliases (glibc: aligned_alloc is memalign) get one probe */
		for (i = 0; i < fn; i++)
			dup |= m->o.offsets[i] == off;
		if (dup)
			continue;
		offs[n] = memleak__entry_offset(m->o.lib, fn, off);
		cookies[n++] = fn;
		if (fn != ML_FREE && fn != ML_MUNMAP) {
			roffs[nr] = off;
			rcookies[nr++] = fn;
		}
	}
	if (m->session) {
		/* entries of every function; returns where the entry asks */
		err = memleak__attach_multi(m, m->uskel->progs.memleak_session, false, offs,
					    cookies, n);
		if (err < 0) {
			log__err("cannot attach uprobes to %s: %s", m->o.lib, strerror(-err));
			return err;
		}
		m->multi_fds[0] = err;
		return 0;
	}
	if (m->multi) {
		err = memleak__attach_multi(m, m->uskel->progs.memleak_entry, false, offs, cookies,
					    n);
		if (err >= 0) {
			m->multi_fds[0] = err;
			err = memleak__attach_multi(m, m->uskel->progs.memleak_return, true, roffs,
						    rcookies, nr);
			if (err >= 0)
				m->multi_fds[1] = err;
		}
		if (err < 0) {
			log__err("cannot attach uprobes to %s: %s", m->o.lib, strerror(-err));
			memleak__detach(m);
			return err;
		}
		return 0;
	}
	/* each function's own program: no cookie, which kernels before v5.15
	 * cannot pass */
	for (i = 0; i < n + nr; i++) {
		bool ret = i >= n;
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
		int fn = ret ? rcookies[i - n] : cookies[i];
		struct bpf_program *prog;
		struct bpf_link *l;
		char name[64];

		snprintf(name, sizeof(name), "ml_%c_%s", ret ? 'r' : 'e', memleak__fn_names[fn]);
		prog = bpf_object__find_program_by_name(m->uskel->obj, name);
		if (!prog) {
			log__err("BPF object has no program %s", name);
			memleak__detach(m);
			return -ENOENT;
		}
		l = bpf_program__attach_uprobe_opts(prog, m->o.pid, m->o.lib,
						    ret ? roffs[i - n] : offs[i], &uo);
		if (!l) {
			err = -errno;
			log__err("cannot attach uprobe to %s in %s: %s", memleak__fn_names[fn],
				 m->o.lib, strerror(-err));
			memleak__detach(m);
			return err;
		}
		m->links[m->n_links++] = l;
	}
	return 0;
}

int memleak__attach(struct memleak *m)
{
	int err;

	if (m->uskel) {
		err = memleak_bpf__load(m->uskel);
		if (err) {
			log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
				 strerror(-err));
			return err;
		}
		m->allocs_fd = bpf_map__fd(m->uskel->maps.allocs);
		m->stacks_fd = bpf_map__fd(m->uskel->maps.stacks);
		m->combined_fd = bpf_map__fd(m->uskel->maps.combined);
		m->counters_fd = bpf_map__fd(m->uskel->maps.counters);
		m->max_allocs = bpf_map__max_entries(m->uskel->maps.allocs);
		m->max_stacks = bpf_map__max_entries(m->uskel->maps.stacks);
		return memleak__attach_user(m);
	}
	err = kmemleak_bpf__load(m->kskel);
	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	m->allocs_fd = bpf_map__fd(m->kskel->maps.allocs);
	m->stacks_fd = bpf_map__fd(m->kskel->maps.stacks);
	m->combined_fd = bpf_map__fd(m->kskel->maps.combined);
	m->counters_fd = bpf_map__fd(m->kskel->maps.counters);
	m->max_allocs = bpf_map__max_entries(m->kskel->maps.allocs);
	m->max_stacks = bpf_map__max_entries(m->kskel->maps.stacks);
	return probe__attach(&m->probes, m->kskel->obj);
}

void memleak__detach(struct memleak *m)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (m->multi_fds[i] >= 0)
			close(m->multi_fds[i]);
		m->multi_fds[i] = -1;
	}
	for (i = 0; i < m->n_links; i++)
		bpf_link__destroy(m->links[i]);
	m->n_links = 0;
	probe__detach(&m->probes);
}

void memleak__close(struct memleak *m)
{
	memleak__detach(m);
	probe__free(&m->probes);
	memleak_bpf__destroy(m->uskel);
	kmemleak_bpf__destroy(m->kskel);
	m->uskel = NULL;
	m->kskel = NULL;
}

struct bpf_object *memleak__kernel_obj(struct memleak *m)
{
	return m->kskel ? m->kskel->obj : NULL;
}

int memleak__counters(struct memleak *m, unsigned long long out[ML_NR_COUNTERS])
{
	int n = libbpf_num_possible_cpus(), c;
	__u32 k;
	__u64 *v;

	if (n <= 0)
		return -EINVAL;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < ML_NR_COUNTERS; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(m->counters_fd, &k, v))
			continue;
		for (c = 0; c < n; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}
