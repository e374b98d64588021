#!/usr/bin/env bash
# Same inputs, same outputs, byte for byte — with the translation model on,
# where costs follow Unicorn's TLB fills: Unicorn resizes its TLB by
# wall-clock windows at each flush, which hvsim's gettimeofday makes a fixed
# step per call (cpu/vcpu.c).  Without it these runs differ now and then.
. "$(dirname "$0")/lib.bash"
unicorn=$("$HVSIM" --version | awk '/^Unicorn / { print $2 }')
case $unicorn in 2.0.*) echo "the translation model needs Unicorn 2.1 (this is $unicorn)"; exit 77 ;; esac
for g in arm64/microbench arm64/dirty x86/dirty; do
	n=${g//\//-}
	for i in 1 2 3; do
		run "$n-$i" 0 --set mmu.model=on "$FIRMWARE/$g.elf"
	done
	for i in 2 3; do
		cmp -s "$T/$n-1.out" "$T/$n-$i.out" || fail "$g: run $i printed something else than run 1"
		cmp -s "$T/$n-1.json" "$T/$n-$i.json" || fail "$g: run $i's statistics differ from run 1's"
	done
done
echo ok
