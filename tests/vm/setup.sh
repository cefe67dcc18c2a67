#!/bin/bash
# Prepare the memscope test VM: host packages, Debian 12 (6.1) kernel, initramfs.
#
# usage: tests/vm/setup.sh [--kernel 6.1|5.10] [--force] [--quiet]
#
# Idempotent: when everything is cached it only checks and exits (well < 1 s).
# Cache: $MEMSCOPE_VM_CACHE (default /var/cache/memscope-vm):
#   debs/<package>.deb               the pinned kernel package (kept)
#   img/{vmlinuz,initramfs.img,kver,stamp} what run.sh boots
# Both kernels are pinned: one exact package each, checked against its
# sha256, so the suite's kernels move only when this file moves them.
# 6.1: Debian 12's own archive, through apt (its sources, mirrors and proxy).
# --kernel 5.10: Debian 11's 5.10 kernel (cache in $CACHE/k5.10), the last
# kernel before filemap_get_pages and the folio tracepoints; it is not in
# Debian 12's indexes, so it is fetched from the pool of each archive that
# apt's sources name (apt-helper, so apt's proxy settings apply), or from
# $MEMSCOPE_VM_MIRROR (a Debian archive URL) when set.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${MEMSCOPE_VM_CACHE:-/var/cache/memscope-vm}
PKGS=(qemu-system-x86 busybox-static kmod cpio e2fsprogs xz-utils grep coreutils util-linux)
# The pinned packages: name, version, sha256 (Debian's own, as in its
# Packages index). To move a kernel: change these three lines.
K61_PKG=linux-image-6.1.0-57-amd64 K61_VER=6.1.192-3
K61_SHA256=14d219d01e1283261817d961dbb3895cb5b4288d0de10e0ba0632a0d993e15bf
K510_PKG=linux-image-5.10.0-32-amd64 K510_VER=5.10.223-1
K510_SHA256=86a6792f3a03ab15a643f385830cdaa921f15e3e9c8bf63aa55a9243c62fc797
POOLS="pool/main/l/linux-signed-amd64 pool/updates/main/l/linux-signed-amd64"
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
# apt fails at once on a lock another apt holds: on a new machine the two
# guests, set up side by side, both ran apt-get update and one failed
# ("Could not get lock /var/lib/apt/lists/lock"). One setup at a time.
exec 8>"${MEMSCOPE_VM_CACHE:-/var/cache/memscope-vm}/.setup.lock"
flock 8

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

# 2. The pinned kernel package.
if [ "$series" = 5.10 ]; then
	pkg=$K510_PKG ver=$K510_VER sha=$K510_SHA256
else
	pkg=$K61_PKG ver=$K61_VER sha=$K61_SHA256
fi
deb=$CACHE/debs/${pkg}_${ver}_amd64.deb
sha_ok() { [ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$sha" ]; }
# archive roots apt's sources name (http://host/debian from .../dists/...), each
# with its security archive beside it (host/debian-security), where a
# kernel from a security update stays until the next point release: a
# minimal install (debootstrap) names only the main archive, and there the
# pinned 6.1 kernel was not found
apt_roots() {
	apt-get indextargets --format '$(URI)' 'Created-By: Packages' 2>/dev/null |
		sed -n 's,/dists/.*,,p' | sed 'p; /\/debian$/!d; s,$,-security,' | awk '!seen[$0]++'
}
fetch_pinned() {
	local dl tried=() root
	# apt's _apt user cannot write into a root-only dir
	dl=$(mktemp -d "$CACHE/dl.XXXXXX")
	chmod 777 "$dl"
	if [ "$series" = 6.1 ]; then
		(cd "$dl" && apt-get download -qq "$pkg=$ver" >&2 2>"$dl/err") ||
			{ [ $apt_updated = 0 ] && apt-get update -qq && apt_updated=1 &&
				(cd "$dl" && apt-get download -qq "$pkg=$ver" >&2 2>"$dl/err"); } ||
			tried+=("apt-get download $pkg=$ver: $(tail -n 1 "$dl/err")")
		mv "$dl"/*.deb "$deb.part" 2>/dev/null || true
	fi
	# not (or no longer) in apt's indexes: the archives' pools, where a
	# superseded package stays until the archive drops it
	[ -s "$deb.part" ] || for root in ${MEMSCOPE_VM_MIRROR:-$(apt_roots)}; do
		for pool in $POOLS; do
			/usr/lib/apt/apt-helper -qq download-file "$root/$pool/$(basename "$deb")" \
				"$dl/k.deb" "SHA256:$sha" >"$dl/err" 2>&1 && { mv "$dl/k.deb" "$deb.part"; break 2; }
			tried+=("$root/$pool: $(grep -m1 -v '^$' "$dl/err")")
		done
	done
	rm -rf "$dl"
	if [ -s "$deb.part" ] && sha_ok "$deb.part"; then
		mv "$deb.part" "$deb"
		return 0
	fi
	[ -s "$deb.part" ] && tried+=("$(basename "$deb"): sha256 differs from the pinned $sha")
	rm -f "$deb.part"
	echo "setup.sh: cannot fetch the pinned kernel $pkg $ver (tried, in order):" >&2
	[ ${#tried[@]} -gt 0 ] || tried=("apt's sources name no archive (apt-get indextargets)")
	printf '  %s\n' "${tried[@]}" >&2
	[ "$series" = 5.10 ] &&
		echo "  (set MEMSCOPE_VM_MIRROR to a Debian archive that still has bullseye, e.g. an archive mirror)" >&2
	return 1
}
if [ ! -s "$deb" ] || ! sha_ok "$deb"; then
	log "downloading $pkg $ver"
	fetch_pinned || exit 1
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
echo "$pkg $ver" >"$img/kpkg"
echo "$key" >"$img/stamp"
log "ready: $kver ($(wc -l <"$r/lib/modules/modules.list") modules) in $img"
