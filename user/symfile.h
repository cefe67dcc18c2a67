/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef MEMSCOPE_SYMFILE_H
#define MEMSCOPE_SYMFILE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <gelf.h>

/*
 * What the symbolizer agrees to read. The files come from the traced
 * process (what it maps, the debug files their names lead to), so they are
 * opened without blocking and only regular ELF files pass; libdwfl would
 * unpack gzip, bzip2, xz and zstd files, .gnu_debugdata and compressed
 * sections into memory, so compressed whole files are refused and a file
 * whose sections would unpack beyond SYMFILE_UNPACK_RATIO times its size
 * (at most SYMFILE_UNPACK_MAX) is refused before libdwfl sees it.
 */
#define SYMFILE_UNPACK_RATIO 16ULL
#define SYMFILE_UNPACK_MAX (512ULL << 20)
#define SYMFILE_BOUND_TEXT "16 times the file's size (at most 512 MiB)"
/* decoder memory of .gnu_debugdata's xz stream (xz -9 needs 65 MiB) */
#define SYMFILE_XZ_MEMLIMIT (96ULL << 20)
/* a debug file without a build-id is matched by the CRC of all its bytes */
#define SYMFILE_CRC_MAX (1ULL << 30)

/* Errors beyond errno's: */
#define SYMFILE_ENOTREG EINVAL	/* not a regular file */
#define SYMFILE_ENOTELF ENOEXEC	/* not an ELF file (compressed files included) */
#define SYMFILE_EBIG EFBIG	/* would unpack beyond the bound */
#define SYMFILE_ENOALT ENOLINK	/* its dwz file is not under /usr/lib/debug/.build-id */

struct symfile {
	Elf *elf;
	struct stat st;
	bool dwarf;			/* has .debug_info */
	/* .gnu_debugaltlink: the dwz file its DWARF needs (stripped files
	 * keep the section without the DWARF), NULL: none */
	char *alt_name;
	unsigned char alt_id[64];
	size_t alt_id_len;
};

/* Opens path, if stat says it is a regular file, O_NONBLOCK (a FIFO put
 * there since never blocks) and vets it. Returns the descriptor or -errno. */
int symfile__open(const char *path, struct symfile *f);
/* Vets the open descriptor fd (kept open): regular, ELF (executable or
 * shared object, or a debug file of one), within the unpack bound. Returns
 * 0 or -errno; f->elf then reads fd. */
int symfile__check(int fd, struct symfile *f);
void symfile__close(struct symfile *f);
/* The reason behind an error of this module, or strerror. */
const char *symfile__strerror(int err);
/* The CRC-32 of the whole file (what .gnu_debuglink records); -1 when it
 * cannot be read or is larger than SYMFILE_CRC_MAX. */
long long symfile__crc(int fd, const struct stat *st);

#endif
