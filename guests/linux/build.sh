#!/bin/sh
# build.sh OUTDIR: the Linux guest of hvsim (issue 11).  Fetches Debian 12's
# arm64 cloud kernel (linux-image-6.1.0-*-cloud-arm64-unsigned, whose vmlinuz
# is an uncompressed arm64 Image) and busybox-static from Debian's arm64
# archive (tools/debfetch.sh: private apt state, the system's untouched),
# once: the packages stay cached in OUTDIR/apt/debs.  Then builds
# OUTDIR/Image and OUTDIR/initramfs.cpio (newc: busybox and /init) and
# prints the hvsim and QEMU command lines.  Exit 1 when the archive cannot be
# reached and nothing is cached.
set -eu
out=${1:?usage: build.sh OUTDIR}
shown=${out%/}   # as given, for the command lines printed at the end
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
debs=$out/apt/debs

if ! ls "$debs"/linux-image-*.deb "$debs"/busybox-static_*.deb >/dev/null 2>&1; then
	rm -rf "$out/apt"
	if ! sh "$top/tools/debfetch.sh" "$out/apt" bookworm arm64 \
		'linux-image-6.1.0-*-cloud-arm64-unsigned' busybox-static >"$out/fetch.log" 2>&1; then
		echo "build.sh: cannot fetch the kernel and busybox from Debian's archive (see $out/fetch.log)" >&2
		rm -rf "$out/apt"
		exit 1
	fi
fi

x=$out/pkg
rm -rf "$x" "$out/root"
mkdir -p "$x"
for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$x"; done
cp "$x"/boot/vmlinuz-* "$out/Image"

# The initramfs: busybox, /init and the mount points.
r=$out/root
mkdir -p "$r/bin" "$r/dev" "$r/proc" "$r/sys" "$r/tmp"
cp "$x/bin/busybox" "$r/bin/busybox"
cp "$here/init" "$r/init"
chmod 755 "$r/init" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
# Fixed times and owners: the same packages give the same archive.
find "$r" -exec touch -h -d @0 {} +
(cd "$r" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) >"$out/initramfs.cpio"
rm -rf "$x" "$r"

append="console=ttyAMA0 earlycon rdinit=/init cryptomgr.notests"
echo "$append" >"$out/append"
cat <<MSG
Linux guest in $shown ($(basename "$(ls "$debs"/linux-image-*.deb)" .deb)):
  ./hvsim run --set sim.vcpus=2 --set sim.ram_mb=512 --kernel $shown/Image --initrd $shown/initramfs.cpio --append "$append"
QEMU, the same files:
  qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a72 -smp 2 -m 512M -nographic -kernel $shown/Image -initrd $shown/initramfs.cpio -append "$append"
MSG
