#!/usr/bin/env bash
# ELF segments at the RAM boundary and bss-only segments, through the whole
# machine: a segment ending at the last byte of RAM loads and runs, one byte
# more is rejected (exit 3) before anything is written; a PT_LOAD with no file
# bytes (p_filesz 0) is zero-filled and runs (the sanitizer pass catches a
# memcpy from its NULL data).
. "$(dirname "$0")/lib.bash"
# edit IN OUT PYTHON: runs PYTHON over the program headers of IN, writes OUT.
# In PYTHON: ph(i) -> [type, flags, off, vaddr, paddr, filesz, memsz, align], put(i, fields).
edit() {
	python3 - "$@" <<'PY'
import sys, struct
src, dst, code = sys.argv[1:4]
b = bytearray(open(src, 'rb').read())
phoff, = struct.unpack_from('<Q', b, 0x20)
phnum, = struct.unpack_from('<H', b, 0x38)
F = '<IIQQQQQQ'
def ph(i): return list(struct.unpack_from(F, b, phoff + 56 * i))
def put(i, p): struct.pack_into(F, b, phoff + 56 * i, *p)
def find(t, flags):
    return next(i for i in range(phnum) if ph(i)[0] == t and (flags is None or ph(i)[1] == flags))
exec(code)
open(dst, 'wb').write(b)
PY
}
ram=$((16 << 20))
# x86: RAM [0, 16 MiB).  Stretch the RW segment's bss to the last byte of RAM.
for extra in 0 1; do
	edit "$FIRMWARE/x86/hello.elf" "$T/top$extra.elf" "
i = find(1, 6); p = ph(i); p[6] = $ram - p[4] + $extra; put(i, p)"
done
run top0 0 --set sim.ram_mb=16 "$T/top0.elf"
grep -q "hello: done" "$T/top0.out" || fail "top0: guest did not finish"
rc=0
"$HVSIM" run -q --set sim.ram_mb=16 "$T/top1.elf" >"$T/top1.out" 2>"$T/top1.err" || rc=$?
expect_eq "one byte past RAM: status" "$rc" 3
grep -qF "top1.elf: segment 2 [0x102000-0x1000001) lies outside RAM [0x0-0x1000000)" "$T/top1.err" ||
	{ cat "$T/top1.err" >&2; fail "one byte past RAM: wrong message"; }
# arm64: RAM [0x40000000, +16 MiB): fits to the last byte, but then the
# devicetree has no room above the image; one byte more is outside RAM.
for extra in 0 1; do
	edit "$FIRMWARE/arm64/hello.elf" "$T/atop$extra.elf" "
i = find(1, 6); p = ph(i); p[6] = 0x40000000 + $ram - p[4] + $extra; put(i, p)"
	rc=0
	"$HVSIM" run -q --set sim.ram_mb=16 "$T/atop$extra.elf" >"$T/atop$extra.out" 2>"$T/atop$extra.err" || rc=$?
	expect_eq "arm64 top$extra: status" "$rc" 3
done
grep -qF "no room for the devicetree above the image (ends at 0x41000000" "$T/atop0.err" ||
	{ cat "$T/atop0.err" >&2; fail "arm64 exact fit: wrong message"; }
grep -qF "lies outside RAM [0x40000000-0x41000000)" "$T/atop1.err" ||
	{ cat "$T/atop1.err" >&2; fail "arm64 one byte past RAM: wrong message"; }

# bss-only PT_LOAD: the RW segment's bss past its first page becomes its own
# segment (p_filesz 0, p_offset 0) in place of PT_GNU_STACK.
for arch in arm64 x86; do
	edit "$FIRMWARE/$arch/hello.elf" "$T/bss-$arch.elf" "
i = find(1, 6); p = ph(i); j = find(0x6474e551, None)
assert p[5] <= 0x1000 < p[6], 'the data must fit in one page'
q = [1, 6, 0, p[3] + 0x1000, p[4] + 0x1000, 0, p[6] - 0x1000, 0x1000]
p[6] = 0x1000; put(i, p); put(j, q)"
	run "bss-$arch" 0 "$T/bss-$arch.elf"
	grep -q "hello: done" "$T/bss-$arch.out" || fail "bss-$arch: guest did not finish"
done
echo ok
