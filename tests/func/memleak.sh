#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# memleak against tests/func/leaker.c, whose outstanding allocations are
# known per function (see its header), built with and without frame
# pointers; and kernel mode against N eventfds held open by a helper. Every
# figure checked is memleak's own output: exact bytes and counts.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/cli.sh"
ML=$BUILD/memleak
LEAKER=$BUILD/tests/func/leaker

if [ "$(id -u)" != 0 ]; then
	skip "memleak functional tests: need root"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/memscope-memleak.XXXXXX")
trap 'rm -rf "$dir"' EXIT
out=$dir/out
# why a file of $dir cannot be read (seen once in CI: three checks in a
# row found none of their files), for the failure's message
dir_state() {
	if [ ! -d "$dir" ]; then
		echo "[$dir is gone]"
	else
		echo "[$dir: $(df -h --output=avail "$dir" | tail -n 1 | tr -d ' ') free, $(ls "$dir" | wc -l) files]"
	fi
}

# function bytes allocs, as leaker.c promises
EXPECT="leak_malloc 148000 37
leak_big 3145728 3
leak_calloc 90112 11
leak_realloc 25000 5
leak_memalign 14336 7
leak_aligned 16384 2
leak_mmap 262144 4
leak_munmap_part 81920 2
leak_reallocarray 9000 3
leak_realloc_fail 3000 2
leak_thread 11106 9"
# alloc_new_heap: the 64 MiB arena heap glibc's free or malloc maps for a
# thread, inside the call: the program's allocation is the call's
FREED="free_all free_big free_elsewhere freer alloc_new_heap"

# per_site FILE: "function bytes allocs" summed over the last report's
# stacks by the allocator's caller (frame 0; one function may have several
# call sites)
per_site() {
	grep '^{' "$1" | tail -n 1 | jq -r '.stacks[] | [(.frames[0].sym // "?"), .bytes, .allocs] | @tsv' |
		awk -F'\t' '{ b[$1] += $2; n[$1] += $3 } END { for (f in b) print f, b[f], n[f] }'
}

# check_sites NAME FILE: every expected site exact, nothing from freed memory
check_sites() {
	local name=$1 f=$2 sites bad=0 fn want got
	sites=$(per_site "$f")
	while read -r fn want; do
		got=$(awk -v f="$fn" '$1 == f { print $2, $3 }' <<<"$sites")
		if [ "$got" != "$want" ]; then
			notok "$name: $fn: got '${got:-nothing}', want '$want' (bytes allocs)"
			bad=1
		fi
	done < <(awk '{ print $1, $2 " " $3 }' <<<"$EXPECT")
	for fn in $FREED; do
		if grep -q "^$fn " <<<"$sites"; then
			notok "$name: freed memory reported: $(grep "^$fn " <<<"$sites")"
			bad=1
		fi
	done
	[ $bad = 0 ] && ok "$name: all $(wc -l <<<"$EXPECT") call sites exact (bytes and counts), nothing from freed memory"
}

for v in fp nofp; do
	bin=$LEAKER-$v
	# -p: the leaker stops itself; memleak attaches; the leaker runs,
	# holds its memory 1.5 s and exits mid-trace
	"$bin" -s 1500 >"$dir/wl.out" 2>&1 &
	pid=$!
	if ! wait_stopped "$pid"; then
		notok "-p $v: leaker did not stop"
		kill -9 "$pid" 2>/dev/null
		continue
	fi
	: >"$out.$v"
	"$ML" --json -T 100 -p "$pid" 1 >"$out.$v" 2>"$out.$v.err" &
	mpid=$!
	if ! wait_lines "$out.$v" 15; then
		notok "-p $v: no report within 15 s: $(head -c 300 "$out.$v.err")"
		kill -9 "$pid" "$mpid" 2>/dev/null
		continue
	fi
	kill -CONT "$pid"
	wait "$pid"
	wait "$mpid"
	rc=$?
	if [ $rc = 0 ] && grep -q "pid $pid exited" "$out.$v.err"; then
		ok "-p $v: target exiting mid-trace: last report, \"$(head -n 1 "$out.$v.err")\", exit 0"
	else
		notok "-p $v: exit $rc, stderr: $(head -c 300 "$out.$v.err")"
	fi
	check_sites "-p $v" "$out.$v"
	# with frame pointers the caller's caller is there too
	if [ $v = fp ]; then
		f1=$(grep '^{' "$out.$v" | tail -n 1 |
			jq -r '[.stacks[] | select(.frames[0].sym == "leak_malloc") | .frames[1].sym] | unique | join(",")')
		if [ "$f1" = run_leaks ]; then
			ok "-p fp: frame 1 of leak_malloc's stack is run_leaks"
		else
			notok "-p fp: frame 1 of leak_malloc's stack is '$f1', want run_leaks"
		fi
		line=$(grep '^{' "$out.$v" | tail -n 1 |
			jq -r '[.stacks[].frames[0] | select(.sym == "leak_big") | "\(.file):\(.line)"] | first')
		want=$(grep -n 'char \*p = malloc(1 << 20);' tests/func/leaker.c 2>/dev/null | head -n 1 | cut -d: -f1)
		[ -z "$want" ] && want=$(grep -n 'char \*p = malloc(1 << 20);' "$ROOT/tests/func/leaker.c" | head -n 1 | cut -d: -f1)
		if [ "${line##*:}" = "$want" ] && [[ $line == *leaker.c:* ]]; then
			ok "-p fp: file:line of the 1 MiB malloc is $line"
		else
			notok "-p fp: file:line of the 1 MiB malloc is '$line', want leaker.c:$want"
		fi
	fi
done

# bcc's own test suite (tests/python/test_tools_memleak.py) as a drop-in:
# bcc's flags, -c "leaker_app KIND 30000" -T 1 1 2 under timeout -s KILL
# 10s; once the first report is out the test writes a line to the command's
# stdin, the command leaks 30000 bytes through KIND and exits at once; the
# first word of the last output line that says "byte" must be 30000. The
# leak is younger than -o's 500 ms when the process exits: the last report
# shows it anyway
bcc_case() {
	local kind=$1 f=$dir/bcc.$1 pid w got i
	mkfifo "$f.in"
	timeout -s KILL $BCC_TIMEOUT "$ML" -c "$LEAKER-nofp $kind 30000" -T 1 $BCC_INTERVAL 2 <"$f.in" >"$f" 2>"$f.err" &
	pid=$!
	exec {w}>"$f.in"
	for ((i = 0; i < BCC_TIMEOUT * 20; i++)); do
		grep -qs "with outstanding allocations" "$f" && break
		sleep 0.05
	done
	echo >&$w
	exec {w}>&-
	wait $pid
	got=$(grep byte "$f" | tail -n 1 | awk '{ print $1 }')
	[ "$got" = 30000 ] && return 0
	echo "$kind got '${got:-nothing}': $(tr '\n\t' '  ' <"$f" | head -c 200)"
	return 1
}
# one after the other, as bcc's suite runs them: the line written after the
# first report must reach the command, and its leak and exit reach memleak,
# within bcc's 1 s to the second (last) report; the eight at once (eight
# loads and attaches) missed it 1 time in 4 with both cores busy. Under TCG
# (the test guests) one, with more time and 3 s between reports.
kinds="malloc calloc realloc posix_memalign valloc memalign pvalloc aligned_alloc"
BCC_TIMEOUT=10 BCC_INTERVAL=1
if [ -n "${MEMSCOPE_GUEST:-}" ]; then
	kinds="malloc"
	BCC_TIMEOUT=60 BCC_INTERVAL=3
fi
for kind in $kinds; do
	bcc_case $kind >"$dir/bcc.$kind.res"
done
bad=
for kind in $kinds; do
	[ -s "$dir/bcc.$kind.res" ] && bad+="$(cat "$dir/bcc.$kind.res"); "
done
if [ -z "$bad" ]; then
	ok "bcc's test_tools_memleak.py: 30000 bytes through each of $(wc -w <<<"$kinds") ($kinds; -c ... -T 1 $BCC_INTERVAL 2, leak right before exit)"
else
	notok "bcc's test_tools_memleak.py: $bad"
fi

# JSON schema of memleak(8)
if grep '^{' "$out.fp" | jq -e 'select((.time | type) != "string" or (.stacks | type) != "array"
	or (.lost | type) != "object" or (.lost.stacks | type) != "number"
	or (.lost.allocs | type) != "number" or (.lost.stack_allocs | type) != "number"
	or (.lost.stack_bytes | type) != "number"
	or any(.stacks[]; (.bytes | type) != "number" or (.allocs | type) != "number"
	  or any(.frames[]; (.addr | type) != "number" or has("sym") != true or has("offset") != true
	    or has("module") != true or has("file") != true or has("line") != true)))' >/dev/null; then
	notok "json: a line misses a documented field"
else
	ok "json: time, stacks[bytes, allocs, frames[addr, sym, offset, module, file, line]], lost{stacks, allocs, stack_allocs, stack_bytes}"
fi

# -c with arguments: traced from its first allocation, argv intact, and no
# allocation of memleak's own in the report (allocate_dtv is a local symbol of
# ld.so, named only by its debug file: libc6-dbg, which deps.sh installs for tests)
"$ML" --json -T 100 -c "$LEAKER-nofp 1200 alpha 'b c'" 1 >"$out.c" 2>"$out.c.err"
rc=$?
args=$(grep '^leaked' "$out.c.err")
if [ $rc = 0 ] && [[ $args == *"args: alpha b c" ]]; then
	ok "-c: exit 0, the command saw its arguments ($args)"
else
	notok "-c: exit $rc, command output '$args', stderr $(head -c 300 "$out.c.err")"
fi
check_sites "-c" "$out.c"

# -c beside a second memleak tracing another process: the other's uprobes
# are on the same libc, and their return probes swap the return address for
# the uprobe trampoline's in every process that calls the functions, this
# one's too. glibc's 64 MiB arena heap, mapped inside free (no return
# probe of memleak's own), was then taken for the program's leak: 4 runs in
# 4 (and, before it was understood, a flake whenever another memleak, bcc's
# or bpftrace ran on the machine)
# (the other's process: a leaker that stopped itself, libc mapped)
"$LEAKER-nofp" -s 1500 >/dev/null 2>&1 &
spid=$!
wait_stopped $spid
: >"$out.side"
"$ML" --json -p $spid 1 >"$out.side" 2>"$out.side.err" &
side=$!
if wait_lines "$out.side" 20; then
	"$ML" --json -T 100 -c "$LEAKER-nofp 1200" 1 >"$out.c2" 2>"$out.c2.err"
	check_sites "-c beside another memleak" "$out.c2"
else
	notok "-c beside another memleak: the other gave no report within 20 s: $(head -c 200 "$out.side.err")"
fi
kill -INT $side
wait $side
kill -9 $spid
wait $spid 2>/dev/null
own=$(grep '^{' "$out.c" | jq -r '.stacks[].frames[].module' | grep -c '^memleak$')
dtv=$(grep '^{' "$out.c" | tail -n 1 | jq '[.stacks[] | select(.frames[0].sym == "allocate_dtv")] | length')
if [ "$own" = 0 ] && [ "$dtv" -ge 1 ]; then
	ok "-c: start-up allocations seen (ld.so's allocate_dtv), none of memleak's own"
else
	notok "-c: $own frames in memleak itself, $dtv allocate_dtv stacks (want 0 and >= 1)"
fi

# -c on a static binary probes the binary's own allocator (not memleak's
# libc, which it never loads); a program without libc is refused
"$ML" --json -T 100 -c "$LEAKER-static 1200" 1 >"$out.st" 2>"$out.st.err"
check_sites "-c static binary" "$out.st"
expect_exit "-c, no libc (-nostdlib -static)" 1 "nolibc is static and has no malloc: nothing to trace" \
	"$ML" -c "$BUILD/tests/func/nolibc" 1 1

# C++: operator new hooked in libstdc++ (which has no frame pointers), so
# its caller is the first frame, with or without frame pointers, and the
# malloc inside it is not counted again; sized and array deletes free (in
# the test guests, without frame pointers only)
cxx_builds="fp nofp"
[ -n "${MEMSCOPE_GUEST:-}" ] && cxx_builds=nofp
for v in $cxx_builds; do
	"$ML" --json -T 100 -c "$BUILD/tests/func/cxxleaker-$v 1200" 1 >"$out.cxx" 2>"$out.cxx.err"
	sites=$(per_site "$out.cxx" | sort)
	want=$(printf '%s\n' "make() 80000 50" "make_aligned() 12288 3")
	top=$(grep '^{' "$out.cxx" | tail -n 1 | jq -r '[.stacks[] | select(.frames[0].sym == "make()") | [.frames[0:2][].sym] | join(" <- ")] | unique | join(",")')
	wtop="make()"
	[ $v = fp ] && wtop="make() <- main"
	if [ "$(grep -E '^make' <<<"$sites")" = "$want" ] && ! grep -qE '^(churn|operator)' <<<"$sites" &&
		[ "$top" = "$wtop" ]; then
		ok "C++ $v: new Widget[100] x 50 from make() (80000 bytes), 3 aligned new from make_aligned(), churn's deletes freed; stack $top"
	else
		notok "C++ $v: sites '$(tr '\n' ';' <<<"$sites")', make's stack '$top' (want '$wtop'): $(head -c 200 "$out.cxx.err")"
	fi
done

# text and folded output of one run each
"$ML" -c "$LEAKER-fp 1200" 1 >"$out.txt" 2>/dev/null
if grep -A1 -P '^\t148000 bytes in 37 allocations from stack$' "$out.txt" | grep -qP '^\t\tleak_malloc\+0x[0-9a-f]+ \[leaker-fp\] .*leaker\.c:[0-9]+$'; then
	ok "text: '148000 bytes in 37 allocations from stack' then 'leak_malloc+0x.. [leaker-fp] leaker.c:N'"
else
	notok "text: no leak_malloc stack as bcc prints it: $(head -n 12 "$out.txt")"
fi
"$ML" --folded -c "$LEAKER-fp 1200" 1 >"$out.fold" 2>/dev/null
if grep -qE '(^|;)main;run_leaks;leak_malloc 148000$' "$out.fold"; then
	ok "--folded: $(grep -E 'run_leaks;leak_malloc ' "$out.fold" | tail -n 1)"
else
	notok "--folded: no '...main;run_leaks;leak_malloc 148000' line: $(head -n 3 "$out.fold")"
fi

# -z/-Z keep only the 1 MiB blocks
"$ML" --json -z 1048576 -Z 1048576 -c "$LEAKER-nofp 1200" 1 >"$out.z" 2>/dev/null
sites=$(per_site "$out.z")
if [ "$sites" = "leak_big 3145728 3" ]; then
	ok "-z/-Z 1048576: only leak_big's 3 blocks"
else
	notok "-z/-Z 1048576: got '$(tr '\n' ';' <<<"$sites")', want 'leak_big 3145728 3'"
fi

# per-function links (what kernels before v6.6 get) count the same
"$ML" --json -T 100 --per-function-links -c "$LEAKER-nofp 1200" 1 >"$out.pf" 2>"$out.pf.err"
check_sites "per-function uprobe links" "$out.pf"

# the uprobe_multi links that kernels v6.6 to v6.12 get (where this kernel
# has session links, they are the default)
if "$ML" -v --probes -p $$ 2>&1 | grep -q "uprobe session"; then
	"$ML" --json -T 100 --no-uprobe-session -c "$LEAKER-nofp 1200" 1 >"$out.um" 2>"$out.um.err"
	check_sites "uprobe_multi links (no session)" "$out.um"
fi

# -s RATE records one allocation in RATE, at random: leak_sampled keeps
# 8000 blocks of 64 bytes (and frees 8000), so -s 8 holds 1000 of them on
# average (binomial, sd 30): accept 850-1150; each exactly 64 bytes. With a
# session link the return probe of the others is skipped (see -v)
"$ML" --json -T 100 -s 8 -c "$LEAKER sampled 8000 64 1200" 1 >"$out.s" 2>"$out.s.err"
got=$(per_site "$out.s" | awk '$1 == "leak_sampled" { print $2, $3 }')
read -r b n <<<"${got:-0 0}"
if [ "$n" -ge 850 ] && [ "$n" -le 1150 ] && [ "$b" = $((n * 64)) ]; then
	ok "-s 8: leak_sampled's 8000 blocks of 64 bytes: $n recorded (850-1150), $b bytes"
else
	notok "-s 8: leak_sampled: '$got' (want 850-1150 allocations of 64 bytes): $(head -c 300 "$out.s.err")"
fi
# sampled out, a 1 MiB malloc still hides glibc's mmap inside it: 64 kept
# (and 64 freed) with -s 2 record 32 on average (sd 4): accept 16-48, each
# exactly 1 MiB from leak_sampled, nothing from inside libc
"$ML" --json -T 100 -s 2 -c "$LEAKER sampled 64 1048576 1200" 1 >"$out.s2" 2>"$out.s2.err"
got=$(per_site "$out.s2" | awk '$1 == "leak_sampled" { print $2, $3 }')
read -r b n <<<"${got:-0 0}"
libc=$(grep '^{' "$out.s2" | tail -n 1 | jq '[.stacks[] | select(.frames[0].module // "" | test("^libc"))] | length')
if [ "$n" -ge 16 ] && [ "$n" -le 48 ] && [ "$b" = $((n * 1048576)) ] && [ "$libc" = 0 ]; then
	ok "-s 2: 64 blocks of 1 MiB: $n recorded (16-48), each 1048576 bytes from leak_sampled, none from libc's own mmap"
else
	notok "-s 2, 1 MiB blocks: leak_sampled '$got' (want 16-48 of 1048576 bytes), $libc stacks from inside libc"
fi

# a long run: 2 rounds of 9000 malloc+free pairs, each with a stack of its
# own (%rbp holding garbage, as in code without frame pointers): 18000
# stacks, more than the 16384 the stack map holds, which a map never pruned
# loses; then a late leak of 25 x 2000 bytes must still have its stack
# (host only: 18000 traced pairs take minutes under TCG, and what is
# tested, the pruning from user space, is the same on every kernel)
modes=("" --combined-only)
[ -n "${MEMSCOPE_GUEST:-}" ] && modes=()
for mode in "${modes[@]}"; do
	"$ML" --json -T 5 $mode -c "$LEAKER-nofp churn 2 9000 1100 1200" 1 >"$out.churn" 2>"$out.churn.err"
	if grep -q "no churn" "$out.churn.err"; then
		skip "late leak after churn${mode:+ ($mode)}: the churn needs x86-64"
		break
	fi
	got=$(grep '^{' "$out.churn" | tail -n 1 | jq -c '[.lost.stacks, .lost.stack_allocs, [.stacks[] | select(.frames[0].sym == "leak_late") | [.bytes, .allocs]]]')
	# --combined-only reads no allocation records: how many have no
	# stack is unknown there (null)
	want='[0,0,[[50000,25]]]'
	[ -n "$mode" ] && want='[0,null,[[50000,25]]]'
	if [ "$got" = "$want" ]; then
		ok "late leak after 18000 stacks of churn${mode:+ ($mode)}: leak_late's 50000 bytes in 25 allocations with their stack, no stack lost"
	else
		notok "late leak after churn${mode:+ ($mode)}: [lost.stacks, lost.stack_allocs, leak_late] $got, want $want: $(head -c 200 "$out.churn.err")"
	fi
done

# --combined-only: the same per-site figures from the kernel's per-stack totals
"$ML" --json -T 100 --combined-only -c "$LEAKER-nofp 1200" 1 >"$out.co" 2>"$out.co.err"
check_sites "--combined-only" "$out.co"

# kernel mode: N eventfds held open, each one kmalloc called by do_eventfd
# (frame 1; slab refills on the way have deeper eventfd frames, not frame 1).
# Frame 0 emits the kmalloc tracepoint: a kmalloc function, or before v6.1
# kmem_cache_alloc_trace
# Only 64-byte allocations (-z/-Z: an eventfd_ctx is kmalloc-64): the table
# of every kernel allocation fills on a busy machine (19 million lost over
# ten minutes with both cores compiling), and then the eventfds' would go
# uncounted; 64-byte ones alone stay far below it.
# A second kernel-mode memleak beside it: with two programs on a tracepoint
# the kernel calls them through __traceiter_kmalloc, a frame that must not
# become the stack's first (it did when another tool traced kmalloc).
N=777
: >"$out.k2"
"$ML" --json -z 1 -Z 1 -T 1 1 >"$out.k2" 2>"$out.k2.err" &
m2pid=$!
wait_lines "$out.k2" 20
: >"$out.k"
"$ML" --json -z 64 -Z 64 -T 1000 1 >"$out.k" 2>"$out.k.err" &
mpid=$!
if wait_lines "$out.k" 20; then
	coproc EFD { exec "$LEAKER" eventfd $N; }
	read -r -t 10 line <&"${EFD[0]}"
	sel='[.stacks[] | select((.frames[0].sym // "" | test("kmalloc|kmem_cache_alloc_trace")) and (.frames[1].sym // "" | test("eventfd")))]'
	# the first report where all N are older than -o 500 ms: when it comes
	# depends on scheduling (a loaded machine delays reports), so wait for
	# it, up to 20 s, instead of sleeping a fixed time; the count is judged
	# below, on the last complete report seen
	deadline=$((SECONDS + 20))
	while :; do
		held=$(tail -n 1 "$out.k" | jq -c "$sel | map([.allocs, .bytes])" 2>/dev/null)
		[ "$(jq '.[0][0]' <<<"$held" 2>/dev/null)" = $N ] || [ $SECONDS -ge $deadline ] && break
		sleep 0.2
	done
	exec {EFD[1]}>&-
	wait "$EFD_PID" 2>/dev/null
	# two reports later, the second is surely from after the close
	n=$(wc -l <"$out.k")
	wait_lines "$out.k" 10 $((n + 2))
	kill -INT $mpid
	wait $mpid
	rc=$?
	kill -INT $m2pid
	wait $m2pid
	after=$(tail -n 1 "$out.k" | jq -c "$sel | length")
	if [ $rc = 0 ] && [ "$(jq '.[0][0]' <<<"$held")" = $N ] && [ "$(jq 'length' <<<"$held")" = 1 ] &&
		[ "$(jq ".[0][1] % $N" <<<"$held")" = 0 ] && [ "$after" = 0 ]; then
		ok "kernel mode: $N eventfds held: one kmalloc stack through eventfd with [allocs, bytes] $held; none after close"
	else
		notok "kernel mode: rc $rc, held $held (want [[${N}, k*$N]]), after close $after stacks (want 0), lost $(tail -n 1 "$out.k" | jq -c .lost): $(head -c 200 "$out.k.err")"
	fi
else
	kill -9 $mpid $m2pid 2>/dev/null
	notok "kernel mode: no report within 20 s: $(head -c 300 "$out.k.err")"
fi

# --probes names the link kind the run uses (-v says which)
plan=$("$ML" -v --probes -p $$ 2>&1)
case $plan in
*"one uprobe session link"*) want="(uprobe session)" ;;
*"two uprobe_multi links"*) want="(uprobe_multi)" ;;
*) want= ;;
esac
mline=$(grep -E '^malloc ' <<<"$plan")
labels=$(grep -oE '\((uprobe_multi|uprobe session)\)' <<<"$plan" | sort -u)
if [ "$labels" = "$want" ] && [ -n "$mline" ]; then
	ok "--probes -p: '$(tr -s ' ' <<<"$mline")' matches -v's $(grep -oE 'one uprobe session link|two uprobe_multi links|one link per function' <<<"$plan")"
else
	notok "--probes -p: labels '$labels' for $(grep -oE 'uprobes: [^;]*' <<<"$plan")"
fi

# when memleak stops first (count reached, SIGTERM or SIGINT to memleak
# alone), the command it started goes too
hows="count TERM INT"
[ -n "${MEMSCOPE_GUEST:-}" ] && hows="count"
for how in $hows; do
	if [ $how = count ]; then
		"$ML" -c "$LEAKER-nofp 30000" 1 1 >/dev/null 2>"$dir/stop.err"
	else
		# emptied here: the redirection below happens in the child, and
		# the wait for its line must not see the last iteration's (the
		# INT run then signalled memleak before it started the command)
		: >"$dir/stop.err"
		"$ML" -c "$LEAKER-nofp 30000" 10 >/dev/null 2>"$dir/stop.err" &
		mpid=$!
		for ((i = 0; i < 200; i++)); do
			grep -q '^leaked, pid' "$dir/stop.err" && break
			sleep 0.05
		done
		kill -$how $mpid
		wait $mpid
	fi
	cpid=$(sed -n 's/^leaked, pid \([0-9]*\),.*/\1/p' "$dir/stop.err")
	if [ -n "$cpid" ] && ! kill -0 "$cpid" 2>/dev/null; then
		ok "-c, memleak stopped by ${how/count/its count}: the command (pid $cpid) is gone when memleak exits"
	else
		notok "-c, memleak stopped by ${how/count/its count}: command pid '${cpid}' still running $(dir_state): $(head -c 200 "$dir/stop.err")"
		[ -n "$cpid" ] && kill -9 "$cpid"
	fi
done

# kernel mode where kallsyms hides addresses: one line on stderr says why
kr=$(cat /proc/sys/kernel/kptr_restrict)
trap 'echo "$kr" >/proc/sys/kernel/kptr_restrict; rm -rf "$dir"' EXIT
echo 2 >/proc/sys/kernel/kptr_restrict
"$ML" -o 0 1 1 >"$dir/kr.out" 2>"$dir/kr.err"
rc=$?
echo "$kr" >/proc/sys/kernel/kptr_restrict
n=$(grep -c 'kernel addresses are hidden (kernel.kptr_restrict = 2)' "$dir/kr.err")
if [ $rc = 0 ] && [ "$n" = 1 ] && grep -q '\[unknown\]' "$dir/kr.out"; then
	ok "kernel mode, kptr_restrict=2: [unknown] frames, and once on stderr: $(head -n 1 "$dir/kr.err")"
else
	notok "kernel mode, kptr_restrict=2: rc $rc, '$n' explaining lines $(dir_state): $(head -c 300 "$dir/kr.err")"
fi

# bad input: one line naming the cause, exit 1 (runtime) or 2 (usage)
expect_exit "no such pid" 1 "pid 999999 does not exist" "$ML" -p 999999 1 1
expect_exit "library without malloc" 1 "has no function malloc" "$ML" -p $$ -O /bin/true 1 1
expect_exit "no such library name" 1 "maps no library named libnothere" "$ML" -p $$ -O libnothere 1 1
expect_exit "no such command" 1 "command not found: /nonexistent/cmd" "$ML" -c /nonexistent/cmd 1 1
expect_exit "-p with -c" 2 "exclude each other" "$ML" -p $$ -c true
expect_exit "bad --sort" 2 "invalid --sort" "$ML" --sort bytes
expect_exit "-z above -Z" 2 "above -Z" "$ML" -z 10 -Z 5
expect_exit "bad -T" 2 "invalid top '0'" "$ML" -T 0

# -T is TOP, as in bcc: the shared -T, --timestamp is --timestamp only here
expect_help "memleak --help" "$ML" "-T, --top=TOP" "      --timestamp "
if "$ML" --help | grep -qF -- "-T, --timestamp"; then
	notok "memleak --help: lists the shared -T, --timestamp, which -T TOP hides"
else
	ok "memleak --help: -T is TOP only"
fi
if "$ML" --timestamp -T 3 --probes >/dev/null 2>"$dir/ts.err"; then
	ok "memleak --timestamp -T 3: accepted"
else
	notok "memleak --timestamp -T 3: $(dir_state) $(cat "$dir/ts.err")"
fi
