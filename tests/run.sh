#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs memscope's test suite: unit (no root), bpf (load every program with
# each probe variant), func (ground-truth functional tests, root), and vm:
# bpf and func again inside Debian 12's 6.1 kernel under qemu (tests/vm),
# where the fentry/kprobe fallbacks run, and bpf plus cachestat's ground
# truth inside Debian 11's 5.10, for the page-era hooks. One closing line
# counts them all.
#   tests/run.sh [unit] [bpf] [func] [vm]   default: all four
#   MEMSCOPE_VM=0 leaves out the vm phase from the default.
# Every test prints "ok NAME", "not ok NAME: why" or "skip NAME: why"; this
# script counts them and ends with "N passed, N failed, N skipped". Under
# CI=true a skipped root/BPF test counts as failed: CI runs as root on a
# kernel where BPF works, so a skip there hides a broken test.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export ROOT BUILD
default="unit bpf func vm"
[ "${MEMSCOPE_VM:-1}" = 0 ] && default="unit bpf func"
# inside the guest, results are named after its kernel
tag=
[ -n "${MEMSCOPE_GUEST:-}" ] && tag="[$(uname -r)] "
phases=${*:-$default}
passed=0 failed=0 skipped=0
LOG=$BUILD/tests/log
# the guest sees the host's root read-only: its logs go to its scratch disk
[ -n "${MEMSCOPE_GUEST:-}" ] && LOG=${TMPDIR:-/tmp}/memscope-tests
mkdir -p "$LOG"
kernel=$(uname -r)

tally() { # reads test output lines on stdin
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) passed=$((passed + 1)); echo "  ok $tag${line#ok }" ;;
		"not ok "*) failed=$((failed + 1)); echo "  not ok $tag${line#not ok }" ;;
		"skip "*)
			if [ "${CI:-}" = true ]; then
				failed=$((failed + 1)); echo "  not ok $tag(skipped under CI) ${line#skip }"
			else
				skipped=$((skipped + 1)); echo "  skip $tag${line#skip }"
			fi ;;
		*) echo "    $line" ;;
		esac
	done
}

file_times=()
run() { # name command...: runs one test program, a crash counts as a failure
	local name=$1 out rc t0=$SECONDS
	shift
	out=$("$@" 2>"$LOG/$name.err"); rc=$?
	file_times+=("$name $((SECONDS - t0))")
	tally <<<"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
		tally <<<"not ok $name: exited $rc without a failing test ($(tail -n 3 "$LOG/$name.err" | tr '\n' ' '))"
	elif grep -q '^not ok' <<<"$out" && [ -s "$LOG/$name.err" ]; then
		# a failure's context, for a log (CI's) where $LOG is gone after the run
		echo "    $name's stderr ends:"
		tail -n 8 "$LOG/$name.err" | cut -c1-300 | sed 's/^/      | /'
	fi
}

# vm_start SERIES SCRIPT: boots the guest on kernel SERIES in the background
# and runs SCRIPT (sh) there; vm_report SERIES waits for it and tallies its
# lines, which come already tagged and counted by the guest's own run.sh
# (re-tallied here without re-tagging; its closing line dropped).
vm_pids=()
# One vCPU each: two guests of two vCPUs on this 2-core host ran four
# emulation threads on two cores; with one each the suite took 487 s
# instead of 564 s (both green), the host's per-CPU sums still run on 2
# CPUs. MEMSCOPE_VM_CPUS=2 for guests with two.
vm_start() {
	local series=$1 script=$2
	(
		t0=$SECONDS
		# a stage takes 7-14 min here idle and more on a busy host: the
		# harness's 15 min default would end it half way
		tag= "$ROOT/tests/vm/run.sh" --kernel "$series" --cpus "${MEMSCOPE_VM_CPUS:-1}" --cwd "$ROOT" --timeout 2700 -- env BUILD="$BUILD" \
			sh -c 'retag() { sed "s/^\(ok\|not ok\|skip\) /  \1 [$(uname -r)] /"; }
			'"$script" >"$LOG/vm-$series.out" 2>"$LOG/vm-$series.err"
		echo "$? $((SECONDS - t0))" >"$LOG/vm-$series.rc"
	) &
	vm_pids[${series/./}]=$!
}
vm_report() {
	local series=$1 rc secs saved_tag=$tag out=$LOG/vm-$1.out
	wait "${vm_pids[${series/./}]}"
	read -r rc secs <"$LOG/vm-$series.rc" || rc=125 secs=0
	times+=("vm $series $secs s")
	tag=
	tally < <(grep -E '^  (ok|not ok|skip) ' "$out" | sed 's/^  //')
	tag=$saved_tag
	grep -E '^(vm: kernel|memscope tests on|time)' "$out" | sed 's/^/    /'
	local cache=${MEMSCOPE_VM_CACHE:-/var/cache/memscope-vm}
	[ "$series" = 6.1 ] || cache=$cache/k$series
	[ -s "$cache/img/kpkg" ] && echo "    vm: package $(cat "$cache/img/kpkg") (pinned in tests/vm/setup.sh)"
	if [ "$rc" -ne 0 ] && ! grep -q '^  not ok' "$out"; then
		tally <<<"not ok vm $series: guest stage failed (rc $rc): $(tail -n 5 "$LOG/vm-$series.err" | tr '\n' ' ')"
	fi
}


# The two guest stages. Each runs what only its kernel can test: the hooks
# this kernel (6.18) does not pick. On 6.1 only the page-cache tools pick
# other hooks than here (fentry, then kprobes: no filemap tracepoints
# before v6.2), and memleak's uprobes have cookies and task storage but no
# uprobe_multi or session links; faultstat and reclaimlat pick the same
# tracepoints as here, so of them only reclaimlat runs there, for its
# cgroup v2 filter (the host has v1), which faultstat's -c shares;
# slabratetop picks the host's raw tracepoints there too (the cache argument
# is there from v6.1), so it runs only in 5.10, on its fexit/fentry
# fallback; oomkill runs for its oom_kill_process hook, and the global OOM
# in the guest's 1 GiB (tests/vm/func/oomkill_global.sh: 319 s of the 5.10
# stage, the longer one, when it ran there). 5.10:
# the page-era hooks (generic_file_buffered_read, the page-based insert and
# dirty tracepoints), memleak without attach cookies, task storage or
# uprobe_multi, faultstat without bpf_find_vma (counting mode only;
# -d, -f and --stacks refused by name), oomkill on its fentry:mark_oom_victim
# fallback (a memcg OOM). Global reclaim in a small guest's RAM
# (tests/vm/func/reclaimlat_global.sh) takes the same tracepoints on both
# and runs in 6.1, the shorter stage. The guests start before the host's own phases and run
# beside them and each other (MEMSCOPE_VM_SERIAL=1: one after the other,
# after the host's phases): much of a stage is waiting (report intervals,
# workloads' sleeps), which the others fill.
# ft NAME CMD...: in a guest stage, runs one test file, its lines tagged with
# the guest's kernel, and notes its time for the stage's last line
VM_FT='ft_times=
		ft() { ft_name=$1; shift; ft_t0=$(date +%s); "$@" | retag || r=1
			ft_times="$ft_times $ft_name $(($(date +%s) - ft_t0)) s,"; }'
vm_start_all() {
	vm_start 6.1 'MEMSCOPE_FUNC="cachestat cachestat_cli cachetop memleak reclaimlat oomkill" tests/run.sh bpf func; r=$?
		'"$VM_FT"'
		ft cachestat-kprobe env MEMSCOPE_SKIP_HOOKS=fentry bash tests/func/cachestat.sh
		ft oomkill_global bash tests/vm/func/oomkill_global.sh
		ft reclaimlat_global bash tests/vm/func/reclaimlat_global.sh
		echo "time by file, after run.sh:${ft_times%,}"
		exit $r'
	# serial: the 6.1 stage is reported before the 5.10 guest boots
	[ "${MEMSCOPE_VM_SERIAL:-0}" = 1 ] && vm_report 6.1
	vm_start 5.10 'tests/run.sh bpf; r=$?
		'"$VM_FT"'
		ft cachestat bash tests/func/cachestat.sh
		ft cachestat-kprobe env MEMSCOPE_SKIP_HOOKS=fentry bash tests/func/cachestat.sh
		ft memleak bash tests/func/memleak.sh
		ft faultstat bash tests/func/faultstat.sh
		ft slabratetop bash tests/func/slabratetop.sh
		ft oomkill bash tests/func/oomkill.sh
		echo "time by file, after the load test:${ft_times%,}"
		exit $r'
}
vm_wanted() {
	[[ " $phases " == *" vm "* ]] && [ -z "${MEMSCOPE_GUEST:-}" ] && [ "$(id -u)" = 0 ] &&
		[ "${MEMSCOPE_VM_SERIAL:-0}" != 1 ]
}

echo "memscope tests on kernel $kernel"
times=()
vm_wanted && vm_start_all
t_all=$SECONDS
for phase in $phases; do
	t_phase=$SECONDS
	case $phase in
	unit)
		echo "unit:"
		for t in "$BUILD"/tests/unit_*; do
			[ -x "$t" ] && run "$(basename "$t")" "$t"
		done ;;
	bpf)
		echo "bpf (load tests):"
		if [ "$(id -u)" != 0 ]; then
			tally <<<"skip loadtest: needs root"
		else
			run loadtest "$BUILD/tests/loadtest"
		fi ;;
	func)
		echo "func:"
		for t in "$ROOT"/tests/func/*.sh; do
			t_name=$(basename "$t" .sh)
			if [ -n "${MEMSCOPE_FUNC:-}" ] && ! grep -qw -- "$t_name" <<<"$MEMSCOPE_FUNC"; then
				continue
			fi
			run "$t_name" bash "$t"
		done ;;
	vm)
		echo "vm (tests inside Linux 6.1 and 5.10 guests):"
		if [ -n "${MEMSCOPE_GUEST:-}" ]; then
			echo "    (already in the guest)"
		elif [ "$(id -u)" != 0 ]; then
			tally <<<"skip vm: needs root"
		else
			if [ ${#vm_pids[@]} -gt 0 ]; then
				vm_report 6.1
			else
				vm_start_all
			fi
			vm_report 5.10
			# the guests started with the suite: what they added to its time
			times+=("vm $((SECONDS - t_phase)) s after the host phases")
		fi ;;
	*) echo "run.sh: unknown phase '$phase' (unit, bpf, func, vm)" >&2; exit 2 ;;
	esac
	[ "$phase" = vm ] || times+=("$phase $((SECONDS - t_phase)) s")
done
printf -v t_line '%s, ' "${times[@]}"
echo "time: ${t_line%, }; all $((SECONDS - t_all)) s"
if [ ${#file_times[@]} -gt 0 ]; then
	printf -v t_line '%s s, ' "${file_times[@]}"
	echo "time by file: ${t_line%, }"
fi
echo "kernel $kernel: $passed passed, $failed failed, $skipped skipped" >"$LOG/summary"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
