#!/usr/bin/env bash
# LPIs through the GICv3 ITS (firmware/arm64/lpi.c, its-errors.c).  The
# expected counts are what the guests do (see their header comments): a
# model that drops MSIs, delivers a disabled LPI, ignores DISCARD, counts an
# LPI acknowledge as spurious or stalls on a bad command gets them wrong.
. "$(dirname "$0")/lib.bash"
lpi="$FIRMWARE/arm64/lpi.elf"
errs="$FIRMWARE/arm64/its-errors.elf"

run lpi 0 "$lpi"
grep -qF "lpi: done" "$T/lpi.out" || fail "lpi guest did not finish"
grep -qF "lpi: disabled LPI 8195: taken 0 times before INV, 1 after" "$T/lpi.out" || fail "configuration table enable bit / INV"
# 5 rounds x 3 MSIs + INT + the LPI enabled by INV
expect_eq "LPIs delivered" "$(j lpi "d['gic']['delivered']['list_register']['LPI']")" 17
expect_eq "SPIs delivered" "$(j lpi "d['gic']['delivered']['list_register']['SPI']")" 0
expect_eq "spurious" "$(j lpi "d['gic']['spurious_acknowledges']")" 0
expect_eq "EOIs without LR" "$(j lpi "d['gic']['eoi_without_lr']")" 0
expect_eq "translations" "$(j lpi "d['its']['translations']")" 16
# the 4 events each miss the translation cache once
expect_eq "cache misses" "$(j lpi "d['its']['cache_misses']")" 4
expect_eq "MSI after DISCARD" "$(j lpi "d['its']['errors']['unmapped_interrupt']")" 1
expect_eq "other ITS errors" "$(j lpi "sum(d['its']['errors'].values())")" 1
for c in MAPD:1 MAPC:1 MAPTI:4 SYNC:1 INT:1 INV:1 DISCARD:1 MOVI:0; do
	expect_eq "${c%:*} commands" "$(j lpi "d['its']['commands']['${c%:*}']")" "${c#*:}"
done
expect_eq "LPI table errors" "$(j lpi "d['gic']['lpi_table_errors']")" 0
expect_eq "latency samples" "$(j lpi "d['gic']['delivery_latency_cycles']['count']")" 17

# ITS costs come from the design and are charged to the vCPU that wrote
# CWRITER: 10 commands 100000 cycles dearer each, the same instructions
cmd=$(design arm64 its cmd_cycles)
run lpi_dear 0 --set its.cmd_cycles=$((cmd + 100000)) "$lpi"
expect_eq "same guest instructions" "$(j lpi_dear "d['vcpus'][0]['guest_instructions']")" \
	"$(j lpi "d['vcpus'][0]['guest_instructions']")"
expect_eq "10 dearer commands" "$(( $(j lpi_dear "d['vcpus'][0]['cycles']") - $(j lpi "d['vcpus'][0]['cycles']") ))" 1000000

run errs 0 "$errs"
grep -qF "its-errors: done" "$T/errs.out" || fail "its-errors guest did not finish"
for e in device_out_of_range:2 table_outside_ram:1 itt_size_out_of_range:1 unmapped_device:1 \
	 event_out_of_range:1 intid_out_of_range:1 collection_out_of_range:1 processor_out_of_range:1 \
	 unmapped_interrupt:3 command_not_supported:2 cwriter_out_of_range:1 queue_outside_ram:0 \
	 unmapped_collection:0 out_of_resources:0 register_access:0; do
	expect_eq "error ${e%:*}" "$(j errs "d['its']['errors']['${e%:*}']")" "${e#*:}"
done
expect_eq "good LPI after the errors" "$(j errs "d['gic']['delivered']['list_register']['LPI']")" 1
exit 0
