#!/bin/sh
# make bench, part: sweep throughput.  A sweep of short runs (48 points of
# firmware/arm64/hello.elf, a quantum axis) at -j 1 and -j 2; prints points
# per second and the speed-up (goal: at least 1.8x on 2 cores, so the
# per-point overhead of hvsim sweep must be small).  Never fails on speed.
set -eu
HVSIM=${HVSIM:-./hvsim}
case $HVSIM in /*) ;; */*) HVSIM=$PWD/$HVSIM ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-bench-sweep.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/s.ini" <<INI
[workload hello]
elf = $top/firmware/arm64/hello.elf
[design base]
[axis quantum]
key = sim.quantum_cycles
range = 5000 240000 +5000
INI
now() { date +%s.%N; }
echo "== sweep throughput ($(nproc) online CPUs; best of 3)"
printf '%-6s %8s %10s %10s\n' jobs points seconds points/s
for j in 1 2; do
	best=
	for _ in 1 2 3; do
		rm -f "$TMP"/r.*
		t0=$(now)
		"$HVSIM" sweep -j $j --no-progress -o "$TMP/r.jsonl" "$TMP/s.ini" >/dev/null
		t1=$(now)
		best=$(python3 -c "t = $t1 - $t0; b = '$best'; print(min(t, float(b)) if b else t)")
	done
	n=$(wc -l <"$TMP/r.jsonl")
	python3 -c "print('%-6s %8d %10.2f %10.1f' % ('$j', $n, $best, $n / $best))"
	eval "t_$j=$best"
done
python3 -c "s = $t_1 / $t_2; print('speed-up -j 2 over -j 1: %.2fx (goal >= 1.8x)%s' % (s, '' if s >= 1.8 else '  BELOW GOAL'))"
