# A trace.dat with exits: bench/gen_tracedat.c writes raw ring-buffer pages
# of kvm_exit/kvm_entry/kvm_msr/kvm_pio/kvm_mmio in the layout of a 6.18
# host's format files (tests/data/tracefs) and `trace-cmd restore` wraps them.
# hvsim trace stat must count every exit by reason and vCPU as the generator
# wrote them and as trace-cmd's own report prints them; its field decoding
# must agree with its reading of that report's text (rarer forms included:
# failed entries, an unnamed reason, SVM, immediate exits); hvsim replay
# under x86-legacy gives one exit per kvm_exit.
. "$(dirname "$0")/lib.bash"
TOP=${TOP:-.}
command -v trace-cmd >/dev/null 2>&1 || { echo "SKIP: trace-cmd not installed"; exit 77; }
command -v "${CC:-cc}" >/dev/null 2>&1 || { echo "SKIP: no C compiler for bench/gen_tracedat.c"; exit 77; }
"${CC:-cc}" -std=gnu11 -O1 -o "$T/gen" "$TOP/bench/gen_tracedat.c" || fail "bench/gen_tracedat.c does not build"
N=3000
"$T/gen" "$TOP/tests/data/tracefs" "$T/t.dat" $N 3 >"$T/tally" 2>"$T/gen.err" || fail "gen_tracedat: $(cat "$T/gen.err")"
rc=0
"$HVSIM" trace stat --json "$T/t.dat" >"$T/o" 2>"$T/e" || rc=$?
if [ "$rc" = 3 ] && grep -q "without libtracecmd" "$T/e"; then
	echo "SKIP: hvsim built without libtracecmd"
	exit 77
fi
expect_eq "trace stat" "$rc" 0
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "${2:-$T/o}"; }
expect_eq "format, exits, malformed" "$(js 'd["format"], d["exits_total"], d["malformed"]["count"], d["lost"]')" \
	"trace.dat $N 0 0"
# by vCPU and reason, as "V NAME COUNT" lines sorted
by_vcpu() { js 'sorted("%s %s %d" % (v.split()[1], r, c) for v, rs in d["vcpus"].items() for r, c in rs.items())' "$1"; }
want=$(awk '$1 == "exits" { print $2, $3, $4 }' "$T/tally" | sort | tr '\n' ' ')
got=$(by_vcpu "$T/o" | python3 -c 'import ast,sys; print(" ".join(ast.literal_eval(sys.stdin.read())) + " ")')
expect_eq "exits by vCPU and reason (generator)" "$got" "$want"
# trace-cmd's own reading of the file
tc=$(trace-cmd report -N -i "$T/t.dat" 2>/dev/null |
	awk '$0 ~ / kvm_exit: / { sub(/.* kvm_exit: +vcpu /, ""); split($0, a, " "); print a[1], a[3], "x" }' |
	sort | uniq -c | awk '{ print $2, $3, $1 }' | tr '\n' ' ')
expect_eq "exits by vCPU and reason (trace-cmd report)" "$got" "$tc"
expect_eq "records" "$(js 'd["events"]')" "$(awk '$1 == "records" { print $2 }' "$T/tally")"

# one exit per kvm_exit under x86-legacy
"$HVSIM" replay --json --design designs/x86-legacy.ini "$T/t.dat" >"$T/r" 2>"$T/e" || fail "replay: $(cat "$T/e")"
expect_eq "replay" "$(js 'd["kvm_exit_lines"], d["malformed"], d["designs"][0]["total"]["exits_total"]' "$T/r")" "$N 0 $N"

# rarer forms: fields decoded directly == the text of the same records
"$T/gen" "$TOP/tests/data/tracefs" "$T/odd.dat" 1000 2 odd >"$T/tally" 2>"$T/gen.err" || fail "gen_tracedat odd"
expect_eq "odd forms written" "$(awk '$1 == "odd" { print $2 }' "$T/tally")" 15
"$HVSIM" trace stat --json "$T/odd.dat" >"$T/o" || fail "trace stat odd.dat"
trace-cmd report -N -i "$T/odd.dat" 2>/dev/null | "$HVSIM" trace stat --json - >"$T/o2" || fail "trace stat of the report"
for k in exits vcpus events_by_kind; do
	expect_eq "odd: $k (trace.dat vs its report)" "$(js "d['$k']")" "$(js "d['$k']" "$T/o2")"
done
expect_eq "odd forms read" "$(js 'd["exits"]["msr"], d["exits"]["unknown 0x23"], d["unknown"]["count"]')" "5 5 5"
for d in x86-legacy x86-apicv-pi; do
	"$HVSIM" replay --json --design designs/$d.ini "$T/odd.dat" >"$T/r1" || fail "replay odd.dat $d"
	trace-cmd report -N -i "$T/odd.dat" 2>/dev/null | "$HVSIM" replay --json --design designs/$d.ini - >"$T/r2" ||
		fail "replay of the report $d"
	expect_eq "odd: replay exits under $d" "$(js 'd["designs"][0]["total"]["exits"]' "$T/r1")" \
		"$(js 'd["designs"][0]["total"]["exits"]' "$T/r2")"
done
echo "PASS"
