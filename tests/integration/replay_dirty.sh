# Replay of dirty logging (docs/architecture.md "Replay"): a live-migration
# trace taken with write protection (firmware/*/dirty.elf under
# designs/dirty-wp.ini, exported with --trace-out: each first write to a page
# in a round is an EPT violation / stage-2 permission fault, with the
# kvm_page_fault + fast_page_fault or kvm_guest_fault + kvm_dirty_ring_push
# that KVM traces for it) replayed under PML (x86) and DBM (arm64) against
# firmware runs under those designs; a PML trace replayed under WP; the
# PML log's 512 entries (SDM Vol. 3C 29.3.6) on hand-written lines in the
# kernel's formats; undecidable faults counted.
. "$(dirname "$0")/lib.bash"
DS=${TOP:-.}/designs
WP=$DS/dirty-wp.ini PML=$DS/dirty-pml.ini DBM=$DS/dirty-dbm.ini

rp() { local rc=0; "$HVSIM" replay --stats "$T/$1.json" --stats-format json "${@:2}" >"$T/$1.out" 2>"$T/$1.err" || rc=$?; echo $rc; }
exits='d["exits_total"], sorted((k, v) for k, v in d["exits"].items() if v)'

# The firmware runs need the translation model ([mmu] model = on: Unicorn
# 2.1 or newer; with 2.0.1 only the hand-written lines below are replayed).
firmware_checks() {
	# round trips: the trace under its own design gives the run's exits and cycles
	for a in x86 arm64; do
		run wp-$a 0 --design "$WP" --trace-out "$T/wp-$a.trace" "$FIRMWARE/$a/dirty.elf"
		expect_eq "wp-$a: replay status" "$(rp wp-$a.rp --design "$WP" "$T/wp-$a.trace")" 0
		expect_eq "wp-$a: round trip" "$(j wp-$a.rp "$exits, d[\"cycles\"]")" "$(j wp-$a "$exits, d[\"cycles\"]")"
		expect_eq "wp-$a: nothing undecidable" "$(j wp-$a.rp 'd["undecidable"], d.get("removed", {})')" "0 {}"
	done
	run pml-x86 0 --design "$PML" --trace-out "$T/pml-x86.trace" "$FIRMWARE/x86/dirty.elf"
	expect_eq "pml-x86: replay status" "$(rp pml-x86.rp --design "$PML" "$T/pml-x86.trace")" 0
	expect_eq "pml-x86: round trip" "$(j pml-x86.rp "$exits, d[\"cycles\"]")" "$(j pml-x86 "$exits, d[\"cycles\"]")"

	# The WP trace under the other design vs the firmware run under it: exits by
	# reason exactly; cycles within TOL (x86 PML exact; arm64 DBM 0.1%: the
	# replay keeps the WP run's guest time, whose translation charges for the
	# pages' first writes differ from the DBM run's by a few cycles per round).
	whatif() {
		local name=$1 a=$2 design=$3 tol=$4
		run "$name" 0 --design "$design" "$FIRMWARE/$a/dirty.elf"
		expect_eq "$name: replay status" "$(rp "$name.rp" --design "$design" "$T/wp-$a.trace")" 0
		expect_eq "$name: exits" "$(j "$name.rp" "$exits")" "$(j "$name" "$exits")"
		local c r
		c=$(j "$name" 'd["cycles"]')
		r=$(j "$name.rp" 'd["cycles"]')
		expect_eq "$name: cycles $r vs the run's $c within $tol" "$(python3 -c "print(abs($r - $c) <= $tol * $c)")" True
	}
	whatif pml-of-wp x86 "$PML" 0
	whatif dbm-of-wp arm64 "$DBM" 0.001
	# every write-protection fault removed, and the PML-full exits the run took
	# added: the WP run's faults less the guest's other exits' (both published
	# by the runs, not by the replay)
	expect_eq "pml-of-wp removed" "$(j pml-of-wp.rp 'd["removed"]')" "$(j wp-x86 '{"EPT_VIOLATION": d["exits"]["EPT_VIOLATION"]}')"
	expect_eq "pml-of-wp added" "$(j pml-of-wp.rp 'd["added"]')" "$(j pml-of-wp '{"PML_FULL": d["exits"]["PML_FULL"]}')"
	expect_eq "pml-of-wp PML-full exits" "$(j pml-of-wp 'd["exits"]["PML_FULL"] > 0')" "True"
	expect_eq "dbm-of-wp removed" "$(j dbm-of-wp.rp 'd["removed"]')" \
		"{'DABT_LOW': $(( $(j wp-arm64 'd["exits"]["DABT_LOW"]') - $(j dbm-of-wp 'd["exits"]["DABT_LOW"]') ))}"

	# Back: the PML trace under WP.  Each PML_FULL is a full log, 512 writes
	# that each set an EPT dirty flag (SDM 29.3.6), so 512 write-protection
	# faults; the entries KVM drained at the vCPU's other exits are in no
	# event: a lower bound of the WP run's faults.
	expect_eq "wp-of-pml: replay status" "$(rp wp-of-pml --design "$WP" "$T/pml-x86.trace")" 0
	expect_eq "wp-of-pml" "$(j wp-of-pml 'd["removed"], d["added"]')" \
		"$(j pml-x86 '{"PML_FULL": d["exits"]["PML_FULL"]}') $(j pml-x86 '{"EPT_VIOLATION": 512 * d["exits"]["PML_FULL"]}')"
	expect_eq "wp-of-pml: a lower bound" "$(j wp-of-pml 'd["exits"]["EPT_VIOLATION"] <= '"$(j wp-x86 'd["exits"]["EPT_VIOLATION"]')")" "True"
}
unicorn=$("$HVSIM" --version | awk '/^Unicorn / { split($2, v, "."); print v[1] "." v[2] }')
if [ "${unicorn%%.*}" -gt 2 ] || [ "${unicorn#*.}" -ge 1 ]; then firmware_checks; fi

# The log on hand-written lines (the kernel's formats): N write-protection
# faults in a row on one vCPU, under PML: the 513th logging attempt finds
# the log full (one PML_FULL per 512 entries after the first); an exit in
# between drains the log (KVM, at every exit).
faults() {  # faults FIRST N: N faults on pages FIRST.., 2000 cycles apart
	awk -v first="$1" -v n="$2" 'BEGIN {
		for (p = first; p < first + n; p++) {
			ts = p * 2000; gpa = p * 4096
			printf " qemu-1 [001] d.... %d: kvm_exit: vcpu 0 reason EPT_VIOLATION rip 0x401000 info1 0x00000000000001aa info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000\n", ts
			printf " qemu-1 [001] ..... %d: kvm_page_fault: vcpu 0 rip 0x401000 address 0x%016x error_code 0x1aa\n", ts, gpa
			printf " qemu-1 [001] ..... %d: fast_page_fault: vcpu 0 gva %x error_code P|W sptep 00000000c0ffee00 old 0x6000000%06x975 new 6000000%06x977 spurious 0 fixed 1\n", ts, gpa, p, p
			printf " qemu-1 [001] d.... %d: kvm_entry: vcpu 0, rip 0x401000\n", ts + 1500
		}
	}'
}
cpuid() { printf ' qemu-1 [001] d.... %d: kvm_exit: vcpu 0 reason CPUID rip 0x401000 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000\n qemu-1 [001] d.... %d: kvm_entry: vcpu 0, rip 0x401002\n' "$1" "$(($1 + 900))"; }
pmlfull() {  # pmlfull NAME: PML_FULL exits added replaying $T/NAME.trace under PML
	expect_eq "$1: replay status" "$(rp "$1" --design "$PML" "$T/$1.trace")" 0
	j "$1" 'd.get("added", {}).get("PML_FULL", 0)'
}
faults 1 512 >"$T/f512.trace"
faults 1 513 >"$T/f513.trace"
faults 1 1025 >"$T/f1025.trace"
{ faults 1 300; cpuid 700000; faults 400 300; } >"$T/drain.trace"
expect_eq "512 faults: the log just full" "$(pmlfull f512)" 0
expect_eq "513 faults: one PML_FULL" "$(pmlfull f513)" 1
expect_eq "1025 faults: two" "$(pmlfull f1025)" 2
expect_eq "600 faults around an exit: drained" "$(pmlfull drain)" 0
expect_eq "513 faults under WP: all kept" "$(rp f513.wp --design "$WP" "$T/f513.trace") $(j f513.wp 'd["exits"]["EPT_VIOLATION"], d["undecidable"]')" "0 513 0"

# What the trace cannot tell: without fast_page_fault, a write to a read-only
# page may be dirty logging's or a page the host maps read-only: counted
# undecidable under PML (kept), decided under WP (it exits either way).
grep -v fast_page_fault "$T/f513.trace" >"$T/bare.trace"
expect_eq "bare: replay status" "$(rp bare --design "$PML" "$T/bare.trace")" 0
expect_eq "bare under PML" "$(j bare 'd["undecidable"], d["exits"]["EPT_VIOLATION"], d.get("removed", {})')" "513 513 {}"
expect_eq "bare under WP" "$(rp bare.wp --design "$WP" "$T/bare.trace") $(j bare.wp 'd["undecidable"]')" "0 0"
exit 0
