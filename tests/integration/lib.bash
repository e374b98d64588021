# Shared helpers for integration tests (sourced; not a test itself).
set -euo pipefail
: "${HVSIM:=./hvsim}" "${FIRMWARE:=firmware}" "${TMPDIR:=/tmp}"
T=$(mktemp -d "$TMPDIR/hvsim-it.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# run NAME EXPECTED_STATUS ARGS... : runs hvsim, keeps stdout/stderr/json in $T/NAME.*
run() {
	local name=$1 want=$2; shift 2
	local rc=0
	"$HVSIM" run --quiet --stats "$T/$name.json" --stats-format json "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$T/$name.out" "$T/$name.err" >&2; fail "$name: exit status $rc, expected $want"; }
}
# j NAME EXPR : evaluates a python expression over the JSON stats d
j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$T/$1.json"; }
# fnv1a FILE : the file's 32-bit FNV-1a hash as 0x%08x (what the boot guests print)
fnv1a() {
	python3 -c 'import sys
h = 2166136261
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 16777619) & 0xffffffff
print("0x%08x" % h)' "$1"
}
# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got $2, expected $3"; }
# design value from hvsim config --dump
design() { "$HVSIM" config --dump --arch "$1" | sed -n "/^\[$2\]/,/^\[/p" | awk -v k="$3" '$1 == k { print $3 }'; }
patch() {  # patch IN OUT HEXBYTES: overwrite the code at the ELF entry point
	python3 - "$@" <<'PY'
import sys, struct
src, dst, code = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
b = bytearray(open(src, 'rb').read())
entry, phoff = struct.unpack_from('<QQ', b, 0x18)
phentsize, phnum = struct.unpack_from('<HH', b, 0x36)
for i in range(phnum):
    p_type, _, off, vaddr, _, filesz = struct.unpack_from('<IIQQQQ', b, phoff + i * phentsize)
    if p_type == 1 and vaddr <= entry < vaddr + filesz:
        o = off + entry - vaddr
        b[o:o + len(code)] = code
        break
else:
    sys.exit("entry not in a PT_LOAD")
open(dst, 'wb').write(b)
PY
}
