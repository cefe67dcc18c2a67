#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# memscope-exporter's cost, next to node_exporter's where it is installed
# (Debian: prometheus-node-exporter). Run as root after `make`; make bench
# runs it after the tools (bench/bench.sh), or alone: bench/exporter.sh.
# For each exporter, measured from outside (/proc/PID/stat, VmRSS, curl):
#   idle      its CPU per second of wall time with no scrape and no load
#   scrape    its CPU per scrape over SCRAPES back-to-back scrapes (the idle
#             CPU of that time taken off), the series and bytes of a scrape
#   load      its CPU per second while a page-cache and fault workload runs
#             (a warm 64 MiB file read 4 KiB at a time, 64 MiB of fresh pages
#             touched, in a loop); the in-kernel cost of memscope's BPF
#             programs is the workload's, not the exporter's: shown apart,
#             from the kernel's BPF statistics (ns per run of the pagecache programs, the hot ones)
#   rss       VmRSS at the end
# memscope-exporter is run with its defaults (per-cgroup series, --top 20)
# and with --top 0 (system-wide only), so the per-cgroup cost shows as the
# difference. Knobs: BENCH_EXP_SECONDS (each phase, default 10),
# BENCH_EXP_SCRAPES (default 50), SCRATCH. Writes build/bench/exporter.json.
# Figures on a shared, noisy machine: compare the rows of one run, side by
# side, never absolute times across runs.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=tests/lib/common.sh
. "$ROOT/tests/lib/common.sh"
EXP=$BUILD/memscope-exporter
MEMHOG=$BUILD/tests/func/memhog
SECS=${BENCH_EXP_SECONDS:-10}
SCRAPES=${BENCH_EXP_SCRAPES:-50}
OUT=$BUILD/bench/exporter.json
CLK_TCK=$(getconf CLK_TCK)

die() { echo "bench/exporter: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$EXP" ] && [ -x "$PCLOAD" ] && [ -x "$MEMHOG" ] || die "run make first"
command -v curl >/dev/null || die "curl missing (scripts/deps.sh test)"

TMP=$(mktemp -d "$SCRATCH/memscope-bench-exp.XXXXXX") || die "cannot create a directory in $SCRATCH"
PIDS=()
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	[ ${#PIDS[@]} -gt 0 ] && kill -TERM "${PIDS[@]}" 2>/dev/null
	wait 2>/dev/null
	echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null

# cpu_ticks PID: utime + stime
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
now() { date +%s.%N; }
# bpf_ns PORT: run_time_ns and run_cnt summed over the pagecache source's programs
bpf_ns() {
	curl -s "http://127.0.0.1:$1/metrics" | awk '
		/^memscope_bpf_prog_run_time_seconds_total\{source="pagecache"/ { t += $2 }
		/^memscope_bpf_prog_runs_total\{source="pagecache"/ { n += $2 }
		END { printf "%.0f %.0f\n", t * 1e9, n }'
}
# load SECONDS: the workload, until the time is up
load() {
	local end
	end=$(awk -v n="$(now)" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
	while awk -v n="$(now)" -v e="$end" 'BEGIN { exit !(n < e) }'; do
		"$PCLOAD" read "$TMP/warm" 4096 >/dev/null
		"$MEMHOG" 16384 >/dev/null
	done
}

# measure NAME PORT PID: one JSON line of the exporter's figures
measure() {
	local name=$1 port=$2 pid=$3 t0 t1 c0 c1 i b0 b1 bytes series rss
	local idle_ms scrape_ms load_ms bpf_t0 bpf_n0 bpf_t1 bpf_n1
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/metrics" && break
		sleep 0.1
	done
	sleep 2
	# idle
	t0=$(now) c0=$(cpu_ticks "$pid")
	sleep "$SECS"
	t1=$(now) c1=$(cpu_ticks "$pid")
	idle_ms=$(awk -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
		'BEGIN { printf "%.2f", c / hz * 1000 / (t1 - t0) }')
	# scrapes
	curl -s "http://127.0.0.1:$port/metrics" >"$TMP/$name.scrape"
	bytes=$(wc -c <"$TMP/$name.scrape")
	series=$(grep -vc '^#' "$TMP/$name.scrape")
	t0=$(now) c0=$(cpu_ticks "$pid")
	for ((i = 0; i < SCRAPES; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
	done
	t1=$(now) c1=$(cpu_ticks "$pid")
	scrape_ms=$(awk -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" -v n="$SCRAPES" \
		-v idle="$idle_ms" 'BEGIN { v = (c / hz * 1000 - idle * (t1 - t0)) / n; printf "%.3f", v < 0 ? 0 : v }')
	# load
	read -r bpf_t0 bpf_n0 < <(bpf_ns "$port")
	t0=$(now) c0=$(cpu_ticks "$pid")
	load "$SECS"
	t1=$(now) c1=$(cpu_ticks "$pid")
	read -r bpf_t1 bpf_n1 < <(bpf_ns "$port")
	load_ms=$(awk -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
		'BEGIN { printf "%.2f", c / hz * 1000 / (t1 - t0) }')
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	printf '{"exporter":"%s","idle_cpu_ms_per_s":%s,"scrape_cpu_ms":%s,"series":%s,"scrape_bytes":%s,"load_cpu_ms_per_s":%s,"rss_kib":%s,"bpf_runs":%s,"bpf_ns":%s}\n' \
		"$name" "$idle_ms" "$scrape_ms" "$series" "$bytes" "$load_ms" "$rss" \
		$((bpf_n1 - bpf_n0)) $((bpf_t1 - bpf_t0))
}

"$PCLOAD" create "$TMP/warm" 16384 >/dev/null || die "cannot create the workload's file"
"$PCLOAD" read "$TMP/warm" >/dev/null
: >"$TMP/runs.jsonl"
for cfg in "memscope-exporter" "memscope-exporter --top 0"; do
	port=$(free_port)
	# shellcheck disable=SC2086 # the configuration's words
	$BUILD/$cfg --listen "127.0.0.1:$port" 2>"$TMP/exp.err" &
	pid=$!
	PIDS+=("$pid")
	measure "$cfg" "$port" "$pid" >>"$TMP/runs.jsonl" || die "$cfg: $(head -c 300 "$TMP/exp.err")"
	kill -TERM "$pid"
	wait "$pid"
done
NE=$(command -v prometheus-node-exporter || command -v node_exporter)
if [ -n "$NE" ]; then
	port=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$port" >/dev/null 2>"$TMP/ne.err" &
	pid=$!
	PIDS+=("$pid")
	measure node_exporter "$port" "$pid" >>"$TMP/runs.jsonl"
	kill -TERM "$pid"
	wait "$pid"
else
	echo "bench/exporter: node_exporter not installed (Debian: prometheus-node-exporter): its row is left out" >&2
fi
mkdir -p "$(dirname "$OUT")"
/usr/bin/python3 - "$TMP/runs.jsonl" "$OUT" "$(uname -r)" "$(nproc)" <<'EOP'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump({"kernel": sys.argv[3], "cpus": int(sys.argv[4]), "rows": rows},
          open(sys.argv[2], "w"), indent=1)
print(f"exporter cost (Linux {sys.argv[3]}, {sys.argv[4]} CPUs; CPU of the exporter's process)")
print(f"{'exporter':<28} {'idle ms/s':>9} {'ms/scrape':>9} {'series':>7} {'KB':>6} "
      f"{'load ms/s':>9} {'RSS MB':>7} {'PC ns/run':>10}")
for r in rows:
    ns = f"{r['bpf_ns'] / r['bpf_runs']:.0f}" if r["bpf_runs"] else "-"
    print(f"{r['exporter']:<28} {r['idle_cpu_ms_per_s']:>9.2f} {r['scrape_cpu_ms']:>9.3f} "
          f"{r['series']:>7} {r['scrape_bytes'] / 1000:>6.1f} {r['load_cpu_ms_per_s']:>9.2f} "
          f"{r['rss_kib'] / 1024:>7.1f} {ns:>10}")
EOP
