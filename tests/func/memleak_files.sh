#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What memleak opens when the traced program chooses the files (issue 19):
# -O on a FIFO or a compressed file, and a library deleted while mapped with
# a FIFO or a gzip bomb planted under the name /proc/PID/maps shows for it,
# "/dir/lib.so (deleted)", which libdwfl's own callbacks opened. And where
# a stack ends (issue 12): garbage return addresses, in no mapping, were
# labelled [ld-linux-x86-64.so.2] and split one call site into many stacks.
set -u
. "$(dirname "$0")/../lib/common.sh"
ML=$BUILD/memleak
MAPLIB=$BUILD/tests/fuzz/maplib
BADFRAME=$BUILD/tests/fuzz/badframe
LIB=$BUILD/tests/fuzz/libmsfuzz.so

if [ "$(id -u)" != 0 ]; then
	skip "memleak planted files: need root"
	exit 0
fi
# host only, and no skip line there: nothing in it depends on the kernel,
# and under CI=true a skip in the guest would count as a failure
if [ -n "${MEMSCOPE_GUEST:-}" ]; then
	echo "memleak planted files: run on the host only"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/memscope-files.XXXXXX")
trap 'rm -rf "$dir"' EXIT

mkfifo "$dir/fifo.so"
expect_exit "-O on a FIFO" 1 "fifo.so: not a regular file$" timeout 20 "$ML" -p $$ -O "$dir/fifo.so"
gzip -c "$LIB" >"$dir/lib.so.gz"
expect_exit "-O on a gzip'd library" 1 "lib.so.gz: not an ELF .*compressed files are refused" \
	timeout 20 "$ML" -p $$ -O "$dir/lib.so.gz"

# 256 MiB of zeros, gzip'd: what libdwfl unpacked when it opened the name
python3 -c 'import sys, zlib
z = zlib.compressobj(1, zlib.DEFLATED, 31)
b = bytes(1 << 20)
sys.stdout.buffer.write(b"".join(z.compress(b) for _ in range(256)) + z.flush())' >"$dir/bomb"

# planted KIND: maplib loads a copy of the library, which is deleted and
# replaced under its "(deleted)" name by a FIFO or the bomb; memleak must
# name the leak's frame in the library (through /proc/PID/map_files) within
# 15 s. Sets HWM (memleak's peak RSS, KiB).
planted() {
	local kind=$1 lib=$dir/libplant-$1.so out=$dir/out.$1 pid mpid t got
	HWM=
	cp "$LIB" "$lib"
	"$MAPLIB" "$lib" 20 >"$dir/maplib.$kind" 2>&1 &
	pid=$!
	if ! wait_stopped "$pid"; then
		notok "planted $kind: maplib did not stop: $(cat "$dir/maplib.$kind")"
		kill -9 "$pid" 2>/dev/null
		return
	fi
	rm "$lib"
	if [ "$kind" = fifo ]; then
		mkfifo "$lib (deleted)"
	else
		cp "$dir/bomb" "$lib (deleted)"
	fi
	: >"$out"
	"$ML" --json -o 0 -p "$pid" 1 >"$out" 2>"$out.err" &
	mpid=$!
	if ! wait_lines "$out" 15; then
		notok "planted $kind: no report within 15 s (memleak blocked?): $(head -c 300 "$out.err")"
		kill -9 "$pid" "$mpid" 2>/dev/null
		return
	fi
	kill -CONT "$pid"
	t=150
	got=
	while [ $t -gt 0 ] && [ -z "$got" ]; do
		got=$(tail -n 1 "$out" | jq -r '.stacks[] | select(.frames[0].sym == "msfuzz_leak") |
			"\(.bytes) \(.allocs) \(.frames[0].module)"' 2>/dev/null)
		[ -z "$got" ] && sleep 0.1
		t=$((t - 1))
	done
	HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$mpid/status" 2>/dev/null)
	kill -INT "$mpid"
	kill -9 "$pid"
	wait "$mpid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# 20 blocks of 1000..1019 bytes
	if [ "$got" = "20190 20 libplant-$kind.so (deleted)" ]; then
		ok "planted $kind: the leak is named in the deleted library: $got, memleak's peak RSS ${HWM:-?} KiB"
	else
		notok "planted $kind: want '20190 20 libplant-$kind.so (deleted)', got '${got:-no such stack}': $(tail -n 1 "$out" | head -c 400)"
	fi
}

planted fifo
base_hwm=${HWM:-0}
planted bomb
# the bomb unpacks to 256 MiB: memleak must not come near it
if [ -n "$HWM" ] && [ "$base_hwm" -gt 0 ] && [ "$HWM" -lt $((base_hwm + 65536)) ]; then
	ok "planted bomb: peak RSS $HWM KiB, within 64 MiB of the FIFO run's $base_hwm KiB"
else
	notok "planted bomb: peak RSS ${HWM:-?} KiB against ${base_hwm} KiB without it"
fi

# badframe: 16 mallocs of 100 bytes from one call site, each with a
# different garbage return address after it (8 non-canonical, 8 canonical
# in no mapping): one stack of one frame
"$BADFRAME" 8 >"$dir/badframe.out" 2>&1 &
pid=$!
if [ "$(uname -m)" != x86_64 ]; then
	kill -9 "$pid" 2>/dev/null
	echo "memleak garbage frames: x86-64 only"
elif ! wait_stopped "$pid"; then
	notok "garbage frames: badframe did not stop: $(cat "$dir/badframe.out")"
	kill -9 "$pid" 2>/dev/null
else
	out=$dir/out.badframe
	: >"$out"
	"$ML" --json -o 0 -T 100 -p "$pid" 1 >"$out" 2>"$out.err" &
	mpid=$!
	if wait_lines "$out" 15; then
		kill -CONT "$pid"
		t=100
		got=
		while [ $t -gt 0 ]; do
			got=$(tail -n 1 "$out" | jq -c '[.stacks[] | select(.frames[0].sym == "badframe_site") |
				[.bytes, .allocs, [.frames[] | .module]]]' 2>/dev/null)
			[ "$got" = '[[1600,16,["badframe"]]]' ] && break
			sleep 0.1
			t=$((t - 1))
		done
		if [ "$got" = '[[1600,16,["badframe"]]]' ]; then
			ok "garbage frames: one call site is one stack of one frame, 1600 bytes in 16 allocations"
		else
			notok "garbage frames: want [[1600,16,[\"badframe\"]]] (bytes, allocs, modules), got ${got:-nothing}"
		fi
	else
		notok "garbage frames: no report within 15 s: $(head -c 300 "$out.err")"
	fi
	kill -INT "$mpid" 2>/dev/null
	kill -9 "$pid" 2>/dev/null
	wait "$mpid" "$pid" 2>/dev/null
fi
exit 0 # the verdicts are the lines above, not the status of the last kill
