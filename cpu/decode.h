/* Translated-block decoder: Capstone decodes each guest block once (cached
 * by address) and classifies its instructions for the timing model and for
 * the front ends (which need to know where RDMSR/WRMSR/RDTSC sit on x86).
 * Knows nothing of Unicorn: it is given the block's bytes. */
#ifndef HVSIM_CPU_DECODE_H
#define HVSIM_CPU_DECODE_H
#include <stdbool.h>
#include <stdint.h>

enum isa { ISA_A64, ISA_X86_64 };

/* Instruction classes, each with a base CPI in the design ([cpu] cpi_*). */
enum insn_class {
	IC_ALU,      /* integer data processing, moves, address generation */
	IC_MULDIV,   /* integer multiply / divide */
	IC_LOAD,     /* memory reads (a load+op on x86 counts as a load) */
	IC_STORE,    /* memory writes (read-modify-write on x86 counts as a store) */
	IC_BRANCH,   /* jumps, calls, returns, conditional branches */
	IC_FP,       /* floating point and SIMD */
	IC_SYSTEM,   /* system instructions: MSR/MRS, barriers, HVC, CPUID, IN/OUT... */
	IC_COUNT
};
const char *insn_class_name(enum insn_class c);

/* x86 instructions the front end must intercept by address because
 * Unicorn 2.0.1 has no UC_HOOK_INSN for them (MOV to CRn and INVLPG: only
 * with the translation model on, which must see TLB maintenance). */
enum x86_special { X86S_NONE, X86S_RDMSR, X86S_WRMSR, X86S_RDTSC, X86S_MOV_CR, X86S_INVLPG, X86S_VMCALL };

struct dblock_special {
	uint64_t addr;
	enum x86_special kind;
};

struct dblock {
	uint64_t addr;
	uint32_t size;          /* bytes covered by the block as given */
	uint32_t ninsns;
	uint32_t nclass[IC_COUNT];
	uint32_t mem_bytes;     /* bytes moved by loads + stores (ldp/stp count twice) */
	uint64_t cost_milli;    /* cycles * 1000 from the CPI table given to decode_cache_new */
	struct dblock_special *specials;  /* x86 only */
	uint32_t nspecials;
	bool undecodable;       /* Capstone could not decode some bytes (counted as IC_ALU) */
};

/* The run loop looks up every executed block.  A direct-mapped table keyed
 * by block address sits in front of the hash table and holds, next to the
 * key, what the timing model adds per execution, so the usual lookup is one
 * index computation and one 32-byte entry (64-byte aligned table: one cache
 * line).  2^16 entries (2 MiB): a Linux kernel's blocks missed 2^12 often
 * enough that the hash table's lookups were 7% of its boot. */
#define DECODE_FRONT_BITS 16
struct decode_entry {
	uint64_t addr;
	uint32_t size;          /* UINT32_MAX: empty (Unicorn blocks are far smaller) */
	uint32_t ninsns;
	uint64_t cost_milli;
	const struct dblock *b;
};
/* struct decode_cache begins with this table. */
struct decode_front {
	struct decode_entry e[1u << DECODE_FRONT_BITS];
};

struct decode_cache;
/* cpi_milli[c]: cycles per instruction of class c, times 1000. */
struct decode_cache *decode_cache_new(enum isa isa, const uint32_t cpi_milli[IC_COUNT]);
void decode_cache_free(struct decode_cache *dc);
/* Returns the cached block at addr whose size equals size, or NULL. O(1). */
const struct dblock *decode_lookup(struct decode_cache *dc, uint64_t addr, uint32_t size);
/* decode_find's miss path: the hash table; refills the front entry. */
const struct decode_entry *decode_find_slow(struct decode_cache *dc, uint64_t addr, uint32_t size);

/* Index of addr in the front table: the A64 blocks of an aligned 256 KiB,
 * and the x86 start bytes of an aligned 64 KiB, never collide (x ^ x >> 2
 * keeps bits 2..17 of an A64 and bits 0..15 of an x86 address apart). */
static inline uint32_t decode_front_index(uint64_t addr)
{
	return (uint32_t)(addr ^ addr >> 2) & ((1u << DECODE_FRONT_BITS) - 1);
}

/* As decode_lookup, for the run loop: the entry of the block, or NULL. */
static inline const struct decode_entry *decode_find(struct decode_cache *dc, uint64_t addr, uint32_t size)
{
	const struct decode_entry *e = &((const struct decode_front *)dc)->e[decode_front_index(addr)];
	if (e->addr == addr && e->size == size)
		return e;
	return decode_find_slow(dc, addr, size);
}
/* Decodes code[0..size) as a block at addr, caches and returns it.  Never fails
 * on bad bytes (they are counted, see undecodable); returns NULL only on OOM
 * or for a block costing 2^32 cycles or more (far beyond a Unicorn block). */
const struct dblock *decode_block(struct decode_cache *dc, uint64_t addr, const uint8_t *code, uint32_t size);
/* x86: code32(ctx) says whether the code decoded now is 32-bit (protected
 * or compatibility mode) rather than 64-bit; ctx is the vCPU whose block is
 * decoded, set before each block (a pointer store).  A block keeps the
 * decoding of the mode it was first seen in. */
void decode_set_x86_mode(struct decode_cache *dc, bool (*code32)(void *ctx));
void decode_set_x86_ctx(struct decode_cache *dc, void *ctx);
/* Drops every cached block (guest code changed). */
void decode_flush(struct decode_cache *dc);
/* Drops the block b cached for (addr, size), if it still is (b is compared,
 * never read): the guest rewrote its code.  Until decode_reap, b stays
 * readable (a vCPU may be executing it).  False if it was not there. */
bool decode_drop(struct decode_cache *dc, uint64_t addr, uint32_t size, const struct dblock *b);
/* Frees the dropped blocks, but those in keep[0..nkeep). */
void decode_reap(struct decode_cache *dc, const struct dblock *const *keep, unsigned nkeep);
/* Classifies one instruction; len gets its length (0 if undecodable).
 * For tests and for the front ends' fault decode. */
enum insn_class decode_one(struct decode_cache *dc, uint64_t addr, const uint8_t *code, uint32_t avail, uint32_t *len);
uint64_t decode_stats_blocks(const struct decode_cache *dc);
/* The most instructions in any block decoded so far. */
uint32_t decode_max_insns(const struct decode_cache *dc);

/* x86: the explicit memory operand of one instruction, for the front end
 * to compute its address from the registers (SDM Vol. 2A 2.1.5).  GPRs by
 * number in ModRM order (0 RAX .. 15 R15), -1 none; 32-bit forms set
 * addr32. */
struct x86_memop {
	int base, index;
	bool rip_rel, addr32;
	unsigned scale;
	int64_t disp;
	int seg;                 /* 4 FS, 5 GS (their bases apply), -1 other */
	unsigned size;           /* bytes accessed */
};
/* The instruction at code (addr, avail bytes): its length in *len (0 if
 * undecodable) and true with *m when it has an explicit memory operand. */
bool decode_x86_memop(struct decode_cache *dc, uint64_t addr, const uint8_t *code, uint32_t avail, uint32_t *len,
		      struct x86_memop *m);

/* An A64 load or store as an alignment fault needs it (Arm ARM C4.1.66
 * "Loads and stores"): the address is X[rn] (SP for 31) plus, when
 * add_offset, either the register X[rm] (XZR for 31) extended by `extend`
 * (the option field: 2 UXTW, 3 LSL, 6 SXTW, 7 SXTX) and shifted by `shift`,
 * or the immediate `imm`.  `align`: the alignment the access needs when
 * alignment is checked (an element; a whole exclusive pair). */
struct a64_ldst {
	unsigned rn, rm, extend, shift;
	bool use_rm, add_offset, write, exclusive;
	int64_t imm;
	unsigned align;
};
/* False if insn is not a general-register load/store of those classes
 * (unsigned offset, unscaled/pre/post-index, register offset, pair,
 * exclusive and acquire/release). */
bool a64_decode_ldst(uint32_t insn, struct a64_ldst *d);

#endif
