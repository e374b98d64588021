#!/bin/sh
# Issue 13's tables: memory-access efficiency of gups per design and
# footprint, and exits per dirtied page per dirty-logging method, on both
# machines (tools/mem-tables.py; needs the translation model and Unicorn 2.1).
# usage: experiments/memory/run.sh [HVSIM]   (from the source tree's top)
set -eu
hvsim=${1:-./hvsim}
mkdir -p docs/results/memory
rc=0
"$hvsim" run -q --set mmu.model=on --max-insns 1 firmware/arm64/hello.elf >/dev/null 2>&1 || rc=$?
if [ "$rc" = 5 ]; then
	echo "experiments/memory: skipped: the translation model needs Unicorn 2.1" >&2
	exit 0
fi
python3 tools/mem-tables.py --hvsim "$hvsim" --footprints 4M,64M --dirty-footprint 4M \
	--out docs/results/memory/tables.md
