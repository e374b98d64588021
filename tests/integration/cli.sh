#!/usr/bin/env bash
# Command line, stats formats, limits, config listing and round trip.
. "$(dirname "$0")/lib.bash"
st() { local rc=0; "$HVSIM" "$@" >"$T/o" 2>"$T/e" || rc=$?; echo $rc; }
expect_eq "no args" "$(st)" 2
expect_eq "unknown command" "$(st frobnicate)" 2
expect_eq "run without ELF" "$(st run)" 2
expect_eq "bad format" "$(st run --stats-format xml "$FIRMWARE/arm64/hello.elf")" 2
expect_eq "bad --max-insns" "$(st run --max-insns 12x "$FIRMWARE/arm64/hello.elf")" 2
# counts are decimal: no sign, no blank, no 0x (issue 5: " -5" used to wrap to "no limit")
for bad in " -5" -5 "+5" 0x10 0 "" 99999999999999999999999; do
	expect_eq "--max-insns '$bad'" "$(st run --max-insns "$bad" "$FIRMWARE/arm64/hello.elf")" 2
	expect_eq "--max-cycles '$bad'" "$(st run --max-cycles "$bad" "$FIRMWARE/arm64/hello.elf")" 2
done
expect_eq "--timeout -1" "$(st run --timeout -1 "$FIRMWARE/arm64/hello.elf")" 2
# 010 is ten, not eight
run ten 4 --max-insns 010 "$FIRMWARE/arm64/hello.elf"
grep -qF -- "--max-insns 10)" "$T/ten.err" || fail "--max-insns 010 is not read as 10"
# a statistics file that cannot be written fails before the run, naming why
expect_eq "--stats /dev/full" "$(st run --stats /dev/full "$FIRMWARE/arm64/hello.elf")" 3
grep -q "/dev/full: cannot write: No space left on device" "$T/e" || fail "--stats /dev/full message"
[ ! -s "$T/o" ] || fail "--stats /dev/full: the guest ran"
expect_eq "bad --debug" "$(st run --debug cpu,bogus "$FIRMWARE/arm64/hello.elf")" 2
grep -q "bogus" "$T/e" || fail "--debug error does not name the component"
expect_eq "--version" "$(st --version)" 0
grep -q "^hvsim [0-9]" "$T/o" || fail "--version output"
grep -Eq "^Unicorn [0-9]+\.[0-9]+\.[0-9]+ \(/" "$T/o" || fail "--version lacks the Unicorn line"
grep -Eq "^Capstone [0-9]+\.[0-9]+ \(/" "$T/o" || fail "--version lacks the Capstone line"
# the Unicorn loaded at run time is the one configure chose ('make check' sets UNICORN_VERSION)
[ -z "${UNICORN_VERSION:-}" ] || grep "^Unicorn $UNICORN_VERSION (" >/dev/null "$T/o" ||
	fail "--version: not running with Unicorn $UNICORN_VERSION: $(grep ^Unicorn "$T/o")"
for c in run config help; do expect_eq "help $c" "$(st help $c)" 0; done
# --max-insns stops at a block boundary at or below the limit, exit 4
run limit 4 --max-insns 5000 "$FIRMWARE/arm64/hello.elf"
[ "$(j limit "0 < d['guest_instructions'] <= 5000")" = True ] || fail "--max-insns not honoured"
grep -q "max-insns" "$T/limit.err" || fail "--max-insns message"
# text and csv dumps hold the same counters as json
"$HVSIM" run -q --stats "$T/s.csv" --stats-format csv "$FIRMWARE/arm64/hello.elf" >/dev/null
"$HVSIM" run -q --stats "$T/s.txt" --stats-format text "$FIRMWARE/arm64/hello.elf" >/dev/null
run s 0 "$FIRMWARE/arm64/hello.elf"
head -1 "$T/s.csv" | grep -qx "stat,value" || fail "csv header"
expect_eq "csv guest_instructions" "$(awk -F, '$1=="guest_instructions"{print $2}' "$T/s.csv")" "$(j s "d['guest_instructions']")"
grep -q "^exits.HVC64 *$(j s "d['exits']['HVC64']")" "$T/s.txt" || fail "text dump lacks exits.HVC64"
# the summary names the exit reasons with counts
"$HVSIM" run "$FIRMWARE/arm64/hello.elf" >"$T/sum"
grep -Eq "^  HVC64 +6 +" "$T/sum" || fail "summary lacks the HVC64 line"
# config: every key listed with doc; dump loads back to identical results
"$HVSIM" config --list >"$T/list"
for k in sim.vcpus cpu.cpi_load el2.hcr_el2 vmx.procbased_ctls virt.cntfrq_hz pc.ap_wakeup_cycles; do
	grep -q "^$k " "$T/list" || fail "config --list lacks $k"
done
"$HVSIM" config --dump --arch arm64 --set el2.hvc_cycles=999 >"$T/d.ini"
run dumped 0 --design "$T/d.ini" "$FIRMWARE/arm64/hello.elf"
run direct 0 --set el2.hvc_cycles=999 "$FIRMWARE/arm64/hello.elf"
cmp "$T/dumped.json" "$T/direct.json" || fail "config --dump does not reproduce the run"
"$HVSIM" config --list --arch arm64 --design "$T/d.ini" | grep "^el2.hvc_cycles " | grep "d.ini:" >/dev/null ||
	fail "config --list does not say where a value came from"
echo ok
