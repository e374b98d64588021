#!/usr/bin/env python3
"""mb_kernel32.py OUT GATE_CS: a multiboot kernel (a.out kludge, flat image at
1 MiB) that takes #UD in 32-bit protected mode (boot_x86.sh,
boot_qemu_diff.sh).  It sets ESP, writes its entry CS into gate 6 (unless
GATE_CS is not 0: then that selector stays in the gate), loads a 32-bit IDT
and runs ud2 at 0x100055; the handler checks the EIP pushed (SDM Vol. 3A
6.12.1) and writes 3 to isa-debug-exit (exit status 7), or 4 (9) if wrong.
GATE_CS "paging": instead, the kernel turns on 32-bit paging (CR4.PSE, one
4 MiB identity page at 0) and exits with 3 if it survives."""
import struct
import sys

out, paging = sys.argv[1], sys.argv[2] == 'paging'
gate_cs = 0 if paging else int(sys.argv[2], 0)
b = bytearray(0x100)
flags = 0x10000   # a.out kludge: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr
b[0:12] = struct.pack('<III', 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xffffffff)
b[12:32] = struct.pack('<IIIII', 0x100000, 0x100000, 0, 0x102000, 0x100040)
b[0x20:0x26] = struct.pack('<HI', 7 * 8 - 1, 0x100080)          # IDTR: vectors 0-6 at 0x100080
# mov $0x102000,%esp; mov %cs,%ax; mov %ax,0x1000b2 (gate 6's selector); lidt 0x100020; ud2; jmp .
patch = '668cc8' '66a3b2001000' if not gate_cs else '90' * 9
code = bytes.fromhex('bc00201000' + patch + '0f011d20001000' '0f0b' 'ebfe')
b[0x40:0x40 + len(code)] = code
# mov (%esp),%eax; cmp $0x100055,%eax; jne 1f; mov $3,%al; out %al,$0xf4; jmp .; 1: mov $4,%al; out; jmp .
h = bytes.fromhex('8b0424' '3d55001000' '7506' 'b003e6f4ebfe' 'b004e6f4ebfe')
b[0x60:0x60 + len(h)] = h
b[0xb0:0xb8] = struct.pack('<HHBBH', 0x0060, gate_cs, 0, 0x8e, 0x0010)   # 32-bit interrupt gate, DPL 0
if paging:
    # PDE 0 = 0x83 (present, writable, PS) at 0x101000, in the bss:
    # movl $0x83,0x101000; mov $0x10,%eax; mov %eax,%cr4; mov $0x101000,%eax; mov %eax,%cr3;
    # mov %cr0,%eax; or $0x80000000,%eax; mov %eax,%cr0; mov $3,%al; out %al,$0xf4; jmp .
    code = bytes.fromhex('c7050010100083000000' 'b810000000' '0f22e0' 'b800101000' '0f22d8'
                         '0f20c0' '0d00000080' '0f22c0' 'b003e6f4' 'ebfe')
    b[0x40:0x40 + len(code)] = code
open(out, 'wb').write(b)
