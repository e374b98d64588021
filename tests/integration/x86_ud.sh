#!/usr/bin/env bash
# #UD next to a VMCALL is delivered exactly once through the guest's IDT, on
# Unicorn 2.0.1 (which stops after an invalid instruction) and on 2.1 (which
# also reports the same #UD to the interrupt hook).  The guest, patched over
# x86 hello at 0x100000:
#     mov $0x180000, %esp; lidt idtr; (vector 6 gate -> handler, built in place)
#     mov $HVSIM_HC_X86_PING, %eax; mov $41, %ebx; vmcall     # rax = 42
#     SITE                                   # A: nop; ud2   C: int $6
#   ret_rip:                                 # A: the ud2    C: after the int
#     mov $99, %ebx; jmp exit                # #UD not delivered
#   handler:                                 # ebx = 10 + errors:
#     1 if the pushed RIP != ret_rip, 2 if RSP != 0x180000 - 40 (not one
#     frame: SS, RSP, RFLAGS, CS, RIP), 4 if rax != 42
#   exit: mov $HVSIM_HC_X86_EXIT, %eax; vmcall
# (assembled with clang-14, linked at 0x100000; the IDT, 7 zeroed gates,
# follows the code at 0x1000a0.)
. "$(dirname "$0")/lib.bash"
idt=$(printf '0%.0s' {1..224})
# A: without the 2.1 handling the VMCALL's own #UD report is delivered at the nop
patch "$FIRMWARE/x86/hello.elf" "$T/ud.elf" "bc000018000f011c2590001000488d04255d001000668904250001100048c1e810668904250601100048c1e8108904250801100066c70425020110000800c60425050110008eb800005648bb290000000f01c1900f0bbb63000000eb2a31db488b0c244881f954001000740383cb014881fcd8ff1700740383cb024883f82a740383cb0483c30ab8010056480f01c1f46f00a000100000000000660f1f440000$idt"
run ud 10 "$T/ud.elf"
expect_eq "ud: VMCALL exits" "$(j ud "d['exits']['VMCALL']")" 2
expect_eq "ud: TRIPLE_FAULT" "$(j ud "d['exits']['TRIPLE_FAULT']")" 0
# C: Unicorn raises INT 6 as an invalid instruction too; it returns after the INT
patch "$FIRMWARE/x86/hello.elf" "$T/int6.elf" "bc000018000f011c2590001000488d04255c001000668904250001100048c1e810668904250601100048c1e8108904250801100066c70425020110000800c60425050110008eb800005648bb290000000f01c1cd06bb63000000eb2a31db488b0c244881f955001000740383cb014881fcd8ff1700740383cb024883f82a740383cb0483c30ab8010056480f01c1f4906f00a000100000000000660f1f440000$idt"
run int6 10 "$T/int6.elf"
expect_eq "int6: VMCALL exits" "$(j int6 "d['exits']['VMCALL']")" 2
echo ok
