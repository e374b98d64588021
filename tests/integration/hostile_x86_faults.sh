#!/usr/bin/env bash
# Hostile x86-64 guests that the machine cannot continue: jumps into MMIO, past RAM and
# beyond the physical address space, loads and stores there, a push with
# RSP = 0, exceptions with no usable IDT or stack (triple fault), HLT with
# nothing to wake the CPU.  Each must
# stop as a guest fault (exit status 4) whose message names the vCPU and the
# address or the triple fault, never an internal error, within a bounded time.
. "$(dirname "$0")/hostile.bash"

guest_fault fault_jmp_mmio "$X86/fault_jmp_mmio.elf" cpu0 '0x0*feb00000\b'
guest_fault fault_jmp_pastram "$X86/fault_jmp_pastram.elf" cpu0 '0x0*8000000\b'
guest_fault fault_jmp_unmapped "$X86/fault_jmp_unmapped.elf" cpu0 '0x0*8000000000\b'
guest_fault fault_store_far "$X86/fault_store_far.elf" cpu0 '0x0*8000000000\b'
guest_fault fault_load_far "$X86/fault_load_far.elf" cpu0 '0x0*8000000000\b'
guest_fault fault_push_rsp0 "$X86/fault_push_rsp0.elf" cpu0 '0xfffffffffffffff8\b'
guest_fault noidt_unmapped "$X86/noidt_unmapped.elf" cpu0 'triple fault'
expect_stat noidt_unmapped "d['exits']['TRIPLE_FAULT']" 1
guest_fault noidt_badstack "$X86/noidt_badstack.elf" cpu0 'triple fault'

guest halt 20 "$X86/halt.elf"
expect halt 4 out '^halt: cli; hlt' err 'every vCPU is halted or off'
expect_stat halt "d['exits']['HLT']" 1
finish
