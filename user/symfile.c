// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "symfile.h"

const char *symfile__strerror(int err)
{
	switch (-err) {
	case SYMFILE_ENOTREG:
		return "not a regular file";
	case SYMFILE_ENOTELF:
		return "not an ELF executable or shared object (compressed files are refused)";
	case SYMFILE_EBIG:
		return "its compressed sections would unpack to more than " SYMFILE_BOUND_TEXT;
	case SYMFILE_ENOALT:
		return "the dwz file its DWARF needs is not under /usr/lib/debug/.build-id";
	default:
		return strerror(-err);
	}
}

/* What .gnu_debugdata unpacks to, counted up to limit + 1 without keeping
 * it: an xz header can state any size, the stream is the truth. */
static unsigned long long symfile__xz_size(const void *buf, size_t size,
					   unsigned long long limit)
{
	lzma_stream z = LZMA_STREAM_INIT;
	unsigned char out[65536];
	unsigned long long total = 0;
	lzma_ret r;

	if (lzma_stream_decoder(&z, SYMFILE_XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
		return limit + 1;
	z.next_in = buf;
	z.avail_in = size;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		r = lzma_code(&z, LZMA_FINISH);
		total += sizeof(out) - z.avail_out;
	} while (r == LZMA_OK && total <= limit);
	lzma_end(&z);
	/* a decoder that wants more memory than ours would get it in libdwfl */
	if (r == LZMA_MEMLIMIT_ERROR)
		return limit + 1;
	return total;
}

static unsigned long long symfile__be64(const unsigned char *p)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* sum + n, or limit + 1 once beyond limit (a header may say 2^64 - 1) */
static unsigned long long symfile__add(unsigned long long sum, unsigned long long n,
				       unsigned long long limit)
{
	return n > limit - sum ? limit + 1 : sum + n;
}

/* The sum of what the file's compressed sections unpack to, stopping once
 * it is beyond limit; records .gnu_debugaltlink. */
static unsigned long long symfile__unpacked(struct symfile *f, unsigned long long limit)
{
	unsigned long long sum = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(f->elf, &shstrndx))
		shstrndx = 0;
	while (sum <= limit && (scn = elf_nextscn(f->elf, scn))) {
		const char *name;
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = shstrndx ? elf_strptr(f->elf, shstrndx, sh.sh_name) : NULL;
		if (sh.sh_flags & SHF_COMPRESSED) {
			GElf_Chdr ch;

			if (name && !strcmp(name, ".debug_info"))
				f->dwarf = true;
			/* libelf allocates ch_size and inflates into it */
			if (gelf_getchdr(scn, &ch))
				sum = symfile__add(sum, ch.ch_size, limit);
			continue;
		}
		if (!name)
			continue;
		if (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info"))
			f->dwarf = true;
		if (!strncmp(name, ".zdebug", 7)) {
			/* GNU style: "ZLIB", then the size, big-endian */
			d = elf_rawdata(scn, NULL);
			if (d && d->d_size >= 12 && !memcmp(d->d_buf, "ZLIB", 4))
				sum = symfile__add(sum, symfile__be64((const unsigned char *)d->d_buf + 4),
						   limit);
		} else if (!strcmp(name, ".gnu_debugdata")) {
			d = elf_rawdata(scn, NULL);
			if (d && d->d_size)
				sum = symfile__add(sum, symfile__xz_size(d->d_buf, d->d_size, limit - sum),
						   limit);
		} else if (!strcmp(name, ".gnu_debugaltlink") && !f->alt_name) {
			const char *p;
			size_t n;

			d = elf_rawdata(scn, NULL);
			p = d ? memchr(d->d_buf, '\0', d->d_size) : NULL;
			if (!p)
				continue;
			n = d->d_size - (p + 1 - (const char *)d->d_buf);
			f->alt_name = strdup(d->d_buf);
			f->alt_id_len = n < sizeof(f->alt_id) ? n : 0;
			memcpy(f->alt_id, p + 1, f->alt_id_len);
		}
	}
	return sum;
}

int symfile__check(int fd, struct symfile *f)
{
	unsigned long long limit;
	unsigned char magic[SELFMAG];
	GElf_Ehdr eh;

	memset(f, 0, sizeof(*f));
	elf_version(EV_CURRENT);
	if (fstat(fd, &f->st))
		return -errno;
	if (!S_ISREG(f->st.st_mode))
		return -SYMFILE_ENOTREG;
	/* only ELF: libdwfl unpacks a gzip, bzip2, xz or zstd file whole */
	if (pread(fd, magic, SELFMAG, 0) != SELFMAG || memcmp(magic, ELFMAG, SELFMAG))
		return -SYMFILE_ENOTELF;
	f->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	/* ET_REL would need section addresses a process never has */
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &eh) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		symfile__close(f);
		return -SYMFILE_ENOTELF;
	}
	limit = f->st.st_size * SYMFILE_UNPACK_RATIO;
	if (limit > SYMFILE_UNPACK_MAX)
		limit = SYMFILE_UNPACK_MAX;
	if (symfile__unpacked(f, limit) > limit) {
		symfile__close(f);
		return -SYMFILE_EBIG;
	}
	return 0;
}

int symfile__open(const char *path, struct symfile *f)
{
	struct stat st;
	int fd, err;

	memset(f, 0, sizeof(*f));
	/* stat first: opening a device can act (a watchdog starts counting
	 * down), and a debuglink can be a symlink to one */
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -SYMFILE_ENOTREG;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = symfile__check(fd, f);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

void symfile__close(struct symfile *f)
{
	if (f->elf)
		elf_end(f->elf);
	free(f->alt_name);
	memset(f, 0, sizeof(*f));
}

long long symfile__crc(int fd, const struct stat *st)
{
	unsigned char buf[65536];
	unsigned long crc = crc32(0, NULL, 0);
	off_t off = 0;

	if ((unsigned long long)st->st_size > SYMFILE_CRC_MAX)
		return -1;
	/* to the size checked: a file that grows meanwhile does not hold us */
	while (off < st->st_size) {
		off_t want = st->st_size - off < (off_t)sizeof(buf) ? st->st_size - off :
								      (off_t)sizeof(buf);
		ssize_t n = pread(fd, buf, want, off);

		if (n <= 0)
			return -1;
		crc = crc32(crc, buf, n);
		off += n;
	}
	return crc;
}
