#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# cachestat against workloads whose answer is known: a file of N pages the
# test writes and evicts (POSIX_FADV_DONTNEED), read cold and warm through
# read(), sendfile() and mmap, and N new pages written. The figures checked
# are cachestat's own JSON output for the workload's pid (-p).
set -u
. "$(dirname "$0")/../lib/common.sh"
N=2560 # pages: 10 MiB
# MEMSCOPE_SKIP_HOOKS=fentry (the vm phase) runs the same tests on kprobes
CS=("$BUILD/cachestat")
L=
if [ -n "${MEMSCOPE_SKIP_HOOKS:-}" ]; then
	CS+=(--skip-hooks "$MEMSCOPE_SKIP_HOOKS")
	L=" (--skip-hooks $MEMSCOPE_SKIP_HOOKS)"
fi

if [ "$(id -u)" != 0 ]; then
	skip "cachestat functional tests: need root"
	exit 0
fi

dir=$(mktemp -d "$SCRATCH/memscope-cachestat.XXXXXX")
trap 'unpin; rm -rf "$dir"' EXIT
F=$dir/data
out=$dir/out

# Which hook counts reads decides the tolerance (cachestat(8), ACCURACY):
# the v6.12+ tracepoint and filemap_get_pages at entry are exact for these
# workloads, mark_page_accessed (v5.10) is approximate.
probes=$("${CS[@]}" --probes 2>&1)
# (the event is named on its first candidate's line only)
read_hook=$(awk '/^[a-z]/ { ev = ($1 == "read") } ev && / CHOSEN/ { for (i = 1; i <= NF; i++) if ($i ~ /:/) { print $i; exit } }' <<<"$probes")
case $read_hook in
*mark_page_accessed*) TOL=10 ;;
*) TOL=2 ;;
esac
echo "read hook: $read_hook, tolerance ${TOL}%"

# measure NAME CHECK WORKLOAD...: runs the workload under cachestat -p and
# sets H M D (hits, misses, dirties summed over the reports).
measure() {
	local name=$1
	shift
	if ! trace_workload "$out" "${CS[@]}" -- "$@" || [ "$TOOL_RC" != 0 ]; then
		notok "$name$L: cachestat or workload failed (rc $TOOL_RC): $(head -c 300 "$out.err")"
		return 1
	fi
	H=$(jsum "$out" hits) M=$(jsum "$out" misses) D=$(jsum "$out" dirties)
	echo "$name: hits=$H misses=$M dirties=$D (truth: $N pages, workload: $WL_OUT)"
}

# expect_cold NAME: misses within TOL% of N, hit ratio under TOL%
expect_cold() {
	if within "$M" "$N" "$TOL" && below "$H" "$((H + M))" "$TOL"; then
		ok "$1$L: misses $M of $N pages, hits $H"
	else
		notok "$1$L: misses $M (want $N ±$TOL%), hits $H (want ratio < $TOL%)"
	fi
}

# expect_warm NAME: hits within TOL% of N, misses under 1% of N
expect_warm() {
	if within "$H" "$N" "$TOL" && below "$M" "$N" 1; then
		ok "$1$L: hits $H of $N pages, misses $M"
	else
		notok "$1$L: hits $H (want $N ±$TOL%), misses $M (want < 1% of $N)"
	fi
}

# cold/warm preconditions are checked with mincore, not assumed
evict() {
	"$PCLOAD" evict "$F"
	[ "$("$PCLOAD" resident "$F")" = 0 ] || echo "warning: $F not fully evicted"
}
pin_warm() {
	local r
	pin "$F" || echo "warning: could not pin $F"
	r=$("$PCLOAD" resident "$F")
	[ "$r" = "$N" ] || echo "warning: only $r of $N pages resident before a warm run"
}

"$PCLOAD" create "$F" "$N"

for how in "read:read $F" "sendfile:sendfile $F" "mmap:mmap $F" "mmap-random:mmap $F random"; do
	name=${how%%:*}
	# shellcheck disable=SC2086
	set -- ${how#*:}
	evict
	measure "cold $name" "$@" && expect_cold "cold $name"
	pin_warm
	measure "warm $name" "$@" && expect_warm "warm $name"
	unpin
done

# N new pages written: DIRTIES, not misses
rm -f "$dir/new"
if measure "write" write "$dir/new" "$N"; then
	if within "$D" "$N" "$TOL" && below "$M" "$N" 2; then
		ok "write$L: dirties $D of $N new pages, misses $M"
	else
		notok "write$L: dirties $D (want $N ±$TOL%), misses $M (want < 2% of $N)"
	fi
fi

# the JSON schema of cachestat(8), on the last measurement's reports
if [ ! -s "$out" ]; then
	notok "json$L: no reports to check"
elif jq -e 'select((.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$") | not)
	or (.hits|type) != "number" or (.misses|type) != "number"
	or (.dirties|type) != "number" or (.buffers_mb|type) != "number"
	or (.cached_mb|type) != "number"
	or ((.hit_ratio|type) != "number" and .hit_ratio != null))' "$out" >/dev/null; then
	notok "json$L: a line misses a documented field: $(head -n 2 "$out")"
else
	ok "json$L: every line has time, hits, misses, dirties, hit_ratio, buffers_mb, cached_mb"
fi

# system-wide mode (no -p) sees the same cold read
evict
"${CS[@]}" --json 1 >"$out.sys" 2>"$out.err" &
cs=$!
if wait_lines "$out.sys" 15; then
	"$PCLOAD" read "$F" >/dev/null
	sleep 1.2
	kill -INT "$cs"
	wait "$cs"
	rc=$?
	M=$(jsum "$out.sys" misses)
	if [ "$rc" = 0 ] && awk -v m="$M" -v n="$N" 'BEGIN { exit !(m >= n * 0.98) }'; then
		ok "system-wide$L: a cold read of $N pages shows $M misses"
	else
		notok "system-wide$L: misses $M after a cold read of $N pages (rc $rc)"
	fi
else
	kill -9 "$cs" 2>/dev/null
	notok "system-wide$L: no report within 15 s: $(head -c 300 "$out.err")"
fi

# --probes names one hook per event
n=$(grep -c CHOSEN <<<"$probes")
if [ "$n" = 5 ]; then
	ok "--probes$L: one hook chosen for each of the 5 events"
else
	notok "--probes$L: $n chosen hooks, want 5: $probes"
fi
