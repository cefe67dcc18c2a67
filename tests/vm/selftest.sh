#!/bin/bash
# Host-side self test of the VM harness: setup caching, output/exit-code
# plumbing, environment, timeout handling, and BPF inside the guest
# (guest-bpf-check.sh). Takes about 1 minute under TCG.
#   tests/vm/selftest.sh
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=$HERE/run.sh
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }

"$HERE/setup.sh" || { echo "setup.sh failed"; exit 1; }
t0=$(now); "$HERE/setup.sh" --quiet; t1=$(now)
if [ $((t1 - t0)) -lt 2000000000 ]; then ok "cached setup.sh in $(ms $t0 $t1) ms"; else bad "cached setup.sh took $(ms $t0 $t1) ms"; fi
kver=$(cat "${MEMSCOPE_VM_CACHE:-/var/cache/memscope-vm}/img/kver")

t0=$(now); out=$("$RUN" -- uname -r); rc=$?; t1=$(now)
want=$(printf 'vm: kernel %s\n%s' "$kver" "$kver")
if [ $rc = 0 ] && [ "$out" = "$want" ]; then ok "uname -r -> $kver, boot to poweroff $(ms $t0 $t1) ms"; else bad "uname -r: rc=$rc out=$out"; fi

"$RUN" -- sh -c 'exit 3' >/dev/null; rc=$?
if [ $rc = 3 ]; then ok "exit code 3 propagated"; else bad "exit code: got $rc, want 3"; fi

out=$("$RUN" -- sh -c 'echo out; echo err >&2' 2>/dev/null | tail -n +2 | sort | tr '\n' ' ')
if [ "$out" = "err out " ]; then ok "stdout+stderr on host stdout"; else bad "streams: '$out'"; fi

out=$("$RUN" -- printf '%s|' 'a b' '$x' "it's" '' | tail -n +2)
if [ "$out" = "a b|\$x|it's||" ]; then ok "argument quoting"; else bad "quoting: '$out'"; fi

out=$(cd / && CI=true MEMSCOPE_FOO='x y' "$RUN" --cwd "$HERE" -- \
	sh -c 'echo "$CI|$MEMSCOPE_FOO|$MEMSCOPE_GUEST|$TMPDIR|$(pwd)"' | tail -n +2)
if [ "$out" = "true|x y|1|/tmp|$HERE" ]; then ok "env + --cwd"; else bad "env/cwd: '$out'"; fi

out=$("$RUN" --rw "$HERE" --cwd "$HERE" -- sh -c 'echo hi >rw-probe && cat rw-probe' | tail -n +2)
if [ "$out" = hi ] && [ ! -e "$HERE/rw-probe" ]; then ok "--rw overlay (writes discarded)"; else bad "--rw: '$out'"; fi

t0=$(now); "$RUN" --timeout 6 -- sleep 60 >/dev/null 2>&1; rc=$?; t1=$(now)
if [ $rc = 125 ]; then ok "timeout -> 125 after $(ms $t0 $t1) ms"; else bad "timeout: rc=$rc"; fi

"$RUN" -- sh -c 'echo c >/proc/sysrq-trigger' >/dev/null 2>&1; rc=$?
if [ $rc = 125 ]; then ok "guest panic -> 125"; else bad "panic: rc=$rc"; fi

t0=$(now); "$RUN" --cwd "$HERE" -- bash guest-bpf-check.sh; rc=$?; t1=$(now)
if [ $rc = 0 ]; then ok "guest-bpf-check.sh ($(ms $t0 $t1) ms)"; else bad "guest-bpf-check.sh rc=$rc"; fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
