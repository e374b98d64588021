/* The exit mix and the random sequence of the synthetic traces
 * (bench/gen_trace.c: text, bench/gen_tracedat.c: trace.dat): the same
 * seed gives both the same exits. */
#ifndef HVSIM_BENCH_GEN_MIX_H
#define HVSIM_BENCH_GEN_MIX_H
#include <stdint.h>

struct reason {
	unsigned num;
	const char *name;
};

/* Weighted like a typical I/O-heavy guest: EPT violations, MSR writes
 * (x2APIC ICR, TSC deadline), HLT, external interrupts, I/O. */
static const struct reason mix[] = {
	{ 48, "EPT_VIOLATION" }, { 48, "EPT_VIOLATION" }, { 32, "MSR_WRITE" }, { 32, "MSR_WRITE" }, { 12, "HLT" },
	{ 1, "EXTERNAL_INTERRUPT" }, { 30, "IO_INSTRUCTION" }, { 49, "EPT_MISCONFIG" }, { 10, "CPUID" },
	{ 7, "INTERRUPT_WINDOW" }, { 40, "PAUSE_INSTRUCTION" }, { 44, "APIC_ACCESS" },
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;	/* xorshift64 */
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#endif
