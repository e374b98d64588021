#!/usr/bin/env bash
# Runs the integration tests tests/integration/*.sh (or only the NAMEs given)
# and prints one line per test: PASS, FAIL or SKIP and its name.  A failed
# test's captured output follows its FAIL line.  Exits 1 if any test failed.
#
# usage: HVSIM=path/to/hvsim tests/run-integration.sh [NAME...]
#
# Each test is a bash script run from the source root with stdin from
# /dev/null and these variables set:
#   HVSIM     absolute path of the hvsim binary under test
#   FIRMWARE  absolute path of the firmware directory (default $TOP/firmware)
#   TOP       absolute path of the source root
#   TMPDIR    a fresh empty directory for this test, removed afterwards
# Exit status 0 = pass, 77 = skipped (its last output line says why), any
# other = fail.  A test also fails when a sanitizer reports an error in any
# program it ran, whatever its exit status: ASan/LSan reports go to files
# (so the test sees stderr as it would without sanitizers); UBSan reports are
# found in the test's output and in the files it wrote under TMPDIR.  TEST_TIMEOUT
# (seconds, default 600) bounds each test.
set -uo pipefail

abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$PWD" "$1" ;;
	esac
}

if [ -z "${HVSIM:-}" ]; then
	echo "run-integration: set HVSIM to the hvsim binary to test" >&2
	exit 2
fi
TOP=$(abspath "${TOP:-$(cd "$(dirname "$0")/.." && pwd)}")
HVSIM=$(abspath "$HVSIM")
FIRMWARE=$(abspath "${FIRMWARE:-$TOP/firmware}")
timeout_s=${TEST_TIMEOUT:-600}
if [ ! -x "$HVSIM" ]; then
	echo "run-integration: HVSIM=$HVSIM is not an executable file" >&2
	exit 2
fi

tests=()
if [ $# -gt 0 ]; then
	for name in "$@"; do
		t=$TOP/tests/integration/${name%.sh}.sh
		if [ ! -f "$t" ]; then
			echo "run-integration: no test $t" >&2
			exit 2
		fi
		tests+=("$t")
	done
else
	shopt -s nullglob
	tests=("$TOP"/tests/integration/*.sh)
	shopt -u nullglob
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-integration.XXXXXX") || exit 2
trap 'rm -rf "$root"' EXIT
trap 'exit 130' INT TERM

# "file.c:12:5: runtime error: ..."
ubsan_re='^[^ ]+:[0-9]+:[0-9]+: runtime error: '

pass=0
fail=0
skip=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	work=$root/$name
	mkdir -p "$work/tmp" "$work/san"
	# log_path sends sanitizer reports to $work/san/{asan,ubsan}.PID.
	(
		cd "$TOP" || exit 1
		export HVSIM FIRMWARE TOP TMPDIR=$work/tmp
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$work/san/asan"
		export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$work/san/ubsan"
		exec timeout -k 10 "$timeout_s" bash "$t"
	) </dev/null >"$work/out" 2>&1
	rc=$?
	san_reports=$(find "$work/san" -type f | sort)
	# UBSan ignores log_path when combined with ASan (gcc 12): look for its
	# reports in the output and in whatever the test wrote under TMPDIR.
	if grep -qsE "$ubsan_re" "$work/out" || grep -rqsE "$ubsan_re" "$work/tmp"; then
		grep -hrsE -A12 "$ubsan_re" "$work/out" "$work/tmp" >"$work/san/ubsan" || :
		san_reports=$(find "$work/san" -type f | sort)
	fi
	if [ $rc = 0 ] && [ -z "$san_reports" ]; then
		pass=$((pass + 1))
		echo "PASS $name"
	elif [ $rc = 77 ] && [ -z "$san_reports" ]; then
		skip=$((skip + 1))
		why=$(tail -n 1 "$work/out")
		echo "SKIP $name${why:+: $why}"
	else
		fail=$((fail + 1))
		if [ -n "$san_reports" ]; then
			why="sanitizer report, exit status $rc"
		elif [ $rc = 124 ]; then
			why="timed out after $timeout_s s"
		else
			why="exit status $rc"
		fi
		echo "FAIL $name ($why); its output:"
		sed 's/^/    /' "$work/out"
		for f in $san_reports; do
			echo "    --- ${f##*/}:"
			sed 's/^/    /' "$f"
		done
	fi
	rm -rf "$work"
done

echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
