// SPDX-License-Identifier: BSD-2-Clause
/* memleak's user side without root: symbolization of this very program
 * (built with -g), of a library loaded later with dlopen, C++ demangling,
 * the file offsets uprobes are placed at, which library -c probes, how the
 * command line is split and run (target.h), and the report's schemas
 * rendered from fixture records. */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "memleak.h"
#include "mlreport.h"
#include "target.h"
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
	CHECK(si.file && strstr(si.file, "unit_memleak.c") && si.line >= 18 && si.line <= 21,
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

static void test_target(void)
{
	char **argv = target__split("  ./app --name 'a b' \"c \\\"d\" e\\ f '' ");
	char out[4096];

	CHECK(argv && argv[0] && !strcmp(argv[0], "./app") && !strcmp(argv[1], "--name") &&
		      !strcmp(argv[2], "a b") && !strcmp(argv[3], "c \"d") &&
		      !strcmp(argv[4], "e f") && !strcmp(argv[5], "") && !argv[6],
	      "command split: blanks, both quotes, backslashes, an empty word");
	free(argv);
	argv = target__split(" \t ");
	CHECK(argv && !argv[0], "a blank command has no words");
	free(argv);
	CHECK(target__find_in_path("sh", out, sizeof(out)) == 0 && strchr(out, '/'),
	      "sh found in $PATH");
	CHECK(target__find_in_path("no-such-command-here", out, sizeof(out)) == -ENOENT,
	      "a command in no $PATH directory: -ENOENT");
	CHECK(target__find_in_path("/nonexistent/cmd", out, sizeof(out)) == -ENOENT,
	      "a path is taken as it is");
}

/* memleak's report from fixture records: bcc's text, folded, JSON */
static void test_report(void)
{
	struct timespec ts = { .tv_sec = 1764547200 + 3661, .tv_nsec = 5000000 };
	struct frame fr[3] = {
		{ .addr = 0x401136, .si = { .name = "leak", .offset = 0x16, .module = "a.out",
					    .file = "a.c", .line = 9 } },
		{ .addr = 0x401200, .si = { .name = "main", .offset = 0x20, .module = "a.out" } },
		{ .addr = 0x7f0011223344 },
	};
	struct stack_view v[2] = { { fr, 2, false }, { fr + 2, 1, false } };
	struct rec r, st[2], ad[1], lost;
	struct json j;
	char buf[4096];

	rec__init(&r, &mlreport__schema);
	rec__time(&r, MLR_TIME, &ts);
	rec__i64(&r, MLR_PID, 42);
	rec__init(&st[0], &mlreport__stack_schema);
	rec__u64(&st[0], MLS_BYTES, 4000);
	rec__u64(&st[0], MLS_ALLOCS, 2);
	rec__stack(&st[0], MLS_FRAMES, &v[0]);
	rec__init(&st[1], &mlreport__stack_schema);
	rec__u64(&st[1], MLS_BYTES, 100);
	rec__u64(&st[1], MLS_ALLOCS, 5);
	rec__stack(&st[1], MLS_FRAMES, &v[1]);
	rec__list(&r, MLR_STACKS, st, 2);
	rec__init(&lost, &mlreport__lost_schema);
	rec__u64(&lost, MLL_STACKS, 1);
	rec__u64(&lost, MLL_ALLOCS, 2);
	rec__u64(&lost, MLL_STACK_ALLOCS, 3);
	rec__u64(&lost, MLL_STACK_BYTES, 400);
	rec__obj(&r, MLR_LOST, &lost);

	CAPTURE(buf, f, mlreport__print_text(f, &r, 10));
	CHECK_STR(buf,
		  "[01:01:01] Top 10 stacks with outstanding allocations:\n"
		  "\t100 bytes in 5 allocations from stack\n"
		  "\t\t0x7f0011223344 [unknown]\n"
		  "\t4000 bytes in 2 allocations from stack\n"
		  "\t\tleak+0x16 [a.out] a.c:9\n"
		  "\t\tmain+0x20 [a.out]\n"
		  "\t400 bytes in 3 allocations whose stack was lost\n"
		  "\tlost 1 stacks (stack unreadable or stack map full), 2 allocations (table full)\n",
		  "report text: bcc's layout, largest last, then what was lost");
	CAPTURE(buf, f, mlreport__print_folded(f, &r, false));
	CHECK_STR(buf, "main;leak 4000\n[unknown] 100\n", "report folded: by bytes");
	CAPTURE(buf, f, mlreport__print_folded(f, &r, true));
	CHECK_STR(buf, "main;leak 2\n[unknown] 5\n", "report folded: by count");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T01:01:01.005Z\",\"pid\":42,\"stacks\":["
		  "{\"bytes\":4000,\"allocs\":2,\"frames\":[{\"addr\":4198710,\"sym\":\"leak\","
		  "\"offset\":22,\"module\":\"a.out\",\"file\":\"a.c\",\"line\":9},"
		  "{\"addr\":4198912,\"sym\":\"main\",\"offset\":32,\"module\":\"a.out\","
		  "\"file\":null,\"line\":null}]},"
		  "{\"bytes\":100,\"allocs\":5,\"frames\":[{\"addr\":139638264181572,"
		  "\"sym\":null,\"offset\":null,\"module\":null,\"file\":null,\"line\":null}]}],"
		  "\"lost\":{\"stacks\":1,\"allocs\":2,\"stack_allocs\":3,\"stack_bytes\":400}}\n",
		  "report JSON: one lost object, no addrs without -a");

	/* -a, kernel mode (no pid), --combined-only (stack_allocs unknown) */
	rec__init(&ad[0], &mlreport__addr_schema);
	rec__u64(&ad[0], MLA_ADDR, 0x1000);
	rec__u64(&ad[0], MLA_BYTES, 64);
	rec__list(&r, MLR_ADDRS, ad, 1);
	rec__list(&r, MLR_STACKS, st + 1, 1);
	r.v[MLR_PID].set = false;
	rec__init(&lost, &mlreport__lost_schema);
	rec__u64(&lost, MLL_STACKS, 0);
	rec__u64(&lost, MLL_ALLOCS, 0);
	CAPTURE(buf, f, mlreport__print_text(f, &r, 3));
	CHECK_STR(buf,
		  "\taddr = 1000 size = 64\n"
		  "[01:01:01] Top 3 stacks with outstanding allocations:\n"
		  "\t100 bytes in 5 allocations from stack\n"
		  "\t\t0x7f0011223344 [unknown]\n",
		  "report text: -a lines first; nothing lost, no lost lines");
	CAPTURE(buf, f, (json__init(&j, f), schema__json_line(&j, &r)));
	CHECK_STR(buf,
		  "{\"time\":\"2025-12-01T01:01:01.005Z\",\"stacks\":["
		  "{\"bytes\":100,\"allocs\":5,\"frames\":[{\"addr\":139638264181572,"
		  "\"sym\":null,\"offset\":null,\"module\":null,\"file\":null,\"line\":null}]}],"
		  "\"addrs\":[{\"addr\":4096,\"bytes\":64}],"
		  "\"lost\":{\"stacks\":0,\"allocs\":0,\"stack_allocs\":null,\"stack_bytes\":null}}\n",
		  "report JSON: addrs with -a, no pid in kernel mode, unknown losses null");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_target();
	test_report();
	test_self();
	test_dlopen();
	test_demangle();
	test_func_offset();
	test_command_lib();
	return check_failures ? 1 : 0;
}
