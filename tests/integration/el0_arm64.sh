#!/usr/bin/env bash
# Exceptions taken from EL0 (AArch64) to EL1 and back (firmware/arm64/el0.c).
# Expected values assembled by hand from the Arm ARM, not from hvsim:
#  - D19.2.45 ESR_EL1: EC [31:26], IL [25]; EC 0x15 SVC64 (imm16 in ISS),
#    0x00 unknown reason (UDF, an EL1 register read at EL0; ISS 0), 0x20 /
#    0x24 instruction / data abort from a lower EL; WnR [6]; FSC [5:0]
#    0b0001LL translation, 0b0010LL access flag, 0b0011LL permission fault
#    at level LL, 0b010000 synchronous external abort (KVM's injected
#    abort for a fetch from an IPA with no memory), 0b100001 alignment fault
#    (a misaligned exclusive, at EL0 and at EL1).
#  - D1.10.2: ELR_EL1 = the faulting instruction for aborts and UNDEFINED;
#    SPSR_EL1 = the EL0t PSTATE (M[3:0] = 0, DAIF clear).
#  - FAR_EL1 = the faulting address itself.
# The kernel part checks SP_EL0/SP_EL1 banking, 1000 SVCs in a row and 40
# virtual-timer IRQs taken at EL0 (vector 0x480) in the guest (exit 2x).
# Part 2 (the guest's own tables) needs hvsim's walker: Unicorn 2.1.  With
# 2.0.1 the run stops at the first stage-1 fault (exit 5) and says why.
. "$(dirname "$0")/lib.bash"
unicorn=$("$HVSIM" --version | awk '/^Unicorn / { split($2, v, "."); print v[1] "." v[2] }')

# expect NAME VALUES: the guest's line for NAME carries VALUES
expect() {
	local line
	line=$(grep -aF "el0: $1 " "$T/a.out" || :)
	expect_eq "$1" "${line#el0: $1 }" "$2"
}
sym() { llvm-nm "$FIRMWARE/arm64/el0.elf" | awk -v s="$1" '$3 == s { print "0x" substr($1, match($1, /[1-9a-f]/)) }'; }

part1() {
	expect undef "ESR_EL1=0x02000000 FAR_EL1=0x0 ELR_EL1=$(sym u_undef) SPSR_EL1=0x0"
	expect undef "ESR_EL1=0x02000000 FAR_EL1=0x0 ELR_EL1=$(sym u_undef) SPSR_EL1=0x0"
	expect mrs_el1 "ESR_EL1=0x02000000 FAR_EL1=0x0 ELR_EL1=$(sym u_mrs) SPSR_EL1=0x0"
	expect fetch_gap "ESR_EL1=0x82000010 FAR_EL1=0x1000 ELR_EL1=0x1000 SPSR_EL1=0x0"
	# exclusives need alignment (B2.5.2): DFSC 0b100001, FAR = the address
	local stack; stack=$(sym user_stack)
	expect ldxr_unaligned "ESR_EL1=0x92000021 FAR_EL1=$(printf 0x%x $((stack + 4))) ELR_EL1=$(sym u_ldxr) SPSR_EL1=0x0"
	local l; l=$(grep -aF "el0: ldaxr_unaligned_el1 " "$T/a.out" || :)
	expect_eq "EL1 alignment fault" "${l%% ELR_EL1=*}" "el0: ldaxr_unaligned_el1 ESR_EL1=0x96000021 FAR_EL1=$(printf 0x%x $((stack + 2)))"
	grep -qaE "^el0: svcs [0-9]+ irqs 40 \(svcs made while waiting: yes\)" "$T/a.out" || fail "IRQ line: $(grep -a 'el0: svcs' "$T/a.out")"
	# Virtual SErrors (D1.3.4): EC 0x2F, IL, ISS = VSESR_EL2.  At EL1 taken
	# once PSTATE.A clears (SPSR: EL1h, A clear, D/I/F set; vector 7); at
	# EL0 before its first instruction (ELR = u_add; vector 11).
	l=$(grep -aF "el0: serror_el1 " "$T/a.out" || :)
	expect_eq "SError at EL1" "${l%% FAR_EL1=*}" "el0: serror_el1 ESR_EL1=0xbf000042"
	expect_eq "SError at EL1: SPSR_EL1 M and DAIF" "$(( ${l##*SPSR_EL1=} & 0x3cf ))" $((0x2c5))
	l=$(grep -aF "el0: serror_el0 " "$T/a.out" || :)
	expect_eq "SError from EL0" "${l%% FAR_EL1=*} ${l##* ELR_EL1=}" "el0: serror_el0 ESR_EL1=0xbe000000 $(sym u_add) SPSR_EL1=0x0"
	expect "serror" "vectors 7 11 (2 taken)"
	grep -qaF "el0: part 1 done" "$T/a.out" || fail "part 1 did not finish"
	if grep -aF "FAIL" "$T/a.out"; then fail "the guest found a failure"; fi
}

if [ "${unicorn%%.*}" = 2 ] && [ "${unicorn#*.}" -lt 1 ]; then
	run a 5 "$FIRMWARE/arm64/el0.elf"
	part1
	grep -q "stage-1 faults to the guest needs Unicorn 2.1" "$T/a.err" || fail "no Unicorn 2.1 message: $(cat "$T/a.err")"
	exit 0
fi
run a 0 "$FIRMWARE/arm64/el0.elf"
part1
# u_load's LDR (its first instruction) and u_store's STR (after the MOV of
# the value)
expect load_hole "ESR_EL1=0x92000007 FAR_EL1=0x44001048 ELR_EL1=$(sym u_load) SPSR_EL1=0x0"
expect store_ro "ESR_EL1=0x9200004f FAR_EL1=0x44002020 ELR_EL1=$(printf 0x%x $(($(sym u_store) + 4))) SPSR_EL1=0x0"
expect load_noaf "ESR_EL1=0x9200000b FAR_EL1=0x44003010 ELR_EL1=$(sym u_load) SPSR_EL1=0x0"
expect load_el1_only "ESR_EL1=0x9200000f FAR_EL1=0x44004008 ELR_EL1=$(sym u_load) SPSR_EL1=0x0"
expect exec_uxn "ESR_EL1=0x8200000f FAR_EL1=0x44005000 ELR_EL1=0x44005000 SPSR_EL1=0x0"
expect exec_hole "ESR_EL1=0x82000007 FAR_EL1=0x44006010 ELR_EL1=0x44006010 SPSR_EL1=0x0"
grep -qaF "el0: done" "$T/a.out" || fail "part 2 did not finish"
# The same with the translation model on (costs charged, stage 2 nested)
run on 0 --set mmu.model=on "$FIRMWARE/arm64/el0.elf"
expect_eq "model on: same syndromes" "$(grep -a 'ESR_EL1' "$T/on.out")" "$(grep -a 'ESR_EL1' "$T/a.out")"
