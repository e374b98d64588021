#!/usr/bin/env bash
# The passed-through MSI device's interrupts (firmware/x86/devirq.c): 3 INTx
# through the I/O APIC, 3 compatibility MSIs, 5 MSIs remapped by the guest's
# VT-d unit (one of them from the stale IEC entry), 5 at the device's rate
# to a halted vCPU, 5 to a running one, 3 blocked by remapping faults the
# guest reads back (0x21 index, 0x22 not present, 0x25 compatibility format
# blocked; each raises the unit's fault event), and a last remapped one.
# Under the legacy design every MSI is a host interrupt whose handler
# injects it (a kick exit for the running vCPU, a wake-up for the halted
# one); with posted interrupts the host IOMMU posts them and the running
# vCPU takes them with no exit.  A model that always exits, or never posts,
# fails.  --max-cycles: one that never delivers stops instead of idling.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/devirq.elf"
rid=$(printf '0x%x' "$(design x86 msidev requester_id)")
guest_ok() {
	grep -qF "devirq: PASS" "$T/$1.out" || fail "$1: guest did not pass"
	# the fault recording register as the guest read it: reason, source-id, interrupt index
	for f in "0x21: FSTS 0x2, FRCD reason 0x21 sid $rid index 100" "0x22: FSTS 0x2, FRCD reason 0x22 sid $rid index 3" \
		"0x25: FSTS 0x2, FRCD reason 0x25 sid $rid index 0"; do
		grep -qF "devirq: fault $f" "$T/$1.out" || fail "$1: no 'fault $f'"
	done
	expect_eq "$1: INTx" "$(j "$1" "d['msidev']['interrupts']['intx']")" 3
	expect_eq "$1: blocked" "$(j "$1" "d['msidev']['interrupts']['blocked']")" 3
	expect_eq "$1: guest compat" "$(j "$1" "d['iommu']['guest']['compat']")" 3
	expect_eq "$1: guest remapped" "$(j "$1" "d['iommu']['guest']['remapped']")" 16
	expect_eq "$1: faults" "$(j "$1" "[d['iommu']['guest']['faults'][k] for k in ('index', 'not_present', 'compat')]")" "[1, 1, 1]"
	expect_eq "$1: dropped" "$(j "$1" "d['msidev']['interrupts']['dropped'] + d['msidev']['guest_errors']")" 0
	# 3 + 3 + 5 + 5 + 5 + 1 device interrupts and 3 fault events: the vCPU
	# halted for all but the running 5, and resumed once for each (found
	# by KVM's halt polling, or woken)
	expect_eq "$1: resumes from HLT" "$(j "$1" "d['platform']['vcpu_wakeups'] + d['kvm']['halt_successful_poll']")" 20
}

run legacy 0 --max-cycles 200000000 --design "$TOP/designs/x86-legacy.ini" "$fw"
guest_ok legacy
expect_eq "legacy: host interrupts" "$(j legacy "d['msidev']['interrupts']['host_irq']")" 19
expect_eq "legacy: posted" "$(j legacy "d['msidev']['interrupts']['posted'] + d['iommu']['host']['posted']")" 0
expect_eq "legacy: injected" "$(j legacy "d['lapic']['delivered']['injected']")" 25
expect_eq "legacy: EXTERNAL_INTERRUPT" "$(j legacy "d['exits']['EXTERNAL_INTERRUPT']")" 5
expect_eq "legacy: kick exits" "$(j legacy "d['platform']['irq_exits']['kick']")" 5
# one host IRTE per queue (0, 1, 2), remapped to a host vector: written once, then IEC hits
expect_eq "legacy: host IRTE writes" "$(j legacy "d['iommu']['host']['irte_writes']")" 3
expect_eq "legacy: IEC" "$(j legacy "[d['iommu']['host'][k] for k in ('iec_hits', 'iec_misses')]")" "[16, 3]"

run posted 0 --max-cycles 200000000 --design "$TOP/designs/x86-apicv-pi.ini" "$fw"
guest_ok posted
expect_eq "posted: posted by the IOMMU" "$(j posted "d['iommu']['host']['posted']")" 19
expect_eq "posted: host interrupts" "$(j posted "d['msidev']['interrupts']['host_irq']")" 0
expect_eq "posted: EXTERNAL_INTERRUPT" "$(j posted "d['exits']['EXTERNAL_INTERRUPT']")" 0
expect_eq "posted: to the running vCPU" "$(j posted "d['lapic']['delivered']['posted']")" 5
# posted IRTEs hold the guest vector: V_COMPAT, V_REMAP, V_REMAP2 on queue 0, then queues 1 and 2
expect_eq "posted: host IRTE writes" "$(j posted "d['iommu']['host']['irte_writes']")" 5
# Without halt polling every wake-up blocks, so each takes the same path
# and the same time: a device event fired late (at the next quantum's
# start, not when due) would spread them.
run nopoll 0 --max-cycles 200000000 --design "$TOP/designs/x86-apicv-pi.ini" --set kvm.halt_poll_ns=0 "$fw"
expect_eq "no polling: wake-ups" "$(j nopoll "d['platform']['vcpu_wakeups']")" 20
expect_eq "no polling: wake-up latency spread" \
	"$(j nopoll "d['lapic']['delivery_latency']['wakeup']['max'] - d['lapic']['delivery_latency']['wakeup']['min']")" 0

# the host without interrupt remapping: compatibility MSIs to a host vector,
# never posted by the IOMMU; KVM's irqfd then posts them (no exit either)
run noir 0 --max-cycles 200000000 --design "$TOP/designs/x86-apicv-pi.ini" --set iommu.ir=false "$fw"
guest_ok noir
expect_eq "no IR: host compat" "$(j noir "d['iommu']['host']['compat']")" 19
expect_eq "no IR: IOMMU-posted" "$(j noir "d['iommu']['host']['posted']")" 0
expect_eq "no IR: host interrupts" "$(j noir "d['msidev']['interrupts']['host_irq']")" 19
expect_eq "no IR: EXTERNAL_INTERRUPT" "$(j noir "d['exits']['EXTERNAL_INTERRUPT']")" 0

# no host IEC: every IRTE from memory
run noiec 0 --max-cycles 200000000 --design "$TOP/designs/x86-legacy.ini" --set iommu.iec_entries=0 "$fw"
expect_eq "no IEC" "$(j noiec "[d['iommu']['host'][k] for k in ('iec_hits', 'iec_misses')]")" "[0, 19]"

# a vIOMMU that forgets its IRTEs at once: the changed IRTE takes effect
# without invalidation, which the guest checks it does not (exit 63)
run noguestiec 63 --max-cycles 200000000 --set iommu.guest_iec_entries=0 "$fw"
# no vIOMMU: the guest finds no remapping unit (exit 59), after the INTx and compatibility phases
run novtd 59 --max-cycles 200000000 --set iommu.present=false "$fw"
grep -qF "devirq: compatibility MSI: 3 interrupts" "$T/novtd.out" || fail "novtd: compatibility phase"
echo ok
