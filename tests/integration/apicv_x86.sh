#!/usr/bin/env bash
# The ipi guest (firmware/x86/ipi.c: 80 IPIs in 4 phases: xAPIC and x2APIC,
# CPU 1 spinning or halted; every handler writes EOI) under each APIC design.
# The counts pinned are those a model that always exits gets wrong:
#  - APICv (virtual-interrupt delivery) virtualizes the 80 EOIs: no exit,
#    none emulated; legacy exits on each;
#  - posted interrupts remove the EXTERNAL_INTERRUPT exit for a running
#    target (at least the 20 pings to the spinning CPU 1 are posted);
#  - IPI virtualization removes the ICR-write exits (40 APIC_WRITE on the
#    xAPIC page, 40 MSR_WRITE of x2APIC MSR 830H).
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/ipi.elf"
D="$TOP/designs"
for d in legacy apicv apicv-pi ipiv; do
	run $d 0 --max-cycles 200000000 --design "$D/x86-$d.ini" "$fw"
	grep -qF "ipi: PASS" "$T/$d.out" || fail "$d: guest did not pass"
	expect_eq "$d: messages" "$(j $d "d['lapic']['messages']")" 80
	expect_eq "$d: deliveries" "$(j $d "sum(d['lapic']['delivered'].values())")" 80
done
ex() { j "$1" "d['exits']['$2']"; }

# APICv removes EOI exits
expect_eq "legacy: emulated EOIs" "$(j legacy "d['lapic']['accesses']['eoi']")" 80
expect_eq "legacy: injected" "$(j legacy "d['lapic']['delivered']['injected']")" 80
for d in apicv apicv-pi ipiv; do
	expect_eq "$d: emulated EOIs" "$(j $d "d['lapic']['accesses']['eoi']")" 0
	expect_eq "$d: virtualized EOIs" "$(j $d "d['apicv']['virtualized']['eoi']")" 80
	expect_eq "$d: EOI_INDUCED (edge vectors)" "$(ex $d EOI_INDUCED)" 0
	expect_eq "$d: injected" "$(j $d "d['lapic']['delivered']['injected']")" 0
	expect_eq "$d: INTERRUPT_WINDOW" "$(ex $d INTERRUPT_WINDOW)" 0
	expect_eq "$d: APIC_ACCESS" "$(ex $d APIC_ACCESS)" 0
done
# x2APIC: legacy writes ICR and EOI through MSR_WRITE exits (+ 2 IA32_APIC_BASE)
expect_eq "legacy: MSR_WRITE" "$(ex legacy MSR_WRITE)" 82
expect_eq "apicv: MSR_WRITE (ICR only)" "$(ex apicv MSR_WRITE)" 42
# xAPIC: the APIC-access page takes none of the EPT path legacy takes for
# ICR2, ICR and EOI of each of the 40 xAPIC IPIs, 2 SVR writes, 1 ID read
ept() { echo $(( $(ex $1 EPT_VIOLATION) + $(ex $1 EPT_MISCONFIG) )); }
expect_eq "apicv: EPT exits" "$(ept apicv)" $(( $(ept legacy) - 123 ))
# ICR writes are trap-like APIC_WRITE exits, as are the 2 SVR writes
expect_eq "apicv: APIC_WRITE" "$(ex apicv APIC_WRITE)" 42

# posted interrupts remove EXTERNAL_INTERRUPT exits for a running target
[ "$(ex legacy EXTERNAL_INTERRUPT)" -ge 20 ] || fail "legacy: fewer than 20 kick exits"
[ "$(ex apicv EXTERNAL_INTERRUPT)" -ge 20 ] || fail "apicv without PI: fewer than 20 kick exits"
expect_eq "apicv: virtual + wake-up" "$(j apicv "d['lapic']['delivered']['virtual'] + d['lapic']['delivered']['wakeup']")" 80
for d in apicv-pi ipiv; do
	expect_eq "$d: EXTERNAL_INTERRUPT" "$(ex $d EXTERNAL_INTERRUPT)" 0
	posted=$(j $d "d['lapic']['delivered']['posted']")
	[ "$posted" -ge 20 ] || fail "$d: $posted posted deliveries, expected at least the 20 to the spinning CPU"
	expect_eq "$d: posted + wake-up" $(( posted + $(j $d "d['lapic']['delivered']['wakeup']") )) 80
	expect_eq "$d: notifications processed" "$(j $d "d['apicv']['pi']['notifications']")" $posted
	expect_eq "$d: resumes from HLT" "$(j $d "d['lapic']['delivered']['wakeup']")" "$(j $d "d['platform']['vcpu_wakeups'] + d['kvm']['halt_successful_poll']")"
done
expect_eq "apicv-pi: ICR writes emulated" "$(j apicv-pi "d['lapic']['accesses']['icr_write']")" 80
expect_eq "apicv-pi: APIC_WRITE" "$(ex apicv-pi APIC_WRITE)" 42
expect_eq "apicv-pi: MSR_WRITE" "$(ex apicv-pi MSR_WRITE)" 42

# IPI virtualization removes ICR-write exits
expect_eq "ipiv: ICR writes emulated" "$(j ipiv "d['lapic']['accesses']['icr_write']")" 0
expect_eq "ipiv: ICR writes virtualized" "$(j ipiv "d['apicv']['virtualized']['icr_write']")" 80
expect_eq "ipiv: APIC_WRITE (SVR only)" "$(ex ipiv APIC_WRITE)" 2
expect_eq "ipiv: MSR_WRITE (IA32_APIC_BASE only)" "$(ex ipiv MSR_WRITE)" 2

# the default design is KVM on Skylake-SP: APICv with posted interrupts
run default 0 --max-cycles 200000000 "$fw"
expect_eq "default = x86-apicv-pi" "$(j default "d['exits']")" "$(j apicv-pi "d['exits']")"
echo ok
