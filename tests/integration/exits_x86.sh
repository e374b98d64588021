#!/usr/bin/env bash
# Every x86 exit reason a known number of times (firmware/x86/exits.c), the
# isa-debug-exit status, and VMX controls that change what exits.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/x86/exits.elf"
run exits 33 "$fw"
grep -qF "exits: done" "$T/exits.out" || fail "guest did not finish"
bytes=$(wc -c <"$T/exits.out")
expect_eq CPUID "$(j exits "d['exits']['CPUID']")" 7
expect_eq MSR_READ "$(j exits "d['exits']['MSR_READ']")" 6
expect_eq MSR_WRITE "$(j exits "d['exits']['MSR_WRITE']")" 2
expect_eq VMCALL "$(j exits "d['exits']['VMCALL']")" 5
expect_eq IO_INSTRUCTION "$(j exits "d['exits']['IO_INSTRUCTION']")" $((2 * bytes + 10 + 1))
expect_eq "EPT exits" "$(j exits "d['exits']['EPT_VIOLATION'] + d['exits']['EPT_MISCONFIG']")" 4
expect_eq EPT_VIOLATION "$(j exits "d['exits']['EPT_VIOLATION']")" 1
expect_eq "debug-exit writes" "$(j exits "d['platform']['debug_exit_writes']")" 1
# without MSR bitmaps the two IA32_TSC reads exit too
ctls=$(design x86 vmx procbased_ctls)
run nobitmap 33 --set vmx.procbased_ctls=$(printf '0x%x' $(( ctls & ~(1 << 28) ))) "$fw"
expect_eq "MSR_READ without bitmaps" "$(j nobitmap "d['exits']['MSR_READ']")" 8
# without I/O exiting controls port I/O does not exit
run noio 33 --set vmx.procbased_ctls=$(printf '0x%x' $(( ctls & ~(3 << 24) ))) "$fw"
expect_eq "IO without I/O exiting" "$(j noio "d['exits']['IO_INSTRUCTION']")" 0
echo ok
