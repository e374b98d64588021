#!/usr/bin/env bash
# Differential test: gups and dirty (firmware/lib/gups.h, dirty.h) print the
# same checksum under hvsim and under QEMU TCG, with the guest's own 4K page
# tables on.  The -qemu builds have their parameters built in
# (firmware/Makefile MEM_QEMU_DEFS); hvsim gets the same as guest.arg*.
# Skipped without QEMU.
. "$(dirname "$0")/lib.bash"
qa64=${QEMU_A64:-qemu-system-aarch64} qx86=${QEMU_X86:-qemu-system-x86_64}
command -v "$qa64" >/dev/null || { echo "no $qa64"; exit 77; }
command -v "$qx86" >/dev/null || { echo "no $qx86"; exit 77; }
qemu() {  # qemu NAME ARCH ELF: the guest's lines under QEMU
	local rc=0
	if [ "$2" = arm64 ]; then
		timeout 120 "$qa64" -M virt,virtualization=off -cpu cortex-a57 -nographic -monitor none \
			-kernel "$3" >"$T/$1.qemu" 2>&1 || rc=$?
		want=0
	else
		# isa-debug-exit: guest status 0 becomes QEMU's exit status 1
		timeout 120 "$qx86" -nographic -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
			-kernel "$3" >"$T/$1.qemu" 2>&1 || rc=$?
		want=1
	fi
	[ $rc = $want ] || { cat "$T/$1.qemu"; fail "$1: QEMU exit status $rc"; }
}
declare -A args=(
	[gups]="--set guest.arg0=4M --set guest.arg1=100000"
	[dirty]="--set guest.arg0=4M --set guest.arg1=3 --set guest.arg3=2"
)
for a in arm64 x86; do
	for g in gups dirty; do
		qemu $g-$a $a "$FIRMWARE/$a/$g-qemu.elf"
		# shellcheck disable=SC2086
		run $g-$a 0 --set sim.vcpus=1 ${args[$g]} "$FIRMWARE/$a/$g.elf"
		for f in "$T/$g-$a.qemu" "$T/$g-$a.out"; do
			grep -aE "^$g: (checksum|verification|round)" "$f" >"$f.lines" || fail "$g $a: no checksum in $f"
		done
		diff "$T/$g-$a.out.lines" "$T/$g-$a.qemu.lines" || fail "$g $a: hvsim and QEMU differ"
		grep -q "verification 0 errors" "$T/$g-$a.out.lines" || fail "$g $a: verification failed"
	done
done
echo ok
