# SPDX-License-Identifier: BSD-2-Clause
# Shared by the functional tests and the benchmark: sourced, not run.
# Each test prints "ok NAME", "not ok NAME: why" or "skip NAME: why".

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
PCLOAD=$BUILD/tests/func/pcload
# page-cache tests need a real filesystem (tmpfs pages bypass the filemap
# hooks): /var/tmp on the host, the ext4 scratch disk (/tmp) in the guest
if [ -n "${MEMSCOPE_GUEST:-}" ]; then
	SCRATCH=${MEMSCOPE_SCRATCH:-/tmp}
else
	SCRATCH=${MEMSCOPE_SCRATCH:-/var/tmp}
fi
case $(stat -f -c %T "$SCRATCH" 2>/dev/null) in
tmpfs | ramfs) echo "warning: $SCRATCH is $(stat -f -c %T "$SCRATCH"): page-cache tests need a disk filesystem (set MEMSCOPE_SCRATCH)" >&2 ;;
esac

# MEMSCOPE_CASE_TIMES=1: each line ends with the seconds since the previous
# one (or since the file started), to find the slow cases of a file
case_t0=$SECONDS case_dt=
case_dt() {
	[ "${MEMSCOPE_CASE_TIMES:-0}" = 1 ] || return 0
	case_dt=" (+$((SECONDS - case_t0))s)" case_t0=$SECONDS
}
ok() { case_dt; echo "ok $*$case_dt"; }
notok() { case_dt; echo "not ok $*$case_dt"; }
skip() { case_dt; echo "skip $*$case_dt"; }

# Waits (up to $2 seconds, default 10) until pid $1 is stopped.
wait_stopped() {
	local pid=$1 t=$(( ${2:-10} * 20 )) state
	while [ "$t" -gt 0 ]; do
		state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
		[ "$state" = T ] && return 0
		sleep 0.05
		t=$((t - 1))
	done
	return 1
}

# Waits (up to $2 seconds, default 15) until file $1 has at least $3 lines (default 1).
wait_lines() {
	local f=$1 t=$(( ${2:-15} * 20 )) n=${3:-1}
	while [ "$t" -gt 0 ]; do
		[ "$(wc -l <"$f" 2>/dev/null || echo 0)" -ge "$n" ] && return 0
		sleep 0.05
		t=$((t - 1))
	done
	return 1
}

# trace_workload OUT TOOL_ARGS... -- WORKLOAD_ARGS...
# Starts the workload stopped, starts "TOOL --json -p PID TOOL_ARGS 1" with its
# output in OUT, waits for the tool's first report (so it is attached),
# resumes the workload and waits for both. The tool exits by itself when the
# workload does. Sets WL_OUT (the workload's stdout) and TOOL_RC.
trace_workload() {
	local out=$1 tool=() wl=() pid tpid
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do tool+=("$1"); shift; done
	shift
	wl=("$@")
	# stdout through a pipe: a file would add a dirty page to the workload
	"$PCLOAD" -s "${wl[@]}" > >(cat >"$out.wl") &
	pid=$!
	if ! wait_stopped "$pid"; then
		kill -9 "$pid" 2>/dev/null
		TOOL_RC=125
		return 1
	fi
	# emptied here, not by the redirection below: that happens in the
	# child, and the wait for a first line must not see the last run's
	: >"$out"
	"${tool[@]}" --json -p "$pid" 1 >"$out" 2>"$out.err" &
	tpid=$!
	if ! wait_lines "$out" 15; then
		kill -9 "$pid" "$tpid" 2>/dev/null
		TOOL_RC=124
		return 1
	fi
	kill -CONT "$pid"
	wait "$pid"
	wait "$tpid"
	TOOL_RC=$?
	sleep 0.1 # let cat drain the pipe
	WL_OUT=$(cat "$out.wl")
}

# free_port: a localhost TCP port nothing listens on
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# jsum FILE FIELD: sum of FIELD over the JSON lines of FILE
jsum() { jq -s "map(.$2 // 0) | add // 0" "$1"; }

# within A B PCT: |A - B| <= PCT% of B
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * p / 100) }'; }
# below A B PCT: A < PCT% of B
below() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { exit !(a < b * p / 100) }'; }

# pin FILE...: keeps the files' pages cached (mapped and mlocked by a helper
# process) until unpin. This machine's page cache is trimmed from outside our
# processes, so a "warm" file does not stay warm on its own.
pin() {
	unpin
	coproc PINNER { exec "$PCLOAD" pin "$@"; }
	local line
	read -r -t 10 line <&"${PINNER[0]}"
	[ "${line%% *}" = pinned ]
}
unpin() {
	if [ -n "${PINNER_PID:-}" ]; then
		kill "$PINNER_PID" 2>/dev/null
		wait "$PINNER_PID" 2>/dev/null
	fi
	PINNER_PID=
}

# expect_exit NAME CODE PATTERN CMD...: CMD exits with CODE and its stderr
# matches the extended regex PATTERN (a one-line error naming the cause).
expect_exit() {
	local name=$1 code=$2 pat=$3 err rc
	shift 3
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$code" ] && grep -qE "$pat" <<<"$err"; then
		ok "$name: exit $rc, \"$(head -n 1 <<<"$err")\""
	else
		notok "$name: exit $rc (want $code), stderr \"$err\" (want /$pat/)"
	fi
}

# A full-screen view in tmux (160x40, TERM=xterm).
# tui_start SESSION CMD: starts CMD in a new session (the pane stays 30 s
# after it ends); tui_screen prints the pane; tui_wait REGEX waits up to
# 10 s for a line matching it; tui_step NAME KEYS REGEX sends KEYS (none if
# empty) and checks the screen; tui_quit TOOL PGREP_REGEX sends q, checks
# that the process ends and closes the session.
TUI_SESSION=
tui_start() {
	TUI_SESSION=$1
	shift
	tmux kill-session -t "$TUI_SESSION" 2>/dev/null
	tmux new-session -d -s "$TUI_SESSION" -x 160 -y 40 "TERM=xterm $*; sleep 30"
}
tui_screen() { tmux capture-pane -p -t "$TUI_SESSION" 2>/dev/null; }
tui_wait() {
	local t=100
	while [ $t -gt 0 ]; do
		tui_screen | grep -qE "$1" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
tui_step() {
	[ -n "$2" ] && tmux send-keys -t "$TUI_SESSION" "$2"
	if tui_wait "$3"; then
		ok "interactive: $1"
	else
		notok "interactive: $1: screen shows: $(tui_screen | head -n 3 | tr '\n' '|')"
	fi
}
tui_quit() {
	local pid t=50
	pid=$(pgrep -f "$2" | head -n 1)
	tmux send-keys -t "$TUI_SESSION" q
	while [ $t -gt 0 ] && [ -n "$pid" ] && [ -d "/proc/$pid" ]; do
		sleep 0.1
		t=$((t - 1))
	done
	if [ -n "$pid" ] && [ ! -d "/proc/$pid" ]; then
		ok "interactive: q quits (pid $pid gone)"
	else
		notok "interactive: q did not end $1 (pid '$pid')"
	fi
	tmux kill-session -t "$TUI_SESSION" 2>/dev/null
}
