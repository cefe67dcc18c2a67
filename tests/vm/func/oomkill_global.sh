#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# oomkill under a system-wide OOM: oomvictim (oom_score_adj 1000, so it is
# the pick) touches nearly all of RAM with no swap. Ground truth: its pid,
# constraint none (no cgroup limit), no oom_cgroup, the system's free memory
# present, anon RSS within 5% of the progress it reported through a pipe;
# points, total_pages (RAM + swap) and oom_score by the kernel's formulas and
# against its report (tests/lib/oomkmsg.sh). A second oomkill with
# --skip-hooks fentry,kprobe runs beside it: without oom_control, order and
# gfp come from the trigger's last direct reclaim and must be the report's.
# Never on the host: it refuses a machine with more than 2 GiB of RAM; the
# 1 GiB guest of tests/vm runs it (tests/run.sh, 5.10 stage).
set -u
. "$(dirname "$0")/../../lib/common.sh"
. "$(dirname "$0")/../../lib/oomkmsg.sh"
OK=$BUILD/oomkill
VICTIM=$BUILD/tests/func/oomvictim
TOL=5
MAX_MB=2048

mem_mb=$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
if [ "$mem_mb" -gt "$MAX_MB" ]; then
	notok "oomkill global: needs at most $MAX_MB MiB of RAM (the tests/vm guest); this machine has $mem_mb MiB"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	skip "oomkill global: needs root"
	exit 0
fi
if [ "$(awk '/^SwapTotal/ { print $2 }' /proc/meminfo)" != 0 ]; then
	skip "oomkill global: swap is on, the OOM would take minutes"
	exit 0
fi

dir=$(mktemp -d "$SCRATCH/memscope-oomglobal.XXXXXX")
okpid= vic= tppid=
# Under TCG an OOM of the guest's whole 1 GiB took 161 s (the victim's page
# faults, then reclaim scanning what is left). hugetlb pages reserved first
# take memory out of the OOM's reach without being touched (neither
# reclaimable nor any task's), so the victim fills about LEFT_MB MiB: the
# OOM stays global (constraint none; totalpages, RAM + swap, is unchanged).
LEFT_MB=256
hp_kb=$(awk '/^Hugepagesize/ { print $2 }' /proc/meminfo)
if [ -w /proc/sys/vm/nr_hugepages ] && [ -n "$hp_kb" ]; then
	avail=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
	[ "$avail" -gt $((LEFT_MB * 2048)) ] &&
		echo $(((avail - LEFT_MB * 1024) / hp_kb)) >/proc/sys/vm/nr_hugepages
	echo "reserved $(cat /proc/sys/vm/nr_hugepages) hugetlb pages of $hp_kb KiB; MemFree $(awk '/^MemFree/ { print $2 }' /proc/meminfo) KiB left"
fi
trap '[ -w /proc/sys/vm/nr_hugepages ] && echo 0 >/proc/sys/vm/nr_hugepages; [ -n "$okpid" ] && kill -9 "$okpid" 2>/dev/null; [ -n "$tppid" ] && kill -9 "$tppid" 2>/dev/null; [ -n "$vic" ] && kill -9 "$vic" 2>/dev/null; rm -rf "$dir"' EXIT

"$OK" --json >"$dir/ok" 2>"$dir/ok.err" &
okpid=$!
: >"$dir/tp.err"
"$OK" --json --skip-hooks fentry,kprobe >"$dir/tp" 2>"$dir/tp.err" &
tppid=$!
if ! wait_lines "$dir/ok.err" 60 || ! wait_lines "$dir/tp.err" 60; then
	notok "oomkill global: oomkill did not start: $(head -c 300 "$dir/ok.err" "$dir/tp.err")"
	exit 0
fi
# just under MemTotal, so the heuristic overcommit check lets the mapping through
( echo 1000 >/proc/self/oom_score_adj && exec "$VICTIM" $((mem_mb - 16)) ) >"$dir/prog" &
vic=$!
wait "$vic"
vic_rc=$?
vic_pid=$vic vic=
[ -w /proc/sys/vm/nr_hugepages ] && echo 0 >/proc/sys/vm/nr_hugepages
for t in $(seq 1 200); do [ -s "$dir/ok" ] && [ -s "$dir/tp" ] && break; sleep 0.05; done
kill -INT "$okpid" "$tppid"
wait "$okpid"
ok_rc=$? okpid=
wait "$tppid"
tp_rc=$? tppid=
last=$(tail -n 1 "$dir/prog")
line=$(jq -c "select(.victim_pid == $vic_pid)" "$dir/ok" 2>/dev/null | head -n 1)
probe=$("$OK" --probes | awk '/CHOSEN/ { print $(NF-2) }' | paste -sd, -)
if [ "$vic_rc" != 137 ]; then
	notok "oomkill global: oomvictim was not killed by SIGKILL (exit $vic_rc)"
elif [ -z "$line" ]; then
	notok "oomkill global: no record with victim $vic_pid: $(head -c 400 "$dir/ok") $(head -c 200 "$dir/ok.err")"
else
	anon=$(jq .anon_rss_kb <<<"$line")
	fail=
	[ "$(jq -r .constraint <<<"$line")" = none ] || fail+=" constraint $(jq -r .constraint <<<"$line");"
	[ "$(jq -r .oom_cgroup <<<"$line")" = null ] || fail+=" oom_cgroup $(jq -r .oom_cgroup <<<"$line");"
	[ "$(jq -r .mem_free_kb <<<"$line")" != null ] || fail+=" mem_free_kb absent;"
	[ "$(jq -r .oom_score_adj <<<"$line")" = 1000 ] || fail+=" oom_score_adj $(jq -r .oom_score_adj <<<"$line");"
	within "$anon" $((last / 1024)) "$TOL" || fail+=" anon_rss_kb $anon vs touched $((last / 1024)) KiB;"
	[ "$ok_rc" = 0 ] || fail+=" oomkill exit $ok_rc;"
	if [ -z "$fail" ]; then
		ok "oomkill global: victim $vic_pid, constraint none, adj 1000, anon $anon KiB vs touched $((last / 1024)) KiB (within $TOL%), hook $probe"
	else
		notok "oomkill global:$fail (hook $probe)"
	fi
fi

# the pages the adj is scaled by in a global OOM: RAM + swap
total=$(awk '/^MemTotal/ { m = $2 / 4 } /^SwapTotal/ { s = $2 / 4 } END { print m + s }' /proc/meminfo)
[ -n "$line" ] && check_points "oomkill global points" "$line" "$vic_pid" "$total" "$dir/kmsg" "$(have_oc && echo 1)"
# without oom_control: derived points where the victim hook has the task
# (6.1), order and gfp from the direct reclaim everywhere
tline=$(jq -c "select(.victim_pid == $vic_pid)" "$dir/tp" 2>/dev/null | head -n 1)
if [ -z "$tline" ] || [ "$tp_rc" != 0 ]; then
	notok "oomkill global without oom_control: no record of $vic_pid (exit $tp_rc): $(head -c 300 "$dir/tp" "$dir/tp.err")"
elif [ "$(jq -r .points <<<"$tline")" != null ]; then
	check_points "oomkill global without oom_control" "$tline" "$vic_pid" "$total" "$dir/kmsg" ""
else
	rep=$(oomk_report "$dir/kmsg" "$(jq -r .trigger_pid <<<"$tline")")
	got=$(jq -r '[.gfp_flags, .order] | map(tostring) | join(" ")' <<<"$tline")
	if [ "$got" = "$rep" ] && [ "$(jq -r .decision_from <<<"$tline")" = derived ]; then
		ok "oomkill global without oom_control: order and gfp of the trigger's direct reclaim '$got' = the kernel's report (pid-only hook: no points)"
	else
		notok "oomkill global without oom_control: '$got' (from $(jq -r .decision_from <<<"$tline")) != the kernel's '$rep'"
	fi
fi
