#!/usr/bin/env bash
# Mutation testing: measures how many plausible single-line bugs the fast
# test suite (make check-fast) catches.
#
# usage: tests/mutate.sh [-k] [-l LIST] [-o N[,N...]] [-j JOBS]
#   -l LIST   mutant list (default tests/mutants.txt)
#   -o N,...  run only these mutants (1-based line numbers among the mutants)
#   -j JOBS   make -j for the builds (default 2)
#   -k        keep the scratch tree (its path is printed)
#   (or: make mutate [MUTATE_ARGS="-o 3,7"])
#
# The working tree is never modified: the tracked and untracked-but-not-
# ignored files are copied to a scratch directory, built once (hvsim, unit
# tests, firmware) and checked once unmutated (that run must pass).  Then
# each mutant in turn: its file is edited in the scratch tree, rebuilt
# incrementally, the tests of `make check-fast` run (unit tests, then each
# integration test; MUTATE_TIMEOUT s per test, default 120) until the first
# failure, and the file is restored.  Stopping at the first failure gives the
# verdict `make check-fast` would give, in a fraction of the time.
#
# Mutant list format: one mutant per line, three TAB-separated fields
#   FILE <TAB> ORIGINAL <TAB> REPLACEMENT [<TAB> # comment]
# ORIGINAL is an exact fragment of one line of FILE that occurs exactly once
# in the file; it is replaced by REPLACEMENT.  Fragments cannot contain tabs.
# Blank lines and lines starting with '#' are ignored.
#
# Results, one line per mutant:
#   KILLED    the suite failed: the bug would have been caught
#   SURVIVED  the suite passed with the bug in place
#   STALE     ORIGINAL not found (or found more than once): the list needs
#             updating; never silently skipped
#   NOBUILD   the mutant does not compile (not a plausible bug: fix the list)
# Score = killed / (killed + survived).  Exit status: 0 if no mutant was
# stale or failed to build, 1 otherwise, 2 on a usage or set-up error.
# Recorded scores are in tests/README.md.
set -uo pipefail

# The whole script is one compound command, parsed before it runs: editing
# this file during a (long) run cannot change what the run executes.
{
TOP=$(cd "$(dirname "$0")/.." && pwd)
list=$TOP/tests/mutants.txt
only=
jobs=2
keep=0
while getopts "l:o:j:k" opt; do
	case $opt in
	l) list=$(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG") ;;
	o) only=,$OPTARG, ;;
	j) jobs=$OPTARG ;;
	k) keep=1 ;;
	*) sed -n '4,10p' "$0" >&2; exit 2 ;;
	esac
done
timeout_s=${MUTATE_TIMEOUT:-120}
[ -f "$list" ] || { echo "mutate: no mutant list $list" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-mutate.XXXXXX") || exit 2
cleanup() { if [ $keep = 1 ]; then echo "mutate: scratch tree kept in $scratch"; else rm -rf "$scratch"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
log=$scratch/log

# ---- scratch copy of the tree (never build or edit in the working tree)
echo "mutate: copying the tree to $scratch/src"
mkdir -p "$scratch/src"
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -cf - -T - 2>/dev/null) | tar -xf - -C "$scratch/src" || exit 2
else
	(cd "$TOP" && tar --exclude=./build --exclude=./build-san -cf - .) | tar -xf - -C "$scratch/src" || exit 2
fi
src=$scratch/src
cd "$src" || exit 2

echo "mutate: configure and build (make -j$jobs), firmware, unmutated check"
if ! { ./configure && make -j"$jobs" && make -j"$jobs" firmware; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "mutate: the unmutated tree does not build" >&2
	exit 2
fi
units=$(for f in tests/unit/test_*.c; do f=${f%.c}; printf 'build/%s ' "$f"; done)
if ! make -s check-fast TEST_TIMEOUT="$timeout_s" >"$log" 2>&1; then
	grep -E '^(FAIL|unit:|integration:)' "$log" >&2
	echo "mutate: the unmutated tree fails make check-fast: fix that first" >&2
	exit 2
fi

# apply FILE ORIGINAL REPLACEMENT: edits FILE in place; prints the number of
# occurrences of ORIGINAL found (the edit is made only when it is 1) and the
# line it is on.
apply() {
	python3 - "$@" <<'EOF'
import sys
path, orig, repl = sys.argv[1:4]
try:
    text = open(path, encoding="utf-8").read()
except OSError:
    print(-1)
    sys.exit(0)
n = text.count(orig)
line = 0
if n == 1:
    line = text[:text.index(orig)].count("\n") + 1
    open(path, "w", encoding="utf-8").write(text.replace(orig, repl, 1))
print(n, line)
EOF
}

# check_fast: the tests of make check-fast, stopping at the first failure;
# prints the failing test's name.  Unit tests first: they are the fastest.
check_fast() {
	local t
	for t in build/tests/unit/test_*; do
		case $t in *.o | *.d | *.log) continue ;; esac
		timeout -k 5 "$timeout_s" "$t" </dev/null >/dev/null 2>&1 || { echo "${t##*/}"; return 1; }
	done
	for t in $itests; do
		HVSIM=$src/build/hvsim TEST_TIMEOUT=$timeout_s bash tests/run-integration.sh "${t%.sh}" \
			>/dev/null 2>&1 || { echo "${t%.sh}"; return 1; }
	done
	return 0
}

# Integration tests, the short model-pinning ones first (they kill most
# front-end mutants), then the rest: the order changes only the time taken.
itests=$(cd tests/integration && ls calibration.sh syndromes_*.sh timing_*.sh exits_*.sh 2>/dev/null; ls *.sh)
itests=$(printf '%s\n' $itests | awk '!seen[$0]++')

killed=0 survived=0 stale=0 nobuild=0 idx=0
survivors=()
while IFS= read -r line <&3 || [ -n "$line" ]; do
	case $line in '' | '#'*) continue ;; esac
	idx=$((idx + 1))
	if [ -n "$only" ] && [[ $only != *",$idx,"* ]]; then
		continue
	fi
	IFS=$'\t' read -r file orig repl comment <<<"$line"
	comment=${comment#\# }
	what="#$idx $file: '$orig'"
	if [ -z "${file:-}" ] || [ -z "${orig:-}" ]; then
		echo "STALE    $what (malformed line)"
		stale=$((stale + 1))
		continue
	fi
	cp -p "$file" "$scratch/orig" 2>/dev/null || { echo "STALE    $what (no such file)"; stale=$((stale + 1)); continue; }
	read -r n at < <(apply "$file" "$orig" "${repl:-}")
	if [ "$n" != 1 ]; then
		echo "STALE    $what (found $n times)"
		stale=$((stale + 1))
		continue
	fi
	touch "$file"
	what="#$idx $file:$at ${comment:-'$orig' -> '$repl'}"
	if ! make -s -j"$jobs" all $units >"$log" 2>&1; then
		echo "NOBUILD  $what"
		nobuild=$((nobuild + 1))
	elif by=$(check_fast); then
		echo "SURVIVED $what"
		survived=$((survived + 1))
		survivors+=("$idx")
	else
		echo "KILLED   $what (by $by)"
		killed=$((killed + 1))
	fi
	# Restore with a new mtime so that make rebuilds the unmutated object.
	cp "$scratch/orig" "$file"
	touch "$file"
done 3<"$list"

total=$((killed + survived))
if [ $total -gt 0 ]; then
	score=$(awk -v k=$killed -v t=$total 'BEGIN { printf "%.0f", 100 * k / t }')
else
	score=0
fi
echo "mutate: $killed killed, $survived survived, $stale stale, $nobuild not building; score $killed/$total = $score%"
[ ${#survivors[@]} -gt 0 ] && echo "mutate: survivors: ${survivors[*]} (rerun them with -o $(IFS=,; echo "${survivors[*]}"))"
[ $stale = 0 ] && [ $nobuild = 0 ]
exit
}
