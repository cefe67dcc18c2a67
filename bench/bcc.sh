#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/bcc.sh OUTDIR: builds bcc's libbpf-tools memleak and cachestat, the
# bench's peers, from bcc's source, into OUTDIR (the bench passes
# build/bench/bcc); never vendored: the source is a bcc tree of your own.
#   BCC_SRC=DIR        a bcc source tree (default /var/cache/memscope-bench/bcc),
#                      e.g. git clone https://github.com/iovisor/bcc
#   BCC_LIBBPF_SRC=DIR the libbpf tree to build them with (default: bcc's
#                      src/cc/libbpf submodule, else /var/cache/memscope-bench/libbpf)
# The tree is copied (libbpf-tools without the other architectures' vmlinux
# headers) and built outside it, blazesym off (bcc's fallback symbolizer),
# with this system's bpftool and a vmlinux.h of the running kernel where
# the copy has none. Prints one line to stdout: "built OUTDIR" or "absent:
# WHY" / "failed: WHY" (the build log is OUTDIR/build.log). Exit 0 once
# built (or already built), 1 otherwise.
set -u
out=$1
src=${BCC_SRC:-/var/cache/memscope-bench/bcc}
lib=${BCC_LIBBPF_SRC:-}
if [ -x "$out/memleak" ] && [ -x "$out/cachestat" ]; then
	echo "built $out"
	exit 0
fi
if [ ! -f "$src/libbpf-tools/Makefile" ]; then
	echo "absent: no bcc source at BCC_SRC=$src (set BCC_SRC to a bcc tree)"
	exit 1
fi
if [ -z "$lib" ]; then
	lib=$src/src/cc/libbpf
	[ -f "$lib/src/Makefile" ] || lib=/var/cache/memscope-bench/libbpf
fi
if [ ! -f "$lib/src/Makefile" ]; then
	echo "absent: no libbpf source for bcc at $lib (bcc's src/cc/libbpf submodule is empty: set BCC_LIBBPF_SRC)"
	exit 1
fi
for c in make clang llvm-strip bpftool cc; do
	command -v "$c" >/dev/null || { echo "absent: $c is not installed"; exit 1; }
done
arch=$(uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
rm -rf "$out"
tools=$out/tree/libbpf-tools
mkdir -p "$tools/$arch" "$out/tree/src/cc" "$out/obj" || { echo "failed: cannot create $out"; exit 1; }
log=$out/build.log
tar -C "$src/libbpf-tools" --exclude='./arm64' --exclude='./loongarch' --exclude='./powerpc' \
	--exclude='./riscv' --exclude='./s390' --exclude='./mips' --exclude='./x86' -cf - . |
	tar -C "$tools" -xf - || { echo "failed: cannot copy $src/libbpf-tools"; exit 1; }
# libbpf-tools includes ../src/cc/libbpf/include/uapi
ln -s "$(cd "$lib" && pwd)" "$out/tree/src/cc/libbpf"
# the tree's own vmlinux.h (a symlink to a versioned one, a large file a
# partial checkout may lack), else one of the running kernel
if ! cp -L "$src/libbpf-tools/$arch/vmlinux.h" "$tools/$arch/vmlinux.h" 2>/dev/null ||
	! grep -q 'struct task_struct {' "$tools/$arch/vmlinux.h"; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$tools/$arch/vmlinux.h" 2>"$log" ||
		{ echo "failed: no vmlinux.h in bcc's tree and none from /sys/kernel/btf/vmlinux"; exit 1; }
fi
if ! make -C "$tools" -j"$(nproc)" OUTPUT="$out/obj" BPFTOOL="$(command -v bpftool)" \
	LIBBPF_SRC="$(cd "$lib/src" && pwd)" USE_BLAZESYM=0 memleak cachestat >>"$log" 2>&1; then
	echo "failed: make memleak cachestat in bcc's libbpf-tools: $(grep -m1 -E 'error|Error' "$log" | cut -c1-160)"
	exit 1
fi
cp "$tools/memleak" "$tools/cachestat" "$out/" || { echo "failed: no binaries after make"; exit 1; }
echo "built $out ($(git -C "$src" describe --tags --always 2>/dev/null || echo "bcc tree $src"))"
