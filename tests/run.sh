#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs memscope's test suite: unit (no root), bpf (load every program with
# each probe variant), func (ground-truth functional tests, root).
#   tests/run.sh [unit] [bpf] [func]     default: all three
# Every test prints "ok NAME", "not ok NAME: why" or "skip NAME: why"; this
# script counts them and ends with "N passed, N failed, N skipped". Under
# CI=true a skipped root/BPF test counts as failed: CI runs as root on a
# kernel where BPF works, so a skip there hides a broken test.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export ROOT BUILD
phases=${*:-unit bpf func}
passed=0 failed=0 skipped=0
LOG=$BUILD/tests/log
mkdir -p "$LOG"
kernel=$(uname -r)

tally() { # reads test output lines on stdin
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) passed=$((passed + 1)); echo "  $line" ;;
		"not ok "*) failed=$((failed + 1)); echo "  $line" ;;
		"skip "*)
			if [ "${CI:-}" = true ]; then
				failed=$((failed + 1)); echo "  not ok (skipped under CI) ${line#skip }"
			else
				skipped=$((skipped + 1)); echo "  $line"
			fi ;;
		*) echo "    $line" ;;
		esac
	done
}

run() { # name command...: runs one test program, a crash counts as a failure
	local name=$1 out rc
	shift
	out=$("$@" 2>"$LOG/$name.err"); rc=$?
	tally <<<"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
		tally <<<"not ok $name: exited $rc without a failing test ($(tail -n 3 "$LOG/$name.err" | tr '\n' ' '))"
	fi
}

echo "memscope tests on kernel $kernel"
for phase in $phases; do
	case $phase in
	unit)
		echo "unit:"
		for t in "$BUILD"/tests/unit_*; do
			[ -x "$t" ] && run "$(basename "$t")" "$t"
		done ;;
	bpf)
		echo "bpf (load tests):"
		if [ "$(id -u)" != 0 ]; then
			tally <<<"skip loadtest: needs root"
		else
			run loadtest "$BUILD/tests/loadtest"
		fi ;;
	func)
		echo "func:"
		for t in "$ROOT"/tests/func/*.sh; do
			run "$(basename "$t" .sh)" bash "$t"
		done ;;
	*) echo "run.sh: unknown phase '$phase' (unit, bpf, func)" >&2; exit 2 ;;
	esac
done
echo "kernel $kernel: $passed passed, $failed failed, $skipped skipped" >"$LOG/summary"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
