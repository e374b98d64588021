#!/usr/bin/env bash
# Guest mistakes the machine cannot continue from: a clear message, the exit
# counted, exit status 4, no crash.  The guests' first instructions are patched
# (patch, lib.bash).
. "$(dirname "$0")/lib.bash"
guest_fault() {  # guest_fault NAME WORDS ELF
	run "$1" 4 "$3"
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
echo ok
