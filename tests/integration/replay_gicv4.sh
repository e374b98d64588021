#!/usr/bin/env bash
# Replay under GICv4 / GICv4.1 of traces exported from firmware runs, against
# firmware runs under those designs (docs/architecture.md "Replay", "Round
# trip and tolerance").  The counts are the guests' (firmware/arm64/vlpi.c:
# 8 MSIs while CPU 0 runs, 4 while it waits in WFI, 8 SGIs to CPU 1 waiting
# in WFI; 13 blocking WFIs in all, CPU 1's last one never woken): a replay
# that never makes the vPE non-resident at a blocking WFI, keeps it resident
# at a device MSI during the wait, or counts a doorbell as an exit gets them
# wrong.
. "$(dirname "$0")/lib.bash"
vlpi="$FIRMWARE/arm64/vlpi.elf"
ipi="$FIRMWARE/arm64/ipi.elf"
V3=${TOP:-.}/designs/arm-gicv3.ini V4=${TOP:-.}/designs/arm-gicv4.ini V41=${TOP:-.}/designs/arm-gicv41.ini
Q1K=(--set sim.quantum_cycles=1000)   # as replay.sh: vlpi's vCPUs wait for each other through memory
rp() { local rc=0; "$HVSIM" replay --stats "$T/$1.json" "${@:2}" >"$T/$1.out" 2>"$T/$1.err" || rc=$?; echo $rc; }
ex='d["exits_total"], sorted((k, v) for k, v in d["exits"].items() if v)'
ec='sorted((k, v) for k, v in d["exit_cycles"].items() if v)'
# within NAME RUN TOL: replay NAME's cycles within TOL of firmware run RUN's
within() {
	local rp run
	rp=$(j "$1" 'd["cycles"]') run=$(j "$2" 'd["cycles"]')
	[ "$(python3 -c "print(abs($rp - $run) <= $3 * $run)")" = True ] || fail "$1: cycles $rp vs the run's $run: beyond $3"
}

run v3 0 --trace-out "$T/v3.trace" --design "$V3" "${Q1K[@]}" "$vlpi"
# the 4 MSIs that woke CPU 0 from WFI: the VFIO handler before the WFx exit's kvm_entry
expect_eq "MSIs during a WFx exit" "$(grep -A3 'kvm_wfx_arm64: guest executed wfi' "$T/v3.trace" | grep -c 'name=vfio-msix')" 4

# GICv3 -> GICv4: 8 IRQ exits removed (direct vLPIs), 4 doorbells added (not
# exits: hvsim run counts none), 2 residency changes at each blocking WFI
# but CPU 1's last (it never runs again: charged at the next exit)
run v4 0 --trace-out "$T/v4.trace" --design "$V4" "${Q1K[@]}" "$vlpi"
expect_eq "v3->v4 status" "$(rp a --design "$V4" "${Q1K[@]}" "$T/v3.trace")" 0
expect_eq "v3->v4 exits" "$(j a "$ex")" "$(j v4 "$ex")"
expect_eq "v3->v4 exit cycles" "$(j a "$ec")" "$(j v4 "$ec")"
expect_eq "v3->v4 removed, added" "$(j a 'd["removed"], d["added"], d["undecidable"]')" "{'IRQ': 8} {'doorbell': 4} 0"
expect_eq "doorbells as the run's" "$(j a 'd["added"]["doorbell"]')" "$(j v4 "d['gic']['v4']['its']['doorbells']")"
expect_eq "v3->v4 residency changes" "$(j a 'd["gic_v4_residency_changes"]')" 24
res=$(design arm64 gic residency_cycles) db=$(design arm64 gic doorbell_cycles)
expect_eq "v3->v4 residency and doorbell cycles" "$(j a 'd["hyp_cycles"]')" $((24 * res + 4 * db))
# the text's guest time under GICv4: the residency and doorbell work is the
# host's, not the guest's (guest cycles are the trace's: same frequency)
expect_eq "v3->v4 guest time" "$(awk '/^  guest time/ { print $NF; exit }' "$T/a.out")" \
	"$(j a '"%.1f%%" % (100 * d["source"]["guest_cycles"] / (d["source"]["guest_cycles"] + d["exit_cycles_total"] + d["instead_cycles"] + d["hyp_cycles"]))')"
within a v4 0.02
grep -q "GICv4 outside exits: 24 vPE residency changes, $((24 * res + 4 * db)) cycles" "$T/a.out" || fail "text: GICv4 work"
# the round trip under GICv4: the export writes a blocking WFI's residency
# work inside its exit, as on a KVM host, so replay charges it once
expect_eq "v4 round trip status" "$(rp b --design "$V4" "${Q1K[@]}" "$T/v4.trace")" 0
expect_eq "v4 round trip" "$(j b "$ex, d['cycles']")" "$(j v4 "$ex, d['cycles']")"
expect_eq "v4 round trip: nothing added" "$(j b 'd.get("added"), d.get("removed"), d["undecidable"]')" "None None 0"
# ... and the GICv4 trace under GICv3: the residency work goes (exact for
# the exits; the direct vLPIs are not in a GICv4 trace, so they stay direct)
expect_eq "v4->v3 status" "$(rp c --design "$V3" "${Q1K[@]}" "$T/v4.trace")" 0
expect_eq "v4->v3 no residency" "$(j c 'd["gic_v4_residency_changes"], d["hyp_cycles"]')" "0 0"

# GICv4.1: the guest asks for vSGIs (nASSGIreq) after a probe of its own (3
# MMIO exits no GICv3 trace shows); the 8 ICC_SGI1R_EL1 writes still trap,
# undecidable on the vSGI side; the vLPIs as under GICv4
run v41 0 --trace-out "$T/v41.trace" --design "$V41" "${Q1K[@]}" "$vlpi"
expect_eq "v3->v4.1 status" "$(rp d --design "$V41" "${Q1K[@]}" "$T/v3.trace")" 0
expect_eq "v3->v4.1 exits" "$(j d 'd["exits_total"] + 3, d["exits"]["SYS64"], d["exits"]["IRQ"]')" \
	"$(j v41 'd["exits_total"], d["exits"]["SYS64"], d["exits"]["IRQ"]')"
expect_eq "v3->v4.1 SGIs undecidable" "$(j d 'd["undecidable"], d["added"], d["removed"]')" "8 {'doorbell': 4} {'IRQ': 8}"
within d v41 0.02
expect_eq "v4.1 round trip status" "$(rp e --design "$V41" "${Q1K[@]}" "$T/v41.trace")" 0
expect_eq "v4.1 round trip" "$(j e "$ex, d['cycles']")" "$(j v41 "$ex, d['cycles']")"

# ipi.elf (SGIs only, no nASSGIreq, vCPUs blocking in WFI): exits exactly,
# the residency work of every blocking WFI added; the 4.1 SGIs undecidable
run i3 0 --trace-out "$T/i3.trace" --design "$V3" "$ipi"
for d in 4 41; do
	eval "des=\$V$d"
	run i$d 0 --trace-out "$T/i$d.trace" --design "$des" "$ipi"
	expect_eq "ipi v3->v$d status" "$(rp ri$d --design "$des" "$T/i3.trace")" 0
	expect_eq "ipi v3->v$d exits" "$(j ri$d "$ex")" "$(j i$d "$ex")"
	within ri$d i$d 0.01
	expect_eq "ipi v$d round trip" "$(rp rt$d --design "$des" "$T/i$d.trace")" 0
	expect_eq "ipi v$d round trip counts" "$(j rt$d "$ex, d['cycles']")" "$(j i$d "$ex, d['cycles']")"
done
expect_eq "ipi SGIs under 4.1" "$(j ri41 'd["undecidable"], d["exits"]["SYS64"]')" "21 21"
expect_eq "ipi SGIs under 4.0" "$(j ri4 'd["undecidable"]')" 0
echo "PASS"
