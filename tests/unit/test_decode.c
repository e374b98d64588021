/* Block decoder: classification, sizes, costs, x86 specials, the cache.
 * Instruction bytes come from clang-14 -c + llvm-objdump -d. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "cpu/decode.h"
#include "tests/unit/unit.h"

/* Distinct per class, so a misclassified instruction changes the sum. */
static const uint32_t cpi[IC_COUNT] = {
	[IC_ALU] = 1000, [IC_MULDIV] = 3100, [IC_LOAD] = 4200, [IC_STORE] = 2300,
	[IC_BRANCH] = 1700, [IC_FP] = 5300, [IC_SYSTEM] = 20900,
};

static void put32(uint8_t *p, uint32_t w)
{
	p[0] = (uint8_t)w;
	p[1] = (uint8_t)(w >> 8);
	p[2] = (uint8_t)(w >> 16);
	p[3] = (uint8_t)(w >> 24);
}

/* Decodes from an exactly-sized heap copy, so ASan sees any read past size. */
static const struct dblock *decode_copy(struct decode_cache *dc, uint64_t addr, const uint8_t *code, uint32_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, code, size);
	const struct dblock *b = decode_block(dc, addr, buf, size);
	free(buf);
	return b;
}

static uint64_t expected_cost(const struct dblock *b)
{
	uint64_t c = 0;
	for (int k = 0; k < IC_COUNT; k++)
		c += (uint64_t)b->nclass[k] * cpi[k];
	return c;
}

static void test_a64_block(void)
{
	static const uint32_t words[] = {
		0x8b020020, /* add x0, x1, x2 */
		0xf9400403, /* ldr x3, [x0, #8] */
		0xb9000004, /* str w4, [x0] */
		0xa9411be5, /* ldp x5, x6, [sp, #16] */
		0xad000420, /* stp q0, q1, [x1] */
		0x9b097d07, /* mul x7, x8, x9 */
		0x1e622820, /* fadd d0, d1, d2 */
		0xd50342df, /* msr daifset, #2 */
		0xd4000002, /* hvc #0 */
		0x54000001, /* b.ne . */
	};
	uint8_t code[sizeof words];
	struct decode_cache *dc = decode_cache_new(ISA_A64, cpi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	for (unsigned i = 0; i < 10; i++)
		put32(code + 4 * i, words[i]);
	const struct dblock *b = decode_copy(dc, 0x40080000, code, sizeof code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->addr, 0x40080000);
	CU_ASSERT_EQUAL(b->size, 40);
	CU_ASSERT_EQUAL(b->ninsns, 10);
	CU_ASSERT_EQUAL(b->nclass[IC_ALU], 1);
	CU_ASSERT_EQUAL(b->nclass[IC_LOAD], 2);
	CU_ASSERT_EQUAL(b->nclass[IC_STORE], 2);
	CU_ASSERT_EQUAL(b->nclass[IC_MULDIV], 1);
	CU_ASSERT_EQUAL(b->nclass[IC_FP], 1);
	CU_ASSERT_EQUAL(b->nclass[IC_SYSTEM], 2);
	CU_ASSERT_EQUAL(b->nclass[IC_BRANCH], 1);
	/* ldr x 8 + str w 4 + ldp 2x8 + stp 2x16 */
	CU_ASSERT_EQUAL(b->mem_bytes, 8 + 4 + 16 + 32);
	CU_ASSERT_EQUAL(b->cost_milli, 1000 + 2 * 4200 + 2 * 2300 + 3100 + 5300 + 2 * 20900 + 1700);
	CU_ASSERT_FALSE(b->undecodable);
	CU_ASSERT_EQUAL(b->nspecials, 0);
	CU_ASSERT_PTR_NULL(b->specials);
	decode_cache_free(dc);
}

struct one {
	uint32_t word;          /* A64 encoding */
	enum insn_class c;
	uint32_t mem;
	const char *what;
};

static void test_a64_each(void)
{
	static const struct one t[] = {
		{ 0x39400041, IC_LOAD, 1, "ldrb w1, [x2]" },
		{ 0xb9800041, IC_LOAD, 4, "ldrsw x1, [x2]" },
		{ 0x79400441, IC_LOAD, 2, "ldrh w1, [x2, #2]" },
		{ 0xbc5fc020, IC_LOAD, 4, "ldur s0, [x1, #-4]" },
		{ 0xc85f7c20, IC_LOAD, 8, "ldxr x0, [x1]" },
		{ 0xc8027c23, IC_STORE, 8, "stxr w2, x3, [x1] (status register first)" },
		{ 0x0802fc23, IC_STORE, 1, "stlxrb w2, w3, [x1]" },
		{ 0x88dffc20, IC_LOAD, 4, "ldar w0, [x1]" },
		{ 0xc89ffc20, IC_STORE, 8, "stlr x0, [x1]" },
		{ 0x4c40a000, IC_LOAD, 32, "ld1 {v0.16b, v1.16b}, [x0]" },
		{ 0x4c9f7820, IC_STORE, 16, "st1 {v0.4s}, [x1], #16" },
		{ 0x0d409000, IC_LOAD, 4, "ld1 {v0.s}[1], [x0]" },
		{ 0x4d40c800, IC_LOAD, 4, "ld1r {v0.4s}, [x0]" },
		{ 0x0c400000, IC_LOAD, 32, "ld4 {v0.8b-v3.8b}, [x0]" },
		{ 0xf9800000, IC_ALU, 0, "prfm pldl1keep, [x0]" },
		{ 0x69400440, IC_LOAD, 8, "ldpsw x0, x1, [x2]" },
		{ 0x6c400440, IC_LOAD, 16, "ldnp d0, d1, [x2]" },
		{ 0xc8200861, IC_STORE, 16, "stxp w0, x1, x2, [x3]" },
		{ 0xf81f0fff, IC_STORE, 8, "str xzr, [sp, #-16]!" },
		{ 0x58000040, IC_LOAD, 8, "ldr x0, <literal>" },
		{ 0x9b020c20, IC_MULDIV, 0, "madd x0, x1, x2, x3" },
		{ 0x9b227c20, IC_MULDIV, 0, "smull x0, w1, w2" },
		{ 0x9bc27c20, IC_MULDIV, 0, "umulh x0, x1, x2" },
		{ 0x1ac20c20, IC_MULDIV, 0, "sdiv w0, w1, w2" },
		{ 0x4ea29c20, IC_FP, 0, "mul v0.4s, v1.4s, v2.4s (SIMD, not muldiv)" },
		{ 0x4ea11c20, IC_FP, 0, "mov v0.16b, v1.16b" },
		{ 0x9e620020, IC_FP, 0, "scvtf d0, x1" },
		{ 0x9e660000, IC_FP, 0, "fmov x0, d0" },
		{ 0xd5381000, IC_SYSTEM, 0, "mrs x0, sctlr_el1" },
		{ 0xd5033fdf, IC_SYSTEM, 0, "isb" },
		{ 0xd5033f9f, IC_SYSTEM, 0, "dsb sy" },
		{ 0xd5033bbf, IC_SYSTEM, 0, "dmb ish" },
		{ 0xd69f03e0, IC_SYSTEM, 0, "eret" },
		{ 0xd508871f, IC_SYSTEM, 0, "tlbi vmalle1" },
		{ 0xd50b7e20, IC_SYSTEM, 0, "dc civac, x0" },
		{ 0xd508751f, IC_SYSTEM, 0, "ic iallu" },
		{ 0xd5087800, IC_SYSTEM, 0, "at s1e1r, x0" },
		{ 0xd4200020, IC_SYSTEM, 0, "brk #1" },
		{ 0xd4400000, IC_SYSTEM, 0, "hlt #0" },
		{ 0xd4000001, IC_SYSTEM, 0, "svc #0" },
		{ 0xd4000003, IC_SYSTEM, 0, "smc #0" },
		{ 0xd503207f, IC_SYSTEM, 0, "wfi" },
		{ 0xd503205f, IC_SYSTEM, 0, "wfe" },
		{ 0xb4000000, IC_BRANCH, 0, "cbz x0, ." },
		{ 0x37180000, IC_BRANCH, 0, "tbnz w0, #3, ." },
		{ 0x94000000, IC_BRANCH, 0, "bl ." },
		{ 0xd61f0000, IC_BRANCH, 0, "br x0" },
		{ 0xd63f0020, IC_BRANCH, 0, "blr x1" },
		{ 0xd65f03c0, IC_BRANCH, 0, "ret" },
		{ 0x14000000, IC_BRANCH, 0, "b ." },
		{ 0x910043ff, IC_ALU, 0, "add sp, sp, #16" },
		{ 0xd503201f, IC_ALU, 0, "nop" },
	};
	struct decode_cache *dc = decode_cache_new(ISA_A64, cpi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t code[4];
		uint32_t len = 99;
		put32(code, t[i].word);
		const struct dblock *b = decode_copy(dc, 0x1000 + 4 * i, code, 4);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		if (b->nclass[t[i].c] != 1 || b->mem_bytes != t[i].mem || b->ninsns != 1)
			fprintf(stderr, "\n  %s: want %s/%u, got mem %u\n", t[i].what,
				insn_class_name(t[i].c), t[i].mem, b->mem_bytes);
		CU_ASSERT_EQUAL(b->ninsns, 1);
		CU_ASSERT_EQUAL(b->nclass[t[i].c], 1);
		CU_ASSERT_EQUAL(b->mem_bytes, t[i].mem);
		CU_ASSERT_EQUAL(b->cost_milli, cpi[t[i].c]);
		CU_ASSERT_EQUAL(decode_one(dc, 0x1000, code, 4, &len), t[i].c);
		CU_ASSERT_EQUAL(len, 4);
	}
	decode_cache_free(dc);
}

static void test_x86_block(void)
{
	static const uint8_t code[] = {
		0x48, 0x8b, 0x43, 0x08,       /* 00 mov rax, [rbx+8]      load 8 */
		0x48, 0x89, 0x11,             /* 04 mov [rcx], rdx        store 8 */
		0x48, 0x01, 0x3e,             /* 07 add [rsi], rdi        store (RMW) 8+8 */
		0x48, 0x8d, 0x44, 0x8b, 0x10, /* 0a lea rax, [rbx+rcx*4+16] alu */
		0x48, 0x0f, 0xaf, 0xc3,       /* 0f imul rax, rbx */
		0x0f, 0x32,                   /* 13 rdmsr */
		0x0f, 0x30,                   /* 15 wrmsr */
		0x0f, 0x31,                   /* 17 rdtsc */
		0x0f, 0xa2,                   /* 19 cpuid */
		0x75, 0xe3,                   /* 1b jne 0 */
	};
	struct decode_cache *dc = decode_cache_new(ISA_X86_64, cpi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	const struct dblock *b = decode_copy(dc, 0x100000, code, sizeof code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->ninsns, 10);
	CU_ASSERT_EQUAL(b->nclass[IC_LOAD], 1);
	CU_ASSERT_EQUAL(b->nclass[IC_STORE], 2);
	CU_ASSERT_EQUAL(b->nclass[IC_ALU], 1);
	CU_ASSERT_EQUAL(b->nclass[IC_MULDIV], 1);
	CU_ASSERT_EQUAL(b->nclass[IC_SYSTEM], 4);
	CU_ASSERT_EQUAL(b->nclass[IC_BRANCH], 1);
	CU_ASSERT_EQUAL(b->nclass[IC_FP], 0);
	CU_ASSERT_EQUAL(b->mem_bytes, 8 + 8 + 16);
	CU_ASSERT_EQUAL(b->cost_milli, 4200 + 2 * 2300 + 1000 + 3100 + 4 * 20900 + 1700);
	CU_ASSERT_FALSE(b->undecodable);
	CU_ASSERT_EQUAL_FATAL(b->nspecials, 3);
	CU_ASSERT_EQUAL(b->specials[0].addr, 0x100013);
	CU_ASSERT_EQUAL(b->specials[0].kind, X86S_RDMSR);
	CU_ASSERT_EQUAL(b->specials[1].addr, 0x100015);
	CU_ASSERT_EQUAL(b->specials[1].kind, X86S_WRMSR);
	CU_ASSERT_EQUAL(b->specials[2].addr, 0x100017);
	CU_ASSERT_EQUAL(b->specials[2].kind, X86S_RDTSC);
	decode_cache_free(dc);
}

struct xone {
	uint8_t bytes[6];
	uint8_t len;
	enum insn_class c;
	uint32_t mem;
	const char *what;
};

static void test_x86_each(void)
{
	static const struct xone t[] = {
		{ { 0x53 }, 1, IC_STORE, 8, "push rbx" },
		{ { 0x5b }, 1, IC_LOAD, 8, "pop rbx" },
		{ { 0xff, 0x30 }, 2, IC_STORE, 16, "push qword [rax]" },
		{ { 0x9c }, 1, IC_STORE, 8, "pushfq" },
		{ { 0x9d }, 1, IC_LOAD, 8, "popfq" },
		{ { 0xc9 }, 1, IC_LOAD, 8, "leave" },
		{ { 0xf3, 0x48, 0xa5 }, 3, IC_STORE, 16, "rep movsq (one element, read + write)" },
		{ { 0xf3, 0xaa }, 2, IC_STORE, 1, "rep stosb" },
		{ { 0x48, 0x83, 0x38, 0x05 }, 4, IC_LOAD, 8, "cmp qword [rax], 5" },
		{ { 0x48, 0x0f, 0xaf, 0x0a }, 4, IC_LOAD, 8, "imul rcx, [rdx] (load+op is a load)" },
		{ { 0x48, 0xf7, 0x38 }, 3, IC_LOAD, 8, "idiv qword [rax]" },
		{ { 0x0f, 0x11, 0x00 }, 3, IC_STORE, 16, "movups [rax], xmm0" },
		{ { 0xc5, 0xfc, 0x10, 0x08 }, 4, IC_LOAD, 32, "vmovups ymm1, [rax]" },
		{ { 0xdd, 0x18 }, 2, IC_STORE, 8, "fstp qword [rax]" },
		{ { 0x48, 0x0f, 0xb1, 0x18 }, 4, IC_STORE, 16, "cmpxchg [rax], rbx" },
		{ { 0x48, 0x0f, 0xc7, 0x08 }, 4, IC_STORE, 32, "cmpxchg16b [rax]" },
		{ { 0x48, 0xd1, 0x00 }, 3, IC_STORE, 16, "rol qword [rax], 1" },
		{ { 0x48, 0x0f, 0x38, 0xf1, 0x18 }, 5, IC_STORE, 8, "movbe [rax], rbx" },
		{ { 0x48, 0x87, 0x18 }, 3, IC_STORE, 16, "xchg [rax], rbx" },
		{ { 0x0f, 0x95, 0x00 }, 3, IC_STORE, 1, "setne byte [rax]" },
		{ { 0x0f, 0x18, 0x08 }, 3, IC_ALU, 0, "prefetcht0 [rax]" },
		{ { 0xf2, 0x0f, 0x38, 0xf1, 0xc1 }, 5, IC_ALU, 0, "crc32 eax, ecx" },
		{ { 0xf3, 0x48, 0x0f, 0xb8, 0xc3 }, 5, IC_ALU, 0, "popcnt rax, rbx" },
		{ { 0xf2, 0x0f, 0x58, 0xc1 }, 4, IC_FP, 0, "addsd xmm0, xmm1" },
		{ { 0xc5, 0xf8, 0x77 }, 3, IC_FP, 0, "vzeroupper" },
		{ { 0xe2, 0xfe }, 2, IC_BRANCH, 0, "loop ." },
		{ { 0xff, 0x10 }, 2, IC_BRANCH, 0, "call [rax]" },
		{ { 0xc3 }, 1, IC_BRANCH, 0, "ret" },
		{ { 0xf3, 0x90 }, 2, IC_SYSTEM, 0, "pause" },
		{ { 0x0f, 0x22, 0xd8 }, 3, IC_SYSTEM, 0, "mov cr3, rax" },
		{ { 0xe6, 0x80 }, 2, IC_SYSTEM, 0, "out 0x80, al" },
		{ { 0xf4 }, 1, IC_SYSTEM, 0, "hlt" },
		{ { 0x0f, 0x01, 0xc1 }, 3, IC_SYSTEM, 0, "vmcall" },
		{ { 0xfa }, 1, IC_SYSTEM, 0, "cli" },
		{ { 0x0f, 0x01, 0x10 }, 3, IC_SYSTEM, 0, "lgdt [rax]" },
		{ { 0xcc }, 1, IC_SYSTEM, 0, "int3" },
		{ { 0x48, 0xcf }, 2, IC_SYSTEM, 0, "iretq" },
		{ { 0x0f, 0xae, 0xf0 }, 3, IC_SYSTEM, 0, "mfence" },
		{ { 0x0f, 0x01, 0x38 }, 3, IC_SYSTEM, 0, "invlpg [rax]" },
		{ { 0x0f, 0x09 }, 2, IC_SYSTEM, 0, "wbinvd" },
	};
	struct decode_cache *dc = decode_cache_new(ISA_X86_64, cpi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint32_t len = 99;
		const struct dblock *b = decode_copy(dc, 0x2000 + 16 * i, t[i].bytes, t[i].len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		if (b->nclass[t[i].c] != 1 || b->mem_bytes != t[i].mem || b->ninsns != 1)
			fprintf(stderr, "\n  %s: want %s/%u, got mem %u\n", t[i].what,
				insn_class_name(t[i].c), t[i].mem, b->mem_bytes);
		CU_ASSERT_EQUAL(b->ninsns, 1);
		CU_ASSERT_EQUAL(b->nclass[t[i].c], 1);
		CU_ASSERT_EQUAL(b->mem_bytes, t[i].mem);
		/* MOV to CRn and INVLPG are TLB maintenance the translation model
		 * hooks; VMCALL is emulated from its hook */
		enum x86_special k = !strcmp(t[i].what, "mov cr3, rax") ? X86S_MOV_CR :
				     !strcmp(t[i].what, "invlpg [rax]") ? X86S_INVLPG :
				     !strcmp(t[i].what, "vmcall") ? X86S_VMCALL : X86S_NONE;
		CU_ASSERT_EQUAL(b->nspecials, k != X86S_NONE);
		if (k != X86S_NONE)
			CU_ASSERT_EQUAL(b->specials[0].kind, k);
		CU_ASSERT_EQUAL(decode_one(dc, 0x2000, t[i].bytes, t[i].len, &len), t[i].c);
		CU_ASSERT_EQUAL(len, t[i].len);
	}
	decode_cache_free(dc);
}

static void test_cache(void)
{
	static const uint8_t code[] = { 0x20, 0x00, 0x02, 0x8b, 0x03, 0x04, 0x40, 0xf9 }; /* add; ldr */
	struct decode_cache *dc = decode_cache_new(ISA_A64, cpi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	CU_ASSERT_PTR_NULL(decode_lookup(dc, 0x1000, 8));
	const struct dblock *b = decode_block(dc, 0x1000, code, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_EQUAL(decode_lookup(dc, 0x1000, 8), b);
	CU_ASSERT_PTR_EQUAL(decode_lookup(dc, 0x1000, 8), b);
	CU_ASSERT_PTR_NULL(decode_lookup(dc, 0x1000, 4));   /* same address, other size */
	CU_ASSERT_PTR_NULL(decode_lookup(dc, 0x1004, 8));
	CU_ASSERT_EQUAL(decode_stats_blocks(dc), 1);

	/* A shorter block at the same address is a separate entry; the first
	 * stays valid. */
	const struct dblock *b4 = decode_block(dc, 0x1000, code, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b4);
	CU_ASSERT_PTR_NOT_EQUAL(b4, b);
	CU_ASSERT_EQUAL(b4->ninsns, 1);
	CU_ASSERT_PTR_EQUAL(decode_lookup(dc, 0x1000, 4), b4);
	CU_ASSERT_PTR_EQUAL(decode_lookup(dc, 0x1000, 8), b);
	CU_ASSERT_EQUAL(b->ninsns, 2);

	/* Enough blocks to grow the table several times; every one stays
	 * findable with its own address and size. */
	for (uint32_t i = 0; i < 5000; i++)
		CU_ASSERT_PTR_NOT_NULL(decode_block(dc, 0x800000 + 8 * (uint64_t)i, code, (i % 2) ? 8 : 4));
	unsigned bad = 0;
	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t sz = (i % 2) ? 8 : 4;
		const struct dblock *x = decode_lookup(dc, 0x800000 + 8 * (uint64_t)i, sz);
		if (!x || x->addr != 0x800000 + 8 * (uint64_t)i || x->size != sz || x->ninsns != sz / 4)
			bad++;
		if (decode_lookup(dc, 0x800000 + 8 * (uint64_t)i, 12 - sz))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_PTR_EQUAL(decode_lookup(dc, 0x1000, 8), b);
	CU_ASSERT_EQUAL(decode_stats_blocks(dc), 5002);

	decode_flush(dc);
	CU_ASSERT_PTR_NULL(decode_lookup(dc, 0x1000, 8));
	CU_ASSERT_PTR_NULL(decode_lookup(dc, 0x1000, 4));
	CU_ASSERT_PTR_NULL(decode_lookup(dc, 0x800008, 8));
	b = decode_block(dc, 0x1000, code, 8);
	CU_ASSERT_PTR_EQUAL(decode_lookup(dc, 0x1000, 8), b);
	CU_ASSERT_EQUAL(decode_stats_blocks(dc), 5003);
	decode_cache_free(dc);
}

/* Dropping blocks (the guest rewrote their code): exactly those go, from
 * the table and the front table, whatever their place in a probe run (the
 * table moves later entries back into the hole); a dropped block stays
 * readable until reaped, and one kept by decode_reap survives it (ASan
 * checks both).  A block decoded again at the same key is not dropped by
 * the old pointer. */
static void test_drop(void)
{
	static const uint8_t code[] = { 0x20, 0x00, 0x02, 0x8b, 0x03, 0x04, 0x40, 0xf9 }; /* add; ldr */
	struct decode_cache *dc = decode_cache_new(ISA_A64, cpi);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	enum { N = 3000 };
	static const struct dblock *blk[N];
	for (uint32_t i = 0; i < N; i++) {
		blk[i] = decode_block(dc, 0x400000 + 4 * (uint64_t)i, code, (i % 3) ? 8 : 4);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blk[i]);
	}
	for (uint32_t i = 0; i < N; i++)
		CU_ASSERT_PTR_NOT_NULL(decode_find(dc, blk[i]->addr, blk[i]->size));
	/* every third from 1, and a run of 200 together */
	unsigned dropped = 0, bad = 0;
	for (uint32_t i = 0; i < N; i++)
		if (i % 3 == 1 || (i >= 1000 && i < 1200)) {
			bad += !decode_drop(dc, blk[i]->addr, blk[i]->size, blk[i]);
			bad += decode_drop(dc, blk[i]->addr, blk[i]->size, blk[i]);   /* gone already */
			dropped++;
		}
	CU_ASSERT_EQUAL(bad, 0);
	for (uint32_t i = 0; i < N; i++) {
		bool gone = i % 3 == 1 || (i >= 1000 && i < 1200);
		const struct dblock *x = decode_lookup(dc, blk[i]->addr, blk[i]->size);
		const struct decode_entry *e = decode_find(dc, blk[i]->addr, blk[i]->size);
		if (gone ? x || e : x != blk[i] || !e || e->b != blk[i])
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(blk[1]->ninsns, 2);   /* dropped, still readable */
	/* Blocks at one address share their home slot: one probe run, in which
	 * dropping the first must leave the others findable. */
	static const uint8_t code32[32] = { 0x20, 0x00, 0x02, 0x8b, 0x20, 0x00, 0x02, 0x8b, 0x20, 0x00, 0x02, 0x8b,
					    0x20, 0x00, 0x02, 0x8b, 0x20, 0x00, 0x02, 0x8b, 0x20, 0x00, 0x02, 0x8b,
					    0x20, 0x00, 0x02, 0x8b, 0x20, 0x00, 0x02, 0x8b };
	const struct dblock *run[8];
	for (uint32_t k = 0; k < 8; k++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(run[k] = decode_block(dc, 0x900000, code32, 4 * (k + 1)));
	for (uint32_t k = 0; k < 8; k += 2)
		CU_ASSERT_TRUE(decode_drop(dc, 0x900000, 4 * (k + 1), run[k]));
	for (uint32_t k = 0; k < 8; k++)
		CU_ASSERT_PTR_EQUAL(decode_lookup(dc, 0x900000, 4 * (k + 1)), k % 2 ? run[k] : NULL);
	const struct dblock *keep[1] = { blk[4] };
	decode_reap(dc, keep, 1);
	CU_ASSERT_EQUAL(blk[4]->ninsns, 2);   /* kept */
	/* decoded again: a new block at the key, not dropped by the old one */
	const struct dblock *again = decode_block(dc, blk[4]->addr, code, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	CU_ASSERT_FALSE(decode_drop(dc, again->addr, 8, blk[4]));
	CU_ASSERT_PTR_EQUAL(decode_lookup(dc, again->addr, 8), again);
	CU_ASSERT_TRUE(decode_drop(dc, again->addr, 8, again));
	CU_ASSERT_PTR_NULL(decode_lookup(dc, again->addr, 8));
	decode_cache_free(dc);   /* frees blk[4] and again */
}

/* The front table the run loop reads: the right block and its cost in
 * thousandths of a cycle, whatever was looked up in between. */
static int front_is(struct decode_cache *dc, uint64_t addr, uint32_t size, const struct dblock *b,
		    uint64_t cost_milli)
{
	const struct decode_entry *e = decode_find(dc, addr, size);
	return e && e->b == b && e->addr == addr && e->size == size && e->ninsns == b->ninsns &&
	       e->cost_milli == cost_milli;
}

static void test_front(void)
{
	static const uint8_t code[] = { 0x20, 0x00, 0x02, 0x8b, 0x03, 0x04, 0x40, 0xf9 }; /* add; ldr */
	struct decode_cache *dc = decode_cache_new(ISA_A64, cpi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	/* Empty entries match nothing, not even a zero-size block at 0. */
	CU_ASSERT_PTR_NULL(decode_find(dc, 0, 0));
	CU_ASSERT_PTR_NULL(decode_find(dc, 0x1000, 8));
	const struct dblock *b = decode_block(dc, 0x1000, code, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->cost_milli, 5200);   /* alu 1.0 + load 4.2 */
	CU_ASSERT_TRUE(front_is(dc, 0x1000, 8, b, 5200));
	CU_ASSERT_PTR_NULL(decode_find(dc, 0x1000, 4));
	/* far shares 0x1000's slot; a block of other size shares its address. */
	const uint64_t far = 0x1000 + (4ull << DECODE_FRONT_BITS);
	CU_ASSERT_EQUAL(decode_front_index(far), decode_front_index(0x1000));
	const struct dblock *c = decode_block(dc, far, code, 4);
	const struct dblock *b4 = decode_block(dc, 0x1000, code, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b4);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(front_is(dc, far, 4, c, 1000));
		CU_ASSERT_TRUE(front_is(dc, 0x1000, 8, b, 5200));
		CU_ASSERT_TRUE(front_is(dc, 0x1000, 4, b4, 1000));
	}
	const struct dblock *z = decode_block(dc, 0, code, 0);
	CU_ASSERT_TRUE(front_is(dc, 0, 0, z, 0));
	decode_flush(dc);
	CU_ASSERT_PTR_NULL(decode_find(dc, 0x1000, 8));
	CU_ASSERT_PTR_NULL(decode_find(dc, 0x1000, 4));
	CU_ASSERT_PTR_NULL(decode_find(dc, far, 4));
	CU_ASSERT_PTR_NULL(decode_find(dc, 0, 0));
	decode_cache_free(dc);

	/* The A64 blocks of an aligned 4 << DECODE_FRONT_BITS bytes and x86
	 * start bytes of an aligned 1 << DECODE_FRONT_BITS have slots of their
	 * own. */
	static uint8_t seen[2][1u << DECODE_FRONT_BITS];
	unsigned dup = 0;
	for (uint64_t i = 0; i < (1u << DECODE_FRONT_BITS); i++) {
		dup += seen[0][decode_front_index(0x40080000 + 4 * i)]++ != 0;
		dup += seen[1][decode_front_index((0x103ull << DECODE_FRONT_BITS) + i)]++ != 0;
	}
	CU_ASSERT_EQUAL(dup, 0);
}

static void test_garbage(void)
{
	struct decode_cache *a = decode_cache_new(ISA_A64, cpi);
	struct decode_cache *x = decode_cache_new(ISA_X86_64, cpi);
	const struct dblock *b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);

	/* A64: add, an undefined word, then half a word. */
	static const uint8_t a64[] = { 0x20, 0x00, 0x02, 0x8b, 0, 0, 0, 0, 0x1f, 0x20 };
	b = decode_copy(a, 0x3000, a64, sizeof a64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(b->undecodable);
	CU_ASSERT_EQUAL(b->ninsns, 3);
	CU_ASSERT_EQUAL(b->nclass[IC_ALU], 3);
	CU_ASSERT_EQUAL(b->cost_milli, 3000);
	b = decode_copy(a, 0x3100, a64, 4);
	CU_ASSERT_FALSE(b->undecodable);

	/* x86: push es and salc are invalid in 64-bit mode; the last three
	 * bytes are a mov cut short by the block end. */
	static const uint8_t x86[] = { 0x90, 0x06, 0xd6, 0x48, 0x8b, 0x43 };
	b = decode_copy(x, 0x4000, x86, sizeof x86);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(b->undecodable);
	CU_ASSERT_EQUAL(b->ninsns, 6);
	CU_ASSERT_EQUAL(b->nclass[IC_ALU], 6);
	CU_ASSERT_EQUAL(b->mem_bytes, 0);

	uint32_t len = 99;
	CU_ASSERT_EQUAL(decode_one(x, 0x4000, x86 + 3, 3, &len), IC_ALU);
	CU_ASSERT_EQUAL(len, 0);
	len = 99;
	CU_ASSERT_EQUAL(decode_one(x, 0x4000, x86, 0, &len), IC_ALU);
	CU_ASSERT_EQUAL(len, 0);
	len = 99;
	CU_ASSERT_EQUAL(decode_one(a, 0x3000, a64 + 8, 2, &len), IC_ALU);
	CU_ASSERT_EQUAL(len, 0);
	/* Zero-size block: nothing decoded, still cached. */
	b = decode_copy(x, 0x5000, x86, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->ninsns, 0);
	CU_ASSERT_EQUAL(b->cost_milli, 0);

	/* Random bytes: totals stay consistent and nothing reads past size
	 * (exact-size heap copies, run under ASan). */
	uint8_t buf[256];
	uint64_t s = 0x243f6a8885a308d3ull;
	unsigned bad = 0;
	for (int round = 0; round < 400; round++) {
		for (unsigned i = 0; i < sizeof buf; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = (uint8_t)(s >> 56);
		}
		uint32_t size = (uint32_t)(s >> 20) % sizeof buf;
		struct decode_cache *dc = round % 2 ? x : a;
		b = decode_copy(dc, 0x10000 + 0x1000 * (uint64_t)round, buf, size);
		if (!b) {
			bad++;
			continue;
		}
		uint32_t sum = 0;
		for (int k = 0; k < IC_COUNT; k++)
			sum += b->nclass[k];
		if (sum != b->ninsns || b->cost_milli != expected_cost(b) || (size && !b->ninsns) ||
		    b->ninsns > size)
			bad++;
		for (uint32_t k = 0; k < b->nspecials; k++)
			if (b->specials[k].addr < b->addr || b->specials[k].addr >= b->addr + size)
				bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	decode_cache_free(a);
	decode_cache_free(x);
}

static void test_names_and_errors(void)
{
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_ALU), "alu");
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_MULDIV), "muldiv");
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_LOAD), "load");
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_STORE), "store");
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_BRANCH), "branch");
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_FP), "fp");
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_SYSTEM), "system");
	CU_ASSERT_STRING_EQUAL(insn_class_name(IC_COUNT), "?");
	CU_ASSERT_PTR_NULL(decode_cache_new((enum isa)7, cpi));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "unknown ISA 7"));
	decode_cache_free(NULL);
}

static CU_TestInfo tests[] = {
	{ "a64 block classes, bytes, cost", test_a64_block },
	{ "a64 instruction by instruction", test_a64_each },
	{ "x86 block with MSR/TSC specials", test_x86_block },
	{ "x86 instruction by instruction", test_x86_each },
	{ "cache lookup, growth, flush", test_cache },
	{ "front table of the run loop", test_front },
	{ "dropping rewritten blocks", test_drop },
	{ "undecodable and random bytes", test_garbage },
	{ "class names and bad ISA", test_names_and_errors },
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return unit_run("decode", tests);
}
