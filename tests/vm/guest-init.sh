#!/bin/busybox sh
# /init of the memscope test-VM initramfs (copied there by setup.sh).
#
# Runs as PID 1 under busybox. Loads the virtio/9p/ext4 modules, mounts the
# host's root (9p, read-only) at /newroot, puts proc/sys/dev/bpffs/tracefs/
# debugfs/cgroup2 and a fresh ext4 scratch disk (/tmp) on top of it, then runs
# the job script written by run.sh inside a chroot. The command's output goes
# to the virtio serial port "memscope.out", its exit status as "rc=N" to the
# port "memscope.status"; kernel/init messages stay on ttyS0 (console log).
# Always ends with poweroff -f.

/bin/busybox --install -s /bin
export PATH=/bin

R=/newroot

say() { echo "vm-init: $*"; }
die() {
	say "FATAL: $*"
	[ -n "$OUT" ] && echo "vm: guest setup failed: $*" >"$OUT" 2>/dev/null
	poweroff -f
	sleep 5 # not reached: poweroff -f does not return
}

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
mount -t devtmpfs devtmpfs /dev || die "mount /dev"

JOB=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	memscope.job=*) JOB=${arg#memscope.job=} ;;
	esac
done

KVER=$(uname -r)
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$KVER/$m" || say "warning: insmod $m failed"
done </lib/modules/modules.list

# virtio serial ports: find the device nodes by port name.
OUT= STATUS=
for p in /sys/class/virtio-ports/vport*; do
	[ -e "$p/name" ] || continue
	case "$(cat "$p/name")" in
	memscope.out) OUT=/dev/${p##*/} ;;
	memscope.status) STATUS=/dev/${p##*/} ;;
	esac
done
[ -n "$OUT" ] && [ -n "$STATUS" ] || die "virtio serial ports not found"
[ -n "$JOB" ] || die "no memscope.job= on the kernel command line"

mkdir -p $R
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose \
	hostroot $R || die "mount 9p hostroot"

# Scratch disk: virtio-blk probing is synchronous with insmod, but the block
# device node may show up slightly later; poll for it (bounded, ~5 s).
i=0
while [ ! -b /dev/vda ] && [ $i -lt 500 ]; do usleep 10000; i=$((i + 1)); done
[ -b /dev/vda ] || die "scratch disk /dev/vda missing"

mount -t proc proc $R/proc || die "mount proc"
mount -t sysfs sysfs $R/sys || die "mount sys"
mount -t devtmpfs devtmpfs $R/dev || die "mount dev"
mkdir -p $R/dev/pts $R/dev/shm
# what udev would add: bash process substitution needs /dev/fd
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts || say "warning: devpts"
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm || say "warning: /dev/shm"
mount -t tmpfs -o mode=0755 tmpfs $R/run || say "warning: /run"
mount -t bpf -o mode=0700 bpf $R/sys/fs/bpf || die "mount bpffs"
mount -t tracefs tracefs $R/sys/kernel/tracing || say "warning: tracefs"
mount -t debugfs debugfs $R/sys/kernel/debug || say "warning: debugfs"
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || say "warning: cgroup2"
# THP as on the host (madvise), not Debian's "always": with "always",
# khugepaged collapses the test files the tests map and mlock (pin), and 6.1
# once livelocked there: a reader spinning in filemap_get_read_batch under
# RCU on a frozen folio, khugepaged blocked, soft lockups until the timeout.
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null ||
	say "warning: cannot set THP to madvise"
# the host's /tmp stays reachable: a working directory under it (CI's
# clone, say) is bound back over the scratch disk below
mkdir -p /hosttmp
mount -o bind $R/tmp /hosttmp || say "warning: cannot keep the host's /tmp"
mount -t ext4 -o noatime /dev/vda $R/tmp || die "mount scratch ext4 on /tmp"
chmod 1777 $R/tmp
rmdir $R/tmp/lost+found 2>/dev/null
if [ -r "$R$JOB/cwd" ]; then
	cwd=$(cat "$R$JOB/cwd")
	case $cwd in
	/tmp/?*)
		top=${cwd#/tmp/}
		top=${top%%/*}
		mkdir -p "$R/tmp/$top"
		mount -o bind "/hosttmp/$top" "$R/tmp/$top" || die "cannot bind the host's /tmp/$top"
		;;
	esac
fi

[ -r "$R$JOB/cmd" ] || die "job script $JOB/cmd not readable"

# run.sh --rw DIR: a writable overlay on DIR, changes kept on the scratch disk
# (under /tmp/.vm-rw, discarded at poweroff).
n=0
if [ -r "$R$JOB/rw" ]; then
	while IFS= read -r d; do
		[ -n "$d" ] || continue
		n=$((n + 1))
		u=$R/tmp/.vm-rw/$n
		mkdir -p "$u/upper" "$u/work"
		mount -t overlay overlay -o "lowerdir=$R$d,upperdir=$u/upper,workdir=$u/work" "$R$d" ||
			die "overlay on $d"
	done <"$R$JOB/rw"
fi

echo "vm: kernel $KVER" >"$OUT"
chroot $R /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 MEMSCOPE_GUEST=1 \
	/bin/bash "$JOB/cmd" </dev/null >"$OUT" 2>&1
rc=$?
echo "rc=$rc" >"$STATUS"
say "command exited with $rc, powering off"
poweroff -f
