# Shared by the hostile_*.sh tests (sourced; not a test itself).  They run
# the hostile guests of firmware/{arm64,x86}/hostile/ and check that each
# ends with its defined exit status and message, within a bounded time.
#
# Known defects: a check may first ask `known`, which recognises the exact
# symptom of a defect that is being fixed elsewhere (issue 5) and records it
# instead of failing; the test then ends as SKIP naming every such defect.
# Any other wrong outcome fails.  Remove a `known` once its fix is merged.
. "$(dirname "$0")/lib.bash"
A64=$FIRMWARE/arm64/hostile
X86=$FIRMWARE/x86/hostile
known_defects=()
# The Unicorn hvsim runs with, as major.minor (hvsim --version): some outcomes
# differ between 2.0 and 2.1 (see the tests that ask).
unicorn=$("$HVSIM" --version | awk '/^Unicorn / { split($2, v, "."); print v[1] "." v[2] }')
unicorn_21() { [ "${unicorn%%.*}" -gt 2 ] || { [ "${unicorn%%.*}" = 2 ] && [ "${unicorn#*.}" -ge 1 ]; }; }

# guest NAME SECONDS ELF [hvsim args...]: runs hvsim on ELF with 128 MiB of
# RAM (the checks name addresses at its end), killed after SECONDS (status
# 124: hvsim hung); status in $rc, output in $T/NAME.*
guest() {
	local name=$1 secs=$2 elf=$3
	shift 3
	[ -f "$elf" ] || fail "$elf is missing: run make firmware"
	rc=0
	timeout -k 5 "$secs" "$HVSIM" run -q --set sim.ram_mb=128 --stats "$T/$name.json" --stats-format json "$@" "$elf" \
		>"$T/$name.out" 2>"$T/$name.err" || rc=$?
}

show() { sed "s/^/    $1: /" "$T/$1.out" "$T/$1.err" >&2; }

# expect NAME STATUS [out|err ERE]...: exit status STATUS and, in stdout or
# stderr, a line matching each ERE.
expect() {
	local name=$1 want=$2
	shift 2
	[ "$rc" = "$want" ] || { show "$name"; fail "$name: exit status $rc, expected $want"; }
	while [ $# -ge 2 ]; do
		grep -aqE -- "$2" "$T/$name.$1" || { show "$name"; fail "$name: no line matching '$2' on std$1"; }
		shift 2
	done
	echo "$name: ok"
}

# known NAME STATUS ERE WHY: true (and WHY recorded) if the run shows the
# known defect: exit status STATUS, a line of its output matching ERE (if
# given), and every FAIL line the guest printed matching ERE.
known() {
	local name=$1 status=$2 ere=$3 why=$4
	[ "$rc" = "$status" ] || return 1
	if [ -n "$ere" ]; then
		grep -aqE -- "$ere" "$T/$name.out" "$T/$name.err" || return 1
		! grep -a '^FAIL' "$T/$name.out" | grep -avE -- "$ere" >/dev/null || return 1
	fi
	echo "$name: KNOWN DEFECT, waiting for its fix: $why"
	known_defects+=("$name ($why)")
}

# expect_stat NAME PYEXPR WANT: a value from the run's JSON statistics
expect_stat() { expect_eq "$1: $2" "$(j "$1" "$2")" "$3"; }

finish() {
	if [ ${#known_defects[@]} -gt 0 ]; then
		echo "all other checks passed; known defects not fixed yet: ${known_defects[*]}"
		exit 77
	fi
	echo ok
}

# guest_fault NAME ELF VCPU ADDRESS_ERE [KNOWN_STATUS KNOWN_ERE WHY]: a guest
# that prints "NAME: ..." and must then stop as a guest fault: exit status 4
# with the vCPU and the address on stderr, bounded by --max-insns and a
# 20-second timeout (for a hang in which no instruction completes).  The
# optional last three arguments name a known defect, as for `known`.
guest_fault() {
	local name=$1 elf=$2 vcpu=$3 addr=$4
	guest "$name" 20 "$elf" --max-insns 10000000
	if [ $# -ge 7 ] && known "$name" "$5" "$6" "$7"; then
		return 0
	fi
	expect "$name" 4 out "^$name: " err "$vcpu" err "$addr"
}
