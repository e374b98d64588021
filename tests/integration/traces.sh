# hvsim trace stat: every text format from the samples in tests/data/traces,
# standard input, --strict, --format, bad usage, and the reference trace.dat
# (tests/data/traces/pvm_emul_boot_smp2_io) when hvsim has libtracecmd.
. "$(dirname "$0")/lib.bash"
D=${TOP:-.}/tests/data/traces
st() { local rc=0; "$HVSIM" trace stat "$@" >"$T/o" 2>"$T/e" || rc=$?; echo $rc; }
js() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$T/o"; }

expect_eq "x86 kernel form" "$(st --json "$D/x86_kernel.txt")" 0
expect_eq "x86 format" "$(js 'd["format"]')" ftrace
expect_eq "x86 exits" "$(js 'd["exits_total"], d["exits"]["EXCEPTION_NMI"], d["exits"]["MSR_WRITE"]')" "4 2 1"
expect_eq "x86 per vCPU" "$(js 'd["vcpus"]["vcpu 1"]["MSR_WRITE"], d["vcpus"]["vcpu 0"]["EXTERNAL_INTERRUPT"]')" "1 1"
expect_eq "x86 companions" "$(js 'd["events_by_kind"]["kvm_msr"], d["events_by_kind"]["kvm_entry"]')" "1 1"

expect_eq "trace-cmd report" "$(st --json "$D/x86_tracecmd.txt")" 0
expect_eq "trace-cmd kinds" "$(js 'd["exits"]["EPT_VIOLATION"], d["events_by_kind"]["kvm_page_fault"], d["events_by_kind"]["kvm_pio"], d["events_by_kind"]["kvm_apic_ipi"]')" "1 1 1 1"
expect_eq "trace-cmd others" "$(js 'd["other_events"]["kvm_inj_exception"], d["other_events"]["kvm_pic_set_irq"], d["malformed"]["count"]')" "1 1 0"

expect_eq "svm" "$(st --json "$D/svm.txt")" 0
expect_eq "svm names" "$(js 'd["exits"]["npf"], d["exits"]["msr"], d["exits"]["PF excp"], d["exits"]["avic_incomplete_ipi"]')" "1 1 1 1"
"$HVSIM" trace stat "$D/svm.txt" | grep "^exits: 6 (x86 SVM)" >/dev/null || fail "svm: not said to be SVM"

expect_eq "arm64" "$(st --json "$D/arm64.txt")" 0
expect_eq "arm64 exits" "$(js 'd["exits_total"], d["exits"]["TRAP DABT_LOW"], d["exits"]["IRQ"], d["exits"]["TRAP SYS64"]')" "5 1 1 1"
expect_eq "arm64 threads" "$(js 'sum(d["vcpus"]["thread 1200"].values()), sum(d["vcpus"]["thread 1201"].values())')" "2 3"

expect_eq "perf" "$(st --json "$D/perf.txt")" 0
expect_eq "perf format" "$(js 'd["format"], d["exits"]["HLT"]')" "perf 2"

# standard input gives the same counts
"$HVSIM" trace stat --json "$D/x86_kernel.txt" | grep -v '"trace"' >"$T/file.json"
"$HVSIM" trace stat --json - <"$D/x86_kernel.txt" | grep -v '"trace"' >"$T/stdin.json"
cmp -s "$T/file.json" "$T/stdin.json" || fail "stdin and file differ"

# malformed lines: counted with their numbers; --strict stops at the first
expect_eq "malformed" "$(st --json "$D/malformed.txt")" 0
expect_eq "malformed counts" "$(js 'd["malformed"]["count"], [m["line"] for m in d["malformed"]["first"]], d["unknown"]["count"], d["unknown"]["first_lines"]')" "2 [3, 4] 1 [5]"
expect_eq "strict" "$(st --strict "$D/malformed.txt")" 3
grep -qF "malformed.txt:3: unknown exit reason name" "$T/e" || fail "--strict message: $(cat "$T/e")"

# usage and bad input
expect_eq "no subcommand" "$(st)" 2
expect_eq "no trace" "$(st --json)" 2
expect_eq "bad --format" "$(st --format xml "$D/perf.txt")" 2
expect_eq "missing file" "$(st /nonexistent/trace.txt)" 3
grep -q "/nonexistent/trace.txt: cannot open" "$T/e" || fail "missing file message"
printf 'hello\nworld\n' >"$T/junk.txt"
expect_eq "unknown format" "$(st "$T/junk.txt")" 3
grep -q "not a trace" "$T/e" || fail "unknown format message"
expect_eq "--format ftrace on junk" "$(st --format ftrace "$T/junk.txt")" 0
expect_eq "help trace" "$("$HVSIM" help trace >/dev/null; echo $?)" 0

# the reference trace.dat: a host that emulated every instruction, so no kvm_exit
# (a copy of shared/traces-reference/pvm_emul_boot_smp2_io, with its summary)
REF=${TOP:-.}/tests/data/traces/pvm_emul_boot_smp2_io
[ -f "$REF/trace.dat" ] || { echo "SKIP: no reference trace.dat at $REF"; exit 77; }
rc=$(st --json "$REF/trace.dat")
if [ "$rc" = 3 ] && grep -q "without libtracecmd" "$T/e"; then
	echo "SKIP: hvsim built without libtracecmd"
	exit 77
fi
expect_eq "trace.dat" "$rc" 0
# counts from the reference's summary.txt (trace-cmd's own report)
expect_eq "trace.dat format" "$(js 'd["format"], d["exits_total"], d["malformed"]["count"]')" "trace.dat 0 0"
expect_eq "trace.dat kinds" "$(js 'd["events_by_kind"]["kvm_pio"], d["events_by_kind"]["kvm_mmio"], d["events_by_kind"]["kvm_userspace_exit"], d["events_by_kind"]["kvm_msr"], d["events_by_kind"]["kvm_cpuid"]')" "25120 21952 25424 268 1216"
expect_eq "trace.dat others" "$(js 'd["other_events"]["kvm_fpu"], d["other_events"]["kvm_set_irq"], d["events"]')" "50848 41110 248515"
"$HVSIM" trace stat "$REF/trace.dat" | grep "^no kvm_exit events" >/dev/null || fail "trace.dat: no-exit message"
# trace-cmd's text of the same file reads to the same counts
if command -v trace-cmd >/dev/null 2>&1; then
	js 'd["events_by_kind"], d["other_events"]' >"$T/dat.k"
	trace-cmd report -N -i "$REF/trace.dat" 2>/dev/null | "$HVSIM" trace stat --json - >"$T/o"
	js 'd["events_by_kind"], d["other_events"]' >"$T/txt.k"
	cmp -s "$T/dat.k" "$T/txt.k" || fail "trace.dat and trace-cmd report -N text differ"
fi
echo "PASS"
