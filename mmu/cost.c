/* Which walk references are issued, and what a translation costs.  See cost.h. */
#include "mmu/cost.h"
#include <string.h>

/* ------------------------------------------------------------ TLB side */

static uint16_t tag_of(const struct mmu_stage *st)
{
	return st ? st->tag : 0;
}

/* The stage whose granule sets the page sizes a combined entry can take */
static const struct mmu_stage *size_stage(const struct mmu_regime *r)
{
	return r->s1 ? r->s1 : r->s2;
}

/* Fills t with e, split into the largest smaller page the TLB holds when
 * it holds no entry of e's size (SDM Vol. 3A 4.10.1.3: a processor may
 * cache a large page as smaller-page entries). */
static void fill_fractured(struct tlb *t, const struct mmu_stage *st, uint64_t ia, const struct tlb_entry *e)
{
	struct tlb_entry f = *e;
	for (int slot = 2; slot <= PWC_SLOTS; slot++) {
		unsigned shift = st ? pwc_entry_shift(st, (unsigned)slot) : e->shift;
		if (shift > e->shift)
			continue;
		f.shift = (uint8_t)shift;
		f.vpn = ia >> shift;
		f.out = (e->out + (ia & ((1ull << e->shift) - 1))) >> shift << shift;
		if (tlb_fill(t, &f, NULL) || !st)
			return;
	}
}

static struct tlb *l1_for(struct mmu_caches *c, const struct mmu_access *a)
{
	return &c->tlb[a->type == MMU_X ? MMU_TLB_L1I : MMU_TLB_L1D];
}

const struct tlb_entry *mmu_cost_lookup(struct mmu_caches *c, const struct mmu_regime *r,
					const struct mmu_access *a, struct mmu_cost *out)
{
	uint16_t s1 = tag_of(r->s1), s2 = tag_of(r->s2);
	struct tlb *l1 = l1_for(c, a);
	memset(out, 0, sizeof *out);
	c->n.lookups++;
	out->tlb_hit = a->type == MMU_X ? MMU_TLB_L1I : MMU_TLB_L1D;
	out->cycles = c->l1_hit_cycles;
	const struct tlb_entry *e = tlb_lookup(l1, a->addr, s1, s2);
	if (!e) {
		out->cycles += c->l2_hit_cycles;
		out->tlb_hit = MMU_TLB_L2;
		e = tlb_lookup(&c->tlb[MMU_TLB_L2], a->addr, s1, s2);
		if (e) {
			struct tlb_entry copy = *e;
			fill_fractured(l1, size_stage(r), a->addr, &copy);
		} else {
			out->tlb_hit = -1;
		}
	}
	c->n.lookup_cycles += out->cycles;
	return e;
}

/* ------------------------------------------------------------ walk side */

struct walk {
	struct mmu_caches *c;
	const struct mmu_regime *r;
	const struct mmu_result *res;
	uint16_t s1tag, s2tag;
	int s1_from;          /* first stage-1 step issued */
	int s2_skip_step;     /* sub-walk skipped because the stage-1 entry held a PA (-1: none) */
	int sub_step;         /* sub-walk being processed (-1: none) */
	bool sub_ntlb_hit;
	unsigned sub_first;   /* its first reference */
	int sub_pwc_slot;     /* deepest stage-2 slot that hit in this sub-walk (-1: none) */
	struct mmu_cost *out;
	enum ref_fate { ISSUE, SKIP_PWC, SKIP_NTLB } f[MMU_MAX_REFS];
};

static const struct mmu_stage *stage_of(const struct walk *w, unsigned stage)
{
	return stage == 1 ? w->r->s1 : w->r->s2;
}

static int slot_of(const struct walk *w, const struct mmu_ref *ref)
{
	const struct mmu_stage *st = stage_of(w, ref->stage);
	return st ? pwc_slot(st->fmt, ref->level) : -1;
}

/* Is the read at k followed, in the same (sub-)walk, by a deeper read? */
static bool leads_on(const struct mmu_result *res, unsigned k)
{
	const struct mmu_ref *ref = &res->ref[k];
	if (ref->flags & (MMU_REF_LEAF | MMU_REF_UPDATE))
		return false;
	for (unsigned j = k + 1; j < res->nrefs; j++) {
		const struct mmu_ref *q = &res->ref[j];
		if (q->stage == ref->stage && !(q->flags & MMU_REF_UPDATE) &&
		    (ref->stage == 1 ? q->step == ref->step + 1 : q->step == ref->step))
			return true;
	}
	return false;
}

/* Index of the stage-1 read of a step, or -1 */
static int s1_read(const struct mmu_result *res, int step)
{
	for (unsigned k = 0; k < res->nrefs; k++)
		if (res->ref[k].stage == 1 && res->ref[k].step == step && !(res->ref[k].flags & MMU_REF_UPDATE))
			return (int)k;
	return -1;
}

/* Deepest stage-1 walk-cache hit: the walk resumes after that step */
static void decide_s1(struct walk *w)
{
	w->s1_from = 0;
	w->s2_skip_step = -1;
	if (!w->r->s1)
		return;
	for (int step = MMU_MAX_REFS - 1; step >= 0; step--) {
		int k = s1_read(w->res, step);
		int slot = k < 0 ? -1 : slot_of(w, &w->res->ref[k]);
		if (slot < 0 || slot >= PWC_SLOTS || s1_read(w->res, step + 1) < 0)
			continue;
		struct tlb *pwc = &w->c->pwc.s1[slot];
		if (tlb_lookup(pwc, w->r->s1 ? w->res->ref[k].ia : 0, w->s1tag, w->s2tag)) {
			w->s1_from = step + 1;
			if (w->c->pwc.s1_holds_pa && w->r->s2)
				w->s2_skip_step = step + 1;
			return;
		}
	}
}

/* A stage-2 sub-walk starts at ref first: the nested TLB, then the
 * stage-2 walk caches from the deepest level up. */
static void decide_sub(struct walk *w, unsigned first)
{
	const struct mmu_ref *ref = &w->res->ref[first];
	w->sub_step = ref->step;
	w->sub_first = first;
	w->sub_pwc_slot = -1;
	w->sub_ntlb_hit = tlb_lookup(&w->c->pwc.ntlb, ref->ia, 0, w->s2tag) != NULL;
	if (w->sub_ntlb_hit)
		return;
	for (int k = (int)w->res->nrefs - 1; k >= (int)first; k--) {
		const struct mmu_ref *q = &w->res->ref[k];
		int slot = slot_of(w, q);
		if (q->stage != 2 || q->step != ref->step || slot < 0 || slot >= PWC_SLOTS || !leads_on(w->res, (unsigned)k))
			continue;
		if (tlb_lookup(&w->c->pwc.s2[slot], q->ia, 0, w->s2tag)) {
			w->sub_pwc_slot = slot;
			return;
		}
	}
}

static void issue(struct walk *w, const struct mmu_ref *ref)
{
	struct mmu_cost *o = w->out;
	unsigned served;
	o->cycles += memh_access(&w->c->memh, ref->pa, &served);
	o->served[o->nissued] = served;
	o->issued[o->nissued++] = *ref;
}

static void fill_walk_cache(struct walk *w, unsigned k)
{
	const struct mmu_ref *ref = &w->res->ref[k];
	int slot = slot_of(w, ref);
	if (slot < 0 || slot >= PWC_SLOTS || !leads_on(w->res, k))
		return;
	unsigned shift = pwc_entry_shift(stage_of(w, ref->stage), (unsigned)slot);
	struct tlb_entry e = { .vpn = ref->ia >> shift, .shift = (uint8_t)shift, .s2tag = w->s2tag,
			       .s1tag = ref->stage == 1 ? w->s1tag : 0 };
	tlb_fill(ref->stage == 1 ? &w->c->pwc.s1[slot] : &w->c->pwc.s2[slot], &e, NULL);
}

static void fill_ntlb(struct walk *w, const struct mmu_ref *leaf)
{
	int slot = slot_of(w, leaf);
	if (slot < 0)
		return;
	unsigned shift = pwc_entry_shift(w->r->s2, (unsigned)slot);
	struct tlb_entry e = { .vpn = leaf->ia >> shift, .shift = (uint8_t)shift, .s2tag = w->s2tag, .global = true };
	tlb_fill(&w->c->pwc.ntlb, &e, NULL);
}

/* Does ref belong to the faulting (sub-)walk step, whose reads fill nothing? */
static bool in_fault(const struct walk *w, const struct mmu_ref *ref)
{
	const struct mmu_result *res = w->res;
	if (res->fault.kind == MMU_FAULT_NONE || !res->nrefs)
		return false;
	const struct mmu_ref *last = &res->ref[res->nrefs - 1];
	return ref->stage == last->stage && ref->step == last->step;
}

/* Fills from the issued reads of stage `stage` (step `step`, or every step
 * with step < 0): walk caches, and for stage 2 the nested TLB.  Stage-2
 * fills happen as each sub-walk ends, so a later sub-walk of the same walk
 * can hit them (table pages of one guest page table often share a GPA
 * page). */
static void fill_from(struct walk *w, unsigned stage, int step, unsigned upto)
{
	for (unsigned k = 0; k < upto; k++) {
		const struct mmu_ref *ref = &w->res->ref[k];
		if (ref->stage != stage || (step >= 0 && ref->step != step) || w->f[k] != ISSUE ||
		    (ref->flags & MMU_REF_UPDATE) || in_fault(w, ref))
			continue;
		fill_walk_cache(w, k);
		if (stage == 2 && (ref->flags & MMU_REF_LEAF))
			fill_ntlb(w, ref);
	}
}

static enum ref_fate fate(struct walk *w, unsigned k)
{
	const struct mmu_ref *ref = &w->res->ref[k];
	if (w->r->s1 && ref->step < w->s1_from)
		return SKIP_PWC;
	if (ref->stage == 1 || !w->r->s2)
		return ISSUE;
	if (ref->step == w->s2_skip_step)
		return SKIP_PWC;
	if (ref->step != w->sub_step) {
		if (w->sub_step >= 0)
			fill_from(w, 2, w->sub_step, k);
		decide_sub(w, k);
	}
	if (w->sub_ntlb_hit)
		return SKIP_NTLB;
	return slot_of(w, ref) <= w->sub_pwc_slot ? SKIP_PWC : ISSUE;
}

static void fill_tlbs(struct walk *w, const struct mmu_access *a, bool global)
{
	const struct mmu_result *res = w->res;
	unsigned shift = res->page_shift;
	if (res->fault.kind != MMU_FAULT_NONE || shift == 0 || shift >= 64)
		return;
	struct tlb_entry e = { .vpn = a->addr >> shift, .out = res->pa >> shift << shift, .shift = (uint8_t)shift,
			       .perms = (uint8_t)res->perms, .s1tag = w->s1tag, .s2tag = w->s2tag, .global = global };
	fill_fractured(&w->c->tlb[MMU_TLB_L2], size_stage(w->r), a->addr, &e);
	fill_fractured(l1_for(w->c, a), size_stage(w->r), a->addr, &e);
}

static void count(struct mmu_caches *c, const struct mmu_result *res, unsigned n, const struct mmu_cost *out)
{
	c->n.walks++;
	c->n.faulted_walks += res->fault.kind != MMU_FAULT_NONE;
	c->n.refs_recorded += n;
	c->n.refs_issued += out->nissued;
	c->n.walk_cycles += out->cycles;
	if (c->h_walk_cycles)
		hist_add(c->h_walk_cycles, out->cycles);
}

void mmu_cost_walk(struct mmu_caches *c, const struct mmu_regime *r, const struct mmu_access *a,
		   const struct mmu_result *res, bool global, struct mmu_cost *out)
{
	struct walk w = { .c = c, .r = r, .res = res, .s1tag = tag_of(r->s1), .s2tag = tag_of(r->s2),
			  .sub_step = -1, .out = out };
	memset(out, 0, sizeof *out);
	out->tlb_hit = -1;
	decide_s1(&w);
	unsigned n = res->nrefs < MMU_MAX_REFS ? res->nrefs : MMU_MAX_REFS;
	for (unsigned k = 0; k < n; k++) {
		w.f[k] = fate(&w, k);
		if (w.f[k] == ISSUE)
			issue(&w, &res->ref[k]);
		else if (w.f[k] == SKIP_PWC)
			out->skipped_pwc++;
		else
			out->skipped_ntlb++;
	}
	if (w.sub_step >= 0)
		fill_from(&w, 2, w.sub_step, n);
	fill_from(&w, 1, -1, n);
	fill_tlbs(&w, a, global);
	count(c, res, n, out);
}

/* ------------------------------------------------------------ maintenance */

unsigned mmu_caches_invalidate(struct mmu_caches *c, const struct tlb_scope *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < MMU_NTLBS; i++)
		n += tlb_invalidate(&c->tlb[i], s);
	return n + pwc_invalidate_s1(&c->pwc, s);
}

unsigned mmu_caches_invalidate_s2(struct mmu_caches *c, const struct tlb_scope *s)
{
	unsigned n = pwc_invalidate_s2(&c->pwc, s);
	if (!(s->by & TLB_BY_ADDR)) {
		struct tlb_scope vm = { .by = s->by & TLB_BY_S2, .s2tag = s->s2tag };
		n += mmu_caches_invalidate(c, &vm);
	}
	return n;
}

void mmu_caches_set_evict(struct mmu_caches *c, tlb_evict_fn fn, void *ctx)
{
	for (unsigned i = 0; i < MMU_NTLBS; i++) {
		c->tlb[i].evict = fn;
		c->tlb[i].evict_ctx = ctx;
	}
}
