/* A64 load/store addressing for alignment faults (cpu/decode.c
 * a64_decode_ldst).  Encodings from llvm-mc -triple=aarch64 -show-encoding
 * (an assembler, not hvsim); expected fields from the Arm ARM C4.1.66 and
 * each instruction's description (offsets scaled by the access size,
 * post-index addresses the base alone, exclusive pairs aligned as a whole). */
#include "cpu/decode.h"
#include "unit.h"

struct want {
	uint32_t insn;
	const char *text;
	unsigned rn, rm, extend, shift;
	bool use_rm, add_offset, write, exclusive;
	int64_t imm;
	unsigned align;
};

static const struct want cases[] = {
	{ 0xf9400420, "ldr x0, [x1, #8]", 1, 0, 0, 0, false, true, false, false, 8, 8 },
	{ 0xb81f0fe2, "str w2, [sp, #-16]!", 31, 0, 0, 0, false, true, true, false, -16, 4 },
	{ 0xf8410483, "ldr x3, [x4], #16", 4, 0, 0, 0, false, false, false, false, 16, 8 },
	{ 0xf86778c5, "ldr x5, [x6, x7, lsl #3]", 6, 7, 3, 3, true, true, false, false, 0, 8 },
	{ 0xb86ac928, "ldr w8, [x9, w10, sxtw]", 9, 10, 6, 0, true, true, false, false, 0, 4 },
	{ 0xa9ba7bfd, "stp x29, x30, [sp, #-96]!", 31, 0, 0, 0, false, true, true, false, -96, 8 },
	{ 0xa8c20861, "ldp x1, x2, [x3], #32", 3, 0, 0, 0, false, false, false, false, 32, 8 },
	{ 0xc85f7c20, "ldxr x0, [x1]", 1, 0, 0, 0, false, false, false, true, 0, 8 },
	{ 0xc802fc83, "stlxr w2, x3, [x4]", 4, 0, 0, 0, false, false, true, true, 0, 8 },
	{ 0xc87f0440, "ldxp x0, x1, [x2]", 2, 0, 0, 0, false, false, false, true, 0, 16 },
	{ 0xf85fd041, "ldur x1, [x2, #-3]", 2, 0, 0, 0, false, true, false, false, -3, 8 },
};

static void test_decode(void)
{
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct want *w = &cases[i];
		struct a64_ldst d;
		CU_ASSERT_TRUE_FATAL(a64_decode_ldst(w->insn, &d));
		bool ok = d.rn == w->rn && d.use_rm == w->use_rm && d.add_offset == w->add_offset && d.write == w->write &&
			  d.exclusive == w->exclusive && d.align == w->align && (w->use_rm ?
			  d.rm == w->rm && d.extend == w->extend && d.shift == w->shift : d.imm == w->imm);
		if (!ok)
			fprintf(stderr, "%s: rn %u rm %u ext %u sh %u use_rm %d add %d w %d excl %d imm %lld align %u\n",
				w->text, d.rn, d.rm, d.extend, d.shift, d.use_rm, d.add_offset, d.write, d.exclusive,
				(long long)d.imm, d.align);
		CU_ASSERT_TRUE(ok);
	}
}

static void test_not_ldst(void)
{
	struct a64_ldst d;
	CU_ASSERT_FALSE(a64_decode_ldst(0x3dc00020, &d));   /* ldr q0, [x1]: FP/SIMD */
	CU_ASSERT_FALSE(a64_decode_ldst(0x58000080, &d));   /* ldr x0, #16: literal */
	CU_ASSERT_FALSE(a64_decode_ldst(0xd503201f, &d));   /* nop */
	CU_ASSERT_FALSE(a64_decode_ldst(0x8b020020, &d));   /* add x0, x1, x2 */
}

static CU_TestInfo tests[] = {
	{ "addressing of loads and stores", test_decode },
	{ "not general loads/stores", test_not_ldst },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("a64_ldst", tests); }
