#!/usr/bin/env bash
# Multiboot v1 (Multiboot Specification 0.6.96), as qemu-system-x86_64
# -kernel boots it: firmware/x86/boot.c built for QEMU, as an ELF32 with the
# header (boot-qemu.elf), as an ELF64 (boot-mb64.elf, which QEMU refuses)
# and as a flat image with the a.out kludge (boot-aout.bin).  The guest starts in 32-bit protected mode with paging
# off (§3.2), EAX = 0x2BADB002, switches to long mode itself and prints
# what the information structure (§3.3) holds.  Expected values by hand:
# 128 MiB of RAM = 639 KiB below 640 KiB and 127 * 1024 = 130048 KiB from
# 1 MiB; the command line is "<kernel> <append>" as QEMU passes it; the
# initrd's hash is computed here from the file.  Exit through
# isa-debug-exit: (7 << 1) | 1 = 15.
. "$(dirname "$0")/lib.bash"
printf 'module line %s\n' $(seq 1 400) > "$T/initrd"
len=$(stat -c %s "$T/initrd")
fnv=$(fnv1a "$T/initrd")

check_boot() {  # check_boot NAME KERNEL
	local o="$T/$1.out"
	expect_eq "$1 magic" "$(grep -a '^boot: eax' "$o")" "boot: eax 0x2badb002"
	expect_eq "$1 entry mode" "$(grep -a '^boot: entry' "$o")" "boot: entry cr0.pe 1 cr0.pg 0"
	expect_eq "$1 long mode" "$(grep -a '^boot: now' "$o")" "boot: now long mode yes, paging yes"
	expect_eq "$1 flags" "$(grep -a '^boot: flags' "$o")" "boot: flags mem 1 cmdline 1 mods 1 mmap 1"
	expect_eq "$1 memory" "$(grep -a '^boot: mem_lower' "$o")" "boot: mem_lower 639 KiB, mem_upper 130048 KiB"
	expect_eq "$1 cmdline" "$(grep -a '^boot: cmdline' "$o")" "boot: cmdline \"$2 console=ttyS0 root=/dev/ram\""
	expect_eq "$1 modules" "$(grep -a '^boot: 1 module' "$o")" "boot: 1 module(s)"
	expect_eq "$1 module" "$(grep -a '^boot: module 0' "$o")" \
		"boot: module 0: $len bytes, page-aligned yes, fnv1a $fnv, \"$T/initrd\""
	expect_eq "$1 mmap" "$(grep -a '^boot: mmap' "$o")" "boot: mmap available [0, 0x9fc00) yes, [1 MiB, 64 MiB) yes"
}
for k in boot-qemu.elf boot-aout.bin boot-mb64.elf; do
	run "$k" 15 --set sim.ram_mb=128 --kernel "$FIRMWARE/x86/$k" --append "console=ttyS0 root=/dev/ram" \
		--initrd "$T/initrd"
	check_boot "$k" "$FIRMWARE/x86/$k"
done
# Unassigned guest-physical memory (0x3ff00000): the write is dropped and the
# read returns 0, as QEMU's unassigned memory does behind KVM (and under TCG,
# boot_qemu_diff.sh); KVM's first access takes an EPT violation that
# installs an MMIO SPTE, the second an EPT misconfiguration, each a trip to
# the userspace VMM.
expect_eq "unassigned" "$(grep -a '^boot: unassigned' "$T/boot-qemu.elf.out")" "boot: unassigned read 0x00000000"
expect_eq "EPT violations" "$(j boot-qemu.elf "d['exits']['EPT_VIOLATION']")" 1
expect_eq "EPT misconfigurations" "$(j boot-qemu.elf "d['exits']['EPT_MISCONFIG']")" 1
# The loader's stub (pc_boot.c) is 14 instructions, and makes no exit: the
# guest's own RDMSR of IA32_EFER in main and its WRMSR/RDMSR entering long
# mode are the only MSR exits
"$HVSIM" run -q --debug decode --kernel "$FIRMWARE/x86/boot-qemu.elf" >/dev/null 2>"$T/decode.log" || :
expect_eq "stub instructions (decoded as 32-bit code after the first)" \
	"$(awk '/^\[decode\] block 0x80[0-9a-f][0-9a-f]\+/ { n += $4 } END { print n }' "$T/decode.log")" 14
expect_eq "MSR reads" "$(j boot-qemu.elf "d['exits']['MSR_READ']")" 2
expect_eq "MSR writes" "$(j boot-qemu.elf "d['exits']['MSR_WRITE']")" 1

# An exception before long mode: a 32-bit kernel (a.out kludge) sets up a
# 32-bit IDT whose gate 6 points at a handler in its own code segment, and
# runs ud2; the handler checks the EIP pushed (the ud2's, SDM Vol. 3A 6.12.1)
# and exits with 3 ((3 << 1) | 1 = 7; 4 -> 9 if the EIP is wrong).  With a
# gate naming another code segment hvsim stops, saying so (exit 5).
python3 "$(dirname "$0")/mb_kernel32.py" "$T/ud32.bin" 0
run ud32 7 --kernel "$T/ud32.bin"
python3 "$(dirname "$0")/mb_kernel32.py" "$T/ud32cs.bin" 0x18
run ud32cs 5 --kernel "$T/ud32cs.bin"
grep -qF "vector 6 at EIP 0x100055 in 32-bit protected mode: its gate's code segment 0x18 is not the current one (0x8, CPL 0)" \
	"$T/ud32cs.err" || fail "ud32cs: $(cat "$T/ud32cs.err")"

# Without --append and --initrd: the command line is the file name and a
# space (QEMU's "%s %s"), no modules; a multiboot ELF32 boots without
# --kernel too
run plain 15 "$FIRMWARE/x86/boot-qemu.elf"
expect_eq "plain cmdline" "$(grep -a '^boot: cmdline' "$T/plain.out")" "boot: cmdline \"$FIRMWARE/x86/boot-qemu.elf \""
expect_eq "plain modules" "$(grep -a '^boot: 0 module' "$T/plain.out")" "boot: 0 module(s)"

# The benchmark and memory guests built for QEMU run unchanged (their
# output is compared with QEMU's in boot_qemu_diff.sh)
for b in bench_alu gups; do
	run "$b" 1 --kernel "$FIRMWARE/x86/$b-qemu.elf"
	grep -qa "^$b: checksum 0x" "$T/$b.out" || fail "$b-qemu.elf did not finish"
done
# With the translation model on (Unicorn 2.1): the guest's tables, walked by
# hvsim; 32-bit paging, which mmu/ does not walk, stops the run (exit 5)
python3 "$(dirname "$0")/mb_kernel32.py" "$T/pg32.bin" paging
run pg32 7 --kernel "$T/pg32.bin"
if [ "${UNICORN_VERSION:-2.1}" != 2.0.1 ]; then
	run nested 15 --design "${TOP:-.}/designs/mem-nested-4k.ini" --set sim.ram_mb=128 --kernel "$FIRMWARE/x86/boot-qemu.elf"
	grep -qa '^boot: now long mode yes, paging yes' "$T/nested.out" || fail "nested: no long mode"
	run pg32m 5 --design "${TOP:-.}/designs/mem-nested-4k.ini" --kernel "$T/pg32.bin"
	grep -qF "cpu0: the guest turned on 32-bit paging outside IA-32e mode" "$T/pg32m.err" || fail "pg32m: $(cat "$T/pg32m.err")"
fi

# Bad multiboot files: one line naming the file and the field, exit 3
mb_file() {  # mb_file OUT FLAGS [header_addr load_addr load_end bss_end entry]
	python3 - "$@" <<'PY'
import sys, struct
out, flags = sys.argv[1], int(sys.argv[2], 0)
f = [int(x, 0) for x in sys.argv[3:]]
h = struct.pack('<III', 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xffffffff)
h += b''.join(struct.pack('<I', x) for x in f)
open(out, 'wb').write(b'\0' * 64 + h + b'\xeb\xfe' * 2048)
PY
}
bad() {  # bad NAME WORDS FILE
	local rc=0
	"$HVSIM" run -q --kernel "$3" >"$T/$1.out" 2>"$T/$1.err" || rc=$?
	expect_eq "$1 status" "$rc" 3
	grep -qF "$2" "$T/$1.err" || fail "$1: message lacks '$2': $(cat "$T/$1.err")"
	expect_eq "$1 lines" "$(wc -l < "$T/$1.err")" 1
}
# name | flags header_addr load_addr load_end bss_end entry | message
while IFS='|' read -r name fields msg; do
	mb_file "$T/$name.bin" $fields
	bad "$name" "$msg" "$T/$name.bin"
done <<'EOF'
unknown|0x10020 0x100040 0x100000 0 0 0x10004c|multiboot header flags 0x10020 ask for features hvsim does not provide (bits 0x20)
past|0x10000 0x100040 0x100000 0x900000 0 0x10004c|multiboot load_end_addr 0x900000 is past the end of the file
entry|0x10000 0x100040 0x100000 0 0 0x50000|multiboot entry_addr 0x50000 is not in the loaded image
before|0x10000 0x100040 0x0f0000 0 0 0x10004c|put the image before the start of the file
bss|0x10000 0x100040 0x100000 0 0x100010 0x10004c|multiboot bss_end_addr 0x100010 is below the end of the loaded image
low|0x10000 0x40 0x0 0 0 0x4c|below 1 MiB
ram|0x10000 0x40000040 0x40000000 0 0 0x4000004c|multiboot image [0x40000000-0x
EOF
# A Linux x86 bzImage ("HdrS" at 0x202) and Linux user programs are refused
python3 -c 'import sys; b = bytearray(4096); b[0x202:0x206] = b"HdrS"; open(sys.argv[1], "wb").write(b)' "$T/bzImage"
bad bzimage "a Linux x86 bzImage: hvsim boots x86 kernels by multiboot v1" "$T/bzImage"
echo ok
