// SPDX-License-Identifier: BSD-2-Clause
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include "log.h"
#include "sym.h"
#include "symfile.h"

struct sym_entry {
	unsigned long long addr;	/* key; 0: empty slot */
	bool ret_addr;
	int err;
	struct sym_info info;
};

struct ksym {
	unsigned long long addr;
	char *name;
	const char *module;
};

/* A file the process maps, as libdwfl's module userdata. */
struct syms_mod {
	struct syms_mod *next;
	struct syms *s;
	char *path;			/* as /proc/PID/maps names it */
	unsigned long long start, end;	/* its first mapping: its map_files name */
	int fd;				/* through map_files; -1: open at need */
	dev_t dev;
	ino_t ino;
	int alt_fd;			/* the dwz file its DWARF needs; -1: none */
	char *alt_name;
};

#define SYMS_VDSO "vdso"		/* its module's name: frames show [vdso] */

struct syms_range {
	unsigned long long start, end;
};

struct syms {
	pid_t pid;			/* 0: kernel */
	Dwfl *dwfl;
	struct syms_mod *mods;
	struct syms_range *maps;	/* file mappings, by address */
	size_t n_maps;
	unsigned long long missed_ns;	/* last maps re-read for an unknown address */
	struct sym_entry *cache;
	size_t cap, used;
	struct ksym *ksyms;
	size_t n_ksyms;
	char **strs;			/* interned module/file names */
	size_t n_strs;
};

static int syms__find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, char **file_name, Elf **elfp);
static int syms__find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
				Dwarf_Addr base, const char *file_name, const char *debuglink,
				GElf_Word crc, char **debuginfo_file_name);

/* Every file libdwfl reads comes through these two callbacks (see
 * symfile.h): never libdwfl's own, which open the names /proc/PID/maps
 * shows ("/dir/lib.so (deleted)" included), block on a FIFO and unpack
 * whatever they find. */
static const Dwfl_Callbacks syms_cb = {
	.find_elf = syms__find_elf,
	.find_debuginfo = syms__find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Names repeat across frames (module, source file): kept once. */
static const char *syms__intern(struct syms *s, const char *str)
{
	char **n;
	size_t i;

	if (!str)
		return NULL;
	for (i = 0; i < s->n_strs; i++)
		if (!strcmp(s->strs[i], str))
			return s->strs[i];
	n = realloc(s->strs, (s->n_strs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	s->strs = n;
	s->strs[s->n_strs] = strdup(str);
	return s->strs[s->n_strs] ? s->strs[s->n_strs++] : NULL;
}

char *syms__demangle(const char *name)
{
	typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);
	static demangle_fn demangle;
	static bool tried;
	int status = -1;
	char *out;

	if (!name || strncmp(name, "_Z", 2))
		return NULL;
	if (!tried) {
		void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

		tried = true;
		if (h)
			demangle = (demangle_fn)dlsym(h, "__cxa_demangle");
	}
	if (!demangle)
		return NULL;
	out = demangle(name, NULL, NULL, &status);
	if (status) {
		free(out);
		return NULL;
	}
	return out;
}

/* Mapped files held open for after their process exits, over all
 * symbolizers: faultstat keeps one per process it saw. Beyond the cap a
 * file is opened when first needed, while its process lives. */
#define SYMS_MAX_HELD 256
static int syms_held;

static void syms__mod_free(struct syms_mod *m)
{
	if (m->fd >= 0) {
		close(m->fd);
		syms_held--;
	}
	if (m->alt_fd >= 0)
		close(m->alt_fd);
	free(m->alt_name);
	free(m->path);
	free(m);
}

static int syms__mod_removed(Dwfl_Module *mod, void *userdata, const char *name,
			     Dwarf_Addr base, void *arg)
{
	struct syms_mod *m = userdata, **p;
	struct syms *s = arg;

	for (p = &s->mods; m && *p; p = &(*p)->next) {
		if (*p == m) {
			*p = m->next;
			syms__mod_free(m);
			break;
		}
	}
	return DWARF_CB_OK;
}

/* Opens path if it is the regular file dev:ino (stat first: a device is
 * never opened, a FIFO never waited on). */
static int syms__open_inode(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_dev != dev || st.st_ino != ino)
		return -1;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) || st.st_dev != dev || st.st_ino != ino)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The file really mapped at start-end: the process's handle on it in
 * map_files (CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE), else its name in the
 * process's root if that is still the same inode. Never the name alone: it
 * may since have been replaced, or be "/dir/lib.so (deleted)", a name
 * anyone who can write to /dir can plant a FIFO or a bomb under. */
static int syms__open_mapped(pid_t pid, const char *name, unsigned long long start,
			     unsigned long long end, dev_t dev, ino_t ino)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid, start, end);
	fd = syms__open_inode(path, dev, ino);
	if (fd < 0 && snprintf(path, sizeof(path), "/proc/%d/root%s", pid, name) < (int)sizeof(path))
		fd = syms__open_inode(path, dev, ino);
	return fd;
}

static void syms__report(struct syms *s, const char *path, unsigned long long start,
			 unsigned long long end, unsigned long long first_end, dev_t dev, ino_t ino)
{
	Dwfl_Module *mod = dwfl_report_module(s->dwfl, path, start, end);
	struct syms_mod *m;
	void **ud;

	if (!mod)
		return;
	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	if (*ud)
		return; /* known: its tables stay */
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		return;
	}
	m->s = s;
	m->start = start;
	m->end = first_end;
	m->dev = dev;
	m->ino = ino;
	m->alt_fd = -1;
	/* opened now, so that frames still resolve after the process exits */
	m->fd = ino && syms_held < SYMS_MAX_HELD ?
			syms__open_mapped(s->pid, path, start, first_end, dev, ino) : -1;
	if (m->fd >= 0)
		syms_held++;
	m->next = s->mods;
	s->mods = m;
	*ud = m;
}

/* Reports each file of /proc/PID/maps as one module, from its first
 * mapping to its last, and keeps the file mappings for syms__resolve. */
static int syms__read_maps(struct syms *s)
{
	char path[64], line[4096 + 128], cur[4096] = "";
	unsigned long long start, end, lo = 0, hi = 0, first_end = 0, ino, cur_ino = 0;
	unsigned int maj, min;
	dev_t cur_dev = 0;
	size_t cap = s->n_maps;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", s->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	s->n_maps = 0;
	dwfl_report_begin(s->dwfl);
	while (fgets(line, sizeof(line), f)) {
		char *name = strchr(line, '/');
		bool vdso = !name && strstr(line, " [vdso]");
		dev_t dev;

		if (sscanf(line, "%llx-%llx %*s %*s %x:%x %llu", &start, &end, &maj, &min, &ino) != 5 ||
		    (!vdso && (!name || !ino)))
			continue;
		if (s->n_maps == cap) {
			struct syms_range *r = realloc(s->maps, (cap = cap ? cap * 2 : 64) * sizeof(*r));

			if (!r)
				break;
			s->maps = r;
		}
		s->maps[s->n_maps++] = (struct syms_range){ start, end };
		if (vdso) {
			syms__report(s, SYMS_VDSO, start, end, end, 0, 0);
			continue;
		}
		name[strcspn(name, "\n")] = '\0';
		dev = makedev(maj, min);
		if (*cur && dev == cur_dev && ino == cur_ino && !strcmp(name, cur)) {
			hi = end;
			continue;
		}
		if (*cur)
			syms__report(s, cur, lo, hi, first_end, cur_dev, cur_ino);
		snprintf(cur, sizeof(cur), "%s", name);
		lo = start;
		hi = first_end = end;
		cur_dev = dev;
		cur_ino = ino;
	}
	if (*cur)
		syms__report(s, cur, lo, hi, first_end, cur_dev, cur_ino);
	fclose(f);
	dwfl_report_end(s->dwfl, syms__mod_removed, s);
	return 0;
}

struct syms *syms__new_pid(pid_t pid)
{
	struct syms *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->pid = pid;
	s->dwfl = dwfl_begin(&syms_cb);
	if (!s->dwfl) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	err = syms__read_maps(s);
	if (err) {
		syms__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void syms__refresh(struct syms *s)
{
	char path[64];

	if (!s->dwfl)
		return;
	snprintf(path, sizeof(path), "/proc/%d/maps", s->pid);
	if (access(path, R_OK))
		return; /* gone: what we know is all there is */
	/* modules reported again with the same range are kept, tables and all */
	syms__read_maps(s);
}

/* Why a file was not read, at -v. */
static void syms__skip(const char *what, const char *path, int err)
{
	log__info("%s %s not read: %s", what, path, symfile__strerror(err));
}

/* A dwz file (.gnu_debugaltlink) is looked for under /usr/lib/debug by its
 * build-id only; a file that needs one not found there is refused, since
 * libdw would otherwise look for it by name itself, next to the file. */
static int syms__check_alt(struct syms_mod *m, struct symfile *f, const char *path)
{
	char alt[PATH_MAX];
	struct symfile af;
	const void *id;
	size_t i, n;
	int fd;

	if (!f->alt_name || !f->dwarf)
		return 0;
	if (f->alt_id_len < 2)
		goto refuse;
	n = snprintf(alt, sizeof(alt), "/usr/lib/debug/.build-id/%02x/", f->alt_id[0]);
	for (i = 1; i < f->alt_id_len; i++)
		n += snprintf(alt + n, sizeof(alt) - n, "%02x", f->alt_id[i]);
	snprintf(alt + n, sizeof(alt) - n, ".debug");
	fd = symfile__open(alt, &af);
	if (fd < 0)
		goto refuse;
	if (dwelf_elf_gnu_build_id(af.elf, &id) != (ssize_t)f->alt_id_len ||
	    memcmp(id, f->alt_id, f->alt_id_len) || af.alt_name) {
		symfile__close(&af);
		close(fd);
		goto refuse;
	}
	symfile__close(&af);
	if (m->alt_fd >= 0)
		close(m->alt_fd);
	free(m->alt_name);
	m->alt_fd = fd;
	m->alt_name = strdup(f->alt_name);
	return 0;
refuse:
	syms__skip("file", path, -SYMFILE_ENOALT);
	return -SYMFILE_ENOALT;
}

/* The vdso is the kernel's, the same image in every process of one ABI:
 * read from our own, never from the traced process's memory (it can make
 * its copy writable). NULL when the sizes differ (a 32-bit process). */
static Elf *syms__vdso_elf(unsigned long long size)
{
	static unsigned char *copy;
	static unsigned long long copy_size;
	unsigned long long start, end;
	char line[512];
	FILE *f;

	if (!copy && (f = fopen("/proc/self/maps", "re"))) {
		while (fgets(line, sizeof(line), f)) {
			if (!strstr(line, " [vdso]") ||
			    sscanf(line, "%llx-%llx", &start, &end) != 2)
				continue;
			copy = malloc(end - start);
			if (copy) {
				memcpy(copy, (void *)(uintptr_t)start, end - start);
				copy_size = end - start;
			}
			break;
		}
		fclose(f);
	}
	return copy && size == copy_size ? elf_memory((char *)copy, copy_size) : NULL;
}

static int syms__find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct syms_mod *m = *userdata;
	struct symfile f;
	char *name;
	int fd, err;

	if (!m)
		return -1;
	if (!m->ino) {
		*elfp = syms__vdso_elf(m->end - m->start);
		return -1;
	}
	/* libdwfl keeps the descriptor it is given */
	fd = m->fd;
	if (fd >= 0) {
		m->fd = -1;
		syms_held--;
	} else {
		fd = syms__open_mapped(m->s->pid, m->path, m->start, m->end, m->dev, m->ino);
	}
	if (fd < 0)
		return -1;
	err = symfile__check(fd, &f);
	if (!err)
		err = syms__check_alt(m, &f, m->path);
	else
		syms__skip("mapped file", m->path, err);
	name = err ? NULL : strdup(m->path);
	if (err || !name) {
		symfile__close(&f);
		free(name);
		close(fd);
		return -1;
	}
	/* never a name left behind on failure: libdwfl would open it */
	*file_name = name;
	*elfp = f.elf;
	f.elf = NULL;
	symfile__close(&f);
	return fd;
}

/* A candidate debug file: vetted, the module's own build-id (or, without
 * one, the CRC .gnu_debuglink records), and not the file itself. */
static int syms__try_debug(struct syms_mod *m, const char *path, const void *id, int id_len,
			   GElf_Word crc)
{
	struct symfile f;
	const void *fid;
	int fd = symfile__open(path, &f);
	bool match;

	if (fd < 0) {
		if (fd != -ENOENT && fd != -ENOTDIR)
			syms__skip("debug file", path, fd);
		return -1;
	}
	if (f.st.st_dev == m->dev && f.st.st_ino == m->ino)
		match = false;
	else if (id_len > 0)
		match = dwelf_elf_gnu_build_id(f.elf, &fid) == id_len && !memcmp(fid, id, id_len);
	else
		match = symfile__crc(fd, &f.st) == (long long)crc;
	if (match && syms__check_alt(m, &f, path))
		match = false;
	symfile__close(&f);
	if (!match) {
		close(fd);
		return -1;
	}
	return fd;
}

static int syms__find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
				Dwarf_Addr base, const char *file_name, const char *debuglink,
				GElf_Word crc, char **debuginfo_file_name)
{
	struct syms_mod *m = *userdata;
	char path[PATH_MAX], dir[PATH_MAX];
	const unsigned char *id;
	GElf_Addr id_vaddr;
	int id_len, fd = -1, i, n;
	const char *pre[] = { "/usr/lib/debug", "", "" }, *sub[] = { "", "", "/.debug" };
	char *slash;

	if (!m)
		return -1;
	if (debuglink && m->alt_name && !strcmp(debuglink, m->alt_name))
		return m->alt_fd >= 0 ? fcntl(m->alt_fd, F_DUPFD_CLOEXEC, 0) : -1;
	id_len = dwfl_module_build_id(mod, &id, &id_vaddr);
	if (id_len >= 2) {
		n = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", id[0]);
		for (i = 1; i < id_len; i++)
			n += snprintf(path + n, sizeof(path) - n, "%02x", id[i]);
		snprintf(path + n, sizeof(path) - n, ".debug");
		fd = syms__try_debug(m, path, id, id_len, crc);
	}
	if (fd >= 0 || !debuglink || !*debuglink || strchr(debuglink, '/'))
		return fd;
	/* gdb's places: /usr/lib/debug/DIR, DIR, DIR/.debug */
	snprintf(dir, sizeof(dir), "%s", m->path);
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (i = 0; fd < 0 && i < 3; i++) {
		if (snprintf(path, sizeof(path), "%s%s%s/%s", pre[i], dir, sub[i], debuglink) <
		    (int)sizeof(path))
			fd = syms__try_debug(m, path, id, id_len > 0 ? id_len : 0, crc);
	}
	return fd;
}

static int syms__cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct syms *syms__new_kernel(void)
{
	struct syms *s = calloc(1, sizeof(*s));
	char line[512], name[256], mod[128], type;
	unsigned long long addr;
	size_t cap = 0;
	FILE *f;

	if (!s)
		return NULL;
	f = fopen("/proc/kallsyms", "re");
	if (!f) {
		int err = errno;

		free(s);
		errno = err;
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);

		if (n < 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (s->n_ksyms == cap) {
			struct ksym *k = realloc(s->ksyms, (cap = cap ? cap * 2 : 65536) * sizeof(*k));

			if (!k)
				break;
			s->ksyms = k;
		}
		s->ksyms[s->n_ksyms].addr = addr;
		s->ksyms[s->n_ksyms].name = strdup(name);
		s->ksyms[s->n_ksyms].module = syms__intern(s, n == 4 ? mod : "kernel");
		if (s->ksyms[s->n_ksyms].name)
			s->n_ksyms++;
	}
	fclose(f);
	qsort(s->ksyms, s->n_ksyms, sizeof(*s->ksyms), syms__cmp_ksym);
	return s;
}

static struct sym_entry *syms__slot(struct syms *s, unsigned long long addr, bool ret_addr)
{
	size_t i, mask;

	if (s->used * 2 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024, j;
		struct sym_entry *n = calloc(ncap, sizeof(*n));

		if (!n)
			return NULL;
		for (j = 0; j < s->cap; j++) {
			struct sym_entry *e = &s->cache[j];

			if (!e->addr)
				continue;
			for (i = (e->addr * 0x9E3779B97F4A7C15ULL) >> 20 & (ncap - 1); n[i].addr;
			     i = (i + 1) & (ncap - 1))
				;
			n[i] = *e;
		}
		free(s->cache);
		s->cache = n;
		s->cap = ncap;
	}
	mask = s->cap - 1;
	for (i = (addr * 0x9E3779B97F4A7C15ULL) >> 20 & mask; s->cache[i].addr;
	     i = (i + 1) & mask)
		if (s->cache[i].addr == addr && s->cache[i].ret_addr == ret_addr)
			return &s->cache[i];
	return &s->cache[i];
}

static int syms__resolve_kernel(struct syms *s, unsigned long long addr,
				struct sym_info *out)
{
	size_t lo = 0, hi = s->n_ksyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	out->name = s->ksyms[lo - 1].name;
	out->offset = addr - s->ksyms[lo - 1].addr;
	out->module = s->ksyms[lo - 1].module;
	return 0;
}

/* A module spans its file's first mapping to its last, and libdwfl finds
 * the last module for any address above it: an address must be in a file
 * mapping itself. */
static bool syms__mapped(const struct syms *s, unsigned long long addr)
{
	size_t lo = 0, hi = s->n_maps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_maps && s->maps[lo].start <= addr;
}

static int syms__resolve_user(struct syms *s, unsigned long long addr, bool ret_addr,
			      struct sym_info *out)
{
	/* a return address may be the first byte after a call at a
	 * function's very end: look up the call itself */
	unsigned long long look = ret_addr && addr ? addr - 1 : addr;
	const char *mainfile = NULL, *modname, *name, *base;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, look);
	GElf_Off off = 0;
	GElf_Sym sym;
	Dwfl_Line *line;

	/* beyond any user address space (56 bits on x86-64 and arm64): what
	 * a frame-pointer walk read from a register that held no frame */
	if (look >> 56)
		return -ENOENT;
	if (!mod || !syms__mapped(s, look)) {
		/* a library loaded since; but a walk without frame pointers
		 * gives many addresses in no file: maps re-read at most
		 * every 100 ms for them */
		struct timespec ts;
		unsigned long long now;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
		if (s->missed_ns && now - s->missed_ns < 100000000ULL)
			return -ENOENT;
		s->missed_ns = now;
		syms__refresh(s);
		mod = dwfl_addrmodule(s->dwfl, look);
		if (!mod || !syms__mapped(s, look))
			return -ENOENT;
	}
	modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
	if (!modname)
		modname = mainfile;
	base = modname ? strrchr(modname, '/') : NULL;
	out->module = syms__intern(s, base ? base + 1 : modname);
	name = dwfl_module_addrinfo(mod, look, &off, &sym, NULL, NULL, NULL);
	if (name) {
		char *d = syms__demangle(name);

		out->name = syms__intern(s, d ?: name);
		free(d);
		out->offset = addr - (look - off);
	}
	line = dwfl_module_getsrc(mod, look);
	if (line) {
		int lineno = 0;
		const char *src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);

		if (src && lineno > 0) {
			out->file = syms__intern(s, src);
			out->line = lineno;
		}
	}
	return 0;
}

int syms__resolve(struct syms *s, unsigned long long addr, bool ret_addr, struct sym_info *out)
{
	struct sym_entry *e;
	int err;

	memset(out, 0, sizeof(*out));
	if (!addr)
		return -ENOENT;
	e = syms__slot(s, addr, ret_addr);
	if (e && e->addr) {
		*out = e->info;
		return e->err;
	}
	err = s->dwfl ? syms__resolve_user(s, addr, ret_addr, out) :
			syms__resolve_kernel(s, addr, out);
	/* an unknown address may belong to a library not mapped yet */
	if (e && (!err || !s->dwfl)) {
		e->addr = addr;
		e->ret_addr = ret_addr;
		e->err = err;
		e->info = *out;
		s->used++;
	}
	return err;
}

void syms__free(struct syms *s)
{
	size_t i;

	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	while (s->mods) {
		struct syms_mod *m = s->mods;

		s->mods = m->next;
		syms__mod_free(m);
	}
	free(s->maps);
	for (i = 0; i < s->n_ksyms; i++)
		free(s->ksyms[i].name);
	free(s->ksyms);
	for (i = 0; i < s->n_strs; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->cache);
	free(s);
}

/* ELF virtual address -> file offset, through the PT_LOAD holding it. */
static int syms__vaddr_to_off(Elf *elf, GElf_Addr vaddr, unsigned long long *off)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

int syms__func_offsets(const char *path, const char *const names[], int n,
		       unsigned long long offs[])
{
	struct syms_mod m = { .fd = -1, .alt_fd = -1, .path = (char *)path };
	Dwfl *dwfl = dwfl_begin(&syms_cb);
	Dwfl_Module *mod;
	Dwarf_Addr main_bias;
	struct symfile f;
	Elf *main_elf;
	int i, j, nsyms, fd, err = 0;
	void **ud;

	memset(offs, 0, n * sizeof(*offs));
	if (!dwfl)
		return -ENOMEM;
	fd = symfile__open(path, &f);
	if (fd < 0) {
		dwfl_end(dwfl);
		return fd;
	}
	m.dev = f.st.st_dev;
	m.ino = f.st.st_ino;
	err = syms__check_alt(&m, &f, path);
	symfile__close(&f);
	if (err) {
		close(fd);
		goto out;
	}
	dwfl_report_begin(dwfl);
	/* libdwfl reads (and closes) the descriptor just vetted */
	mod = dwfl_report_offline(dwfl, path, path, fd);
	dwfl_report_end(dwfl, NULL, NULL);
	if (!mod) {
		close(fd); /* libdwfl closes a caller's descriptor only with its module */
		err = -SYMFILE_ENOTELF;
		goto out;
	}
	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = &m;
	/* one pass over the symbols for every name: each session reads the
	 * file, and its debug file, again */
	nsyms = dwfl_module_getsymtab(mod);
	main_elf = dwfl_module_getelf(mod, &main_bias);
	for (i = 1; main_elf && i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		Elf *elf;
		Dwarf_Addr bias;
		const char *sn = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, &elf, &bias);

		if (!sn || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
			continue;
		for (j = 0; j < n; j++) {
			if (offs[j] || strcmp(sn, names[j]))
				continue;
			/* the symbol may come from a separate debug file:
			 * program headers are the main file's */
			if (syms__vaddr_to_off(main_elf, addr - main_bias, &offs[j]))
				offs[j] = 0;
		}
	}
out:
	dwfl_end(dwfl);
	if (m.alt_fd >= 0)
		close(m.alt_fd);
	free(m.alt_name);
	return err;
}

int syms__func_offset(const char *path, const char *name, unsigned long long *off)
{
	int err = syms__func_offsets(path, &name, 1, off);

	return err ?: *off ? 0 : -ENOENT;
}

struct syms_cache_entry {
	pid_t pid;
	bool used;			/* since the last prune */
	struct syms *syms;
};

struct syms_cache {
	struct syms_cache_entry *e;
	size_t n;
};

struct syms_cache *syms_cache__new(void)
{
	return calloc(1, sizeof(struct syms_cache));
}

struct syms *syms_cache__get(struct syms_cache *c, pid_t pid)
{
	struct syms_cache_entry *e;
	struct syms *s;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->e[i].pid == pid) {
			c->e[i].used = true;
			return c->e[i].syms;
		}
	}
	s = syms__new_pid(pid);
	if (!s)
		return NULL;
	e = realloc(c->e, (c->n + 1) * sizeof(*e));
	if (!e) {
		syms__free(s);
		return NULL;
	}
	c->e = e;
	c->e[c->n++] = (struct syms_cache_entry){ .pid = pid, .used = true, .syms = s };
	return s;
}

void syms_cache__prune(struct syms_cache *c)
{
	char path[32];
	size_t i, k = 0;

	for (i = 0; i < c->n; i++) {
		struct syms_cache_entry *e = &c->e[i];

		snprintf(path, sizeof(path), "/proc/%d", e->pid);
		if (!e->used && access(path, F_OK)) {
			syms__free(e->syms);
			continue;
		}
		e->used = false;
		c->e[k++] = *e;
	}
	c->n = k;
}

void syms_cache__free(struct syms_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		syms__free(c->e[i].syms);
	free(c->e);
	free(c);
}
