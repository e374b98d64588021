/* The one- and two-dimensional page-table walk (mmu.h).
 *
 * Order of references (the hardware's, SDM 3C 29.3.2 and Arm ARM D8.2.3):
 * for each stage-1 level, top down, first the stage-2 walk of the GPA of
 * that level's descriptor (its references carry the stage-1 step), then the
 * stage-1 descriptor read; last the stage-2 walk of the final GPA (step n).
 * n stage-1 and m stage-2 levels make (n+1)(m+1)-1 reads.
 *
 * Choices the specs leave open, as KVM's and QEMU's walkers make them:
 * - Accessed/Dirty/AF/DBM write-backs are made only when the whole access
 *   translates (a fault leaves memory unchanged) and are recorded after the
 *   reads, as MMU_REF_UPDATE references, one per descriptor written.
 *   The stage-2 write permission a stage-1 write-back needs is checked when
 *   the stage-1 walk ends, before the final stage-2 walk.
 * - A descriptor outside RAM (mem.read false): on the pc machine unassigned
 *   memory reads as zero, so x86 paging and EPT see a not-present entry
 *   (#PF / EPT violation); VMSA reports a synchronous external abort on the
 *   walk (FSC 0x14 + level).
 * - The walk is bounded by the stage's levels (at most 5); every index is
 *   masked to its table; MMU_MAX_REFS bounds the recorded references. */
#include <stddef.h>

#include "mmu/ept.h"
#include "mmu/mmu.h"
#include "mmu/vmsa.h"
#include "mmu/x86pt.h"

#define MAX_LEVELS 5
#define MAX_UPD 40

/* A pending write-back */
struct upd {
	uint64_t pa, ia, set, clear;
	uint8_t stage, step;
	int8_t level;
};

/* One stage's translation of one input address */
struct xlat {
	uint64_t oa;
	unsigned shift;
	unsigned perms;        /* MMU_R/W/X/U/UX for the access's privilege */
	uint64_t ia;           /* the input (stage 2 of a stage-1 step: the descriptor's GPA) */
	uint64_t leaf_pa, leaf_desc;
	int8_t leaf_level;
	uint8_t nlev;          /* descriptors read */
	bool dirty;
};

/* The levels of one stage, as set up for this input */
struct geo {
	int level0, dir;       /* first level; +1 (VMSA counts up) or -1 (x86 counts down) */
	unsigned n;            /* levels at most */
	unsigned g, stride;    /* granule shift; index bits a level */
	unsigned top;          /* index bits of the start table (VMSA stage 2: with concatenation) */
	unsigned oa_bits;
	uint64_t table;        /* start table address */
};

struct walk {
	const struct mmu_regime *r;
	const struct mmu_access *a;
	struct mmu_result *res;
	unsigned nupd;
	struct upd upd[MAX_UPD];
	struct xlat s2step[MAX_LEVELS];   /* the stage-2 translation of each stage-1 step's descriptor */
};

/* What the stage saw at one level */
struct lvl {
	uint64_t pa, desc;
	int8_t level;
	int8_t ref;            /* its index in res->ref, -1 if not recorded */
};

/* Permissions gathered over the levels */
struct acc {
	bool x86_rw, x86_us, x86_xd;
	unsigned ept_rwx;
	bool apt_ro, apt_noel0, pxnt, uxnt;
};

static bool is_x86(enum mmu_format f) { return f == MMU_X86_PAGING || f == MMU_EPT; }

static unsigned level_shift(const struct geo *g, int level)
{
	return g->dir < 0 ? X86_LEVEL_SHIFT(level) : vmsa_level_shift(g->g, level);
}

/* ---------------------------------------------------------------- faults */

static unsigned vmsa_fsc(enum mmu_fault_kind k, int level)
{
	switch (k) {
	case MMU_FAULT_ADDR_SIZE:
		return level < 0 ? VMSA_FSC_ADDR_SIZE_LM1 : VMSA_FSC_ADDR_SIZE + (unsigned)level;
	case MMU_FAULT_ACCESS_FLAG:
		return VMSA_FSC_ACCESS_FLAG + (unsigned)(level < 0 ? 0 : level);
	case MMU_FAULT_PERMISSION:
		return VMSA_FSC_PERMISSION + (unsigned)(level < 0 ? 0 : level);
	case MMU_FAULT_EXTERNAL:
		return level < 0 ? VMSA_FSC_EXT_WALK_LM1 : VMSA_FSC_EXT_WALK + (unsigned)level;
	default:
		return level < 0 ? VMSA_FSC_TRANSLATION_LM1 : VMSA_FSC_TRANSLATION + (unsigned)level;
	}
}

/* Fills res->fault.  type: the access as the faulting stage saw it (a
 * stage-1 table access is a read, or a write for a descriptor update);
 * rwx: EPT R/W/X ANDed over the entries walked. */
static bool fault(struct walk *w, enum mmu_fault_kind k, const struct mmu_stage *st, unsigned stage, int level,
		  uint64_t gpa, bool s1ptw, unsigned type, unsigned rwx)
{
	struct mmu_fault *f = &w->res->fault;
	f->kind = k;
	f->stage = (uint8_t)stage;
	f->level = (int8_t)level;
	f->s1ptw = s1ptw;
	f->va = w->a->addr;
	f->gpa = stage == 2 ? gpa : 0;
	uint64_t s = 0;
	switch (st->fmt) {
	case MMU_X86_PAGING: {
		bool fetch = w->a->type == MMU_X;
		s = FIELD_DP(s, X86PFEC, P, k != MMU_FAULT_TRANSLATION);
		s = FIELD_DP(s, X86PFEC, WR, w->a->type == MMU_W);
		s = FIELD_DP(s, X86PFEC, US, w->a->user);
		s = FIELD_DP(s, X86PFEC, RSVD, k == MMU_FAULT_RESERVED);
		/* SDM 4.7: I/D is reported only with SMEP or NXE */
		s = FIELD_DP(s, X86PFEC, ID, fetch && (st->ctl & (MMU_CTL_SMEP | MMU_CTL_NXE)));
		break;
	}
	case MMU_EPT:
		if (k == MMU_FAULT_RESERVED)
			break;   /* a misconfiguration has no exit qualification */
		s = FIELD_DP(s, EPTQ, READ, type == MMU_R);
		s = FIELD_DP(s, EPTQ, WRITE, type == MMU_W);
		s = FIELD_DP(s, EPTQ, FETCH, type == MMU_X);
		s = FIELD_DP(s, EPTQ, RWX, rwx);
		s = FIELD_DP(s, EPTQ, GLA_VALID, 1);
		s = FIELD_DP(s, EPTQ, GLA_XLAT, !s1ptw);
		break;
	case MMU_VMSA_S1:
	case MMU_VMSA_S2:
		s = FIELD_DP(s, VMSA_ISS, FSC, vmsa_fsc(k, level));
		/* WnR: a data write; on a stage-1 walk, a descriptor update */
		s = FIELD_DP(s, VMSA_ISS, WNR, w->a->type != MMU_X && (s1ptw ? type == MMU_W : w->a->type == MMU_W));
		s = FIELD_DP(s, VMSA_ISS, S1PTW, s1ptw);
		break;
	}
	f->syndrome = s;
	return false;
}

/* ---------------------------------------------------------------- references */

static void add_ref(struct mmu_result *res, uint64_t pa, uint64_t ia, unsigned stage, int level, unsigned step,
		    unsigned flags)
{
	if (res->nrefs >= MMU_MAX_REFS)
		return;
	struct mmu_ref *r = &res->ref[res->nrefs++];
	r->pa = pa;
	r->ia = ia;
	r->stage = (uint8_t)stage;
	r->level = (int8_t)level;
	r->step = (uint8_t)step;
	r->flags = (uint8_t)flags;
}

/* Queues a write-back; one per descriptor (a second update of the same
 * descriptor joins the first). */
static void queue(struct walk *w, uint64_t pa, uint64_t ia, unsigned stage, int level, unsigned step,
		  uint64_t set, uint64_t clear)
{
	for (unsigned i = 0; i < w->nupd; i++)
		if (w->upd[i].pa == pa) {
			w->upd[i].set |= set;
			w->upd[i].clear |= clear;
			return;
		}
	if (w->nupd >= MAX_UPD)
		return;
	w->upd[w->nupd++] = (struct upd){ .pa = pa, .ia = ia, .set = set, .clear = clear,
					  .stage = (uint8_t)stage, .step = (uint8_t)step, .level = (int8_t)level };
}

static void commit(struct walk *w)
{
	const struct mmu_mem *m = &w->r->mem;
	for (unsigned i = 0; i < w->nupd; i++) {
		const struct upd *u = &w->upd[i];
		uint64_t d;
		if (!m->read(m->ctx, u->pa, &d))
			continue;
		uint64_t nd = (d | u->set) & ~u->clear;
		if (nd == d)
			continue;
		if (m->write)
			m->write(m->ctx, u->pa, nd);
		add_ref(w->res, u->pa, u->ia, u->stage, u->level, u->step, MMU_REF_UPDATE);
	}
}

/* ---------------------------------------------------------------- geometry */

static unsigned clampu(unsigned v, unsigned lo, unsigned hi) { return v < lo ? lo : v > hi ? hi : v; }

/* VTCR_EL2.SL0 start levels (D8.2.7; QEMU's check_s2_mmu_setup has the
 * same rules): level -1 only for 4K and a 52-bit IPA; level 0 not with 16K
 * (FEAT_LPA2) nor 64K; 4K level 0 and 64K level 1 only with a PA size
 * above 42 bits. */
static bool vmsa_s2_start_ok(unsigned gs, int level, unsigned ia_bits, unsigned oa_bits)
{
	if (level < vmsa_min_level(gs) || level > 3 || (level < 0 && ia_bits != 52))
		return false;
	if (gs == 14 && level == 0)
		return false;
	if (oa_bits <= 42 && ((gs == 12 && level == 0) || (gs == 16 && level == 1)))
		return false;
	return true;
}

/* Sets up the levels for input ia; false with the fault filled when the
 * input is outside the stage's range or the configuration is inconsistent. */
static bool geo_init(struct walk *w, const struct mmu_stage *st, unsigned stage, uint64_t ia, struct geo *g,
		     bool s1ptw, unsigned type)
{
	if (is_x86(st->fmt)) {
		g->n = st->levels == 5 ? 5 : 4;
		g->level0 = (int)g->n;
		g->dir = -1;
		g->g = 12;
		g->stride = g->top = 9;
		g->oa_bits = st->oa_bits ? clampu(st->oa_bits, 32, 52) : 52;
		g->table = st->root & field_mask(12, g->oa_bits - 12);
		/* A GPA beyond what the EPT levels map (the guest's
		 * MAXPHYADDR is at most that) has no entry: a violation. */
		if (st->fmt == MMU_EPT && (ia >> (12 + 9 * g->n)))
			return fault(w, MMU_FAULT_TRANSLATION, st, stage, g->level0, ia, s1ptw, type, 0);
		return true;
	}
	unsigned gs = vmsa_granule_ok(st->granule_shift) ? st->granule_shift : 12;
	/* Out-of-range TnSZ is CONSTRAINED UNPREDICTABLE: clamped to 16..52 bits,
	 * and to at least one level. */
	unsigned ia_bits = clampu(st->ia_bits, gs + 1 > 25 ? gs + 1 : 25, 52);
	g->g = gs;
	g->stride = vmsa_stride(gs);
	g->dir = 1;
	g->oa_bits = clampu(st->oa_bits, 32, VMSA_OA_BITS_MAX);
	if (stage == 1) {
		/* D8.2.4: VA bits above the input size must all be 0 (TTBR0) or 1 (TTBR1) */
		uint64_t top = ia_bits >= 64 ? 0 : ia >> ia_bits, ones = ~0ULL >> ia_bits;
		if (top != 0 && top != ones)
			return fault(w, MMU_FAULT_TRANSLATION, st, 1, 0, 0, false, type, 0);
		g->level0 = vmsa_s1_start_level(gs, ia_bits);
	} else {
		g->level0 = st->start_level;
		/* Start level against input size (D8.2.7, VTCR_EL2.SL0): the start table
		 * resolves 1 .. stride+4 bits (up to 16 concatenated tables). */
		if (!vmsa_s2_start_ok(gs, g->level0, ia_bits, g->oa_bits))
			return fault(w, MMU_FAULT_TRANSLATION, st, 2, 0, ia, s1ptw, type, 0);
		int top_bits = (int)ia_bits - (int)vmsa_level_shift(gs, g->level0);
		if (top_bits < 1 || top_bits > (int)g->stride + 4)
			return fault(w, MMU_FAULT_TRANSLATION, st, 2, 0, ia, s1ptw, type, 0);
		if (ia >> ia_bits)
			return fault(w, MMU_FAULT_TRANSLATION, st, 2, 0, ia, s1ptw, type, 0);
	}
	g->n = (unsigned)(4 - g->level0);
	g->top = ia_bits - vmsa_level_shift(gs, g->level0);
	/* The start table is aligned to its size (TTBR BADDR, D19.2.155) */
	unsigned talign = g->top + 3 < 6 ? 6 : g->top + 3;
	g->table = st->root & field_mask(talign, VMSA_OA_BITS_MAX - talign);
	if (st->root & field_mask(g->oa_bits, 64 - g->oa_bits))
		return fault(w, MMU_FAULT_ADDR_SIZE, st, stage, 0, ia, s1ptw, type, 0);
	return true;
}

/* ---------------------------------------------------------------- one stage */

enum dk { DK_TABLE, DK_LEAF, DK_INVALID, DK_RESERVED, DK_ADDR_SIZE };

static enum dk decode_x86(const struct mmu_stage *st, const struct geo *g, int level, uint64_t d, struct acc *acc,
			  uint64_t *next)
{
	if (!FIELD_EX(d, X86PTE, P))
		return DK_INVALID;
	bool leaf = x86pt_is_leaf(d, level);
	if (d & x86pt_rsvd_mask(level, leaf, g->oa_bits, st->ctl & MMU_CTL_NXE))
		return DK_RESERVED;
	acc->x86_rw &= FIELD_EX(d, X86PTE, RW);
	acc->x86_us &= FIELD_EX(d, X86PTE, US);
	acc->x86_xd |= FIELD_EX(d, X86PTE, XD);
	*next = x86pt_addr(d, level, leaf);
	return leaf ? DK_LEAF : DK_TABLE;
}

static enum dk decode_ept(const struct mmu_stage *st, const struct geo *g, int level, uint64_t d, struct acc *acc,
			  uint64_t *next)
{
	unsigned rwx = (unsigned)FIELD_EX(d, EPTE, RWX);
	if (!rwx)
		return DK_INVALID;
	bool leaf = ept_is_leaf(d, level);
	if (ept_misconfig(d, level, leaf, g->oa_bits, st->ctl & MMU_CTL_XO))
		return DK_RESERVED;
	acc->ept_rwx &= rwx;
	unsigned lo = leaf ? X86_LEVEL_SHIFT(level) : 12;
	*next = d & field_mask(lo, 52 - lo);
	return leaf ? DK_LEAF : DK_TABLE;
}

/* D8.3: bits 1:0 = x0 invalid; 01 block (where the granule allows one,
 * else invalid); 11 table, or page at level 3 (where 01 is invalid). */
static enum dk decode_vmsa(const struct mmu_stage *st, const struct geo *g, int level, uint64_t d, struct acc *acc,
			   uint64_t *next)
{
	if (!FIELD_EX(d, VMSAD, VALID))
		return DK_INVALID;
	bool leaf = level == 3 || !FIELD_EX(d, VMSAD, TYPE);
	if (leaf && (level == 3 ? !FIELD_EX(d, VMSAD, TYPE) : !vmsa_block_ok(g->g, level)))
		return DK_INVALID;
	unsigned sh = leaf ? vmsa_level_shift(g->g, level) : g->g;
	uint64_t oa = vmsa_oa(d, sh);
	if (oa >> g->oa_bits)
		return DK_ADDR_SIZE;
	if (!leaf && st->fmt == MMU_VMSA_S1) {
		acc->apt_ro |= FIELD_EX(d, VMSAD, APTABLE1);
		acc->apt_noel0 |= FIELD_EX(d, VMSAD, APTABLE0);
		acc->pxnt |= FIELD_EX(d, VMSAD, PXNTABLE);
		acc->uxnt |= FIELD_EX(d, VMSAD, UXNTABLE);
	}
	*next = oa;
	return leaf ? DK_LEAF : DK_TABLE;
}

static enum dk decode(const struct mmu_stage *st, const struct geo *g, int level, uint64_t d, struct acc *acc,
		      uint64_t *next)
{
	switch (st->fmt) {
	case MMU_X86_PAGING: return decode_x86(st, g, level, d, acc, next);
	case MMU_EPT: return decode_ept(st, g, level, d, acc, next);
	default: return decode_vmsa(st, g, level, d, acc, next);
	}
}

static bool walk_stage(struct walk *w, const struct mmu_stage *st, unsigned stage, uint64_t ia, unsigned type,
		       unsigned step, bool s1ptw, struct xlat *out);

/* Reads the descriptor at table address ea (for stage 1 under a stage 2,
 * a GPA that stage 2 translates first). */
static bool read_desc(struct walk *w, const struct mmu_stage *st, unsigned stage, unsigned step, int level,
		      uint64_t ia, uint64_t ea, bool s1ptw, struct lvl *lv)
{
	uint64_t pa = ea;
	const struct mmu_stage *s2 = w->r->s2;
	if (stage == 1 && s2) {
		/* SDM 29.3.5: with EPT A/D on, guest paging-structure accesses are writes for EPT */
		unsigned t = s2->fmt == MMU_EPT && (s2->ctl & MMU_CTL_AD) ? MMU_W : MMU_R;
		if (!walk_stage(w, s2, 2, ea, t, step, true, &w->s2step[step]))
			return false;
		pa = w->s2step[step].oa;
	}
	lv->ref = (int8_t)(w->res->nrefs < MMU_MAX_REFS ? (int)w->res->nrefs : -1);
	add_ref(w->res, pa, ia, stage, level, step, 0);
	lv->pa = pa;
	lv->level = (int8_t)level;
	if (w->r->mem.read(w->r->mem.ctx, pa, &lv->desc))
		return true;
	if (is_x86(st->fmt)) {
		lv->desc = 0;   /* the pc machine reads unassigned memory as zero */
		return true;
	}
	return fault(w, MMU_FAULT_EXTERNAL, st, stage, level, ia, s1ptw, MMU_R, 0);
}

/* ---------------------------------------------------------------- permissions */

/* SDM 4.6: rights over all levels for the access's privilege */
static unsigned x86_rights(const struct acc *c, bool user, uint32_t ctl)
{
	bool smap = !user && c->x86_us && (ctl & MMU_CTL_SMAP);
	bool nx = c->x86_xd && (ctl & MMU_CTL_NXE);
	unsigned p = 0;
	if (user ? c->x86_us : !smap)
		p |= MMU_R;
	if (user ? c->x86_us && c->x86_rw : (c->x86_rw || !(ctl & MMU_CTL_WP)) && !smap)
		p |= MMU_W;
	if (!nx && (user ? c->x86_us : !(c->x86_us && (ctl & MMU_CTL_SMEP))))
		p |= MMU_X;
	if (c->x86_us)
		p |= MMU_U | (nx ? 0 : MMU_UX);
	return p;
}

/* D8.4: stage-1 rights from AP[2:1], PXN, UXN and the table attributes
 * above; EL1 never executes what EL0 may write; WXN; PAN. */
static unsigned s1_rights(const struct acc *c, uint64_t d, bool ro, bool user, uint32_t ctl)
{
	bool el0 = FIELD_EX(d, VMSAD, AP1) && !c->apt_noel0;
	bool uxn = FIELD_EX(d, VMSAD, UXN) || c->uxnt;
	bool pxn = FIELD_EX(d, VMSAD, PXN) || c->pxnt || (el0 && !ro);
	bool pan = !user && el0 && (ctl & MMU_CTL_PAN);
	unsigned p = 0;
	if (user ? el0 : !pan)
		p |= MMU_R;
	if ((user ? el0 : !pan) && !ro)
		p |= MMU_W;
	bool wxn = (ctl & MMU_CTL_WXN) && !ro && (user ? el0 : true);
	if (!wxn && !(user ? uxn : pxn))
		p |= MMU_X;
	if (el0)
		p |= MMU_U | (uxn || ((ctl & MMU_CTL_WXN) && !ro) ? 0 : MMU_UX);
	return p;
}

static unsigned s2_rights(uint64_t d)
{
	unsigned p = MMU_U | MMU_UX;
	if (FIELD_EX(d, VMSAD, S2AP_R))
		p |= MMU_R;
	if (FIELD_EX(d, VMSAD, S2AP_W))
		p |= MMU_W;
	if (!FIELD_EX(d, VMSAD, XN))
		p |= MMU_X;
	return p;
}

static bool hw_dbm(const struct mmu_stage *st)
{
	return (st->ctl & (MMU_CTL_AD | MMU_CTL_DBM)) == (MMU_CTL_AD | MMU_CTL_DBM);
}

/* The leaf's checks and write-backs, per format.  lv[0..nl-1] are the
 * descriptors read, the leaf last. */
static bool leaf_x86(struct walk *w, const struct mmu_stage *st, unsigned stage, const struct acc *c,
		     const struct lvl *lv, unsigned nl, uint64_t ia, unsigned type, unsigned step, struct xlat *out)
{
	const struct lvl *leaf = &lv[nl - 1];
	out->perms = x86_rights(c, w->a->user, st->ctl);
	if (!(out->perms & type))
		return fault(w, MMU_FAULT_PERMISSION, st, stage, leaf->level, ia, false, type, 0);
	/* SDM 4.8: A in every entry used, D in the entry that maps a written page */
	for (unsigned i = 0; i < nl; i++) {
		uint64_t set = FIELD_MASK(X86PTE, A);
		if (i == nl - 1 && type == MMU_W)
			set |= FIELD_MASK(X86PTE, D);
		if ((lv[i].desc & set) != set)
			queue(w, lv[i].pa, ia, stage, lv[i].level, stage == 1 ? i : step, set, 0);
	}
	out->dirty = FIELD_EX(leaf->desc, X86PTE, D) || type == MMU_W;
	return true;
}

static bool leaf_ept(struct walk *w, const struct mmu_stage *st, const struct acc *c, const struct lvl *lv,
		     unsigned nl, uint64_t ia, unsigned type, unsigned step, bool s1ptw, struct xlat *out)
{
	const struct lvl *leaf = &lv[nl - 1];
	out->perms = c->ept_rwx | MMU_U | MMU_UX;   /* MMU_R/W/X have EPT's bit order */
	if (!(out->perms & type))
		return fault(w, MMU_FAULT_PERMISSION, st, 2, leaf->level, ia, s1ptw, type, c->ept_rwx);
	bool ad = st->ctl & MMU_CTL_AD;
	/* SDM 29.3.5: A in every entry used, D in the leaf of a write */
	for (unsigned i = 0; ad && i < nl; i++) {
		uint64_t set = FIELD_MASK(EPTE, A);
		if (i == nl - 1 && type == MMU_W)
			set |= FIELD_MASK(EPTE, D);
		if ((lv[i].desc & set) != set)
			queue(w, lv[i].pa, ia, 2, lv[i].level, step, set, 0);
	}
	out->dirty = FIELD_EX(leaf->desc, EPTE, D) || (ad && type == MMU_W);
	return true;
}

/* D8.5 (AF, hardware update with TCR.HA/VTCR.HA) and D8.6 (DBM with HD) */
static bool leaf_vmsa(struct walk *w, const struct mmu_stage *st, unsigned stage, const struct acc *c,
		      const struct lvl *leaf, uint64_t ia, unsigned type, unsigned step, bool s1ptw, struct xlat *out)
{
	uint64_t d = leaf->desc, set = 0, clear = 0;
	if (!FIELD_EX(d, VMSAD, AF)) {
		if (!(st->ctl & MMU_CTL_AD))
			return fault(w, MMU_FAULT_ACCESS_FLAG, st, stage, leaf->level, ia, s1ptw, type, 0);
		set |= FIELD_MASK(VMSAD, AF);
	}
	bool dbm = hw_dbm(st) && FIELD_EX(d, VMSAD, DBM);
	if (stage == 1) {
		bool ro = FIELD_EX(d, VMSAD, AP2) || c->apt_ro;
		out->perms = s1_rights(c, d, ro, w->a->user, st->ctl);
		/* DBM: a write to a clean (read-only) page makes it writable-dirty */
		if (type == MMU_W && !(out->perms & MMU_W) && dbm && !c->apt_ro &&
		    (s1_rights(c, d, false, w->a->user, st->ctl) & MMU_W)) {
			out->perms = s1_rights(c, d, false, w->a->user, st->ctl);
			clear |= FIELD_MASK(VMSAD, AP2);
		}
		out->dirty = dbm && !(FIELD_EX(d, VMSAD, AP2) && !clear);
	} else {
		out->perms = s2_rights(d);
		if (type == MMU_W && !(out->perms & MMU_W) && dbm) {
			out->perms |= MMU_W;
			set |= FIELD_MASK(VMSAD, S2AP_W);
		}
		out->dirty = dbm && (out->perms & MMU_W);
	}
	if (!(out->perms & type))
		return fault(w, MMU_FAULT_PERMISSION, st, stage, leaf->level, ia, s1ptw, type, 0);
	if (set | clear)
		queue(w, leaf->pa, ia, stage, leaf->level, step, set, clear);
	return true;
}

/* ---------------------------------------------------------------- the walk */

/* Translates ia through one stage.  Stage 1 under a stage 2 translates each
 * descriptor's GPA first (read_desc); step is the stage-1 step a stage-2
 * walk serves. */
static bool walk_stage(struct walk *w, const struct mmu_stage *st, unsigned stage, uint64_t ia, unsigned type,
		       unsigned step, bool s1ptw, struct xlat *out)
{
	struct geo g = { 0 };
	if (!geo_init(w, st, stage, ia, &g, s1ptw, type))
		return false;
	struct acc c = { .x86_rw = true, .x86_us = true, .ept_rwx = 7 };
	struct lvl lv[MAX_LEVELS];
	uint64_t table = g.table, next = 0;
	for (unsigned i = 0; i < g.n && i < MAX_LEVELS; i++) {
		int level = g.level0 + g.dir * (int)i;
		unsigned sh = level_shift(&g, level), bits = i == 0 ? g.top : g.stride;
		unsigned st_step = stage == 1 ? i : step;
		uint64_t idx = (ia >> sh) & ((1ULL << bits) - 1);
		if (!read_desc(w, st, stage, st_step, level, stage == 1 ? w->a->addr : ia, table + idx * 8, s1ptw, &lv[i]))
			return false;
		switch (decode(st, &g, level, lv[i].desc, &c, &next)) {
		case DK_TABLE:
			table = next;
			continue;
		case DK_INVALID:
			return fault(w, MMU_FAULT_TRANSLATION, st, stage, level, ia, s1ptw, type, 0);
		case DK_RESERVED:
			return fault(w, MMU_FAULT_RESERVED, st, stage, level, ia, s1ptw, type, 0);
		case DK_ADDR_SIZE:
			return fault(w, MMU_FAULT_ADDR_SIZE, st, stage, level, ia, s1ptw, type, 0);
		case DK_LEAF:
			break;
		}
		if (lv[i].ref >= 0)
			w->res->ref[lv[i].ref].flags |= MMU_REF_LEAF;
		out->ia = ia;
		out->shift = sh;
		out->oa = next | (ia & field_mask(0, sh));
		out->leaf_pa = lv[i].pa;
		out->leaf_desc = lv[i].desc;
		out->leaf_level = (int8_t)level;
		out->nlev = (uint8_t)(i + 1);
		switch (st->fmt) {
		case MMU_X86_PAGING:
			return leaf_x86(w, st, stage, &c, lv, i + 1, ia, type, step, out);
		case MMU_EPT:
			return leaf_ept(w, st, &c, lv, i + 1, ia, type, step, s1ptw, out);
		default:
			return leaf_vmsa(w, st, stage, &c, &lv[i], ia, type, st_step, s1ptw, out);
		}
	}
	/* Not reached: the last level's descriptors are leaves or invalid */
	return fault(w, MMU_FAULT_TRANSLATION, st, stage, g.level0 + g.dir * (int)(g.n - 1), ia, s1ptw, type, 0);
}

/* A stage-1 write-back at step i writes the descriptor's GPA: stage 2 must
 * allow the write (SDM 29.3.5: guest A/D updates are writes for EPT; Arm
 * D8.5.5: a stage-2 permission fault on the walk, WnR 1), or make it
 * writable through its own DBM. */
static bool s2_allows_updates(struct walk *w)
{
	const struct mmu_stage *s2 = w->r->s2;
	unsigned n = w->nupd;
	for (unsigned u = 0; u < n; u++) {
		if (w->upd[u].stage != 1)
			continue;
		const struct xlat *x = &w->s2step[w->upd[u].step];
		if (x->perms & MMU_W)
			continue;
		if (s2->fmt == MMU_VMSA_S2 && hw_dbm(s2) && FIELD_EX(x->leaf_desc, VMSAD, DBM)) {
			queue(w, x->leaf_pa, x->ia, 2, x->leaf_level, w->upd[u].step, FIELD_MASK(VMSAD, S2AP_W), 0);
			continue;
		}
		return fault(w, MMU_FAULT_PERMISSION, s2, 2, x->leaf_level, x->ia, true, MMU_W, x->perms & 7);
	}
	return true;
}

bool mmu_walk(const struct mmu_regime *r, const struct mmu_access *a, struct mmu_result *res)
{
	struct walk w;
	w.r = r;
	w.a = a;
	w.res = res;
	w.nupd = 0;
	res->nrefs = 0;
	res->fault.kind = MMU_FAULT_NONE;
	res->s1_shift = res->s2_shift = 0;
	res->s1_dirty = res->s2_dirty = false;
	res->perms = MMU_R | MMU_W | MMU_X | MMU_U | MMU_UX;
	uint64_t gpa = a->addr;
	unsigned n = 0, shift = 64;
	struct xlat x;
	if (r->s1) {
		if (!walk_stage(&w, r->s1, 1, a->addr, a->type, 0, false, &x))
			return false;
		if (r->s2 && !s2_allows_updates(&w))
			return false;
		gpa = x.oa;
		n = x.nlev;
		shift = res->s1_shift = x.shift;
		res->perms &= x.perms;
		res->s1_dirty = x.dirty;
	}
	res->gpa = gpa;
	res->pa = gpa;
	if (r->s2) {
		if (!walk_stage(&w, r->s2, 2, gpa, a->type, n, false, &x))
			return false;
		res->pa = x.oa;
		res->s2_shift = x.shift;
		if (x.shift < shift)
			shift = x.shift;
		/* stage 2 grants no user rights of its own */
		res->perms &= x.perms | MMU_U | MMU_UX;
		if (!(x.perms & MMU_X))
			res->perms &= ~(unsigned)MMU_UX;
		res->s2_dirty = x.dirty;
	}
	res->page_shift = shift == 64 ? 12 : shift;
	commit(&w);
	return true;
}
