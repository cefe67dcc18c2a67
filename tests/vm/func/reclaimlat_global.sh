#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# reclaimlat under global memory pressure: memhog touching 90% of RAM with a
# swapfile makes kswapd (and some direct reclaim) run. Ground truth: the
# /proc/vmstat pgsteal_kswapd and pgsteal_direct deltas, which count global
# reclaim only. Needs a machine whose RAM is small enough to fill quickly: the
# 1 GiB guest of tests/vm, where tests/run.sh's vm stage runs it (it is kept
# out of tests/func/, which also runs on the host).
set -u
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/memcg.sh"
RL=$BUILD/reclaimlat
TOL=5
MAX_MB=2048

mem_mb=$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
if [ "$mem_mb" -gt "$MAX_MB" ]; then
	notok "global pressure: needs at most $MAX_MB MiB of RAM (the tests/vm guest); this machine has $mem_mb MiB"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	skip "reclaimlat global pressure: needs root"
	exit 0
fi

dir=$(mktemp -d "$SCRATCH/memscope-rlglobal.XXXXXX")
rl=
trap '[ -n "$rl" ] && kill -9 "$rl" 2>/dev/null; memcg_cleanup; rm -rf "$dir"' EXIT
if ! swap_on $((mem_mb * 6 / 10)); then
	notok "global pressure: cannot add a swapfile on $SCRATCH"
	exit 0
fi
pages=$((mem_mb * 256 * 9 / 10))

: >"$dir/out"
"$RL" --json 1 >"$dir/out" 2>"$dir/err" &
rl=$!
if ! wait_lines "$dir/out" 20; then
	notok "global pressure: reclaimlat did not start: $(head -c 300 "$dir/err")"
	exit 0
fi
d0=$(vmstat pgsteal_direct) k0=$(vmstat pgsteal_kswapd)
"$MEMHOG" -p 1 "$pages" >"$dir/hog"
hog_rc=$?
d=$(( $(vmstat pgsteal_direct) - d0 )) k=$(( $(vmstat pgsteal_kswapd) - k0 ))
sleep 1.2
kill -INT "$rl"
wait "$rl"
rc=$?
rl=
csum() { jq -s "map(.classes.$1.$2 // 0) | add // 0" "$dir/out"; }
kc=$(csum kswapd stalls) kp=$(csum kswapd pages) dc=$(csum direct stalls) dp=$(csum direct pages)
echo "memhog $pages pages (rc $hog_rc) in $mem_mb MiB: vmstat pgsteal_kswapd $k, pgsteal_direct $d;" \
	"reclaimlat kswapd $kc periods $kp pages, direct $dc stalls $dp pages, slab $(csum slab stalls) calls"

if [ "$rc" != 0 ] || [ "$hog_rc" != 0 ] || [ "$k" -lt 1000 ]; then
	notok "global pressure: no pressure or a failure (reclaimlat rc $rc, memhog rc $hog_rc, kswapd reclaimed $k pages)"
	exit 0
fi
if [ "$kc" -gt 0 ] && within "$kp" "$k" "$TOL"; then
	ok "kswapd: $kc active periods, $kp pages reclaimed, vmstat pgsteal_kswapd $k (±$TOL%)"
else
	notok "kswapd: $kc active periods, $kp pages reclaimed, want vmstat pgsteal_kswapd $k ±$TOL%"
fi
# direct reclaim may be rare: a small count is compared within 50 pages
if within "$dp" "$d" "$TOL" || [ $((dp > d ? dp - d : d - dp)) -le 50 ]; then
	ok "direct: $dc stalls, $dp pages reclaimed, vmstat pgsteal_direct $d (±$TOL% or 50 pages)"
else
	notok "direct: $dc stalls, $dp pages reclaimed, want vmstat pgsteal_direct $d ±$TOL%"
fi
