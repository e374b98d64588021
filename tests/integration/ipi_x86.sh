#!/usr/bin/env bash
# Fixed IPIs between two vCPUs through the LAPIC's ICR, xAPIC then x2APIC
# (firmware/x86/ipi.c: 4 phases x 10 rounds of ping-pong, 80 IPIs, 80
# interrupts, each handler writes EOI), injected by the hypervisor (no APIC
# virtualization: designs/x86-legacy.ini; apicv_x86.sh compares the others).  A model that never delivers fails the guest; one that
# exits on everything gets the exit counts wrong.  --max-cycles: a model
# that never delivers stops at the limit instead of idling forever.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/ipi.elf"
run ipi 0 --max-cycles 100000000 --design "$TOP/designs/x86-legacy.ini" "$fw"
grep -qF "ipi: PASS" "$T/ipi.out" || fail "guest did not pass"
expect_eq "interrupts injected" "$(j ipi "d['lapic']['delivered']['injected']")" 80
expect_eq "messages accepted" "$(j ipi "d['lapic']['messages']")" 80
expect_eq "ICR writes" "$(j ipi "d['lapic']['accesses']['icr_write']")" 80
expect_eq "EOI writes" "$(j ipi "d['lapic']['accesses']['eoi']")" 80
expect_eq "latencies recorded" "$(j ipi "d['lapic']['delivery_latency_cycles']['count']")" 80
# x2APIC phases: 40 ICR + 40 EOI WRMSRs, and one IA32_APIC_BASE write per CPU
expect_eq MSR_WRITE "$(j ipi "d['exits']['MSR_WRITE']")" 82
expect_eq "IA32_APIC_BASE #GP" "$(j ipi "d['platform']['msr_gp']")" 0
# every IPI to the other vCPU kicks it: an exit if it runs; if it halted
# (HLT exit), it resumes once, found by KVM's halt polling or woken
expect_eq "kicks + resumes" "$(j ipi "d['exits']['EXTERNAL_INTERRUPT'] + d['platform']['vcpu_wakeups'] + d['kvm']['halt_successful_poll']")" 80
expect_eq "kick exits" "$(j ipi "d['exits']['EXTERNAL_INTERRUPT']")" "$(j ipi "d['platform']['irq_exits']['kick']")"
# at least the 20 pings to CPU 1 while it spins find it running
[ "$(j ipi "d['exits']['EXTERNAL_INTERRUPT']")" -ge 20 ] || fail "fewer than 20 kicks of a running target"
expect_eq INTERRUPT_WINDOW "$(j ipi "d['exits']['INTERRUPT_WINDOW']")" 0
# without HLT exiting a halted vCPU waits in hardware: every kick is an exit
ctls=$(design x86 vmx procbased_ctls)
run nohlt 0 --max-cycles 100000000 --design "$TOP/designs/x86-legacy.ini" --set vmx.procbased_ctls=$(printf '0x%x' $(( ctls & ~(1 << 7) ))) "$fw"
expect_eq "HLT exits without HLT exiting" "$(j nohlt "d['exits']['HLT']")" 0
expect_eq "kicks without HLT exiting" "$(j nohlt "d['exits']['EXTERNAL_INTERRUPT']")" 80
expect_eq "wake-ups without HLT exiting" "$(j nohlt "d['platform']['vcpu_wakeups']")" 0
# the fastest delivery: kick exit + handler + entry + injection, from the design
lat=$(( $(design x86 vmx exit_cycles) + $(design x86 vmx save_cycles) + $(design x86 vmx restore_cycles) +
	$(design x86 vmx entry_cycles) + $(design x86 lapic kick_cycles) + $(design x86 lapic inject_cycles) ))
expect_eq "minimum latency" "$(j nohlt "d['lapic']['delivery_latency_cycles']['min']")" $lat
echo ok
