#!/usr/bin/env bash
# x86 hello: console, AP start through the wakeup mailbox, exit counts.
. "$(dirname "$0")/lib.bash"
run hello 0 "$FIRMWARE/x86/hello.elf"
for s in "2 logical processors, boot APIC ID 0" "mailbox wakeup of APIC ID 1 = 0" "cpu1: hello" \
	 "APIC ID 1" "hv_ping(41) = 42" "hello: done"; do
	grep -qF "$s" "$T/hello.out" || fail "console lacks '$s'"
done
bytes=$(wc -c <"$T/hello.out")
# each byte: LSR poll (IN) and THR write (OUT)
expect_eq IO_INSTRUCTION "$(j hello "d['exits']['IO_INSTRUCTION']")" $((2 * bytes))
expect_eq VMCALL "$(j hello "d['exits']['VMCALL']")" 2
expect_eq "cpu1 HLT" "$(j hello "d['vcpus'][1]['exits']['HLT']")" 1
# the mailbox page: first access EPT_VIOLATION, later ones EPT_MISCONFIG (cached MMIO SPTE)
expect_eq EPT_VIOLATION "$(j hello "d['exits']['EPT_VIOLATION']")" 1
cpuid=$(( $(design x86 vmx exit_cycles) + $(design x86 vmx save_cycles) + $(design x86 vmx cpuid_cycles) +
	$(design x86 vmx restore_cycles) + $(design x86 vmx entry_cycles) ))
expect_eq "CPUID cycles" "$(j hello "d['exit_cycles']['CPUID']")" $(( $(j hello "d['exits']['CPUID']") * cpuid ))
expect_eq "mailbox errors" "$(j hello "d['platform']['mailbox_errors']")" 0
run nocache 0 --set vmx.mmio_spte_cache=false "$FIRMWARE/x86/hello.elf"
expect_eq "EPT_MISCONFIG without caching" "$(j nocache "d['exits']['EPT_MISCONFIG']")" 0
expect_eq "EPT_VIOLATION without caching" "$(j nocache "d['exits']['EPT_VIOLATION']")" \
	"$(j hello "d['exits']['EPT_VIOLATION'] + d['exits']['EPT_MISCONFIG']")"
echo ok
