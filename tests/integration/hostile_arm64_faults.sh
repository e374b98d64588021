#!/usr/bin/env bash
# Hostile AArch64 guests that the machine cannot continue: exceptions whose
# vector has no memory behind it (VBAR_EL1 = 0, unassigned, past RAM), a CPU
# started at the last word of RAM that runs off its end, a load beyond the
# IPA space.  Each must stop as a guest fault (exit status 4) naming the vCPU
# and the address, within a bounded time (no instruction completes in an
# exception loop, so --max-insns alone would not end it).  A branch beyond
# the IPA space is an address size fault the guest sees; WFI with nothing to
# wake the CPU ends the run; an exception from EL0 reaches the guest.
. "$(dirname "$0")/hostile.bash"

# The vector is VBAR_EL1 + 0x200 (current EL with SP_ELx).
guest_fault novec_vbar0 "$A64/novec_vbar0.elf" cpu0 '0x0*200\b'
guest_fault novec_unassigned "$A64/novec_unassigned.elf" cpu0 '0x0*1200\b'
guest_fault novec_pastram "$A64/novec_pastram.elf" cpu0 '0x0*48000200\b'
# cpu1 runs off the end of RAM (0x48000000), then loops at its vector 0x200.
guest_fault psci_ramend "$A64/psci_ramend.elf" cpu1 '0x0*200\b'
expect psci_ramend 4 err '0x0*48000000\b'
# Beyond the 40-bit IPA space: Unicorn refuses the access (a guest fault
# naming it).  With 2.1 hvsim translates every access (cpu/xlate.c, also
# with the translation model off), so the A72's own stage-1 address size
# check (PA >= 2^44) no longer comes first: both versions agree.
guest_fault load_far "$A64/load_far.elf" cpu0 '0x0*100000000000\b'

guest jump_far 20 "$A64/jump_far.elf" --max-insns 10000000
expect jump_far 0 out '^jump_far: done, 0 failures' \
	out '^ok: instruction abort: ESR 0x86000000 \(IFSC 0x0\) FAR 0x100000000000 ELR 0x100000000000'

guest halt 20 "$A64/halt.elf"
expect halt 4 out '^halt: wfi on the only running CPU' err 'every vCPU is halted or off'

# Exception entry from EL0 (firmware/arm64/el0.c has the full test): the
# SVC reaches the runtime's vector for the lower EL (AArch64) with ESR_EL1
# = SVC64 #0x42 and ELR_EL1 after the SVC; it has no handler: exit 99.
guest el0_svc 20 "$A64/el0_svc.elf" --max-insns 10000000
expect el0_svc 99 out '^el0_svc: ERET to EL0' out 'exception sync from EL0/64: EC=0x15 ESR=0x56000042 FAR=0x0 ELR=0x[0-9a-f]+$'
finish
