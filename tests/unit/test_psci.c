/* PSCI 1.1 state machine (ARM DEN 0022D ch. 5) and SMCCC_VERSION (ARM DEN 0028).
 * Every call goes through psci_call() exactly as the machine makes it. */
#include <string.h>

#include "platform/hvsim-abi.h"
#include "platform/psci.h"
#include "tests/unit/unit.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (128ULL << 20)

/* SMC32 forms (DEN 0022D 5.1, Table 5-1: bit 30 clear) */
#define FN32_CPU_SUSPEND   0x84000001U
#define FN32_CPU_ON        0x84000003U
#define FN32_AFFINITY_INFO 0x84000004U

/* Calls fn(a1, a2, a3) from `caller`; returns psci_call's verdict, result in *r.
 * The result is pre-filled with garbage so a field psci_call forgets to set shows. */
static bool call(struct psci *p, unsigned caller, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		 struct psci_result *r)
{
	const uint64_t x[4] = { fn, a1, a2, a3 };
	memset(r, 0xa5, sizeof *r);
	return psci_call(p, caller, x, r);
}

/* x0 of a call that must be handled */
static int64_t x0_of(struct psci *p, unsigned caller, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct psci_result r;
	CU_ASSERT_TRUE(call(p, caller, fn, a1, a2, a3, &r));
	return r.x0;
}

static void test_mpidr(void)
{
	/* Clusters of 16: Aff0 = cpu % 16 [7:0], Aff1 = cpu / 16 [15:8] */
	CU_ASSERT_EQUAL(psci_mpidr(0), 0x0);
	CU_ASSERT_EQUAL(psci_mpidr(15), 0xf);
	CU_ASSERT_EQUAL(psci_mpidr(16), 0x100);
	CU_ASSERT_EQUAL(psci_mpidr(17), 0x101);
	CU_ASSERT_EQUAL(psci_mpidr(511), 0x1f0f);
}

static void test_init(void)
{
	struct psci p;
	memset(&p, 0xff, sizeof p);
	psci_init(&p, 4, RAM_BASE, RAM_SIZE);
	CU_ASSERT_EQUAL(p.ncpus, 4);
	CU_ASSERT_EQUAL(p.ram_base, RAM_BASE);
	CU_ASSERT_EQUAL(p.ram_size, RAM_SIZE);
	CU_ASSERT_EQUAL(p.state[0], PSCI_CPU_ON);    /* the boot CPU */
	CU_ASSERT_EQUAL(p.state[1], PSCI_CPU_OFF);
	CU_ASSERT_EQUAL(p.state[3], PSCI_CPU_OFF);
	CU_ASSERT_EQUAL(p.calls, 0);
	CU_ASSERT_EQUAL(p.errors, 0);
}

static void test_versions(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);

	CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, &r));
	CU_ASSERT_EQUAL(r.x0, 0x10001);              /* major 1 [31:16], minor 1 [15:0] */
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_NONE);

	/* Only W0 carries the function ID (SMCCC): upper bits of x0 are ignored. */
	CU_ASSERT_EQUAL(x0_of(&p, 0, 0xffffffff00000000ULL | PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), 0x10001);

	CU_ASSERT_TRUE(call(&p, 1, SMCCC_VERSION_FN, 0, 0, 0, &r));
	CU_ASSERT_EQUAL(r.x0, 0x10001);              /* SMCCC v1.1 */
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_NONE);
	/* SMCCC_VERSION is not a PSCI function: not counted */
	CU_ASSERT_EQUAL(p.calls, 2);
	CU_ASSERT_EQUAL(p.errors, 0);
}

static void test_cpu_on(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 4, RAM_BASE, RAM_SIZE);

	CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_ON, 1, RAM_BASE + 0x80000, 0xdeadbeefcafef00dULL, &r));
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_CPU_ON);
	CU_ASSERT_EQUAL(r.target, 1);
	CU_ASSERT_EQUAL(r.entry, RAM_BASE + 0x80000);
	CU_ASSERT_EQUAL(r.context, 0xdeadbeefcafef00dULL);
	CU_ASSERT_EQUAL(p.state[1], PSCI_CPU_ON_PENDING);
	CU_ASSERT_EQUAL(p.state[2], PSCI_CPU_OFF);

	/* Until the target runs, a second CPU_ON says ON_PENDING and starts nothing. */
	CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_ON, 1, RAM_BASE + 0x1000, 7, &r));
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_ON_PENDING);
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_NONE);
	CU_ASSERT_EQUAL(p.state[1], PSCI_CPU_ON_PENDING);

	psci_cpu_started(&p, 1);
	CU_ASSERT_EQUAL(p.state[1], PSCI_CPU_ON);
	CU_ASSERT_TRUE(call(&p, 2, PSCI_0_2_FN_CPU_ON, 1, RAM_BASE + 0x1000, 7, &r));
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_ALREADY_ON);
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_NONE);
	/* The boot CPU is on from reset. */
	CU_ASSERT_EQUAL(x0_of(&p, 1, PSCI_0_2_FN_CPU_ON, 0, RAM_BASE, 0), PSCI_RET_ALREADY_ON);

	/* The last CPU, at the last word of RAM: accepted. */
	CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_ON, 3, RAM_BASE + RAM_SIZE - 4, 0, &r));
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(r.target, 3);

	/* psci_cpu_started ignores CPUs that do not exist. */
	psci_cpu_started(&p, 4);
	CU_ASSERT_EQUAL(p.state[4], PSCI_CPU_OFF);

	CU_ASSERT_EQUAL(p.calls, 5);
	CU_ASSERT_EQUAL(p.errors, 3);
}

static void test_cpu_on_invalid_params(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 32, RAM_BASE, RAM_SIZE);   /* two full clusters: 0x000-0x00f, 0x100-0x10f */

	static const uint64_t bad_mpidr[] = {
		0x10,            /* Aff0 = 16: would be CPU 16 if Aff0 were not checked */
		0x1f,            /* Aff0 = 31 */
		0x200,           /* cluster 2: CPU 32 does not exist */
		0x10001,         /* Aff2 = 1: would be CPU 1 if Aff2 were ignored */
		0x100000001ULL,  /* Aff3 = 1 */
		/* Bits that are not affinity fields must be zero (DEN 0022D 5.1). */
		0x80000001ULL,   /* bit 31 (RES1 in MPIDR_EL1, not in target_cpu) */
		0x01000001ULL,   /* bit 24 (MT) */
		0x10000000001ULL, /* bit 40 */
		0x8000000000000001ULL,
	};
	for (unsigned i = 0; i < sizeof bad_mpidr / sizeof bad_mpidr[0]; i++) {
		CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_ON, bad_mpidr[i], RAM_BASE, 0, &r));
		CU_ASSERT_EQUAL(r.x0, PSCI_RET_INVALID_PARAMS);
		CU_ASSERT_EQUAL(r.act, PSCI_ACT_NONE);
	}
	for (unsigned c = 1; c < 32; c++)
		CU_ASSERT_EQUAL(p.state[c], PSCI_CPU_OFF);

	/* The same cluster addressing done right: 0x10f is CPU 31. */
	CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_ON, 0x10f, RAM_BASE, 0, &r));
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(r.target, 31);
	CU_ASSERT_EQUAL(p.errors, 9);
}

static void test_cpu_on_invalid_address(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);

	static const uint64_t bad_entry[] = {
		0,                          /* below RAM */
		RAM_BASE - 4,               /* just below RAM */
		RAM_BASE + RAM_SIZE,        /* just past RAM */
		~0ULL & ~3ULL,              /* far past: RAM_BASE + RAM_SIZE must not wrap */
		RAM_BASE + 2,               /* in RAM, not word-aligned */
		RAM_BASE + 0x1001,
	};
	for (unsigned i = 0; i < sizeof bad_entry / sizeof bad_entry[0]; i++) {
		CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_ON, 1, bad_entry[i], 0, &r));
		CU_ASSERT_EQUAL(r.x0, PSCI_RET_INVALID_ADDRESS);
		CU_ASSERT_EQUAL(r.act, PSCI_ACT_NONE);
		CU_ASSERT_EQUAL(p.state[1], PSCI_CPU_OFF);
	}
	CU_ASSERT_EQUAL(p.calls, 6);
	CU_ASSERT_EQUAL(p.errors, 6);
}

static void test_cpu_on_smc32(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 4, RAM_BASE, RAM_SIZE);

	/* SMC32: only the low 32 bits of each argument count.  Untruncated, the
	 * MPIDR would have Aff3 set and be rejected. */
	CU_ASSERT_TRUE(call(&p, 0, FN32_CPU_ON, 0xffffffff00000002ULL, 0xabcdef0040001000ULL,
			    0x1234567800000042ULL, &r));
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_CPU_ON);
	CU_ASSERT_EQUAL(r.target, 2);
	CU_ASSERT_EQUAL(r.entry, 0x40001000);
	CU_ASSERT_EQUAL(r.context, 0x42);
	CU_ASSERT_EQUAL(p.state[2], PSCI_CPU_ON_PENDING);

	/* The SMC64 form keeps all 64 bits: the same MPIDR is invalid there. */
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_ON, 0xffffffff00000003ULL, RAM_BASE, 0),
			PSCI_RET_INVALID_PARAMS);
	CU_ASSERT_EQUAL(p.state[3], PSCI_CPU_OFF);
}

static void test_cpu_off_and_suspend(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);

	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_ON, 1, RAM_BASE, 0), PSCI_RET_SUCCESS);
	psci_cpu_started(&p, 1);

	CU_ASSERT_TRUE(call(&p, 1, PSCI_0_2_FN_CPU_OFF, 0, 0, 0, &r));
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_CPU_OFF);
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(p.state[1], PSCI_CPU_OFF);
	CU_ASSERT_EQUAL(p.state[0], PSCI_CPU_ON);    /* only the caller goes off */

	/* Off again, it can be started again. */
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_ON, 1, RAM_BASE + 0x100, 0), PSCI_RET_SUCCESS);

	/* CPU_SUSPEND: every power state is standby, in both conventions */
	CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, 0x10000, RAM_BASE, 0, &r));
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_SUSPEND);
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
	CU_ASSERT_TRUE(call(&p, 0, FN32_CPU_SUSPEND, 0, 0, 0, &r));
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_SUSPEND);
	CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(p.state[0], PSCI_CPU_ON);
}

/* power_state, original format (DEN 0022D 5.4): StateID [15:0], StateType
 * [16], PowerLevel [25:24]; bits [31:26] and [23:17] reserved, must be zero. */
static void test_cpu_suspend_power_state(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);

	/* PSCI_FEATURES(CPU_SUSPEND) = 0: original format (bit 1 clear), no OS-initiated mode (bit 0). */
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_1_0_FN_PSCI_FEATURES, PSCI_0_2_FN_CPU_SUSPEND, 0, 0), 0);
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_1_0_FN_PSCI_FEATURES, FN32_CPU_SUSPEND, 0, 0), 0);

	/* Each bit alone: the 19 field bits are accepted, the 13 reserved ones rejected. */
	unsigned ok = 0, bad = 0;
	for (unsigned bit = 0; bit < 32; bit++) {
		bool reserved = (bit >= 17 && bit <= 23) || bit >= 26;
		CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, 1ULL << bit, RAM_BASE, 0, &r));
		CU_ASSERT_EQUAL(r.x0, reserved ? PSCI_RET_INVALID_PARAMS : PSCI_RET_SUCCESS);
		CU_ASSERT_EQUAL(r.act, reserved ? PSCI_ACT_NONE : PSCI_ACT_SUSPEND);
		ok += r.x0 == PSCI_RET_SUCCESS;
		bad += r.x0 == PSCI_RET_INVALID_PARAMS;
	}
	CU_ASSERT_EQUAL(ok, 19);
	CU_ASSERT_EQUAL(bad, 13);
	CU_ASSERT_EQUAL(p.errors, 13);
	/* Every field at its maximum, powerdown at level 3: valid. */
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, 0x0301ffff, RAM_BASE, 0), PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, 0xffffffff, RAM_BASE, 0), PSCI_RET_INVALID_PARAMS);
	/* power_state is a uint32 in both conventions: the upper half of x1 is not part of it. */
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, 0xffffffff00000000ULL, RAM_BASE, 0),
			PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, FN32_CPU_SUSPEND, 0xffffffff00000001ULL, 0, 0), PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, FN32_CPU_SUSPEND, 0x00800000, 0, 0), PSCI_RET_INVALID_PARAMS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, FN32_CPU_SUSPEND, 0x04000000, 0, 0), PSCI_RET_INVALID_PARAMS);
}

/* A powerdown state resumes at entry_point_address: it must be a word in RAM.
 * A standby state returns where it was called, so its entry is never looked at. */
static void test_cpu_suspend_entry(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);
	const uint64_t down = 0x10000, standby = 0;

	static const uint64_t bad_entry[] = {
		0, RAM_BASE - 4, RAM_BASE + RAM_SIZE, ~0ULL & ~3ULL, RAM_BASE + 2, RAM_BASE + RAM_SIZE - 1,
	};
	for (unsigned i = 0; i < sizeof bad_entry / sizeof bad_entry[0]; i++) {
		CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, down, bad_entry[i], 0, &r));
		CU_ASSERT_EQUAL(r.x0, PSCI_RET_INVALID_ADDRESS);
		CU_ASSERT_EQUAL(r.act, PSCI_ACT_NONE);
		CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, standby, bad_entry[i], 0, &r));
		CU_ASSERT_EQUAL(r.x0, PSCI_RET_SUCCESS);
		CU_ASSERT_EQUAL(r.act, PSCI_ACT_SUSPEND);
	}
	CU_ASSERT_EQUAL(p.errors, 6);
	/* First and last word of RAM */
	CU_ASSERT_EQUAL(x0_of(&p, 1, PSCI_0_2_FN_CPU_SUSPEND, down, RAM_BASE, 0), PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(x0_of(&p, 1, PSCI_0_2_FN_CPU_SUSPEND, down, RAM_BASE + RAM_SIZE - 4, 0), PSCI_RET_SUCCESS);
	/* SMC32: the entry is truncated to 32 bits before the check. */
	CU_ASSERT_EQUAL(x0_of(&p, 0, FN32_CPU_SUSPEND, down, 0xabcd000040001000ULL, 0), PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_SUSPEND, down, 0xabcd000040001000ULL, 0),
			PSCI_RET_INVALID_ADDRESS);
}

static void test_system_off_reset(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);

	CU_ASSERT_TRUE(call(&p, 0, PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0, &r));
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_SYSTEM_OFF);
	CU_ASSERT_TRUE(call(&p, 1, PSCI_0_2_FN_SYSTEM_RESET, 0, 0, 0, &r));
	CU_ASSERT_EQUAL(r.act, PSCI_ACT_SYSTEM_RESET);
	CU_ASSERT_EQUAL(p.calls, 2);
	CU_ASSERT_EQUAL(p.errors, 0);
}

static void test_affinity_info(void)
{
	struct psci p;
	psci_init(&p, 20, RAM_BASE, RAM_SIZE);   /* cluster 0: CPUs 0-15, cluster 1: CPUs 16-19 */
	const uint64_t ai = PSCI_0_2_FN_AFFINITY_INFO;

	/* Level 0: one CPU */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x000, 0, 0), PSCI_AFFINITY_ON);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x001, 0, 0), PSCI_AFFINITY_OFF);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x103, 0, 0), PSCI_AFFINITY_OFF);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x104, 0, 0), PSCI_RET_INVALID_PARAMS);  /* CPU 20 */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x010, 0, 0), PSCI_RET_INVALID_PARAMS);  /* Aff0 16 */

	/* Level 1: the cluster, Aff0 ignored */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x100, 1, 0), PSCI_AFFINITY_OFF);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x0ff, 1, 0), PSCI_AFFINITY_ON);         /* cluster 0 has CPU 0 */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x200, 1, 0), PSCI_RET_INVALID_PARAMS);

	CU_ASSERT_EQUAL(x0_of(&p, 0, PSCI_0_2_FN_CPU_ON, 0x101, RAM_BASE, 0), PSCI_RET_SUCCESS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x101, 0, 0), PSCI_AFFINITY_ON_PENDING);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x100, 0, 0), PSCI_AFFINITY_OFF);       /* its neighbour */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x1ff, 1, 0), PSCI_AFFINITY_ON_PENDING);
	psci_cpu_started(&p, 17);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x101, 0, 0), PSCI_AFFINITY_ON);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x105, 1, 0), PSCI_AFFINITY_ON);

	/* Level 2 compares Aff2 and Aff3; level 3 only Aff3 */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x00ffff, 2, 0), PSCI_AFFINITY_ON);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x010000, 2, 0), PSCI_RET_INVALID_PARAMS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0xffffff, 3, 0), PSCI_AFFINITY_ON);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x100000000ULL, 3, 0), PSCI_RET_INVALID_PARAMS);
	/* Bits outside the affinity fields must be zero, at every level. */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x80000000ULL, 0, 0), PSCI_RET_INVALID_PARAMS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x01000000ULL, 1, 0), PSCI_RET_INVALID_PARAMS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x10000000000ULL, 3, 0), PSCI_RET_INVALID_PARAMS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0xff00ffffffULL, 3, 0), PSCI_RET_INVALID_PARAMS); /* no Aff3 = 0xff */
	/* No level 4 (DEN 0022D 5.1.8: Lowest Affinity Level 0..3) */
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0, 4, 0), PSCI_RET_INVALID_PARAMS);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0, 0x100000000ULL, 0), PSCI_RET_INVALID_PARAMS);

	/* SMC32: level 0x100000000 truncates to 0, the target to 0x001 */
	CU_ASSERT_EQUAL(x0_of(&p, 0, FN32_AFFINITY_INFO, 0xffffffff00000001ULL, 0x100000000ULL, 0),
			PSCI_AFFINITY_OFF);
	CU_ASSERT_EQUAL(x0_of(&p, 0, FN32_AFFINITY_INFO, 0x101, 0, 0), PSCI_AFFINITY_ON);

	/* CPU_OFF shows up at every level that covers the CPU */
	struct psci_result r;
	CU_ASSERT_TRUE(call(&p, 17, PSCI_0_2_FN_CPU_OFF, 0, 0, 0, &r));
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x101, 0, 0), PSCI_AFFINITY_OFF);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x100, 1, 0), PSCI_AFFINITY_OFF);
	CU_ASSERT_EQUAL(x0_of(&p, 0, ai, 0x100, 2, 0), PSCI_AFFINITY_ON);        /* CPU 0 still on */
}

static void test_features(void)
{
	struct psci p;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);
	const uint64_t pf = PSCI_1_0_FN_PSCI_FEATURES;

	static const uint32_t known[] = {
		PSCI_0_2_FN_PSCI_VERSION, PSCI_0_2_FN_CPU_SUSPEND, FN32_CPU_SUSPEND, PSCI_0_2_FN_CPU_OFF,
		PSCI_0_2_FN_CPU_ON, FN32_CPU_ON, PSCI_0_2_FN_AFFINITY_INFO, FN32_AFFINITY_INFO,
		PSCI_0_2_FN_SYSTEM_OFF, PSCI_0_2_FN_SYSTEM_RESET, PSCI_1_0_FN_PSCI_FEATURES,
		SMCCC_VERSION_FN,   /* DEN 0028: discovered through PSCI_FEATURES */
	};
	for (unsigned i = 0; i < sizeof known / sizeof known[0]; i++)
		CU_ASSERT_EQUAL(x0_of(&p, 0, pf, known[i], 0, 0), 0);

	static const uint64_t unknown[] = {
		0xC4000005,   /* MIGRATE */
		0x84000006,   /* MIGRATE_INFO_TYPE */
		0xC400000E,   /* SYSTEM_SUSPEND */
		0xC4000000,   /* PSCI_VERSION has no SMC64 form */
		0xC4000002,   /* nor CPU_OFF */
		0x80000001,   /* SMCCC_ARCH_FEATURES */
		HVSIM_HC_A64_PING,
		0x100000000ULL | PSCI_0_2_FN_CPU_ON,   /* not a 32-bit ID: truncated, it is CPU_ON */
	};
	for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0] - 1; i++)
		CU_ASSERT_EQUAL(x0_of(&p, 0, pf, unknown[i], 0, 0), PSCI_RET_NOT_SUPPORTED);
	CU_ASSERT_EQUAL(x0_of(&p, 0, pf, unknown[7], 0, 0), 0);

	/* A NOT_SUPPORTED answer to a feature query is not an error of the caller. */
	CU_ASSERT_EQUAL(p.calls, 12 + 8);
	CU_ASSERT_EQUAL(p.errors, 0);
}

static void test_not_psci(void)
{
	struct psci p;
	struct psci_result r;
	psci_init(&p, 2, RAM_BASE, RAM_SIZE);

	/* Left to the caller: hvsim hypercalls, SMCCC arch calls, PSCI functions
	 * this implementation lacks (the caller answers SMCCC NOT_SUPPORTED, -1,
	 * which is also PSCI NOT_SUPPORTED), SMC64 forms of SMC32-only functions. */
	static const uint64_t fns[] = {
		HVSIM_HC_A64_PING, HVSIM_HC_A64_EXIT, 0x80000001, 0x80008000,
		0x84000005, 0x84000006, 0xC4000007, 0xC400000E, 0x84000012, 0x8400001F,
		0xC4000000, 0xC4000008, 0xC400000A, 0x00000000, 0xffffffff,
	};
	for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++)
		CU_ASSERT_FALSE(call(&p, 0, fns[i], 1, RAM_BASE, 0, &r));
	CU_ASSERT_EQUAL(p.calls, 0);
	CU_ASSERT_EQUAL(p.errors, 0);
	CU_ASSERT_EQUAL(p.state[1], PSCI_CPU_OFF);
}

static CU_TestInfo tests[] = {
	{ "MPIDR of CPU 0, 15, 16, 17, 511", test_mpidr },
	{ "init: boot CPU on, others off", test_init },
	{ "PSCI_VERSION and SMCCC_VERSION", test_versions },
	{ "CPU_ON, ON_PENDING, ALREADY_ON", test_cpu_on },
	{ "CPU_ON with unknown MPIDRs", test_cpu_on_invalid_params },
	{ "CPU_ON with bad entry points", test_cpu_on_invalid_address },
	{ "CPU_ON SMC32 truncates arguments", test_cpu_on_smc32 },
	{ "CPU_OFF and CPU_SUSPEND", test_cpu_off_and_suspend },
	{ "CPU_SUSPEND power_state format", test_cpu_suspend_power_state },
	{ "CPU_SUSPEND powerdown entry point", test_cpu_suspend_entry },
	{ "SYSTEM_OFF and SYSTEM_RESET", test_system_off_reset },
	{ "AFFINITY_INFO levels 0-3 and beyond", test_affinity_info },
	{ "PSCI_FEATURES", test_features },
	{ "functions left to the caller", test_not_psci },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("psci", tests);
}
