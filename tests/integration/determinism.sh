#!/usr/bin/env bash
# Same inputs, same outputs, byte for byte: console, summary and every statistic.
. "$(dirname "$0")/lib.bash"
for a in arm64 x86; do
	for i in 1 2; do
		"$HVSIM" run --stats "$T/$a.$i.json" --stats-format json "$FIRMWARE/$a/hello.elf" >"$T/$a.$i.out"
	done
	cmp "$T/$a.1.out" "$T/$a.2.out" || fail "$a: console/summary differ between runs"
	cmp "$T/$a.1.json" "$T/$a.2.json" || fail "$a: statistics differ between runs"
done
echo ok
