#!/usr/bin/env bash
# Hostile guests that hvsim does not pass yet, each for a defect this suite
# found (not in issue 5 when written): the test recognises each defect's
# exact symptom and ends as SKIP naming the defects still there; any other
# outcome fails, and a fixed defect's check then passes or fails on its own.
# Remove each `known` once its fix is merged.
. "$(dirname "$0")/hostile.bash"

# Waits for a fix: hvsim's decoded-block cache is keyed by address and size,
# so code rewritten to the same size keeps its old decoding, and an RDMSR
# that was a NOP gets no hook (no exit, Unicorn's value).
guest selfmod_msr 120 "$X86/selfmod_msr.elf"
known selfmod_msr 1 'nop rewritten into rdmsr' "decoded-block cache stale after self-modifying code" || {
	expect selfmod_msr 0 out '^selfmod_msr: done, 0 failures'
	expect_stat selfmod_msr "d['exits']['MSR_READ']" 1
}

finish
