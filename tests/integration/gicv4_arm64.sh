#!/usr/bin/env bash
# GICv4.0 and GICv4.1 against GICv3 on the same guests (designs/arm-gicv4.ini,
# arm-gicv41.ini; docs/architecture.md "GICv4").  The counts are what the
# guests do (firmware/arm64/vlpi.c, ipi.c): a model that injects everything
# through list registers, kicks a vCPU for a direct vLPI, never rings a
# doorbell or still needs one with WFI untrapped gets them wrong.
. "$(dirname "$0")/lib.bash"
vlpi="$FIRMWARE/arm64/vlpi.elf"
ipi="$FIRMWARE/arm64/ipi.elf"
designs="$(dirname "$0")/../../designs"
v4="$designs/arm-gicv4.ini"
v41="$designs/arm-gicv41.ini"
hcr=$(design arm64 el2 hcr_el2)
notwi=$(printf '0x%x' $(( hcr & ~(1 << 13) )))   # HCR_EL2.TWI clear: WFI in hardware
d() { j "$1" "d['gic']['delivered']['$2']['$3']"; }

# vlpi: 8 MSIs while running, 4 while idle in WFI, then 8 SGIs from CPU 0
# to CPU 1 idle in WFI (vlpi.c)
run v3 0 "$vlpi"
grep -qF "vlpi: done" "$T/v3.out" || fail "vlpi guest did not finish"
expect_eq "GICv3: LPIs through LRs" "$(d v3 list_register LPI)" 12
expect_eq "GICv3: kicks (IRQ exits) while running" "$(j v3 "d['platform']['irq_exits']['kick']")" 8
expect_eq "GICv3: wake-ups from WFI (4 LPIs, 8 SGIs)" "$(j v3 "d['platform']['vcpu_wakeups']")" 12
expect_eq "GICv3: SGIs through LRs" "$(d v3 list_register SGI)" 8
expect_eq "GICv3: SYS64 exits (ICC_SGI1R_EL1)" "$(j v3 "d['exits']['SYS64']")" 8
expect_eq "GICv3: no direct path" "$(( $(d v3 direct vLPI) + $(d v3 doorbell vLPI) ))" 0

run v4 0 --design "$v4" "$vlpi"
grep -qF "vlpi: done" "$T/v4.out" || fail "vlpi guest did not finish under GICv4"
expect_eq "GICv4: vLPIs direct" "$(d v4 direct vLPI)" 8
expect_eq "GICv4: vLPIs after a doorbell" "$(d v4 doorbell vLPI)" 4
expect_eq "GICv4: no LPI through an LR" "$(d v4 list_register LPI)" 0
expect_eq "GICv4: LR injections only for the 8 SGIs" "$(j v4 "d['gic']['lr_injections']")" 8
expect_eq "GICv4: doorbells" "$(j v4 "d['gic']['v4']['its']['doorbells']")" 4
expect_eq "GICv4.0: no vSGIs, SGIs through LRs" "$(d v4 list_register SGI),$(d v4 direct vSGI)" 8,0
expect_eq "GICv4: VMAPTI (its_map_vlpi)" "$(j v4 "d['gic']['v4']['its']['commands']['VMAPTI']")" 2
expect_eq "GICv4: VMAPP (one vPE per vCPU)" "$(j v4 "d['gic']['v4']['its']['commands']['VMAPP']")" 2
expect_eq "GICv4: no host ITS errors" "$(j v4 "sum(d['gic']['v4']['its']['errors'].values())")" 0
expect_eq "IRQ exits GICv4 removes" "$(( $(j v3 "d['exits']['IRQ']") - $(j v4 "d['exits']['IRQ']") ))" 8
# residency: 2 vPEs loaded at start; CPU 0 blocks in WFI 4 times (a put
# and a load each), CPU 1 9 times (8 woken by an SGI, the last not woken)
expect_eq "GICv4: residency changes" "$(j v4 "d['gic']['v4']['its']['residency_changes']")" 27
expect_eq "latency samples per path" "$(j v4 "d['gic']['delivery_latency']['direct']['count']"),$(j v4 "d['gic']['delivery_latency']['doorbell']['count']")" 8,4

# The doorbell path costs the design's doorbell handling: dearer by 1000 cycles
# per doorbell, each doorbell delivery 1000 cycles later
db=$(design arm64 gic doorbell_cycles)
run v4db 0 --design "$v4" --set gic.doorbell_cycles=$((db + 1000)) "$vlpi"
expect_eq "doorbell latency +1000" \
	"$(( $(j v4db "d['gic']['delivery_latency']['doorbell']['min']") - $(j v4 "d['gic']['delivery_latency']['doorbell']['min']") ))" 1000

# GICv4.1 with WFI not trapped: the vPE stays resident while the vCPU idles in
# hardware, every vLPI is direct, no doorbell, no WFx exit, no wake-up, and
# the physical CPU is never handed back to the host
run v41hw 0 --design "$v41" --set el2.hcr_el2=$notwi "$vlpi"
expect_eq "4.1, WFI untrapped: all direct" "$(d v41hw direct vLPI)" 12
expect_eq "4.1, WFI untrapped: no doorbell" "$(j v41hw "d['gic']['v4']['its']['doorbells']")" 0
expect_eq "4.1, WFI untrapped: no WFx exit" "$(j v41hw "d['exits']['WFx']")" 0
expect_eq "4.1, WFI untrapped: not blocked" "$(j v41hw "d['platform']['blocked_cycles']")" 0
[ "$(j v41hw "d['platform']['wfi_in_guest_cycles']")" -gt 0 ] || fail "4.1, WFI untrapped: no idle time in the guest"
run v41 0 --design "$v41" "$vlpi"
expect_eq "4.1, WFI trapped: doorbells (4 vLPIs, 8 vSGIs)" "$(j v41 "d['gic']['v4']['its']['doorbells']")" 12
expect_eq "4.1, WFI trapped: no idle time in the guest" "$(j v41 "d['platform']['wfi_in_guest_cycles']")" 0

# vSGIs (4.1, the guest having set GICD_CTLR.nASSGIreq): the sender's
# ICC_SGI1R_EL1 write still traps (KVM vgic_v3_dispatch_sgi -> GITS_SGIR),
# so SYS64 exits stay; the target is neither kicked nor given an LR
expect_eq "4.1: vSGIs after a doorbell (CPU 1 blocked in WFI)" "$(d v41 doorbell vSGI)" 8
expect_eq "4.1: SGIs through LRs" "$(d v41 list_register SGI)" 0
expect_eq "4.1: SYS64 exits kept" "$(j v41 "d['exits']['SYS64']")" 8
expect_eq "4.1: vSGIs sent (GITS_SGIR)" "$(j v41 "d['gic']['v4']['vsgis_sent']")" 8
expect_eq "4.1, WFI untrapped: vSGIs direct" "$(d v41hw direct vSGI)" 8
run v3hw 0 --set el2.hcr_el2=$notwi "$vlpi"
expect_eq "GICv3, WFI untrapped: kicks" "$(j v3hw "d['platform']['irq_exits']['kick']")" 20
expect_eq "IRQ exits GICv4.1 removes (WFI untrapped)" \
	"$(( $(j v3hw "d['exits']['IRQ']") - $(j v41hw "d['exits']['IRQ']") ))" 20
expect_eq "SYS64 the same" "$(j v3hw "d['exits']['SYS64']")" "$(j v41hw "d['exits']['SYS64']")"
# KVM backs SGIs with vSGIs only when the guest asks (nASSGIreq): ipi.elf
# does not, so its 21 SGIs go through LRs under 4.1 as under GICv3
run ipi41 0 --design "$v41" "$ipi"
expect_eq "4.1 without nASSGIreq: SGIs through LRs" "$(d ipi41 list_register SGI),$(d ipi41 direct vSGI),$(d ipi41 doorbell vSGI)" 21,0,0
exit 0
