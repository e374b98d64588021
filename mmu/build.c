/* Table builder (build.h).  Layouts from mmu/x86pt.h, mmu/ept.h, mmu/vmsa.h. */
#include "mmu/build.h"

#include <inttypes.h>

#include "core/err.h"
#include "mmu/ept.h"
#include "mmu/vmsa.h"
#include "mmu/x86pt.h"

/* The levels of a stage: first level, step (+1/-1), count, index bits of the start table */
struct bgeo {
	int level0, dir;
	unsigned n, top, g;
};

static bool bgeo(const struct mmu_stage *st, struct bgeo *g)
{
	if (st->fmt == MMU_X86_PAGING || st->fmt == MMU_EPT) {
		if (st->levels != 4 && st->levels != 5)
			return false;
		*g = (struct bgeo){ .level0 = (int)st->levels, .dir = -1, .n = st->levels, .top = 9, .g = 12 };
		return true;
	}
	if (!vmsa_granule_ok(st->granule_shift) || st->ia_bits < 25 || st->ia_bits > 52)
		return false;
	int l0 = st->fmt == MMU_VMSA_S1 ? vmsa_s1_start_level(st->granule_shift, st->ia_bits) : st->start_level;
	if (l0 < vmsa_min_level(st->granule_shift) || l0 > 3)
		return false;
	int top = (int)st->ia_bits - (int)vmsa_level_shift(st->granule_shift, l0);
	if (top < 1 || top > (int)vmsa_stride(st->granule_shift) + 4)
		return false;
	*g = (struct bgeo){ .level0 = l0, .dir = 1, .n = (unsigned)(4 - l0), .top = (unsigned)top,
			    .g = st->granule_shift };
	return true;
}

static unsigned bshift(const struct bgeo *g, int level)
{
	return g->dir < 0 ? X86_LEVEL_SHIFT(level) : vmsa_level_shift(g->g, level);
}

static unsigned ia_limit(const struct mmu_stage *st, const struct bgeo *g)
{
	return g->dir < 0 ? 12 + 9 * g->n : st->ia_bits;
}

bool mmu_leaf_level(const struct mmu_stage *st, unsigned page_shift, int *level)
{
	struct bgeo g;
	if (!bgeo(st, &g))
		return false;
	for (unsigned i = 0; i < g.n; i++) {
		int l = g.level0 + g.dir * (int)i;
		if (bshift(&g, l) != page_shift)
			continue;
		bool ok = g.dir < 0 ? l <= 3 : (l == 3 || vmsa_block_ok(g.g, l));
		if (ok)
			*level = l;
		return ok;
	}
	return false;
}

uint64_t mmu_enc_table(const struct mmu_stage *st, int level, uint64_t next)
{
	switch (st->fmt) {
	case MMU_X86_PAGING:   /* accessed already: a fresh mapping walks without write-backs */
		return next | FIELD_MASK(X86PTE, P) | FIELD_MASK(X86PTE, RW) | FIELD_MASK(X86PTE, US) |
		       FIELD_MASK(X86PTE, A);
	case MMU_EPT:
		return next | FIELD_MASK(EPTE, RWX) | FIELD_MASK(EPTE, A);
	default:
		return next | FIELD_MASK(VMSAD, VALID) | FIELD_MASK(VMSAD, TYPE);
	}
}

static uint64_t enc_x86(const struct mmu_stage *st, int level, uint64_t oa, unsigned perms, int attr)
{
	uint64_t d = oa | FIELD_MASK(X86PTE, P) | FIELD_MASK(X86PTE, A);
	d = FIELD_DP(d, X86PTE, RW, !!(perms & MMU_W));
	d = FIELD_DP(d, X86PTE, US, !!(perms & MMU_U));
	if (level > 1)
		d |= FIELD_MASK(X86PTE, PS);
	if (!(perms & MMU_X) && (st->ctl & MMU_CTL_NXE))
		d |= FIELD_MASK(X86PTE, XD);
	return d | (attr < 0 ? 0 : (uint64_t)attr & (FIELD_MASK(X86PTE, PWT) | FIELD_MASK(X86PTE, PCD)));
}

static uint64_t enc_ept(int level, uint64_t oa, unsigned perms, int attr)
{
	uint64_t d = oa | (perms & 7) | FIELD_MASK(EPTE, A);
	d = FIELD_DP(d, EPTE, MT, attr < 0 ? EPT_MT_WB : (unsigned)attr);
	return level > 1 ? d | FIELD_MASK(EPTE, PS) : d;
}

static uint64_t enc_vmsa(const struct mmu_stage *st, int level, uint64_t oa, unsigned perms, int attr)
{
	uint64_t d = oa | FIELD_MASK(VMSAD, VALID) | FIELD_MASK(VMSAD, AF);
	d = FIELD_DP(d, VMSAD, TYPE, level == 3);
	d = FIELD_DP(d, VMSAD, SH, VMSA_SH_INNER);
	if (st->fmt == MMU_VMSA_S2) {
		d = FIELD_DP(d, VMSAD, MEMATTR, attr < 0 ? VMSA_S2_MEMATTR_WB : (unsigned)attr);
		d = FIELD_DP(d, VMSAD, S2AP_R, !!(perms & MMU_R));
		d = FIELD_DP(d, VMSAD, S2AP_W, !!(perms & MMU_W));
		return FIELD_DP(d, VMSAD, XN, !(perms & MMU_X));
	}
	d = FIELD_DP(d, VMSAD, ATTRINDX, attr < 0 ? 0 : (unsigned)attr);
	d = FIELD_DP(d, VMSAD, AP1, !!(perms & MMU_U));
	d = FIELD_DP(d, VMSAD, AP2, !(perms & MMU_W));
	d = FIELD_DP(d, VMSAD, PXN, !(perms & MMU_X));
	return FIELD_DP(d, VMSAD, UXN, !(perms & MMU_UX));
}

uint64_t mmu_enc_leaf(const struct mmu_stage *st, int level, uint64_t oa, unsigned perms, int attr)
{
	switch (st->fmt) {
	case MMU_X86_PAGING: return enc_x86(st, level, oa, perms, attr);
	case MMU_EPT: return enc_ept(level, oa, perms, attr);
	default: return enc_vmsa(st, level, oa, perms, attr);
	}
}

/* Is d a table descriptor at level?  (What the builder itself writes.) */
static bool is_table(const struct mmu_stage *st, int level, uint64_t d)
{
	switch (st->fmt) {
	case MMU_X86_PAGING: return FIELD_EX(d, X86PTE, P) && !x86pt_is_leaf(d, level);
	case MMU_EPT: return FIELD_EX(d, EPTE, RWX) && !ept_is_leaf(d, level);
	default: return level < 3 && (d & 3) == 3;
	}
}

static bool is_empty(const struct mmu_stage *st, uint64_t d)
{
	switch (st->fmt) {
	case MMU_X86_PAGING: return !FIELD_EX(d, X86PTE, P);
	case MMU_EPT: return !FIELD_EX(d, EPTE, RWX);
	default: return !FIELD_EX(d, VMSAD, VALID);
	}
}

static uint64_t table_addr(const struct bgeo *g, uint64_t d)
{
	return d & field_mask(g->g, 52 - g->g);
}

static uint64_t entry_at(const struct bgeo *g, uint64_t table, uint64_t ia, unsigned i)
{
	int level = g->level0 + g->dir * (int)i;
	unsigned bits = i == 0 ? g->top : g->g - 3;
	return table + ((ia >> bshift(g, level)) & ((1ULL << bits) - 1)) * 8;
}

/* The descriptor address for ia at target level; allocating missing tables when alloc. */
static int descend(const struct mmu_builder *b, const struct bgeo *g, uint64_t ia, int target, bool alloc,
		   uint64_t *addr)
{
	const struct mmu_stage *st = b->st;
	uint64_t table = st->root;
	for (unsigned i = 0; i < g->n; i++) {
		int level = g->level0 + g->dir * (int)i;
		uint64_t ea = entry_at(g, table, ia, i), d;
		if (level == target) {
			*addr = ea;
			return 0;
		}
		if (!b->mem.read(b->mem.ctx, ea, &d))
			return err_set("mmu: table at 0x%" PRIx64 " is outside memory", ea);
		if (is_table(st, level, d)) {
			table = table_addr(g, d);
			continue;
		}
		if (!is_empty(st, d))
			return err_set("mmu: 0x%" PRIx64 " is already mapped by a level-%d leaf", ia, level);
		if (!alloc)
			return -1;
		uint64_t gran = 1ULL << g->g, t;
		if (!b->alloc(b->alloc_ctx, gran, &t))
			return err_set("mmu: out of table memory");
		if (!b->mem.write(b->mem.ctx, ea, mmu_enc_table(st, level, t)))
			return err_set("mmu: cannot write the table entry at 0x%" PRIx64, ea);
		table = t;
	}
	return err_set("mmu: level %d is not a level of this format", target);
}

bool mmu_entry_addr(const struct mmu_builder *b, uint64_t ia, int level, uint64_t *addr)
{
	struct bgeo g;
	return bgeo(b->st, &g) && descend(b, &g, ia, level, false, addr) == 0;
}

int mmu_build_root(const struct mmu_builder *b, uint64_t *root)
{
	struct bgeo g;
	if (!bgeo(b->st, &g))
		return err_set("mmu: inconsistent stage configuration (levels, granule, input size, start level)");
	uint64_t size = 8ULL << g.top;
	if (size < (1ULL << g.g) && g.dir < 0)
		size = 1ULL << g.g;
	if (size < 64)
		size = 64;
	if (!b->alloc(b->alloc_ctx, size, root))
		return err_set("mmu: out of table memory");
	return 0;
}

int mmu_map(const struct mmu_builder *b, uint64_t ia, uint64_t oa, uint64_t size, unsigned page_shift,
	    unsigned perms, int attr)
{
	const struct mmu_stage *st = b->st;
	struct bgeo g;
	int level;
	if (!bgeo(st, &g))
		return err_set("mmu: inconsistent stage configuration (levels, granule, input size, start level)");
	if (!mmu_leaf_level(st, page_shift, &level))
		return err_set("mmu: no leaf maps 2^%u bytes in this format", page_shift);
	uint64_t page = 1ULL << page_shift;
	unsigned lim = ia_limit(st, &g);
	if ((ia | oa | size) & (page - 1))
		return err_set("mmu: 0x%" PRIx64 "+0x%" PRIx64 " -> 0x%" PRIx64 " is not aligned to 2^%u", ia, size, oa,
			       page_shift);
	if (size && (((ia + size - 1) >> lim) || ia + size < ia))
		return err_set("mmu: 0x%" PRIx64 "+0x%" PRIx64 " is beyond the %u-bit input size", ia, size, lim);
	unsigned ob = st->oa_bits ? st->oa_bits : 52;
	if (size && (((oa + size - 1) >> ob) || oa + size < oa))
		return err_set("mmu: output 0x%" PRIx64 "+0x%" PRIx64 " is beyond the %u-bit output size", oa, size, ob);
	for (uint64_t off = 0; off < size; off += page) {
		uint64_t ea;
		if (descend(b, &g, ia + off, level, true, &ea) < 0)
			return -1;
		if (!b->mem.write(b->mem.ctx, ea, mmu_enc_leaf(st, level, oa + off, perms, attr)))
			return err_set("mmu: cannot write the leaf at 0x%" PRIx64, ea);
	}
	return 0;
}
