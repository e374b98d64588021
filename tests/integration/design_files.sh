#!/usr/bin/env bash
# Design files that are not regular files (a FIFO, /dev/zero) are refused at
# once with one line naming the file, exit 3; each run is bounded by timeout so
# that a regression fails instead of hanging.  Over-large and binary designs
# are refused; a key given twice in one design warns naming both lines.
. "$(dirname "$0")/lib.bash"
hello="$FIRMWARE/arm64/hello.elf"
refused() {  # refused NAME WORDS ARGS...: exit 3 within 20 s, one line containing WORDS
	local name=$1 words=$2 rc=0; shift 2
	timeout -k 5 20 "$HVSIM" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	[ "$rc" != 124 ] && [ "$rc" != 137 ] || fail "$name: hvsim hung (killed after 20 s)"
	expect_eq "$name status" "$rc" 3
	grep -qF -- "$words" "$T/$name.err" || { cat "$T/$name.err" >&2; fail "$name: message lacks '$words'"; }
	expect_eq "$name lines" "$(wc -l <"$T/$name.err")" 1
}
mkfifo "$T/fifo.ini"
refused fifo "$T/fifo.ini: a FIFO, not a regular file" run -q --design "$T/fifo.ini" "$hello"
refused fifo-config "$T/fifo.ini: a FIFO, not a regular file" config --dump --arch arm64 --design "$T/fifo.ini"
refused zero "/dev/zero: a character device, not a regular file" run -q --design /dev/zero "$hello"
# 1 MiB of comments loads; one byte more does not.
python3 -c "import sys; open(sys.argv[1], 'w').write(('; ' + '0' * 61 + '\n') * 16384)" "$T/big.ini"
run big 0 --design "$T/big.ini" "$hello"
echo >>"$T/big.ini"
refused bigger "big.ini: larger than 1024 KiB, the limit for a design file" run -q --design "$T/big.ini" "$hello"
# A binary file (here 2 MiB of zeros) is refused at its first NUL byte.
truncate -s 2M "$T/zeros.ini"
refused zeros "zeros.ini:1: NUL byte: not a text file" run -q --design "$T/zeros.ini" "$hello"
# Duplicates: the last value wins, with a warning naming both lines.
printf '[cpu]\nfreq_mhz = 1000\n\n[sim]\nvcpus = 2\n[cpu]\nfreq_mhz = 3000\n' >"$T/dup.ini"
run dup 0 --design "$T/dup.ini" --set sim.vcpus=1 --set sim.vcpus=2 "$hello"
grep -qxF "hvsim: warning: $T/dup.ini:7: cpu.freq_mhz already set at line 2; this value wins" "$T/dup.err" ||
	{ cat "$T/dup.err" >&2; fail "dup: no warning naming lines 7 and 2"; }
grep -qxF "hvsim: warning: --set sim.vcpus given more than once; the last value, 2, wins" "$T/dup.err" ||
	{ cat "$T/dup.err" >&2; fail "dup: no warning for the repeated --set"; }
expect_eq "dup: warnings" "$(grep -c warning "$T/dup.err")" 2
"$HVSIM" config --list --arch arm64 --design "$T/dup.ini" >"$T/dup.list" 2>/dev/null
grep -q "^cpu.freq_mhz *= 3000 .*\[$T/dup.ini:7\]$" "$T/dup.list" || fail "dup: the last value (line 7) does not win"
echo ok
