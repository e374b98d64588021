#!/usr/bin/env bash
# The timing model on a bare guest whose every instruction is known
# (firmware/arm64/timing.S).  All expected numbers are derived by hand below
# from the guest's blocks and the CPIs and exit costs given; none is read
# back from hvsim.  Checked: the sub-cycle CPI remainder carried across
# blocks, per-class CPIs, the clock at each exit (--debug exit "@cycle"),
# the between-exits histogram, the idle time of a WFI that wakes within the
# slice, and the same run with a slice so short that the vCPU runs past the
# end of three slices and its WFI wakes through the event queue.
. "$(dirname "$0")/lib.bash"
fw="$FIRMWARE/arm64/timing.elf"
# The timing model alone: no wake-up latency after a blocked WFI (the GIC
# tests check virt.wakeup_cycles), so the vCPU runs again when its timer is due.
ONE=(--set sim.vcpus=1 --set virt.wakeup_cycles=0)

# Blocks by class (alu, load, store, branch, system) and instructions:
#   B1 add x3, hvc                    3 alu, 1 sys                4 insns
#   B2 adr, ldr x2, add, str, b       2 alu, 2 load, 1 store, 1 br 6
#   B3 hvc                            1 sys                       1
#   B4 mov, msr, mov, msr, wfi        2 alu, 3 sys                5
#   B5 movz, movk, mov, hvc           3 alu, 1 sys                4
# Exits: E1 HVC after B1, E2 HVC after B3, E3 WFx after B4, E4 HVC (exit) after B5.
# Instructions between exits: 4, 7, 5, 4 (20 in all).
#
# Default design: cpi alu 0.5, load 1, store 1, branch 1, system 10; HVC
# 1061, WFx 1400 cycles; CNTFRQ 100 MHz at 2600 MHz = 26 cycles per tick.
# Block costs: B1 11.5, B2 5, B3 10, B4 31, B5 11.5.  The clock advances by
# whole cycles, the fraction is carried to the next block:
#   B1  0 + 11.5 = 11.5   -> E1 @11,   + 1061 = 1072 (.5 carried)
#   B2  1072.5 + 5 = 1077.5
#   B3  1077.5 + 10 = 1087.5 -> E2 @1087, + 1061 = 2148 (.5)
#   B4  2148.5 + 31 = 2179.5 -> E3 @2179, + 1400 = 3579
#       WFI: timer due at count 200 = cycle 5200, inside the slice [0, 100000):
#       idle 5200 - 3579 = 1621, clock 5200 (.5 still carried)
#   B5  5200.5 + 11.5 = 5212 -> E4 @5212, + 1061 = 6273
# Dropping the carried fraction would end at 6272; rounding each block up at 6276.
run def 0 "${ONE[@]}" --debug exit "$fw"
expect_eq "exit clocks" "$(sed -nE 's/^\[exit\] cpu0 @([0-9]+) ([A-Za-z0-9]+) .*/\2@\1/p' "$T/def.err" | tr '\n' ' ')" \
	"HVC64@11 HVC64@1087 WFx@2179 HVC64@5212 "
expect_eq cycles "$(j def "d['cycles']")" 6273
expect_eq "vCPU cycles" "$(j def "d['vcpus'][0]['cycles']")" 6273
expect_eq "idle (WFI within the slice)" "$(j def "d['vcpus'][0]['idle_cycles']")" 1621
expect_eq instructions "$(j def "d['guest_instructions']")" 20
expect_eq "exit cycles" "$(j def "d['exit_cycles_total']")" $((3 * 1061 + 1400))
# busy = 6273 - 1621 idle - 4583 exits = 69 = 11.5 + 5 + 10 + 31 + 11.5
expect_eq "histogram" "$(j def "' '.join(str(d['vcpus'][0]['insns_between_exits'][k]) for k in ('count','min','max','mean','p50','p90','p99'))")" \
	"4 4 7 5.0 4 7 7"
expect_eq quanta "$(j def "d['sim']['quanta']")" 1

# Other CPIs: alu 0.25, load 2, store 3, branch 1.5, system 7 (loads and
# stores now differ, so a class mix-up shows).  Block costs: B1 0.75 + 7 =
# 7.75, B2 0.5 + 4 + 3 + 1.5 = 9, B3 7, B4 0.5 + 21 = 21.5, B5 7.75.
#   B1 7.75 -> E1 @7, 1068 (.75)   B2 1077.75   B3 1084.75 -> E2 @1084, 2145 (.75)
#   B4 2145.75 + 21.5 = 2167.25 -> E3 @2167, 3567 (.25); idle 5200 - 3567 = 1633
#   B5 5200.25 + 7.75 = 5208 -> E4 @5208, 6269
run cpi 0 "${ONE[@]}" --debug exit --set cpu.cpi_alu=0.25 --set cpu.cpi_load=2 --set cpu.cpi_store=3 \
	--set cpu.cpi_branch=1.5 --set cpu.cpi_system=7 "$fw"
expect_eq "exit clocks (cpi)" "$(sed -nE 's/^\[exit\] cpu0 @([0-9]+) .*/\1/p' "$T/cpi.err" | tr '\n' ' ')" "7 1084 2167 5208 "
expect_eq "cycles (cpi)" "$(j cpi "d['cycles']")" 6269
expect_eq "idle (cpi)" "$(j cpi "d['vcpus'][0]['idle_cycles']")" 1633

# Slices of 1000 cycles: each exit carries the vCPU past the end of its
# slice, so it skips to the next one it has not reached:
#   [0,1000)     B1, E1 -> 1072          (past the end)
#   [1000,2000)  B2 B3, E2 -> 2148       (past the end)
#   [2000,3000)  B4, E3 -> 3579; the timer is due at 5200, after this
#                slice: the vCPU halts and a wake-up event is queued
#   nothing runs until the slice holding 5200: the clock jumps to 5000
#   (idle 1421), the event wakes the vCPU at 5200 (idle + 200 = 1621)
#   [5000,6000)  B5, E4 -> 6273
# Same clocks and idle time as in one slice; 4 slices executed.
run q 0 "${ONE[@]}" --debug exit --set sim.quantum_cycles=1000 "$fw"
expect_eq "exit clocks (short slices)" "$(sed -nE 's/^\[exit\] cpu0 @([0-9]+) .*/\1/p' "$T/q.err" | tr '\n' ' ')" \
	"11 1087 2179 5212 "
expect_eq "cycles (short slices)" "$(j q "d['cycles']")" 6273
expect_eq "idle (woken by the event)" "$(j q "d['vcpus'][0]['idle_cycles']")" 1621
expect_eq "quanta (short slices)" "$(j q "d['sim']['quanta']")" 4

# Slices of 2600 cycles: the timer is due exactly at the end of the second
# slice [2600, 5200), so its event belongs to the third, [5200, 7800):
#   [0,2600)  B1..B4, E3 -> 3579, halted;  [2600,5200) nothing runs (skipped,
#   not counted);  [5200,7800) wake at 5200, B5, E4 -> 6273.  2 slices executed.
run q2 0 "${ONE[@]}" --set sim.quantum_cycles=2600 "$fw"
expect_eq "cycles (slice end = due)" "$(j q2 "d['cycles']")" 6273
expect_eq "idle (slice end = due)" "$(j q2 "d['vcpus'][0]['idle_cycles']")" 1621
expect_eq "quanta (slice end = due)" "$(j q2 "d['sim']['quanta']")" 2

# CNTFRQ 60 MHz: 43.33 cycles per tick; count 200 is reached at cycle
# ceil(200 x 2600 / 60) = 8667 (at 8666 the count is still 199): idle
# 8667 - 3579 = 5088; B5 8667.5 + 11.5 = 8679 -> E4 @8679, + 1061 = 9740
run frq 0 "${ONE[@]}" --set virt.cntfrq_hz=60000000 "$fw"
expect_eq "idle (CNTFRQ 60 MHz)" "$(j frq "d['vcpus'][0]['idle_cycles']")" 5088
expect_eq "cycles (CNTFRQ 60 MHz)" "$(j frq "d['cycles']")" 9740

# --max-insns stops before the block that would exceed it (status 4:
# unfinished): 10 = B1 + B2 (4 + 6), stopped before B3 at 1072.5 + 5 = 1077;
# 9 = B1 only, stopped before B2 at 1072
run lim10 4 "${ONE[@]}" --max-insns 10 "$fw"
expect_eq "instructions (--max-insns 10)" "$(j lim10 "d['guest_instructions']")" 10
expect_eq "cycles (--max-insns 10)" "$(j lim10 "d['cycles']")" 1077
run lim9 4 "${ONE[@]}" --max-insns 9 "$fw"
expect_eq "instructions (--max-insns 9)" "$(j lim9 "d['guest_instructions']")" 4
expect_eq "cycles (--max-insns 9)" "$(j lim9 "d['cycles']")" 1072

# Two vCPUs (firmware/arm64/cpu_on.S): CPU 0 runs B1 (5 alu + HVC CPU_ON =
# 12.5) -> @12, + 1061 = 1073.5: CPU 1 is to start at 1073 + cpu_on_cycles
# 26000 = 27073; B2 (2 alu + HVC CPU_OFF = 11) -> @1084, + 1061: CPU 0 off at
# 2145.  CPU 1 runs B3 (3 alu + HVC exit = 11.5) from its start.
# Default slices (100000): the start event, queued while CPU 0 runs, cuts
# its slice at 27073 (sim.h); CPU 0 goes on to turn off at 2145 and idles to
# 27073 (24928 idle); the event starts CPU 1 at 27073 (idle 27073): @27084,
# ends at 28145, when the run stops.  One slice executed.
fw2="$FIRMWARE/arm64/cpu_on.elf"
run on 0 --debug exit "$fw2"
expect_eq "exit clocks (CPU_ON)" "$(sed -nE 's/^\[exit\] (cpu[0-9]) @([0-9]+) .*/\1@\2/p' "$T/on.err" | tr '\n' ' ')" \
	"cpu0@12 cpu0@1084 cpu1@27084 "
expect_eq "vCPU cycles and idle (CPU_ON)" "$(j on "[(v['cycles'], v['idle_cycles']) for v in d['vcpus']]")" \
	"[(27073, 24928), (28145, 27073)]"
expect_eq "cycles (CPU_ON)" "$(j on "d['cycles']")" 28145
expect_eq "quanta (CPU_ON)" "$(j on "d['sim']['quanta']")" 1
# Slices of 1000: [0,1000) B1; [1000,2000) B2, CPU 0 off at 2145; nothing
# runs until the slice holding 27073: both clocks jump to 27000, then to the
# event at 27073, which starts CPU 1 (CPU 0 idle 27073 - 2145 = 24928):
# the same clocks as above, in 3 slices executed.
run on1k 0 --debug exit --set sim.quantum_cycles=1000 "$fw2"
expect_eq "exit clocks (CPU_ON, short slices)" \
	"$(sed -nE 's/^\[exit\] (cpu[0-9]) @([0-9]+) .*/\1@\2/p' "$T/on1k.err" | tr '\n' ' ')" "cpu0@12 cpu0@1084 cpu1@27084 "
expect_eq "vCPU cycles and idle (CPU_ON, short slices)" "$(j on1k "[(v['cycles'], v['idle_cycles']) for v in d['vcpus']]")" \
	"[(27073, 24928), (28145, 27073)]"
expect_eq "cycles (CPU_ON, short slices)" "$(j on1k "d['cycles']")" 28145
expect_eq "quanta (CPU_ON, short slices)" "$(j on1k "d['sim']['quanta']")" 3
echo ok
