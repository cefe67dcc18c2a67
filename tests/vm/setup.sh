#!/bin/bash
# Prepare the memscope test VM: host packages, Debian 12 (6.1) kernel, initramfs.
#
# usage: tests/vm/setup.sh [--kernel 6.1|5.10] [--force] [--quiet]
#
# Idempotent: when everything is cached it only checks and exits (well < 1 s).
# Cache: $MEMSCOPE_VM_CACHE (default /var/cache/memscope-vm):
#   debs/linux-image-6.1.0-*-amd64_*.deb  downloaded kernel package (kept)
#   img/{vmlinuz,initramfs.img,kver,stamp} what run.sh boots
# The kernel package is the one already cached, else the one that Debian's
# linux-image-amd64 currently depends on; override with
# MEMSCOPE_VM_KPKG=linux-image-6.1.0-NN-amd64 (then --force to rebuild).
# --kernel 5.10: Debian 11's 5.10 kernel instead (cache in $CACHE/k5.10), the
# last kernel before filemap_get_pages and the folio tracepoints: one pinned
# package, fetched from the bullseye pool (not in Debian 12's apt sources)
# and checked against its sha256.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${MEMSCOPE_VM_CACHE:-/var/cache/memscope-vm}
PKGS=(qemu-system-x86 busybox-static kmod cpio e2fsprogs xz-utils grep coreutils util-linux curl)
K510_PKG=linux-image-5.10.0-32-amd64
K510_DEB=${K510_PKG}_5.10.223-1_amd64.deb
K510_SHA256=86a6792f3a03ab15a643f385830cdaa921f15e3e9c8bf63aa55a9243c62fc797
K510_URLS=(http://deb.debian.org/debian/pool/main/l/linux-signed-amd64/$K510_DEB
	http://archive.debian.org/debian/pool/main/l/linux-signed-amd64/$K510_DEB)
# Modules the guest init needs (dependencies are resolved with modprobe).
MODS=(virtio_pci virtio_blk virtio_console 9pnet_virtio 9p ext4 crc32c_generic overlay)

force=0 quiet=0 series=6.1
while [ $# -gt 0 ]; do
	case "$1" in
	--force) force=1 ;;
	--quiet) quiet=1 ;;
	--kernel) series=${2:-}; shift ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done
case $series in
6.1) ;;
5.10) CACHE=$CACHE/k5.10 ;;
*) echo "setup.sh: unknown kernel '$series' (6.1 or 5.10)" >&2; exit 2 ;;
esac
log() { [ "$quiet" = 1 ] || echo "vm-setup: $*" >&2; }

mkdir -p "$CACHE/debs" "$CACHE/img" "$CACHE/runs"
exec 9>"$CACHE/.lock"
flock 9

# 1. Host packages.
missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
apt_updated=0
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	apt-get update -qq
	apt_updated=1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
fi

# 2. Kernel package (cached .deb wins, so runs stay on one kernel).
deb=
if [ "$series" = 5.10 ]; then
	deb=$CACHE/debs/$K510_DEB
	if [ ! -s "$deb" ]; then
		log "downloading $K510_DEB"
		for u in "${K510_URLS[@]}"; do
			curl -fsSL --retry 2 -o "$deb.part" "$u" && break
		done
		[ -s "$deb.part" ] && [ "$(sha256sum <"$deb.part" | cut -d' ' -f1)" = "$K510_SHA256" ] ||
			{ rm -f "$deb.part"; echo "setup.sh: cannot fetch $K510_DEB (or its sha256 differs)" >&2; exit 1; }
		mv "$deb.part" "$deb"
	fi
elif [ -n "${MEMSCOPE_VM_KPKG:-}" ]; then
	deb=$(ls -1 "$CACHE/debs/${MEMSCOPE_VM_KPKG}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
else
	deb=$(ls -1 "$CACHE"/debs/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
fi
if [ -z "$deb" ]; then
	kpkg=${MEMSCOPE_VM_KPKG:-}
	if [ -z "$kpkg" ]; then
		resolve() { apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1; }
		kpkg=$(resolve)
		if [ -z "$kpkg" ] && [ $apt_updated = 0 ]; then
			apt-get update -qq
			kpkg=$(resolve)
		fi
		[ -n "$kpkg" ] || { echo "setup.sh: cannot resolve the 6.1 kernel package (apt-cache depends linux-image-amd64)" >&2; exit 1; }
	fi
	log "downloading $kpkg"
	# apt's _apt user cannot write into a root-only dir: download into a
	# world-writable temp dir, then move the .deb into the cache.
	dl=$(mktemp -d "$CACHE/dl.XXXXXX")
	chmod 777 "$dl"
	(cd "$dl" && apt-get download -qq "$kpkg" >&2) || { rm -rf "$dl"; exit 1; }
	mv "$dl"/*.deb "$CACHE/debs/"
	rm -rf "$dl"
	deb=$(ls -1 "$CACHE/debs/${kpkg}"_*.deb | sort -V | tail -n1)
fi

# 3. vmlinuz + initramfs, rebuilt when the deb or these scripts change.
key="$(basename "$deb") $(cat "$HERE/setup.sh" "$HERE/guest-init.sh" | sha256sum | cut -d' ' -f1)"
img=$CACHE/img
if [ $force = 0 ] && [ -s "$img/vmlinuz" ] && [ -s "$img/initramfs.img" ] &&
	[ "$(cat "$img/stamp" 2>/dev/null)" = "$key" ]; then
	log "up to date ($(cat "$img/kver"))"
	exit 0
fi

log "building kernel + initramfs from $(basename "$deb")"
b=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$b"' EXIT
x=$b/x
mkdir -p "$x"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards './boot/vmlinuz-*' './lib/modules/*'
kver=$(ls "$x/lib/modules")
[ -n "$kver" ] && [ -f "$x/boot/vmlinuz-$kver" ] || { echo "setup.sh: unexpected package layout in $deb" >&2; exit 1; }
depmod -b "$x" "$kver"

r=$b/root
mkdir -p "$r"/{bin,dev,proc,sys,newroot,lib/modules/"$kver"}
cp /bin/busybox "$r/bin/busybox"
install -m 0755 "$HERE/guest-init.sh" "$r/init"
mknod -m 600 "$r/dev/console" c 5 1
mknod -m 666 "$r/dev/null" c 1 3
: >"$r/lib/modules/modules.list"
mdir=$x/lib/modules/$kver
for m in "${MODS[@]}"; do
	modprobe -d "$x" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	rel=${ko#"$mdir"/}
	mkdir -p "$r/lib/modules/$kver/$(dirname "$rel")"
	cp "$ko" "$r/lib/modules/$kver/$rel"
	echo "$rel" >>"$r/lib/modules/modules.list"
done
[ -s "$r/lib/modules/modules.list" ] || { echo "setup.sh: no modules resolved" >&2; exit 1; }

(cd "$r" && find . -print0 | LC_ALL=C sort -z | cpio -o -0 -H newc --quiet -R 0:0) >"$b/initramfs.img"
cp "$x/boot/vmlinuz-$kver" "$b/vmlinuz"
# Also the uncompressed ELF vmlinux: QEMU boots it directly through the PVH
# entry point (CONFIG_PVH=y), which skips SeaBIOS + the in-guest xz
# decompression: about 3 s less per boot under TCG. run.sh falls back to
# vmlinuz when it is missing.
rm -f "$img/vmlinux"
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$b/vmlinuz" | head -n1 | cut -d: -f1 || true)
if [ -n "$off" ] && { tail -c +$((off + 1)) "$b/vmlinuz" || :; } | xz -dc --single-stream >"$b/vmlinux" 2>/dev/null &&
	[ "$(head -c4 "$b/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
	mv -f "$b/vmlinux" "$img/vmlinux"
else
	log "warning: could not extract an ELF vmlinux; booting the bzImage"
fi
mv -f "$b/vmlinuz" "$img/vmlinuz"
mv -f "$b/initramfs.img" "$img/initramfs.img"
echo "$kver" >"$img/kver"
echo "$key" >"$img/stamp"
log "ready: $kver ($(wc -l <"$r/lib/modules/modules.list") modules) in $img"
