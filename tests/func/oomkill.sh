#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# oomkill against real memory-cgroup OOM kills. Ground truth:
#  1. a cgroup limited to 32 MiB (no swap allowed) and oomvictim touching
#     64 MiB in it, reporting its progress through a pipe: the record names
#     that pid as the victim, the cgroup's path, constraint memcg, the
#     oom_score_adj the test set, and anon RSS within 5% of the last progress.
#     Its points, total_pages and oom_score follow the kernel's formulas
#     from the record's own rss, swap, page tables and the 8192-page limit,
#     and agree with the kernel's report (dump_tasks row, Killed process,
#     oom-kill: constraint line, and where oom_control is read, the
#     invoked oom-killer line's gfp_mask and order; else they are absent).
#  2. two holders of 8 MiB in one 32 MiB cgroup with oom_score_adj 0 and 800,
#     and a trigger (adj 0, fewer points than the 800) touching 18 MiB (with
#     20, the 6.1 guest, whose v2 cgroup is charged kernel memory as well,
#     killed the trigger too): --rank -c puts one first, and the kill picks
#     that one; the other survives.
# The cgroup and every process are removed on every exit path.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/memcg.sh"
. "$(dirname "$0")/../lib/oomkmsg.sh"
OK=$BUILD/oomkill
VICTIM=$BUILD/tests/func/oomvictim
TOL=5

if [ "$(id -u)" != 0 ]; then
	skip "oomkill functional tests: need root"
	exit 0
fi

dir=$(mktemp -d "$SCRATCH/memscope-oomkill.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "${other:-}" ] && rmdir "$other" 2>/dev/null
	memcg_cleanup
	rm -rf "$dir"
}
trap cleanup EXIT

# memory.limit_in_bytes, and memsw (v1) or swap.max (v2) at the same: no swap
no_swap_memcg() {
	memcg_new "$1" 32 || return 1
	if [ "$MEMCG_V" = 1 ]; then
		[ -f "$MEMCG/memory.memsw.limit_in_bytes" ] &&
			echo $((32 << 20)) >"$MEMCG/memory.memsw.limit_in_bytes"
	else
		[ -f "$MEMCG/memory.swap.max" ] && echo 0 >"$MEMCG/memory.swap.max"
	fi
	return 0
}

# in_memcg ADJ CMD...: runs CMD in MEMCG with oom_score_adj ADJ
in_memcg() {
	local adj=$1
	shift
	echo "$BASHPID" >"$MEMCG/cgroup.procs" || exit 125
	echo "$adj" >/proc/self/oom_score_adj || exit 125
	exec "$@"
}

# start_oomkill OUT: oomkill --json in the background, attached when it returns
start_oomkill() {
	local out=$1
	shift
	: >"$out.err"
	"$OK" --json "$@" >"$out" 2>"$out.err" &
	okpid=$!
	pids+=("$okpid")
	wait_lines "$out.err" 20 || return 1
}
# stop_oomkill: SIGINT, and it must exit 0
stop_oomkill() {
	kill -INT "$okpid"
	wait "$okpid"
}

rel() { echo "${MEMCG#"$(memcg_root | cut -d' ' -f2)"}"; }

# 1. one victim of a 32 MiB limit
if ! no_swap_memcg one; then
	notok "oomkill memcg: cannot create a memory cgroup"
	exit 0
fi
start_oomkill "$dir/one" || { notok "oomkill memcg: oomkill did not start: $(head -c 300 "$dir/one.err")"; exit 0; }
okall=$okpid
# -c: the victim's cgroup sees its kill, a sibling cgroup does not
other=$MEMCG.other
mkdir "$other" || { notok "oomkill -c: cannot create a sibling cgroup"; exit 0; }
start_oomkill "$dir/in" -c "$MEMCG" || { notok "oomkill -c: did not start: $(head -c 300 "$dir/in.err")"; exit 0; }
okin=$okpid
start_oomkill "$dir/out" -c "$other" || { notok "oomkill -c: did not start: $(head -c 300 "$dir/out.err")"; exit 0; }
okout=$okpid
okpid=$okall
( in_memcg 300 "$VICTIM" 64 ) >"$dir/prog" &
vic=$!
wait "$vic"
vic_rc=$?
# the record is read in the kernel at the event: give the reader a moment
for t in $(seq 1 100); do [ -s "$dir/one" ] && break; sleep 0.05; done
stop_oomkill
ok_rc=$?
kill -INT "$okin" "$okout"
wait "$okin" "$okout"
rmdir "$other"
last=$(tail -n 1 "$dir/prog")
line=$(jq -c "select(.victim_pid == $vic)" "$dir/one" 2>/dev/null | head -n 1)
want_cg=$(rel)
if [ "$vic_rc" != 137 ]; then
	notok "oomkill memcg: oomvictim was not killed by SIGKILL (exit $vic_rc)"
elif [ -z "$line" ]; then
	notok "oomkill memcg: no record with victim $vic: $(head -c 400 "$dir/one") $(head -c 200 "$dir/one.err")"
else
	anon=$(jq '.anon_rss_kb' <<<"$line")
	fail=
	[ "$(jq -r .victim_cgroup <<<"$line")" = "$want_cg" ] || fail+=" victim_cgroup $(jq -r .victim_cgroup <<<"$line") != $want_cg;"
	[ "$(jq -r .oom_cgroup <<<"$line")" = "$want_cg" ] || fail+=" oom_cgroup $(jq -r .oom_cgroup <<<"$line") != $want_cg;"
	[ "$(jq -r .constraint <<<"$line")" = memcg ] || fail+=" constraint $(jq -r .constraint <<<"$line");"
	[ "$(jq -r .oom_score_adj <<<"$line")" = 300 ] || fail+=" oom_score_adj $(jq -r .oom_score_adj <<<"$line") != 300;"
	[ "$(jq -r .trigger_pid <<<"$line")" = "$vic" ] || fail+=" trigger_pid $(jq -r .trigger_pid <<<"$line") != $vic;"
	[ "$(jq -r .memcg_limit_kb <<<"$line")" = 32768 ] || fail+=" memcg_limit_kb $(jq -r .memcg_limit_kb <<<"$line");"
	# try_charge() reclaims from the cgroup (MAX_RECLAIM_RETRIES times) before it OOMs
	[ "$(jq -r .preceding.memcg_stalls <<<"$line")" -ge 1 ] 2>/dev/null || fail+=" preceding.memcg_stalls $(jq -r .preceding.memcg_stalls <<<"$line") (want at least 1);"
	within "$anon" $((last / 1024)) "$TOL" || fail+=" anon_rss_kb $anon vs touched $((last / 1024)) KiB;"
	[ "$ok_rc" = 0 ] || fail+=" oomkill exit $ok_rc;"
	if [ -z "$fail" ]; then
		ok "oomkill memcg: victim $vic in $want_cg, constraint memcg, adj 300, anon $anon KiB vs touched $((last / 1024)) KiB (within $TOL%), $(jq -r .preceding.memcg_stalls <<<"$line") memcg reclaim stalls before it"
	else
		notok "oomkill memcg:$fail"
	fi
fi
[ -n "$line" ] && check_points "oomkill memcg points" "$line" "$vic" 8192 "$dir/kmsg" "$(have_oc && echo 1)"
nin=$(jq -c "select(.victim_pid == $vic)" "$dir/in" 2>/dev/null | wc -l)
nout=$(jq -c "select(.victim_pid != null)" "$dir/out" 2>/dev/null | wc -l)
inpre=$(jq -r "select(.victim_pid == $vic) | [.preceding.cgroup, .preceding.memcg_stalls] | map(tostring) | join(\" \")" "$dir/in" 2>/dev/null)
if [ "$nin" = 1 ] && [ "$nout" = 0 ] && [ "${inpre% *}" = "$want_cg" ] && [ "${inpre#* }" -ge 1 ] 2>/dev/null; then
	ok "oomkill -c: -c on the victim's cgroup shows its kill (${inpre#* } memcg reclaim stalls of $want_cg's tasks before it), -c on a sibling none"
elif [ "$nin" = 1 ] && [ "$nout" = 0 ]; then
	notok "oomkill -c: preceding.cgroup and memcg_stalls '$inpre', want '$want_cg' and at least 1"
else
	notok "oomkill -c: $nin records with -c on the victim's cgroup (want 1), $nout with -c on a sibling (want 0)"
fi
memcg_cleanup

# 2. --rank's first is the one the kernel kills
if ! no_swap_memcg two; then
	notok "oomkill rank: cannot create a memory cgroup"
	exit 0
fi
( in_memcg 0 "$VICTIM" 8 hold ) >"$dir/a" &
a=$!
( in_memcg 800 "$VICTIM" 8 hold ) >"$dir/b" &
b=$!
pids+=("$a" "$b")
# both hold their 8 MiB (128 reports of 64 KiB)
if ! wait_lines "$dir/a" 20 128 || ! wait_lines "$dir/b" 20 128; then
	notok "oomkill rank: the holders did not start"
	exit 0
fi
"$OK" --rank --json -n 0 -c "$MEMCG" >"$dir/rank" 2>"$dir/rank.err"
rank_rc=$?
first=$(head -n 1 "$dir/rank" | jq -r .pid)
nrank=$(wc -l <"$dir/rank")
start_oomkill "$dir/two" || { notok "oomkill rank: oomkill did not start: $(head -c 300 "$dir/two.err")"; exit 0; }
( in_memcg 0 "$VICTIM" 18 ) >"$dir/c" &
c=$!
wait "$c"
c_rc=$?
for t in $(seq 1 100); do [ -s "$dir/two" ] && break; sleep 0.05; done
stop_oomkill
killed=$(jq -r .victim_pid "$dir/two" | head -n 1)
other=$a
[ "$first" = "$a" ] && other=$b
if [ "$rank_rc" != 0 ] || [ "$nrank" != 2 ]; then
	notok "oomkill rank: --rank -c exit $rank_rc, $nrank rows (want the 2 holders): $(head -c 300 "$dir/rank" "$dir/rank.err")"
elif [ "$first" != "$b" ]; then
	notok "oomkill rank: --rank put $first first, not $b (adj 800)"
elif [ "$killed" != "$first" ]; then
	notok "oomkill rank: the kernel killed ${killed:-nobody}, --rank put $first first"
elif ! kill -0 "$other" 2>/dev/null || [ "$c_rc" != 0 ]; then
	notok "oomkill rank: more than one kill ($other alive: $(kill -0 "$other" 2>/dev/null && echo yes || echo no), trigger exit $c_rc)"
else
	ok "oomkill rank: --rank put $first (adj 800) before $other (adj 0), and the kernel killed $killed"
fi

# bad input
expect_exit "oomkill usage: stray argument" 2 "unexpected argument .5." "$OK" 5
expect_exit "oomkill usage: -n without --rank" 2 "n is for --rank" "$OK" -n 3
expect_exit "oomkill usage: -c on no cgroup" 1 "/nonexistent" "$OK" -c /nonexistent
expect_exit "oomkill usage: bad -n" 2 "invalid" "$OK" --rank -n x
