#!/usr/bin/env bash
# Interrupts on the ARM machine: the generic timers and SGIs through the
# GICv3 and its list registers (firmware/arm64/timer.c, ipi.c).  Counts come
# from what the guests do (see their header comments), not from the model.
. "$(dirname "$0")/lib.bash"
timer="$FIRMWARE/arm64/timer.elf"
ipi="$FIRMWARE/arm64/ipi.elf"
hcr=$(design arm64 el2 hcr_el2)
notwi=$(printf '0x%x' $(( hcr & ~(1 << 13) )))

run timer 0 "$timer"
grep -qF "timer: done" "$T/timer.out" || fail "timer guest did not finish"
# The devicetree's arm,gic-v3 node at QEMU virt's addresses
grep -qF "timer: start; devicetree: GICD 0x8000000, GICR 0x80a0000" "$T/timer.out" || fail "GIC node in the devicetree"
# IRQ entry state the guest saw: SPSR_EL1 = EL1h with D, A, F masked (D1.10.2)
grep -qF "timer: IRQ entry: SPSR_EL1 0x345, ELR_EL1 in the interrupted loop: yes" "$T/timer.out" || fail "IRQ entry state"
# and from EL1t: vector VBAR_EL1 + 0x080, SPSR_EL1.M = EL1t
grep -qF "timer: IRQ from EL1t: vector entry 1 (VBAR_EL1 + 0x80), SPSR_EL1 0x344" "$T/timer.out" || fail "IRQ from EL1t"
expect_eq "PPIs delivered" "$(j timer "d['gic']['delivered']['list_register']['PPI']")" 17
expect_eq "SGIs delivered" "$(j timer "d['gic']['delivered']['list_register']['SGI']")" 6
expect_eq "SPIs delivered" "$(j timer "d['gic']['delivered']['list_register']['SPI']")" 0
expect_eq "virtual timer" "$(j timer "d['timer']['fired']['virtual']")" 10
expect_eq "physical timer" "$(j timer "d['timer']['fired']['physical']")" 7
expect_eq "latency samples" "$(j timer "d['gic']['delivery_latency_cycles']['count']")" 23
expect_eq "guest errors" "$(j timer "d['gic']['guest_errors']")" 0
# Every trapped access the guest counted (CNTP_* under nVHE, ICC_SGI1R_EL1) is a SYS64 exit
traps=$(sed -n 's/^timer: trapped register accesses: //p' "$T/timer.out")
expect_eq SYS64 "$(j timer "d['exits']['SYS64']")" "$traps"
# 10 WFIs block in the hypervisor; 7 timer assertions happen while the guest
# spins (phases 1, 3, 4 x2, 5, 6, 8); each physical-timer interrupt (software
# level) is resampled by an EOI maintenance interrupt.
expect_eq WFx "$(j timer "d['exits']['WFx']")" 10
expect_eq "IRQ exits for timers" "$(j timer "d['platform']['irq_exits']['timer']")" 7
expect_eq "IRQ exits for maintenance" "$(j timer "d['platform']['irq_exits']['maintenance']")" 7
expect_eq "IRQ exits" "$(j timer "d['exits']['IRQ']")" 14

# WFI not trapped: the vCPU waits in hardware, so the 10 periodic ticks arrive as IRQ exits
run timer_notwi 0 --set el2.hcr_el2=$notwi "$timer"
expect_eq "WFx without TWI" "$(j timer_notwi "d['exits']['WFx']")" 0
expect_eq "timer IRQ exits without TWI" "$(j timer_notwi "d['platform']['irq_exits']['timer']")" 17
# EL1PCEN set (a direct physical timer): only the 6 SGI1R writes trap
run timer_ptdirect 0 --set el2.cnthctl_el2=0x3 "$timer"
expect_eq "SYS64 with EL1PCEN" "$(j timer_ptdirect "d['exits']['SYS64']")" 6
# Two list registers: the preemption phase overflows them; the underflow
# maintenance interrupt refills them and the guest still passes
run timer_2lr 0 --set gic.list_registers=2 "$timer"
[ "$(j timer_2lr "d['gic']['lr_overflows'] > 0")" = True ] || fail "no LR overflow with 2 list registers"
[ "$(j timer_2lr "d['platform']['irq_exits']['maintenance'] > 7")" = True ] || fail "no underflow maintenance"
expect_eq "PPIs with 2 LRs" "$(j timer_2lr "d['gic']['delivered']['list_register']['PPI']")" 17

# SGI ping-pong: 10 pings, 10 pongs, then a broadcast (IRM = 1), then an SPI
run ipi 0 "$ipi"
grep -qF "ipi: done" "$T/ipi.out" || fail "ipi guest did not finish"
expect_eq "SGIs (2 vCPUs)" "$(j ipi "d['gic']['delivered']['list_register']['SGI']")" 21
expect_eq "SGIs generated" "$(j ipi "d['gic']['sgis_generated']")" 21
expect_eq "SYS64 (2 vCPUs)" "$(j ipi "d['exits']['SYS64']")" 21
# SPI 40 routed through GICD_IROUTER, taken once; its EOI is resampled (software level)
expect_eq "SPIs (2 vCPUs)" "$(j ipi "d['gic']['delivered']['list_register']['SPI']")" 1
expect_eq "maintenance (2 vCPUs)" "$(j ipi "d['platform']['irq_exits']['maintenance']")" 1
run ipi4 0 --set sim.vcpus=4 "$ipi"
grep -qF "ipi: broadcast: taken by 3 of 3 other CPUs, 0 times by the sender" "$T/ipi4.out" || fail "broadcast"
expect_eq "SGIs (4 vCPUs)" "$(j ipi4 "d['gic']['delivered']['list_register']['SGI']")" 23
expect_eq "SYS64 (4 vCPUs)" "$(j ipi4 "d['exits']['SYS64']")" 21
grep -qF "ipi: SPI 40 routed to CPU 3: taken 1 times there, 0 by CPU 0" "$T/ipi4.out" || fail "SPI routing"
# WFI in hardware: every SGI and the SPI reach their target through a kick (IPI + IRQ exit)
run ipi_notwi 0 --set el2.hcr_el2=$notwi "$ipi"
expect_eq "kick exits without TWI" "$(j ipi_notwi "d['platform']['irq_exits']['kick']")" 22

# Same inputs, same output
run timer_again 0 "$timer"
cmp -s "$T/timer.json" "$T/timer_again.json" || fail "timer statistics differ between two runs"
cmp -s "$T/timer.out" "$T/timer_again.out" || fail "timer console differs between two runs"

# A design with an impossible GIC is bad input
run badspis 3 --set gic.spis=33 "$timer"
grep -qF "gic.spis" "$T/badspis.err" || fail "bad gic.spis not named"
run badlr 3 --set gic.list_registers=1 "$timer"
grep -qF "gic.list_registers" "$T/badlr.err" || fail "bad gic.list_registers not named"
echo ok
