#!/usr/bin/env bash
# The default designs' calibrated exit costs, end to end: the exits firmware
# under `hvsim run` with no design options must be charged the published
# round trips (the same figures as tests/unit/test_calibration.c, each cited
# there and in designs/default-*.ini), per exit class.  Costs are written out
# here, never read back from the design under test.
. "$(dirname "$0")/lib.bash"

# ---- ARM (designs/default-arm64.ini)
HVC=1061     # kvm-unit-tests arm/micro-bench "hvc", Kunpeng 920: 408 ns at 2.6 GHz
SMC=1061     # same SMCCC handler as HVC in KVM
WFX=1400     # world switch 800 (VHE, from its parts) + kvm_handle_wfx 600 (estimate)
SYS64=1000   # world switch 800 + sysreg emulation 200 (estimate)
IABT=1300    # world switch 800 + stage-2 fault and kvm_inject_pabt 500 (estimate)
MMIO_USER=5950   # world switch 800 + MMIO abort path 683 + KVM_EXIT_MMIO to QEMU 4025 + vcpu_put/load 442;
                 # micro-bench mmio_read_user 2306 ns = 5996 cycles (tests/integration/microbench_arm64.sh)
run a64 0 "$FIRMWARE/arm64/exits.elf"
grep -qF "exits: done" "$T/a64.out" || fail "arm64 guest did not finish"
for x in HVC64:$HVC SMC64:$SMC WFx:$WFX SYS64:$SYS64 IABT_LOW:$IABT DABT_LOW:$MMIO_USER; do
	name=${x%%:*} cost=${x#*:}
	n=$(j a64 "d['exits']['$name']")
	[ "$n" -gt 0 ] || fail "arm64: no $name exit"
	expect_eq "arm64 exit_cycles.$name ($n x $cost)" "$(j a64 "d['exit_cycles']['$name']")" $((n * cost))
	expect_eq "arm64 vcpus.0.exit_cycles.$name" "$(j a64 "d['vcpus'][0]['exit_cycles']['$name']")" $((n * cost))
done
expect_eq "arm64 HVC64 round trips" "$(j a64 "d['exit_cycles']['HVC64']")" $((6 * 1061))
expect_eq "arm64 exit_cycles_total" "$(j a64 "d['exit_cycles_total']")" \
	"$(j a64 "sum(d['exit_cycles'].values())")"

# ---- x86 (designs/default-x86.ini)
CPUID=1050   # kvm-unit-tests x86/vmexit.c "cpuid" ~1,000-1,100 cycles on recent Intel
VMCALL=1100  # kvm-unit-tests vmexit "vmcall" close to cpuid (estimate)
RDMSR=1000   # kvm-unit-tests vmexit "rdmsr" ~1,000 (estimate)
WRMSR=1100   # slightly above rdmsr (estimate)
PIO_USER=6400    # exit 260 + save 130 + PIO 400 + QEMU round trip 5200 + restore 150 + entry 260
EPTV_USER=7200   # switch 800 + EPT violation 1200 + 5200
EPTM_USER=6100   # switch 800 + EPT misconfig 100 + 5200
run x86 33 "$FIRMWARE/x86/exits.elf"
grep -qF "exits: done" "$T/x86.out" || fail "x86 guest did not finish"
for x in CPUID:$CPUID VMCALL:$VMCALL MSR_READ:$RDMSR MSR_WRITE:$WRMSR IO_INSTRUCTION:$PIO_USER \
	 EPT_VIOLATION:$EPTV_USER EPT_MISCONFIG:$EPTM_USER; do
	name=${x%%:*} cost=${x#*:}
	n=$(j x86 "d['exits']['$name']")
	[ "$n" -gt 0 ] || fail "x86: no $name exit"
	expect_eq "x86 exit_cycles.$name ($n x $cost)" "$(j x86 "d['exit_cycles']['$name']")" $((n * cost))
done
expect_eq "x86 CPUID round trips" "$(j x86 "d['exit_cycles']['CPUID']")" $((7 * 1050))
echo ok
