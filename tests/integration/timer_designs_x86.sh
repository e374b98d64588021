#!/usr/bin/env bash
# The timer guest (firmware/x86/timer.c: 13 expiries, 9 of them waited for
# in HLT, 3 TSC deadlines while it spins and 1 with RFLAGS.IF = 0) under the
# three timer designs.  The 4 expiries that find the vCPU running cost an
# EXTERNAL_INTERRUPT exit (host hrtimer), a PREEMPTION_TIMER exit
# (VMX-preemption timer) or nothing (exitless: posted); the 9 halted ones
# are wake-ups in every design.  A model that always exits, or exits with
# one reason whatever the design, gets these counts wrong.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/timer.elf"
D="$TOP/designs"
run hrtimer 0 --max-cycles 200000000 "$fw"
run preempt 0 --max-cycles 200000000 --design "$D/x86-timer-preempt.ini" "$fw"
run exitless 0 --max-cycles 200000000 --design "$D/x86-timer-exitless.ini" "$fw"
run legacy_preempt 0 --max-cycles 200000000 --design "$D/x86-legacy.ini" --design "$D/x86-timer-preempt.ini" "$fw"
ex() { j "$1" "d['exits']['$2']"; }
for r in hrtimer preempt exitless legacy_preempt; do
	grep -qF "timer: PASS" "$T/$r.out" || fail "$r: guest did not pass"
	expect_eq "$r: expiries" "$(j $r "d['lapic']['timer_fired']")" 13
	expect_eq "$r: resumes" "$(j $r "d['platform']['vcpu_wakeups'] + d['kvm']['halt_successful_poll']")" 9
done
expect_eq "hrtimer: EXTERNAL_INTERRUPT" "$(ex hrtimer EXTERNAL_INTERRUPT)" 4
expect_eq "hrtimer: PREEMPTION_TIMER" "$(ex hrtimer PREEMPTION_TIMER)" 0
expect_eq "preempt: EXTERNAL_INTERRUPT" "$(ex preempt EXTERNAL_INTERRUPT)" 0
expect_eq "preempt: PREEMPTION_TIMER" "$(ex preempt PREEMPTION_TIMER)" 4
expect_eq "exitless: EXTERNAL_INTERRUPT" "$(ex exitless EXTERNAL_INTERRUPT)" 0
expect_eq "exitless: PREEMPTION_TIMER" "$(ex exitless PREEMPTION_TIMER)" 0
# APICv: the hypervisor's vector goes through VIRR/RVI, the exitless one is posted
expect_eq "hrtimer: virtual" "$(j hrtimer "d['lapic']['delivered']['virtual']")" 4
expect_eq "preempt: virtual" "$(j preempt "d['lapic']['delivered']['virtual']")" 4
expect_eq "exitless: posted" "$(j exitless "d['lapic']['delivered']['posted']")" 4
for r in hrtimer preempt exitless; do
	expect_eq "$r: woken deliveries" "$(j $r "d['lapic']['delivered']['wakeup']")" 9
	expect_eq "$r: INTERRUPT_WINDOW" "$(ex $r INTERRUPT_WINDOW)" 0
done
# without APICv the preemption timer still replaces the host-timer exit; the
# masked expiry then waits for the interrupt window
expect_eq "legacy+preempt: PREEMPTION_TIMER" "$(ex legacy_preempt PREEMPTION_TIMER)" 4
expect_eq "legacy+preempt: EXTERNAL_INTERRUPT" "$(ex legacy_preempt EXTERNAL_INTERRUPT)" 0
expect_eq "legacy+preempt: INTERRUPT_WINDOW" "$(ex legacy_preempt INTERRUPT_WINDOW)" 1
# the handler cost of each design's exit, by part
expect_eq "preempt: handler part" "$(j preempt "d['exit_parts']['PREEMPTION_TIMER']['handler']")" \
	$(( 4 * $(design x86 lapic preemption_timer_cycles) ))
# the exitless timer posts: it needs posted-interrupt processing
run bad 3 --design "$D/x86-legacy.ini" --design "$D/x86-timer-exitless.ini" "$fw"
grep -qF "timer = exitless" "$T/bad.err" || fail "no message naming the timer design"
echo ok
