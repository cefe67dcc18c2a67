#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes the symbolizer's fuzz corpus: fixed seeds, so the same files every
run.

    gen.py OUTDIR LIB LIBC

OUTDIR/NNN.so are mutations of LIB (the small library tests/fuzz/msfuzz.c,
built with compressed DWARF) and of LIBC: ELF header, section and program
header fields, truncation, offsets past the end, huge sizes, compressed
sections (false headers and real zlib bombs), .zdebug sections,
.gnu_debugdata (good, bombs, a huge dictionary, corrupt), .gnu_debuglink
loops and links to a FIFO, a gzip bomb or a symlink to a device beside
the file. OUTDIR/cases.tsv
has one line per file: name, kind, offsets of frames inside it (the
unmutated file's msfuzz_leak or malloc), and whether it must be refused
(a bomb: memleak must say it did not read it)."""
import lzma
import os
import random
import struct
import sys
import zlib

BOMB = 256 << 20  # what a bomb unpacks to: far beyond 16 x a library's size
SHF_COMPRESSED = 0x800


def zeros_stream(compress, n=BOMB, chunk=1 << 20):
    out, z = [], compress()
    block = bytes(chunk)
    for _ in range(n // chunk):
        out.append(z.compress(block))
    out.append(z.flush())
    return b"".join(out)


class Elf:
    """Just enough of ELF64 little-endian to find and edit headers."""

    EH = "<16sHHIQQQIHHHHHH"

    def __init__(self, data):
        self.d = bytearray(data)
        f = struct.unpack_from(self.EH, self.d, 0)
        (_, self.type, _, _, _, self.phoff, self.shoff, _, _, self.phentsize,
         self.phnum, self.shentsize, self.shnum, self.shstrndx) = f
        self.sh = [self.shdr(i) for i in range(self.shnum)]
        strtab = self.sh[self.shstrndx]
        self.names = [self.cstr(strtab["offset"] + s["name"]) for s in self.sh]

    def cstr(self, off):
        end = self.d.index(b"\0", off)
        return self.d[off:end].decode()

    SH = "<IIQQQQIIQQ"
    SH_F = ["name", "type", "flags", "addr", "offset", "size", "link", "info",
            "addralign", "entsize"]
    PH = "<IIQQQQQQ"
    PH_F = ["type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"]
    EH_F = {"e_type": (16, "H"), "e_machine": (18, "H"), "e_version": (20, "I"),
            "e_entry": (24, "Q"), "e_phoff": (32, "Q"), "e_shoff": (40, "Q"),
            "e_flags": (48, "I"), "e_ehsize": (52, "H"), "e_phentsize": (54, "H"),
            "e_phnum": (56, "H"), "e_shentsize": (58, "H"), "e_shnum": (60, "H"),
            "e_shstrndx": (62, "H"), "ei_class": (4, "B"), "ei_data": (5, "B")}

    def shdr(self, i):
        v = struct.unpack_from(self.SH, self.d, self.shoff + i * 64)
        return dict(zip(self.SH_F, v))

    def set_sh(self, i, field, value):
        k = self.SH_F.index(field)
        off = self.shoff + i * 64 + struct.calcsize("<" + self.SH[1:1 + k])
        fmt = "<" + self.SH[1 + k]
        struct.pack_into(fmt, self.d, off, value & (256 ** struct.calcsize(fmt) - 1))
        self.sh[i][field] = value

    def set_ph(self, i, field, value):
        k = self.PH_F.index(field)
        off = self.phoff + i * 56 + struct.calcsize("<" + self.PH[1:1 + k])
        fmt = "<" + self.PH[1 + k]
        struct.pack_into(fmt, self.d, off, value & (256 ** struct.calcsize(fmt) - 1))

    def set_eh(self, field, value):
        off, f = self.EH_F[field]
        struct.pack_into("<" + f, self.d, off, value & (256 ** struct.calcsize(f) - 1))

    def find(self, name):
        return self.names.index(name) if name in self.names else None

    def append(self, blob, align=8):
        while len(self.d) % align:
            self.d.append(0)
        off = len(self.d)
        self.d += blob
        return off

    def rename(self, i, new):
        """Points section i at a new name: a second .shstrtab at the end."""
        strtab = self.sh[self.shstrndx]
        old = bytes(self.d[strtab["offset"]:strtab["offset"] + strtab["size"]])
        off = self.append(old + new.encode() + b"\0", 1)
        self.set_sh(self.shstrndx, "offset", off)
        self.set_sh(self.shstrndx, "size", len(old) + len(new) + 1)
        self.set_sh(i, "name", len(old))
        self.names[i] = new

    def replace(self, i, blob, flags=None):
        """Section i's contents become blob, appended at the end."""
        off = self.append(blob)
        self.set_sh(i, "offset", off)
        self.set_sh(i, "size", len(blob))
        if flags is not None:
            self.set_sh(i, "flags", flags)

    def symbol(self, want):
        """File offset of a defined function (.symtab, else .dynsym)."""
        for tab in (".symtab", ".dynsym"):
            i = self.find(tab)
            if i is None:
                continue
            s = self.sh[i]
            strs = self.sh[s["link"]]["offset"]
            for k in range(s["size"] // 24):
                name, info, _, shndx, value, _ = struct.unpack_from(
                    "<IBBHQQ", self.d, s["offset"] + k * 24)
                if shndx and info & 0xf == 2 and self.cstr(strs + name) == want:
                    return value  # these libraries map text at vaddr == offset
        raise SystemExit("gen.py: no function %s" % want)


def chdr(size, ch_type=1):
    return struct.pack("<IIQQ", ch_type, 0, size, 1)


def debuglink(name, crc):
    b = name.encode() + b"\0"
    b += b"\0" * (-len(b) % 4)
    return b + struct.pack("<I", crc)


def interesting(rng, size):
    return rng.choice([0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, size, size + 1,
                       size - 1, 1 << 40, (1 << 63) - 1, (1 << 64) - 1,
                       rng.randrange(0, max(size, 2)), rng.getrandbits(64)])


class Gen:
    def __init__(self, outdir, base, seed, func, tag):
        self.out, self.base, self.rng, self.tag = outdir, base, random.Random(seed), tag
        self.frame = Elf(base).symbol(func) + 5
        self.cases = []

    def fresh(self):
        return Elf(self.base)

    def emit(self, elf, kind, bomb=False, data=None, name=None):
        name = name or "%s%03d.so" % (self.tag, len(self.cases))
        d = bytes(elf.d) if data is None else data
        with open(os.path.join(self.out, name), "wb") as f:
            f.write(d)
        frames = "%#x,%#x" % (self.frame, max(len(d) // 2, 1))
        self.cases.append((name, kind, frames, "refuse" if bomb else "-"))
        return name

    # one function per kind of mutation; each writes one file
    def ehdr(self):
        e = self.fresh()
        field = self.rng.choice(sorted(Elf.EH_F))
        e.set_eh(field, interesting(self.rng, len(e.d)))
        self.emit(e, "ehdr " + field)

    def shdr(self):
        e = self.fresh()
        i = self.rng.randrange(1, e.shnum)
        field = self.rng.choice(Elf.SH_F)
        e.set_sh(i, field, interesting(self.rng, len(e.d)))
        self.emit(e, "shdr %s.%s" % (e.names[i], field))

    def phdr(self):
        e = self.fresh()
        i = self.rng.randrange(e.phnum)
        field = self.rng.choice(Elf.PH_F)
        e.set_ph(i, field, interesting(self.rng, len(e.d)))
        self.emit(e, "phdr %d.%s" % (i, field))

    def truncate(self):
        e = self.fresh()
        n = len(e.d)
        cut = self.rng.choice([0, 3, 16, 63, 64, 200, e.shoff, e.shoff + 64 * 3, n - 1,
                               self.rng.randrange(n)])
        self.emit(e, "truncate at %d" % cut, data=bytes(e.d[:cut]))

    def past_end(self):
        e = self.fresh()
        i = self.rng.randrange(1, e.shnum)
        e.set_sh(i, "offset", len(e.d) + self.rng.randrange(1, 1 << 20))
        self.emit(e, "shdr %s.offset past the end" % e.names[i])

    def huge(self):
        e = self.fresh()
        i = self.rng.randrange(1, e.shnum)
        field = self.rng.choice(["size", "entsize", "addralign"])
        e.set_sh(i, field, self.rng.choice([1 << 40, (1 << 63) - 1, (1 << 64) - 1, 1 << 31]))
        self.emit(e, "shdr %s.%s huge" % (e.names[i], field))

    def compressed_flag(self):
        e = self.fresh()
        i = self.rng.randrange(1, e.shnum)
        e.set_sh(i, "flags", e.sh[i]["flags"] | SHF_COMPRESSED)
        self.emit(e, "%s marked compressed" % e.names[i])

    def chdr_size(self):
        e = self.fresh()
        i = e.find(self.rng.choice([".debug_str", ".debug_line_str", ".debug_info", ".debug_line"]))
        size = self.rng.choice([1 << 40, 1 << 31, BOMB, 0, (1 << 64) - 1])
        e.replace(i, chdr(size, self.rng.choice([1, 1, 2, 7])) + b"\x78\x9c" + bytes(64),
                  e.sh[i]["flags"] | SHF_COMPRESSED)
        self.emit(e, "%s ch_size %d" % (e.names[i], size), bomb=size > 1 << 30)

    def zlib_bomb(self):
        e = self.fresh()
        i = e.find(self.rng.choice([".debug_str", ".debug_line_str", ".debug_line"]))
        e.replace(i, chdr(BOMB) + ZLIB_BOMB, e.sh[i]["flags"] | SHF_COMPRESSED)
        self.emit(e, "%s over a zlib bomb" % e.names[i], bomb=True)

    def zdebug(self):
        e = self.fresh()
        i = e.find(".debug_str") or e.find(".gnu_debuglink")
        e.rename(i, ".zdebug_str")
        size = self.rng.choice([BOMB, 1 << 40])
        e.replace(i, b"ZLIB" + struct.pack(">Q", size) + ZLIB_BOMB, 0)
        self.emit(e, ".zdebug_str of %d bytes" % size, bomb=True)

    def debugdata(self):
        # read only where no other symbol table is found
        e = self.stripped()
        i = e.find(".comment") or e.find(".gnu_debuglink")
        e.rename(i, ".gnu_debugdata")
        what = self.rng.choice(["good", "bomb", "dict", "corrupt", "truncated"])
        if what == "good":
            blob = GOOD_XZ
        elif what == "bomb":
            blob = XZ_BOMB
        elif what == "dict":
            blob = DICT_XZ
        elif what == "corrupt":
            blob = bytearray(GOOD_XZ)
            for _ in range(8):
                blob[self.rng.randrange(12, len(blob))] ^= 0xff
            blob = bytes(blob)
        else:
            blob = GOOD_XZ[:self.rng.randrange(1, len(GOOD_XZ))]
        e.replace(i, blob, 0)
        self.emit(e, ".gnu_debugdata " + what, bomb=what in ("bomb", "dict"))

    def stripped(self, drop_id=False):
        """A copy whose symbols must come from elsewhere: no .symtab, no
        DWARF, and a build-id that no file under /usr/lib/debug has (or
        none)."""
        e = self.fresh()
        for name in (".symtab", ".debug_info"):
            if e.find(name) is not None:
                e.set_sh(e.find(name), "type", 0)
        b = e.find(".note.gnu.build-id")
        if b is not None:
            note = e.sh[b]["offset"]
            if drop_id:
                struct.pack_into("<I", e.d, note + 8, 0x99)
            else:
                e.d[note + e.sh[b]["size"] - 1] ^= 0xff
        return e

    def unlinked(self, drop_id):
        e = self.stripped(drop_id)
        i = e.find(".gnu_debuglink")
        if i is None:
            i = e.find(".comment")
            e.rename(i, ".gnu_debuglink")
        return e, i

    def link(self):
        """.gnu_debuglink to itself, to a sibling that links back, to a
        FIFO, a gzip bomb or a device beside it, or up the tree."""
        drop_id = self.rng.random() < 0.5  # then matched by CRC
        e, i = self.unlinked(drop_id)
        n = len(self.cases)
        me = "%s%03d.so" % (self.tag, n)
        what = self.rng.choice(["self", "loop", "fifo", "bomb", "device", "up", "missing"])
        target = {"self": me, "loop": "%s%03dpeer.so" % (self.tag, n), "fifo": "fifo.debug",
                  "bomb": "bomb.debug", "device": "dev.debug", "up": "../x.debug",
                  "missing": "none.debug"}[what]
        e.replace(i, debuglink(target, 0), 0)
        if what == "loop":
            peer, j = self.unlinked(drop_id)
            peer.replace(j, debuglink(me, zlib.crc32(bytes(e.d))), 0)
            # the peer is this file's debuglink target, with the right CRC
            e.replace(i, debuglink(target, zlib.crc32(bytes(peer.d))), 0)
            with open(os.path.join(self.out, target), "wb") as f:
                f.write(bytes(peer.d))
        self.emit(e, ".gnu_debuglink " + what)

    def flips(self):
        e = self.fresh()
        n = self.rng.choice([1, 4, 32])
        lim = self.rng.choice([64, 4096, len(e.d)])
        for _ in range(n):
            e.d[self.rng.randrange(min(lim, len(e.d)))] = self.rng.randrange(256)
        self.emit(e, "%d random bytes in the first %d" % (n, lim))

    def strtab(self):
        e = self.fresh()
        s = e.sh[e.shstrndx]
        for k in range(s["offset"], s["offset"] + s["size"]):
            if e.d[k] == 0:
                e.d[k] = 0x41
        self.emit(e, ".shstrtab without a NUL")

    def symtab(self):
        e = self.fresh()
        i = e.find(".symtab") or e.find(".dynsym")
        field = self.rng.choice(["entsize", "link", "size", "info"])
        e.set_sh(i, field, self.rng.choice([0, i, 1 << 32, e.shnum + 5]))
        self.emit(e, "%s.%s" % (e.names[i], field))

    KINDS = [ehdr, shdr, phdr, truncate, past_end, huge, compressed_flag, chdr_size,
             zlib_bomb, zdebug, debugdata, link, flips, strtab, symtab]

    def run(self, n, kinds=None):
        kinds = kinds or self.KINDS
        for k in range(n):
            kinds[k % len(kinds)](self)


def main():
    global ZLIB_BOMB, XZ_BOMB, GOOD_XZ, DICT_XZ
    if len(sys.argv) != 4:
        raise SystemExit("usage: gen.py OUTDIR LIB LIBC")
    out, lib, libc = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    lib_b = open(lib, "rb").read()
    libc_b = open(libc, "rb").read()
    ZLIB_BOMB = zeros_stream(lambda: zlib.compressobj(9))
    XZ_BOMB = zeros_stream(lambda: lzma.LZMACompressor(preset=0))
    GOOD_XZ = lzma.compress(lib_b)
    # a stream whose decoder asks for a 1.5 GiB dictionary
    DICT_XZ = lzma.compress(b"x" * 4096, filters=[{"id": lzma.FILTER_LZMA2,
                                                    "dict_size": 1536 << 20}])
    # beside the files: what a .gnu_debuglink may name
    fifo = os.path.join(out, "fifo.debug")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    dev = os.path.join(out, "dev.debug")
    if not os.path.lexists(dev):
        os.symlink("/dev/zero", dev)
    with open(os.path.join(out, "bomb.debug"), "wb") as f:
        f.write(zeros_stream(lambda: zlib.compressobj(9, zlib.DEFLATED, 31)))
    cases = []
    g = Gen(out, lib_b, 19001, "msfuzz_leak", "lib")
    g.emit(g.fresh(), "unmutated")
    g.run(119)
    cases += g.cases
    g = Gen(out, libc_b, 19002, "malloc", "libc")
    g.emit(g.fresh(), "unmutated")
    # libc has no DWARF of its own: no debug section to compress
    g.run(79, [k for k in Gen.KINDS if k not in (Gen.chdr_size, Gen.zlib_bomb)])
    cases += g.cases
    with open(os.path.join(out, "cases.tsv"), "w") as f:
        for c in cases:
            f.write("\t".join(c) + "\n")


if __name__ == "__main__":
    main()
