// SPDX-License-Identifier: BSD-2-Clause
/* memleak's user side without root: symbolization of this very program
 * (built with -g), of a library loaded later with dlopen, C++ demangling,
 * the file offsets uprobes are placed at, and which library -c probes. */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "memleak.h"
#include "sym.h"

__attribute__((noinline)) int unit_fixture_function(int x)
{
	return x * 3 + 1;
}

static void test_self(void)
{
	struct syms *s = syms__new_pid(getpid());
	unsigned long long a = (uintptr_t)&unit_fixture_function;
	struct sym_info si;

	CHECK(s != NULL, "syms of this process");
	if (!s)
		return;
	CHECK(syms__resolve(s, a + 4, false, &si) == 0, "resolve a function of this program");
	CHECK_STR(si.name ?: "(null)", "unit_fixture_function", "symbol name");
	CHECK(si.offset == 4, "offset within the symbol");
	CHECK_STR(si.module ?: "(null)", "unit_memleak", "module is the program's file name");
	CHECK(si.file && strstr(si.file, "unit_memleak.c") && si.line >= 14 && si.line <= 17,
	      "file:line from DWARF");
	CHECK(syms__resolve(s, 0, true, &si) == -ENOENT, "address 0 is unknown");
	syms__free(s);
}

static void test_dlopen(void)
{
	struct syms *s = syms__new_pid(getpid());
	struct sym_info si = {};
	void *h, *f;

	if (!s)
		return;
	h = dlopen("libz.so.1", RTLD_NOW);
	if (!h) {
		printf("skip dlopen'ed library: no libz.so.1\n");
		syms__free(s);
		return;
	}
	f = dlsym(h, "crc32");
	CHECK(f && syms__resolve(s, (uintptr_t)f + 2, false, &si) == 0,
	      "a library loaded after the first report is found");
	CHECK_STR(si.name ?: "(null)", "crc32", "its symbol, from .dynsym");
	CHECK(si.module && !strncmp(si.module, "libz.so", 7), "its module");
	syms__free(s);
}

static void test_demangle(void)
{
	char *d = syms__demangle("_ZN8memscope4leakEim");

	if (!dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD) && !d) {
		printf("skip demangling: libstdc++.so.6 not loadable\n");
		return;
	}
	CHECK_STR(d ?: "(null)", "memscope::leak(int, unsigned long)", "C++ name demangled");
	free(d);
	CHECK(syms__demangle("malloc") == NULL, "a C name is left alone");
}

/* The offset computed from the file must land on the function in memory:
 * load address of the mapping + (offset - mapping's file offset). */
static void test_func_offset(void)
{
	char line[4096], path[4096] = "";
	unsigned long long off = 0, lo, hi, pgoff;
	uintptr_t want = (uintptr_t)dlsym(RTLD_DEFAULT, "malloc");
	Dl_info di;
	FILE *f;
	int found = 0;

	if (!dladdr((void *)want, &di) || !di.dli_fname) {
		printf("skip function offsets: dladdr failed\n");
		return;
	}
	snprintf(path, sizeof(path), "%s", di.dli_fname);
	CHECK(syms__func_offset(path, "malloc", &off) == 0, "libc's malloc has a file offset");
	{
		unsigned long long none;

		CHECK(syms__func_offset(path, "no_such_function_here", &none) == -ENOENT,
		      "a missing function is -ENOENT");
	}
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char perms[8], file[4096] = "";

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &lo, &hi, perms, &pgoff,
			   file) < 4)
			continue;
		if (perms[2] != 'x' || !strstr(file, "libc"))
			continue;
		if (off >= pgoff && off < pgoff + (hi - lo)) {
			found = lo + (off - pgoff) == want;
			break;
		}
	}
	if (f)
		fclose(f);
	CHECK(found, "uprobe offset of malloc maps onto malloc's address in memory");
	CHECK(syms__func_offset("/nonexistent/lib.so", "malloc", &off) == -ENOENT,
	      "an unreadable library is an error");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* -c: the library the command will load, as its dynamic linker says */
static void test_command_lib(void)
{
	char out[4096], self[4096], dir[] = "/tmp/unit_memleak.XXXXXX", script[4200], text[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	CHECK(memleak__command_lib(self, NULL, out, sizeof(out)) == 0 && strstr(out, "/libc.so"),
	      "a dynamic program: the libc its dynamic linker names");
	CHECK(memleak__command_lib(self, "libnothere", out, sizeof(out)) == -ENOENT,
	      "a library it does not load: -ENOENT");
	if (!mkdtemp(dir)) {
		printf("skip -c's library of a script: no temporary directory\n");
		return;
	}
	snprintf(script, sizeof(script), "%s/script", dir);
	write_file(script, "#!/bin/sh\necho hi\n");
	CHECK(memleak__command_lib(script, NULL, out, sizeof(out)) == 0 && strstr(out, "/libc.so"),
	      "a #! script: its interpreter's libc");
	snprintf(text, sizeof(text), "%s/text", dir);
	write_file(text, "just text\n");
	CHECK(memleak__command_lib(text, NULL, out, sizeof(out)) == -ENOEXEC,
	      "neither ELF nor #!: -ENOEXEC");
	unlink(script);
	unlink(text);
	rmdir(dir);
	/* Debian's ldconfig is static-pie */
	if (access("/sbin/ldconfig", R_OK)) {
		printf("skip -c's library of a static program: no /sbin/ldconfig\n");
		return;
	}
	CHECK(memleak__command_lib("/sbin/ldconfig", NULL, out, sizeof(out)) == 1 &&
		      !strcmp(out, "/sbin/ldconfig"),
	      "a static program (ldconfig) is its own allocator library");
}

int main(void)
{
	test_self();
	test_dlopen();
	test_demangle();
	test_func_offset();
	test_command_lib();
	return check_failures ? 1 : 0;
}
