/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_SYM_H
#define MEMSCOPE_SYM_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Symbolization: user addresses of a live process through elfutils' libdwfl
 * (symtab, dynsym, .gnu_debuglink and build-id debug files, file:line),
 * kernel addresses through /proc/kallsyms. Modules are reported from
 * /proc/PID/maps and kept across refreshes, so each module's tables are read
 * once; a library loaded later with dlopen is picked up by a refresh, which
 * syms__resolve also does by itself for an address in no known module.
 * Mapped files are read through /proc/PID/map_files (the file really
 * mapped, never the name the maps line shows) and every file is vetted
 * first (symfile.h). Results are cached per address.
 */
struct sym_info {
	const char *name;		/* demangled; NULL: unknown */
	unsigned long long offset;	/* address - symbol start */
	const char *module;		/* file name without directories, "kernel" */
	const char *file;		/* source file, NULL without line info */
	int line;			/* 0 without line info */
};

struct syms;

/* NULL with errno set when /proc/PID/maps cannot be read. */
struct syms *syms__new_pid(pid_t pid);
struct syms *syms__new_kernel(void);
/* Re-reads the process's mappings; keeps what is already known when the
 * process is gone. */
void syms__refresh(struct syms *s);
/* Resolves addr; ret_addr: addr is a return address, so the call before it
 * names the line. Strings stay valid until syms__free. Returns 0, or
 * -ENOENT when addr is in no file the process maps (out->module is then
 * NULL): where a user stack walked by frame pointers ends. */
int syms__resolve(struct syms *s, unsigned long long addr, bool ret_addr, struct sym_info *out);
void syms__free(struct syms *s);

/* C++ names through libstdc++'s __cxa_demangle when it can be loaded;
 * returns a malloc'd string or NULL (not mangled, or no demangler). */
char *syms__demangle(const char *name);

/* File offsets of the functions `names` in the ELF file `path` (what a
 * uprobe takes), read in one pass; 0 for a name it lacks. Returns 0, or
 * -errno when the file cannot be read or is refused (symfile__strerror
 * names why: not a regular file, not ELF, beyond the unpack bound). */
int syms__func_offsets(const char *path, const char *const names[], int n,
		       unsigned long long offs[]);
/* One function: 0, -ENOENT (no such function) or as above. */
int syms__func_offset(const char *path, const char *name, unsigned long long *off);

/*
 * Symbolizers of many processes, opened on first use and kept while they
 * are used, so a process's frames still resolve after it exits from what
 * was read while it lived.
 */
struct syms_cache;

struct syms_cache *syms_cache__new(void);
/* The process's symbolizer; NULL when it is gone and was never seen. */
struct syms *syms_cache__get(struct syms_cache *c, pid_t pid);
/* Frees the symbolizers of processes that are gone and were not asked
 * for since the previous prune. */
void syms_cache__prune(struct syms_cache *c);
void syms_cache__free(struct syms_cache *c);

#endif
