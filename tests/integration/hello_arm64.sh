#!/usr/bin/env bash
# ARM hello: console, PSCI bring-up of cpu1, and exit counts/cycles that follow
# from what the guest did and from the default design.
. "$(dirname "$0")/lib.bash"
run hello 0 "$FIRMWARE/arm64/hello.elf"
for s in "2 cpus, memory 0x40000000 size 0x8000000" "PSCI version 1.1" "cpu1: hello, context" \
	 "AFFINITY_INFO(cpu1) = 1" "hv_ping(41) = 42" "hello: done"; do
	grep -qF "$s" "$T/hello.out" || fail "console lacks '$s'"
done
bytes=$(wc -c <"$T/hello.out")
# each console byte is one UARTFR poll and one UARTDR write, each a DABT_LOW exit
expect_eq DABT_LOW "$(j hello "d['exits']['DABT_LOW']")" $((2 * bytes))
# PSCI_VERSION, CPU_ON, AFFINITY_INFO (cpu0); CPU_OFF (cpu1); ping; exit
expect_eq HVC64 "$(j hello "d['exits']['HVC64']")" 6
expect_eq "cpu1 HVC64" "$(j hello "d['vcpus'][1]['exits']['HVC64']")" 1
# The world switch is its parts (el2.*, VHE): trap + ERET + GPRs + EL2
# controls 2 x el2_ctl_regs x sysreg_cycles + run loop; no LR in use here
ws=$(( $(design arm64 el2 trap_cycles) + $(design arm64 el2 eret_cycles) + $(design arm64 el2 gprs) * $(design arm64 el2 gpr_pair_cycles) + 2 * $(design arm64 el2 el2_ctl_regs) * $(design arm64 el2 sysreg_cycles) + $(design arm64 el2 run_loop_cycles) ))
hvc=$(( ws + $(design arm64 el2 hvc_cycles) ))
expect_eq "HVC64 cycles" "$(j hello "d['exit_cycles']['HVC64']")" $((6 * hvc))
# PL011 in the VMM: + the round trip + vcpu_put/load (VMCR and APRs, timer, VHE's EL1 context)
lp=$(( 2 * $(design arm64 el2 vgic_load_regs) * $(design arm64 el2 gic_sysreg_cycles) + 2 * ($(design arm64 el2 timer_load_regs) + $(design arm64 el2 el1_sysregs)) * $(design arm64 el2 sysreg_cycles) ))
mmio=$(( ws + $(design arm64 el2 dabt_cycles) + $(design arm64 el2 mmio_user_cycles) + lp ))
expect_eq "DABT_LOW cycles" "$(j hello "d['exit_cycles']['DABT_LOW']")" $((2 * bytes * mmio))
expect_eq "exits_total" "$(j hello "d['exits_total']")" "$(j hello "sum(d['exits'].values())")"
expect_eq "per-vCPU sum" "$(j hello "d['guest_instructions']")" "$(j hello "sum(v['guest_instructions'] for v in d['vcpus'])")"
# cpu1 cannot start before CPU_ON's latency has passed: it idles at least that long
[ "$(j hello "d['vcpus'][1]['idle_cycles'] >= $(design arm64 virt cpu_on_cycles)")" = True ] || fail "cpu1 idle < cpu_on_cycles"
# a design change moves exactly the cycles it should
run hello2 0 --set el2.hvc_cycles=$(( $(design arm64 el2 hvc_cycles) + 200 )) "$FIRMWARE/arm64/hello.elf"
expect_eq "HVC64 cycles +200" "$(j hello2 "d['exit_cycles']['HVC64']")" $((6 * (hvc + 200)))
echo ok
