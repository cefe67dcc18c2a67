#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# cachestat's handling of bad input, of its traced process exiting, and of
# signals: clear one-line errors, exit 2 for usage and 1 for runtime errors,
# and no BPF program left in the kernel after it exits.
set -u
. "$(dirname "$0")/../lib/common.sh"
CS=$BUILD/cachestat


expect_exit "zero interval" 2 "cachestat: invalid interval '0'" "$CS" 0
expect_exit "non-numeric interval" 2 "invalid interval 'abc': not a number" "$CS" abc
expect_exit "bad count" 2 "invalid count 'x'" "$CS" 1 x
expect_exit "extra argument" 2 "unexpected argument '3'" "$CS" 1 2 3
expect_exit "unknown flag" 2 "^cachestat: unrecognized option '--bogus'" "$CS" --bogus
expect_exit "missing pid" 2 "^cachestat: option requires an argument" "$CS" -p
expect_exit "bad pid" 2 "invalid pid 'x'" "$CS" -p x
if "$CS" --help | grep -q 'EXAMPLES' && "$CS" --help | grep -q -- '--json'; then
	ok "--help: shows options and examples"
else
	notok "--help: no examples or options"
fi

if [ "$(id -u)" != 0 ]; then
	skip "cachestat runtime errors and detach: need root"
	exit 0
fi

expect_exit "pid that does not exist" 1 "cachestat: pid 2147483647 does not exist" \
	"$CS" -p 2147483647
if command -v setpriv >/dev/null; then
	expect_exit "not root" 1 "cachestat: needs CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\)" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$CS" 1 1
else
	skip "not root: setpriv missing"
fi

# The BPF links and programs a process holds, from its fdinfo: exact IDs,
# unlike names, which other instances share.
held_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "link_id:" || $1 == "prog_id:" { print $1 $2 }' | sort -u
}
# Which of these IDs still exist in the kernel (freeing is deferred: wait up to 3 s).
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

dir=$(mktemp -d "$SCRATCH/memscope-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for sig in INT TERM; do
	"$CS" 1 >"$dir/out" 2>"$dir/err" &
	cs=$!
	if ! wait_lines "$dir/out" 15; then
		kill -9 "$cs" 2>/dev/null
		notok "SIG$sig: cachestat never printed its header: $(cat "$dir/err")"
		continue
	fi
	ids=$(held_ids "$cs")
	kill -"$sig" "$cs"
	wait "$cs"
	rc=$?
	left=$(remaining "$ids")
	nl=$(grep -c link_id <<<"$ids")
	if [ "$rc" = 0 ] && [ "$nl" -ge 5 ] && [ -z "$left" ]; then
		ok "SIG$sig: exit 0; its $nl links and their programs are gone from the kernel"
	else
		notok "SIG$sig: exit $rc, held $nl links; still in the kernel: $(echo $left)"
	fi
done

# the traced process exits mid-trace: last report, a note, exit 0
sleep 1.5 &
sp=$!
"$CS" --json -p "$sp" 1 >"$dir/out" 2>"$dir/err"
rc=$?
if [ "$rc" = 0 ] && grep -q "cachestat: pid $sp exited" "$dir/err" && [ -s "$dir/out" ]; then
	ok "traced pid exits: $(wc -l <"$dir/out") reports, \"$(cat "$dir/err")\", exit 0"
else
	notok "traced pid exits: exit $rc, stderr \"$(cat "$dir/err")\", $(wc -l <"$dir/out") reports"
fi
