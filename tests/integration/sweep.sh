#!/bin/bash
# hvsim sweep: the same results at -j 1 and -j 2 and under mpirun; a killed
# sweep resumes without losing or repeating points; shards join to the whole
# sweep; malformed sweep files name file, line and key.
. "$(dirname "$0")/lib.bash"
fw=$(cd "$FIRMWARE" && pwd)

cat >"$T/s.ini" <<INI
[sweep]
name = s

[workload hello-a64]
elf = $fw/arm64/hello.elf

[workload exits-x86]
elf = $fw/x86/exits.elf
status = 33

[design base]

[design nospte]
arch = x86
set = vmx.mmio_spte_cache=false

[axis quantum]
key = sim.quantum_cycles
values = 20000 100000
INI
# 2 arm64 points (base only) + 4 x86 points
n=$("$HVSIM" sweep --list "$T/s.ini" | wc -l)
expect_eq "points" "$n" 6

# Results without wall_s (the one field that differs between runs).
strip() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l); d.pop("wall_s"); print(json.dumps(d, sort_keys=True))' "$1"; }

"$HVSIM" sweep -j 1 --no-progress -o "$T/j1.jsonl" "$T/s.ini" || fail "sweep -j 1"
"$HVSIM" sweep -j 2 --no-progress -o "$T/j2.jsonl" "$T/s.ini" || fail "sweep -j 2"
expect_eq "results lines" "$(wc -l <"$T/j1.jsonl")" 6
cmp -s <(strip "$T/j1.jsonl") <(strip "$T/j2.jsonl") || fail "-j 1 and -j 2 give different results"
[ -f "$T/j1.csv" ] || fail "no CSV view beside the results"
expect_eq "CSV rows" "$(wc -l <"$T/j1.csv")" 7
# What the design changes, a wrong sweep would lose: the EPT-misconfig
# exits of the MMIO SPTE cache exist in base and not in nospte.
b=$(python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
print(*[x["stats"]["exits"]["EPT_MISCONFIG"] for x in r if x["workload"] == "exits-x86"])' "$T/j1.jsonl")
set -- $b
[ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ "$3" = 0 ] && [ "$4" = 0 ] || fail "EPT_MISCONFIG by point: $b"

# Resume: points already in the file (and in a .partial left by a kill,
# whose last line was torn) are not run again.
head -n 2 "$T/j1.jsonl" >"$T/r.jsonl.partial"
line3=$(sed -n 3p "$T/j1.jsonl")   # not "sed | head -c": under pipefail sed may die of SIGPIPE
printf '%s' "${line3:0:100}" >>"$T/r.jsonl.partial"
"$HVSIM" sweep -j 2 --no-progress -o "$T/r.jsonl" "$T/s.ini" || fail "resumed sweep"
cmp -s <(head -n 2 "$T/j1.jsonl") <(head -n 2 "$T/r.jsonl") || fail "resumed sweep ran done points again"
cmp -s <(strip "$T/j1.jsonl") <(strip "$T/r.jsonl") || fail "resumed sweep differs from a whole one"
[ ! -e "$T/r.jsonl.partial" ] || fail ".partial left after a finished sweep"

# A real kill: the second run completes what the first did not.
"$HVSIM" sweep -j 1 --no-progress -o "$T/k.jsonl" "$T/s.ini" & pid=$!
for _ in $(seq 100); do [ -s "$T/k.jsonl.partial" ] && break; sleep 0.05; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null || true
"$HVSIM" sweep -j 2 --no-progress -o "$T/k.jsonl" "$T/s.ini" || fail "sweep after a kill"
cmp -s <(strip "$T/j1.jsonl") <(strip "$T/k.jsonl") || fail "sweep after a kill differs from a whole one"

# Shards: their union is the sweep.
"$HVSIM" sweep --shard 0/2 --no-progress -o "$T/sh0.jsonl" "$T/s.ini" || fail "shard 0/2"
"$HVSIM" sweep --shard 1/2 --no-progress -o "$T/sh1.jsonl" "$T/s.ini" || fail "shard 1/2"
expect_eq "shard 0 points" "$(wc -l <"$T/sh0.jsonl")" 3
"$HVSIM" sweep --merge -o "$T/m.jsonl" "$T/sh0.jsonl" "$T/sh1.jsonl" || fail "merge"
cmp -s <(strip "$T/j1.jsonl") <(strip "$T/m.jsonl") || fail "merged shards differ from the whole sweep"

# MPI: 2 ranks (a coordinator and a worker) give the same file.
if grep -q 'define HAVE_MPI 1' config.h 2>/dev/null && command -v mpirun >/dev/null; then
	mpirun --oversubscribe --allow-run-as-root -np 2 "$HVSIM" sweep --no-progress -o "$T/mpi.jsonl" "$T/s.ini" \
		>"$T/mpi.out" 2>&1 || { cat "$T/mpi.out" >&2; fail "mpirun sweep"; }
	cmp -s <(strip "$T/j1.jsonl") <(strip "$T/mpi.jsonl") || fail "mpirun -np 2 differs from a local sweep"
else
	echo "sweep: MPI part skipped (hvsim built without Open MPI, or no mpirun)"
fi

# A failed point is a result, not the end of the sweep.
cat >"$T/f.ini" <<INI
[workload hello]
elf = $fw/arm64/hello.elf
args = --max-insns 100
[design base]
INI
rc=0; "$HVSIM" sweep --no-progress -o "$T/f.jsonl" "$T/f.ini" 2>"$T/f.err" || rc=$?
expect_eq "sweep with a failed point: status" "$rc" 1
expect_eq "failed point" "$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["status"], d["exit_code"])' "$T/f.jsonl")" "failed 4"

# Malformed sweep files: file, line and key, exit 3.
bad() {  # bad NAME EXPECTED-MESSAGE-PART TEXT
	printf '%s\n' "$3" >"$T/$1.ini"
	rc=0; "$HVSIM" sweep --list "$T/$1.ini" >/dev/null 2>"$T/$1.err" || rc=$?
	expect_eq "$1: exit status" "$rc" 3
	grep -qF -- "$2" "$T/$1.err" || { cat "$T/$1.err" >&2; fail "$1: message lacks '$2'"; }
}
bad unknown "unknown.ini:2: unknown key 'sweep.jobs'" $'[sweep]\njobs = 4'
bad axis "axis.ini:3: axis q: range '10 1 *2' does not go from FROM up to TO" $'[axis q]\nkey = sim.quantum_cycles\nrange = 10 1 *2'
bad zip "zip.ini:9: axis b: 1 values, but combine = zip needs as many as axis a (2)" \
	"$(printf '[sweep]\ncombine = zip\n[workload w]\nelf = %s\n[design d]\n[axis a]\nkey = sim.vcpus\nvalues = 1 2\n[axis b]\nkey = sim.ram_mb\nvalues = 64\n' "$fw/arm64/hello.elf")"
bad noelf "noelf.ini:1: workload w: no 'elf'" $'[workload w]\n[design d]'
bad badset "badset.ini: design d with workload w: --set sim.nokey" \
	"$(printf '[workload w]\nelf = %s\n[design d]\nset = sim.nokey=1\n' "$fw/arm64/hello.elf")"
echo "sweep: ok"
