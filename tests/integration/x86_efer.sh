#!/usr/bin/env bash
# WRMSR to IA32_EFER from the guest's side: reserved bits raise #GP (with no
# IDT yet: a triple fault, exit 4); the defined bits (SCE, LME, LMA, NXE) are
# accepted and the guest goes on to its isa-debug-exit write (status 0x43).
# The patched code replaces the first instructions at the entry point (32-bit
# protected mode, paging off):
#   mov ecx, 0xc0000080; mov eax, LO; mov edx, HI; wrmsr; mov al, 0x21; out 0xf4, al
. "$(dirname "$0")/lib.bash"
patch_efer() {  # patch_efer OUT LO HI (hex, 8 digits each)
	python3 - "$FIRMWARE/x86/hello.elf" "$@" <<'PY'
import sys, struct
src, dst, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4], 16)
code = (b'\xb9' + struct.pack('<I', 0xc0000080) + b'\xb8' + struct.pack('<I', lo) +
        b'\xba' + struct.pack('<I', hi) + b'\x0f\x30' + b'\xb0\x21\xe6\xf4')
b = bytearray(open(src, 'rb').read())
entry, phoff = struct.unpack_from('<QQ', b, 0x18)
for i in range(struct.unpack_from('<H', b, 0x38)[0]):
    p_type, _, off, vaddr, _, filesz = struct.unpack_from('<IIQQQQ', b, phoff + 56 * i)
    if p_type == 1 and vaddr <= entry < vaddr + filesz:
        b[off + entry - vaddr:off + entry - vaddr + len(code)] = code
        break
else:
    sys.exit("entry not in a PT_LOAD")
open(dst, 'wb').write(b)
PY
}
# gp NAME LO HI: the write must fault
gp() {
	patch_efer "$T/$1.elf" "$2" "$3"
	run "$1" 4 "$T/$1.elf"
	grep -qF "triple fault" "$T/$1.err" || { cat "$T/$1.err" >&2; fail "$1: no triple fault"; }
	expect_eq "$1 msr_gp" "$(j "$1" "d['platform']['msr_gp']")" 1
}
# ok NAME LO HI: the write must be accepted
ok() {
	patch_efer "$T/$1.elf" "$2" "$3"
	run "$1" 67 "$T/$1.elf"
	expect_eq "$1 msr_gp" "$(j "$1" "d['platform']['msr_gp']")" 0
	expect_eq "$1 MSR_WRITE exits" "$(j "$1" "d['exits']['MSR_WRITE']")" 1
}
gp all_ones ffffffff ffffffff
gp bit9 00000200 00000000
gp svme 00001000 00000000
gp bit32 00000000 00000001
ok defined 00000d01 00000000   # SCE LME LMA NXE: LMA is ignored, not a fault
ok lme 00000100 00000000
echo ok
