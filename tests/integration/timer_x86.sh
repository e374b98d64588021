#!/usr/bin/env bash
# The LAPIC timer one-shot, periodic and TSC-deadline (firmware/x86/timer.c:
# 1 + 5 + 3 interrupts, each waited for in HLT, 3 TSC deadlines while the
# vCPU spins, then one that expires with RFLAGS.IF = 0 and is taken after
# STI), emulated on a host hrtimer without APIC virtualization
# (designs/x86-legacy.ini): a halted vCPU is woken for each expiry, a running
# one takes an EXTERNAL_INTERRUPT exit (3 busy + 1 masked); without HLT
# exiting it waits in hardware and each expiry is an exit.  The masked
# expiry costs an INTERRUPT_WINDOW exit.  timer_designs_x86.sh compares the
# timer designs.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/timer.elf"
run timer 0 --max-cycles 100000000 --design "$TOP/designs/x86-legacy.ini" "$fw"
grep -qF "timer: PASS" "$T/timer.out" || fail "guest did not pass"
expect_eq "interrupts injected" "$(j timer "d['lapic']['delivered']['injected']")" 13
expect_eq "timer expiries" "$(j timer "d['lapic']['timer_fired']")" 13
expect_eq HLT "$(j timer "d['exits']['HLT']")" 9
# each HLT resumes once: KVM's halt polling finds the expiry, or it blocked and is woken
expect_eq "resumes" "$(j timer "d['platform']['vcpu_wakeups'] + d['kvm']['halt_successful_poll']")" 9
expect_eq EXTERNAL_INTERRUPT "$(j timer "d['exits']['EXTERNAL_INTERRUPT']")" 4
expect_eq INTERRUPT_WINDOW "$(j timer "d['exits']['INTERRUPT_WINDOW']")" 1
# LVT timer x4, divide x1, initial count x4, IA32_TSC_DEADLINE x6
expect_eq "timer register writes" "$(j timer "d['lapic']['accesses']['timer_write']")" 15
expect_eq "EOI writes" "$(j timer "d['lapic']['accesses']['eoi']")" 13
# a delivery to a blocked vCPU: the host's wake-up, the HLT exit's restore
# and entry (KVM blocks inside the handler), then the injection (the first
# halt blocks: KVM's poll time starts at 0); the fastest, to a vCPU KVM's
# halt polling finds: only the restore, the entry and the injection
back=$(( $(design x86 vmx restore_cycles) + $(design x86 vmx entry_cycles) + $(design x86 lapic inject_cycles) ))
woken=$(( $(design x86 lapic wakeup_cycles) + back ))
[ "$(j timer "d['lapic']['delivery_latency_cycles']['max']")" -ge $woken ] || fail "no delivery took a wake-up"
expect_eq "minimum latency (polled)" "$(j timer "d['lapic']['delivery_latency_cycles']['min']")" $back
[ "$(j timer "d['kvm']['halt_successful_poll']")" -ge 1 ] || fail "no halt polled successfully"
# a hypervisor that never asks for the window injects at the first entry with IF = 1
run nowin 0 --max-cycles 100000000 --design "$TOP/designs/x86-legacy.ini" --set lapic.irq_window_exiting=false "$fw"
expect_eq "INTERRUPT_WINDOW without window exiting" "$(j nowin "d['exits']['INTERRUPT_WINDOW']")" 0
expect_eq "injected without window exiting" "$(j nowin "d['lapic']['delivered']['injected']")" 13
ctls=$(design x86 vmx procbased_ctls)
run nohlt 0 --max-cycles 100000000 --design "$TOP/designs/x86-legacy.ini" --set vmx.procbased_ctls=$(printf '0x%x' $(( ctls & ~(1 << 7) ))) "$fw"
expect_eq "timer exits without HLT exiting" "$(j nohlt "d['exits']['EXTERNAL_INTERRUPT']")" 13
expect_eq "timer IRQ exits" "$(j nohlt "d['platform']['irq_exits']['timer']")" 13
expect_eq "wake-ups without HLT exiting" "$(j nohlt "d['platform']['vcpu_wakeups']")" 0
echo ok
