// SPDX-License-Identifier: BSD-2-Clause
/* The symbolizer's limits, without root: an address in no mapped file ends
 * a stack (it is not the last module's), frames resolve after their
 * process exits, and what user/symfile refuses (fixtures made from this
 * very program). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <elf.h>
#include "check.h"
#include "sym.h"
#include "symfile.h"

__attribute__((noinline)) int unit_sym_fixture(int x)
{
	return x * 5 + 2;
}

static void test_garbage(void)
{
	struct syms *s = syms__new_pid(getpid());
	unsigned long long fn = (uintptr_t)&unit_sym_fixture;
	int on_stack = 0;
	unsigned long long vdso = getauxval(AT_SYSINFO_EHDR);
	void *heap = malloc(64);
	struct sym_info si;

	CHECK(s != NULL, "syms of this process");
	if (!s)
		return;
	/* a value a frame-pointer walk reads from a register that held no
	 * frame (issue 12), and addresses above every file this process maps:
	 * libdwfl gives them all to the last module, ld.so */
	CHECK(syms__resolve(s, 0xa7757be1366c4183ULL, true, &si) == -ENOENT && !si.module,
	      "a non-canonical address is in no module");
	CHECK(syms__resolve(s, (uintptr_t)&on_stack, true, &si) == -ENOENT && !si.module,
	      "a stack address is in no module");
	CHECK(syms__resolve(s, (uintptr_t)heap, true, &si) == -ENOENT && !si.module,
	      "a heap address is in no module");
	CHECK(syms__resolve(s, 0x00007ffffffff000ULL, true, &si) == -ENOENT,
	      "the top of the user address space is in no module");
	CHECK(syms__resolve(s, fn + 3, true, &si) == 0 && si.name &&
	      !strcmp(si.name, "unit_sym_fixture"), "a function still resolves");
	if (vdso) {
		CHECK(syms__resolve(s, vdso + 1, false, &si) == 0 && si.module &&
		      !strcmp(si.module, "vdso"), "an address in the vdso is in module vdso");
	}
	free(heap);
	syms__free(s);
}

/* The child's files were opened while it lived: its frames still resolve
 * once it is gone (memleak's last report, after the traced process exits). */
static void test_after_exit(void)
{
	unsigned long long fn = (uintptr_t)&unit_sym_fixture;
	struct sym_info si;
	struct syms *s;
	pid_t child = fork();

	if (child == 0) {
		pause();
		_exit(0);
	}
	s = child > 0 ? syms__new_pid(child) : NULL;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CHECK(s != NULL, "syms of a child");
	if (!s)
		return;
	CHECK(syms__resolve(s, fn + 3, true, &si) == 0 && si.name &&
	      !strcmp(si.name, "unit_sym_fixture"), "its frame resolves after it exited");
	syms__free(s);
}

static char dir[] = "/tmp/memscope-unit-sym.XXXXXX";

static char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static int write_file(const char *path, const void *buf, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0 && write(fd, buf, size) == (ssize_t)size;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* This program with its section `name` marked compressed, the header
 * saying it unpacks to ch_size. */
static int compressed_copy(const char *path, const char *name, unsigned long long ch_size)
{
	int fd = open("/proc/self/exe", O_RDONLY), i, err = -1;
	struct stat st;
	unsigned char *b;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;

	if (fd < 0 || fstat(fd, &st) || !(b = malloc(st.st_size)))
		return -1;
	if (read(fd, b, st.st_size) != st.st_size)
		goto out;
	eh = (Elf64_Ehdr *)b;
	sh = (Elf64_Shdr *)(b + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const char *n = (const char *)b + sh[eh->e_shstrndx].sh_offset + sh[i].sh_name;
		Elf64_Chdr ch = { .ch_type = ELFCOMPRESS_ZLIB, .ch_size = ch_size, .ch_addralign = 1 };

		if (strcmp(n, name) || sh[i].sh_size < sizeof(ch) + 8)
			continue;
		sh[i].sh_flags |= SHF_COMPRESSED;
		memcpy(b + sh[i].sh_offset, &ch, sizeof(ch));
		err = write_file(path, b, st.st_size);
		break;
	}
out:
	free(b);
	close(fd);
	return err;
}

static void test_refused(void)
{
	unsigned long long off;
	const char *names[] = { "unit_sym_fixture", "main", "no_such_function" };
	unsigned long long offs[3], one;
	const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00";
	struct symfile f;
	struct stat st;
	int fd;

	if (!mkdtemp(dir) || stat("/proc/self/exe", &st)) {
		printf("skip refused files: no temporary directory\n");
		return;
	}
	CHECK(mkfifo(fixture("fifo.so"), 0600) == 0, "a FIFO fixture");
	CHECK(syms__func_offset(fixture("fifo.so"), "malloc", &off) == -SYMFILE_ENOTREG,
	      "a FIFO is not a regular file (and open did not block)");
	CHECK(write_file(fixture("empty.gz"), gz, sizeof(gz) - 1) == 0, "a gzip fixture");
	CHECK(syms__func_offset(fixture("empty.gz"), "malloc", &off) == -SYMFILE_ENOTELF,
	      "a gzip file is not ELF: never unpacked");
	CHECK(syms__func_offset(dir, "malloc", &off) == -SYMFILE_ENOTREG, "nor a directory");
	CHECK(symlink("/dev/null", fixture("dev.so")) == 0 &&
	      syms__func_offset(fixture("dev.so"), "malloc", &off) == -SYMFILE_ENOTREG,
	      "nor a symlink to a device");

	CHECK(compressed_copy(fixture("bomb"), ".debug_str", 1ULL << 30) == 0,
	      ".debug_str said to unpack to 1 GiB");
	CHECK(syms__func_offset(fixture("bomb"), "unit_sym_fixture", &off) == -SYMFILE_EBIG,
	      "is refused: beyond 16 times the file's size");
	CHECK(compressed_copy(fixture("near"), ".debug_str", st.st_size * 15) == 0,
	      ".debug_str said to unpack to 15 times the file's size");
	CHECK(syms__func_offset(fixture("near"), "unit_sym_fixture", &off) == 0 && off,
	      "is read: within the bound");
	fd = open(fixture("near"), O_RDONLY);
	CHECK(fd >= 0 && symfile__check(fd, &f) == 0, "symfile__check agrees");
	symfile__close(&f);

	/* one pass for many names gives what one name at a time gives */
	CHECK(syms__func_offsets("/proc/self/exe", names, 3, offs) == 0, "offsets of 3 names");
	CHECK(syms__func_offset("/proc/self/exe", "unit_sym_fixture", &one) == 0 && offs[0] == one,
	      "the first as alone");
	CHECK(syms__func_offset("/proc/self/exe", "main", &one) == 0 && offs[1] == one,
	      "the second as alone");
	CHECK(offs[2] == 0, "a missing name is 0");
	if (fd >= 0)
		close(fd);
	unlink(fixture("fifo.so"));
	unlink(fixture("empty.gz"));
	unlink(fixture("dev.so"));
	unlink(fixture("bomb"));
	unlink(fixture("near"));
	rmdir(dir);
}

int main(void)
{
	test_garbage();
	test_after_exit();
	test_refused();
	return check_failures ? 1 : 0;
}
