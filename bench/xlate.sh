#!/bin/sh
# make bench, part: firmware speed with the translation model on and off.
# For each architecture and bench guest (compute, load/store, branchy,
# exit-heavy), the median of 3 runs with [mmu] model = off (Unicorn
# translates) and = on (every Unicorn TLB fill walks the guest's stage 1 and
# the hypervisor's stage 2 in mmu/, tlb_sync = evict): guest MIPS (guest
# instructions / host wall seconds) and the slowdown.  Needs Unicorn 2.1;
# never fails on speed.
set -eu
HVSIM=${HVSIM:-./hvsim}
case $HVSIM in /*) ;; */*) HVSIM=$PWD/$HVSIM ;; esac
cd "$(dirname "$0")/.."
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-bench-xlate.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "== firmware MIPS with the translation model off and on"
if ! "$HVSIM" run -q --set mmu.model=on --max-insns 1 firmware/arm64/bench_alu.elf >/dev/null 2>"$TMP/err" &&
   grep -q "Unicorn 2.1" "$TMP/err"; then
	echo "   skipped: $(cat "$TMP/err")"
	exit 0
fi
# run ARCH GUEST MODEL: prints "MIPS" (median of 3 by wall time)
run() {
	for i in 1 2 3; do
		python3 - "$HVSIM" "$1" "$2" "$3" "$TMP/s.json" <<'PY'
import json, subprocess, sys, time
hv, arch, guest, model, stats = sys.argv[1:]
t = time.monotonic()
subprocess.run([hv, "run", "-q", "--set", "mmu.model=" + model, "--stats", stats, "--stats-format", "json",
                "firmware/%s/%s.elf" % (arch, guest)], check=True, stdout=subprocess.DEVNULL)
t = time.monotonic() - t
print("%.1f" % (json.load(open(stats))["guest_instructions"] / t / 1e6))
PY
	done | sort -n | sed -n 2p
}
printf '%-6s %-14s %10s %10s %9s\n' arch guest "MIPS off" "MIPS on" "on/off"
for arch in arm64 x86; do
	for g in bench_alu bench_mem bench_branch bench_exit; do
		off=$(run $arch $g off)
		on=$(run $arch $g on)
		python3 -c "print('%-6s %-14s %10s %10s %8.2fx' % ('$arch', '$g', '$off', '$on', $on / $off))"
	done
done
