#!/bin/sh
# make bench: wall time of the Linux boot of guests/linux/ (Debian 12's arm64
# kernel to the busybox /init, which runs its workload and powers off) under
# hvsim (timing model on: the default design) and under qemu-system-aarch64
# TCG with the same Image, initramfs, command line, vCPUs and memory; prints
# both and the ratio (issue 11's goal: hvsim at most 2x QEMU).  The median of
# BENCH_REPEAT runs each.  See bench/README.md.
#
# Environment:
#   HVSIM            hvsim binary (default ./hvsim)
#   QEMU_A64         QEMU binary (default qemu-system-aarch64)
#   LINUX_GUEST_DIR  the guest (default build/linux-guest, as make linux-guest)
#   BENCH_REPEAT     runs per measurement (default 1: a boot takes seconds)
#   BENCH_LINUX_VCPUS  vCPUs (default 2)
#
# Exit status: 0, or 1 when a boot did not reach power-off.  When the guest
# cannot be fetched (no archive, nothing cached) or QEMU is missing, says so
# and exits 0 (a benchmark, not a test: tests/integration/linux_arm64.sh
# fails in that case).
set -u
HVSIM=${HVSIM:-./hvsim}
QEMU_A64=${QEMU_A64:-qemu-system-aarch64}
g=${LINUX_GUEST_DIR:-build/linux-guest}
rep=${BENCH_REPEAT:-1}
n=${BENCH_LINUX_VCPUS:-2}
t=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-bench-linux.XXXXXX")
trap 'rm -rf "$t"' EXIT

echo "== Linux boot (guests/linux/): hvsim vs QEMU TCG, $n vCPUs, 512 MiB"
if ! sh guests/linux/build.sh "$g" >"$t/build.out" 2>&1; then
	echo "linux: NOT MEASURED: cannot fetch Debian's arm64 kernel and busybox-static, nothing cached in $g"
	exit 0
fi
append=$(cat "$g/append")

# secs CMD...: runs CMD (output in $t/out), prints its wall time in seconds
secs() {
	s=$(date +%s.%N)
	"$@" >"$t/out" 2>&1 </dev/null
	e=$(date +%s.%N)
	grep -aqF "hvsim-guest: powering off" "$t/out" || { echo "linux: FAIL: no power-off in: $*" >&2; tail -5 "$t/out" >&2; exit 1; }
	python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s" "$e"
}
# median CMD...: the median wall time of $rep runs
median() {
	i=0
	: >"$t/times"
	while [ $i -lt "$rep" ]; do
		secs "$@" >>"$t/times" || exit 1
		i=$((i + 1))
	done
	sort -n "$t/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

h=$(median "$HVSIM" run --quiet --set sim.vcpus="$n" --set sim.ram_mb=512 --max-insns 2000000000 \
	--kernel "$g/Image" --initrd "$g/initramfs.cpio" --append "$append") || exit 1
echo "hvsim  $h s"
if ! command -v "$QEMU_A64" >/dev/null 2>&1; then
	echo "linux: QEMU not measured: no $QEMU_A64"
	exit 0
fi
q=$(median "$QEMU_A64" -M virt,gic-version=3 -cpu cortex-a72 -smp "$n" -m 512M -nographic -no-reboot \
	-kernel "$g/Image" -initrd "$g/initramfs.cpio" -append "$append") || exit 1
echo "qemu   $q s"
python3 -c "import sys; h, q = float(sys.argv[1]), float(sys.argv[2]); print('ratio  %.2fx hvsim/QEMU (goal <= 2x)%s' % (h / q, '' if h <= 2 * q else ': ABOVE THE GOAL'))" "$h" "$q"
