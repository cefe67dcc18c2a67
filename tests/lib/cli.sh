# SPDX-License-Identifier: BSD-2-Clause
# What the command-line tests of every tool check the same way: running
# without root, leaving nothing in the kernel after a signal, and the traced
# process exiting mid-trace. Source after tests/lib/common.sh.

# expect_help NAME TOOL [TEXT...]: TOOL --help exits 0 and shows examples,
# --json and each TEXT (a fixed string).
expect_help() {
	local name=$1 tool=$2 help t
	shift 2
	if ! help=$("$tool" --help); then
		notok "$name: --help exited $?"
		return
	fi
	for t in EXAMPLES --json "$@"; do
		if ! grep -qF -- "$t" <<<"$help"; then
			notok "$name: no '$t' in --help"
			return
		fi
	done
	ok "$name: shows options and examples"
}

# expect_not_root NAME TOOL ARGS...: as nobody, with no capabilities, TOOL
# exits 1 naming the capabilities it needs.
expect_not_root() {
	local name=$1
	shift
	if command -v setpriv >/dev/null; then
		expect_exit "$name" 1 "^$(basename "$1"): needs CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\)" \
			setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
	else
		skip "$name: setpriv missing"
	fi
}

# held_ids PID: the BPF links and programs PID holds, from its fdinfo: exact
# IDs, unlike names, which other instances share.
held_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "link_id:" || $1 == "prog_id:" { print $1 $2 }' | sort -u
}

# still_loaded IDS: which of these IDs still exist in the kernel (freeing is
# deferred: waits up to 3 s for them to go).
still_loaded() {
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

# expect_detach NAME SIG MIN_LINKS DIR TOOL ARGS...: TOOL, once it prints,
# holds at least MIN_LINKS links; on SIG it exits 0 and none of its links
# and programs stay in the kernel. Its output goes to DIR/out and DIR/err.
expect_detach() {
	local name=$1 sig=$2 min=$3 dir=$4 pid ids rc left nl
	shift 4
	# emptied here, not by the child's redirection: on a busy machine the
	# child may not have run yet when wait_lines looks, and would find the
	# previous case's lines (seen: SIGTERM sent before the tool had started)
	: >"$dir/out"
	: >"$dir/err"
	"$@" >"$dir/out" 2>"$dir/err" &
	pid=$!
	if ! wait_lines "$dir/out" 15; then
		kill -9 "$pid" 2>/dev/null
		notok "$name: never printed its header: $(cat "$dir/err")"
		return
	fi
	ids=$(held_ids "$pid")
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	left=$(still_loaded "$ids")
	nl=$(grep -c link_id <<<"$ids")
	if [ "$rc" = 0 ] && [ "$nl" -ge "$min" ] && [ -z "$left" ]; then
		ok "$name: exit 0; its $nl links and their programs are gone from the kernel"
	else
		notok "$name: exit $rc, held $nl links; still in the kernel: $(echo $left)"
	fi
}

# expect_pid_exit NAME DIR TOOL ARGS...: "TOOL ARGS --json -p PID 1" against
# a process that exits after 1.5 s: reports, then "TOOL: pid PID exited"
# and exit 0.
expect_pid_exit() {
	local name=$1 dir=$2 sp rc tool
	shift 2
	tool=$(basename "$1")
	sleep 1.5 &
	sp=$!
	"$@" --json -p "$sp" 1 >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ "$rc" = 0 ] && grep -q "$tool: pid $sp exited" "$dir/err" && [ -s "$dir/out" ]; then
		ok "$name: $(wc -l <"$dir/out") reports, \"$(cat "$dir/err")\", exit 0"
	else
		notok "$name: exit $rc, stderr \"$(cat "$dir/err")\", $(wc -l <"$dir/out") reports"
	fi
}
