#!/usr/bin/env bash
# The x86 timing model on a bare guest whose every instruction is known
# (firmware/x86/timing.S): an exiting RDMSR and a non-exiting RDTSC in the
# middle of a block.  hvsim charges a block when it starts; after RDMSR and
# RDTSC it resumes at the next instruction as a new block, so the rest of
# the first block is taken back (cpu/x86.c set_rip).  Every instruction must
# be charged exactly once, and RDTSC reads the vCPU clock.  Expected numbers
# are derived by hand below.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/timing.elf"
ONE=(--set sim.vcpus=1)

# Instructions (class): mov edi (alu), mov ecx (alu), rdmsr (sys), add (alu),
# add (alu), rdtsc (sys), mov [rdi] (store), mov eax (alu), xor (alu),
# vmcall (sys): 10 instructions.
#   B1 = all 10;  B2 = from the first add;  B3 = from the store
# Default CPIs: alu 0.25, store 1, system 20.  B1 = 6 x 0.25 + 3 x 20 + 1 =
# 62.5, B2 = 4 x 0.25 + 2 x 20 + 1 = 42, B3 = 1 + 2 x 0.25 + 20 = 21.5.
#   B1 starts: 0 + 62.5 -> RDMSR exit @62, + 1000 (MSR_READ) = 1062.5;
#   B1's rest (= B2) taken back: 1020.5;  B2 starts: 1062.5
#   RDTSC reads 1062 (0x426); B2's rest (= B3) taken back: 1041
#   B3 starts: 1062.5 -> store: EPT violation @1062, + 7200 = 8262.5
#   VMCALL @8262, + 1100 = 9362.5 -> 9362 cycles, 10 instructions
run def 0 "${ONE[@]}" --debug exit,mmio "$fw"
expect_eq "exit clocks" "$(sed -nE 's/^\[exit\] cpu0 @([0-9]+) ([A-Z_]+) .*/\2@\1/p' "$T/def.err" | tr '\n' ' ')" \
	"MSR_READ@62 EPT_VIOLATION@1062 VMCALL@8262 "
grep -qF "unassigned write 0xd0000000 size 4 value 0x426" "$T/def.err" || fail "RDTSC did not read 1062 (0x426)"
expect_eq cycles "$(j def "d['cycles']")" 9362
expect_eq instructions "$(j def "d['guest_instructions']")" 10

# CPIs alu 1, store 2, system 5: B1 = 6 + 15 + 2 = 23, B2 = 4 + 10 + 2 = 16,
# B3 = 2 + 2 + 5 = 9.
#   B1: @23, + 1000 = 1023; back 16 -> 1007; B2: 1023, RDTSC 1023 (0x3ff);
#   back 9 -> 1014; B3: 1023, EPT @1023 -> 8223; VMCALL @8223 -> 9323
run cpi 0 "${ONE[@]}" --debug exit,mmio --set cpu.cpi_alu=1 --set cpu.cpi_store=2 --set cpu.cpi_system=5 "$fw"
expect_eq "exit clocks (cpi)" "$(sed -nE 's/^\[exit\] cpu0 @([0-9]+) .*/\1/p' "$T/cpi.err" | tr '\n' ' ')" "23 1023 8223 "
grep -qF "unassigned write 0xd0000000 size 4 value 0x3ff" "$T/cpi.err" || fail "RDTSC did not read 1023 (0x3ff)"
expect_eq "cycles (cpi)" "$(j cpi "d['cycles']")" 9323
expect_eq "instructions (cpi)" "$(j cpi "d['guest_instructions']")" 10
echo ok
