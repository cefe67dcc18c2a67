#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# faultstat against workloads whose fault counts are known: each workload's
# own getrusage(2) is the truth, faultstat's JSON for its pid the answer.
#   anonymous: memhog touches N fresh pages -> N minor faults (1%)
#   short-lived: processes with threads that live milliseconds -> all counted
#   file: a cold MADV_RANDOM mmap read of an evicted file -> one major fault
#         per page, classified as file, the file named by --files
#   swap: memhog in a small memory cgroup, its pages pushed to swap, then
#         touched again -> its major faults, classified as swap (-c filter)
# --stacks names where the file faults came from. Then the full-screen view in tmux, and nothing left in the kernel after exit.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/memcg.sh"
FS=$BUILD/faultstat
SPAWN=$BUILD/tests/func/faultstat_spawn
TOL=1

expect_exit "faultstat unknown sort field" 2 "faultstat: unknown sort field 'bogus'" "$FS" -b -s bogus 1 1
expect_exit "faultstat zero rows" 2 "faultstat: invalid rows '0'" "$FS" -b -n 0 1 1
expect_exit "faultstat zero interval" 2 "faultstat: invalid interval '0'" "$FS" -b 0
expect_exit "faultstat bad pid" 2 "faultstat: invalid pid 'x'" "$FS" -p x
expect_exit "faultstat cgroup that does not exist" 1 "faultstat: cgroup /nonexistent: No such file" \
	"$FS" -b -c /nonexistent 1 1
expect_exit "faultstat cgroup path that is no cgroup" 1 "faultstat: /tmp is not a cgroup directory" \
	"$FS" -b -c /tmp 1 1

if [ "$(id -u)" != 0 ]; then
	skip "faultstat functional tests: need root"
	exit 0
fi
expect_exit "faultstat pid that does not exist" 1 "faultstat: pid 2147483647 does not exist" \
	"$FS" -b -p 2147483647 1 1
if command -v setpriv >/dev/null; then
	expect_exit "faultstat not root" 1 "faultstat: needs CAP_BPF and CAP_PERFMON" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$FS" 1 1
fi

# -d, -f and --stacks need bpf_find_vma (v5.17): before it (the 5.10
# guest) they are refused by name, and the counting-mode checks run alone,
# with major_file and major_swap absent (null), never 0
DETAIL=1 dargs=(-d)
if "$FS" --probes 2>/dev/null | grep -q 'no bpf_find_vma'; then
	DETAIL=0 dargs=()
	for o in -d -f --stacks; do
		expect_exit "faultstat $o without bpf_find_vma ($(uname -r))" 1 \
			"faultstat: $o needs bpf_find_vma\(\) \(Linux 5.17 or later\)" "$FS" -b $o 1 1
	done
fi

dir=$(mktemp -d "$SCRATCH/memscope-faultstat.XXXXXX")
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null; tmux kill-session -t memscope-fs 2>/dev/null; memcg_cleanup; rm -rf "$dir"' EXIT

# psum FILE PID FIELD: FIELD summed over PID's rows in every interval
psum() { jq -s "[.[].rows[] | select(.pid == $2) | .$3 // 0] | add // 0" "$1"; }
# starts TOOL_ARGS on stopped pid $1 (-p), resumes it, waits for both
run_on() {
	local pid=$1 out=$2
	shift 2
	: >"$out"
	"$FS" --json -p "$pid" "$@" 1 >"$out" 2>"$out.err" &
	local t=$!
	if ! wait_lines "$out" 15; then
		kill -9 "$pid" "$t" 2>/dev/null
		return 1
	fi
	kill -CONT "$pid"
	wait "$pid"
	wait "$t"
}

# ---- anonymous pages: minor faults, counting mode ----
N=25600
"$MEMHOG" -s "$N" >"$dir/hog.out" &
hp=$!
wait_stopped "$hp"
if run_on "$hp" "$dir/anon.json"; then
	want=$(sed -n 's/^pass=1 minflt=\([0-9]*\).*/\1/p' "$dir/hog.out")
	got=$(psum "$dir/anon.json" "$hp" minor) maj=$(psum "$dir/anon.json" "$hp" major)
	if [ -n "$want" ] && within "$got" "$want" $TOL && [ "$maj" = 0 ]; then
		ok "anonymous: memhog's $want minor faults (getrusage) reported as $got, 0 major"
	else
		notok "anonymous: reported $got minor, $maj major; memhog's getrusage says ${want:-?} minor (±$TOL%)"
	fi
	if grep -q "faultstat: pid $hp exited" "$dir/anon.json.err"; then
		ok "anonymous: the traced pid's exit ends the trace with a note"
	else
		notok "anonymous: no exit note: $(cat "$dir/anon.json.err")"
	fi
else
	notok "anonymous: faultstat gave no report within 15 s: $(cat "$dir/anon.json.err")"
fi

# ---- short-lived processes with threads, no filter ----
# short_lived NAME [TOOL_ARGS...]
short_lived() {
	local name=$1 sp t rc good=0 bad=() line p want got
	shift
	"$SPAWN" -s -t 3 6 1000 >"$dir/spawn.out" &
	sp=$!
	wait_stopped "$sp"
	: >"$dir/spawn.json"
	"$FS" --json "$@" 1 >"$dir/spawn.json" 2>"$dir/spawn.err" &
	t=$!
	if ! wait_lines "$dir/spawn.json" 15; then
		kill -9 "$sp" "$t" 2>/dev/null
		notok "short-lived$name: faultstat gave no report within 15 s: $(cat "$dir/spawn.err")"
		return
	fi
	kill -CONT "$sp"
	wait "$sp"
	kill -INT "$t"
	wait "$t"
	rc=$?
	while read -r line; do
		p=${line#pid=}
		p=${p%% *}
		want=$(sed 's/.*minflt=\([0-9]*\).*/\1/' <<<"$line")
		got=$(psum "$dir/spawn.json" "$p" minor)
		# a few faults come after the child's getrusage (write, exit)
		if within "$got" "$want" $TOL && [ "$got" -ge "$want" ]; then
			good=$((good + 1))
		else
			bad+=("pid $p: $got for $want")
		fi
	done <"$dir/spawn.out"
	if [ "$rc" = 0 ] && [ "$good" = 6 ] && [ ${#bad[@]} = 0 ]; then
		ok "short-lived$name: 6 processes of 4 threads, each alive a few ms, counted within $TOL% of their getrusage"
	else
		notok "short-lived$name: exit $rc, $good of 6 right; ${bad[*]:-none reported}"
	fi
}
short_lived ""
# the exit hook's fallbacks, where this kernel has them (the 6.1 guest)
for skip in tp_btf,raw_tp tp_btf,raw_tp,fentry; do
	hook=$("$FS" --probes --skip-hooks "$skip" 2>/dev/null | awk '/CHOSEN/ { for (i = 1; i <= NF; i++) if ($i ~ /^(tp_btf|raw_tp|fentry|kprobe):/) { print $i; exit } }')
	case $hook in
	fentry:* | kprobe:*) short_lived " ($hook)" --skip-hooks "$skip" ;;
	*) [ -n "${MEMSCOPE_GUEST:-}" ] && notok "short-lived: no fallback after --skip-hooks $skip in the guest" ;;
	esac
done

# ---- cold file via mmap, MADV_RANDOM: one major fault per page ----
NF=2000
F=$dir/cold.dat
"$PCLOAD" create "$F" "$NF"
res=$("$PCLOAD" resident "$F")
"$PCLOAD" -s mmap "$F" random >/dev/null &
mp=$!
wait_stopped "$mp"
fargs=(-f --stacks)
[ $DETAIL = 0 ] && fargs=()
run_on "$mp" "$dir/file.json" "${fargs[@]}"
frc=$?
if [ $frc = 0 ] && [ $DETAIL = 0 ]; then
	maj=$(psum "$dir/file.json" "$mp" major) want=$((NF - res))
	nulls=$(jq -s '[.[].total | select(.major_file == null and .major_swap == null)] | length' "$dir/file.json")
	if within "$maj" "$want" $TOL && [ "$nulls" = "$(wc -l <"$dir/file.json")" ]; then
		ok "file: $want evicted pages read through mmap: $maj major faults; file/swap split absent (null) in all $nulls reports"
	else
		notok "file: $maj major faults for $want evicted pages (±$TOL%), $nulls of $(wc -l <"$dir/file.json") reports without the split"
	fi
elif [ $frc = 0 ]; then
	maj=$(psum "$dir/file.json" "$mp" major) mf=$(psum "$dir/file.json" "$mp" major_file)
	ms=$(psum "$dir/file.json" "$mp" major_swap)
	fm=$(jq -s "[.[].files[]? | select(.file == \"$F\") | .major] | add // 0" "$dir/file.json")
	want=$((NF - res))
	if within "$maj" "$want" $TOL && within "$mf" "$maj" $TOL && [ "$ms" = 0 ]; then
		ok "file: $want evicted pages read through mmap: $maj major faults, $mf file, $ms swap"
	else
		notok "file: $maj major faults ($mf file, $ms swap) for $want evicted pages (±$TOL%)"
	fi
	if within "$fm" "$want" $TOL; then
		ok "file: --files names $F with $fm major faults"
	else
		notok "file: --files has $fm major faults for $F (want $want): $(jq -c '.files' "$dir/file.json" | tr '\n' ' ')"
	fi
	# the faults are pcload's reads of the mapping, in main (no frame pointers);
	# frames are the frame objects of every tool (memleak's too)
	sm=$(jq -s "[.[].stacks[]? | select(.pid == $mp) | .major] | add // 0" "$dir/file.json")
	top=$(jq -rs "[.[].stacks[]? | select(.pid == $mp) | .user[0] | \"\(.sym)+\(.offset) [\(.module)] \(.file):\(.line)\"] | unique | .[]" "$dir/file.json")
	bad=$(jq -s '[.[].stacks[]? | (.user + .kernel)[] | select((keys | sort) != ["addr", "file", "line", "module", "offset", "sym"])] | length' "$dir/file.json")
	if within "$sm" "$maj" $TOL && grep -qE '^main\+[0-9]+ \[pcload\] .*pcload\.c:[0-9]+$' <<<"$top" && [ "$bad" = 0 ]; then
		ok "file: --stacks counts $sm major faults, at $(head -n 1 <<<"$top"), every frame an object of addr, sym, offset, module, file, line"
	else
		notok "file: --stacks: $sm major faults (want $maj) at: $(echo $top); $bad frames of other keys"
	fi
else
	notok "file: faultstat gave no report within 15 s: $(cat "$dir/file.json.err")"
fi

# ---- swap-ins in a memory cgroup, selected with -c ----
NS=51200
if ! swap_on 512 2>"$dir/swap.err" || ! memcg_new fs 64 2>>"$dir/swap.err"; then
	notok "swap: cannot set up swap and a memory cgroup: $(cat "$dir/swap.err")"
else
	(memcg_exec "$MEMHOG" -s -S -p 2 "$NS") >"$dir/swaphog.out" &
	wp=$!
	wait_stopped "$wp"
	: >"$dir/swap.json"
	"$FS" --json "${dargs[@]}" -c "$MEMCG" 1 >"$dir/swap.json" 2>"$dir/swap.json.err" &
	t=$!
	if wait_lines "$dir/swap.json" 15; then
		kill -CONT "$wp"
		wait_stopped "$wp" 60 # after pass 1, most pages were pushed to swap
		kill -CONT "$wp"
		wait "$wp"
		kill -INT "$t"
		wait "$t"
		wmin=$(awk -F'[= ]' '{ s += $4 } END { print s + 0 }' "$dir/swaphog.out")
		wmaj=$(awk -F'[= ]' '{ s += $6 } END { print s + 0 }' "$dir/swaphog.out")
		min=$(psum "$dir/swap.json" "$wp" minor) maj=$(psum "$dir/swap.json" "$wp" major)
		msw=$(psum "$dir/swap.json" "$wp" major_swap) mfi=$(psum "$dir/swap.json" "$wp" major_file)
		others=$(jq -s "[.[].rows[] | select(.pid != $wp) | .pid] | unique | length" "$dir/swap.json")
		if [ "$wmaj" -gt 100 ] && within "$maj" "$wmaj" $TOL && within "$min" "$wmin" $TOL; then
			ok "swap: memhog's $wmaj major + $wmin minor faults (getrusage) reported as $maj + $min"
		else
			notok "swap: reported $maj major + $min minor; memhog's getrusage: $wmaj + $wmin (±$TOL%): $(cat "$dir/swaphog.out" | tr '\n' ' ')"
		fi
		# swap-ins that get_user_pages() takes have no perf event: allow 2%
		if [ $DETAIL = 0 ]; then
			: # no -d here (checked refused above)
		elif [ "$wmaj" -gt 100 ] && within "$msw" "$maj" 2 && [ "$mfi" -le $((maj / 100 + 2)) ]; then
			ok "swap: -d classifies $msw of $maj major faults as swap, $mfi as file"
		else
			notok "swap: -d: $msw swap, $mfi file of $maj major faults"
		fi
		if [ "$others" = 0 ]; then
			ok "swap: -c $MEMCG shows only the cgroup's process"
		else
			notok "swap: -c shows $others other processes: $(jq -c '[.rows[].pid]' "$dir/swap.json" | sort -u | head -5 | tr '\n' ' ')"
		fi
	else
		kill -9 "$wp" "$t" 2>/dev/null
		notok "swap: faultstat gave no report within 15 s: $(cat "$dir/swap.json.err")"
	fi
	memcg_cleanup
fi

# ---- nothing left in the kernel after Ctrl-C (-d: iterator, exit hook, perf events) ----
held_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "link_id:" || $1 == "prog_id:" { print $1 $2 }' | sort -u
}
: >"$dir/out"
# without -d: the exit hook and the iterator
minl=3
[ $DETAIL = 0 ] && minl=1
"$FS" -b "${dargs[@]}" 1 >"$dir/out" 2>"$dir/err" &
t=$!
if wait_lines "$dir/out" 15; then
	ids=$(held_ids "$t")
	kill -INT "$t"
	wait "$t"
	rc=$?
	n=30 left=
	while [ $n -gt 0 ]; do
		left=$( { bpftool link show -j | jq -r '.[] | "link_id:\(.id)"'
			bpftool prog show -j | jq -r '.[] | "prog_id:\(.id)"'; } 2>/dev/null | grep -Fx -f <(echo "$ids"))
		[ -z "$left" ] && break
		sleep 0.1
		n=$((n - 1))
	done
	nl=$(grep -c link_id <<<"$ids")
	if [ "$rc" = 0 ] && [ "$nl" -ge $minl ] && [ -z "$left" ]; then
		ok "SIGINT: exit 0; its $nl links and their programs are gone from the kernel"
	else
		notok "SIGINT: exit $rc, held $nl links; still in the kernel: $(echo $left)"
	fi
else
	kill -9 "$t" 2>/dev/null
	notok "SIGINT: faultstat printed nothing: $(cat "$dir/err")"
fi

# ---- the full-screen view ----
if ! command -v tmux >/dev/null; then
	skip "faultstat interactive: tmux missing"
	exit 0
fi
if [ $DETAIL = 0 ]; then
	tui_start memscope-fs "$FS 1"
	tui_step "starts sorted by MAJOR, descending" "" "Sort: MAJOR / Order: descending"
	tui_step "shows the columns" "" "^ +PID COMM +MINOR +MAJOR MAJ_FILE MAJ_SWAP"
	tui_quit faultstat "^$FS 1\$"
	exit 0
fi
tui_start memscope-fs "$FS -f 1"
tui_step "starts sorted by MAJOR, descending" "" "Sort: MAJOR / Order: descending"
tui_step "shows the columns" "" "^ +PID COMM +MINOR +MAJOR MAJ_FILE MAJ_SWAP"
tui_step "> sorts by the next column" ">" "Sort: MAJ_FILE / Order: descending"
tui_step "< goes back" "<" "Sort: MAJOR / Order: descending"
tui_step "r reverses the order" "r" "Sort: MAJOR / Order: ascending"
tui_step "f shows files" "f" "^ +MAJOR +PID FILE"
tui_step "f back to processes" "f" "^ +PID COMM"
tui_quit faultstat "^$FS -f 1\$"
