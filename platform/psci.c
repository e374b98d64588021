/* PSCI state machine.  See psci.h; function semantics from ARM DEN 0022D ch. 5. */
#include "platform/psci.h"
#include "platform/hvsim-abi.h"

void psci_init(struct psci *p, unsigned ncpus, uint64_t ram_base, uint64_t ram_size)
{
	*p = (struct psci){ .ncpus = ncpus, .ram_base = ram_base, .ram_size = ram_size };
	p->state[0] = PSCI_CPU_ON;   /* the boot CPU */
}

uint64_t psci_mpidr(unsigned cpu)
{
	return ((uint64_t)(cpu / 16) << 8) | (cpu % 16);
}

/* target_cpu and target_affinity hold MPIDR affinity fields only: Aff3
 * [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]; bits [63:40] and [31:24]
 * must be zero (DEN 0022D 5.1, CPU_ON and AFFINITY_INFO arguments).  KVM's
 * kvm_psci_valid_affinity() rejects the same bits with INVALID_PARAMETERS. */
#define MPIDR_AFFINITY_BITS 0xff00ffffffULL

/* MPIDR affinity -> CPU index; -1 if no such CPU.  hvsim's CPUs have Aff1 and
 * Aff0 only, so every other bit must be zero. */
static int cpu_of_mpidr(const struct psci *p, uint64_t mpidr)
{
	uint64_t aff0 = mpidr & 0xff, aff1 = (mpidr >> 8) & 0xff;
	if ((mpidr & ~0xffffULL) || aff0 >= 16)
		return -1;
	uint64_t cpu = aff1 * 16 + aff0;
	return cpu < p->ncpus ? (int)cpu : -1;
}

static bool is_psci_fn(uint32_t fn)
{
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION: case PSCI_0_2_FN_CPU_SUSPEND: case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON: case PSCI_0_2_FN_AFFINITY_INFO: case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET: case PSCI_1_0_FN_PSCI_FEATURES:
	/* SMC32 forms of the 64-bit functions (DEN 0022D 5.1: both conventions exist) */
	case PSCI_0_2_FN_CPU_SUSPEND & ~0x40000000U: case PSCI_0_2_FN_CPU_ON & ~0x40000000U:
	case PSCI_0_2_FN_AFFINITY_INFO & ~0x40000000U:
		return true;
	}
	return false;
}

/* An entry point: a word in RAM (A64 instructions are 4-byte aligned). */
static bool entry_ok(const struct psci *p, uint64_t entry)
{
	return entry >= p->ram_base && entry - p->ram_base < p->ram_size && !(entry & 3);
}

static int64_t cpu_on(struct psci *p, const uint64_t x[4], struct psci_result *r)
{
	int t = cpu_of_mpidr(p, x[1]);
	if (t < 0)
		return PSCI_RET_INVALID_PARAMS;
	if (!entry_ok(p, x[2]))
		return PSCI_RET_INVALID_ADDRESS;
	if (p->state[t] == PSCI_CPU_ON)
		return PSCI_RET_ALREADY_ON;
	if (p->state[t] == PSCI_CPU_ON_PENDING)
		return PSCI_RET_ON_PENDING;
	p->state[t] = PSCI_CPU_ON_PENDING;
	r->act = PSCI_ACT_CPU_ON;
	r->target = (unsigned)t;
	r->entry = x[2];
	r->context = x[3];
	return PSCI_RET_SUCCESS;
}

/* power_state in the original format (DEN 0022D 5.4, "power_state"), the
 * one PSCI_FEATURES advertises (CPU_SUSPEND flags bit 1 clear): StateID
 * [15:0], StateType [16] (1: powerdown), PowerLevel [25:24]; bits [31:26] and
 * [23:17] are reserved, must be zero: INVALID_PARAMETERS otherwise.  StateID
 * and PowerLevel values are IMPLEMENTATION DEFINED: hvsim accepts them all and
 * stands by whatever was asked, as KVM does (a powerdown request may be
 * treated as standby, DEN 0022A 5.4.2 as KVM's psci.c cites it).  A powerdown
 * request must still name a valid entry point (INVALID_ADDRESS). */
#define PSCI_POWER_STATE_RESERVED  0xfcfe0000U
#define PSCI_POWER_STATE_POWERDOWN (1U << 16)

static int64_t cpu_suspend(const struct psci *p, const uint64_t x[4], struct psci_result *r)
{
	uint32_t state = (uint32_t)x[1];   /* a uint32 argument in both conventions */
	if (state & PSCI_POWER_STATE_RESERVED)
		return PSCI_RET_INVALID_PARAMS;
	if ((state & PSCI_POWER_STATE_POWERDOWN) && !entry_ok(p, x[2]))
		return PSCI_RET_INVALID_ADDRESS;
	r->act = PSCI_ACT_SUSPEND;
	return PSCI_RET_SUCCESS;
}

static int64_t affinity_info(const struct psci *p, const uint64_t x[4])
{
	uint64_t level = x[2];
	if (level > 3 || (x[1] & ~MPIDR_AFFINITY_BITS))
		return PSCI_RET_INVALID_PARAMS;
	/* Level n ignores affinity fields below n: ON if any matching CPU is on. */
	uint64_t mask = 0xff00ffffffULL & ~((1ULL << (8 * level)) - 1);
	if (level == 3)
		mask = 0xff00000000ULL;
	bool any = false, pending = false;
	for (unsigned c = 0; c < p->ncpus; c++) {
		if ((psci_mpidr(c) & mask) != (x[1] & mask))
			continue;
		any = true;
		if (p->state[c] == PSCI_CPU_ON)
			return PSCI_AFFINITY_ON;
		pending |= p->state[c] == PSCI_CPU_ON_PENDING;
	}
	if (!any)
		return PSCI_RET_INVALID_PARAMS;
	return pending ? PSCI_AFFINITY_ON_PENDING : PSCI_AFFINITY_OFF;
}

bool psci_call(struct psci *p, unsigned caller, const uint64_t x[4], struct psci_result *r)
{
	uint32_t fn = (uint32_t)x[0];
	*r = (struct psci_result){ .act = PSCI_ACT_NONE };
	if (fn == SMCCC_VERSION_FN) {
		r->x0 = SMCCC_VERSION_1_1;
		return true;
	}
	if (!is_psci_fn(fn))
		return false;
	p->calls++;
	/* SMC32 calls take 32-bit arguments */
	uint64_t a[4] = { x[0], x[1], x[2], x[3] };
	if (!(fn & 0x40000000U))
		for (int i = 1; i < 4; i++)
			a[i] &= 0xffffffffULL;

	switch (fn | 0x40000000U) {
	case PSCI_0_2_FN_PSCI_VERSION | 0x40000000U:
		r->x0 = PSCI_VERSION_1_1;
		break;
	case PSCI_0_2_FN_CPU_ON:
		r->x0 = cpu_on(p, a, r);
		break;
	case PSCI_0_2_FN_CPU_OFF | 0x40000000U:
		if (caller >= p->ncpus) {
			r->x0 = PSCI_RET_INTERNAL_FAILURE;
			break;
		}
		p->state[caller] = PSCI_CPU_OFF;
		r->act = PSCI_ACT_CPU_OFF;
		r->x0 = PSCI_RET_SUCCESS;
		break;
	case PSCI_0_2_FN_CPU_SUSPEND:
		r->x0 = cpu_suspend(p, a, r);
		break;
	case PSCI_0_2_FN_AFFINITY_INFO:
		r->x0 = affinity_info(p, a);
		break;
	case PSCI_0_2_FN_SYSTEM_OFF | 0x40000000U:
		r->act = PSCI_ACT_SYSTEM_OFF;
		break;
	case PSCI_0_2_FN_SYSTEM_RESET | 0x40000000U:
		r->act = PSCI_ACT_SYSTEM_RESET;
		break;
	case PSCI_1_0_FN_PSCI_FEATURES | 0x40000000U: {
		uint32_t q = (uint32_t)a[1];
		/* 0 for CPU_SUSPEND too (5.15.2): original power_state format
		 * (bit 1 clear), platform-coordinated mode only (bit 0 clear). */
		r->x0 = (is_psci_fn(q) || q == SMCCC_VERSION_FN) ? 0 : PSCI_RET_NOT_SUPPORTED;
		break;
	}
	default:
		r->x0 = PSCI_RET_NOT_SUPPORTED;
	}
	if (r->x0 < 0 && !(fn == PSCI_1_0_FN_PSCI_FEATURES))
		p->errors++;
	return true;
}

void psci_cpu_started(struct psci *p, unsigned cpu)
{
	if (cpu < p->ncpus)
		p->state[cpu] = PSCI_CPU_ON;
}
