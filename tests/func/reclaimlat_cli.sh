#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# reclaimlat's handling of bad input, of its traced process exiting, and of
# signals: one-line errors, exit 2 for usage and 1 for runtime errors, and
# no BPF program left in the kernel after it exits.
set -u
. "$(dirname "$0")/../lib/common.sh"
RL=$BUILD/reclaimlat

expect_exit "reclaimlat zero interval" 2 "reclaimlat: invalid interval '0'" "$RL" 0
expect_exit "reclaimlat bad count" 2 "invalid count 'x'" "$RL" 1 x
expect_exit "reclaimlat extra argument" 2 "unexpected argument '3'" "$RL" 1 2 3
expect_exit "reclaimlat unknown flag" 2 "^reclaimlat: unrecognized option '--bogus'" "$RL" --bogus
expect_exit "reclaimlat bad pid" 2 "invalid pid 'x'" "$RL" -p x
expect_exit "reclaimlat bad -d" 2 "invalid MIN_MS 'ten': not a number" "$RL" -e -d ten
expect_exit "reclaimlat -d without -e" 2 "reclaimlat: -d is for event mode: add -e" "$RL" -d 5
expect_exit "reclaimlat -P with -e" 2 "reclaimlat: -P is for summary mode, not -e" "$RL" -e -P
expect_exit "reclaimlat missing cgroup" 1 "^reclaimlat: cgroup /nonexistent/cg: No such file or directory$" \
	"$RL" -c /nonexistent/cg
expect_exit "reclaimlat cgroup not a cgroup" 1 "^reclaimlat: /proc is not a cgroup directory$" "$RL" -c /proc
if "$RL" --help | grep -q 'EXAMPLES' && "$RL" --help | grep -q -- '--json' &&
	"$RL" --help | grep -q -- '-d, --min=MIN_MS'; then
	ok "reclaimlat --help: shows options and examples"
else
	notok "reclaimlat --help: no examples or options"
fi

if [ "$(id -u)" != 0 ]; then
	skip "reclaimlat runtime errors and detach: need root"
	exit 0
fi

expect_exit "reclaimlat pid that does not exist" 1 "reclaimlat: pid 2147483647 does not exist" \
	"$RL" -p 2147483647
if command -v setpriv >/dev/null; then
	expect_exit "reclaimlat not root" 1 "reclaimlat: needs CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$RL" 1 1
else
	skip "reclaimlat not root: setpriv missing"
fi

held_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "link_id:" || $1 == "prog_id:" { print $1 $2 }' | sort -u
}
remaining() {
	local ids=$1 t=30 left
	while :; do
		left=$( { bpftool link show -j | jq -r '.[] | "link_id:\(.id)"'
			bpftool prog show -j | jq -r '.[] | "prog_id:\(.id)"'; } 2>/dev/null |
			grep -Fx -f <(echo "$ids") )
		[ -z "$left" ] || [ $t -le 0 ] && break
		sleep 0.1
		t=$((t - 1))
	done
	echo "$left"
}

dir=$(mktemp -d "$SCRATCH/memscope-rlcli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# summary and event mode (which also holds the ring buffer)
for mode in "INT:" "TERM:-e"; do
	label=summary
	[ -n "${mode#*:}" ] && label="event mode"
	sig=${mode%%:*}
	"$RL" ${mode#*:} 1 >"$dir/out" 2>"$dir/err" &
	rl=$!
	if ! wait_lines "$dir/out" 15; then
		kill -9 "$rl" 2>/dev/null
		notok "reclaimlat $label SIG$sig: never printed its header: $(cat "$dir/err")"
		continue
	fi
	ids=$(held_ids "$rl")
	kill -"$sig" "$rl"
	wait "$rl"
	rc=$?
	left=$(remaining "$ids")
	nl=$(grep -c link_id <<<"$ids")
	if [ "$rc" = 0 ] && [ "$nl" -ge 7 ] && [ -z "$left" ]; then
		ok "reclaimlat $label SIG$sig: exit 0; its $nl links and their programs are gone"
	else
		notok "reclaimlat $label SIG$sig: exit $rc, held $nl links; still in the kernel: $(echo $left)"
	fi
done

# the traced process exits mid-trace: last report, a note, exit 0
sleep 1.5 &
sp=$!
"$RL" --json -p "$sp" 1 >"$dir/out" 2>"$dir/err"
rc=$?
if [ "$rc" = 0 ] && grep -q "reclaimlat: pid $sp exited" "$dir/err" && [ -s "$dir/out" ]; then
	ok "reclaimlat traced pid exits: $(wc -l <"$dir/out") reports, \"$(cat "$dir/err")\", exit 0"
else
	notok "reclaimlat traced pid exits: exit $rc, stderr \"$(cat "$dir/err")\", $(wc -l <"$dir/out") reports"
fi
