/* VT-d register file.  See vtd.h.
 *
 * Accesses are 4 or 8 bytes, naturally aligned (11.2: software may access
 * 64-bit registers as two 32-bit halves); anything else reads as zero,
 * ignores writes and counts a guest error.  A 64-bit register written in
 * halves takes effect at each half (Linux writes IQT_REG with writel). */
#include "iommu/vtd.h"
#include <string.h>
#include "core/err.h"

#define VTD_VERSION 0x10          /* VER_REG 1.0, as QEMU's intel-iommu reports */
#define VTD_MHMV 0xf              /* IEC invalidation index masks up to 2^15 */
#define VTD_IRO (VTD_IVA_REG / 16)
#define VTD_FRO (VTD_FRCD_BASE / 16)

/* ---- capabilities ---- */

static void vtd_caps(struct vtd *v)
{
	uint64_t cap = 0, ecap = 0;
	cap = FIELD_DP(cap, CAP_REG, ND, 2);                  /* 256 domain IDs (unused without DMA remapping) */
	cap = FIELD_DP(cap, CAP_REG, MGAW, v->cfg.haw - 1);
	cap = FIELD_DP(cap, CAP_REG, FRO, VTD_FRO);
	cap = FIELD_DP(cap, CAP_REG, NFR, v->cfg.nfr - 1);
	cap = FIELD_DP(cap, CAP_REG, PI, v->cfg.pi);
	ecap = FIELD_DP(ecap, ECAP_REG, QI, 1);
	ecap = FIELD_DP(ecap, ECAP_REG, IR, 1);
	ecap = FIELD_DP(ecap, ECAP_REG, EIM, v->cfg.eim);
	ecap = FIELD_DP(ecap, ECAP_REG, IRO, VTD_IRO);
	ecap = FIELD_DP(ecap, ECAP_REG, MHMV, VTD_MHMV);
	v->cap = cap;
	v->ecap = ecap;
}

int vtd_init(struct vtd *v, const struct vtd_config *cfg, const struct vtd_mem *mem)
{
	if (cfg->haw < 32 || cfg->haw > 64)
		return err_set("vtd: host address width %u is outside [32, 64]", cfg->haw);
	if (cfg->nfr < 1 || cfg->nfr > VTD_MAX_FRCD)
		return err_set("vtd: %u fault recording registers is outside [1, %d]", cfg->nfr, VTD_MAX_FRCD);
	if (cfg->iec_entries > IEC_MAX_ENTRIES)
		return err_set("vtd: %u interrupt entry cache entries is above %d", cfg->iec_entries, IEC_MAX_ENTRIES);
	memset(v, 0, sizeof *v);
	v->cfg = *cfg;
	ir_init(&v->ir, mem, cfg->haw, cfg->pi, cfg->eim, cfg->iec_entries);
	vtd_caps(v);
	v->fectl = FIELD_DP(0, EVT_CTL, IM, 1);   /* reset: masked (11.4.7.2) */
	v->iectl = FIELD_DP(0, EVT_CTL, IM, 1);   /* (11.4.9.5) */
	v->guest_errors = &v->own_errors;
	return 0;
}

/* ---- events (7.3 fault event; 6.5.2.10 invalidation completion event) ----
 * A new condition sets IP and, with IM clear, sends the message at once and
 * clears IP; a masked one stays pending in IP until software clears IM. */

static void event_send(struct vtd *v, uint32_t *ctl, uint32_t addr, uint32_t uaddr, uint32_t data)
{
	*ctl = FIELD_DP(*ctl, EVT_CTL, IP, 0);
	v->events_sent++;
	if (v->event_msi)
		v->event_msi(v->event_ctx, (uint64_t)uaddr << 32 | addr, data);
}

static void event_raise(struct vtd *v, uint32_t *ctl, uint32_t addr, uint32_t uaddr, uint32_t data)
{
	*ctl = FIELD_DP(*ctl, EVT_CTL, IP, 1);
	if (!FIELD_EX(*ctl, EVT_CTL, IM))
		event_send(v, ctl, addr, uaddr, data);
}

static bool ppf(const struct vtd *v)
{
	for (unsigned i = 0; i < v->cfg.nfr; i++)
		if (FIELD_EX(v->frcd[i].hi, FRCD_HI, F))
			return true;
	return false;
}

static uint32_t fsts_read(const struct vtd *v)
{
	return (uint32_t)FIELD_DP(v->fsts, FSTS_REG, PPF, ppf(v));
}

/* The status fields that stand for an interrupt condition not yet serviced
 * by software (7.3): PPF, PFO, IQE, ICE, ITE. */
static uint32_t fault_conditions(const struct vtd *v)
{
	return fsts_read(v) & (uint32_t)(FIELD_MASK(FSTS_REG, PFO) | FIELD_MASK(FSTS_REG, PPF) |
					 FIELD_MASK(FSTS_REG, IQE) | FIELD_MASK(FSTS_REG, ICE) | FIELD_MASK(FSTS_REG, ITE));
}

/* A new condition (PPF or IQE set); `before`: the conditions before it.
 * No event while an earlier one is unserviced (7.3). */
static void fault_event(struct vtd *v, uint32_t before)
{
	if (!before)
		event_raise(v, &v->fectl, v->feaddr, v->feuaddr, v->fedata);
}

/* Software serviced every condition: a pending, masked event is dropped (7.3). */
static void fault_status_cleared(struct vtd *v)
{
	if (!fault_conditions(v))
		v->fectl = FIELD_DP(v->fectl, EVT_CTL, IP, 0);
}

/* ---- primary fault logging (7.2.1) ---- */

/* No compression of faults from one requester (IMPLEMENTATION DEFINED: 7.2.1
 * allows it, QEMU and this model do not). */
static void record_fault(struct vtd *v, uint16_t sid, enum vtd_ir_fault reason, uint32_t index)
{
	if (FIELD_EX(v->fsts, FSTS_REG, PFO)) {
		v->faults_overflow++;
		return;
	}
	struct vtd_frcd *f = &v->frcd[v->fr_index];
	if (FIELD_EX(f->hi, FRCD_HI, F)) {
		v->fsts = FIELD_DP(v->fsts, FSTS_REG, PFO, 1);   /* PPF is set: no event */
		v->faults_overflow++;
		return;
	}
	uint32_t before = fault_conditions(v);
	bool pending = ppf(v);
	f->lo = FIELD_DP(0, FRCD_LO, IIDX, index);   /* FI[63:48] = interrupt_index, 47:12 zero */
	f->hi = FIELD_DP(FIELD_DP(FIELD_DP(0, FRCD_HI, SID, sid), FRCD_HI, FR, reason), FRCD_HI, F, 1);
	v->faults_recorded++;
	if (!pending)
		v->fsts = FIELD_DP(v->fsts, FSTS_REG, FRI, v->fr_index);
	v->fr_index = (v->fr_index + 1) % v->cfg.nfr;
	fault_event(v, before);
}

static void fault(struct vtd *v, uint16_t sid, enum vtd_ir_fault reason, uint32_t index, bool fpd)
{
	v->fault_reasons[(reason - 0x20) & 15]++;
	if (fpd)
		v->faults_fpd++;
	else
		record_fault(v, sid, reason, index);
}

void vtd_interrupt(struct vtd *v, uint64_t addr, uint32_t data, uint16_t sid, struct ir_result *r)
{
	ir_remap(&v->ir, addr, data, sid, r);
	if (r->kind == IR_BLOCKED)
		fault(v, sid, r->fault, r->index, r->fpd);
}

void vtd_post_fault(struct vtd *v, const struct ir_result *r, enum vtd_ir_fault reason)
{
	fault(v, r->sid, reason, r->index, r->fpd);
}

/* ---- invalidation queue (6.5.2) ---- */

static void iq_error(struct vtd *v, enum vtd_iqei why)
{
	uint32_t before = fault_conditions(v);
	v->fsts = FIELD_DP(v->fsts, FSTS_REG, IQE, 1);
	v->iqercd = FIELD_DP(0, IQERCD_REG, IQEI, why);
	v->iq_errors++;
	fault_event(v, before);
}

/* Interrupt entry cache invalidate (6.5.2.8). */
static enum vtd_iqei iq_iec(struct vtd *v, const uint64_t d[2])
{
	if ((d[0] & IEC_DSC_LO_RSVD) || d[1])
		return IQEI_RSVD;
	if (FIELD_EX(d[0], IEC_DSC, G))
		iec_invalidate_index(&v->ir.iec, FIELD_EX(d[0], IEC_DSC, IIDX), FIELD_EX(d[0], IEC_DSC, IM));
	else
		iec_invalidate_all(&v->ir.iec);
	return IQEI_NONE;
}

/* Invalidation wait (6.5.2.9): everything before it is complete (the queue
 * runs in order, so FN needs nothing more). */
static enum vtd_iqei iq_wait(struct vtd *v, const uint64_t d[2])
{
	if ((d[0] & WAIT_DSC_LO_RSVD) || (d[1] & WAIT_DSC_HI_RSVD))
		return IQEI_RSVD;
	if (FIELD_EX(d[0], WAIT_DSC, SW)) {
		uint32_t data = FIELD_EX(d[0], WAIT_DSC, STDATA);
		uint64_t addr = v->cfg.haw < 64 ? d[1] & ((1ULL << v->cfg.haw) - 1) : d[1];   /* bits above HAW ignored */
		/* IMPLEMENTATION DEFINED: a status address with no memory behind it
		 * is undefined (6.5.2.9); the write is lost and counted */
		if (!v->ir.mem.write(v->ir.mem.ctx, addr, &data, sizeof data))
			(*v->guest_errors)++;
	}
	/* No new completion event while IWC is still set (6.5.2.10) */
	if (FIELD_EX(d[0], WAIT_DSC, IF) && !FIELD_EX(v->ics, ICS_REG, IWC)) {
		v->ics = FIELD_DP(v->ics, ICS_REG, IWC, 1);
		event_raise(v, &v->iectl, v->ieaddr, v->ieuaddr, v->iedata);
	}
	return IQEI_NONE;
}

static enum vtd_iqei iq_descriptor(struct vtd *v, const uint64_t d[2])
{
	if (FIELD_EX(d[0], INV_DSC, TYPE_HI))   /* types above 15: scalable mode only */
		return IQEI_TYPE;
	switch (FIELD_EX(d[0], INV_DSC, TYPE)) {
	case INV_IEC:
		return iq_iec(v, d);
	case INV_WAIT:
		return iq_wait(v, d);
	case INV_CC: case INV_IOTLB: case INV_DEV_TLB:
		v->unmodelled++;
		return IQEI_NONE;
	}
	return IQEI_TYPE;   /* 6-8 need ECAP.SMTS, 0 and 9-15 are not defined */
}

/* Fetch and complete descriptors from IQH up to IQT; stop at an error with
 * IQH on the bad descriptor (6.5.2.11).  At most iq_entries steps. */
static void iq_run(struct vtd *v)
{
	if (!FIELD_EX(v->gsts, GSTS_REG, QIES) || FIELD_EX(v->fsts, FSTS_REG, IQE))
		return;
	uint32_t tail = FIELD_EX(v->iqt, IQ_PTR, Q), head = FIELD_EX(v->iqh, IQ_PTR, Q);
	if (tail >= v->iq_entries) {
		iq_error(v, IQEI_TAIL);
		return;
	}
	while (head != tail) {
		uint64_t d[2], pa = v->iq_base + (uint64_t)head * 16;
		if ((v->cfg.haw < 64 && (pa + 15) >> v->cfg.haw) || !v->ir.mem.read(v->ir.mem.ctx, pa, d, sizeof d)) {
			iq_error(v, IQEI_FETCH);
			return;
		}
		enum vtd_iqei e = iq_descriptor(v, d);
		if (e != IQEI_NONE) {
			iq_error(v, e);
			return;
		}
		v->descriptors++;
		head = (head + 1) % v->iq_entries;
		v->iqh = FIELD_DP(0, IQ_PTR, Q, head);
	}
}

/* ---- global command (11.4.4.1) ---- */

static void set_status(struct vtd *v, unsigned shift, bool on)
{
	v->gsts = (uint32_t)field_dp(v->gsts, shift, 1, on);
}

static void gcmd_qie(struct vtd *v, bool on)
{
	if (on == FIELD_EX(v->gsts, GSTS_REG, QIES))
		return;
	set_status(v, GSTS_REG_QIES_SHIFT, on);
	v->iqh = 0;   /* reset when disabled (6.5.2); the queue restarts at its base */
	if (on) {
		v->iq_base = FIELD_EX(v->iqa, IQA_REG, IQA) << 12;
		v->iq_entries = 256u << FIELD_EX(v->iqa, IQA_REG, QS);
		iq_run(v);
	}
}

static void gcmd_write(struct vtd *v, uint32_t val)
{
	/* One-shot: SIRTP latches the table pointer (IRTPS reads 1 at once). */
	if (FIELD_EX(val, GCMD_REG, SIRTP)) {
		ir_set_table(&v->ir, v->irta);
		set_status(v, GSTS_REG_IRTPS_SHIFT, true);
	}
	gcmd_qie(v, FIELD_EX(val, GCMD_REG, QIE));
	v->ir.enabled = FIELD_EX(val, GCMD_REG, IRE);
	set_status(v, GSTS_REG_IRES_SHIFT, v->ir.enabled);
	if (!v->ir.enabled)
		v->fr_index = 0;   /* reset while no translation is enabled (7.2.1; TES is always 0) */
	v->ir.cfis = FIELD_EX(val, GCMD_REG, CFI);
	set_status(v, GSTS_REG_CFIS_SHIFT, v->ir.cfis);
	if (FIELD_EX(val, GCMD_REG, TE) || FIELD_EX(val, GCMD_REG, SRTP) || FIELD_EX(val, GCMD_REG, WBF))
		v->unmodelled++;
}

/* ---- register access ---- */

/* The 64-bit register at 8-aligned off, if there is one. */
static bool is_reg64(const struct vtd *v, uint64_t off)
{
	switch (off) {
	case CAP_REG: case ECAP_REG: case RTADDR_REG: case CCMD_REG: case IQH_REG: case IQT_REG:
	case IQA_REG: case IQERCD_REG: case IRTA_REG: case VTD_IVA_REG: case VTD_IOTLB_REG:
		return true;
	}
	return off >= VTD_FRCD_BASE && off < VTD_FRCD_BASE + (uint64_t)v->cfg.nfr * VTD_FRCD_LEN;
}

static uint64_t read64(struct vtd *v, uint64_t off)
{
	switch (off) {
	case CAP_REG:    return v->cap;
	case ECAP_REG:   return v->ecap;
	case IQH_REG:    return v->iqh;
	case IQT_REG:    return v->iqt;
	case IQA_REG:    return v->iqa;
	case IQERCD_REG: return v->iqercd;
	case IRTA_REG:   return v->irta;
	case RTADDR_REG: case CCMD_REG: case VTD_IVA_REG: case VTD_IOTLB_REG:
		return 0;    /* DMA remapping not modelled */
	}
	const struct vtd_frcd *f = &v->frcd[(off - VTD_FRCD_BASE) / VTD_FRCD_LEN];
	return (off & 8) ? f->hi : f->lo;
}

static bool read32(struct vtd *v, uint64_t off, uint32_t *val)
{
	if (is_reg64(v, off & ~7ULL)) {
		*val = (uint32_t)(read64(v, off & ~7ULL) >> (off & 4) * 8);
		return true;
	}
	switch (off) {
	case VER_REG:     *val = VTD_VERSION; return true;
	case GCMD_REG:    *val = 0; return true;         /* write-only */
	case GSTS_REG:    *val = v->gsts; return true;
	case FSTS_REG:    *val = fsts_read(v); return true;
	case FECTL_REG:   *val = v->fectl; return true;
	case FEDATA_REG:  *val = v->fedata; return true;
	case FEADDR_REG:  *val = v->feaddr; return true;
	case FEUADDR_REG: *val = v->feuaddr; return true;
	case ICS_REG:     *val = v->ics; return true;
	case IECTL_REG:   *val = v->iectl; return true;
	case IEDATA_REG:  *val = v->iedata; return true;
	case IEADDR_REG:  *val = v->ieaddr; return true;
	case IEUADDR_REG: *val = v->ieuaddr; return true;
	case PMEN_REG:    *val = 0; return true;         /* no protected memory regions */
	}
	*val = 0;
	return false;
}

static bool bad_access(struct vtd *v, uint64_t off, unsigned size)
{
	if ((size == 4 || size == 8) && (off & (size - 1)) == 0 && off < VTD_REG_WINDOW)
		return false;
	(*v->guest_errors)++;
	return true;
}

static uint64_t vtd_read(void *dev, uint64_t off, unsigned size)
{
	struct vtd *v = dev;
	uint32_t lo = 0, hi = 0;
	if (bad_access(v, off, size))
		return 0;
	if (!read32(v, off, &lo) || (size == 8 && !read32(v, off + 4, &hi)))
		(*v->guest_errors)++;   /* reserved offset: reads as zero */
	return size == 8 ? (uint64_t)hi << 32 | lo : lo;
}

static void frcd_write(struct vtd *v, uint64_t off, uint64_t val)
{
	struct vtd_frcd *f = &v->frcd[(off - VTD_FRCD_BASE) / VTD_FRCD_LEN];
	if (!(off & 8) || !FIELD_EX(val, FRCD_HI, F))
		return;    /* only F is writable (RW1C) */
	f->hi = FIELD_DP(f->hi, FRCD_HI, F, 0);
	fault_status_cleared(v);
}

/* val holds the new bits where mask is set (a whole register or one half). */
static void write64(struct vtd *v, uint64_t off, uint64_t val, uint64_t mask)
{
	switch (off) {
	case IQT_REG:
		v->iqt = (v->iqt & ~mask) | (val & mask & FIELD_MASK(IQ_PTR, Q));
		iq_run(v);
		return;
	case IQA_REG:
		/* DW (256-bit descriptors) is reserved without ECAP.SMTS */
		v->iqa = (v->iqa & ~mask) | (val & mask & (FIELD_MASK(IQA_REG, IQA) | FIELD_MASK(IQA_REG, QS)));
		return;
	case IRTA_REG: {
		uint64_t w = FIELD_MASK(IRTA_REG, IRTA) | FIELD_MASK(IRTA_REG, S) | (v->cfg.eim ? FIELD_MASK(IRTA_REG, EIME) : 0);
		v->irta = (v->irta & ~mask) | (val & mask & w);
		return;
	}
	case RTADDR_REG: case CCMD_REG: case VTD_IVA_REG: case VTD_IOTLB_REG:
		v->unmodelled++;
		return;
	case CAP_REG: case ECAP_REG: case IQH_REG: case IQERCD_REG:
		(*v->guest_errors)++;    /* read-only */
		return;
	}
	frcd_write(v, off, val & mask);
}

static void fsts_write(struct vtd *v, uint32_t val)
{
	bool iqe = FIELD_EX(v->fsts, FSTS_REG, IQE);
	uint32_t w1c = (uint32_t)(FIELD_MASK(FSTS_REG, PFO) | FIELD_MASK(FSTS_REG, IQE) | FIELD_MASK(FSTS_REG, ICE) |
				  FIELD_MASK(FSTS_REG, ITE));
	v->fsts &= ~(val & w1c);
	fault_status_cleared(v);
	if (iqe && !FIELD_EX(v->fsts, FSTS_REG, IQE))
		iq_run(v);    /* software fixed the descriptor at IQH: go on */
}

static void ctl_write(struct vtd *v, uint32_t *ctl, uint32_t val, uint32_t addr, uint32_t uaddr, uint32_t data)
{
	*ctl = FIELD_DP(*ctl, EVT_CTL, IM, FIELD_EX(val, EVT_CTL, IM));
	if (!FIELD_EX(*ctl, EVT_CTL, IM) && FIELD_EX(*ctl, EVT_CTL, IP))
		event_send(v, ctl, addr, uaddr, data);
}

static void write32(struct vtd *v, uint64_t off, uint32_t val)
{
	switch (off) {
	case GCMD_REG:    gcmd_write(v, val); return;
	case FSTS_REG:    fsts_write(v, val); return;
	case FECTL_REG:   ctl_write(v, &v->fectl, val, v->feaddr, v->feuaddr, v->fedata); return;
	case FEDATA_REG:  v->fedata = val & 0xffff; return;
	case FEADDR_REG:  v->feaddr = val & ~3u; return;
	case FEUADDR_REG: v->feuaddr = val; return;
	case ICS_REG:
		v->ics &= ~(val & (uint32_t)FIELD_MASK(ICS_REG, IWC));
		if (!v->ics)
			v->iectl = FIELD_DP(v->iectl, EVT_CTL, IP, 0);
		return;
	case IECTL_REG:   ctl_write(v, &v->iectl, val, v->ieaddr, v->ieuaddr, v->iedata); return;
	case IEDATA_REG:  v->iedata = val & 0xffff; return;
	case IEADDR_REG:  v->ieaddr = val & ~3u; return;
	case IEUADDR_REG: v->ieuaddr = val; return;
	case PMEN_REG:    v->unmodelled++; return;
	}
	(*v->guest_errors)++;    /* read-only or reserved */
}

static void vtd_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct vtd *v = dev;
	if (bad_access(v, off, size))
		return;
	uint64_t reg = off & ~7ULL;
	if (is_reg64(v, reg)) {
		unsigned sh = size == 8 ? 0 : (unsigned)(off & 4) * 8;
		uint64_t mask = size == 8 ? ~0ULL : 0xffffffffULL << sh;
		write64(v, reg, val << sh, mask);
		return;
	}
	write32(v, off, (uint32_t)val);
	if (size == 8)
		write32(v, off + 4, (uint32_t)(val >> 32));
}

const struct dev_ops vtd_ops = { vtd_read, vtd_write };
