#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The symbolizer against 200 malformed ELF files (tests/fuzz/gen.py, fixed
# seeds: mutations of tests/fuzz/msfuzz.c's library and of the system libc),
# each through a process that maps it and through memleak -O, under an
# address-space limit: never a hang, a crash or memory beyond the unpack
# bound (tests/fuzz/run.py says what is checked). The corpus is built once
# per generator, library and libc, in $BUILD/tests/fuzz/corpus.
set -u
. "$(dirname "$0")/../lib/common.sh"
SYMCHECK=$BUILD/tests/symcheck
LIB=$BUILD/tests/fuzz/libmsfuzz.so

# host only (the corpus is the host's libc; TCG would take minutes), and no
# skip line there: under CI=true a skip in the guest counts as a failure
if [ -n "${MEMSCOPE_GUEST:-}" ]; then
	echo "memleak fuzz: run on the host only"
	exit 0
fi
libc=$(ldd "$SYMCHECK" | awk '$1 ~ /^libc\.so/ { print $3 }')
if [ ! -f "$libc" ] || [ ! -f "$LIB" ]; then
	notok "memleak fuzz: no libc ('$libc') or no $LIB"
	exit 0
fi
corpus=$BUILD/tests/fuzz/corpus
stamp=$(cat "$ROOT/tests/fuzz/gen.py" "$LIB" "$libc" | sha256sum | cut -c1-16)
if [ "$(cat "$corpus/stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$corpus"
	if ! python3 "$ROOT/tests/fuzz/gen.py" "$corpus" "$LIB" "$libc"; then
		notok "memleak fuzz: the generator failed"
		exit 0
	fi
	echo "$stamp" >"$corpus/stamp"
fi
ml=$BUILD/memleak
if [ "$(id -u)" != 0 ]; then
	skip "memleak fuzz, -O: needs root"
	ml=-
fi
python3 "$ROOT/tests/fuzz/run.py" "$corpus" "$SYMCHECK" "$ml"
