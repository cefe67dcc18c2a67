#!/bin/bash
# Guest-side smoke test of the VM environment and of BPF on the guest kernel,
# using the host's bpftrace (0.17). Run it through the harness:
#   tests/vm/run.sh -- bash tests/vm/guest-bpf-check.sh
# Each probe counts filemap page-cache insertions while files on the ext4
# scratch (/tmp) are written, dropped from the cache and read back.
set -u
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

[ "${MEMSCOPE_GUEST:-}" = 1 ] || { echo "not in the memscope VM (MEMSCOPE_GUEST!=1)"; exit 2; }

kv=$(uname -r)
check "kernel is 6.1 ($kv)" test "${kv#6.1.}" != "$kv"
check "/sys/kernel/btf/vmlinux" test -s /sys/kernel/btf/vmlinux
check "bpffs on /sys/fs/bpf" test "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs
check "ext4 on /tmp" test "$(stat -f -c %T /tmp)" = ext2/ext3
check "TMPDIR=/tmp writable" touch "$TMPDIR/.probe"
check "2 CPUs" test "$(nproc)" = 2

io() {
	local i
	for i in 1 2 3; do
		dd if=/dev/zero of="$TMPDIR/io.$i" bs=64k count=16 status=none
		sync
		echo 3 >/proc/sys/vm/drop_caches
		cat "$TMPDIR/io.$i" >/dev/null
	done
}
export -f io

if ! command -v bpftrace >/dev/null; then
	echo "skip: bpftrace not installed on the host"
else
	for probe in kprobe:filemap_add_folio kfunc:filemap_add_folio \
		tracepoint:filemap:mm_filemap_add_to_page_cache; do
		t0=$(date +%s%N)
		out=$(bpftrace -e "$probe { @n = count(); }" -c "/bin/bash -c io" 2>&1)
		t1=$(date +%s%N)
		n=$(sed -n 's/^@n: \([0-9]*\)$/\1/p' <<<"$out")
		if [ "${n:-0}" -gt 0 ]; then
			ok "$probe counted $n ($(((t1 - t0) / 1000000)) ms)"
		else
			bad "$probe: $out"
		fi
	done
	libc=$(ldd /bin/ls | sed -n 's/.*libc\.so\.6 => \([^ ]*\).*/\1/p')
	out=$(bpftrace -e "uprobe:$libc:malloc { @n = count(); }" -c "/bin/ls /" 2>&1)
	n=$(sed -n 's/^@n: \([0-9]*\)$/\1/p' <<<"$out")
	if [ "${n:-0}" -gt 0 ]; then ok "uprobe:$libc:malloc counted $n"; else bad "uprobe: $out"; fi
	# interval form: keep doing I/O until bpftrace exits by itself.
	bpftrace -e 'kprobe:filemap_add_folio { @n = count(); } interval:s:2 { exit(); }' \
		>"$TMPDIR/bt.out" 2>&1 &
	bt=$!
	while kill -0 $bt 2>/dev/null; do io; done
	wait $bt
	n=$(sed -n 's/^@n: \([0-9]*\)$/\1/p' "$TMPDIR/bt.out")
	if [ "${n:-0}" -gt 0 ]; then ok "kprobe + interval:s:2 counted $n"; else bad "interval: $(cat "$TMPDIR/bt.out")"; fi
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
