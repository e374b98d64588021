#!/usr/bin/env bash
# Differential test: the raw image of firmware/arm64/boot.c prints the same
# lines, and exits with the same status, on QEMU (-M virt -kernel -append
# -initrd -semihosting, 128 MiB) and on hvsim (run --kernel --append
# --initrd --semihosting): the DTB and initrd addresses, the command line,
# the initrd's hash, the semihosting console.  Then x86 multiboot: the same
# files under qemu-system-x86_64 -kernel and hvsim --kernel.  Skipped
# without QEMU.
. "$(dirname "$0")/lib.bash"
qemu=${QEMU_A64:-qemu-system-aarch64}
qemu86=${QEMU_X86:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || { echo "no $qemu"; exit 77; }
command -v "$qemu86" >/dev/null || { echo "no $qemu86"; exit 77; }
printf 'initrd %s\n' $(seq 1 500) > "$T/initrd"
args="console=ttyAMA0 semihosting"
rc=0
timeout 120 "$qemu" -M virt,gic-version=3,virtualization=off -cpu cortex-a72 -m 128M -nographic -monitor none \
	-semihosting -kernel "$FIRMWARE/arm64/boot.bin" -append "$args" -initrd "$T/initrd" >"$T/qemu.out" 2>&1 || rc=$?
expect_eq "QEMU exit status" "$rc" 7
run h 7 --set sim.ram_mb=128 --semihosting --kernel "$FIRMWARE/arm64/boot.bin" --append "$args" --initrd "$T/initrd"
diff "$T/h.out" "$T/qemu.out" || fail "hvsim and QEMU differ"
grep -qF "boot: SYS_REMOVE returns -1" "$T/h.out" || fail "the guest did not finish"
# QEMU's own devicetree for the same machine (dumpdtb) matches hvsim's model;
# the one of a GICv2 machine is reported, with the GIC named.
"$qemu" -M virt,gic-version=3,virtualization=off,dumpdtb="$T/q3.dtb" -cpu cortex-a72 -m 128M -smp 2 >/dev/null 2>&1
"$qemu" -M virt,gic-version=2,virtualization=off,dumpdtb="$T/q2.dtb" -cpu cortex-a72 -m 128M -smp 2 >/dev/null 2>&1
run q3 7 --set sim.ram_mb=128 --set sim.vcpus=2 --dtb "$T/q3.dtb" --kernel "$FIRMWARE/arm64/boot.bin"
[ ! -s "$T/q3.err" ] || fail "warnings for QEMU's GICv3 devicetree: $(cat "$T/q3.err")"
run q2 7 --set sim.ram_mb=128 --set sim.vcpus=2 --dtb "$T/q2.dtb" --kernel "$FIRMWARE/arm64/boot.bin"
grep -q 'no "arm,gic-v3" node (hvsim models the GICv3 Distributor at 0x8000000)' "$T/q2.err" || fail "GICv2 not reported: $(cat "$T/q2.err")"
# The generated devicetree has QEMU virt's nodes, with the same properties,
# for the devices hvsim models (phandle numbers aside)
"$HVSIM" run --set sim.ram_mb=128 --set sim.vcpus=2 --kernel "$FIRMWARE/arm64/boot.bin" --dump-dtb "$T/h.dtb"
props() {
	python3 "$(dirname "$0")/fdt_props.py" "$1" |
		grep -E '^/(memory@40000000|cpus/cpu@[01]|psci|pl011@9000000|intc@8000000|intc@8000000/its@8080000|timer|apb-pclk) ' |
		grep -vE ' (phandle|clocks) ' | sort
}
diff <(props "$T/h.dtb") <(props "$T/q3.dtb") || fail "the generated devicetree differs from QEMU virt's"
# /chosen kaslr-seed (8 bytes) and rng-seed (32), which QEMU draws at random:
# hvsim's are the first outputs of splitmix64 seeded with virt.dtb_seed = 1
# (the published sequence 910a2dec89025cc1, beeb8da1658eec67, f893a2eefb32555e,
# 71c18690ee42c90b, 71bb54d8d101b5b9); dtb_seed 0 writes none
seeds() { python3 "$(dirname "$0")/fdt_props.py" "$1" | awk '$1 == "/chosen" && $2 ~ /-seed$/ { print $2 }' | sort; }
expect_eq "QEMU's /chosen seeds" "$(seeds "$T/q3.dtb" | tr '\n' ' ')" "kaslr-seed rng-seed "
expect_eq "kaslr-seed and rng-seed" "$(python3 "$(dirname "$0")/fdt_props.py" "$T/h.dtb" | awk '$2 ~ /-seed$/ { print $3 }' | tr '\n' ' ')" \
	"71bb54d8d101b5b9 910a2dec89025cc1beeb8da1658eec67f893a2eefb32555e71c18690ee42c90b "
"$HVSIM" run --set virt.dtb_seed=0 --kernel "$FIRMWARE/arm64/boot.bin" --dump-dtb "$T/h0.dtb"
expect_eq "seeds with virt.dtb_seed = 0" "$(seeds "$T/h0.dtb")" ""

# x86 multiboot: firmware/x86/boot.c (ELF32 and a.out kludge) with a command
# line and a module, and benchmark/memory guests, print the same lines and
# exit with the same status.  SeaBIOS keeps the top 128 KiB of RAM, which
# hvsim (no BIOS) leaves available, so mem_upper is 128 KiB lower on QEMU:
# that one line is compared on its own.  QEMU's console also carries
# SeaBIOS's banner: only the guest's lines (from its first "name: ") count.
qemu86_run() {  # qemu86_run OUT KERNEL NAME [ARGS...]: NAME's lines, then "status N"
	local out=$1 k=$2 name=$3 rc=0; shift 3
	timeout 120 "$qemu86" -accel tcg -nographic -monitor none -no-reboot -net none -m 128M \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$k" "$@" >"$out.raw" 2>&1 || rc=$?
	{ tr -d '\r' <"$out.raw" | sed -n "s/.*\($name: \)/\1/p"; echo "status $rc"; } >"$out"
}
for k in boot-qemu.elf boot-aout.bin; do
	qemu86_run "$T/q-$k" "$FIRMWARE/x86/$k" boot -append "console=ttyS0 quiet" -initrd "$T/initrd"
	rc=0
	"$HVSIM" run -q --set sim.ram_mb=128 --kernel "$FIRMWARE/x86/$k" --append "console=ttyS0 quiet" \
		--initrd "$T/initrd" >"$T/h-$k.raw" 2>&1 || rc=$?
	{ sed -n 's/.*\(boot: \)/\1/p' "$T/h-$k.raw"; echo "status $rc"; } >"$T/h-$k"
	grep -qx 'boot: mem_lower 639 KiB, mem_upper 129920 KiB' "$T/q-$k" || fail "$k: QEMU's memory line changed"
	grep -qx 'boot: mem_lower 639 KiB, mem_upper 130048 KiB' "$T/h-$k" || fail "$k: hvsim's memory line"
	diff <(grep -v mem_upper "$T/h-$k") <(grep -v mem_upper "$T/q-$k") || fail "$k: hvsim and QEMU differ"
	grep -qx 'status 15' "$T/h-$k" || fail "$k: the guest did not finish"
done
# A #UD in 32-bit protected mode, taken through the kernel's 32-bit IDT
# (the guest of boot_x86.sh): the same exit status
python3 "$(dirname "$0")/mb_kernel32.py" "$T/ud32.bin" 0
qemu86_run "$T/q-ud32" "$T/ud32.bin" none
rc=0
"$HVSIM" run -q --kernel "$T/ud32.bin" >/dev/null 2>&1 || rc=$?
expect_eq "ud32 on QEMU" "$(cat "$T/q-ud32")" "status 7"
expect_eq "ud32 on hvsim" "$rc" 7
for b in bench_alu gups dirty; do
	qemu86_run "$T/q-$b" "$FIRMWARE/x86/$b-qemu.elf" "$b"
	rc=0
	"$HVSIM" run -q --set sim.ram_mb=128 --kernel "$FIRMWARE/x86/$b-qemu.elf" >"$T/h-$b.raw" 2>&1 || rc=$?
	{ sed -n "s/.*\($b: \)/\1/p" "$T/h-$b.raw"; echo "status $rc"; } >"$T/h-$b"
	diff "$T/h-$b" "$T/q-$b" || fail "$b: hvsim and QEMU differ"
	grep -q "^$b: checksum" "$T/h-$b" || fail "$b: no checksum"
done
echo ok
