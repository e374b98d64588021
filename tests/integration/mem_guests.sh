#!/usr/bin/env bash
# The memory-virtualization guests (firmware/lib/gups.h, dirty.h) under hvsim.
# Checksums are pinned to QEMU's runs of the same guests (mem_qemu_diff.sh
# compares them live): GUPS over 1 MiB with 20000 updates, 64 pages of dirty
# over 2 rounds.  The footprint arrives through the design keys guest.arg*
# (ARG hypercall): a guest that ignored them would print another checksum.
# With the translation model (mmu.model, Unicorn 2.1) also: nested paging
# walks, and 2M/1G stage-2 pages need fewer walk references than 4K ones.
. "$(dirname "$0")/lib.bash"
GUPS_SUM=0x3107c05591a9f15e          # 1 MiB, 20000 updates (QEMU 7.2 TCG, arm64 and x86)
DIRTY_SUM=0x7024c52f407f2ca5         # 256 KiB, 2 rounds, 2 stores per page (QEMU 7.2 TCG)
gups_args=(--set guest.arg0=1M --set guest.arg1=20000)
dirty_args=(--set guest.arg0=256K --set guest.arg1=2 --set guest.arg3=2)
one=(--set sim.vcpus=1)
for a in arm64 x86; do
	# x86 1G stage-1 pages need CPUID Page1GB, which Unicorn's CPU lacks
	leaves="4K 2M"; [ $a = x86 ] || leaves+=" 1G"
	for leaf in $leaves; do
		run gups-$a-$leaf 0 "${one[@]}" "${gups_args[@]}" --set guest.arg2=$leaf "$FIRMWARE/$a/gups.elf"
		grep -qF "gups: checksum $GUPS_SUM" "$T/gups-$a-$leaf.out" || { cat "$T/gups-$a-$leaf.out"; fail "gups $a $leaf: checksum"; }
		grep -qF "gups: verification 0 errors" "$T/gups-$a-$leaf.out" || fail "gups $a $leaf: verification"
		grep -qF "stage 1 $leaf pages" "$T/gups-$a-$leaf.out" || fail "gups $a $leaf: page size not taken"
	done
	run dirty-$a 0 "${one[@]}" "${dirty_args[@]}" "$FIRMWARE/$a/dirty.elf"
	grep -qF "dirty: checksum $DIRTY_SUM" "$T/dirty-$a.out" || { cat "$T/dirty-$a.out"; fail "dirty $a: checksum"; }
	expect_eq "dirty $a rounds" "$(grep -c 'pages written' "$T/dirty-$a.out")" 2
	grep -qF "dirty: round 2: 64 pages written" "$T/dirty-$a.out" || fail "dirty $a: page count"
	# bad parameters: exit status 2 with a message, not a crash
	run badleaf-$a 2 "${one[@]}" --set guest.arg2=8K "$FIRMWARE/$a/gups.elf"
	grep -q "page size 8192 is not" "$T/badleaf-$a.out" || fail "gups $a: bad page size message"
done
# ARM knows its RAM size (DTB): a footprint beyond it is refused.
run toobig 2 --set guest.arg0=1G "$FIRMWARE/arm64/gups.elf"
grep -q "the machine has up to" "$T/toobig.out" || fail "gups: footprint beyond RAM not refused"

# ---- with the translation model ----
# (not "| grep -q": under pipefail hvsim may die of SIGPIPE when grep quits)
if ! "$HVSIM" config --list --arch arm64 2>/dev/null | grep -c '^mmu\.stage2 ' >/dev/null; then
	echo "no translation model in this hvsim (mmu.stage2)"; exit 77
fi
if ! "$HVSIM" --version 2>/dev/null | grep -ci 'unicorn 2\.[1-9]' >/dev/null; then
	echo "the translation model needs Unicorn 2.1"; exit 77
fi
# walk references of a run (the model's vcpus[i].mmu.walk_refs_recorded)
refs() { j "$1" "sum(c.get('mmu', {}).get('walk_refs_recorded', 0) for c in d['vcpus'])"; }
for a in arm64 x86; do
	for s in 4k 2m 1g; do
		run nested-$a-$s 0 --design designs/mem-nested-$s.ini "${gups_args[@]}" "$FIRMWARE/$a/gups.elf"
		grep -qF "gups: checksum $GUPS_SUM" "$T/nested-$a-$s.out" || fail "nested $a $s: checksum"
	done
	r4=$(refs nested-$a-4k) r2=$(refs nested-$a-2m) r1=$(refs nested-$a-1g)
	[ "$r4" -gt 0 ] || fail "$a: no walk references under nested paging"
	[ "$r2" -lt "$r4" ] || fail "$a: 2M stage-2 pages need $r2 walk references, 4K $r4 (expected fewer)"
	[ "$r1" -le "$r2" ] || fail "$a: 1G stage-2 pages need $r1 walk references, 2M $r2 (expected no more)"
	# A second stage adds cost: translations cached while the guest's MMU
	# was off must not serve it once its MMU is on (that once made 1G nested
	# paging 2.4x as fast as native).  16M: beyond the TLBs' reach.
	for d in native nested-1g; do
		run big-$a-$d 0 --design designs/mem-$d.ini --set guest.arg0=16M --set guest.arg1=20000 "$FIRMWARE/$a/gups.elf"
	done
	upd() { sed -n 's/^gups: update cycles \([0-9]*\).*/\1/p' "$T/big-$a-$1.out"; }
	n=$(upd native) c1=$(upd nested-1g)
	[ -n "$n" ] && [ "$((c1 * 100))" -ge "$((n * 99))" ] ||
		fail "$a: the updates took $c1 cycles under nested paging with 1G pages, $n native"
done
echo ok
