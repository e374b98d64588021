#!/usr/bin/env bash
# QEMU-style boot (hw/arm/boot.c, Documentation/arm64/booting.rst): the raw
# image of firmware/arm64/boot.c (llvm-objcopy -O binary) loaded at RAM +
# 0x80000 with --kernel; x0 = the DTB; --append in /chosen/bootargs; the
# initrd at RAM + min(RAM / 2, 128 MiB) = 0x44000000 with 128 MiB of RAM,
# the DTB at the next 2 MiB boundary after it.  The initrd's hash is
# computed here from the file (FNV-1a 32), not by hvsim.  The guest exits
# with status 7: hvsim passes it through.
. "$(dirname "$0")/lib.bash"
printf 'initrd contents\n%.0s' $(seq 1 300) > "$T/initrd"
len=$(stat -c %s "$T/initrd")
fnv=$(fnv1a "$T/initrd")

run raw 7 --set sim.ram_mb=128 --kernel "$FIRMWARE/arm64/boot.bin" --append "console=ttyAMA0 root=/dev/ram rw" --initrd "$T/initrd"
expect_eq "dtb" "$(grep -a '^boot: dtb' "$T/raw.out")" "boot: dtb from x0 yes at 0x44200000"
expect_eq "bootargs" "$(grep -a '^boot: bootargs' "$T/raw.out")" 'boot: bootargs "console=ttyAMA0 root=/dev/ram rw"'
expect_eq "initrd" "$(grep -a '^boot: initrd' "$T/raw.out")" "boot: initrd at 0x44000000, $len bytes, fnv1a $fnv"

# Without an initrd the DTB goes where the initrd would have started
run plain 7 --set sim.ram_mb=128 --kernel "$FIRMWARE/arm64/boot.bin"
expect_eq "plain dtb" "$(grep -a '^boot: dtb' "$T/plain.out")" "boot: dtb from x0 yes at 0x44000000"
grep -qaF 'boot: no initrd' "$T/plain.out" || fail "initrd properties without --initrd"

# A Linux Image header moves the image: text_offset 0x200000, image_size set
python3 - "$FIRMWARE/arm64/boot.bin" "$T/hdr.bin" <<'PY'
import sys, struct
b = bytearray(open(sys.argv[1], 'rb').read())
# a header would be code; only the fields the loader reads are checked here
b[8:24] = struct.pack('<QQ', 0x200000, len(b))
b[0x38:0x3c] = b'ARM\x64'
open(sys.argv[2], 'wb').write(b)
PY
"$HVSIM" run -q --debug elf --max-insns 100 --set sim.ram_mb=128 --kernel "$T/hdr.bin" >/dev/null 2>"$T/hdr.log" || :
grep -q "entry 0x40200000" "$T/hdr.log" || fail "text_offset not honoured: $(head -3 "$T/hdr.log")"

# --dump-dtb writes the devicetree and runs nothing
"$HVSIM" run --kernel "$FIRMWARE/arm64/boot.bin" --append "a b" --dump-dtb "$T/out.dtb" > "$T/dump.out"
[ ! -s "$T/dump.out" ] || fail "--dump-dtb ran the guest"
python3 - "$T/out.dtb" <<'PY'
import sys, struct
b = open(sys.argv[1], 'rb').read()
assert struct.unpack('>I', b[:4])[0] == 0xd00dfeed, "not a DTB"
assert b'a b\0' in b and b'bootargs' in b, "no bootargs"
PY
# Bad input: one line, exit 3
run missing 3 --kernel "$T/nonexistent"
grep -q "nonexistent: cannot open" "$T/missing.err" || fail "$(cat "$T/missing.err")"

# Arm semihosting (IHI 0095): the console calls print, SYS_OPEN(":tt", 4)
# gives handle 1, SYS_WRITE returns 0 bytes left, the clocks advance, an
# operation hvsim does not serve (SYS_REMOVE) returns -1, SYS_EXIT_EXTENDED
# (ADP_Stopped_ApplicationExit, 7) ends the run with status 7.
run semi 7 --semihosting --kernel "$FIRMWARE/arm64/boot.bin" --append semihosting
cat > "$T/semi.want" <<'OUT'
boot: semihosting SYS_WRITE0
boot: SYS_WRITEC
boot: SYS_WRITE to :tt
boot: handle 1, left 0, clock ok, elapsed ok, tickfreq ok
boot: SYS_REMOVE returns -1
OUT
grep -a -A4 '^boot: semihosting SYS_WRITE0' "$T/semi.out" | diff - "$T/semi.want" || fail "semihosting output differs"
# Without --semihosting, HLT #0xF000 is UNDEFINED (no external debug): the
# runtime reports EC 0 at the HLT and exits 99
run nosemi 99 --kernel "$FIRMWARE/arm64/boot.bin" --append semihosting
grep -qa 'exception sync from EL1h: EC=0x00 ESR=0x2000000' "$T/nosemi.out" || fail "HLT without --semihosting: $(tail -3 "$T/nosemi.out")"
# Not for the x86 machine
run x86semi 2 --semihosting "$FIRMWARE/x86/hello.elf"

# --exit-status hvsim: the guest's status 7 goes to stderr, hvsim's verdict
# (0: the guest exited) is the exit status; hvsim's own codes stay.
run verdict 0 --exit-status hvsim --semihosting --kernel "$FIRMWARE/arm64/boot.bin" --append semihosting
expect_eq "guest status line" "$(cat "$T/verdict.err")" "hvsim: guest exit status 7"
run verdict_bad 3 --exit-status hvsim --kernel "$T/nonexistent"
run verdict_usage 2 --exit-status other "$FIRMWARE/arm64/hello.elf"

# --dtb: the user's devicetree, /chosen set by hvsim.  One made for another
# machine (256 MiB, 1 vCPU) runs, with one warning per difference; one made
# for this machine gives none; a file that is not a DTB is bad input.
"$HVSIM" run --set sim.ram_mb=256 --set sim.vcpus=1 --kernel "$FIRMWARE/arm64/boot.bin" --dump-dtb "$T/other.dtb"
"$HVSIM" run --set sim.ram_mb=128 --set sim.vcpus=2 --kernel "$FIRMWARE/arm64/boot.bin" --dump-dtb "$T/same.dtb"
run udtb 7 --set sim.ram_mb=128 --set sim.vcpus=2 --dtb "$T/other.dtb" --kernel "$FIRMWARE/arm64/boot.bin" --append "from user dtb" --initrd "$T/initrd"
expect_eq "user dtb bootargs" "$(grep -a '^boot: bootargs' "$T/udtb.out")" 'boot: bootargs "from user dtb"'
expect_eq "user dtb initrd" "$(grep -a '^boot: initrd' "$T/udtb.out")" "boot: initrd at 0x44000000, $len bytes, fnv1a $fnv"
cat > "$T/udtb.want" <<OUT
hvsim: warning: $T/other.dtb: does not match the modelled machine: RAM [0x40000000, +128 MiB), the devicetree's memory node says 0x40000000, 256 MiB (sim.ram_mb)
hvsim: warning: $T/other.dtb: does not match the modelled machine: 2 vCPUs (sim.vcpus), the devicetree has 1 cpu nodes
OUT
diff "$T/udtb.err" "$T/udtb.want" || fail "--dtb warnings"
run sdtb 7 --set sim.ram_mb=128 --set sim.vcpus=2 --dtb "$T/same.dtb" --kernel "$FIRMWARE/arm64/boot.bin"
[ ! -s "$T/sdtb.err" ] || fail "warnings for a matching devicetree: $(cat "$T/sdtb.err")"
run baddtb 3 --dtb "$T/initrd" --kernel "$FIRMWARE/arm64/boot.bin"
grep -q "initrd: not a flattened devicetree" "$T/baddtb.err" || fail "$(cat "$T/baddtb.err")"

# An ET_DYN ELF (the same guest linked at 0) is loaded like a raw image:
# lowest segment at RAM + 0x80000, entry moved with it
run dyn 7 --set sim.ram_mb=128 --kernel "$FIRMWARE/arm64/boot-dyn.elf" --append "dyn"
expect_eq "ET_DYN bootargs" "$(grep -a '^boot: bootargs' "$T/dyn.out")" 'boot: bootargs "dyn"'
"$HVSIM" run -q --debug elf --set sim.ram_mb=128 "$FIRMWARE/arm64/boot-dyn.elf" >/dev/null 2>"$T/dyn.log" || :
grep -q "boot-dyn.elf: AArch64, entry 0x40080000" "$T/dyn.log" || fail "ET_DYN not at RAM + 0x80000: $(head -3 "$T/dyn.log")"
