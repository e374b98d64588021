/* The block hook's clock (cpu/vcpu.h run_milli, run_limit): the fast path
 * adds block costs in thousandths with no carry, and must take a block
 * exactly when the whole-cycle clock is below the bound, as the clock kept
 * in cycles and thousandths (the model before it) would. */
#include <string.h>

#include "cpu/vcpu.h"
#include "tests/unit/unit.h"

/* What vcpu_block's fast path does with a known block. */
static bool fast_block(struct vcpu *v, uint64_t cost_milli)
{
	if (v->run_milli >= v->run_limit)
		return false;
	v->run_milli += cost_milli;
	return true;
}

static void at(struct vcpu *v, cycles_t clock, uint64_t milli, cycles_t bound)
{
	memset(v, 0, sizeof *v);
	v->sc.clock = clock;
	v->run_milli = milli;
	v->sc.bound = bound;
	vcpu_clock_arm(v);
}

static void test_bound_edges(void)
{
	static struct vcpu v;
	/* 100.999 cycles, bound 105: 4.000 more reach 104.999 (below: the
	 * next block runs), 4.001 reach 105 */
	at(&v, 100, 999, 105);
	CU_ASSERT_TRUE(fast_block(&v, 4000));
	vcpu_clock_sync(&v);
	CU_ASSERT_EQUAL(v.sc.clock, 104);
	CU_ASSERT_EQUAL(v.run_milli, 999);
	vcpu_clock_arm(&v);   /* a sync moved the origin: the limit follows */
	CU_ASSERT_TRUE(fast_block(&v, 1));
	CU_ASSERT_FALSE(fast_block(&v, 1));
	at(&v, 100, 999, 105);
	CU_ASSERT_TRUE(fast_block(&v, 4001));
	CU_ASSERT_FALSE(fast_block(&v, 1));   /* at 105.000: the slow path looks */
	vcpu_clock_sync(&v);
	CU_ASSERT_EQUAL(v.sc.clock, 105);
	CU_ASSERT_EQUAL(v.run_milli, 0);
	/* at or past the bound: no block at all */
	at(&v, 105, 0, 105);
	CU_ASSERT_FALSE(fast_block(&v, 1));
	at(&v, 200, 500, 105);
	CU_ASSERT_FALSE(fast_block(&v, 1));
	/* sync is idempotent and keeps the thousandths */
	at(&v, 7, 0, 1000);
	CU_ASSERT_TRUE(fast_block(&v, 2500));
	vcpu_clock_sync(&v);
	vcpu_clock_sync(&v);
	CU_ASSERT_EQUAL(v.sc.clock, 9);
	CU_ASSERT_EQUAL(v.run_milli, 500);
}

/* A far bound (the slice end at UINT64_MAX) is cut, not overflowed: the
 * fast path stops early, and the slow path's sync and arm go on from there. */
static void test_far_bound(void)
{
	static struct vcpu v;
	at(&v, UINT64_MAX - (1ull << 52), 0, UINT64_MAX);
	CU_ASSERT_EQUAL(v.run_limit, (1ull << 50) * 1000);
	v.run_milli = v.run_limit - 1;
	CU_ASSERT_TRUE(fast_block(&v, 10000000));
	CU_ASSERT_FALSE(fast_block(&v, 1));
	vcpu_clock_sync(&v);
	vcpu_clock_arm(&v);
	CU_ASSERT_EQUAL(v.sc.clock, UINT64_MAX - (1ull << 52) + (1ull << 50) + 9999);
	CU_ASSERT_EQUAL(v.run_milli, 999);
	vcpu_clock_arm(&v);   /* a sync moved the origin: the limit follows */
	CU_ASSERT_TRUE(fast_block(&v, 1));
}

/* Random block costs and bounds against the clock kept the old way
 * (cycles and thousandths, one carry a block): the same blocks taken, the
 * same clock after every sync. */
static void test_against_carry(void)
{
	static struct vcpu v;
	uint64_t seed = 0x243f6a8885a308d3ull;
	for (int round = 0; round < 2000; round++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		cycles_t clock = seed >> 40, bound = clock + (seed >> 20 & 0xfff);
		uint32_t milli = (uint32_t)(seed % 1000);
		at(&v, clock, milli, bound);
		for (;;) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint64_t cost = seed >> 33 & 0x3fff;   /* 0 to 16.383 cycles */
			bool take = clock < bound;
			CU_ASSERT_EQUAL_FATAL(fast_block(&v, cost), take);
			if (!take)
				break;
			milli += (uint32_t)(cost % 1000);
			clock += cost / 1000 + (milli >= 1000);
			milli %= 1000;
		}
		vcpu_clock_sync(&v);
		CU_ASSERT_EQUAL_FATAL(v.sc.clock, clock);
		CU_ASSERT_EQUAL_FATAL(v.run_milli, milli);
	}
}

static CU_TestInfo tests[] = {
	{ "fast path takes a block exactly below the bound", test_bound_edges },
	{ "a far bound is cut, not overflowed", test_far_bound },
	{ "same blocks and clock as one carry a block", test_against_carry },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("vcpu_clock", tests); }
