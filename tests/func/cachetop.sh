#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# cachetop against known workloads running at the same time: one process
# re-reads a warm file, another reads an evicted one, a third writes new
# pages, a fourth rewrites cached pages in place. cachetop's own JSON (per
# process and per file) must attribute each count to the right pid and file,
# within cachestat's tolerances. Then the full-screen view, driven in tmux.
set -u
. "$(dirname "$0")/../lib/common.sh"
CT=$BUILD/cachetop
N=2560
TOL=2

expect_exit "cachetop unknown sort field" 2 "cachetop: unknown sort field 'bogus'" "$CT" -b -s bogus 1 1
expect_exit "cachetop zero rows" 2 "cachetop: invalid rows '0'" "$CT" -b -n 0 1 1
expect_exit "cachetop zero interval" 2 "cachetop: invalid interval '0'" "$CT" -b 0

if [ "$(id -u)" != 0 ]; then
	skip "cachetop functional tests: need root"
	exit 0
fi
expect_exit "cachetop pid that does not exist" 1 "cachetop: pid 2147483647 does not exist" \
	"$CT" -b -p 2147483647 1 1

dir=$(mktemp -d "$SCRATCH/memscope-cachetop.XXXXXX")
pids=()
trap 'unpin; kill -9 "${pids[@]}" 2>/dev/null; tmux kill-session -t memscope-ct 2>/dev/null; rm -rf "$dir"' EXIT
W=$dir/warm.dat C=$dir/cold.dat NEW=$dir/new.dat RW=$dir/rewrite.dat

# stop_after_report PID...: waits (up to 20 s) until each of these cachetops
# (their output in $dir/{procs.json,files.json,batch.txt}, by pid order) has
# printed two more reports, so that one whole interval lies after the
# workloads exited, then stops them with Ctrl-C
stop_after_report() {
	local p f t n0 n files=("$dir/procs.json" "$dir/files.json" "$dir/batch.txt") i=0
	for p in "$@"; do
		f=${files[$i]}
		i=$((i + 1))
		n0=$(grep -c 'Buffers MB\|^{' "$f")
		t=200
		while [ $t -gt 0 ]; do
			n=$(grep -c 'Buffers MB\|^{' "$f")
			[ "$n" -ge $((n0 + 2)) ] && break
			sleep 0.1
			t=$((t - 1))
		done
		[ $t -gt 0 ] || echo "warning: $f: no two more reports within 20 s"
	done
	kill -INT "$@"
	wait "$@"
}

"$PCLOAD" create "$W" "$N"
"$PCLOAD" create "$C" "$N"
"$PCLOAD" create "$RW" "$N"
# warm: cached and held; rewrite: cached, clean, held, then written over in place
"$PCLOAD" read "$W" >/dev/null
"$PCLOAD" read "$RW" >/dev/null
pin "$W" "$RW" || echo "warning: could not pin $W and $RW"
[ "$("$PCLOAD" resident "$C")" = 0 ] || echo "warning: $C not evicted"

# start the four workloads stopped, both views of cachetop, then release
start() { "$PCLOAD" -s "$@" >/dev/null & pids+=($!); wait_stopped $!; }
start read "$W"; wp=${pids[-1]}
start read "$C"; cp=${pids[-1]}
start write "$NEW" "$N"; np=${pids[-1]}
start rewrite "$RW" "$N"; rp=${pids[-1]}
# no report count: under load (or TCG) the workloads can outlast any fixed
# number of intervals; the tools are stopped one report after they exit
: >"$dir/procs.json"; : >"$dir/files.json"; : >"$dir/batch.txt"
"$CT" --json 1 >"$dir/procs.json" 2>"$dir/procs.err" &
ct=$!
"$CT" -f --json 1 >"$dir/files.json" 2>"$dir/files.err" &
cf=$!
"$CT" -b 1 >"$dir/batch.txt" 2>"$dir/batch.err" &
cb=$!
if ! wait_lines "$dir/procs.json" 15 || ! wait_lines "$dir/files.json" 15 ||
	! wait_lines "$dir/batch.txt" 15; then
	notok "cachetop: no report within 15 s: $(cat "$dir"/*.err)"
	exit 0
fi
kill -CONT "${pids[@]}"
wait "${pids[@]}"
pids=()
stop_after_report $ct $cf $cb
unpin

# sum a field over a pid's rows in every interval
psum() { jq -s "[.[].rows[] | select(.pid == $1) | .$2] | add // 0" "$dir/procs.json"; }
# A pid's percentage over all its intervals: each interval's, weighted by
# what it is a percentage of (dirties, or hits + misses) = that of the totals;
# a workload split across an interval boundary gives the same figure.
wpct() {
	jq -s "[.[].rows[] | select(.pid == $1 and .$2 != null) | [.$2 * (.$3), .$3]] |
		if length == 0 then -1 else ((map(.[0]) | add) / (map(.[1]) | add) * 100 | round) / 100 end" \
		"$dir/procs.json"
}
fsum() { jq -s "[.[].rows[] | select(.file == \"$1\") | .$2] | add // 0" "$dir/files.json"; }

H=$(psum "$wp" hits) M=$(psum "$wp" misses)
if within "$H" "$N" $TOL && below "$M" "$N" 1; then
	ok "per process: the warm reader (pid $wp) has $H hits, $M misses"
else
	notok "per process: the warm reader (pid $wp) has $H hits (want $N ±$TOL%), $M misses"
fi
H=$(psum "$cp" hits) M=$(psum "$cp" misses)
if within "$M" "$N" $TOL && below "$H" "$((H + M))" $TOL; then
	ok "per process: the cold reader (pid $cp) has $M misses, $H hits"
else
	notok "per process: the cold reader (pid $cp) has $M misses (want $N ±$TOL%), $H hits"
fi
D=$(psum "$np" dirties) M=$(psum "$np" misses)
WH=$(wpct "$np" write_hit_pct dirties)
# metadata pages (bitmaps, inode tables) the writer dirties are write hits: allow TOL%
if within "$D" "$N" $TOL && below "$M" "$N" 2 && awk -v w="$WH" -v t=$TOL 'BEGIN { exit !(w >= 0 && w < t) }'; then
	ok "per process: the writer of new pages (pid $np): $D dirties, WRITE_HIT% $WH"
else
	notok "per process: the writer (pid $np): $D dirties (want $N), $M misses, WRITE_HIT% $WH (want < $TOL)"
fi
D=$(psum "$rp" dirties)
WH=$(wpct "$rp" write_hit_pct dirties)
if within "$D" "$N" $TOL && awk -v w="$WH" -v t=$TOL 'BEGIN { exit !(w > 100 - t) }'; then
	ok "per process: the rewriter of cached pages (pid $rp): $D dirties, WRITE_HIT% $WH"
else
	notok "per process: the rewriter (pid $rp): $D dirties (want $N), WRITE_HIT% $WH (want > $((100 - TOL)))"
fi
RH=$(wpct "$wp" hit_pct "hits + .misses")
if awk -v r="$RH" 'BEGIN { exit !(r >= 99) }'; then
	ok "READ_HIT%: the warm reader's is $RH"
else
	notok "READ_HIT%: the warm reader's is $RH, want >= 99"
fi

for f in "$W:hits" "$C:misses"; do
	file=${f%:*} field=${f#*:}
	v=$(fsum "$file" "$field")
	if within "$v" "$N" $TOL; then
		ok "per file: $(basename "$file") is named by path with $v $field"
	else
		notok "per file: $(basename "$file"): $v $field (want $N ±$TOL%): $(jq -c '.rows[]' "$dir/files.json" | head -5)"
	fi
done

# a row is named after the process as it is now, not as it was at exec
names=$(jq -rs "[.[].rows[] | select(.pid == $cp) | .comm] | unique | join(\",\")" "$dir/procs.json")
if [ "$names" = pcload ]; then
	ok "CMD: the cold reader's rows are named pcload"
else
	notok "CMD: the cold reader's rows are named '$names', want pcload"
fi

# every workload exited within its interval and still shows (short-lived)
n=$(jq -s "[.[].rows[] | select(.pid == $wp or .pid == $cp or .pid == $np or .pid == $rp) | .pid] | unique | length" "$dir/procs.json")
if [ "$n" = 4 ]; then
	ok "short-lived processes: all 4 workloads, gone before the report, are listed"
else
	notok "short-lived processes: $n of 4 workloads listed"
fi

# batch text: the bcc header line and columns, and the cold reader's rows
# (summed: its read may straddle an interval boundary)
read -r BH BM < <(awk -v p="$cp" '$1 == p { h += $4; m += $5 } END { print h + 0, m + 0 }' "$dir/batch.txt")
if grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2} Buffers MB: [0-9]+ / Cached MB: [0-9]+ / Sort: HITS / Order: descending$' "$dir/batch.txt" &&
	grep -qE '^ +PID UID +CMD +HITS +MISSES +DIRTIES +READ_HIT% WRITE_HIT%$' "$dir/batch.txt" &&
	within "$BM" "$N" $TOL && below "$BH" "$((BH + BM))" $TOL; then
	ok "batch: bcc's header line and columns, the cold reader with $BM misses, $BH hits"
else
	notok "batch: unexpected text: $(head -n 4 "$dir/batch.txt")"
fi

# mmap and intervals: a cold mmap scan spread over ~4 one-second intervals
# (-w: readahead runs ahead of it across each boundary) and, at the same time,
# a warm mmap scan of a file cached by read() (large folios where the
# filesystem makes them: 128 MiB natively; 10 MiB in the TCG guests, whose
# ext4 caches single pages). Each pid's and each file's rows, summed over the
# intervals, must be its whole truth.
MC=$dir/mcold.dat MW=$dir/mwarm.dat NC=2560 NW=32768
[ -n "${MEMSCOPE_GUEST:-}" ] && NW=2560
"$PCLOAD" create "$MC" "$NC"
"$PCLOAD" create "$MW" "$NW"
"$PCLOAD" read "$MW" >/dev/null
pin "$MW" || echo "warning: could not pin $MW"
[ "$("$PCLOAD" resident "$MC")" = 0 ] || echo "warning: $MC not evicted"
start -w 300 mmap "$MC"; mcp=${pids[-1]}
start mmap "$MW"; mwp=${pids[-1]}
: >"$dir/procs.json"
: >"$dir/files.json"
: >"$dir/procs.json"; : >"$dir/files.json"
"$CT" --json 1 >"$dir/procs.json" 2>"$dir/procs.err" &
ct=$!
"$CT" -f --json 1 >"$dir/files.json" 2>"$dir/files.err" &
cf=$!
if wait_lines "$dir/procs.json" 15 && wait_lines "$dir/files.json" 15; then
	kill -CONT "${pids[@]}"
	wait "${pids[@]}"
	pids=()
	stop_after_report $ct $cf
	unpin
	n=$(jq -s "[.[] | select(any(.rows[]; .pid == $mcp))] | length" "$dir/procs.json")
	H=$(psum "$mcp" hits) M=$(psum "$mcp" misses)
	if within "$M" "$NC" $TOL && below "$H" "$((H + M))" $TOL && [ "$n" -ge 2 ]; then
		ok "per process, mmap over $n intervals: the cold scan (pid $mcp) has $M misses of $NC, $H hits"
	else
		notok "per process, mmap over $n intervals: the cold scan (pid $mcp) has $M misses (want $NC ±$TOL%), $H hits (want ratio < $TOL%; want >= 2 intervals)"
	fi
	H=$(psum "$mwp" hits) M=$(psum "$mwp" misses)
	if within "$H" "$NW" $TOL && below "$M" "$NW" 1; then
		ok "per process, mmap: the warm scan of a file cached by read() (pid $mwp) has $H hits of $NW, $M misses"
	else
		notok "per process, mmap: the warm scan (pid $mwp) has $H hits (want $NW ±$TOL%), $M misses"
	fi
	for f in "$MC:misses:$NC" "$MW:hits:$NW"; do
		IFS=: read -r file field want <<<"$f"
		v=$(fsum "$file" "$field")
		if within "$v" "$want" $TOL; then
			ok "per file, mmap: $(basename "$file") has $v $field of $want"
		else
			notok "per file, mmap: $(basename "$file"): $v $field (want $want ±$TOL%): $(jq -c '.rows[]' "$dir/files.json" | grep "$(basename "$file")" | head -5)"
		fi
	done
else
	kill -9 "${pids[@]}" $ct $cf 2>/dev/null
	pids=()
	notok "cachetop, mmap: no report within 15 s: $(cat "$dir"/*.err)"
fi

# the full-screen view, in tmux: sort keys, reverse, files view, quit
if ! command -v tmux >/dev/null; then
	notok "interactive: tmux missing"
	exit 0
fi
tui_start memscope-ct "$CT 1"
tui_step "starts sorted by HITS, descending" "" "Sort: HITS / Order: descending"
tui_step "> sorts by the next column" ">" "Sort: MISSES / Order: descending"
tui_step "< goes back" "<" "Sort: HITS / Order: descending"
tui_step "r reverses the order" "r" "Sort: HITS / Order: ascending"
tui_step "f shows files" "f" "^FILE +PID +HITS +MISSES +DIRTIES +HIT%"
tui_step "f back to processes" "f" "^ +PID UID +CMD +HITS"
tui_step "p pauses" "p" "PAUSED \(p resumes\)"
tmux send-keys -t "$TUI_SESSION" p
t=50
while [ $t -gt 0 ] && tui_screen | grep -q PAUSED; do sleep 0.1; t=$((t - 1)); done
if [ $t -gt 0 ]; then ok "interactive: p again resumes"; else notok "interactive: still paused after a second p"; fi
# narrower than the title line: a redraw cuts it at the new width
tmux resize-window -t "$TUI_SESSION" -x 50 -y 20 2>/dev/null
t=50
while [ $t -gt 0 ]; do
	w=$(tui_screen | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
	[ "$w" -le 50 ] && tui_screen | grep -q "Buffers MB" && tui_screen | grep -qE "^ +PID UID" && break
	sleep 0.1
	t=$((t - 1))
done
if [ $t -gt 0 ]; then
	ok "interactive: redrawn at the new size after a resize (widest line $w of 50)"
else
	notok "interactive: after resizing to 50 columns: $(tui_screen | head -n 3 | tr '\n' '|')"
fi
tui_quit cachetop "^$CT 1\$"
