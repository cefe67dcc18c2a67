#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# memscope benchmark (run as root, after `make`; `make bench` does both).
#   bench/bench.sh            all tools (cachestat, memleak, faultstat, reclaimlat)
#   BENCH_TOOLS=cachestat bench/bench.sh
# Prints a table and writes the same figures to build/bench/results.json:
#   {"time", "kernel", "host", "tools": {"cachestat": {...}, <later tools>...}}
# Entries of tools not run this time are kept from the previous results.json.
# Knobs: BENCH_REPS (workload repetitions; default: calibrated to ~2.5 s),
#        BENCH_ROUNDS (interleaved rounds, default 3), SCRATCH (default /var/tmp).
# See bench/README.md for what each figure means.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=tests/lib/common.sh
. "$ROOT/tests/lib/common.sh"

CS=$BUILD/cachestat
CT=$BUILD/cachetop
RL=$BUILD/reclaimlat
OUTDIR=$BUILD/bench
RESULTS=$OUTDIR/results.json
TOOLS=${BENCH_TOOLS:-cachestat memleak faultstat reclaimlat}
ROUNDS=${BENCH_ROUNDS:-3}
TARGET_S=2.5		# untraced duration the workload is calibrated to
BIG_PAGES=16384		# 64 MiB warm file for the overhead runs
CHUNK=4096		# bytes per read(): one tracepoint hit per page
ACC_PAGES=2560		# accuracy file

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------- cleanup

TMP=
MOUNTED_TRACEFS=

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
	local pids p
	trap - EXIT INT TERM HUP
	pids=$(descendants $$)
	if [ -n "$pids" ]; then
		# the leaves (tools, workloads) first: a /usr/bin/time wrapper then
		# exits by itself after reaping its child, leaving no orphan
		for p in $pids; do
			[ -z "$(pgrep -P "$p")" ] || continue
			kill -TERM "$p" 2>/dev/null
			kill -CONT "$p" 2>/dev/null	# a stopped pcload dies once resumed
		done
		sleep 0.3
		for p in $pids; do
			[ -d "/proc/$p" ] && kill -KILL "$p" 2>/dev/null
		done
		wait 2>/dev/null
	fi
	tracefs_off
	declare -F memcg_cleanup >/dev/null && memcg_cleanup	# reclaimlat's swap storm
	[ -n "$TMP" ] && rm -rf "$TMP"
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

# ---------------------------------------------------------------- helpers

now_us() { echo "${EPOCHREALTIME/./}"; }

# state PID: the one-letter process state, empty when gone
pstate() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; echo "${s%% *}"; }

# cpu_ticks PID: utime + stime (all threads), in clock ticks
cpu_ticks() {
	local s fld
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	# shellcheck disable=SC2206
	fld=(${s##*) })
	echo $((fld[11] + fld[12]))
}

# child_of PID: its first child (waits up to 5 s for the fork)
child_of() {
	local t=100 c
	while [ $t -gt 0 ]; do
		c=$(pgrep -P "$1" | head -1)
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.05
		t=$((t - 1))
	done
	return 1
}

# wait_exit PID SECS: waits (bounded) for our child PID to exit, reaps it
wait_exit() {
	local pid=$1 t=$(($2 * 20)) st
	while [ $t -gt 0 ]; do
		st=$(pstate "$pid") || break
		[ "$st" = Z ] && break
		sleep 0.05
		t=$((t - 1))
	done
	if [ $t -le 0 ]; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

# wait_match FILE ERE SECS PID: until a line of FILE matches, or PID is gone
wait_match() {
	local f=$1 re=$2 t=$(($3 * 50)) pid=$4 st
	while [ $t -gt 0 ]; do
		grep -Eq "$re" "$f" 2>/dev/null && return 0
		st=$(pstate "$pid") || return 1
		[ "$st" = Z ] && return 1
		sleep 0.02
		t=$((t - 1))
	done
	return 1
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "null"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minof() { printf '%s\n' "$@" | sort -g | head -1; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
# calc EXPR: awk arithmetic, printed with %.Nf when a second argument is given
calc() { awk "BEGIN { v = $1; printf(\"${2:-%.6g}\", v) }"; }
jarr() { printf '%s\n' "$@" | jq -s -c .; }

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
# its stdout matches READY_ERE (= attached). Sets TOOL_TP (time's pid),
# TOOL_PID (the tool's), TOOL_OUT.
start_tool() {
	local out=$1 re=$2
	shift 2
	TOOL_OUT=$out
	/usr/bin/time -f '%U %S %M' -o "$out.time" "$@" >"$out" 2>"$out.err" &
	TOOL_TP=$!
	TOOL_PID=$(child_of "$TOOL_TP") || { note "$1 did not start"; return 1; }
	if ! wait_match "$out" "$re" 30 "$TOOL_PID"; then
		note "$1 did not attach: $(head -c 600 "$out.err")"
		kill -INT "$TOOL_PID" 2>/dev/null
		wait_exit "$TOOL_TP" 5
		return 1
	fi
}

# stop_tool [signal]: stops the tool (unless it exits by itself), sets
# TOOL_CPU_TOTAL_MS and TOOL_RSS_KB from /usr/bin/time.
stop_tool() {
	local u s m
	[ -n "${1:-}" ] && kill "-$1" "$TOOL_PID" 2>/dev/null
	wait_exit "$TOOL_TP" 10
	read -r u s m < <(tail -1 "$TOOL_OUT.time")
	TOOL_CPU_TOTAL_MS=$(calc "($u + $s) * 1000" %.0f)
	TOOL_RSS_KB=$m
}

# ---------------------------------------------------------------- rounds

# R: the figures of one run, set by a tool's run function for bench_rounds
declare -A R=()

# bench_rounds ARRAY RUNFN MODE...: every tool's overhead runs. ROUNDS
# rounds; each goes through the MODEs in an order rotated by the round, so
# that no mode always runs at the same point of a round, and for each MODE
# runs `RUNFN untraced`, then `RUNFN MODE`. RUNFN returns non-zero when the
# run failed, and reports its figures as R[FIGURE]=NUMBER (R is emptied
# before each run). ARRAY (global, associative, made anew) gets, one value
# a round, space-separated:
#   [FIGURE.untraced], [FIGURE.MODE]   the figures of the runs;
#   [cpu_ratio.MODE], [wall_ratio.MODE]   when the runs report cpu and wall,
#       the traced run's over the untraced run's just before it.
bench_rounds() {
	local runfn=$2 r i m f order ucpu uwall
	declare -gA "$1=()"
	local -n br_v=$1
	shift 2
	local modes=("$@")
	for ((r = 0; r < ROUNDS; r++)); do
		order=()
		for ((i = 0; i < ${#modes[@]}; i++)); do
			order+=("${modes[(i + r) % ${#modes[@]}]}")
		done
		for m in "${order[@]}"; do
			R=()
			"$runfn" untraced || die "$runfn: untraced run failed"
			for f in "${!R[@]}"; do br_v["$f.untraced"]+=" ${R[$f]}"; done
			ucpu=${R[cpu]:-} uwall=${R[wall]:-}
			note "  round $((r + 1)): untraced $(rounds_brief)"
			R=()
			"$runfn" "$m" || die "$runfn: run with $m failed"
			for f in "${!R[@]}"; do br_v["$f.$m"]+=" ${R[$f]}"; done
			[ -n "$ucpu" ] && br_v["cpu_ratio.$m"]+=" $(calc "${R[cpu]} / $ucpu" %.4f)"
			[ -n "$uwall" ] && br_v["wall_ratio.$m"]+=" $(calc "${R[wall]} / $uwall" %.4f)"
			note "  round $((r + 1)): $m $(rounds_brief)"
		done
	done
}

# rounds_brief: R as "name=value ...", for the progress notes
rounds_brief() {
	local f
	for f in "${!R[@]}"; do echo "$f=${R[$f]}"; done | sort | paste -sd' '
}

# run_stopped MODE PID: resumes the stopped workload PID, waits for it and
# returns its exit status. Sets R[wall] and R[cpu] (the workload's user+sys:
# BPF programs run in its context, so their cost lands there; other load on
# the machine mostly does not). In a traced MODE, first notes the tool's CPU
# so far for tool_figures.
run_stopped() {
	local t0 t1 c0 rc
	[ "$1" != untraced ] && TOOL_CPU0=$(cpu_ticks "$TOOL_PID")
	children_cpu
	c0=$CHILD_CPU_US
	t0=$(now_us)
	kill -CONT "$2"
	wait "$2"
	rc=$?
	t1=$(now_us)
	children_cpu
	R[wall]=$(calc "($t1 - $t0) / 1e6" %.4f)
	R[cpu]=$(calc "($CHILD_CPU_US - $c0) / 1e6" %.3f)
	return $rc
}

# tool_figures: after stop_tool, R[tool_cpu] (the tool's user+sys from the
# workload's start to its exit, ms), R[tool_cpu_total] (its whole life,
# start-up included) and R[rss] (its peak RSS, KiB)
tool_figures() {
	R[tool_cpu]=$((TOOL_CPU_TOTAL_MS - TOOL_CPU0 * 1000 / CLK_TCK))
	[ "${R[tool_cpu]}" -lt 0 ] && R[tool_cpu]=0	# 10 ms granularity
	R[tool_cpu_total]=$TOOL_CPU_TOTAL_MS
	R[rss]=$TOOL_RSS_KB
}

# ratio_str LIST: "median (min-max)"
ratio_str() {
	# shellcheck disable=SC2068
	printf '%s (%s-%s)' "$(calc "$(median $@)" %.3f)" "$(calc "$(minof $@)" %.2f)" "$(calc "$(maxof $@)" %.2f)"
}

# rounds_get ARRAY MODE SPEC: one figure of MODE from bench_rounds' ARRAY
#   med:FIG        median of the FIG values (null when there are none)
#   meds:FIG/FIG2  both medians, "A/B"
#   range:FIG      "median (min-max)" of a ratio, as ratio_str
#   mb:FIG         median of a KiB figure in MiB, one decimal (or null)
#   list:FIG       the values as a JSON array
#   +ns:EVENTS     the extra workload CPU per event, ns, from the median
#                  cpu_ratio and the untraced runs' median cpu
#   fn:FUNC        what FUNC MODE prints
#   =TEXT          TEXT
# shellcheck disable=SC2086
rounds_get() {
	local -n rg_v=$1
	local m=$2 spec=$3 v
	case $spec in
	med:*)
		v=${rg_v[${spec#med:}.$m]:-}
		if [ -n "${v// /}" ]; then median $v; else echo null; fi
		;;
	meds:*)
		spec=${spec#meds:}
		echo "$(rounds_get "$1" "$m" "med:${spec%/*}")/$(rounds_get "$1" "$m" "med:${spec#*/}")"
		;;
	range:*) ratio_str ${rg_v[${spec#range:}.$m]} ;;
	mb:*)
		v=$(rounds_get "$1" "$m" "med:${spec#mb:}")
		if [ "$v" = null ]; then echo null; else calc "$v / 1024" %.1f; fi
		;;
	list:*) jarr ${rg_v[${spec#list:}.$m]:-} ;;
	+ns:*)
		calc "($(rounds_get "$1" "$m" med:cpu_ratio) - 1) * $(rounds_get "$1" untraced med:cpu) * 1e9 / ${spec#+ns:}" %.0f
		;;
	fn:*) "${spec#fn:}" "$m" ;;
	=*) echo "${spec#=}" ;;
	*) die "rounds_get: bad spec '$spec'" ;;
	esac
}

# rounds_table ARRAY FORMAT CELLS FIELDS MODE=LABEL...: the summary of
# bench_rounds' ARRAY, a mode a line: printf FORMAT of the rounds_get specs
# in the array named CELLS ("label" is the mode's LABEL; null prints as -),
# and in ROUNDS_JSON the object {MODE: {FIELD: value...}...} of the FIELD=SPEC
# entries of the array named FIELDS (label as a string, the rest as JSON).
rounds_table() {
	local arr=$1 fmt=$2 pair m label spec f v i prog cols args objs=()
	local -n rt_cells=$3 rt_fields=$4
	shift 4
	for pair in "$@"; do
		m=${pair%%=*} label=${pair#*=} cols=()
		for spec in "${rt_cells[@]}"; do
			if [ "$spec" = label ]; then v=$label; else v=$(rounds_get "$arr" "$m" "$spec"); fi
			[ "$v" = null ] && v=-
			cols+=("$v")
		done
		# shellcheck disable=SC2059
		printf "$fmt" "${cols[@]}"
		args=() prog='' i=0
		for f in "${rt_fields[@]}"; do
			spec=${f#*=}
			if [ "$spec" = label ]; then
				args+=(--arg "v$i" "$label")
			else
				args+=(--argjson "v$i" "$(rounds_get "$arr" "$m" "$spec")")
			fi
			prog+="${prog:+, }${f%%=*}: \$v$i"
			i=$((i + 1))
		done
		objs+=("$(jq -n -c --arg m "$m" "${args[@]}" "{(\$m): {$prog}}")") ||
			die "rounds_table: bad JSON for $m"
	done
	ROUNDS_JSON=$(printf '%s\n' "${objs[@]}" | jq -s -c add)
}

# ---------------------------------------------------------------- overhead

# children_cpu: sets CHILD_CPU_US to the user+sys of every child this shell
# has reaped so far, in microseconds (the second line of the `times` builtin,
# millisecond precision). Not to be called in $(): a subshell has no children.
children_cpu() {
	local line u s
	times >"$TMP/times"
	line=$(sed -n 2p "$TMP/times")		# "0m1.234s 0m0.567s"
	u=${line%% *} s=${line##* }
	CHILD_CPU_US=$(awk -v u="$u" -v s="$s" 'function sec(x, a) { split(x, a, /[ms]/); return a[1] * 60 + a[2] }
		BEGIN { printf("%.0f\n", (sec(u) + sec(s)) * 1e6) }')
}

# run_timed MODE: one timed workload run (untraced | system | pid | cachetop
# | bpftrace): R[cpu], R[wall], and for traced runs the tool_figures and
# R[seen] (accessed pages it counted).
run_timed() {
	local mode=$1 wl_pid
	"$PCLOAD" read "$BIGFILE" >/dev/null	# keep it warm
	case $mode in
	system) start_tool "$TMP/tool" '^ *HITS' "$CS" 1 || return 1 ;;
	cachetop) start_tool "$TMP/tool" '^ +PID UID' "$CT" -b 1 || return 1 ;;
	bpftrace)
		tracefs_on
		start_tool "$TMP/tool" '^ready' bpftrace "$BT_SCRIPT" || return 1
		;;
	esac
	"$PCLOAD" -s -n "$REPS" read "$BIGFILE" "$CHUNK" >"$TMP/wl.out" &
	wl_pid=$!
	wait_stopped "$wl_pid" || { note "workload did not start"; return 1; }
	if [ "$mode" = pid ]; then
		start_tool "$TMP/tool" '^ *HITS' "$CS" -p "$wl_pid" 1 || return 1
	fi
	run_stopped "$mode" "$wl_pid"
	grep -q "^pages=$((REPS * BIG_PAGES))\$" "$TMP/wl.out" || { note "workload failed"; return 1; }
	case $mode in
	untraced) return 0 ;;
	system | cachetop) sleep 1.1; stop_tool INT ;;	# one more report covers the tail
	pid) stop_tool ;;			# exits by itself after the pid
	bpftrace) sleep 1.1; stop_tool INT; tracefs_off ;;
	esac
	tool_figures
	if [ "$mode" = bpftrace ]; then
		R[seen]=$(awk '$1 == "@acc:" { s += $2 } END { print s + 0 }' "$TOOL_OUT")
	elif [ "$mode" = cachetop ]; then
		R[seen]=$(awk '$3 == "pcload" { s += $4 + $5 } END { print s + 0 }' "$TOOL_OUT")
	else
		R[seen]=$(awk '$1 ~ /^[0-9]+$/ { s += $1 } END { print s + 0 }' "$TOOL_OUT")
	fi
}

# calibrate_reps VAR MAX RUN: sets VAR to the repetitions N of `RUN N` (a
# function running the untraced workload) that take about TARGET_S of CPU,
# within 10..MAX; BENCH_REPS overrides
calibrate_reps() {
	local -n cr_var=$1
	local max=$2 run=$3 c0 c1 n=20
	if [ -n "${BENCH_REPS:-}" ]; then
		cr_var=$BENCH_REPS
		return
	fi
	"$run" 5 >/dev/null	# warm-up
	children_cpu
	c0=$CHILD_CPU_US
	"$run" $n >/dev/null
	children_cpu
	c1=$CHILD_CPU_US
	cr_var=$(calc "$TARGET_S * 1e6 * $n / ($c1 - $c0 + 1000)" %.0f)
	[ "$cr_var" -lt 10 ] && cr_var=10
	[ "$cr_var" -gt "$max" ] && cr_var=$max
	return 0
}

# cachestat's workload, N warm reads of BIGFILE
cs_reads() { "$PCLOAD" -n "$1" read "$BIGFILE" "$CHUNK"; }

# cachestat's overhead rounds (bench_rounds) into CS_V, on a warm 64 MiB file
bench_overhead() {
	BIGFILE=$TMP/big.dat
	"$PCLOAD" create "$BIGFILE" "$BIG_PAGES" || die "cannot create $BIGFILE"
	"$PCLOAD" read "$BIGFILE" >/dev/null
	calibrate_reps REPS 5000 cs_reads
	READS=$((REPS * (BIG_PAGES + 1)))	# + the read() that returns 0 at EOF
	note "overhead: $ROUNDS rounds of pcload -n $REPS read 64MiB $CHUNK ($READS read() calls per run)"
	bench_rounds CS_V run_timed system pid cachetop bpftrace
	"$PCLOAD" resident "$BIGFILE" >"$TMP/resident"
	[ "$(cat "$TMP/resident")" -eq "$BIG_PAGES" ] ||
		note "warning: only $(cat "$TMP/resident") of $BIG_PAGES pages still cached"
	rm -f "$BIGFILE"
}

# ---------------------------------------------------------------- start-up

bench_startup() {
	local i t0 t1 line pid
	ST_CS=() ST_BT=()
	for i in 1 2 3 4 5; do
		t0=$(now_us)
		exec 3< <(exec "$CS" -v 1 1 2>/dev/null)
		pid=$!
		read -r -t 30 -u 3 line
		t1=$(now_us)
		kill -INT "$pid" 2>/dev/null
		cat <&3 >/dev/null
		exec 3<&-
		wait "$pid" 2>/dev/null
		case $line in *HITS*) ;; *) die "cachestat -v 1 1 printed no header" ;; esac
		ST_CS+=("$(calc "($t1 - $t0) / 1000" %.1f)")
	done
	tracefs_on
	for i in 1 2 3; do
		t0=$(now_us)
		exec 3< <(exec bpftrace "$BT_SCRIPT" 2>/dev/null)
		pid=$!
		line=
		while read -r -t 60 -u 3 line && [ "$line" != ready ]; do :; done
		t1=$(now_us)
		kill -INT "$pid" 2>/dev/null
		cat <&3 >/dev/null
		exec 3<&-
		wait "$pid" 2>/dev/null
		[ "$line" = ready ] || die "bpftrace did not start"
		ST_BT+=("$(calc "($t1 - $t0) / 1000" %.1f)")
	done
	tracefs_off
}

# first_report_ms CMD...: ST, 5 samples of the time from exec of CMD (a tool
# with interval 1 and count 1) until its first report, less the 1 s interval:
# load, attach and baseline
first_report_ms() {
	local i t0 t1 pid line
	ST=()
	for i in 1 2 3 4 5; do
		t0=$(now_us)
		exec 3< <(exec "$@" 2>/dev/null)
		pid=$!
		read -r -t 30 -u 3 line
		t1=$(now_us)
		cat <&3 >/dev/null
		exec 3<&-
		wait "$pid" 2>/dev/null
		ST+=("$(calc "($t1 - $t0) / 1000 - 1000" %.1f)")
	done
}

# ---------------------------------------------------------------- accuracy

# acc_case NAME FIELD TRUTH WORKLOAD...: sets ACC_TOOL and ACC_ERR
acc_case() {
	local name=$1 field=$2 truth=$3
	shift 3
	trace_workload "$TMP/acc-$name" "$CS" -- "$@" ||
		die "accuracy $name: tool did not attach (rc $TOOL_RC): $(head -c 300 "$TMP/acc-$name.err")"
	[ "$TOOL_RC" = 0 ] || die "accuracy $name: cachestat exited with $TOOL_RC"
	[ "$WL_OUT" = "pages=$truth" ] || die "accuracy $name: workload printed '$WL_OUT'"
	ACC_TOOL=$(jsum "$TMP/acc-$name" "$field")
	ACC_ERR=$(calc "($ACC_TOOL - $truth) * 100 / $truth" %.2f)
	ACC_JSON+=("$(jq -n -c --arg name "$name" --arg field "$field" --argjson tool "$ACC_TOOL" \
		--argjson truth "$truth" --argjson err "$ACC_ERR" \
		'{($name): {field: $field, tool: $tool, truth: $truth, error_pct: $err}}')")
	ACC_ROWS+=("$(printf '  %-22s %-8s %10s %10s %9s%%' "$name" "$field" "$ACC_TOOL" "$truth" "$ACC_ERR")")
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

bench_accuracy() {
	local f=$TMP/acc.dat w=$TMP/acc-write.dat
	ACC_JSON=() ACC_ROWS=()
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

# ---------------------------------------------------------------- cachestat

# bench_cachestat FRAGMENT: prints its table, writes its JSON entry to FRAGMENT
# cs_seen_pct MODE: the median of the accessed pages it counted, % of those read
cs_seen_pct() { calc "$(rounds_get CS_V "$1" med:seen) * 100 / ($REPS * $BIG_PAGES)"; }

bench_cachestat() {
	local frag=$1 exp ucpu uwall cells fields
	[ -x "$CS" ] || die "$CS missing: run make"
	write_bt_script
	bench_overhead
	bench_startup
	bench_accuracy

	ucpu=$(rounds_get CS_V untraced med:cpu)
	uwall=$(rounds_get CS_V untraced med:wall)
	exp=$((REPS * BIG_PAGES))
	echo
	echo "cachestat"
	printf '  overhead: pcload -n %s read FILE %s on a warm 64 MiB file = %s read() calls per run;\n' \
		"$REPS" "$CHUNK" "$READS"
	printf '  %s rounds of (untraced, traced) pairs; RATIO = traced / the untraced run just before it,\n' "$ROUNDS"
	printf '  median (min-max); CPU = the workload'"'"'s user+sys (where BPF programs run), WALL = elapsed\n'
	printf '  %-20s %7s %20s %8s %7s %20s %12s %7s %7s\n' MODE CPU_S CPU_RATIO +NS/READ WALL_S \
		WALL_RATIO TOOL_CPU_MS PEAK_MB SEEN
	printf '  %-20s %7.3f %20s %8s %7.3f %20s %12s %7s %7s\n' untraced "$ucpu" 1 - "$uwall" 1 - - -
	# +NS/READ: extra CPU per read() call, from the median CPU ratio
	cells=(label med:cpu range:cpu_ratio "+ns:$READS" med:wall range:wall_ratio
		meds:tool_cpu/tool_cpu_total mb:rss fn:cs_seen_pct)
	fields=(command=label cpu_s=list:cpu wall_s=list:wall
		cpu_ratios=list:cpu_ratio cpu_ratio_median=med:cpu_ratio
		wall_ratios=list:wall_ratio wall_ratio_median=med:wall_ratio
		"extra_ns_per_read=+ns:$READS"
		tool_cpu_ms_during_run=list:tool_cpu tool_cpu_ms_during_run_median=med:tool_cpu
		tool_cpu_ms_total=list:tool_cpu_total tool_cpu_ms_total_median=med:tool_cpu_total
		tool_peak_rss_kb=list:rss tool_peak_rss_kb_median=med:rss
		pages_seen=list:seen "pages_expected==$exp")
	rounds_table CS_V '  %-20s %7.3f %20s %8s %7.3f %20s %12s %7.1f %6.1f%%\n' cells fields \
		"system=cachestat 1" "pid=cachestat -p PID 1" "cachetop=cachetop -b 1" \
		"bpftrace=bpftrace, same tps"
	echo "  +NS/READ: extra workload CPU per read() call. TOOL_CPU_MS: the tracer's own user+sys,"
	echo "  from the workload's start to its exit / over its whole life (start-up included), 10 ms"
	echo "  granularity. PEAK_MB: its peak RSS (VmHWM). SEEN: accessed pages it counted / $exp."
	echo
	# shellcheck disable=SC2068
	printf '  start-up to attached: cachestat -v 1 1 until its header, median of 5: %s ms (%s-%s)\n' \
		"$(median ${ST_CS[@]})" "$(minof ${ST_CS[@]})" "$(maxof ${ST_CS[@]})"
	# shellcheck disable=SC2068
	printf '                        bpftrace until its BEGIN output, median of 3:   %s ms (%s-%s)\n' \
		"$(median ${ST_BT[@]})" "$(minof ${ST_BT[@]})" "$(maxof ${ST_BT[@]})"
	echo
	echo "  accuracy vs ground truth (cachestat --json -p PID 1; a ${ACC_PAGES}-page file unless named):"
	printf '  %-22s %-8s %10s %10s %10s\n' CASE FIELD TOOL TRUTH ERROR
	printf '%s\n' "${ACC_ROWS[@]}"

	# shellcheck disable=SC2068,SC2086
	jq -n --argjson reps "$REPS" --argjson pages "$BIG_PAGES" --argjson chunk "$CHUNK" \
		--argjson reads "$READS" --argjson rounds "$ROUNDS" \
		--argjson ucpu "$(rounds_get CS_V untraced list:cpu)" --argjson ucpum "$ucpu" \
		--argjson uwall "$(rounds_get CS_V untraced list:wall)" --argjson uwallm "$uwall" \
		--argjson modes "$ROUNDS_JSON" \
		--argjson stcs "$(jarr ${ST_CS[@]})" --argjson stcsm "$(median ${ST_CS[@]})" \
		--argjson stbt "$(jarr ${ST_BT[@]})" --argjson stbtm "$(median ${ST_BT[@]})" \
		--argjson acc "$(printf '%s\n' "${ACC_JSON[@]}" | jq -s 'add')" --argjson accn "$ACC_PAGES" \
		'{overhead: {workload: {command: "pcload -n \($reps) read FILE \($chunk)", reps: $reps,
			file_pages: $pages, chunk_bytes: $chunk, reads_per_run: $reads},
		    rounds: $rounds,
		    untraced: {cpu_s: $ucpu, cpu_s_median: $ucpum, wall_s: $uwall, wall_s_median: $uwallm},
		    traced: $modes},
		  startup_ms: {cachestat: {command: "cachestat -v 1 1, until its header",
				samples: $stcs, median: $stcsm},
			bpftrace: {command: "bpftrace, until its BEGIN output", samples: $stbt,
				median: $stbtm}},
		  accuracy: ({n_pages: $accn} + $acc)}' >"$frag"
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

# rl_run MODE (untraced | reclaimlat | bpftrace): one storm. R[cpu] (memhog's
# user+sys: reclaim and the BPF programs run in its context), R[wall], and for
# traced runs the tool_figures, R[pages] (pages reclaimed the tracer saw),
# R[pgsteal] (the pgsteal_anon + pgsteal_file delta), R[pages_err] (% error
# of the one against the other) and for reclaimlat R[swap_err] (% error of
# the swap-outs it reported against the pswpout delta).
rl_run() {
	local mode=$1 hog s0 o0 steal out
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
	steal=$(( $(vmstat pgsteal_anon pgsteal_file) - s0 ))
	out=$(( $(vmstat pswpout) - o0 ))
	[ "$mode" = untraced ] && return 0
	sleep 1.1
	stop_tool INT
	[ "$mode" = bpftrace ] && tracefs_off
	tool_figures
	if [ "$mode" = bpftrace ]; then
		R[pages]=$(awk '$1 == "@pages:" { s += $2 } END { print s + 0 }' "$TOOL_OUT")
	else
		R[pages]=$(jq -s 'map((.classes.memcg.pages // 0) + (.classes.direct.pages // 0) + (.classes.kswapd.pages // 0)) | add' "$TOOL_OUT")
		R[swap_err]=$(calc "($(jq -s 'map(.swap.out_pages // 0) | add' "$TOOL_OUT") - $out) * 100 / ($out + 1)" %.2f)
	fi
	R[pgsteal]=$steal
	R[pages_err]=$(calc "(${R[pages]} - $steal) * 100 / $steal" %.2f)
}

# bench_reclaimlat FRAGMENT: prints its table, writes its JSON entry to FRAGMENT
bench_reclaimlat() {
	local frag=$1 ucpu uwall st=() cells fields
	[ -x "$RL" ] || die "$RL missing: run make"
	# shellcheck source=tests/lib/memcg.sh
	. "$ROOT/tests/lib/memcg.sh"
	swap_on "$RL_SWAP_MB" || die "reclaimlat: cannot add a swapfile on $SCRATCH"
	memcg_new bench "$RL_LIMIT_MB" || die "reclaimlat: cannot create a memory cgroup"
	write_rl_bt_script
	note "reclaimlat: $ROUNDS rounds of memhog -p $RL_PASSES $RL_PAGES in a $RL_LIMIT_MB MiB memory cgroup"
	bench_rounds RL_V rl_run reclaimlat bpftrace
	memcg_cleanup
	first_report_ms "$RL" --json 1 1
	st=("${ST[@]}")

	ucpu=$(rounds_get RL_V untraced med:cpu)
	uwall=$(rounds_get RL_V untraced med:wall)
	echo
	echo "reclaimlat"
	printf '  overhead: memhog -p %s %s (%s MiB, twice) in a %s MiB memory cgroup with swap;\n' \
		"$RL_PASSES" "$RL_PAGES" "$((RL_PAGES / 256))" "$RL_LIMIT_MB"
	printf '  %s rounds of (untraced, traced) pairs; RATIO = traced / the untraced run just before it\n' "$ROUNDS"
	printf '  %-22s %7s %20s %7s %20s %12s %7s %9s\n' MODE CPU_S CPU_RATIO WALL_S WALL_RATIO \
		TOOL_CPU_MS PEAK_MB PAGES_ERR
	printf '  %-22s %7.3f %20s %7.3f %20s %12s %7s %9s\n' untraced "$ucpu" 1 "$uwall" 1 - - -
	cells=(label med:cpu range:cpu_ratio med:wall range:wall_ratio med:tool_cpu mb:rss
		med:pages_err)
	fields=(command=label cpu_s=list:cpu wall_s=list:wall cpu_ratios=list:cpu_ratio
		wall_ratios=list:wall_ratio tool_cpu_ms_during_run=list:tool_cpu
		tool_peak_rss_kb=list:rss pages_error_pct_vs_pgsteal=list:pages_err)
	rounds_table RL_V '  %-22s %7.3f %20s %7.3f %20s %12s %7.1f %8s%%\n' cells fields \
		"reclaimlat=reclaimlat --json -P 1" "bpftrace=bpftrace, same tps"
	echo "  TOOL_CPU_MS: the tracer's user+sys from the storm's start to its exit (10 ms granularity)."
	echo "  PAGES_ERR: pages reclaimed it reported vs /proc/vmstat pgsteal_anon + pgsteal_file, median."
	# shellcheck disable=SC2086
	printf '  swap-out: reclaimlat out_pages vs pswpout, error %% per round: %s\n' "$(echo ${RL_V[swap_err.reclaimlat]})"
	# shellcheck disable=SC2068
	printf '  start-up to attached: reclaimlat --json 1 1 until its first report minus 1 s, median of 5: %s ms (%s-%s)\n' \
		"$(median ${st[@]})" "$(minof ${st[@]})" "$(maxof ${st[@]})"

	# shellcheck disable=SC2068,SC2086
	jq -n --argjson pages "$RL_PAGES" --argjson passes "$RL_PASSES" --argjson limit "$RL_LIMIT_MB" \
		--argjson rounds "$ROUNDS" \
		--argjson ucpu "$(rounds_get RL_V untraced list:cpu)" \
		--argjson uwall "$(rounds_get RL_V untraced list:wall)" \
		--argjson modes "$ROUNDS_JSON" \
		--argjson serr "$(rounds_get RL_V reclaimlat list:swap_err)" \
		--argjson st "$(jarr ${st[@]})" --argjson stm "$(median ${st[@]})" \
		'{overhead: {workload: {command: "memhog -p \($passes) \($pages)", memcg_limit_mb: $limit},
		    rounds: $rounds, untraced: {cpu_s: $ucpu, wall_s: $uwall}, traced: $modes},
		  swap_out_error_pct_vs_pswpout: $serr,
		  startup_ms: {command: "reclaimlat --json 1 1, first report minus 1 s", samples: $st,
			median: $stm}}' >"$frag"
}

# ---------------------------------------------------------------- faultstat

FS=$BUILD/faultstat
FS_SPAWN=$BUILD/tests/func/faultstat_spawn
FS_MEMHOG=$BUILD/tests/func/memhog
FS_PAGES=2000		# pages each child of the fault workload touches

# fs_run MODE: one timed run of the fault workload (untraced | count | detail
# | bpftrace): R[cpu], R[wall], and for traced runs the tool_figures and
# R[seen_pct] (minor faults it counted for the workload's children, from the
# tool's own output, % of the children's own getrusage total).
fs_run() {
	local mode=$1 wl_pid seen truth
	case $mode in
	count) start_tool "$TMP/fstool" '^' "$FS" --json 1 || return 1 ;;
	detail) start_tool "$TMP/fstool" '^' "$FS" --json -d 1 || return 1 ;;
	bpftrace)
		start_tool "$TMP/fstool" '^ready' bpftrace -e 'BEGIN { printf("ready\n"); }
			software:page-faults:1 { @[pid] = count(); }' || return 1
		;;
	esac
	"$FS_SPAWN" -s "$FS_REPS" "$FS_PAGES" >"$TMP/fswl.out" &
	wl_pid=$!
	wait_stopped "$wl_pid" || { note "workload did not start"; return 1; }
	run_stopped "$mode" "$wl_pid"
	[ "$(wc -l <"$TMP/fswl.out")" = "$FS_REPS" ] || { note "workload failed"; return 1; }
	[ "$mode" = untraced ] && return 0
	sleep 1.1
	stop_tool INT
	tool_figures
	sed 's/pid=\([0-9]*\).*/\1/' "$TMP/fswl.out" >"$TMP/fspids"
	if [ "$mode" = bpftrace ]; then
		seen=$(sed -n 's/^@\[\([0-9]*\)\]: \([0-9]*\)$/\1 \2/p' "$TOOL_OUT" |
			awk 'NR == FNR { want[$1] = 1; next } ($1 in want) { s += $2 } END { print s + 0 }' \
				"$TMP/fspids" -)
	else
		seen=$(jq -s --slurpfile p <(jq -s . "$TMP/fspids") \
			'[.[].rows[] | select(.pid as $x | $p[0] | index($x)) | .minor] | add // 0' "$TOOL_OUT")
	fi
	truth=$(awk -F'[= ]' '{ s += $4 } END { print s + 0 }' "$TMP/fswl.out")
	R[seen_pct]=$(calc "$seen * 100 / $truth" %.2f)
}

# faultstat's workload, N spawned processes touching FS_PAGES each
fs_spawns() { "$FS_SPAWN" "$1" "$FS_PAGES"; }

# bench_faultstat FRAGMENT: prints its table, writes its JSON entry to FRAGMENT
bench_faultstat() {
	local frag=$1 ucpu cells fields
	local st=() pid hp want got perf_min perf_maj perf_json=null
	[ -x "$FS" ] && [ -x "$FS_SPAWN" ] && [ -x "$FS_MEMHOG" ] || die "faultstat or its workloads missing: run make"
	calibrate_reps FS_REPS 20000 fs_spawns
	note "faultstat overhead: $ROUNDS rounds of faultstat_spawn $FS_REPS $FS_PAGES (fork, touch $FS_PAGES pages, exit)"
	bench_rounds FS_V fs_run count detail bpftrace
	ucpu=$(rounds_get FS_V untraced med:cpu)
	echo
	echo "faultstat"
	printf '  overhead: faultstat_spawn %s %s = %s processes forked, each touching %s fresh pages\n' \
		"$FS_REPS" "$FS_PAGES" "$FS_REPS" "$FS_PAGES"
	printf '  (minor faults) and exiting; %s rounds; RATIO = traced / the untraced run before it\n' "$ROUNDS"
	printf '  %-34s %7s %20s %9s %20s %12s %7s %8s\n' MODE CPU_S CPU_RATIO +NS/FAULT WALL_RATIO \
		TOOL_CPU_MS PEAK_MB SEEN
	printf '  %-34s %7.3f %20s %9s %20s %12s %7s %8s\n' untraced "$ucpu" 1 - 1 - - -
	cells=(label med:cpu range:cpu_ratio "+ns:$((FS_REPS * FS_PAGES))" range:wall_ratio
		meds:tool_cpu/tool_cpu_total mb:rss med:seen_pct)
	fields=(command=label cpu_s=list:cpu cpu_ratios=list:cpu_ratio cpu_ratio_median=med:cpu_ratio
		wall_ratios=list:wall_ratio "extra_ns_per_fault=+ns:$((FS_REPS * FS_PAGES))"
		tool_cpu_ms_during_run=list:tool_cpu tool_cpu_ms_total=list:tool_cpu_total
		tool_peak_rss_kb=list:rss seen_pct=list:seen_pct)
	rounds_table FS_V '  %-34s %7.3f %20s %9s %20s %12s %7.1f %7.2f%%\n' cells fields \
		"count=faultstat --json 1" "detail=faultstat --json -d 1" \
		"bpftrace=bpftrace software:page-faults:1"
	echo "  +NS/FAULT: extra workload CPU per minor fault. SEEN: minor faults the tracer counted for the"
	echo "  workload's children / their own getrusage total (bpftrace counts every fault entry, retries too)."
	echo "  -d hooks major faults only: on this minor-fault workload it costs what counting costs."

	first_report_ms "$FS" --json 1 1
	st=("${ST[@]}")
	# shellcheck disable=SC2068
	printf '\n  start-up to attached: faultstat --json 1 1 until its report, less the 1 s interval,\n'
	# shellcheck disable=SC2068
	printf '  median of 5: %s ms (%s-%s)\n' "$(median ${st[@]})" "$(minof ${st[@]})" "$(maxof ${st[@]})"

	# accuracy: memhog's own getrusage; perf stat on the same workload
	"$FS_MEMHOG" -s 25600 >"$TMP/fshog.out" &
	hp=$!
	wait_stopped "$hp" || die "memhog did not start"
	"$FS" --json -p "$hp" 1 >"$TMP/fsacc.json" 2>/dev/null &
	pid=$!
	wait_lines "$TMP/fsacc.json" 15 || die "faultstat did not attach"
	kill -CONT "$hp"
	wait "$hp"
	wait "$pid"
	want=$(sed -n 's/^pass=1 minflt=\([0-9]*\).*/\1/p' "$TMP/fshog.out")
	got=$(jq -s "[.[].rows[] | select(.pid == $hp) | .minor] | add // 0" "$TMP/fsacc.json")
	echo
	echo "  accuracy: memhog touching 25600 fresh pages; truth = its getrusage over the touching loop"
	printf '  %-44s %10s %10s %9s\n' COUNTER COUNT TRUTH ERROR
	printf '  %-44s %10s %10s %8s%%\n' "faultstat --json -p PID 1 (minor)" "$got" "$want" \
		"$(calc "($got - $want) * 100 / $want" %.2f)"
	if command -v perf >/dev/null; then
		perf stat -x, -e minor-faults,major-faults -o "$TMP/perf.out" "$FS_MEMHOG" 25600 >"$TMP/fshog2.out" 2>/dev/null
		perf_min=$(awk -F, '$3 ~ /minor-faults/ { print $1 }' "$TMP/perf.out")
		perf_maj=$(awk -F, '$3 ~ /major-faults/ { print $1 }' "$TMP/perf.out")
		want2=$(sed -n 's/^pass=1 minflt=\([0-9]*\).*/\1/p' "$TMP/fshog2.out")
		printf '  %-44s %10s %10s %8s%%\n' "perf stat -e minor-faults memhog (whole run)" \
			"$perf_min" "$want2" "$(calc "($perf_min - $want2) * 100 / $want2" %.2f)"
		echo "  (perf stat counts the whole process, exec and loader included; faultstat -p counts"
		echo "  from attach, so it sees the loop plus the exit path)"
		perf_json=$(jq -n -c --argjson min "${perf_min:-null}" --argjson maj "${perf_maj:-null}" \
			--argjson truth "$want2" '{minor: $min, major: $maj, truth_minor_loop: $truth}')
	fi

	# shellcheck disable=SC2068,SC2086
	jq -n --argjson reps "$FS_REPS" --argjson pages "$FS_PAGES" --argjson rounds "$ROUNDS" \
		--argjson ucpu "$(rounds_get FS_V untraced list:cpu)" --argjson ucpum "$ucpu" \
		--argjson modes "$ROUNDS_JSON" \
		--argjson st "$(jarr ${st[@]})" --argjson stm "$(median ${st[@]})" \
		--argjson got "$got" --argjson want "$want" --argjson perf "$perf_json" \
		'{overhead: {workload: {command: "faultstat_spawn \($reps) \($pages)", processes: $reps,
			pages_each: $pages}, rounds: $rounds,
		    untraced: {cpu_s: $ucpu, cpu_s_median: $ucpum}, traced: $modes},
		  startup_ms: {command: "faultstat --json 1 1, first report less 1000 ms", samples: $st,
			median: $stm},
		  accuracy: {memhog_25600: {tool: $got, truth: $want}, perf_stat: $perf}}' >"$frag"
}

# ---------------------------------------------------------------- memleak

ML=$BUILD/memleak
LEAKER=$BUILD/tests/func/leaker

# ml_run OUT CMD...: runs CMD under /usr/bin/time; sets NS (the workload's
# ns_per_pair), RSS_KB, DETACH_S (memleak -v's "detached in")
ml_run() {
	local out=$1
	shift
	/usr/bin/time -f '%M' -o "$out.time" "$@" >"$out" 2>"$out.err"
	NS=$(awk '/^ns_per_pair/ { print $2 }' "$out" | tail -1)
	RSS_KB=$(tail -1 "$out.time")
	DETACH_S=$(awk '/detached in/ { print $(NF-1) }' "$out.err")
	[ -n "$NS" ] || { note "no ns_per_pair from: $* ($(head -c 300 "$out.err"))"; NS=null; }
}

# ml_round MODE: one run of `leaker pairs N ML_T` (ML_T threads), untraced
# (ML_NU pairs) or traced (ML_N pairs) by memleak -c as it runs by default
# (multi: a uprobe session link on v6.13+, else uprobe_multi links), with
# uprobe_multi links (nosess), one link per function (perfn), sampling one
# call in 100 (s100: with a session link the others skip the return probe),
# or by bpftrace (ML_BT). R[ns]
# (the workload's ns per pair), and when traced R[rss] (the tracer's peak
# RSS) and R[detach] (memleak's "detached in").
ml_round() {
	case $1 in
	untraced) ml_run "$TMP/ml.u" "$LEAKER" pairs "$ML_NU" "$ML_T" ;;
	multi) ml_run "$TMP/ml.m" "$ML" -v -c "$LEAKER pairs $ML_N $ML_T" 1 ;;
	nosess) ml_run "$TMP/ml.n" "$ML" -v --no-uprobe-session -c "$LEAKER pairs $ML_N $ML_T" 1 ;;
	perfn) ml_run "$TMP/ml.p" "$ML" -v --per-function-links -c "$LEAKER pairs $ML_N $ML_T" 1 ;;
	s100) ml_run "$TMP/ml.s" "$ML" -v -s 100 -c "$LEAKER pairs $ML_N $ML_T" 1 ;;
	bpftrace) ml_run "$TMP/ml.b" bpftrace -c "$LEAKER pairs $ML_N $ML_T" "$ML_BT" ;;
	esac
	R[ns]=$NS
	[ "$1" = untraced ] && return 0
	R[rss]=$RSS_KB
	[ -n "$DETACH_S" ] && R[detach]=$DETACH_S
	return 0
}

# ml_ns MODE: its ns per pair from ML_V$ML_T, "median (min-max)"
ml_ns() {
	local -n ml_v=ML_V$ML_T
	# shellcheck disable=SC2086
	printf '%s (%s-%s)' "$(calc "$(median ${ml_v[ns.$1]})" %.0f)" \
		"$(calc "$(minof ${ml_v[ns.$1]})" %.0f)" "$(calc "$(maxof ${ml_v[ns.$1]})" %.0f)"
}
# ml_extra MODE [FORMAT]: its median ns per pair minus the untraced median
ml_extra() {
	calc "$(rounds_get "ML_V$ML_T" "$1" med:ns) - $(rounds_get "ML_V$ML_T" untraced med:ns)" "${2:-%.1f}"
}
ml_extra0() { ml_extra "$1" %.0f; }

# bench_memleak FRAGMENT: cost per malloc+free pair (traced - untraced), one
# and two threads, for memleak (uprobe_multi links, then one link per
# function) and for bpftrace doing the same map work; start-up, detach, RSS
bench_memleak() {
	local frag=$1 libc t r cells fields json=()
	local st=() t0 sp
	[ -x "$ML" ] && [ -x "$LEAKER" ] || die "$ML or $LEAKER missing: run make"
	ML_N=${BENCH_ML_PAIRS:-200000} ML_NU=2000000
	libc=$(ldd "$LEAKER" | awk '/libc.so/ { print $3 }')
	ML_BT=$TMP/memleak.bt
	if "$ML" -v --probes -p $$ 2>&1 | grep -q "uprobe session"; then
		ML_LINKS="session link"
	else
		ML_LINKS="uprobe_multi links"
	fi
	# what memleak does per call: size at entry, address -> size and stack
	# at return, delete at free
	cat >"$ML_BT" <<EOF
uprobe:$libc:malloc { @sz[tid] = arg0; }
uretprobe:$libc:malloc /@sz[tid]/ { @a[retval] = @sz[tid]; @s[retval] = ustack; delete(@sz[tid]); }
uprobe:$libc:free { delete(@a[arg0]); delete(@s[arg0]); }
END { clear(@sz); clear(@a); clear(@s); }
EOF
	for t in 1 2; do
		ML_T=$t
		note "memleak: $ROUNDS rounds of leaker pairs with $t thread(s)"
		bench_rounds "ML_V$t" ml_round multi nosess perfn s100 bpftrace
	done
	# start-up: until memleak -p prints its header (attached)
	sleep 600 &
	sp=$!
	for r in 1 2 3; do
		t0=$(now_us)
		start_tool "$TMP/ml.st" 'Attaching' "$ML" -v -p "$sp" 1 || continue
		st+=("$(( ($(now_us) - t0) / 1000 ))")
		stop_tool INT
	done
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null

	echo
	echo "memleak"
	echo "  workload: leaker pairs N T: T threads each do N malloc(64)+free pairs (N=$ML_N traced, $ML_NU untraced)"
	echo "  NS/PAIR: the workload's wall time per pair, median of $ROUNDS (min-max), untraced: of all"
	echo "  $((3 * ROUNDS)), one run before each traced run; +NS: minus untraced"
	printf '  %-34s %3s %22s %8s %9s %8s\n' MODE T NS/PAIR +NS DETACH_S PEAK_MB
	for t in 1 2; do
		ML_T=$t
		# shellcheck disable=SC2034 # rounds_table takes them by name
		cells=(label "=$t" fn:ml_ns fn:ml_extra0 med:detach mb:rss)
		# shellcheck disable=SC2034
		fields=(command=label "threads==$t" ns_per_pair=list:ns ns_per_pair_median=med:ns
			extra_ns_per_pair=fn:ml_extra detach_s=list:detach peak_rss_kb=list:rss)
		rounds_table "ML_V$t" '  %-34s %3s %22s %8s %9s %8s\n' cells fields \
			untraced=untraced "multi=memleak -c ($ML_LINKS)" \
			"nosess=memleak -c (uprobe_multi links)" \
			"perfn=memleak -c --per-function-links" "s100=memleak -c -s 100" \
			"bpftrace=bpftrace, same probes and maps"
		json+=("$(jq -c --arg t "$t" 'with_entries(.key += "_\($t)t")' <<<"$ROUNDS_JSON")")
	done
	# shellcheck disable=SC2068
	printf '  start-up to attached: memleak -v -p PID 1 until its header, median of %s: %s ms\n' \
		"${#st[@]}" "$(median ${st[@]})"
	echo "  bcc's memleak: not run; Debian's bpfcc-tools compiles its BPF at run time against"
	echo "  kernel headers, and this kernel ($KERNEL) has neither /lib/modules/*/build nor kheaders"
	# shellcheck disable=SC2068
	jq -n --argjson modes "$(printf '%s\n' "${json[@]}" | jq -s 'add')" \
		--argjson st "$(jarr ${st[@]})" --argjson n "$ML_N" --argjson nu "$ML_NU" \
		'{workload: {command: "leaker pairs N T", pairs_traced: $n, pairs_untraced: $nu},
		  modes: $modes, startup_ms: $st}' >"$frag"
}

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root"
for c in jq bpftrace pgrep /usr/bin/time; do
	command -v "$c" >/dev/null || die "$c missing (scripts/deps.sh bench)"
done
[ -x "$PCLOAD" ] || die "$PCLOAD missing: run make"
[ "$(stat -f -c %T "$SCRATCH")" != tmpfs ] || die "SCRATCH=$SCRATCH is tmpfs; use a disk filesystem"
CLK_TCK=$(getconf CLK_TCK)
TMP=$(mktemp -d "$SCRATCH/memscope-bench.XXXXXX") || die "cannot create a directory in $SCRATCH"
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"

KERNEL=$(uname -r)
STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)
NCPU=$(nproc)
echo "memscope bench  $STAMP  kernel $KERNEL  $NCPU CPUs  scratch $SCRATCH ($(stat -f -c %T "$SCRATCH"))"

frags=()
for t in $TOOLS; do
	declare -F "bench_$t" >/dev/null || die "no benchmark for tool '$t'"
	"bench_$t" "$TMP/$t.json" || die "$t failed"
	frags+=("$t")
done

prev='{}'
[ -s "$RESULTS" ] && jq -e 'type == "object"' "$RESULTS" >/dev/null 2>&1 && prev=$(cat "$RESULTS")
new=$(jq -n --arg time "$STAMP" --arg kernel "$KERNEL" --argjson ncpu "$NCPU" \
	--argjson prev "$prev" '$prev + {time: $time, kernel: $kernel, host: {cpus: $ncpu}} |
	.tools = (.tools // {})')
for t in "${frags[@]}"; do
	new=$(jq --arg t "$t" --slurpfile f "$TMP/$t.json" '.tools[$t] = $f[0]' <<<"$new")
done
if ! printf '%s\n' "$new" >"$RESULTS.tmp" || ! mv "$RESULTS.tmp" "$RESULTS"; then
	die "cannot write $RESULTS"
fi
echo
echo "results: $RESULTS"
