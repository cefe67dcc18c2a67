#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# memscope benchmark (run as root, after `make`; `make bench` does both).
#   bench/bench.sh            all tools (cachestat, memleak, faultstat, reclaimlat, slabratetop)
#   BENCH_TOOLS=cachestat bench/bench.sh
# This script only drives processes: each run appends one JSON line to
# build/bench/runs.jsonl, and bench/report.py makes the tables and
# build/bench/results.json from those lines.
# Knobs: BENCH_REPS (workload repetitions; default: calibrated to ~2.5 s),
#        BENCH_ROUNDS (interleaved rounds, default 3), BENCH_ML_PAIRS,
#        SCRATCH (default /var/tmp).
# See bench/README.md for what each figure means.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=tests/lib/common.sh
. "$ROOT/tests/lib/common.sh"

CS=$BUILD/cachestat
CT=$BUILD/cachetop
RL=$BUILD/reclaimlat
FLOOR=$BUILD/bench/floor
OUTDIR=$BUILD/bench
RUNS=$OUTDIR/runs.jsonl
RESULTS=$OUTDIR/results.json
TOOLS=${BENCH_TOOLS:-cachestat memleak faultstat reclaimlat slabratetop}
ROUNDS=${BENCH_ROUNDS:-3}
TARGET_MS=2500		# untraced CPU the workload is calibrated to
BIG_PAGES=16384		# 64 MiB warm file for the overhead runs
CHUNK=4096		# bytes per read(): one tracepoint hit per page
ACC_PAGES=2560		# accuracy file
STOP_GRACE_S=10		# a tracer still there this long after its signal gets SIGKILL

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------- cleanup

TMP=
MOUNTED_TRACEFS=
BPF_BEFORE=
BPF_CHECKED=

# Every process this script started, children first found, then signalled:
# found before any is killed, so none is reparented away from us.
descendants() {
	local p c
	for p in "$@"; do
		for c in $(pgrep -P "$p" 2>/dev/null); do
			descendants "$c"
			echo "$c"
		done
	done
}

cleanup() {
	local rc=$? pids p
	trap - EXIT INT TERM HUP
	pids=$(descendants $$)
	if [ -n "$pids" ]; then
		# the leaves (tools, workloads) first: a /usr/bin/time wrapper then
		# exits by itself after reaping its child, leaving no orphan
		for p in $pids; do
			[ -z "$(pgrep -P "$p")" ] || continue
			kill -TERM "$p" 2>/dev/null
			kill -CONT "$p" 2>/dev/null	# a stopped workload dies once resumed
		done
		sleep 0.3
		for p in $pids; do
			[ -d "/proc/$p" ] && kill -KILL "$p" 2>/dev/null
		done
		wait 2>/dev/null
	fi
	tracefs_off
	declare -F bpf_stats_off >/dev/null && bpf_stats_off
	declare -F memcg_cleanup >/dev/null && memcg_cleanup	# reclaimlat's swap storm
	unpin
	[ -n "$TMP" ] && { bpf_check || rc=1; }
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

# bpftrace 0.17 needs tracefs for tracepoint:* probes; mounted only around
# each bpftrace run, and only if nobody else mounted it.
tracefs_on() {
	[ -d /sys/kernel/tracing/events ] || [ -d /sys/kernel/debug/tracing/events ] && return 0
	mount -t tracefs nodev /sys/kernel/tracing || die "cannot mount tracefs"
	MOUNTED_TRACEFS=1
}
tracefs_off() {
	[ -n "$MOUNTED_TRACEFS" ] || return 0
	umount /sys/kernel/tracing 2>/dev/null || umount -l /sys/kernel/tracing 2>/dev/null
	MOUNTED_TRACEFS=
}

# ---------------------------------------------------------------- BPF objects

# bpf_list: "prog ID OWNERS" and "link ID OWNERS" for everything loaded now
# (OWNERS: comm[pid],... of the processes holding it, as bpftool finds them)
bpf_list() {
	local k
	for k in prog link; do
		bpftool -j "$k" show 2>/dev/null | jq -r --arg k "$k" \
			'.[] | "\($k) \(.id) \([.pids[]? | "\(.comm)[\(.pid)]"] | join(","))"'
	done
}

# bpf_ids_of PID: the "prog ID"/"link ID" lines of what PID holds (its fdinfo)
bpf_ids_of() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		sed -n 's/^\(prog\|link\)_id:[[:space:]]*\([0-9]*\)$/\1 \2/p' "$f" 2>/dev/null
	done | sort -u
}

# bpf_own PID: records PID and the ids of what it holds, so that bpf_check
# can tell at the end that all of them are gone
bpf_own() {
	echo "$1" >>"$TMP/own.pids"
	bpf_ids_of "$1" >>"$TMP/own.ids"
}

# bpf_loaded IDS_FILE: those of the "prog ID"/"link ID" lines of IDS_FILE
# still loaded (plain bpftool, no owner lookup: quick enough to poll)
bpf_loaded() {
	{
		bpftool prog show | sed -n 's/^\([0-9]\+\): .*/prog \1/p'
		bpftool link show | sed -n 's/^\([0-9]\+\): .*/link \1/p'
	} 2>/dev/null | grep -Fx -f "$1"
}

# bpf_check: fails loudly if a tracer this script started still runs, or a
# program or link one of them held is still loaded (checked by id: ids are
# not reused); lists what was loaded since the start beside it
bpf_check() {
	local t=50 left p alive='' new
	[ -z "$BPF_CHECKED" ] || return 0
	BPF_CHECKED=1
	while read -r p; do
		gone "$p" 0 || alive+=" $p($(cat "/proc/$p/comm" 2>/dev/null))"
	done < <(sort -u "$TMP/own.pids")
	while [ $t -gt 0 ]; do		# a link's release can trail its fd's close
		left=$(bpf_loaded "$TMP/own.ids")
		[ -z "$left" ] && break
		nap 0.1
		t=$((t - 1))
	done
	new=$(bpf_list | while read -r k id owners; do
		[[ $'\n'$BPF_BEFORE$'\n' == *$'\n'"$k $id "* ]] || echo "$k $id $owners"
	done)
	if [ -n "$alive" ] || [ -n "$left" ]; then
		echo "bench: ERROR: left behind by the bench:${alive:+ tracers still running:$alive}" >&2
		[ -n "$left" ] && printf 'bench: ERROR:   still loaded: %s\n' "${left//$'\n'/, }" >&2
		[ -n "$new" ] && printf 'bench:   loaded since the start: %s\n' "${new//$'\n'/, }" >&2
		return 1
	fi
	note "bpf check: none of the $(wc -l <"$TMP/own.ids") programs and links of the" \
		"$(sort -u "$TMP/own.pids" | wc -l) tracers the bench started is still loaded" \
		"($(printf '%s' "$new" | grep -c .) loaded by others since the start)"
}

# ---------------------------------------------------------------- helpers


# pstate PID: PSTATE, the one-letter process state; fails when PID is gone.
# No fork, no $(): the polling loops below call it every few ms.
pstate() {
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	PSTATE=${s%% *}
}

# nap SECS: sleeps without forking (a read that times out on a pipe nobody
# writes), so that a polling loop keeps its step
nap() { read -r -t "$1" -u "$NAP_FD" _; }
exec {NAP_FD}<> <(:)

# cpu_ms PID: utime + stime (all threads), in ms
cpu_ms() {
	local s fld
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	# shellcheck disable=SC2206
	fld=(${s##*) })
	echo $(((fld[11] + fld[12]) * 1000 / CLK_TCK))
}

# child_of PID: its first child (waits up to 5 s for the fork)
child_of() {
	local t=500 c
	while [ $t -gt 0 ]; do
		c=$(pgrep -P "$1" | head -1)
		[ -n "$c" ] && { echo "$c"; return 0; }
		nap 0.01
		t=$((t - 1))
	done
	return 1
}

# gone PID SECS: waits (up to SECS, polling every 2 ms) until PID has exited
# (gone, or a zombie not yet reaped); fails if it is still there
gone() {
	local pid=$1 end=$((${EPOCHREALTIME/./} + $2 * 1000000))
	while :; do
		pstate "$pid" || return 0
		[ "$PSTATE" = Z ] && return 0
		[ "${EPOCHREALTIME/./}" -ge "$end" ] && return 1
		nap 0.002
	done
}

# stop_pid PID [SIGNAL]: sends SIGNAL (if any) to PID itself, waits
# STOP_GRACE_S for its exit, then SIGKILLs it; fails if it needed SIGKILL
stop_pid() {
	[ -n "${2:-}" ] && kill "-$2" "$1" 2>/dev/null
	gone "$1" "$STOP_GRACE_S" && return 0
	note "pid $1 ($(cat "/proc/$1/comm" 2>/dev/null)) still there ${STOP_GRACE_S} s after SIG${2:-nothing}: SIGKILL"
	kill -KILL "$1" 2>/dev/null
	gone "$1" 5 || die "pid $1 survives SIGKILL"
	return 1
}

# wait_match FILE ERE SECS PID: until a line of FILE matches, or PID is gone
wait_match() {
	local f=$1 re=$2 end=$((${EPOCHREALTIME/./} + $3 * 1000000)) pid=$4
	while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
		grep -Eq "$re" "$f" 2>/dev/null && return 0
		pstate "$pid" || return 1
		[ "$PSTATE" = Z ] && return 1
		nap 0.005
	done
	return 1
}

# children_ms: CHILD_MS, the user+sys of every child this shell has reaped
# so far (the second line of the `times` builtin, millisecond precision). Not
# to be called in $(): a subshell has no children.
children_ms() {
	local line u s
	times >"$TMP/times"
	{ read -r _; read -r u s; } <"$TMP/times"	# "0m1.234s 0m0.567s"
	CHILD_MS=$(($(min_s_ms "$u") + $(min_s_ms "$s")))
}
# min_s_ms 1m2.345s: 62345
min_s_ms() { local m=${1%%m*} s=${1#*m}; s=${s%s}; echo $((m * 60000 + 10#${s/./})); }

# emit KEY=VALUE...: appends one JSON object to RUNS; a VALUE that is a JSON
# number, array or null goes in as JSON, any other as a string
emit() {
	local kv k v i=0 args=() prog=
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ || $v == null || $v == '['* ]]; then
			args+=(--argjson "v$i" "$v")
		else
			args+=(--arg "v$i" "$v")
		fi
		prog+="${prog:+, }\"$k\": \$v$i"
		i=$((i + 1))
	done
	jq -n -c "${args[@]}" "{$prog}" >>"$RUNS" || die "emit: not JSON: $*"
}

# ---------------------------------------------------------------- tracers

BT_SCRIPT=
write_bt_script() {
	# Same events as cachestat, counted with the plain formula: a read or
	# fault-around reports [index, last_index] = last_index - index + 1 pages,
	# a fault one page; inserts and dirties are counted per event.
	BT_SCRIPT=$TMP/cachestat.bt
	cat >"$BT_SCRIPT" <<'EOF'
BEGIN { printf("ready\n"); }
tracepoint:filemap:mm_filemap_get_pages { @acc = sum(args->last_index - args->index + 1); }
tracepoint:filemap:mm_filemap_map_pages { @acc = sum(args->last_index - args->index + 1); }
tracepoint:filemap:mm_filemap_fault { @acc = sum(1); }
tracepoint:filemap:mm_filemap_add_to_page_cache { @add = count(); }
tracepoint:writeback:writeback_dirty_folio { @dirty = count(); }
interval:s:1 { print(@acc); print(@add); print(@dirty); clear(@acc); clear(@add); clear(@dirty); }
END { clear(@acc); clear(@add); clear(@dirty); }
EOF
}

# start_tool OUT READY_ERE CMD...: runs CMD under /usr/bin/time, waits until
# its stdout matches READY_ERE (= attached) and records the BPF objects it
# holds (bpf_own). Sets TOOL_TP (time's pid), TOOL_PID (the tool's), TOOL_OUT.
start_tool() {
	local out=$1 re=$2
	shift 2
	TOOL_OUT=$out
	/usr/bin/time -f '%U %S %M' -o "$out.time" "$@" >"$out" 2>"$out.err" &
	TOOL_TP=$!
	TOOL_PID=$(child_of "$TOOL_TP") || { note "$1 did not start"; return 1; }
	echo "$TOOL_PID" >>"$TMP/own.pids"
	if ! wait_match "$out" "$re" 30 "$TOOL_PID"; then
		note "$1 did not attach: $(head -c 600 "$out.err")"
		stop_pid "$TOOL_PID" INT
		wait "$TOOL_TP"
		return 1
	fi
	bpf_own "$TOOL_PID"
}

# stop_tool [SIGNAL]: stops the tool itself (not its time wrapper; with no
# SIGNAL it is to exit by itself), SIGKILL after STOP_GRACE_S, and sets
# TOOL_CPU_TOTAL_MS, TOOL_RSS_KB and TOOL_KILLED (1 if it needed SIGKILL)
stop_tool() {
	local u s m
	TOOL_KILLED=0
	stop_pid "$TOOL_PID" "${1:-}" || TOOL_KILLED=1
	wait "$TOOL_TP"
	read -r u s m < <(tail -1 "$TOOL_OUT.time")	# after "Command terminated by signal 9"
	TOOL_CPU_TOTAL_MS=$(($(s_ms "$u") + $(s_ms "$s")))
	TOOL_RSS_KB=$m
}
# s_ms 1.23: 1230 (time(1)'s %U and %S have two decimals)
s_ms() { local i=${1%.*} f=${1#*.}00; echo $((10#$i * 1000 + 10#${f:0:3})); }


# ---------------------------------------------------------------- BPF program time
# The kernel's own figures (kernel.bpf_stats_enabled, on for the bench and
# restored on exit): run_cnt and run_time_ns of each program a tracer holds.
# A tracer that exits by itself with its target takes its programs with it,
# so they are pinned in a private bpffs while attached (a pin keeps a
# program, not its links: nothing stays attached) and unpinned once read.
BPFFS=
BPF_STATS_OLD=
bpf_stats_on() {
	BPF_STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || return 0
	sysctl -qw kernel.bpf_stats_enabled=1 || return 0
	BPFFS=$TMP/bpffs
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || BPFFS=
}
bpf_stats_off() {
	[ -n "$BPFFS" ] && { rm -f "$BPFFS"/id*; umount "$BPFFS"; BPFFS=; }
	[ -n "$BPF_STATS_OLD" ] && sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_OLD"
	BPF_STATS_OLD=
}
# bpf_prog_sums FILES...: "RUN_CNT RUN_TIME_NS" summed over pinned programs
bpf_prog_sums() {
	local f c=0 t=0 a b
	for f in "$@"; do
		read -r a b < <(bpftool prog show pinned "$f" --json 2>/dev/null |
			jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')
		c=$((c + ${a:-0})) t=$((t + ${b:-0}))
	done
	echo "$c $t"
}
# bpf_stats_begin PID: pins the programs PID holds and notes their figures
bpf_stats_begin() {
	local id
	STATS_PINS=()
	[ -n "$BPFFS" ] || return 0
	for id in $(bpf_ids_of "$1" | sed -n 's/^prog //p'); do
		bpftool prog pin id "$id" "$BPFFS/id$id" 2>/dev/null && STATS_PINS+=("$BPFFS/id$id")
	done
	read -r STATS_CNT0 STATS_NS0 < <(bpf_prog_sums "${STATS_PINS[@]}")
}
# bpf_stats_end: R[bpf_runs], R[bpf_ns] since bpf_stats_begin; unpins
bpf_stats_end() {
	local c t
	[ "${#STATS_PINS[@]}" -gt 0 ] || return 0
	read -r c t < <(bpf_prog_sums "${STATS_PINS[@]}")
	rm -f "${STATS_PINS[@]}"
	STATS_PINS=()
	R[bpf_runs]=$((c - STATS_CNT0))
	R[bpf_ns]=$((t - STATS_NS0))
}
STATS_PINS=()
# ---------------------------------------------------------------- rounds

# R: the figures of one run, set by a tool's run function for bench_rounds
declare -A R=()

# bench_rounds TOOL GROUP RUNFN MODE...: every tool's overhead runs. First
# one unmeasured pass of the untraced workload (on this VM the balloon device
# hands freed pages back to the host, so the first run after a pause pays
# host faults); then ROUNDS rounds; each goes through the MODEs in an order
# rotated by the round, so that no mode always runs at the same point of a
# round, and for each MODE runs `RUNFN untraced`, then `RUNFN MODE`. RUNFN
# returns non-zero when the run failed, and reports its figures as
# R[FIGURE]=NUMBER (R is emptied before each run). Each run is one JSON line:
# {kind: "run", tool, group, round, pair, mode, FIGURE...}; report.py pairs a
# traced run with the untraced run of the same pair.
bench_rounds() {
	local name=$1 group=$2 runfn=$3 r i m pair=0
	shift 3
	local modes=("$@") order
	R=()
	"$runfn" untraced || die "$runfn: warm-up run failed"
	for ((r = 1; r <= ROUNDS; r++)); do
		order=()
		for ((i = 0; i < ${#modes[@]}; i++)); do
			order+=("${modes[(i + r - 1) % ${#modes[@]}]}")
		done
		for m in "${order[@]}"; do
			pair=$((pair + 1))
			R=()
			"$runfn" untraced || die "$runfn: untraced run failed"
			rounds_emit "$name" "$group" $r $pair untraced
			R=()
			"$runfn" "$m" || die "$runfn: run with $m failed"
			rounds_emit "$name" "$group" $r $pair "$m"
		done
	done
}

# rounds_emit TOOL GROUP ROUND PAIR MODE: R as a JSON line, and a progress note
rounds_emit() {
	local f kv=()
	for f in "${!R[@]}"; do kv+=("$f=${R[$f]}"); done
	emit kind=run tool="$1" group="$2" round="$3" pair="$4" mode="$5" "${kv[@]}"
	note "  $1 ${2:+$2 }round $3: $5 $(printf '%s\n' "${kv[@]}" | sort | paste -sd' ')"
}

# run_stopped MODE PID: resumes the stopped workload PID, waits for it and
# returns its exit status. Sets R[wall_us] and R[cpu_ms] (the workload's
# user+sys: BPF programs run in its context, so their cost lands there; other
# load on the machine mostly does not). In a traced MODE, first notes the
# tool's CPU so far for tool_figures.
run_stopped() {
	local t0 t1 c0 rc
	[ "$1" != untraced ] && TOOL_CPU0=$(cpu_ms "$TOOL_PID")
	children_ms
	c0=$CHILD_MS
	t0=${EPOCHREALTIME/./}
	kill -CONT "$2"
	wait "$2"
	rc=$?
	t1=${EPOCHREALTIME/./}
	children_ms
	R[wall_us]=$((t1 - t0))
	R[cpu_ms]=$((CHILD_MS - c0))
	return $rc
}

# tool_figures: after stop_tool, R[tool_cpu_ms] (the tool's user+sys from the
# workload's start to its exit; 10 ms granularity), R[tool_cpu_total_ms] (its
# whole life, start-up included), R[rss_kb] (its peak RSS) and R[killed]
tool_figures() {
	R[tool_cpu_ms]=$((TOOL_CPU_TOTAL_MS - TOOL_CPU0))
	[ "${R[tool_cpu_ms]}" -lt 0 ] && R[tool_cpu_ms]=0
	R[tool_cpu_total_ms]=$TOOL_CPU_TOTAL_MS
	R[rss_kb]=$TOOL_RSS_KB
	R[killed]=$TOOL_KILLED
}

# calibrate_reps VAR MAX RUN: sets VAR to the repetitions N of `RUN N` (a
# function running the untraced workload) that take about TARGET_MS of CPU,
# within 10..MAX; BENCH_REPS overrides
calibrate_reps() {
	local -n cr_var=$1
	local max=$2 run=$3 c0 n=20
	if [ -n "${BENCH_REPS:-}" ]; then
		cr_var=$BENCH_REPS
		return
	fi
	"$run" 5 >/dev/null	# warm-up
	children_ms
	c0=$CHILD_MS
	"$run" $n >/dev/null
	children_ms
	cr_var=$((TARGET_MS * n / (CHILD_MS - c0 + 1)))
	[ "$cr_var" -lt 10 ] && cr_var=10
	[ "$cr_var" -gt "$max" ] && cr_var=$max
	return 0
}

# startup TOOL WHAT READY CMD...: emits {kind: "startup", tool, what, us}:
# the time from exec of CMD until a line of its stdout matches READY (READY
# "first": its first line); then stops it (SIGINT, SIGKILL after the grace)
startup() {
	local name=$1 what=$2 re=$3 t0 t1 pid line=
	shift 3
	t0=${EPOCHREALTIME/./}
	exec 3< <(exec "$@" 2>/dev/null)
	pid=$!
	echo "$pid" >>"$TMP/own.pids"
	if [ "$re" = first ]; then
		read -r -t 30 -u 3 line
	else
		while read -r -t 60 -u 3 line && ! [[ $line =~ $re ]]; do :; done
	fi
	t1=${EPOCHREALTIME/./}
	[ -n "$line" ] && bpf_own "$pid"
	stop_pid "$pid" INT
	cat <&3 >/dev/null
	exec 3<&-
	wait "$pid" 2>/dev/null
	[ -n "$line" ] || die "$* printed nothing"
	[ "$re" = first ] || [[ $line =~ $re ]] || die "$* did not print /$re/"
	emit kind=startup tool="$name" what="$what" us=$((t1 - t0))
}

# startup_screen TOOL CMD...: emits {kind: "startup", tool, what: "screen",
# us}: the time from exec of CMD, run in its full-screen view on a pty
# (script(1)), until it writes its first byte, which it does once attached
# (top__view_run opens the screen after the tool's start); then stops it.
# Unlike `--json 1 1`, no interval is waited for.
startup_screen() {
	local name=$1 t0 t1 pid tpid c='' i
	shift
	t0=${EPOCHREALTIME/./}
	exec 3< <(TERM=xterm exec script -qfec "exec $*" /dev/null </dev/null 2>/dev/null)
	pid=$!
	echo "$pid" >>"$TMP/own.pids"
	read -r -N 1 -t 30 -u 3 c
	t1=${EPOCHREALTIME/./}
	tpid=$(pgrep -P "$pid" | head -1)
	if [ -n "$tpid" ]; then
		bpf_own "$tpid"
		stop_pid "$tpid" INT
	fi
	for i in 1 2 3 4 5; do gone "$pid" 1 && break; done
	kill "$pid" 2>/dev/null
	cat <&3 >/dev/null
	exec 3<&-
	wait "$pid" 2>/dev/null
	[ -n "$c" ] || die "$* drew nothing on its pty"
	emit kind=startup tool="$name" what=screen us=$((t1 - t0))
}

# ---------------------------------------------------------------- cachestat

# The workload runs on one CPU, the last, in every run: bpftrace's cost
# depended on the CPU the reader ran on (issue 18)
CS_CPU=

# sum_cols FILE COL... [-- NAMECOL NAME]: the sum of the numeric columns COL
# (1-based) over the lines of FILE (only lines whose NAMECOL is NAME)
sum_cols() {
	local f=$1 s=0 c words=() nc='' nm=''
	shift
	local cols=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cols+=("$1"); shift; done
	[ $# -gt 0 ] && nc=$2 nm=$3
	while read -r -a words; do
		[ -n "$nc" ] && [ "${words[nc - 1]:-}" != "$nm" ] && continue
		for c in "${cols[@]}"; do
			[[ ${words[c - 1]:-} =~ ^[0-9]+$ ]] && s=$((s + words[c - 1]))
		done
	done <"$f"
	echo "$s"
}

# cs_run MODE: one timed workload run (untraced | system | pid | cachetop
# | bpftrace | old | oldpid: BENCH_CS_OLD, another cachestat, 1 and -p):
# R[cpu_ms], R[wall_us], and for traced runs the tool_figures and R[seen]
# (accessed pages it counted).
cs_run() {
	local mode=$1 wl_pid
	"$PCLOAD" read "$BIGFILE" >/dev/null	# keep it warm
	case $mode in
	system) start_tool "$TMP/tool" '^ *HITS' "$CS" 1 || return 1 ;;
	old) start_tool "$TMP/tool" '^ *HITS' "${BENCH_CS_OLD:?BENCH_CS_OLD: a cachestat binary}" 1 || return 1 ;;
	cachetop) start_tool "$TMP/tool" '^ +PID UID' "$CT" -b 1 || return 1 ;;
	bpftrace)
		tracefs_on
		start_tool "$TMP/tool" '^ready' bpftrace "$BT_SCRIPT" || return 1
		;;
	floor) start_tool "$TMP/tool" '^ready' "$FLOOR" "$FLOOR.bpf.o" tp_btf || return 1 ;;
	bcc) start_tool "$TMP/tool" '^ *HITS' stdbuf -oL "$BCC/cachestat" 1 || return 1 ;;
	esac
	taskset -c "$CS_CPU" "$PCLOAD" -s -n "$REPS" read "$BIGFILE" "$CHUNK" >"$TMP/wl.out" &
	wl_pid=$!
	wait_stopped "$wl_pid" || { note "workload did not start"; return 1; }
	if [ "$mode" = pid ]; then
		start_tool "$TMP/tool" '^ *HITS' "$CS" -p "$wl_pid" 1 || return 1
	elif [ "$mode" = oldpid ]; then
		start_tool "$TMP/tool" '^ *HITS' "$BENCH_CS_OLD" -p "$wl_pid" 1 || return 1
	fi
	[ "$mode" = untraced ] || bpf_stats_begin "$TOOL_PID"
	run_stopped "$mode" "$wl_pid"
	[ "$mode" = untraced ] || bpf_stats_end
	grep -q "^pages=$((REPS * BIG_PAGES))\$" "$TMP/wl.out" || { note "workload failed"; return 1; }
	case $mode in
	untraced) return 0 ;;
	system | old | cachetop | bcc) sleep 1.1; stop_tool INT ;;	# one more report covers the tail
	floor) stop_tool INT ;;
	pid | oldpid) stop_tool ;;		# exits by itself after the pid
	bpftrace) sleep 1.1; stop_tool INT; tracefs_off ;;
	esac
	tool_figures
	case $mode in
	bpftrace) R[seen]=$(sum_cols "$TOOL_OUT" 2 -- 1 @acc:) ;;
	floor) ;;	# counts nothing
	cachetop) R[seen]=$(sum_cols "$TOOL_OUT" 4 5 -- 3 pcload) ;;
	bcc) R[seen]=$(sum_cols "$TOOL_OUT" 1 2) ;;
	*) R[seen]=$(sum_cols "$TOOL_OUT" 1 2) ;;
	esac
}

# cachestat's workload, N warm reads of BIGFILE
cs_reads() { taskset -c "$CS_CPU" "$PCLOAD" -n "$1" read "$BIGFILE" "$CHUNK"; }

# acc_case NAME FIELD TRUTH WORKLOAD...: one accuracy line, the tool's FIELD
# summed over its reports against TRUTH
acc_case() {
	local name=$1 field=$2 truth=$3
	shift 3
	trace_workload "$TMP/acc-$name" "$CS" -- "$@" ||
		die "accuracy $name: tool did not attach (rc $TOOL_RC): $(head -c 300 "$TMP/acc-$name.err")"
	[ "$TOOL_RC" = 0 ] || die "accuracy $name: cachestat exited with $TOOL_RC"
	[ "$WL_OUT" = "pages=$truth" ] || die "accuracy $name: workload printed '$WL_OUT'"
	emit kind=accuracy tool=cachestat case="$name" field="$field" \
		count="$(jsum "$TMP/acc-$name" "$field")" truth="$truth"
}

# acc_matrix NAME STATE PAGES FIELD WORKLOAD...: one cell of cachestat's
# accuracy matrix (tests/func/cachestat.sh) on a fresh file of PAGES pages:
# STATE cold (evicted), warm-read or warm-mmap (cached by one read() or mmap
# pass, then pinned: this machine pages out idle page cache)
acc_matrix() {
	local name=$1 state=$2 pages=$3 field=$4 f=$TMP/acc-m.dat
	shift 4
	[ "$(stat -c %s "$f" 2>/dev/null)" = $((pages * 4096)) ] ||
		"$PCLOAD" create "$f" "$pages" || die "cannot create $f"
	"$PCLOAD" evict "$f"
	case $state in
	warm-read) "$PCLOAD" read "$f" >/dev/null; pin "$f" || note "warning: could not pin $f" ;;
	warm-mmap) "$PCLOAD" mmap "$f" >/dev/null; pin "$f" || note "warning: could not pin $f" ;;
	esac
	acc_case "$name" "$field" "$pages" "${@//F/$f}"
	unpin
}

cs_accuracy() {
	local f=$TMP/acc.dat w=$TMP/acc-write.dat
	"$PCLOAD" create "$f" "$ACC_PAGES" || die "cannot create $f"
	[ "$("$PCLOAD" resident "$f")" -eq 0 ] || note "warning: $f not fully evicted"
	acc_case cold_read misses "$ACC_PAGES" read "$f"
	# this machine's page cache is trimmed from outside: hold the file (tests/lib pin)
	pin "$f" || note "warning: could not pin $f"
	acc_case warm_read hits "$ACC_PAGES" read "$f"
	unpin
	acc_case write dirties "$ACC_PAGES" write "$w" "$ACC_PAGES"
	rm -f "$f" "$w"
	# the matrix's large-file and interval cells: 10 MiB spread over ~4
	# intervals, 128 and 512 MiB (large folios, 2 MiB PMD mappings)
	acc_matrix cold_read_paced_10m cold 2560 misses -w 300 read F
	acc_matrix cold_mmap_paced_10m cold 2560 misses -w 300 mmap F
	acc_matrix warm_mmap_bymmap_128m warm-mmap 32768 hits mmap F
	acc_matrix cold_mmap_huge_128m cold 32768 misses mmap F hugepage
	acc_matrix warm_mmap_huge_128m warm-read 32768 hits mmap F hugepage
	acc_matrix cold_read_512m cold 131072 misses read F
	acc_matrix warm_mmap_byread_512m warm-read 131072 hits mmap F
	acc_matrix warm_splice_512m warm-read 131072 hits splice F
	rm -f "$TMP/acc-m.dat"
}

bench_cachestat() {
	local i resident
	[ -x "$CS" ] || die "$CS missing: run make"
	CS_CPU=$((NCPU - 1))
	write_bt_script
	BIGFILE=$TMP/big.dat
	"$PCLOAD" create "$BIGFILE" "$BIG_PAGES" || die "cannot create $BIGFILE"
	"$PCLOAD" read "$BIGFILE" >/dev/null
	calibrate_reps REPS 5000 cs_reads
	emit kind=meta tool=cachestat reps="$REPS" file_pages=$BIG_PAGES chunk_bytes=$CHUNK \
		reads_per_run=$((REPS * (BIG_PAGES + 1))) cpu="$CS_CPU" rounds="$ROUNDS" \
		acc_pages=$ACC_PAGES	# reads: + the read() that returns 0 at EOF
	note "cachestat: $ROUNDS rounds of pcload -n $REPS read 64MiB $CHUNK on CPU $CS_CPU"
	bcc_probe cachestat '^ *HITS' 1 1
	# shellcheck disable=SC2086
	bench_rounds cachestat '' cs_run ${BENCH_CS_MODES:-floor system pid cachetop bpftrace $BCC_MODE}
	resident=$("$PCLOAD" resident "$BIGFILE")
	emit kind=meta tool=cachestat resident_after="$resident"
	[ "$resident" -eq "$BIG_PAGES" ] || note "warning: only $resident of $BIG_PAGES pages still cached"
	rm -f "$BIGFILE"

	note "cachetop: process churn (leaker spawn RATE $CHURN_S)"
	churn_rows cachestat '^ +PID UID' "$CT" -b 1 || die "cachetop: process churn failed"
	for i in 1 2 3 4 5; do startup cachestat cachestat 'HITS' "$CS" -v 1 1; done
	for i in 1 2 3 4 5; do startup_screen cachestat "$CT"; done
	tracefs_on
	for i in 1 2 3; do startup cachestat bpftrace '^ready$' bpftrace "$BT_SCRIPT"; done
	tracefs_off
	cs_accuracy
}

# ---------------------------------------------------------------- reclaimlat

# A swap storm: memhog touches 200 MiB twice in a 64 MiB memory cgroup with a
# swapfile (the workload of tests/func/reclaimlat.sh). Each round (bench_rounds,
# the order alternating): untraced, then reclaimlat --json -P 1; untraced, then
# bpftrace timing the same stalls.
RL_PAGES=51200 RL_PASSES=2 RL_LIMIT_MB=64 RL_SWAP_MB=320

write_rl_bt_script() {
	# drsnoop-like timing of memcg and direct reclaim, kswapd periods and
	# shrinker calls, with histograms and pages: the same tracepoints
	RL_BT_SCRIPT=$TMP/reclaimlat.bt
	cat >"$RL_BT_SCRIPT" <<'EOF'
BEGIN { printf("ready\n"); }
tracepoint:vmscan:mm_vmscan_memcg_reclaim_begin { @m[tid] = nsecs; }
tracepoint:vmscan:mm_vmscan_memcg_reclaim_end /@m[tid]/ { @memcg_us = hist((nsecs - @m[tid]) / 1000); @pages = sum(args->nr_reclaimed); delete(@m[tid]); }
tracepoint:vmscan:mm_vmscan_direct_reclaim_begin { @d[tid] = nsecs; }
tracepoint:vmscan:mm_vmscan_direct_reclaim_end /@d[tid]/ { @direct_us = hist((nsecs - @d[tid]) / 1000); @pages = sum(args->nr_reclaimed); delete(@d[tid]); }
tracepoint:vmscan:mm_vmscan_kswapd_wake /!@k[tid]/ { @k[tid] = nsecs; }
tracepoint:vmscan:mm_vmscan_kswapd_sleep /@k[tid]/ { @kswapd_us = hist((nsecs - @k[tid]) / 1000); delete(@k[tid]); }
tracepoint:vmscan:mm_shrink_slab_start { @s[tid] = nsecs; }
tracepoint:vmscan:mm_shrink_slab_end /@s[tid]/ { @slab_us = hist((nsecs - @s[tid]) / 1000); delete(@s[tid]); }
interval:s:1 { print(@pages); clear(@pages); print(@memcg_us); clear(@memcg_us); }
END { clear(@m); clear(@d); clear(@k); clear(@s); clear(@pages); clear(@memcg_us); clear(@direct_us); clear(@kswapd_us); clear(@slab_us); }
EOF
}

# rl_run MODE (untraced | reclaimlat | bpftrace): one storm. R[cpu_ms]
# (memhog's user+sys: reclaim and the BPF programs run in its context),
# R[wall_us], R[pgsteal] (the pgsteal_anon + pgsteal_file delta), R[pswpout]
# (the pswpout delta), and for traced runs the tool_figures, R[pages] (pages
# reclaimed the tracer saw) and for reclaimlat R[swap_out] (the swap-outs it
# reported).
rl_run() {
	local mode=$1 hog s0 o0
	case $mode in
	reclaimlat) start_tool "$TMP/rl" '^\{' "$RL" --json -P 1 || return 1 ;;
	bpftrace)
		tracefs_on
		start_tool "$TMP/rl" '^ready' bpftrace "$RL_BT_SCRIPT" || return 1
		;;
	esac
	( memcg_exec "$MEMHOG" -s -p "$RL_PASSES" "$RL_PAGES" >"$TMP/hog.out" ) &
	hog=$!
	wait_stopped "$hog" || { note "memhog did not start"; return 1; }
	s0=$(vmstat pgsteal_anon pgsteal_file) o0=$(vmstat pswpout)
	run_stopped "$mode" "$hog" || { note "memhog failed"; return 1; }
	R[pgsteal]=$(($(vmstat pgsteal_anon pgsteal_file) - s0))
	R[pswpout]=$(($(vmstat pswpout) - o0))
	[ "$mode" = untraced ] && return 0
	sleep 1.1
	stop_tool INT
	[ "$mode" = bpftrace ] && tracefs_off
	tool_figures
	if [ "$mode" = bpftrace ]; then
		R[pages]=$(sum_cols "$TOOL_OUT" 2 -- 1 @pages:)
	else
		R[pages]=$(jq -s 'map((.classes.memcg.pages // 0) + (.classes.direct.pages // 0) + (.classes.kswapd.pages // 0)) | add' "$TOOL_OUT")
		R[swap_out]=$(jq -s 'map(.swap.out_pages // 0) | add' "$TOOL_OUT")
	fi
}

bench_reclaimlat() {
	local i
	[ -x "$RL" ] || die "$RL missing: run make"
	# shellcheck source=tests/lib/memcg.sh
	. "$ROOT/tests/lib/memcg.sh"
	swap_on "$RL_SWAP_MB" || die "reclaimlat: cannot add a swapfile on $SCRATCH"
	memcg_new bench "$RL_LIMIT_MB" || die "reclaimlat: cannot create a memory cgroup"
	write_rl_bt_script
	emit kind=meta tool=reclaimlat pages=$RL_PAGES passes=$RL_PASSES memcg_limit_mb=$RL_LIMIT_MB \
		swap_mb=$RL_SWAP_MB rounds="$ROUNDS"
	note "reclaimlat: $ROUNDS rounds of memhog -p $RL_PASSES $RL_PAGES in a $RL_LIMIT_MB MiB memory cgroup"
	bench_rounds reclaimlat '' rl_run reclaimlat bpftrace
	memcg_cleanup
	for i in 1 2 3 4 5; do startup reclaimlat reclaimlat first "$RL" --json 1 1; done
}

# ---------------------------------------------------------------- slabratetop

ST=$BUILD/slabratetop
SL_LOAD=$BUILD/tests/func/slabload
SL_N=${BENCH_SLAB_N:-200000}	# stat()s of missing names per run: one dentry allocation each

# sl_run MODE (untraced | slabratetop | bpftrace): SL_N stat()s of names
# that do not exist (fresh names each run: each allocates a dentry).
# R[cpu_ms], R[wall_us]; traced: the tool_figures.
sl_run() {
	local mode=$1 wl
	case $mode in
	slabratetop) start_tool "$TMP/sl" '^\{' "$ST" --json 1 || return 1 ;;
	bpftrace)
		tracefs_on
		start_tool "$TMP/sl" '^ready' bpftrace -e 'BEGIN { printf("ready\n"); }
			tracepoint:kmem:kmem_cache_alloc { @alloc = count(); }
			tracepoint:kmem:kmem_cache_free { @free = count(); }
			tracepoint:kmem:kmalloc { @kmalloc = count(); }
			tracepoint:kmem:kfree { @kfree = count(); }' || return 1
		;;
	esac
	mkdir -p "$TMP/slneg"
	( kill -STOP "$BASHPID"; exec "$SL_LOAD" dentries "$TMP/slneg" "$SL_N" <<<go >/dev/null ) &
	wl=$!
	wait_stopped "$wl" || { note "slabload did not start"; return 1; }
	run_stopped "$mode" "$wl" || { note "slabload failed"; return 1; }
	[ "$mode" = untraced ] && return 0
	stop_tool INT
	[ "$mode" = bpftrace ] && tracefs_off
	tool_figures
}

# Its lines are kind "slab_run" (report.py has no slabratetop table yet):
# the summary is printed here, ns added per stat() and the tracer's CPU,
# the medians over the rounds of traced - untraced of the same pair.
bench_slabratetop() {
	[ -x "$ST" ] || die "$ST missing: run make"
	emit kind=meta tool=slabratetop stats=$SL_N rounds="$ROUNDS"
	note "slabratetop: $ROUNDS rounds of $SL_N stat()s of missing names"
	local r m pair=0 u
	for ((r = 1; r <= ROUNDS; r++)); do
		for m in slabratetop bpftrace; do
			pair=$((pair + 1))
			R=()
			sl_run untraced || die "sl_run untraced failed"
			u=${R[cpu_ms]}
			emit kind=slab_run round=$r pair=$pair mode=untraced cpu_ms="$u" wall_us="${R[wall_us]}"
			R=()
			sl_run "$m" || die "sl_run $m failed"
			emit kind=slab_run round=$r pair=$pair mode="$m" cpu_ms="${R[cpu_ms]}" \
				wall_us="${R[wall_us]}" tool_cpu_ms="${R[tool_cpu_ms]}" rss_kb="${R[rss_kb]}"
		done
	done
	jq -s -r --argjson n "$SL_N" '
		map(select(.kind == "slab_run")) | group_by(.pair) |
		map({mode: (map(select(.mode != "untraced"))[0].mode),
		     ns: (((map(select(.mode != "untraced"))[0].cpu_ms) - (map(select(.mode == "untraced"))[0].cpu_ms)) * 1e6 / $n),
		     base: ((map(select(.mode == "untraced"))[0].cpu_ms) * 1e6 / $n),
		     tool: (map(select(.mode != "untraced"))[0].tool_cpu_ms)}) |
		group_by(.mode)[] | sort_by(.ns) | .[(length / 2 | floor)] as $m |
		"slabratetop bench: \($m.mode): +\($m.ns | floor) ns per stat() of a missing name (untraced \($m.base | floor) ns), tracer CPU \($m.tool) ms (median of \(length))"' "$RUNS" >&2
}

# ---------------------------------------------------------------- faultstat

FS=$BUILD/faultstat
FS_SPAWN=$BUILD/tests/func/faultstat_spawn
FS_MEMHOG=$BUILD/tests/func/memhog
FS_PAGES=2000		# pages each child of the fault workload touches
FS_WARM=50		# children of the unmeasured pass just before each run

# fs_run MODE: one timed run of the fault workload (untraced | count | detail
# | bpftrace): R[cpu_ms], R[wall_us], R[truth] (the children's own getrusage
# minor faults), and for traced runs the tool_figures and R[seen] (minor
# faults it counted for the workload's children, from its own output). Each
# run, the tracer attached, first runs FS_WARM children unmeasured: the
# balloon hands freed pages back to the host within ~2 s, and without it a
# run that starts after a tracer's start-up pays host faults its untraced
# partner did not.
fs_run() {
	local mode=$1 wl_pid p n
	local -A want=()
	case $mode in
	count) start_tool "$TMP/fstool" '^' "$FS" --json 1 || return 1 ;;
	detail) start_tool "$TMP/fstool" '^' "$FS" --json -d 1 || return 1 ;;
	bpftrace)
		start_tool "$TMP/fstool" '^ready' bpftrace -e 'BEGIN { printf("ready\n"); }
			software:page-faults:1 { @[pid] = count(); }' || return 1
		;;
	esac
	"$FS_SPAWN" "$FS_WARM" "$FS_PAGES" >/dev/null
	"$FS_SPAWN" -s "$FS_REPS" "$FS_PAGES" >"$TMP/fswl.out" &
	wl_pid=$!
	wait_stopped "$wl_pid" || { note "workload did not start"; return 1; }
	run_stopped "$mode" "$wl_pid"
	[ "$(wc -l <"$TMP/fswl.out")" = "$FS_REPS" ] || { note "workload failed"; return 1; }
	R[truth]=0
	while read -r p n _; do
		want[${p#pid=}]=1
		R[truth]=$((R[truth] + ${n#minflt=}))
	done <"$TMP/fswl.out"
	[ "$mode" = untraced ] && return 0
	sleep 1.1
	stop_tool INT
	tool_figures
	if [ "$mode" = bpftrace ]; then
		R[seen]=0
		while read -r p n; do		# "@[1234]: 2003"
			p=${p#@[} p=${p%]:}
			[ -n "${want[$p]:-}" ] && R[seen]=$((R[seen] + n))
		done < <(grep '^@\[' "$TOOL_OUT")
	else
		R[seen]=$(jq -s --slurpfile p <(printf '%s\n' "${!want[@]}" | jq -s .) \
			'[.[].rows[] | select(.pid as $x | $p[0] | index($x)) | .minor] | add // 0' "$TOOL_OUT")
	fi
	return 0
}

# faultstat's workload, N spawned processes touching FS_PAGES each
fs_spawns() { "$FS_SPAWN" "$1" "$FS_PAGES"; }

# minflt_of FILE: memhog's "pass=1 minflt=N" count
minflt_of() { sed -n 's/^pass=1 minflt=\([0-9]*\).*/\1/p' "$1"; }

# churn_run TOOL RATE READY CMD...: CMD (a tracer) attached, then `leaker
# spawn RATE CHURN_S`: RATE short-lived processes a second; emits {kind:
# "churn", tool, rate, secs, spawned, tool_cpu_ms (the tracer's user+sys
# over the churn), rss_kb}
CHURN_S=5
churn_run() {
	local name=$1 rate=$2 re=$3 c0 c1 t0 t1 cmd
	shift 3
	cmd="${1##*/} ${*:2}"
	start_tool "$TMP/churn" "$re" "$@" || return 1
	c0=$(cpu_ms "$TOOL_PID")
	t0=${EPOCHREALTIME/./}
	"$LEAKER" spawn "$rate" "$CHURN_S" >"$TMP/churn.wl" || { note "leaker spawn failed"; return 1; }
	t1=${EPOCHREALTIME/./}
	c1=$(cpu_ms "$TOOL_PID")
	stop_tool INT
	emit kind=churn tool="$name" tracer="$cmd" rate="$rate" secs="$CHURN_S" wall_us=$((t1 - t0)) \
		spawned="$(sed -n 's/^spawned \([0-9]*\) .*/\1/p' "$TMP/churn.wl")" \
		tool_cpu_ms=$((c1 - c0)) rss_kb="$TOOL_RSS_KB" killed="$TOOL_KILLED"
}

# churn_rows TOOL READY CMD...: churn_run at each rate of BENCH_SPAWN_RATES
# (default 500 and 2000 a second), ROUNDS times
churn_rows() {
	local r rate
	for ((r = 1; r <= ROUNDS; r++)); do
		for rate in ${BENCH_SPAWN_RATES-500 2000}; do
			churn_run "$1" "$rate" "${@:2}" || return 1
		done
	done
}

bench_faultstat() {
	local i hp pid min maj k v _
	[ -x "$FS" ] && [ -x "$FS_SPAWN" ] && [ -x "$FS_MEMHOG" ] || die "faultstat or its workloads missing: run make"
	calibrate_reps FS_REPS 20000 fs_spawns
	emit kind=meta tool=faultstat reps="$FS_REPS" pages_each=$FS_PAGES warm_children=$FS_WARM \
		rounds="$ROUNDS"
	note "faultstat: $ROUNDS rounds of faultstat_spawn $FS_REPS $FS_PAGES (fork, touch $FS_PAGES pages, exit)"
	bench_rounds faultstat '' fs_run count detail bpftrace
	note "faultstat: process churn (leaker spawn RATE $CHURN_S)"
	churn_rows faultstat '^' "$FS" --json 1 || die "faultstat: process churn failed"
	for i in 1 2 3 4 5; do startup faultstat faultstat first "$FS" --json 1 1; done
	for i in 1 2 3 4 5; do startup_screen faultstat "$FS"; done

	# accuracy: memhog's own getrusage; perf stat on the same workload
	"$FS_MEMHOG" -s 25600 >"$TMP/fshog.out" &
	hp=$!
	wait_stopped "$hp" || die "memhog did not start"
	"$FS" --json -p "$hp" 1 >"$TMP/fsacc.json" 2>/dev/null &
	pid=$!
	echo "$pid" >>"$TMP/own.pids"
	wait_lines "$TMP/fsacc.json" 15 || die "faultstat did not attach"
	bpf_own "$pid"
	kill -CONT "$hp"
	wait "$hp"
	stop_pid "$pid"
	wait "$pid"
	emit kind=accuracy tool=faultstat case=memhog_25600 field=minor \
		count="$(jq -s "[.[].rows[] | select(.pid == $hp) | .minor] | add // 0" "$TMP/fsacc.json")" \
		truth="$(minflt_of "$TMP/fshog.out")"
	command -v perf >/dev/null || return 0
	perf stat -x, -e minor-faults,major-faults -o "$TMP/perf.out" "$FS_MEMHOG" 25600 >"$TMP/fshog2.out" 2>/dev/null
	min=null maj=null
	while IFS=, read -r v _ k _; do
		case $k in minor-faults*) min=$v ;; major-faults*) maj=$v ;; esac
	done <"$TMP/perf.out"
	emit kind=accuracy tool=faultstat case=perf_stat field=minor count="$min" major="$maj" \
		truth="$(minflt_of "$TMP/fshog2.out")"
}

# ---------------------------------------------------------------- bcc

# bcc's libbpf-tools, the peers of cachestat and memleak: built by
# bench/bcc.sh from BCC_SRC into build/bench/bcc (BCC_STATUS: its line)
BCC=$OUTDIR/bcc
BCC_STATUS=
BCC_MODE=

# bcc_probe TOOL READY ARGS...: BCC_MODE=bcc when bcc's TOOL was built and,
# started with ARGS, prints a line matching READY (it attached); else
# BCC_MODE is empty. Emits {kind: "meta", tool: TOOL, bcc: "runs" or why not}.
bcc_probe() {
	local name=$1 re=$2 why
	shift 2
	BCC_MODE=
	if [[ $BCC_STATUS != built* ]]; then
		why="not built: ${BCC_STATUS:-bench/bcc.sh did not run}"
	else
		timeout -s INT 20 stdbuf -oL "$BCC/$name" "$@" >"$TMP/bcc.out" 2>"$TMP/bcc.err"
		if grep -Eq "$re" "$TMP/bcc.out"; then
			BCC_MODE=bcc
			why=runs
		else
			why="does not run on this kernel: $(grep -v '^$' "$TMP/bcc.err" | tail -n 3 | tr '\n' ';' | cut -c1-300)"
		fi
	fi
	note "bcc's $name: $why"
	emit kind=meta tool="$name" bcc="$why"
}

# ---------------------------------------------------------------- memleak

ML=$BUILD/memleak
LEAKER=$BUILD/tests/func/leaker

# leaker_stopped N T LIVE: starts `leaker pairs N T LIVE` in the background,
# stopped before its exec (leaker has no -s), its stdout in $TMP/ml.wl; sets ML_WL
leaker_stopped() {
	( kill -STOP "$BASHPID"; exec "$LEAKER" pairs "$1" "$2" "$3" ) >"$TMP/ml.wl" &
	ML_WL=$!
	wait_stopped "$ML_WL"
}

# ml_attach MODE PID: starts MODE's tracer on PID (start_tool)
ml_attach() {
	local pid=$2 o=(-v -O "$ML_LIBC" -p "$2")
	# the scaling rows' live blocks, and room beside them
	[ "$ML_LIVE" -gt 0 ] && o+=(--max-allocs $((ML_LIVE + 262144)))
	case $1 in
	multi) start_tool "$TMP/ml" 'Attaching' "$ML" "${o[@]}" 1 ;;
	nosess) start_tool "$TMP/ml" 'Attaching' "$ML" "${o[@]}" --no-uprobe-session 1 ;;
	perfn) start_tool "$TMP/ml" 'Attaching' "$ML" "${o[@]}" --per-function-links 1 ;;
	s100) start_tool "$TMP/ml" 'Attaching' "$ML" "${o[@]}" -s 100 1 ;;
	bpftrace) start_tool "$TMP/ml" '^ready' bpftrace -p "$pid" "$ML_BT" ;;
	bcc) start_tool "$TMP/ml" 'Attaching' stdbuf -oL "$BCC/memleak" -p "$pid" 1 ;;
	# another memleak binary beside this one (a before/after in one run)
	old) start_tool "$TMP/ml" 'Attaching' "${BENCH_ML_OLD:?BENCH_ML_OLD: a memleak binary}" "${o[@]}" 1 ;;
	floor)
		# shellcheck disable=SC2086 # the offsets are words
		start_tool "$TMP/ml" '^ready' "$FLOOR" "$FLOOR.bpf.o" "$pid" "$ML_LIBC" $ML_FLOOR_OFFS
		;;
	esac
}

# ml_run MODE: one run of `leaker pairs N ML_T` (ML_T threads), untraced
# (ML_NU pairs a thread) or traced (ML_N) by memleak -p as it runs by default
# (multi: a uprobe session link on v6.13+, else uprobe_multi links), with
# uprobe_multi links (nosess), one link per function (perfn), sampling one
# call in 100 (s100: with a session link the others skip the return probe),
# or by bpftrace (ML_BT). The leaker is stopped before its exec and the
# tracer attached to its pid, as -c does, so that its CPU is ours to
# measure: R[cpu_ms], R[wall_us], R[pairs] (all threads), R[wl_ns_per_pair]
# (the leaker's own wall time per pair: throughput), and when traced the
# tool_figures.
ml_run() {
	local n=$ML_N
	[ "$1" = untraced ] && n=$ML_NU
	leaker_stopped "$n" "$ML_T" "$ML_LIVE" || { note "leaker did not start"; return 1; }
	if [ "$1" != untraced ]; then
		ml_attach "$1" "$ML_WL" || return 1
		bpf_stats_begin "$TOOL_PID"
	fi
	run_stopped "$1" "$ML_WL" || { note "leaker failed"; return 1; }
	[ "$1" = untraced ] || bpf_stats_end
	R[pairs]=$((n * ML_T))
	R[wl_ns_per_pair]=$(sed -n 's/^ns_per_pair \([0-9.]*\)$/\1/p' "$TMP/ml.wl" | tail -1)
	[ -n "${R[wl_ns_per_pair]}" ] || { note "leaker printed no ns_per_pair"; return 1; }
	R[wl_cpu_ns_per_pair]=$(sed -n 's/^cpu_ns_per_pair \([0-9.]*\)$/\1/p' "$TMP/ml.wl" | tail -1)
	R[live]=$ML_LIVE
	[ "$1" = untraced ] && return 0
	case $1 in
	floor | bcc) stop_tool INT ;;	# neither exits with its target
	*) stop_tool ;;		# memleak and bpftrace -p exit after the pid
	esac
	tool_figures
}

# ml_detach MODE: detach measured from outside on a live target: a leaker
# running pairs for good, MODE's tracer attached; then SIGINT and the time
# until the tracer has exited (exit_us; SIGKILL after STOP_GRACE_S, killed=1)
# and until every program and link it held is gone (gone_us), with the
# leaker still running (target_alive)
ml_detach() {
	local t0 t1 t2 ids=$TMP/ml.ids alive=1 killed=0 target
	"$LEAKER" pairs 2000000000 1 >/dev/null &
	target=$!
	ml_attach "$1" "$target" || return 1
	bpf_ids_of "$TOOL_PID" >"$ids"
	nap 0.5
	t0=${EPOCHREALTIME/./}
	kill -INT "$TOOL_PID"
	if ! gone "$TOOL_PID" "$STOP_GRACE_S"; then
		note "memleak detach, $1: the tracer ignored SIGINT for $STOP_GRACE_S s: SIGKILL"
		kill -KILL "$TOOL_PID"
		killed=1
	fi
	t1=${EPOCHREALTIME/./}
	while bpf_loaded "$ids" >/dev/null; do
		[ $((${EPOCHREALTIME/./} - t0)) -gt $((2 * STOP_GRACE_S * 1000000)) ] && break
	done
	t2=${EPOCHREALTIME/./}
	gone "$target" 0 && alive=0
	stop_tool
	kill "$target"
	wait "$target" 2>/dev/null
	emit kind=detach tool=memleak mode="$1" exit_us=$((t1 - t0)) gone_us=$((t2 - t0)) \
		objects="$(wc -l <"$ids")" target_alive=$alive killed=$killed
}

bench_memleak() {
	local t r sp
	[ -x "$ML" ] && [ -x "$LEAKER" ] || die "$ML or $LEAKER missing: run make"
	ML_N=${BENCH_ML_PAIRS:-200000} ML_NU=2000000
	ML_LIBC=$(ldd "$LEAKER" | sed -n 's/.*libc\.so\.6 => \([^ ]*\).*/\1/p')
	[ -r "$ML_LIBC" ] || die "no libc for $LEAKER"
	ML_BT=$TMP/memleak.bt
	[ -x "$FLOOR" ] || die "$FLOOR missing: run make"
	# the floor's uprobes: where memleak puts malloc's and free's (free past
	# its first instruction), from its own list
	ML_FLOOR_OFFS=$("$ML" --probes -p $$ 2>/dev/null |
		awk '$1 == "malloc" { m = $2 } $1 == "free" { f = $2 } END { if (m && f) print m, m "r", f }')
	[ -n "$ML_FLOOR_OFFS" ] || die "memleak --probes named no malloc and free offsets"
	if "$ML" -v --probes -p $$ 2>&1 | grep -q "uprobe session"; then
		ML_LINKS="session link"
	else
		ML_LINKS="uprobe_multi links"
	fi
	# what memleak does per call: size at entry, address -> size and stack
	# at return, delete at free
	cat >"$ML_BT" <<EOF
BEGIN { printf("ready\n"); }
uprobe:$ML_LIBC:malloc { @sz[tid] = arg0; }
uretprobe:$ML_LIBC:malloc /@sz[tid]/ { @a[retval] = @sz[tid]; @s[retval] = ustack; delete(@sz[tid]); }
uprobe:$ML_LIBC:free { delete(@a[arg0]); delete(@s[arg0]); }
END { clear(@sz); clear(@a); clear(@s); }
EOF
	bcc_probe memleak 'Attaching' -p $$ 1 1
	ML_MODES=${BENCH_ML_MODES-floor multi nosess perfn s100 bpftrace $BCC_MODE}
	ML_LIVE=0
	emit kind=meta tool=memleak pairs_traced="$ML_N" pairs_untraced=$ML_NU links="$ML_LINKS" \
		rounds="$ROUNDS"
	for t in 1 2; do
		ML_T=$t
		note "memleak: $ROUNDS rounds of leaker pairs with $t thread(s)"
		# shellcheck disable=SC2086
		[ -n "$ML_MODES" ] && bench_rounds memleak "${t}t" ml_run $ML_MODES
	done
	# scaling: the default tracer with LIVE blocks held through the pairs
	# (its tables that full), 1 and 2 threads
	for ML_LIVE in ${BENCH_ML_SCALE-1000 100000 1000000}; do
		for t in 1 2; do
			ML_T=$t
			note "memleak scaling: $ROUNDS rounds, $ML_LIVE live blocks, $t thread(s)"
			bench_rounds memleak "${t}t_${ML_LIVE}" ml_run multi
		done
	done
	ML_LIVE=0
	for ((r = 1; r <= ROUNDS; r++)); do
		for t in $ML_MODES; do
			[ "$t" = floor ] && continue	# not a tool
			ml_detach "$t" || die "memleak: detach with $t failed"
		done
	done
	# start-up: until memleak -p prints its header (attached)
	sleep 600 &
	sp=$!
	for r in 1 2 3; do startup memleak memleak 'Attaching' "$ML" -v -p "$sp" 1; done
	kill "$sp"
	wait "$sp" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root"
for c in jq bpftrace bpftool pgrep taskset python3 /usr/bin/time; do
	command -v "$c" >/dev/null || die "$c missing (scripts/deps.sh bench)"
done
[ -x "$PCLOAD" ] || die "$PCLOAD missing: run make"
[ "$(stat -f -c %T "$SCRATCH")" != tmpfs ] || die "SCRATCH=$SCRATCH is tmpfs; use a disk filesystem"
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
TMP=$(mktemp -d "$SCRATCH/memscope-bench.XXXXXX") || die "cannot create a directory in $SCRATCH"
if [[ " $TOOLS " == *" memleak "* || " $TOOLS " == *" cachestat "* ]]; then
	note "bcc's libbpf-tools: building from ${BCC_SRC:-/var/cache/memscope-bench/bcc} (bench/bcc.sh)"
	BCC_STATUS=$("$ROOT/bench/bcc.sh" "$BCC")
	note "bcc's libbpf-tools: $BCC_STATUS"
fi
: >"$TMP/own.ids"
: >"$TMP/own.pids"
BPF_BEFORE=$(bpf_list)
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
for t in $TOOLS; do
	declare -F "bench_$t" >/dev/null || die "no benchmark for tool '$t'"
done

: >"$RUNS"
bpf_stats_on
emit kind=host time="$(date -u +%Y-%m-%dT%H:%M:%SZ)" kernel="$(uname -r)" cpus="$NCPU" \
	scratch="$SCRATCH ($(stat -f -c %T "$SCRATCH"))" tools="$TOOLS"
for t in $TOOLS; do
	"bench_$t" || die "$t failed"
done
[ -n "${BENCH_TOOLS:-}" ] || bash "$ROOT/bench/exporter.sh" || die "bench/exporter.sh failed"
bpf_check || die "programs or links of the bench's tracers are still loaded"
python3 "$ROOT/bench/report.py" "$RUNS" "$RESULTS" || die "report.py failed"
