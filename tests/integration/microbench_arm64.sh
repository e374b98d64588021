#!/usr/bin/env bash
# firmware/arm64/microbench.elf on the default design: the six operations
# the design is calibrated to, and lpi which it predicts, must land within
# 10% of the published
# kvm-unit-tests arm/micro-bench averages on a Kunpeng 920
# (kvm@vger.kernel.org, 2023-11-01, Message-ID <ZUIwt6jWBN037XVf@monolith>,
# run before the patch; docs/arm-calibration.md).  The figures are written
# out here, never read back from the design.  The other operations must
# come out of the model in an order a wrong model would break: eoi (no
# exit) far below hvc (one exit), the in-kernel MMIO below the userspace one.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/arm64/microbench.elf"
run mb 0 "$fw"
grep -qF "microbench: done, 256 interrupts" "$T/mb.out" || fail "microbench did not finish"
ns() { sed -nE "s/^$1: [0-9]+ cycles ([0-9]+) ns\$/\\1/p" "$T/$2.out"; }
cycles() { sed -nE "s/^$1: ([0-9]+) cycles [0-9]+ ns\$/\\1/p" "$T/$2.out"; }
within10() {   # name, published ns, run
	local got; got=$(ns "$1" "$3")
	[ -n "$got" ] || fail "$1: no result line"
	[ $((got * 10)) -ge $(($2 * 9)) ] && [ $((got * 10)) -le $(($2 * 11)) ] ||
		fail "$1: $got ns, published $2 ns: more than 10% apart"
}
within10 hvc 408 mb
within10 mmio_read_user 2306 mb
within10 eoi 26 mb
within10 timer 1822 mb
# and the two calibrated from their parts: the in-kernel MMIO path, the IPI's kick
within10 mmio_read_vgic 638 mb
within10 ipi 1697 mb
# and one they predict: an ITS INT command through the in-kernel ITS and the kick
within10 lpi 2168 mb
# ns and cycles agree at 2.6 GHz (rounding down both)
c=$(cycles hvc mb) n=$(ns hvc mb)
[ $((c * 1000 / 2600 - n)) -le 1 ] && [ $((n - c * 1000 / 2600)) -le 1 ] || fail "hvc: $c cycles is not $n ns at 2.6 GHz"
[ "$(cycles eoi mb)" -lt $(( $(cycles hvc mb) / 5 )) ] || fail "eoi not far below an exit"
[ "$(cycles mmio_read_vgic mb)" -lt "$(cycles mmio_read_user mb)" ] || fail "in-kernel MMIO not below userspace MMIO"
for x in ipi lpi lpi_msi; do [ -n "$(ns $x mb)" ] || fail "$x: no result line"; done
# the MSI goes through the VMM (a userspace round trip): dearer than the INT command
[ "$(cycles lpi_msi mb)" -gt $(( $(cycles lpi mb) + 4000 )) ] || fail "lpi_msi not a userspace round trip above lpi"
# Exits the guest made: 256 HVCs + 4 (ratio, exit), every ipi a SYS64 exit,
# every ipi/lpi/lpi_msi/timer interrupt taken through an IRQ exit (kick or timer)
expect_eq "HVC64" "$(j mb "d['exits']['HVC64']")" 260
expect_eq "SYS64 (ICC_SGI1R_EL1)" "$(j mb "d['exits']['SYS64']")" 64
expect_eq "IRQ exits" "$(j mb "d['exits']['IRQ']")" 256
# the world switch by part is in the statistics
expect_eq "HVC64 run-loop part" "$(j mb "d['exit_parts']['HVC64']['run_loop'] // d['exits']['HVC64']")" 618
# The results do not depend on how the vCPUs interleave: a quantum 30x shorter
run mbq 0 --set sim.quantum_cycles=3000 "$fw"
for x in ipi lpi lpi_msi timer; do
	a=$(ns $x mb) b=$(ns $x mbq)
	[ $((a - b)) -le 2 ] && [ $((b - a)) -le 2 ] || fail "$x: $a ns vs $b ns with a shorter quantum"
done
# nVHE (designs/arm-gicv3.ini) moves the EL1 context on every exit: dearer hvc
run nvhe 0 --design "$TOP/designs/arm-gicv3.ini" "$fw"
[ "$(cycles hvc nvhe)" -gt $(( $(cycles hvc mb) + 400 )) ] || fail "nVHE hvc not dearer by the EL1 context"
echo ok
