// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "bpfmap.h"
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

const struct memleak_cxx_fn memleak__cxx_fns[ML_NR_CXX] = {
	{ "_Znwm", "operator new(unsigned long)", ML_NEW },
	{ "_Znam", "operator new[](unsigned long)", ML_NEW },
	{ "_ZnwmRKSt9nothrow_t", "operator new(unsigned long, nothrow_t)", ML_NEW },
	{ "_ZnamRKSt9nothrow_t", "operator new[](unsigned long, nothrow_t)", ML_NEW },
	{ "_ZnwmSt11align_val_t", "operator new(unsigned long, align_val_t)", ML_NEW },
	{ "_ZnamSt11align_val_t", "operator new[](unsigned long, align_val_t)", ML_NEW },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", "operator new(unsigned long, align_val_t, nothrow_t)",
	  ML_NEW },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t",
	  "operator new[](unsigned long, align_val_t, nothrow_t)", ML_NEW },
	{ "_ZdlPv", "operator delete(void*)", ML_DELETE },
	{ "_ZdaPv", "operator delete[](void*)", ML_DELETE },
	{ "_ZdlPvm", "operator delete(void*, unsigned long)", ML_DELETE },
	{ "_ZdaPvm", "operator delete[](void*, unsigned long)", ML_DELETE },
	{ "_ZdlPvRKSt9nothrow_t", "operator delete(void*, nothrow_t)", ML_DELETE },
	{ "_ZdaPvRKSt9nothrow_t", "operator delete[](void*, nothrow_t)", ML_DELETE },
	{ "_ZdlPvSt11align_val_t", "operator delete(void*, align_val_t)", ML_DELETE },
	{ "_ZdaPvSt11align_val_t", "operator delete[](void*, align_val_t)", ML_DELETE },
	{ "_ZdlPvmSt11align_val_t", "operator delete(void*, unsigned long, align_val_t)", ML_DELETE },
	{ "_ZdaPvmSt11align_val_t", "operator delete[](void*, unsigned long, align_val_t)",
	  ML_DELETE },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", "operator delete(void*, align_val_t, nothrow_t)",
	  ML_DELETE },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t",
	  "operator delete[](void*, align_val_t, nothrow_t)", ML_DELETE },
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

/* uprobe_multi links (v6.6, commit 89ae89f53d20 "bpf: Add multi uprobe
 * link") are created through bpf(2) directly: libbpf 1.1 predates them. The
 * layout is the kernel's link_create attr. */
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

/* The ELF program interpreter of `path` (PT_INTERP) in out; 0, -ENOENT
 * when it has none (static), -ENOEXEC when it is no ELF file. */
static int memleak__interp(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	size_t i, n;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &n)) {
		err = -ENOEXEC;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (!ph.p_filesz || ph.p_filesz >= size ||
		    pread(fd, out, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz) {
			err = -ENOEXEC;
			break;
		}
		out[ph.p_filesz - 1] = '\0';
		err = 0;
		break;
	}
	elf_end(elf);
	close(fd);
	return err;
}

/* The libraries `interp --list path` says path loads (glibc's and musl's
 * dynamic linkers answer as ldd does, honouring LD_LIBRARY_PATH and
 * RUNPATH, and run nothing of path): the first whose path is libc (want
 * NULL) or contains want. */
static int memleak__interp_list(const char *interp, const char *path, const char *want,
				char *out, size_t size)
{
	char line[4096];
	int fds[2], st, err = -ENOENT;
	pid_t pid;
	FILE *f;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		execl(interp, interp, "--list", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *arrow = strstr(line, "=> "), *p = arrow ? arrow + 3 : line + strspn(line, " \t");

		p[strcspn(p, " \t\n(")] = '\0';
		if (!err || *p != '/' || (want ? !strstr(p, want) : !is_libc(p)))
			continue;
		snprintf(out, size, "%s", p);
		err = 0;
	}
	if (f)
		fclose(f);
	else
		close(fds[0]);
	if (waitpid(pid, &st, 0) == pid && (!WIFEXITED(st) || WEXITSTATUS(st)) && err)
		err = -ENOEXEC;
	return err;
}

int memleak__command_lib(const char *path, const char *want, char *out, size_t size)
{
	char interp[PATH_MAX], buf[PATH_MAX + 2];
	int depth, err, fd;
	ssize_t n;

	/* a script: what its interpreter loads */
	snprintf(interp, sizeof(interp), "%s", path);
	for (depth = 0; depth < 4; depth++) {
		fd = open(interp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 2 || buf[0] != '#' || buf[1] != '!')
			break;
		buf[n] = '\0';
		n = strspn(buf + 2, " \t") + 2;
		buf[n + strcspn(buf + n, " \t\n")] = '\0';
		snprintf(interp, sizeof(interp), "%s", buf + n);
	}
	snprintf(buf, sizeof(buf), "%s", interp);
	err = memleak__interp(buf, interp, sizeof(interp));
	if (err == -ENOENT) {
		/* static: its allocator is its own */
		snprintf(out, size, "%s", buf);
		return 1;
	}
	if (err)
		return err;
	return memleak__interp_list(interp, buf, want, out, size);
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

int memleak__cxx_offsets(const char *lib, struct memleak_opts *o)
{
	const char *names[ML_NR_CXX];
	int i, n = 0;

	for (i = 0; i < ML_NR_CXX; i++)
		names[i] = memleak__cxx_fns[i].sym;
	if (syms__func_offsets(lib, names, ML_NR_CXX, o->cxx_offsets))
		memset(o->cxx_offsets, 0, sizeof(o->cxx_offsets));
	for (i = 0; i < ML_NR_CXX; i++)
		n += !!o->cxx_offsets[i];
	if (!n)
		o->cxx_lib[0] = '\0';
	else if (lib != o->cxx_lib)
		snprintf(o->cxx_lib, sizeof(o->cxx_lib), "%s", lib);
	if (n)
		log__info("%s: %d forms of operator new and delete traced", lib, n);
	return n;
}

/* uprobe_multi (v6.6) and uprobe session (v6.13, commit d920179b3d48 "bpf:
 * Add support for uprobe multi session attach") links: their attach types
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

static void memleak__init(struct memleak *m, const struct memleak_opts *o)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 4; i++)
		m->multi_fds[i] = -1;
	m->o = *o;
}

int memleak__open_user(struct memleak *m, const struct memleak_opts *o)
{
	struct memleak_bpf *skel;
	struct bpf_program *prog;
	int err;

	memleak__init(m, o);
	if (!o->mo.tgid || !o->lib[0]) {
		log__err("user mode needs a process and its allocator library");
		return -EINVAL;
	}
	skel = memleak_bpf__open();
	if (!skel) {
		err = -errno;
		log__err("cannot open BPF object: %s", strerror(-err));
		return err;
	}
	m->uskel = skel;
	skel->rodata->targ_tgid = o->mo.tgid;
	skel->rodata->page_size = getpagesize();
	skel->rodata->min_size = o->min_size;
	skel->rodata->max_size = o->max_size ?: ~0ULL;
	skel->rodata->sample_rate = o->sample_rate ?: 1;
	skel->rodata->combined_only = o->combined_only;
	bpf_map__set_max_entries(skel->maps.allocs, o->max_allocs ?: ML_DEFAULT_MAX_ALLOCS);
	bpf_map__set_max_entries(skel->maps.stacks, o->max_stacks ?: ML_DEFAULT_STACKS);
	bpf_map__set_max_entries(skel->maps.combined,
				 o->combined_only ? (o->max_stacks ?: ML_DEFAULT_STACKS) : 1);
	/* before v5.11 (no task storage: commit 4cf1bc1f1045 "bpf: Implement
	 * task local storage") uprobe programs are not preemptible and a
	 * per-CPU buffer holds the stack being read */
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
		  m->session ? "one uprobe session link per library" :
		  m->multi   ? "two uprobe_multi links per library" : "one link per function",
		  m->task_storage ? "task storage" : "per CPU");
	return 0;
}

int memleak__open_kernel(struct memleak *m, const struct memleak_opts *o)
{
	struct kmemleak_bpf *skel;
	struct bpf_program *prog;
	int err, e;

	memleak__init(m, o);
	err = probe__init(&m->probes, "kmemleak", kmemleak__events,
			  o->percpu ? KML_NR_EVENTS : KML_PERCPU_ALLOC);
	if (err)
		return err;
	m->probes.skip_kinds = o->mo.skip_kinds;
	for (e = 0; o->mo.forced && e < m->probes.n_events; e++)
		probe__force(&m->probes, e, o->mo.forced[e]);
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
	return probe__resolve(&m->probes, skel->obj, o->mo.all_probes);
}

static int memleak__attach_multi(struct memleak *m, struct bpf_program *prog, bool ret,
				 const char *lib, const unsigned long long *offs,
				 const __u64 *cookies, int n)
{
	struct ml_uprobe_multi_attr attr = {};
	int fd;

	attr.prog_fd = bpf_program__fd(prog);
	attr.attach_type = m->session ? ML_BPF_TRACE_UPROBE_SESSION : ML_BPF_TRACE_UPROBE_MULTI;
	attr.path = (__u64)(unsigned long)lib;
	attr.offsets = (__u64)(unsigned long)offs;
	attr.cookies = (__u64)(unsigned long)cookies;
	attr.cnt = n;
	attr.um_flags = ret ? ML_BPF_F_UPROBE_MULTI_RETURN : 0;
	attr.pid = m->o.mo.tgid;
	fd = syscall(__NR_bpf, ML_BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

static const char *memleak__prog_suffix(int fn)
{
	return fn == ML_NEW ? "new" : fn == ML_DELETE ? "delete" : memleak__fn_names[fn];
}

/* The probes in one library: entries (offs, cookies) and returns (roffs,
 * rcookies); `slot` numbers the probes across libraries. */
struct ml_probes {
	const char *lib;
	unsigned long long offs[ML_MAX_PROBES], roffs[ML_MAX_PROBES];
	__u64 cookies[ML_MAX_PROBES], rcookies[ML_MAX_PROBES];
	int n, nr;
};

static void memleak__add_probe(struct ml_probes *p, int *slot, int fn, unsigned long long off)
{
	unsigned long long eoff = memleak__entry_offset(p->lib, fn, off);
	int i;

	/* aliases (glibc: aligned_alloc is memalign) get one probe */
	for (i = 0; i < p->n; i++)
		if (p->offs[i] == eoff)
			return;
	if (p->n == ML_MAX_PROBES || *slot == ML_MAX_PROBES)
		return;
	p->offs[p->n] = eoff;
	p->cookies[p->n++] = ML_COOKIE(fn, *slot);
	if (fn != ML_FREE && fn != ML_MUNMAP && fn != ML_DELETE) {
		p->roffs[p->nr] = off;
		p->rcookies[p->nr++] = ML_COOKIE(fn, *slot);
	}
	(*slot)++;
}

static int memleak__attach_lib(struct memleak *m, const struct ml_probes *p, int *fds)
{
	int i, err;

	if (m->session) {
		/* entries of every function; returns where the entry asks */
		err = memleak__attach_multi(m, m->uskel->progs.memleak_session, false, p->lib,
					    p->offs, p->cookies, p->n);
		if (err < 0)
			goto fail;
		fds[0] = err;
		return 0;
	}
	if (m->multi) {
		err = memleak__attach_multi(m, m->uskel->progs.memleak_entry, false, p->lib,
					    p->offs, p->cookies, p->n);
		if (err < 0)
			goto fail;
		fds[0] = err;
		if (!p->nr)
			return 0;
		err = memleak__attach_multi(m, m->uskel->progs.memleak_return, true, p->lib,
					    p->roffs, p->rcookies, p->nr);
		if (err < 0)
			goto fail;
		fds[1] = err;
		return 0;
	}
	/* each function's own program: no cookie, which kernels before v5.15
	 * cannot pass (commit 7adfc6c9b315 "bpf: Add bpf_get_attach_cookie()
	 * BPF helper to access bpf_cookie value") */
	for (i = 0; i < p->n + p->nr; i++) {
		bool ret = i >= p->n;
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
		int fn = ML_COOKIE_FN(ret ? p->rcookies[i - p->n] : p->cookies[i]);
		struct bpf_program *prog;
		struct bpf_link *l;
		char name[64];

		snprintf(name, sizeof(name), "ml_%c_%s", ret ? 'r' : 'e', memleak__prog_suffix(fn));
		prog = bpf_object__find_program_by_name(m->uskel->obj, name);
		if (!prog) {
			log__err("BPF object has no program %s", name);
			return -ENOENT;
		}
		l = bpf_program__attach_uprobe_opts(prog, m->o.mo.tgid, p->lib,
						    ret ? p->roffs[i - p->n] : p->offs[i], &uo);
		if (!l) {
			err = -errno;
			log__err("cannot attach uprobe to %s in %s: %s", memleak__prog_suffix(fn),
				 p->lib, strerror(-err));
			return err;
		}
		m->links[m->n_links++] = l;
	}
	return 0;
fail:
	log__err("cannot attach uprobes to %s: %s", p->lib, strerror(-err));
	return err;
}

static int memleak__attach_user(struct memleak *m)
{
	struct ml_probes p[2] = { { .lib = m->o.lib }, { .lib = m->o.cxx_lib } };
	bool cxx = m->o.cxx_lib[0];
	int fn, i, slot = 0, err = 0;

	for (fn = 0; fn < ML_NR_FNS; fn++)
		if (m->o.offsets[fn])
			memleak__add_probe(&p[0], &slot, fn, m->o.offsets[fn]);
	/* a static binary is both libraries: one set of probes */
	for (i = 0; cxx && i < ML_NR_CXX; i++)
		if (m->o.cxx_offsets[i])
			memleak__add_probe(&p[strcmp(m->o.cxx_lib, m->o.lib) ? 1 : 0], &slot,
					   memleak__cxx_fns[i].fn, m->o.cxx_offsets[i]);
	for (i = 0; i < 2 && !err; i++)
		if (p[i].n)
			err = memleak__attach_lib(m, &p[i], m->multi_fds + 2 * i);
	if (err)
		memleak__detach(m);
	return err;
}

/* kernel stacks are named from kallsyms: say once when it hides them */
static void memleak__warn_hidden(void)
{
	int kr;

	if (!memleak__kallsyms_hidden(&kr))
		return;
	if (kr == 2)
		log__err("kernel addresses are hidden (kernel.kptr_restrict = 2): kernel frames show as 0xADDR [unknown]");
	else
		log__err("kernel addresses are hidden from this process (kernel.kptr_restrict = %d, no CAP_SYSLOG): kernel frames show as 0xADDR [unknown]",
			 kr);
}

/* After a skeleton's load (err): both objects name their tables alike */
static int memleak__loaded(struct memleak *m, int err, struct bpf_object *obj)
{
	struct bpf_map *allocs = bpf_object__find_map_by_name(obj, "allocs");
	struct bpf_map *stacks = bpf_object__find_map_by_name(obj, "stacks");

	if (err) {
		log__err("cannot load BPF programs: %s (run with -v for the verifier's log)",
			 strerror(-err));
		return err;
	}
	m->allocs_fd = bpf_map__fd(allocs);
	m->stacks_fd = bpf_map__fd(stacks);
	m->combined_fd = bpf_object__find_map_fd_by_name(obj, "combined");
	m->counters_fd = bpf_object__find_map_fd_by_name(obj, "counters");
	m->max_allocs = bpf_map__max_entries(allocs);
	m->max_stacks = bpf_map__max_entries(stacks);
	return 0;
}

int memleak__attach(struct memleak *m)
{
	int err;

	/* the probe layer's kernel BTF is read; libbpf's own copy comes next */
	probe__drop_btf();
	if (m->uskel) {
		err = memleak__loaded(m, memleak_bpf__load(m->uskel), m->uskel->obj);
		return err ?: memleak__attach_user(m);
	}
	err = memleak__loaded(m, kmemleak_bpf__load(m->kskel), m->kskel->obj);
	if (err)
		return err;
	err = probe__attach(&m->probes, m->kskel->obj);
	if (!err)
		memleak__warn_hidden();
	return err;
}

void memleak__detach(struct memleak *m)
{
	int i;

	for (i = 0; i < 4; i++) {
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
	free(m->gc_ids);
	free(m->gc_frames);
	free(m->gc_zero);
	m->gc_ids = m->gc_zero = NULL;
	m->gc_frames = NULL;
	m->gc_n = m->gc_nzero = 0;
	m->uskel = NULL;
	m->kskel = NULL;
}

int memleak__kallsyms_hidden(int *kptr_restrict)
{
	unsigned long long addr = 0;
	int hidden = 0;
	FILE *f;

	*kptr_restrict = -1;
	f = fopen("/proc/sys/kernel/kptr_restrict", "re");
	if (f) {
		if (fscanf(f, "%d", kptr_restrict) != 1)
			*kptr_restrict = -1;
		fclose(f);
	}
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return 1;
	/* the kernel prints every address as 0 to a reader it hides them
	 * from (kallsyms_show_value()); a visible listing may still begin at
	 * 0 (5.10: the per-CPU symbols, fixed_percpu_data first), so hidden
	 * means no address other than 0 in the first lines */
	hidden = 1;
	for (int i = 0; i < 1000 && hidden && fscanf(f, "%llx %*[^\n]", &addr) == 1; i++)
		hidden = !addr;
	fclose(f);
	return hidden;
}


static int memleak__cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static bool memleak__has(const __u64 *ids, size_t n, __u64 id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), memleak__cmp_u64);
}

/* --combined-only: totals at 0 now and at the previous pass go. Read and
 * deleted in one step (v5.14, commit 3e87f192b405 "bpf: Add
 * lookup_and_delete_elem support to hashtab"), so an allocation counted in
 * between is seen, and put back. */
static void memleak__gc_combined(struct memleak *m)
{
	size_t n = 0, nz = 0, i;
	__u64 *keys, *zero;
	struct ml_combined c;

	keys = calloc(m->max_stacks, sizeof(*keys));
	zero = calloc(m->max_stacks, sizeof(*zero));
	if (!keys || !zero)
		goto out;
	bpfmap__keys(m->combined_fd, sizeof(*keys), m->max_stacks, keys, &n);
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(m->combined_fd, &keys[i], &c) || c.allocs || c.bytes)
			continue;
		if (!memleak__has(m->gc_zero, m->gc_nzero, keys[i])) {
			zero[nz++] = keys[i];
			continue;
		}
		if (bpf_map_lookup_and_delete_elem(m->combined_fd, &keys[i], &c))
			break; /* before v5.14: totals stay */
		if (c.allocs || c.bytes)
			bpf_map_update_elem(m->combined_fd, &keys[i], &c, BPF_NOEXIST);
	}
	qsort(zero, nz, sizeof(*zero), memleak__cmp_u64);
	free(m->gc_zero);
	m->gc_zero = zero;
	m->gc_nzero = nz;
	zero = NULL;
out:
	free(keys);
	free(zero);
}

int memleak__gc_stacks(struct memleak *m, __u64 *held, size_t n)
{
	size_t fsz = sizeof(__u64) * ML_MAX_FRAMES, nk = 0, nd = 0, i, u = 0, all = 0;
	__u64 *keys, *ids;
	char *frames, *f = NULL;

	qsort(held, n, sizeof(*held), memleak__cmp_u64);
	for (i = 0; i < n; i++)
		if (!u || held[u - 1] != held[i])
			held[u++] = held[i];
	n = u;

	/* recorded while the last pass ran: back in */
	for (i = 0; i < n; i++) {
		__u64 *hit = m->gc_n ? bsearch(&held[i], m->gc_ids, m->gc_n, sizeof(__u64),
					      memleak__cmp_u64) : NULL;

		if (!hit)
			continue;
		if (!f)
			f = malloc(fsz);
		if (f && bpf_map_lookup_elem(m->stacks_fd, hit, f))
			bpf_map_update_elem(m->stacks_fd, hit,
					    (char *)m->gc_frames + (hit - m->gc_ids) * fsz,
					    BPF_NOEXIST);
	}
	free(f);
	free(m->gc_ids);
	free(m->gc_frames);
	m->gc_ids = NULL;
	m->gc_frames = NULL;
	m->gc_n = 0;
	if (m->o.combined_only)
		memleak__gc_combined(m);

	keys = calloc(m->max_stacks, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	bpfmap__keys(m->stacks_fd, sizeof(*keys), m->max_stacks, keys, &all);
	for (i = 0; i < all; i++)
		if (!memleak__has(held, n, keys[i]))
			keys[nk++] = keys[i];
	ids = calloc(nk ?: 1, sizeof(*ids));
	frames = calloc(nk ?: 1, fsz);
	if (!ids || !frames) {
		free(keys);
		free(ids);
		free(frames);
		return -ENOMEM;
	}
	qsort(keys, nk, sizeof(*keys), memleak__cmp_u64);
	for (i = 0; i < nk; i++) {
		if (bpf_map_lookup_elem(m->stacks_fd, &keys[i], frames + nd * fsz) ||
		    bpf_map_delete_elem(m->stacks_fd, &keys[i]))
			continue;
		ids[nd++] = keys[i];
	}
	free(keys);
	m->gc_ids = ids;
	m->gc_frames = frames;
	m->gc_n = nd;
	return nd;
}

int memleak__counters(struct memleak *m, unsigned long long out[ML_NR_COUNTERS])
{
	__u32 k;

	for (k = 0; k < ML_NR_COUNTERS; k++)
		if (bpfmap__percpu_sum(m->counters_fd, &k, &out[k], 1))
			out[k] = 0;
	return 0;
}

/* A static binary is its own allocator library, if it has one */
static bool memleak__static_has_malloc(const char *path)
{
	unsigned long long off;

	if (syms__func_offset(path, "malloc", &off)) {
		log__err("%s is static and has no malloc: nothing to trace (name its allocator with -O)",
			 path);
		return false;
	}
	log__info("%s is static: probing its own allocator", path);
	return true;
}

static int memleak__command_alloc_lib(const char *cmd, const char *obj, char *out, size_t size)
{
	int err = memleak__command_lib(cmd, obj, out, size);

	if (err == 1 && !memleak__static_has_malloc(out))
		return -ENOENT;
	else if (err == -ENOENT && obj)
		log__err("%s loads no library named %s", cmd, obj);
	else if (err == -ENOENT)
		log__err("%s loads no libc (name its allocator with -O)", cmd);
	else if (err < 0)
		log__err("cannot tell what %s loads: %s", cmd,
			 err == -ENOEXEC ? "not an ELF file, or its dynamic linker failed" :
					   strerror(-err));
	return err < 0 ? err : 0;
}

static int memleak__pid_alloc_lib(pid_t pid, const char *obj, char *out, size_t size)
{
	int err = memleak__maps_find(pid, obj, out, size);

	if (err == -ENOENT && !obj) {
		char exe[64];

		snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
		if (memleak__command_lib(exe, NULL, out, size) == 1)
			return memleak__static_has_malloc(exe) ? 0 : -ENOENT;
	}
	if (err == -ENOENT) {
		if (obj)
			log__err("pid %d maps no library named %s", pid, obj);
		else
			log__err("pid %d maps no libc (name its allocator with -O)", pid);
	} else if (err) {
		log__err("cannot read /proc/%d/maps: %s", pid, strerror(-err));
	}
	return err;
}

int memleak__find_libs(struct memleak_opts *o, pid_t pid, const char *cmd, const char *obj)
{
	char *lib = o->lib, *cxx = o->cxx_lib;
	size_t size = sizeof(o->lib);
	int err;

	if (obj && strchr(obj, '/')) {
		if (access(obj, R_OK)) {
			log__err("cannot read %s: %s", obj, strerror(errno));
			return -ENOENT;
		}
		snprintf(lib, size, "%s", obj);
		err = 0;
	} else if (cmd) {
		err = memleak__command_alloc_lib(cmd, obj, lib, size);
	} else {
		err = memleak__pid_alloc_lib(pid, obj, lib, size);
	}
	if (!err)
		err = memleak__lib_offsets(lib, o);
	if (err)
		return err;
	/* operator new and delete where the C++ runtime is (else in a static
	 * binary, the allocator library itself): their caller is the
	 * allocation's first frame */
	if ((cmd ? memleak__command_lib(cmd, "libstdc++", cxx, size) :
		   memleak__maps_find(pid, "libstdc++", cxx, size)) < 0)
		snprintf(cxx, size, "%s", lib);
	memleak__cxx_offsets(cxx, o);
	return 0;
}

void memleak__print_plan(const struct memleak *m, FILE *f)
{
	const char *link = m->session ? " (uprobe session)" : m->multi ? " (uprobe_multi)" : "";
	const struct memleak_opts *o = &m->o;
	int fn;

	fprintf(f, "%-16s %-12s %s\n", "FUNCTION", "OFFSET", "PROBES");
	for (fn = 0; fn < ML_NR_FNS; fn++) {
		if (!o->offsets[fn]) {
			fprintf(f, "%-16s %-12s %s\n", memleak__fn_names[fn], "-",
				"absent: not traced");
			continue;
		}
		fprintf(f, "%-16s 0x%-10llx uprobe%s%s in %s\n", memleak__fn_names[fn],
			memleak__entry_offset(o->lib, fn, o->offsets[fn]),
			fn == ML_FREE || fn == ML_MUNMAP ? "" : " + uretprobe", link, o->lib);
	}
	for (fn = 0; o->cxx_lib[0] && fn < ML_NR_CXX; fn++)
		if (o->cxx_offsets[fn])
			fprintf(f, "%-16s 0x%-10llx uprobe%s%s in %s\n", memleak__cxx_fns[fn].name,
				o->cxx_offsets[fn],
				memleak__cxx_fns[fn].fn == ML_DELETE ? "" : " + uretprobe", link,
				o->cxx_lib);
}

/* ---- the two modules ---- */

static int memleak__mod_open_user(void *state, const struct module_opts *o)
{
	return memleak__open_user(state, (const struct memleak_opts *)o);
}

static int memleak__mod_open_kernel(void *state, const struct module_opts *o)
{
	return memleak__open_kernel(state, (const struct memleak_opts *)o);
}

static int memleak__mod_attach(void *state)
{
	return memleak__attach(state);
}

static void memleak__mod_close(void *state)
{
	memleak__close(state);
}

static void memleak__mod_print_plan(void *state, FILE *f)
{
	memleak__print_plan(state, f);
}

/* the load test's own process and libc */
static int memleak__mod_self_target(void *opts)
{
	struct memleak_opts *o = opts;

	o->mo.tgid = getpid();
	return memleak__find_libs(o, o->mo.tgid, NULL, NULL);
}

static void memleak__mod_describe(void *state, char *buf, size_t size)
{
	struct memleak *m = state;

	snprintf(buf, size, "%s, %s stack buffer",
		 m->session ? "uprobe session link" : m->multi ? "uprobe_multi links" :
							      "per-function links",
		 m->task_storage ? "task-storage" : "per-CPU");
}

/* links (session, uprobe_multi, per function, as far as the kernel has
 * them) times stack buffer (task storage, or what older kernels get) */
static const struct memleak_opts memleak__variant_opts[] = {
	{ .max_allocs = 1024, .max_stacks = 64 },
	{ .max_allocs = 1024, .max_stacks = 64, .no_session = true },
	{ .max_allocs = 1024, .max_stacks = 64, .per_function_links = true },
	{ .max_allocs = 1024, .max_stacks = 64, .no_task_storage = true },
	{ .max_allocs = 1024, .max_stacks = 64, .no_session = true, .no_task_storage = true },
	{ .max_allocs = 1024, .max_stacks = 64, .per_function_links = true,
	  .no_task_storage = true },
};
static const void *const memleak__variants[] = {
	&memleak__variant_opts[0], &memleak__variant_opts[1], &memleak__variant_opts[2],
	&memleak__variant_opts[3], &memleak__variant_opts[4], &memleak__variant_opts[5], NULL,
};

const struct module_ops memleak__module = {
	.name = "memleak",
	.size = sizeof(struct memleak),
	.opts_size = sizeof(struct memleak_opts),
	.variants = memleak__variants,
	.open = memleak__mod_open_user,
	.attach = memleak__mod_attach,
	.close = memleak__mod_close,
	.probes_offset = offsetof(struct memleak, probes),
	.self_target = memleak__mod_self_target,
	.describe = memleak__mod_describe,
	.print_probes = memleak__mod_print_plan,
};

/* every event, the percpu ones too */
static const struct memleak_opts kmemleak__variant_opts = {
	.percpu = true, .max_allocs = 1024, .max_stacks = 64,
};
static const void *const kmemleak__variants[] = { &kmemleak__variant_opts, NULL };

const struct module_ops kmemleak__module = {
	.name = "kmemleak",
	.events = kmemleak__events,
	.n_events = KML_NR_EVENTS,
	.size = sizeof(struct memleak),
	.opts_size = sizeof(struct memleak_opts),
	.variants = kmemleak__variants,
	.open = memleak__mod_open_kernel,
	.attach = memleak__mod_attach,
	.close = memleak__mod_close,
	.probes_offset = offsetof(struct memleak, probes),
};
