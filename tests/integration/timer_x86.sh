#!/usr/bin/env bash
# The LAPIC timer one-shot, periodic and TSC-deadline (firmware/x86/timer.c:
# 1 + 5 + 3 interrupts, each waited for in HLT), emulated on a host hrtimer:
# a halted vCPU is woken for each expiry; without HLT exiting it waits in
# hardware and each expiry is an EXTERNAL_INTERRUPT exit.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/timer.elf"
run timer 0 --max-cycles 100000000 "$fw"
grep -qF "timer: PASS" "$T/timer.out" || fail "guest did not pass"
expect_eq "interrupts injected" "$(j timer "d['lapic']['delivered']['injected']")" 9
expect_eq "timer expiries" "$(j timer "d['lapic']['timer_fired']")" 9
expect_eq HLT "$(j timer "d['exits']['HLT']")" 9
expect_eq "wake-ups" "$(j timer "d['platform']['vcpu_wakeups']")" 9
expect_eq EXTERNAL_INTERRUPT "$(j timer "d['exits']['EXTERNAL_INTERRUPT']")" 0
# LVT timer x3, divide x1, initial count x3, IA32_TSC_DEADLINE x3
expect_eq "timer register writes" "$(j timer "d['lapic']['accesses']['timer_write']")" 10
expect_eq "EOI writes" "$(j timer "d['lapic']['accesses']['eoi']")" 9
# each delivery: the host's wake-up, then the injection
lat=$(( $(design x86 lapic wakeup_cycles) + $(design x86 lapic inject_cycles) ))
expect_eq "latency (woken)" "$(j timer "d['lapic']['delivery_latency_cycles']['max']")" $lat
ctls=$(design x86 vmx procbased_ctls)
run nohlt 0 --max-cycles 100000000 --set vmx.procbased_ctls=$(printf '0x%x' $(( ctls & ~(1 << 7) ))) "$fw"
expect_eq "timer exits without HLT exiting" "$(j nohlt "d['exits']['EXTERNAL_INTERRUPT']")" 9
expect_eq "timer IRQ exits" "$(j nohlt "d['platform']['irq_exits']['timer']")" 9
expect_eq "wake-ups without HLT exiting" "$(j nohlt "d['platform']['vcpu_wakeups']")" 0
echo ok
