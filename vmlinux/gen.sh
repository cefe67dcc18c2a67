#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerates vmlinux/<arch>/vmlinux.h from a kernel's BTF. Run by hand and
# commit the result: the build never regenerates it. CO-RE relocates field
# offsets at load time, so one header serves every kernel with BTF; a newer
# kernel's BTF is preferred because it knows the newest types (folios, the
# 6.12+ filemap tracepoints).
#   vmlinux/gen.sh [BTF_FILE]   default: /sys/kernel/btf/vmlinux
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
case $(uname -m) in
x86_64) arch=x86 ;;
aarch64) arch=arm64 ;;
*) echo "gen.sh: unsupported arch $(uname -m)" >&2; exit 1 ;;
esac
dir=$(dirname "$0")/$arch
mkdir -p "$dir"
bpftool btf dump file "$btf" format c >"$dir/vmlinux.h.tmp"
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
echo "wrote $dir/vmlinux.h from $btf ($(uname -r))"
