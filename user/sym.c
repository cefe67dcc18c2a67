// SPDX-License-Identifier: BSD-2-Clause
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdwfl.h>
#include "sym.h"

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

struct syms {
	pid_t pid;			/* 0: kernel */
	Dwfl *dwfl;
	struct sym_entry *cache;
	size_t cap, used;
	struct ksym *ksyms;
	size_t n_ksyms;
	char **strs;			/* interned module/file names */
	size_t n_strs;
};

static char *syms_debuginfo_path;
static const Dwfl_Callbacks syms_proc_cb = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &syms_debuginfo_path,
};
static const Dwfl_Callbacks syms_offline_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &syms_debuginfo_path,
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

struct syms *syms__new_pid(pid_t pid)
{
	struct syms *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	s->dwfl = dwfl_begin(&syms_proc_cb);
	if (!s->dwfl) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	dwfl_report_begin(s->dwfl);
	if (dwfl_linux_proc_report(s->dwfl, pid)) {
		int err = errno ?: ENOENT;

		dwfl_end(s->dwfl);
		free(s);
		errno = err;
		return NULL;
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
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
	dwfl_report_begin(s->dwfl);
	dwfl_linux_proc_report(s->dwfl, s->pid);
	dwfl_report_end(s->dwfl, NULL, NULL);
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

	if (!mod) {
		syms__refresh(s);
		mod = dwfl_addrmodule(s->dwfl, look);
		if (!mod)
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

int syms__func_offset(const char *path, const char *name, unsigned long long *off)
{
	Dwfl *dwfl = dwfl_begin(&syms_offline_cb);
	Dwfl_Module *mod;
	Dwarf_Addr main_bias;
	Elf *main_elf;
	int i, n, err = -ENOENT;

	if (!dwfl)
		return -ENOMEM;
	if (access(path, R_OK)) {
		err = -errno;
		goto out;
	}
	dwfl_report_begin(dwfl);
	mod = dwfl_report_offline(dwfl, path, path, -1);
	dwfl_report_end(dwfl, NULL, NULL);
	if (!mod) {
		err = -EINVAL;
		goto out;
	}
	n = dwfl_module_getsymtab(mod);
	for (i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		Elf *elf;
		Dwarf_Addr bias;
		const char *sn = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, &elf, &bias);

		if (!sn || strcmp(sn, name) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		/* the symbol may come from a separate debug file: program
		 * headers are the main file's */
		main_elf = dwfl_module_getelf(mod, &main_bias);
		err = main_elf ? syms__vaddr_to_off(main_elf, addr - main_bias, off) : -EINVAL;
		if (!err)
			break;
	}
out:
	dwfl_end(dwfl);
	return err;
}

void syms__format(const struct sym_info *si, unsigned long long addr, char *buf, size_t size)
{
	int n;

	if (si->name)
		n = snprintf(buf, size, "%s+0x%llx [%s]", si->name, si->offset,
			     si->module ?: "unknown");
	else
		n = snprintf(buf, size, "0x%llx [%s]", addr, si->module ?: "unknown");
	if (si->file && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, " %s:%d", si->file, si->line);
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
