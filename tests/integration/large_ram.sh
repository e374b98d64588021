#!/usr/bin/env bash
# Guest RAM is reserved, not allocated: a machine with 16 GiB of RAM runs in
# the host memory the guest touches (hello touches well under 1 MiB), and a
# reservation the host refuses is one clear line naming the size.
. "$(dirname "$0")/lib.bash"
if grep -a -q -E '__asan_init|__tsan_init' "$(command -v "$HVSIM")"; then
	echo "sanitizer build: resident memory and address-space limits do not apply"
	exit 77
fi
# maxrss NAME ARGS...: runs hvsim, prints its exit status and peak resident KiB
maxrss() {
	local name=$1; shift
	python3 - "$HVSIM" "$@" >"$T/$name.rss" <<'PY'
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
	cat "$T/$name.rss"
}
# arm64: 16 GiB (the maximum); x86: 4000 MiB (RAM ends below the PC's MMIO at 0xFEB00000)
for a in arm64:16384 x86:4000; do
	read -r rc kib < <(maxrss "${a%%:*}" run --quiet --set sim.ram_mb="${a#*:}" "$FIRMWARE/${a%%:*}/hello.elf")
	expect_eq "${a%%:*} exit status" "$rc" 0
	[ "$kib" -lt $((256 * 1024)) ] || fail "${a%%:*}: ${a#*:} MiB guest: peak RSS $kib KiB, expected < 256 MiB"
done
# 16 GiB of address space refused (ulimit -v is in KiB): exit 3, one line.
rc=0
(ulimit -v $((4 * 1024 * 1024)); "$HVSIM" run --quiet --set sim.ram_mb=16384 "$FIRMWARE/arm64/hello.elf") \
	>"$T/limit.out" 2>"$T/limit.err" || rc=$?
expect_eq "refused reservation: exit status" "$rc" 3
expect_eq "refused reservation: stderr lines" "$(wc -l <"$T/limit.err")" 1
grep -qF "17179869184 bytes" "$T/limit.err" && grep -qF "sim.ram_mb = 16384" "$T/limit.err" ||
	fail "refused reservation: message lacks the size or ram_mb: $(cat "$T/limit.err")"
echo ok
