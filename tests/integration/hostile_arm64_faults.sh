#!/usr/bin/env bash
# Hostile AArch64 guests that the machine cannot continue: exceptions whose
# vector has no memory behind it (VBAR_EL1 = 0, unassigned, past RAM), a CPU
# started at the last word of RAM that runs off its end, a branch and a load
# beyond the IPA space.  Each must stop as a guest fault (exit status 4)
# naming the vCPU and the address, within a bounded time.
. "$(dirname "$0")/hostile.bash"
HANG="issue 5 item 1: a fetch fault whose vector has nothing behind it loops for ever"

# The vector is VBAR_EL1 + 0x200 (current EL with SP_ELx).
guest_fault novec_vbar0 "$A64/novec_vbar0.elf" cpu0 '0x0*200\b' 124 '' "$HANG"
guest_fault novec_unassigned "$A64/novec_unassigned.elf" cpu0 '0x0*1200\b' 124 '' "$HANG"
guest_fault novec_pastram "$A64/novec_pastram.elf" cpu0 '0x0*48000200\b' 124 '' "$HANG"
guest_fault psci_ramend "$A64/psci_ramend.elf" cpu1 '0x0*48000000\b|0x0*200\b' 124 '' \
	"issue 5 item 1: CPU_ON with the entry at the end of RAM hangs"
guest_fault jump_far "$A64/jump_far.elf" cpu0 '0x0*100000000000\b' 70 'guest exception 3|Unicorn' \
	"issue 5 item 2: a branch to 1<<44 is an internal error"
guest_fault load_far "$A64/load_far.elf" cpu0 '0x0*100000000000\b' 4 'near PC' \
	"issue 5 item 2: the message for a load beyond the IPA space lacks the address"
finish
