/* Translated-block decoder (Capstone 4.0.2).  Each block is decoded once and
 * kept in an open-addressing hash table keyed by (address, size); the run
 * loop's per-block lookup is one hash and, almost always, one slot compare.
 *
 * Classification:
 *  A64: by mnemonic, because Capstone 4 reports the memory operand's access
 *       wrongly for AArch64 (TOOLCHAIN-NOTES).  Sizes from the size suffix
 *       (b, h, sw) or the transfer register (W, X, B, H, S, D, Q).
 *  x86: Capstone's groups and memory operands, with their access repaired
 *       where Capstone 4 gets it wrong (see x86_mem_access). */
#include "cpu/decode.h"

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define MNEM_MEMO 1024  /* A64 mnemonics remembered (power of two; Capstone 4 has fewer) */

struct slot {
	uint64_t addr;
	uint32_t size;
	struct dblock *b;   /* NULL: empty */
};

struct decode_cache {
	struct decode_front front;      /* first: decode_find reads it through a cast */
	enum isa isa;
	csh cs;
	cs_insn *insn;                  /* one reusable instruction (cs_malloc) */
	/* x86 code in 32-bit protected or compatibility mode (a multiboot
	 * kernel's start): its own Capstone mode, chosen per decoded block */
	csh cs32;
	cs_insn *insn32;
	bool (*code32)(void *ctx);
	void *code32_ctx;
	uint32_t cpi_milli[IC_COUNT];
	struct slot *tab;
	uint32_t bits;                  /* table has 1 << bits slots */
	uint32_t used;
	uint64_t decoded;               /* blocks decoded since creation */
	uint32_t max_insns;             /* the most instructions in a decoded block */
	struct dblock_special *sp;      /* specials of the block being decoded */
	uint32_t sp_cap;
	/* Blocks dropped (decode_drop) but perhaps still some vCPU's cur:
	 * freed by decode_reap */
	struct dblock **retired;
	uint32_t nretired, retired_cap;
	/* A64 mnemonics met, with what the lists below say of each: a block's
	 * instructions are classified with one string compare each, not fifty */
	struct mnem_memo { char m[CS_MNEMONIC_SIZE]; uint8_t bits; } mnem[MNEM_MEMO];
};

_Static_assert(offsetof(struct decode_cache, front) == 0, "decode_find casts the cache to its front table");

/* Result of classifying one instruction. */
struct iclass {
	enum insn_class c;
	uint32_t mem_bytes;
	enum x86_special special;
};

static const char *const class_names[IC_COUNT] = {
	[IC_ALU] = "alu", [IC_MULDIV] = "muldiv", [IC_LOAD] = "load", [IC_STORE] = "store",
	[IC_BRANCH] = "branch", [IC_FP] = "fp", [IC_SYSTEM] = "system",
};

const char *insn_class_name(enum insn_class c)
{
	return (unsigned)c < IC_COUNT ? class_names[c] : "?";
}

static int in_list(const char *m, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(m, *list) == 0)
			return 1;
	return 0;
}

static int has_prefix(const char *m, const char *const *list)
{
	for (; *list; list++)
		if (strncmp(m, *list, strlen(*list)) == 0)
			return 1;
	return 0;
}

/* ---- A64 ---- */

static const char *const a64_branch[] = {
	"b", "bl", "br", "blr", "ret", "cbz", "cbnz", "tbz", "tbnz", NULL
};
static const char *const a64_system[] = {
	"msr", "mrs", "sys", "sysl", "hvc", "smc", "svc", "wfi", "wfe", "sev", "sevl", "isb",
	"dsb", "dmb", "eret", "tlbi", "dc", "ic", "at", "brk", "hlt", "clrex", "dcps1", "dcps2",
	"dcps3", "drps", NULL
};
/* Other hints (nop, yield, "hint #n") execute as NOPs (Arm ARM, HINT): ALU. */
static const char *const a64_muldiv[] = {
	"mul", "madd", "msub", "mneg", "smull", "umull", "smaddl", "umaddl", "smsubl", "umsubl",
	"smnegl", "umnegl", "sdiv", "udiv", "umulh", "smulh", NULL
};
/* Atomic read-modify-write (Armv8.1 LSE): counted as stores, read + write. */
static const char *const a64_atomic[] = {
	"ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin", "swp", "cas",
	"stadd", "stclr", "steor", "stset", "stsmax", "stsmin", "stumax", "stumin", NULL
};
/* Two registers transferred. */
static const char *const a64_pair[] = {
	"ldp", "stp", "ldnp", "stnp", "ldxp", "ldaxp", "stxp", "stlxp", "casp", NULL
};

/* What the lists say of a mnemonic. */
enum {
	A64M_PRFM = 1 << 0, A64M_ATOMIC = 1 << 1, A64M_BRANCH = 1 << 2, A64M_SYSTEM = 1 << 3, A64M_MULDIV = 1 << 4,
	A64M_PAIR = 1 << 5, A64M_STX = 1 << 6,	/* store-exclusive: the status register first */
	A64M_KNOWN = 1 << 7,
};

static uint8_t a64_mnem_bits(const char *m)
{
	return (uint8_t)(A64M_KNOWN | (strcmp(m, "prfm") == 0 || strcmp(m, "prfum") == 0 ? A64M_PRFM : 0) |
			 (has_prefix(m, a64_atomic) ? A64M_ATOMIC : 0) |
			 (in_list(m, a64_branch) || strncmp(m, "b.", 2) == 0 ? A64M_BRANCH : 0) |
			 (in_list(m, a64_system) ? A64M_SYSTEM : 0) | (in_list(m, a64_muldiv) ? A64M_MULDIV : 0) |
			 (has_prefix(m, a64_pair) ? A64M_PAIR : 0) |
			 (strncmp(m, "stx", 3) == 0 || strncmp(m, "stlx", 4) == 0 ? A64M_STX : 0));
}

/* a64_mnem_bits, remembered by the mnemonic's bytes (FNV-1a, linear probing). */
static uint8_t a64_mnem(struct decode_cache *dc, const char *m)
{
	uint32_t h = 2166136261u;
	for (const char *p = m; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (uint32_t i = 0; i < MNEM_MEMO; i++) {
		struct mnem_memo *e = &dc->mnem[(h + i) & (MNEM_MEMO - 1)];
		if (!e->bits) {
			if (strlen(m) >= sizeof e->m)
				break;
			strcpy(e->m, m);
			return e->bits = a64_mnem_bits(m);
		}
		if (!strcmp(e->m, m))
			return e->bits;
	}
	return a64_mnem_bits(m);
}

static int a64_fpreg(unsigned r)
{
	return (r >= ARM64_REG_B0 && r <= ARM64_REG_S31) || (r >= ARM64_REG_V0 && r <= ARM64_REG_V31);
}

/* Bytes of one general or scalar FP/SIMD register. */
static uint32_t a64_reg_bytes(unsigned r)
{
	if (r >= ARM64_REG_B0 && r < ARM64_REG_B0 + 32)
		return 1;
	if (r >= ARM64_REG_H0 && r < ARM64_REG_H0 + 32)
		return 2;
	if ((r >= ARM64_REG_S0 && r <= ARM64_REG_S31) || (r >= ARM64_REG_W0 && r <= ARM64_REG_W30) ||
	    r == ARM64_REG_WZR || r == ARM64_REG_WSP)
		return 4;
	if (r >= ARM64_REG_Q0 && r < ARM64_REG_Q0 + 32)
		return 16;
	return 8; /* X, D, XZR, SP */
}

static uint32_t vas_elem(arm64_vas v)
{
	switch (v) {
	case ARM64_VAS_8B: case ARM64_VAS_16B: return 1;
	case ARM64_VAS_4H: case ARM64_VAS_8H:  return 2;
	case ARM64_VAS_2S: case ARM64_VAS_4S:  return 4;
	case ARM64_VAS_1D: case ARM64_VAS_2D:  return 8;
	default:                               return 16;
	}
}

static uint32_t vas_bytes(arm64_vas v)
{
	switch (v) {
	case ARM64_VAS_8B: case ARM64_VAS_4H: case ARM64_VAS_2S: case ARM64_VAS_1D: return 8;
	default: return 16;
	}
}

static uint32_t vess_bytes(arm64_vess v)
{
	switch (v) {
	case ARM64_VESS_B: return 1;
	case ARM64_VESS_H: return 2;
	case ARM64_VESS_S: return 4;
	default:           return 8;
	}
}

/* LD1-LD4 / ST1-ST4 (Arm ARM "Advanced SIMD load/store"): the registers of
 * the list, one lane each for the single-structure and replicate forms. */
static uint32_t a64_vector_bytes(const cs_insn *in)
{
	const cs_arm64 *a = &in->detail->arm64;
	int replicate = in->mnemonic[3] == 'r';
	uint32_t bytes = 0;

	for (int k = 0; k < a->op_count && a->operands[k].type == ARM64_OP_REG; k++) {
		const cs_arm64_op *o = &a->operands[k];
		if (o->reg < ARM64_REG_V0 || o->reg > ARM64_REG_V31)
			continue;
		if (o->vector_index >= 0)
			bytes += vess_bytes(o->vess);
		else if (replicate)
			bytes += vas_elem(o->vas);
		else
			bytes += vas_bytes(o->vas);
	}
	return bytes;
}

static uint32_t a64_mem_bytes(const cs_insn *in, uint8_t bits)
{
	const char *m = in->mnemonic;
	const cs_arm64 *a = &in->detail->arm64;
	size_t l = strlen(m);
	uint32_t size;

	if ((m[2] >= '1' && m[2] <= '4'))
		return a64_vector_bytes(in);
	if (m[l - 1] == 'b')
		size = 1;
	else if (m[l - 1] == 'h')
		size = 2;
	else if (l > 2 && m[l - 2] == 's' && m[l - 1] == 'w')
		size = 4; /* ldrsw, ldursw, ldtrsw, ldpsw */
	else {
		/* Store-exclusive puts the status register first. */
		int r = bits & A64M_STX ? 1 : 0;
		if (a->op_count <= r || a->operands[r].type != ARM64_OP_REG)
			return 8;
		size = a64_reg_bytes(a->operands[r].reg);
	}
	if (bits & A64M_PAIR)
		size *= 2;
	return size;
}

static struct iclass a64_classify(struct decode_cache *dc, const cs_insn *in)
{
	const char *m = in->mnemonic;
	const cs_detail *d = in->detail;
	struct iclass r = { IC_ALU, 0, X86S_NONE };
	uint8_t bits = a64_mnem(dc, m);

	if (bits & A64M_PRFM)
		return r; /* a hint: no architectural access */
	if (bits & A64M_ATOMIC) {
		r.c = IC_STORE;
		r.mem_bytes = 2 * a64_mem_bytes(in, bits);
		return r;
	}
	if ((m[0] == 'l' && m[1] == 'd') || (m[0] == 's' && m[1] == 't')) {
		r.c = m[0] == 'l' ? IC_LOAD : IC_STORE;
		r.mem_bytes = a64_mem_bytes(in, bits);
		return r;
	}
	if (bits & A64M_BRANCH) {
		r.c = IC_BRANCH;
		return r;
	}
	if (bits & A64M_SYSTEM) {
		r.c = IC_SYSTEM;
		return r;
	}
	int fp = m[0] == 'f';
	for (int k = 0; !fp && k < d->groups_count; k++)
		fp = d->groups[k] == ARM64_GRP_FPARMV8 || d->groups[k] == ARM64_GRP_NEON ||
		     d->groups[k] == ARM64_GRP_CRYPTO;
	for (int k = 0; !fp && k < d->arm64.op_count; k++)
		fp = d->arm64.operands[k].type == ARM64_OP_REG && a64_fpreg(d->arm64.operands[k].reg);
	if (fp)
		r.c = IC_FP;
	else if (bits & A64M_MULDIV)
		r.c = IC_MULDIV;
	return r;
}

/* ---- x86-64 ---- */

static int x86_in(unsigned id, const unsigned *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}
#define X86_IN(id, arr) x86_in((id), (arr), sizeof(arr) / sizeof((arr)[0]))

/* System instructions that Capstone puts in no INT/IRET/PRIVILEGE/VM group. */
static const unsigned x86_system[] = {
	X86_INS_RDMSR, X86_INS_WRMSR, X86_INS_RDTSC, X86_INS_RDTSCP, X86_INS_RDPMC, X86_INS_CPUID,
	X86_INS_IN, X86_INS_OUT, X86_INS_INSB, X86_INS_INSW, X86_INS_INSD, X86_INS_OUTSB,
	X86_INS_OUTSW, X86_INS_OUTSD, X86_INS_HLT, X86_INS_CLI, X86_INS_STI, X86_INS_LGDT,
	X86_INS_LIDT, X86_INS_SGDT, X86_INS_SIDT, X86_INS_SLDT, X86_INS_STR, X86_INS_SMSW,
	X86_INS_CLTS, X86_INS_INVLPG, X86_INS_WBINVD, X86_INS_INVD, X86_INS_PAUSE, X86_INS_MFENCE,
	X86_INS_LFENCE, X86_INS_SFENCE, X86_INS_CLFLUSH, X86_INS_CLFLUSHOPT, X86_INS_XGETBV,
	X86_INS_XSETBV, X86_INS_VMCALL, X86_INS_INT, X86_INS_INT3, X86_INS_INTO, X86_INS_IRET,
	X86_INS_IRETD, X86_INS_IRETQ, X86_INS_SYSCALL, X86_INS_SYSRET, X86_INS_SYSENTER,
	X86_INS_SYSEXIT, X86_INS_SWAPGS, X86_INS_UD2,
};
/* Branches Capstone 4 leaves out of the JUMP group. */
static const unsigned x86_branch[] = {
	X86_INS_LOOP, X86_INS_LOOPE, X86_INS_LOOPNE, X86_INS_JRCXZ, X86_INS_JECXZ,
};
static const unsigned x86_muldiv[] = {
	X86_INS_MUL, X86_INS_IMUL, X86_INS_DIV, X86_INS_IDIV, X86_INS_MULX,
};
/* Memory operands that are address arithmetic or hints, not accesses. */
static const unsigned x86_no_access[] = {
	X86_INS_LEA, X86_INS_NOP, X86_INS_PREFETCH, X86_INS_PREFETCHW, X86_INS_PREFETCHNTA,
	X86_INS_PREFETCHT0, X86_INS_PREFETCHT1, X86_INS_PREFETCHT2,
};
/* Instructions whose first (Intel-syntax destination) memory operand is only read. */
static const unsigned x86_reads_dest[] = {
	X86_INS_CMP, X86_INS_TEST, X86_INS_BT, X86_INS_CMPSB, X86_INS_CMPSW, X86_INS_CMPSD,
	X86_INS_CMPSQ,
};
/* One-operand instructions that write their memory operand but that
 * Capstone 4 reports as reads. */
static const unsigned x86_store1[] = {
	X86_INS_FST, X86_INS_FSTP, X86_INS_FIST, X86_INS_FISTP, X86_INS_FISTTP, X86_INS_FBSTP,
	X86_INS_FNSTCW, X86_INS_FNSTSW, X86_INS_FNSTENV, X86_INS_FNSAVE, X86_INS_FXSAVE,
	X86_INS_FXSAVE64, X86_INS_XSAVE, X86_INS_XSAVE64, X86_INS_XSAVEC, X86_INS_XSAVEC64,
	X86_INS_XSAVEOPT, X86_INS_XSAVEOPT64, X86_INS_XSAVES, X86_INS_XSAVES64, X86_INS_STMXCSR,
	X86_INS_VSTMXCSR, X86_INS_VMPTRST,
};

static int x86_group(const cs_detail *d, unsigned g)
{
	for (int k = 0; k < d->groups_count; k++)
		if (d->groups[k] == g)
			return 1;
	return 0;
}

static int x86_simd_group(const cs_detail *d)
{
	for (int k = 0; k < d->groups_count; k++) {
		unsigned g = d->groups[k];
		if (g == X86_GRP_FPU || g == X86_GRP_MMX || g == X86_GRP_3DNOW || g == X86_GRP_AVX ||
		    g == X86_GRP_AVX2 || g == X86_GRP_AVX512 || g == X86_GRP_SSE1 || g == X86_GRP_SSE2 ||
		    g == X86_GRP_SSE3 || g == X86_GRP_SSSE3 || g == X86_GRP_SSE41 || g == X86_GRP_SSE42 ||
		    g == X86_GRP_SSE4A || g == X86_GRP_FMA || g == X86_GRP_FMA4 || g == X86_GRP_F16C)
			return 1;
	}
	return 0;
}

static int x86_vreg(unsigned r)
{
	/* x87 stack, mask, MMX, XMM, YMM, ZMM: two contiguous runs in x86_reg. */
	return (r >= X86_REG_FP0 && r <= X86_REG_MM7) || (r >= X86_REG_ST0 && r <= X86_REG_ZMM31);
}

/* Access of memory operand k.  Capstone 4 marks many writes as reads
 * (movups/movq/pextrd/vmov* stores, movnti, movbe, x87 stores, rol [m], 1,
 * cmpxchg), so the Intel-syntax rule is applied on top: a memory operand
 * first among two or more is the destination, hence written.  SIMD
 * instructions and MOVBE never read their memory destination. */
static uint8_t x86_mem_access(const cs_insn *in, int k)
{
	const cs_x86 *x = &in->detail->x86;
	uint8_t acc = x->operands[k].access;

	if (k == 0 && x->op_count >= 2 && !(acc & CS_AC_WRITE) && !X86_IN(in->id, x86_reads_dest)) {
		if (x86_simd_group(in->detail) || in->id == X86_INS_MOVBE || in->id == X86_INS_MOVNTI)
			acc = CS_AC_WRITE;
		else
			acc |= CS_AC_WRITE;
	}
	if (x->op_count == 1 && X86_IN(in->id, x86_store1))
		acc = CS_AC_WRITE;
	if (x->op_count == 1 && (in->id == X86_INS_CMPXCHG8B || in->id == X86_INS_CMPXCHG16B))
		acc = CS_AC_READ | CS_AC_WRITE;
	return acc;
}

static struct iclass x86_classify(const cs_insn *in)
{
	const cs_detail *d = in->detail;
	const cs_x86 *x = &d->x86;
	struct iclass r = { IC_ALU, 0, X86S_NONE };
	uint32_t rd = 0, wr = 0;

	switch (in->id) {
	case X86_INS_RDMSR: r.special = X86S_RDMSR; break;
	case X86_INS_WRMSR: r.special = X86S_WRMSR; break;
	case X86_INS_RDTSC: r.special = X86S_RDTSC; break;
	case X86_INS_INVLPG: r.special = X86S_INVLPG; break;
	case X86_INS_VMCALL: r.special = X86S_VMCALL; break;
	case X86_INS_MOV:
		/* to or from a control register (MOV from CR8 reads the TPR) */
		for (unsigned i = 0; x->op_count == 2 && i < 2; i++)
			if (x->operands[i].type == X86_OP_REG && x->operands[i].reg >= X86_REG_CR0 &&
			    x->operands[i].reg <= X86_REG_CR15)
				r.special = X86S_MOV_CR;
		break;
	}
	if (X86_IN(in->id, x86_system) || x86_group(d, X86_GRP_INT) || x86_group(d, X86_GRP_IRET) ||
	    x86_group(d, X86_GRP_PRIVILEGE) || x86_group(d, X86_GRP_VM)) {
		r.c = IC_SYSTEM;
		return r;
	}
	if (x86_group(d, X86_GRP_JUMP) || x86_group(d, X86_GRP_CALL) || x86_group(d, X86_GRP_RET) ||
	    X86_IN(in->id, x86_branch)) {
		r.c = IC_BRANCH;
		return r;
	}
	if (!X86_IN(in->id, x86_no_access)) {
		for (int k = 0; k < x->op_count; k++) {
			if (x->operands[k].type != X86_OP_MEM)
				continue;
			uint8_t acc = x86_mem_access(in, k);
			if (acc & CS_AC_READ)
				rd += x->operands[k].size;
			if (acc & CS_AC_WRITE)
				wr += x->operands[k].size;
		}
	}
	/* The stack slot of PUSH/POP/LEAVE is implicit, not an operand. */
	switch (in->id) {
	case X86_INS_PUSH: wr += x->op_count ? x->operands[0].size : 8; break;
	case X86_INS_POP:  rd += x->op_count ? x->operands[0].size : 8; break;
	case X86_INS_PUSHFQ: wr += 8; break;
	case X86_INS_POPFQ:  rd += 8; break;
	case X86_INS_LEAVE:  rd += 8; break; /* pop rbp */
	case X86_INS_PUSHF:  wr += 2; break;
	case X86_INS_POPF:   rd += 2; break;
	}
	if (wr || rd) {
		r.c = wr ? IC_STORE : IC_LOAD;
		r.mem_bytes = rd + wr;
		return r;
	}
	/* FP/SIMD: x87 ('f' mnemonics), vector or x87 registers, and the
	 * operand-less ones (emms, vzeroupper).  Not the SSE groups as such:
	 * they also hold crc32 and prefetch. */
	int fp = in->mnemonic[0] == 'f' || x86_group(d, X86_GRP_FPU) || x86_group(d, X86_GRP_MMX) ||
		 x86_group(d, X86_GRP_3DNOW) || x86_group(d, X86_GRP_AVX) ||
		 x86_group(d, X86_GRP_AVX2) || x86_group(d, X86_GRP_AVX512);
	for (int k = 0; !fp && k < x->op_count; k++)
		fp = x->operands[k].type == X86_OP_REG && x86_vreg(x->operands[k].reg);
	if (fp)
		r.c = IC_FP;
	else if (X86_IN(in->id, x86_muldiv))
		r.c = IC_MULDIV;
	return r;
}

/* ---- decoding ---- */

static struct iclass classify(struct decode_cache *dc, const cs_insn *in)
{
	if (in->id == 0) /* SKIPDATA ".byte" */
		return (struct iclass){ IC_ALU, 0, X86S_NONE };
	return dc->isa == ISA_A64 ? a64_classify(dc, in) : x86_classify(in);
}

static void front_clear(struct decode_cache *dc)
{
	for (uint32_t i = 0; i < (1u << DECODE_FRONT_BITS); i++)
		dc->front.e[i] = (struct decode_entry){ .size = UINT32_MAX };
}

static const struct decode_entry *front_fill(struct decode_cache *dc, const struct dblock *b)
{
	struct decode_entry *e = &dc->front.e[decode_front_index(b->addr)];
	*e = (struct decode_entry){ b->addr, b->size, b->ninsns, b->cost_milli, b };
	return e;
}

struct decode_cache *decode_cache_new(enum isa isa, const uint32_t cpi_milli[IC_COUNT])
{
	struct decode_cache *dc;
	cs_err ce;

	if (isa != ISA_A64 && isa != ISA_X86_64) {
		err_set("decode: unknown ISA %d", (int)isa);
		return NULL;
	}
	/* aligned: a front entry never straddles two cache lines */
	dc = aligned_alloc(64, (sizeof *dc + 63) & ~(size_t)63);
	if (!dc) {
		err_set("decode: out of memory");
		return NULL;
	}
	memset(dc, 0, sizeof *dc);
	front_clear(dc);
	dc->isa = isa;
	memcpy(dc->cpi_milli, cpi_milli, sizeof dc->cpi_milli);
	ce = isa == ISA_A64 ? cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &dc->cs)
			    : cs_open(CS_ARCH_X86, CS_MODE_64, &dc->cs);
	if (ce != CS_ERR_OK) {
		err_set("decode: capstone: %s", cs_strerror(ce));
		free(dc);
		return NULL;
	}
	/* SKIPDATA: literal pools in A64 code become ".byte" instead of ending
	 * the decode. */
	cs_option(dc->cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(dc->cs, CS_OPT_SKIPDATA, CS_OPT_ON);
	dc->insn = cs_malloc(dc->cs);
	dc->bits = 10;
	dc->tab = calloc(1u << dc->bits, sizeof *dc->tab);
	if (!dc->insn || !dc->tab) {
		err_set("decode: out of memory");
		decode_cache_free(dc);
		return NULL;
	}
	return dc;
}

void decode_flush(struct decode_cache *dc)
{
	front_clear(dc);
	for (uint32_t i = 0; i < (1u << dc->bits); i++)
		free(dc->tab[i].b);
	memset(dc->tab, 0, ((size_t)1 << dc->bits) * sizeof *dc->tab);
	dc->used = 0;
}

void decode_cache_free(struct decode_cache *dc)
{
	if (!dc)
		return;
	if (dc->tab)
		decode_flush(dc);
	decode_reap(dc, NULL, 0);
	free(dc->retired);
	free(dc->tab);
	free(dc->sp);
	if (dc->insn)
		cs_free(dc->insn, 1);
	cs_close(&dc->cs);
	if (dc->insn32)
		cs_free(dc->insn32, 1);
	if (dc->cs32)
		cs_close(&dc->cs32);
	free(dc);
}

static inline uint32_t slot_of(const struct decode_cache *dc, uint64_t addr)
{
	/* Fibonacci hashing: the top bits of addr * 2^64/phi. */
	return (uint32_t)((addr * 0x9E3779B97F4A7C15ull) >> (64 - dc->bits));
}

const struct dblock *decode_lookup(struct decode_cache *dc, uint64_t addr, uint32_t size)
{
	uint32_t mask = (1u << dc->bits) - 1;

	for (uint32_t i = slot_of(dc, addr);; i = (i + 1) & mask) {
		const struct slot *s = &dc->tab[i];
		if (!s->b)
			return NULL;
		if (s->addr == addr && s->size == size)
			return s->b;
	}
}

const struct decode_entry *decode_find_slow(struct decode_cache *dc, uint64_t addr, uint32_t size)
{
	const struct dblock *b = decode_lookup(dc, addr, size);
	return b ? front_fill(dc, b) : NULL;
}

/* Places b, replacing a block with the same key.  The table is kept at most
 * half full, so probes stay short and always end at an empty slot. */
static void insert(struct decode_cache *dc, struct dblock *b)
{
	uint32_t mask = (1u << dc->bits) - 1;
	uint32_t i = slot_of(dc, b->addr);

	for (; dc->tab[i].b; i = (i + 1) & mask) {
		if (dc->tab[i].addr == b->addr && dc->tab[i].size == b->size) {
			free(dc->tab[i].b);
			dc->tab[i].b = b;
			front_fill(dc, b);   /* the front may hold the freed block */
			return;
		}
	}
	dc->tab[i] = (struct slot){ b->addr, b->size, b };
	dc->used++;
}

bool decode_drop(struct decode_cache *dc, uint64_t addr, uint32_t size, const struct dblock *b)
{
	uint32_t mask = (1u << dc->bits) - 1, i = slot_of(dc, addr);
	for (; dc->tab[i].b; i = (i + 1) & mask)
		if (dc->tab[i].addr == addr && dc->tab[i].size == size)
			break;
	if (dc->tab[i].b != b || !b)
		return false;   /* gone already, or decoded again since */
	if (dc->nretired == dc->retired_cap) {
		uint32_t cap = dc->retired_cap ? 2 * dc->retired_cap : 64;
		struct dblock **r = realloc(dc->retired, cap * sizeof *r);
		if (!r)
			return false;   /* kept: stale costs rather than a dangling cur */
		dc->retired = r;
		dc->retired_cap = cap;
	}
	dc->retired[dc->nretired++] = dc->tab[i].b;
	struct decode_entry *e = &dc->front.e[decode_front_index(addr)];
	if (e->b == b)
		*e = (struct decode_entry){ .size = UINT32_MAX };
	/* Linear probing without tombstones: later entries of the run whose
	 * home slot is not after the hole move back into it. */
	for (uint32_t j = i;;) {
		dc->tab[i].b = NULL;
		for (;;) {
			j = (j + 1) & mask;
			if (!dc->tab[j].b) {
				dc->used--;
				return true;
			}
			uint32_t k = slot_of(dc, dc->tab[j].addr);
			if (i <= j ? (k <= i || k > j) : (k <= i && k > j))
				break;
		}
		dc->tab[i] = dc->tab[j];
		i = j;
	}
}

void decode_reap(struct decode_cache *dc, const struct dblock *const *keep, unsigned nkeep)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < dc->nretired; i++) {
		unsigned k = 0;
		while (k < nkeep && keep[k] != dc->retired[i])
			k++;
		if (k < nkeep)
			dc->retired[n++] = dc->retired[i];
		else
			free(dc->retired[i]);
	}
	dc->nretired = n;
}

static int grow(struct decode_cache *dc)
{
	struct slot *old = dc->tab;
	uint32_t n = 1u << dc->bits;

	if (dc->bits >= 31)
		return 0; /* keep probing a fuller table rather than overflow */
	dc->tab = calloc((size_t)n * 2, sizeof *dc->tab);
	if (!dc->tab) {
		dc->tab = old;
		return -1;
	}
	dc->bits++;
	dc->used = 0;
	for (uint32_t i = 0; i < n; i++)
		if (old[i].b)
			insert(dc, old[i].b);
	free(old);
	return 0;
}

static int add_special(struct decode_cache *dc, uint32_t *n, uint64_t addr, enum x86_special kind)
{
	if (*n == dc->sp_cap) {
		uint32_t cap = dc->sp_cap ? 2 * dc->sp_cap : 8;
		struct dblock_special *p = realloc(dc->sp, cap * sizeof *p);
		if (!p)
			return -1;
		dc->sp = p;
		dc->sp_cap = cap;
	}
	dc->sp[(*n)++] = (struct dblock_special){ addr, kind };
	return 0;
}

void decode_set_x86_mode(struct decode_cache *dc, bool (*code32)(void *ctx))
{
	dc->code32 = code32;
}

void decode_set_x86_ctx(struct decode_cache *dc, void *ctx)
{
	dc->code32_ctx = ctx;
}

/* The handle and instruction for the code decoded now (x86: its mode) */
static csh pick(struct decode_cache *dc, cs_insn **insn)
{
	*insn = dc->insn;
	if (!dc->code32 || !dc->code32(dc->code32_ctx))
		return dc->cs;
	if (!dc->cs32) {
		if (cs_open(CS_ARCH_X86, CS_MODE_32, &dc->cs32) != CS_ERR_OK)
			return dc->cs;
		cs_option(dc->cs32, CS_OPT_DETAIL, CS_OPT_ON);
		cs_option(dc->cs32, CS_OPT_SKIPDATA, CS_OPT_ON);
		dc->insn32 = cs_malloc(dc->cs32);
	}
	if (!dc->insn32)
		return dc->cs;
	*insn = dc->insn32;
	return dc->cs32;
}

const struct dblock *decode_block(struct decode_cache *dc, uint64_t addr, const uint8_t *code, uint32_t size)
{
	struct dblock t = { .addr = addr, .size = size };
	const uint8_t *p = code;
	size_t left = size;
	uint64_t a = addr;
	struct dblock *b;
	cs_insn *insn;
	csh cs = pick(dc, &insn);

	while (left) {
		struct iclass ic;
		if (!cs_disasm_iter(cs, &p, &left, &a, insn)) {
			/* Fewer bytes than one SKIPDATA unit (A64: a partial word). */
			ic = (struct iclass){ IC_ALU, 0, X86S_NONE };
			t.undecodable = true;
			left = 0;
		} else {
			ic = classify(dc, insn);
			if (insn->id == 0)
				t.undecodable = true;
		}
		t.ninsns++;
		t.nclass[ic.c]++;
		t.mem_bytes += ic.mem_bytes;
		t.cost_milli += dc->cpi_milli[ic.c];
		if (ic.special != X86S_NONE && add_special(dc, &t.nspecials, insn->address, ic.special) < 0)
			return NULL;
	}
	if ((dc->used + 1) * 2 > (1u << dc->bits) && grow(dc) < 0)
		return NULL;
	/* Specials live right after the block: one allocation per block. */
	b = malloc(sizeof *b + t.nspecials * sizeof *t.specials);
	if (!b)
		return NULL;
	*b = t;
	if (t.nspecials) {
		b->specials = (struct dblock_special *)(b + 1);
		memcpy(b->specials, dc->sp, t.nspecials * sizeof *t.specials);
	}
	insert(dc, b);
	dc->decoded++;
	if (t.ninsns > dc->max_insns)
		dc->max_insns = t.ninsns;
	return b;
}

enum insn_class decode_one(struct decode_cache *dc, uint64_t addr, const uint8_t *code, uint32_t avail, uint32_t *len)
{
	const uint8_t *p = code;
	size_t left = avail;
	uint64_t a = addr;

	cs_insn *insn;
	csh cs = pick(dc, &insn);
	*len = 0;
	if (!avail || !cs_disasm_iter(cs, &p, &left, &a, insn) || insn->id == 0)
		return IC_ALU;
	*len = insn->size;
	return classify(dc, insn).c;
}

/* A Capstone register as a GPR number in ModRM order, and whether it is a
 * 32-bit form; -1 for anything else */
static int x86_gpr(unsigned r, bool *is32)
{
	static const unsigned r64[16] = { X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP,
					  X86_REG_RBP, X86_REG_RSI, X86_REG_RDI, X86_REG_R8, X86_REG_R9,
					  X86_REG_R10, X86_REG_R11, X86_REG_R12, X86_REG_R13, X86_REG_R14,
					  X86_REG_R15 };
	static const unsigned r32[16] = { X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX, X86_REG_ESP,
					  X86_REG_EBP, X86_REG_ESI, X86_REG_EDI, X86_REG_R8D, X86_REG_R9D,
					  X86_REG_R10D, X86_REG_R11D, X86_REG_R12D, X86_REG_R13D, X86_REG_R14D,
					  X86_REG_R15D };
	for (int i = 0; i < 16; i++) {
		if (r == r64[i] || r == r32[i]) {
			*is32 = r == r32[i];
			return i;
		}
	}
	return -1;
}

bool decode_x86_memop(struct decode_cache *dc, uint64_t addr, const uint8_t *code, uint32_t avail, uint32_t *len,
		      struct x86_memop *m)
{
	const uint8_t *p = code;
	size_t left = avail;
	uint64_t a = addr;
	cs_insn *insn;
	csh cs = pick(dc, &insn);
	*len = 0;
	if (dc->isa != ISA_X86_64 || !avail || !cs_disasm_iter(cs, &p, &left, &a, insn) || insn->id == 0)
		return false;
	*len = insn->size;
	const cs_x86 *x = &insn->detail->x86;
	for (int k = 0; k < x->op_count; k++) {
		const cs_x86_op *o = &x->operands[k];
		bool b32 = false, i32 = false;
		if (o->type != X86_OP_MEM || insn->id == X86_INS_LEA || insn->id == X86_INS_NOP)
			continue;
		*m = (struct x86_memop){ .base = x86_gpr(o->mem.base, &b32), .index = x86_gpr(o->mem.index, &i32),
					 .rip_rel = o->mem.base == X86_REG_RIP || o->mem.base == X86_REG_EIP,
					 .scale = (unsigned)o->mem.scale, .disp = o->mem.disp, .size = o->size,
					 .seg = o->mem.segment == X86_REG_FS ? 4 : o->mem.segment == X86_REG_GS ? 5 : -1 };
		m->addr32 = b32 || i32 || o->mem.base == X86_REG_EIP;
		if (m->rip_rel)   /* Capstone's disp is relative to the next instruction */
			m->disp += (int64_t)(addr + insn->size);
		return true;
	}
	return false;
}

uint64_t decode_stats_blocks(const struct decode_cache *dc)
{
	return dc->decoded;
}

uint32_t decode_max_insns(const struct decode_cache *dc)
{
	return dc->max_insns;
}

/* ---- A64 load/store addressing (Arm ARM C4.1.66) ---- */
static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ULL << (bits - 1);
	v &= (m << 1) - 1;
	return (int64_t)((v ^ m) - m);
}

#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

bool a64_decode_ldst(uint32_t insn, struct a64_ldst *d)
{
	*d = (struct a64_ldst){ .rn = BITS(insn, 9, 5), .add_offset = true };
	unsigned size = BITS(insn, 31, 30), opc = BITS(insn, 23, 22);
	if (BITS(insn, 26, 26))            /* V: FP/SIMD registers (guests here are -mgeneral-regs-only) */
		return false;
	d->align = 1u << size;
	d->write = opc == 0;
	if ((insn & 0x3b000000u) == 0x39000000u) {         /* unsigned immediate, scaled */
		d->imm = (int64_t)(BITS(insn, 21, 10) << size);
	} else if ((insn & 0x3b200000u) == 0x38000000u) {  /* unscaled, post-, unprivileged, pre-index */
		d->imm = sext(BITS(insn, 20, 12), 9);
		d->add_offset = BITS(insn, 11, 10) != 1;   /* post-index: the base alone */
	} else if ((insn & 0x3b200c00u) == 0x38200800u) {  /* register offset */
		d->use_rm = true;
		d->rm = BITS(insn, 20, 16);
		d->extend = BITS(insn, 15, 13);
		d->shift = BITS(insn, 12, 12) ? size : 0;
	} else if ((insn & 0x3a000000u) == 0x28000000u) {  /* pair: opc [31:30], L [22], imm7 */
		unsigned scale = 2 + (size >> 1);
		d->write = !BITS(insn, 22, 22);
		d->imm = sext(BITS(insn, 21, 15), 7) * (1 << scale);
		d->add_offset = BITS(insn, 24, 23) != 1;   /* post-index: the base alone */
		d->align = 1u << scale;
	} else if ((insn & 0x3f000000u) == 0x08000000u) {  /* exclusive, acquire/release: the base */
		d->write = !BITS(insn, 22, 22);
		d->exclusive = !BITS(insn, 23, 23);         /* o2 = 0: LDXR/STXR and pairs */
		d->add_offset = false;
		if (d->exclusive && BITS(insn, 21, 21))     /* o1: a pair, aligned as a whole */
			d->align <<= 1;
	} else {
		return false;
	}
	return true;
}
