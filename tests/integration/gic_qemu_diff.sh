#!/usr/bin/env bash
# Differential test: timer.c, ipi.c, lpi.c and its-errors.c print the same
# lines on hvsim and on QEMU's own GICv3 model (with its ITS for the LPI guests) (-M virt,gic-version=3 -cpu cortex-a72, TCG, no
# EL2: the guest drives QEMU's physical CPU interface).  The QEMU runs use
# the QEMU_CHECK builds (linked 2 MiB up so QEMU passes the devicetree),
# built here with firmware/Makefile's rule.  Skipped without QEMU.
. "$(dirname "$0")/lib.bash"
qemu=${QEMU_A64:-qemu-system-aarch64}
command -v "$qemu" >/dev/null || { echo "no $qemu"; exit 77; }
make -s -C "$FIRMWARE" build/check/timer.elf build/check/ipi.elf build/check/lpi.elf build/check/its-errors.elf >"$T/make.log" 2>&1 ||
	{ cat "$T/make.log"; fail "cannot build the QEMU_CHECK guests"; }
# qrun NAME SMP ELF: the guest's lines on QEMU, without the runtime's exit line
qrun() {
	timeout 120 "$qemu" -M virt,gic-version=3,virtualization=off -cpu cortex-a72 -smp "$2" -nographic \
		-monitor none -kernel "$3" >"$T/$1.qemu" 2>&1 || { cat "$T/$1.qemu"; fail "$1: QEMU failed"; }
	grep -v '^hv_exit(' "$T/$1.qemu" >"$T/$1.qemu.lines"
}
qrun timer 1 "$FIRMWARE/build/check/timer.elf"
run timer 0 "$FIRMWARE/arm64/timer.elf"
diff "$T/timer.out" "$T/timer.qemu.lines" || fail "timer: hvsim and QEMU differ"
grep -qF "timer: done" "$T/timer.out" || fail "timer did not finish"
qrun ipi 4 "$FIRMWARE/build/check/ipi.elf"
run ipi 0 --set sim.vcpus=4 "$FIRMWARE/arm64/ipi.elf"
diff "$T/ipi.out" "$T/ipi.qemu.lines" || fail "ipi: hvsim and QEMU differ"
for g in lpi its-errors; do
	qrun "$g" 1 "$FIRMWARE/build/check/$g.elf"
	run "$g" 0 "$FIRMWARE/arm64/$g.elf"
	diff "$T/$g.out" "$T/$g.qemu.lines" || fail "$g: hvsim and QEMU differ"
	grep -qF "$g: done" "$T/$g.out" || fail "$g did not finish"
done
echo ok
