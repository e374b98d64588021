#!/bin/sh
# Runs libFuzzer targets built by 'make fuzz' and prints one line per target:
# PASS (no finding in the time given) or FAIL with the reproducer's path and
# the report.  Exits 1 if any target failed.
#
# usage: tests/fuzz/run.sh OBJDIR SECONDS NAME...
#
# Target NAME is OBJDIR/tests/fuzz/NAME.  It reads its seeds from
# tests/fuzz/corpus/NAME (never written) and keeps what it finds in
# OBJDIR/corpus/NAME, which later runs start from; reproducers go to
# OBJDIR/artifacts/NAME/.  SECONDS = 0 runs until the first finding.
# FUZZ_ARGS adds libFuzzer options (e.g. FUZZ_ARGS=-seed=1).
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 OBJDIR SECONDS NAME..." >&2
	exit 2
fi
# Absolute paths: a target may change directory (cli does).
objdir=$(cd "$1" 2>/dev/null && pwd) || { echo "run.sh: no directory $1" >&2; exit 2; }
top=$PWD
secs=$2
shift 2
case $secs in
'' | *[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a number of seconds, not '$secs'" >&2; exit 2 ;;
esac

# A single input that runs longer than this is a hang.
timeout=20
# Leaks in third-party libraries only; never hvsim's own.
supp=
[ ! -f tests/lsan.supp ] || supp=suppressions=$top/tests/lsan.supp:print_suppressions=0

# Temporary files of the targets (cli's directory, left behind by a crash).
mkdir -p "$objdir/tmp"
export TMPDIR="$objdir/tmp"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="$supp"

rc=0
for t in "$@"; do
	bin=$objdir/tests/fuzz/$t
	work=$objdir/corpus/$t
	art=$objdir/artifacts/$t
	log=$objdir/logs/$t.log
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$t: $bin was not built"
		rc=1
		continue
	fi
	mkdir -p "$work" "$art" "${log%/*}"
	dict=
	[ ! -f "tests/fuzz/$t.dict" ] || dict=-dict=$top/tests/fuzz/$t.dict
	seeds=
	[ ! -d "tests/fuzz/corpus/$t" ] || seeds=$top/tests/fuzz/corpus/$t
	# -close_fd_mask=3: the target's own stdout/stderr (hvsim's messages) are
	# discarded; libFuzzer's and the sanitizers' reports still reach the log.
	# shellcheck disable=SC2086 # FUZZ_ARGS is a word list
	if "$bin" -max_total_time="$secs" -timeout=$timeout -close_fd_mask=3 \
	    -artifact_prefix="$art/" $dict ${FUZZ_ARGS:-} "$work" $seeds >"$log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
		echo "PASS fuzz/$t (${runs:-?} inputs in $secs s, corpus $(ls "$work" | wc -l) files)"
	else
		rc=1
		unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		if [ -n "$unit" ]; then
			# Once more with the target's own output, which says which
			# promise broke (libFuzzer's log has it discarded).
			echo "FAIL fuzz/$t; the reproducer's output:"
			"$bin" -timeout=$timeout "$unit" 2>&1 | grep -v '^INFO:' | sed 's/^/    /' | tail -n 60
			echo "fuzz/$t: reproduce with: $bin $unit"
		else
			echo "FAIL fuzz/$t; its report:"
			grep -v '^#[0-9]' "$log" | grep -v '^INFO:' | sed 's/^/    /' | tail -n 60
			echo "fuzz/$t: no reproducer written; whole log in $log"
		fi
	fi
done
exit $rc
