#!/usr/bin/env bash
# What hvsim does not model is reported once by name, never silently ignored
# (issue 11; firmware/arm64/unmodelled.c): the guest touches twice each an
# IMPLEMENTATION DEFINED register the Cortex-A72 lacks (MRS and MSR of
# S3_0_C15_C0_0, trapped by HCR_EL2.TIDCP: UNDEFINED, as KVM injects for a
# sys_reg it does not handle), UDF #0x77, and a page with no device (read
# and write).  Each name is one stderr line; platform.unmodelled counts every
# use (4 + 2 + 4), platform.unmodelled_names the names (2 + 1 + 1).  The
# guest itself checks that it took the 6 UNDEFINED exceptions and read zero.
. "$(dirname "$0")/lib.bash"
run u 0 "$FIRMWARE/arm64/unmodelled.elf"
grep -qF "unmodelled: ok" "$T/u.out" || fail "the guest did not finish: $(cat "$T/u.out")"
for name in "MRS S3_0_C15_C0_0" "MSR S3_0_C15_C0_0" "instruction 0x00000077" "no device at 0xa000000"; do
	expect_eq "stderr lines for $name" "$(grep -cF "hvsim: warning: unmodelled: $name:" "$T/u.err")" 1
done
expect_eq "reported lines" "$(grep -c "unmodelled:" "$T/u.err")" 4
expect_eq "platform.unmodelled" "$(j u "d['platform']['unmodelled']")" 10
expect_eq "platform.unmodelled_names" "$(j u "d['platform']['unmodelled_names']")" 4
expect_eq "platform.unassigned_accesses" "$(j u "d['platform']['unassigned_accesses']")" 4
echo ok
