#!/usr/bin/env bash
# Every ARM exit class a known number of times (firmware/arm64/exits.c), and
# HCR_EL2 trap controls that change what exits.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/arm64/exits.elf"
run exits 0 "$fw"
grep -qF "exits: done" "$T/exits.out" || fail "guest did not finish"
bytes=$(wc -c <"$T/exits.out")
expect_eq WFx "$(j exits "d['exits']['WFx']")" 4
expect_eq HVC64 "$(j exits "d['exits']['HVC64']")" 6
expect_eq SMC64 "$(j exits "d['exits']['SMC64']")" 3
expect_eq SYS64 "$(j exits "d['exits']['SYS64']")" 6
expect_eq IABT_LOW "$(j exits "d['exits']['IABT_LOW']")" 2
expect_eq DABT_LOW "$(j exits "d['exits']['DABT_LOW']")" $((2 * bytes + 10 + 1))
expect_eq unassigned "$(j exits "d['platform']['unassigned_accesses']")" 1
# WFI waits for the virtual timer: the guest's clock must move past each deadline
[ "$(j exits "d['vcpus'][0]['idle_cycles'] > 0")" = True ] || fail "WFI did not idle"
hcr=$(design arm64 el2 hcr_el2)
# TID3 off: ID register reads no longer trap
run notid3 0 --set el2.hcr_el2=$(printf '0x%x' $(( hcr & ~(1 << 18) ))) "$fw"
expect_eq "SYS64 without TID3" "$(j notid3 "d['exits']['SYS64']")" 0
# TWI off: WFI does not exit but still waits
run notwi 0 --set el2.hcr_el2=$(printf '0x%x' $(( hcr & ~(1 << 13) ))) "$fw"
expect_eq "WFx without TWI" "$(j notwi "d['exits']['WFx']")" 0
# TSC off: SMC is UNDEFINED at EL1 with no EL3; the guest's vector reports it and exits 99
run notsc 99 --set el2.hcr_el2=$(printf '0x%x' $(( hcr & ~(1 << 19) ))) "$fw"
expect_eq "SMC64 without TSC" "$(j notsc "d['exits']['SMC64']")" 0
grep -qF "EC=0x0" "$T/notsc.out" || fail "no UNDEF (EC 0x00) reported by the guest"
echo ok
