#!/usr/bin/env bash
# The translation model ([mmu] model = on, cpu/xlate.c) delivers the faults
# its walker finds with the architectures' syndromes (firmware/*/mmu_fault.c).
# Expected values assembled by hand from the specs, not from hvsim:
#  - Arm ARM D19.2.45 ESR_EL1: EC [31:26] (0x25 data abort, 0x21 instruction
#    abort, same EL), IL [25], WnR [6], DFSC/IFSC [5:0]: 0b0001LL translation
#    fault level LL, 0b0011LL permission fault; FAR_EL1 = the faulting
#    address itself (not its page: Unicorn reports only pages).  A walk
#    disabled by TCR_EL1.EPD1 is a level-0 translation fault.
#  - Intel SDM Vol. 3A 4.7 #PF error code: P [0] (0 not present), W/R [1],
#    U/S [2], RSVD [3], I/D [4] (with NXE); CR2 = the linear address.  Bit 45
#    of a PTE is reserved with MAXPHYADDR 39 (CPUID.80000008H on pc).
# Also: a mapping to another physical page, and remaps seen after TLBI VAE1IS
# (a 2 MiB block), TLBI VAALE1IS (a 4K page read in its last KiB, with the
# model on and off),
# INVLPG and a CR3 reload.  With Unicorn 2.0.1 the model is unavailable: the
# run stops before it starts (exit status 5) and says why.
. "$(dirname "$0")/lib.bash"
unicorn=$("$HVSIM" --version | awk '/^Unicorn / { split($2, v, "."); print v[1] "." v[2] }')
if [ "${unicorn%%.*}" = 2 ] && [ "${unicorn#*.}" -lt 1 ]; then
	run old 5 --set mmu.model=on "$FIRMWARE/arm64/mmu_fault.elf"
	grep -q "translation model needs Unicorn 2.1" "$T/old.err" || fail "no Unicorn 2.1 message: $(cat "$T/old.err")"
	expect_eq "lines on stderr" "$(wc -l < "$T/old.err")" 1
	exit 0
fi

# expect FILE NAME VALUES: the guest's line for NAME carries VALUES
expect() {
	local line
	line=$(grep -aF "mmu_fault: $2 " "$T/$1.out" || :)
	expect_eq "$1 $2" "${line#mmu_fault: $2 }" "$3"
}

run a64 0 --set mmu.model=on "$FIRMWARE/arm64/mmu_fault.elf"
expect a64 alias "before 0x1111 after 0x2222"
expect a64 page "before 0x3333 after 0x4444"
expect a64 retried "zva nonzero 0 faults 1, str+add 1 faults 1"
expect a64 load_hole "ESR_EL1=0x96000007 FAR_EL1=0x44003128"     # level-3 translation fault, read
expect a64 store_hole "ESR_EL1=0x96000047 FAR_EL1=0x44003230"    # the same with WnR
expect a64 store_ro "ESR_EL1=0x9600004f FAR_EL1=0x44004018"      # level-3 permission fault, write
expect a64 load_l2_hole "ESR_EL1=0x96000006 FAR_EL1=0x4c800040"  # level-2 translation fault
expect a64 load_ttbr1 "ESR_EL1=0x96000004 FAR_EL1=0xffff000000001008"
expect a64 exec_pxn "ESR_EL1=0x8600000f FAR_EL1=0x44005000"      # instruction abort, permission, level 3
grep -qF "mmu_fault: done" "$T/a64.out" || fail "arm64 guest did not finish"
# six aborts and two demand faults (the page the guest maps on its first
# access, twice); six TLBIs: the two remaps, LAZY unmapped and mapped twice
expect_eq "arm64 stage-1 faults" "$(j a64 "d['vcpus'][0]['xlate']['faults_stage1']")" 8
expect_eq "arm64 six TLBIs seen by both vCPUs (IS)" "$(j a64 "[v['xlate']['guest_invalidations'] for v in d['vcpus']]")" "[6, 6]"

# The model off: Unicorn's TLB is the guest's, filled through hvsim's walker;
# a TLBI must still drop every 1 KiB piece of the remapped 4K page.
run a64off 0 --set mmu.model=off "$FIRMWARE/arm64/mmu_fault.elf"
expect a64off alias "before 0x1111 after 0x2222"
expect a64off page "before 0x3333 after 0x4444"
expect a64off retried "zva nonzero 0 faults 1, str+add 1 faults 1"

run x86 0 --set mmu.model=on "$FIRMWARE/x86/mmu_fault.elf"
expect x86 alias "0x1111, after INVLPG 0x2222, after MOV CR3 0x1111"
expect x86 load_hole "error=0x0 CR2=0x4003128"
expect x86 store_hole "error=0x2 CR2=0x4003230"
expect x86 store_ro "error=0x3 CR2=0x4004018"       # present, write (CR0.WP)
expect x86 load_pd_hole "error=0x0 CR2=0xc800040"
expect x86 load_rsvd "error=0x9 CR2=0x4006010"      # present, reserved bit
expect x86 exec_xd "error=0x11 CR2=0x4005000"       # present, instruction fetch
grep -qF "mmu_fault: done" "$T/x86.out" || fail "x86 guest did not finish"
expect_eq "x86 stage-1 faults" "$(j x86 "d['vcpus'][0]['xlate']['faults_stage1']")" 6
# turning paging on (MOV to CR4 setting PAE, to CR3, to CR0 setting PG),
# INVLPG and the CR3 reload
expect_eq "x86 TLB maintenance" "$(j x86 "d['vcpus'][0]['xlate']['guest_invalidations']")" 5

# Shadow paging: the same faults and values; the exits the hypervisor takes
# follow the guests' code: ARM one TTBR0 write (mmu_on), six TLBIs, six
# stores into shadowed tables (the alias and page remaps, LAZY unmapped and
# mapped twice); x86 two MOV to CR3, one INVLPG,
# two stores into the alias's page directory.  Each guest page fault goes to
# the hypervisor first (6 of the hidden faults).
for a in arm64 x86; do
	run sh_$a 0 --set mmu.model=on --set mmu.stage2=shadow "$FIRMWARE/$a/mmu_fault.elf"
	diff <(grep -a "mmu_fault:" "$T/sh_$a.out") <(grep -a "mmu_fault:" "$T/${a/arm64/a64}.out") ||
		fail "$a: shadow paging changed what the guest saw"
done
expect_eq "arm64 shadow exits" "$(j sh_arm64 "[d['mmu']['shadow'][k] for k in ('switch_exits', 'invlpg_exits', 'pt_write_exits')]")" "[1, 6, 6]"
expect_eq "x86 shadow exits" "$(j sh_x86 "[d['mmu']['shadow'][k] for k in ('switch_exits', 'invlpg_exits', 'pt_write_exits')]")" "[2, 1, 2]"
expect_eq "x86 exits by reason" "$(j sh_x86 "[d['exits'][k] for k in ('CR_ACCESS', 'INVLPG')]")" "[2, 1]"
expect_eq "x86 #PF exits" "$(j sh_x86 "d['exits']['EXCEPTION_NMI'] - d['mmu']['shadow']['hidden_faults']")" 2

# Dirty logging ([dirty] mode, mmu/dirty.h): the guests write 600 pages once
# in round 1, three times in round 2 and not at all in round 3, and print the
# pages the hypervisor harvested at each marker (the x86 rounds also dirty
# one stack page: the probe calls).  Without dirty logging the marker is an
# unknown hypercall (SMCCC NOT_SUPPORTED -1; KVM -KVM_ENOSYS -1000).
expect a64 dirty "rounds -1 -1 -1"
expect x86 dirty "rounds -1000 -1000 -1000"
run wp_a64 0 --set mmu.model=on --set dirty.mode=wp "$FIRMWARE/arm64/mmu_fault.elf"
run dbm_a64 0 --set mmu.model=on --set dirty.mode=dbm "$FIRMWARE/arm64/mmu_fault.elf"
run wp_x86 0 --set mmu.model=on --set dirty.mode=wp "$FIRMWARE/x86/mmu_fault.elf"
run pml_x86 0 --set mmu.model=on --set dirty.mode=pml "$FIRMWARE/x86/mmu_fault.elf"
for r in wp_a64 dbm_a64; do expect $r dirty "rounds 600 600 0"; done
for r in wp_x86 pml_x86; do expect $r dirty "rounds 601 601 0"; done
# write protection: one exit per first write to a page in a round
for r in wp_a64 wp_x86; do expect_eq "$r exits = pages" "$(j $r "d['dirty']['exits'] - d['dirty']['pages']")" 0; done
# DBM: none; PML: one PML-full exit per 512 newly logged pages of a vCPU
# (the 513th), the log drained at every other exit: one in each of the
# rounds of 601 pages, with no other exit in them
expect_eq "dbm exits" "$(j dbm_a64 "d['dirty']['exits']")" 0
expect_eq "pml exits" "$(j pml_x86 "[d['dirty']['exits'], d['exits']['PML_FULL'], d['exits']['EPT_VIOLATION']]")" "[2, 2, 0]"
# rounds also end every mmu.dirty_round_cycles of vCPU 0 (checked at slice
# ends, 100k cycles apart): the 4 markers plus one per million cycles run
run timed_x86 0 --set mmu.model=on --set dirty.mode=wp --set mmu.dirty_round_cycles=1000000 "$FIRMWARE/x86/mmu_fault.elf"
expect_eq "timed rounds" "$(j timed_x86 "d['dirty']['rounds'] - d['vcpus'][0]['cycles'] // 1000000")" 4
run pml_a64 3 --set mmu.model=on --set dirty.mode=pml "$FIRMWARE/arm64/mmu_fault.elf"
grep -q "pml needs Intel VMX" "$T/pml_a64.err" || fail "PML accepted on the ARM machine"
run none_x86 3 --set mmu.model=on --set mmu.stage2=none --set dirty.mode=wp "$FIRMWARE/x86/mmu_fault.elf"
grep -q "needs the hypervisor's second stage" "$T/none_x86.err" || fail "dirty logging accepted without a stage 2"

# Without the model the ARM guest's stage-1 faults still reach it with the
# same syndromes: hvsim's walker translates for them (no cost, no stage 2).
run a64off 0 "$FIRMWARE/arm64/mmu_fault.elf"
for f in load_hole store_hole store_ro load_l2_hole load_ttbr1 exec_pxn; do
	expect_eq "model off: $f" "$(grep -aF "mmu_fault: $f " "$T/a64off.out")" "$(grep -aF "mmu_fault: $f " "$T/a64.out")"
done
