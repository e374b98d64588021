#!/usr/bin/env bash
# Bad ELF, design file and values: one clear line naming the file/line/key, exit 3, never a crash.
. "$(dirname "$0")/lib.bash"
hello="$FIRMWARE/arm64/hello.elf"
bad() {  # bad NAME WORDS ARGS... : expects exit 3 and a one-line message containing WORDS
	local name=$1 words=$2 rc=0; shift 2
	"$HVSIM" run -q "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	expect_eq "$name status" "$rc" 3
	grep -qF -- "$words" "$T/$name.err" || { cat "$T/$name.err" >&2; fail "$name: message lacks '$words'"; }
	expect_eq "$name lines" "$(wc -l <"$T/$name.err")" 1
}
bad missing "cannot open" "$T/nope.elf"
printf 'hello' >"$T/short"; bad notelf "not an ELF" "$T/short"
head -c 100 "$hello" >"$T/trunc.elf"; bad truncated "trunc.elf" "$T/trunc.elf"
python3 - "$hello" "$T/arm32.elf" <<'PY'
import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[18:20] = (40).to_bytes(2, 'little'); open(sys.argv[2], 'wb').write(b)
PY
bad machine "machine 40" "$T/arm32.elf"
# a segment moved above the end of RAM (0x48000000 with 128 MiB)
python3 - "$hello" "$T/high.elf" <<'PY'
import sys, struct
b = bytearray(open(sys.argv[1], 'rb').read())
phoff, = struct.unpack_from('<Q', b, 0x20)
struct.pack_into('<QQ', b, phoff + 16, 0x50000000, 0x50000000)   # p_vaddr, p_paddr of segment 0
open(sys.argv[2], 'wb').write(b)
PY
bad ram "outside RAM" "$T/high.elf"
printf '[el2]\nhvc_cycles = 100\nbogus_key = 1\n' >"$T/unknown.ini"
bad unknownkey "unknown.ini:3: unknown key 'el2.bogus_key'" --design "$T/unknown.ini" "$hello"
printf '[sim]\nvcpus = 1000\n' >"$T/range.ini"
bad range "range.ini:2: sim.vcpus" --design "$T/range.ini" "$hello"
bad setvalue "--set el2.hvc_cycles" --set el2.hvc_cycles=lots "$hello"
bad setx86key "vmx.exit_cycles" --set vmx.exit_cycles=5 "$hello"
bad nodesign "none.ini: No such file" --design "$T/none.ini" "$hello"
echo ok
