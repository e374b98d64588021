/* VT-d interrupt remapping.  See ir.h. */
#include "iommu/ir.h"
#include <string.h>

/* ---- IRTE (9.9, 9.10) ---- */

static bool above_haw(uint64_t addr, unsigned haw)
{
	return haw < 64 && (addr >> haw) != 0;
}

static enum vtd_ir_fault decode_remapped(const uint64_t raw[2], const struct irte_mode *m, struct irte *e)
{
	uint64_t rsvd_lo = IRTE_LO_RSVD_REMAP | (m->eime ? 0 : IRTE_LO_RSVD_XAPIC);
	if ((raw[0] & rsvd_lo) || (raw[1] & IRTE_HI_RSVD_REMAP))
		return VTD_FR_IR_IRTE_RSVD;
	e->dm = FIELD_EX(raw[0], IRTE_LO, DM);
	e->rh = FIELD_EX(raw[0], IRTE_LO, RH);
	e->tm = FIELD_EX(raw[0], IRTE_LO, TM);
	e->dlm = FIELD_EX(raw[0], IRTE_LO, DLM);
	e->dst = m->eime ? FIELD_EX(raw[0], IRTE_LO, DST) : FIELD_EX(raw[0], IRTE_LO, DST_XAPIC);
	/* 011b and 110b are not defined delivery modes (9.9 DLM): programmed wrongly */
	return e->dlm == 3 || e->dlm == 6 ? VTD_FR_IR_IRTE_RSVD : VTD_FR_NONE;
}

static enum vtd_ir_fault decode_posted(const uint64_t raw[2], const struct irte_mode *m, struct irte *e)
{
	/* IM is reserved without posted-interrupt support (CAP_REG.PI, 9.10) */
	if (!m->pi || (raw[0] & IRTE_LO_RSVD_POSTED) || (raw[1] & IRTE_HI_RSVD_POSTED))
		return VTD_FR_IR_IRTE_RSVD;
	e->urg = FIELD_EX(raw[0], IRTE_LO, URG);
	e->pda = FIELD_EX(raw[0], IRTE_LO, PDA_L) << 6 | FIELD_EX(raw[1], IRTE_HI, PDA_H) << 32;
	/* descriptor address bits beyond HAW are reserved, as every address field */
	return above_haw(e->pda, m->haw) ? VTD_FR_IR_IRTE_RSVD : VTD_FR_NONE;
}

enum vtd_ir_fault irte_decode(const uint64_t raw[2], const struct irte_mode *m, struct irte *e)
{
	memset(e, 0, sizeof *e);
	e->p = FIELD_EX(raw[0], IRTE_LO, P);
	/* FPD counts whatever P says (9.9): a not-present entry may silence its faults */
	e->fpd = FIELD_EX(raw[0], IRTE_LO, FPD);
	if (!e->p)
		return VTD_FR_IR_NOT_PRESENT;
	e->im = FIELD_EX(raw[0], IRTE_LO, IM);
	e->avail = FIELD_EX(raw[0], IRTE_LO, AVAIL);
	e->vector = FIELD_EX(raw[0], IRTE_LO, V);
	e->sid = FIELD_EX(raw[1], IRTE_HI, SID);
	e->sq = FIELD_EX(raw[1], IRTE_HI, SQ);
	e->svt = FIELD_EX(raw[1], IRTE_HI, SVT);
	/* SVT 11b is a reserved encoding: a wrongly programmed field, fault 0x24
	 * (QEMU reports it as a source-id failure, 0x26) */
	if (e->svt == SVT_RESERVED)
		return VTD_FR_IR_IRTE_RSVD;
	return e->im ? decode_posted(raw, m, e) : decode_remapped(raw, m, e);
}

void irte_encode(const struct irte *e, bool eime, uint64_t raw[2])
{
	uint64_t lo = 0, hi = 0;
	lo = FIELD_DP(lo, IRTE_LO, P, e->p);
	lo = FIELD_DP(lo, IRTE_LO, FPD, e->fpd);
	lo = FIELD_DP(lo, IRTE_LO, IM, e->im);
	lo = FIELD_DP(lo, IRTE_LO, AVAIL, e->avail);
	lo = FIELD_DP(lo, IRTE_LO, V, e->vector);
	hi = FIELD_DP(hi, IRTE_HI, SID, e->sid);
	hi = FIELD_DP(hi, IRTE_HI, SQ, e->sq);
	hi = FIELD_DP(hi, IRTE_HI, SVT, e->svt);
	if (e->im) {
		lo = FIELD_DP(lo, IRTE_LO, URG, e->urg);
		lo = FIELD_DP(lo, IRTE_LO, PDA_L, e->pda >> 6);
		hi = FIELD_DP(hi, IRTE_HI, PDA_H, e->pda >> 32);
	} else {
		lo = FIELD_DP(lo, IRTE_LO, DM, e->dm);
		lo = FIELD_DP(lo, IRTE_LO, RH, e->rh);
		lo = FIELD_DP(lo, IRTE_LO, TM, e->tm);
		lo = FIELD_DP(lo, IRTE_LO, DLM, e->dlm);
		lo = eime ? FIELD_DP(lo, IRTE_LO, DST, e->dst) : FIELD_DP(lo, IRTE_LO, DST_XAPIC, e->dst);
	}
	raw[0] = lo;
	raw[1] = hi;
}

bool irte_sid_ok(const struct irte *e, uint16_t rid)
{
	/* SQ: which low bits (function number bits) are not compared (9.9) */
	static const uint16_t sq_mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };
	switch (e->svt) {
	case SVT_SID_SQ:
		return ((rid ^ e->sid) & sq_mask[e->sq & 3]) == 0;
	case SVT_BUS_RANGE: {
		unsigned bus = rid >> 8, first = e->sid & 0xff, last = e->sid >> 8;
		return bus >= first && bus <= last;
	}
	case SVT_NONE:
		return true;
	}
	return false;
}

/* ---- interrupt entry cache ---- */

void iec_init(struct iec *c, unsigned size)
{
	memset(c, 0, sizeof *c);
	c->size = size < IEC_MAX_ENTRIES ? size : IEC_MAX_ENTRIES;
}

bool iec_lookup(struct iec *c, uint16_t index, uint64_t raw[2])
{
	for (unsigned i = 0; i < c->size; i++) {
		struct iec_entry *x = &c->e[i];
		if (x->valid && x->index == index) {
			x->last_use = ++c->tick;
			memcpy(raw, x->raw, sizeof x->raw);
			c->hits++;
			return true;
		}
	}
	c->misses++;
	return false;
}

/* A free slot, else the least recently used one (lowest slot on a tie:
 * cannot happen, ticks are unique). */
static struct iec_entry *victim(struct iec *c)
{
	struct iec_entry *v = &c->e[0];
	for (unsigned i = 0; i < c->size; i++) {
		if (!c->e[i].valid)
			return &c->e[i];
		if (c->e[i].last_use < v->last_use)
			v = &c->e[i];
	}
	c->evictions++;
	return v;
}

void iec_fill(struct iec *c, uint16_t index, const uint64_t raw[2])
{
	if (c->size == 0)
		return;
	struct iec_entry *x = victim(c);
	*x = (struct iec_entry){ .valid = true, .index = index, .last_use = ++c->tick };
	memcpy(x->raw, raw, sizeof x->raw);
}

static void iec_drop_if(struct iec *c, uint16_t iidx, uint32_t keep_mask)
{
	for (unsigned i = 0; i < c->size; i++) {
		struct iec_entry *x = &c->e[i];
		if (x->valid && ((x->index ^ iidx) & keep_mask) == 0) {
			x->valid = false;
			c->invalidated++;
		}
	}
}

void iec_invalidate_all(struct iec *c)
{
	iec_drop_if(c, 0, 0);
}

void iec_invalidate_index(struct iec *c, uint16_t iidx, unsigned im)
{
	iec_drop_if(c, iidx, im >= 16 ? 0 : (uint32_t)(0xffffu << im) & 0xffffu);
}

unsigned iec_count(const struct iec *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->size; i++)
		n += c->e[i].valid;
	return n;
}

/* ---- requests (5.1.2-5.1.4) ---- */

void ir_init(struct vtd_ir *ir, const struct vtd_mem *mem, unsigned haw, bool pi, bool eim, unsigned iec_entries)
{
	memset(ir, 0, sizeof *ir);
	ir->mem = *mem;
	ir->haw = haw;
	ir->pi_supported = pi;
	ir->eim_supported = eim;
	iec_init(&ir->iec, iec_entries);
}

void ir_set_table(struct vtd_ir *ir, uint64_t irta_reg)
{
	ir->table = FIELD_EX(irta_reg, IRTA_REG, IRTA) << 12;
	ir->entries = 2u << FIELD_EX(irta_reg, IRTA_REG, S);
	ir->eime = ir->eim_supported && FIELD_EX(irta_reg, IRTA_REG, EIME);
	ir->table_set = true;
}

bool ir_is_interrupt_addr(uint64_t addr)
{
	return addr >= MSI_ADDR_BASE && addr < MSI_ADDR_BASE + MSI_ADDR_SIZE;
}

void ir_decode_compat(uint64_t addr, uint32_t data, struct ir_irq *q)
{
	q->dest = FIELD_EX(addr, MSI_ADDR, DEST);
	q->dest_logical = FIELD_EX(addr, MSI_ADDR, DM);
	q->redir_hint = FIELD_EX(addr, MSI_ADDR, RH);
	q->dlm = FIELD_EX(data, MSI_DATA, DLM);
	q->vector = FIELD_EX(data, MSI_DATA, VECTOR);
	q->level = FIELD_EX(data, MSI_DATA, TM);
}

static void block(struct vtd_ir *ir, struct ir_result *r, enum vtd_ir_fault f)
{
	r->kind = IR_BLOCKED;
	r->fault = f;
	ir->blocked++;
}

/* The IRTE for r->index, from the IEC or memory; VTD_FR_NONE or the fault. */
static enum vtd_ir_fault fetch(struct vtd_ir *ir, struct ir_result *r, uint64_t raw[2], struct irte *e)
{
	if (r->index >= ir->entries)
		return VTD_FR_IR_INDEX;
	uint64_t pa = ir->table + (uint64_t)r->index * IRTE_SIZE;
	if (above_haw(pa + IRTE_SIZE - 1, ir->haw))
		return VTD_FR_IR_INDEX;
	/* IMPLEMENTATION DEFINED: IRE set before any SIRTP is a table access error */
	r->iec_hit = iec_lookup(&ir->iec, (uint16_t)r->index, raw);
	if (!r->iec_hit && (!ir->table_set || !ir->mem.read(ir->mem.ctx, pa, raw, IRTE_SIZE)))
		return VTD_FR_IR_TABLE;
	r->irte_read = true;
	struct irte_mode m = { ir->eime, ir->pi_supported, ir->haw };
	enum vtd_ir_fault f = irte_decode(raw, &m, e);
	r->fpd = e->fpd;
	if (f == VTD_FR_NONE && !r->iec_hit)
		iec_fill(&ir->iec, (uint16_t)r->index, raw);
	return f;
}

static void remappable(struct vtd_ir *ir, uint32_t data, struct ir_result *r)
{
	if (r->shv) {
		/* data 31:16 reserved with a subhandle, ignored without (5.1.2.2, Table 14) */
		if (FIELD_EX(data, MSI_DATA, RSVD_REMAP)) {
			block(ir, r, VTD_FR_IR_REQ_RSVD);
			return;
		}
		r->index += FIELD_EX(data, MSI_DATA, SUBHANDLE);   /* handle + subhandle (5.1.3) */
	}
	uint64_t raw[2];
	struct irte e;
	enum vtd_ir_fault f = fetch(ir, r, raw, &e);
	/* A present entry's requester is verified before its format (5.1.4) */
	bool sid_checkable = f == VTD_FR_NONE || (f == VTD_FR_IR_IRTE_RSVD && e.svt != SVT_RESERVED);
	if (sid_checkable && !irte_sid_ok(&e, r->sid))
		f = VTD_FR_IR_SID;
	if (f != VTD_FR_NONE) {
		block(ir, r, f);
		return;
	}
	if (e.im) {
		r->kind = IR_POSTED;
		r->pda = e.pda;
		r->pvector = e.vector;
		r->urgent = e.urg;
		ir->posted++;
		return;
	}
	r->kind = IR_REMAPPED;
	r->irq = (struct ir_irq){ e.dst, e.dm, e.rh, e.dlm, e.vector, e.tm };
	ir->remapped++;
}

void ir_remap(struct vtd_ir *ir, uint64_t addr, uint32_t data, uint16_t sid, struct ir_result *r)
{
	memset(r, 0, sizeof *r);
	r->sid = sid;
	if (!ir_is_interrupt_addr(addr)) {
		r->kind = IR_NOT_INTERRUPT;
		return;
	}
	/* The handle bits, whatever the format: hardware logs them as the
	 * fault's interrupt index for blocked compatibility requests too
	 * (Linux DMAR reports "fault index 0xa00 [fault reason 0x25]") */
	r->index = FIELD_EX(addr, MSI_ADDR, HANDLE_LO) | FIELD_EX(addr, MSI_ADDR, HANDLE_15) << 15;
	r->shv = FIELD_EX(addr, MSI_ADDR, SHV);
	/* Remapping off: every request is processed as compatibility format (5.1.4) */
	if (ir->enabled && FIELD_EX(addr, MSI_ADDR, IF)) {
		remappable(ir, data, r);
		return;
	}
	/* Intel 64: compatibility format blocked under EIME or with CFIS clear (5.1.4) */
	if (ir->enabled && (ir->eime || !ir->cfis)) {
		block(ir, r, VTD_FR_IR_COMPAT);
		return;
	}
	r->kind = IR_COMPAT;
	ir_decode_compat(addr, data, &r->irq);
	ir->compat++;
}
