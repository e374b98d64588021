#!/usr/bin/env bash
# Guest mistakes the machine cannot continue from: a clear message, the exit
# counted, exit status 4, no crash.  The guests' first instructions are patched
# (patch, lib.bash).
. "$(dirname "$0")/lib.bash"
guest_fault() {  # guest_fault NAME WORDS [OPTIONS...] ELF
	run "$1" 4 "${@:3}"
	grep -qF "$2" "$T/$1.err" || { cat "$T/$1.err" >&2; fail "$1: message lacks '$2'"; }
}
# x86: ud2 with no IDT -> triple fault
patch "$FIRMWARE/x86/hello.elf" "$T/ud2.elf" 0f0b
guest_fault ud2 "triple fault" "$T/ud2.elf"
expect_eq TRIPLE_FAULT "$(j ud2 "d['exits']['TRIPLE_FAULT']")" 1
# x86: mov eax, 0xfeb00000; jmp rax -> executing from the mailbox MMIO page
patch "$FIRMWARE/x86/hello.elf" "$T/jmp.elf" b80000b0feffe0
guest_fault jmp "not RAM" "$T/jmp.elf"
expect_eq "fetch EPT_VIOLATION" "$(j jmp "d['exits']['EPT_VIOLATION']")" 1
# arm64: movz x1, #0x200, lsl #32; ldr x0, [x1] -> beyond the 40-bit IPA space
patch "$FIRMWARE/arm64/hello.elf" "$T/far.elf" 0140c0d2200040f9
guest_fault far "40-bit IPA" "$T/far.elf"
grep -qF "read of 8 bytes at 0x20000000000" "$T/far.err" || fail "far: address or size not named"
expect_eq "far DABT_LOW" "$(j far "d['exits']['DABT_LOW']")" 1
# nop; mov x1, #1; lsl x1, x1, #41; str x0, [x1]
patch "$FIRMWARE/arm64/hello.elf" "$T/farw.elf" 1f2003d5210080d2215857d3200000f9
guest_fault farw "cpu0: guest write of 8 bytes at 0x20000000000" "$T/farw.elf"

# Exception loops that make no progress end as guest faults, without any
# limit given (issue 5: they used to spin for ever).  Counts by hand, with
# [sim] exception_loop_limit = 64: the first fault, then 64 identical ones.
# mov x0, #0x1000; msr vbar_el1, x0; br x0 -> nothing at 0x1000 nor 0x1200
patch "$FIRMWARE/arm64/hello.elf" "$T/vbar.elf" 000082d200c018d500001fd6
guest_fault vbar "cpu0: guest exception loop: IABT_CUR (ESR_EL1 0x86000010) at PC 0x1200 taken 64 times" "$T/vbar.elf"
grep -qF "first fault was IABT_CUR (ESR_EL1 0x86000010) at PC 0x1000" "$T/vbar.err" || fail "vbar: first fault not named"
expect_eq "vbar IABT_LOW" "$(j vbar "d['exits']['IABT_LOW']")" 65
expect_eq "vbar instructions" "$(j vbar "d['guest_instructions']")" 3
run vbar10 4 --set sim.exception_loop_limit=10 "$T/vbar.elf"
expect_eq "vbar10 IABT_LOW" "$(j vbar10 "d['exits']['IABT_LOW']")" 11
# udf #0 before VBAR_EL1 is set: UNDEFINED, vector 0x200 is an unassigned gap
patch "$FIRMWARE/arm64/hello.elf" "$T/udf.elf" 00000000
guest_fault udf "at PC 0x200 taken 64 times" "$T/udf.elf"
grep -qF "first fault was UNKNOWN (ESR_EL1 0x02000000) at PC 0x40080000" "$T/udf.err" || fail "udf: first fault"
# mov x0, #1; lsl x0, x0, #44; br x0: beyond the A72's 44-bit PA size with the
# MMU off -> instruction abort, address size fault level 0 (IFSC 0), FAR = PC
patch "$FIRMWARE/arm64/hello.elf" "$T/pa44.elf" 200080d2004c54d300001fd6
guest_fault pa44 "first fault was IABT_CUR (ESR_EL1 0x86000000) at PC 0x100000000000" "$T/pa44.elf"
# PSCI CPU_ON(mpidr 1, entry = last word of RAM); cpu0 then waits in WFI
patch "$FIRMWARE/arm64/hello.elf" "$T/cpuon.elf" 600080d20080b8f2210080d20200a9d2421000d1030080d2020000d47f2003d5ffffff17
guest_fault cpuon "cpu1: guest exception loop" "$T/cpuon.elf"
grep -qF "at PC 0x47fffffc" "$T/cpuon.err" || fail "cpuon: first fault"

# x86: xor rsp, rsp; push rax -> a write at 2^64 - 8 (Unicorn 2.1 reports it
# cut to QEMU's 52-bit physical address space, 2.0.1 in full)
patch "$FIRMWARE/x86/hello.elf" "$T/push0.elf" 4831e450
guest_fault push0 "cpu0: guest write of 8 bytes at 0x" "$T/push0.elf"
grep -Eq "at 0x(fff)?ffffffffffff8, beyond the 39-bit" "$T/push0.err" || fail "push0: address not named"
# x86: movabs rax, 1 << 39; mov [rax], rax
patch "$FIRMWARE/x86/hello.elf" "$T/st39.elf" 48b80000000080000000488900
guest_fault st39 "cpu0: guest write of 8 bytes at 0x8000000000" "$T/st39.elf"

# Limits: a guest that spins for ever (b . / jmp .) stops at each limit.
patch "$FIRMWARE/arm64/hello.elf" "$T/spin.elf" 00000014
guest_fault cyc "stopped at 1000000 simulated cycles (--max-cycles 1000000)" --max-cycles 1000000 "$T/spin.elf"
cycles=$(j cyc "d['cycles']")
# Every vCPU stops at the first block boundary at or after the limit.
[ "$cycles" -ge 1000000 ] && [ "$cycles" -lt 1000100 ] || fail "cyc: $cycles cycles"
patch "$FIRMWARE/x86/hello.elf" "$T/spin86.elf" ebfe
guest_fault wall "(--timeout 1; --timeout 0 lifts it)" --timeout 1 "$T/spin86.elf"
echo ok
