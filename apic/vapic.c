/* APIC virtualization.  See vapic.h. */
#include "apic/vapic.h"
#include "cpu/vmcs.h"      /* GUEST_INTR_STATUS: a VMCS field */

#include <string.h>

#define VTPR_LEN 8                  /* WRMSR 808H stores bytes 87H:80H (30.5) */

const char *vapic_controls_invalid(const struct vapic_controls *c)
{
	if (c->virtualize_x2apic && c->virtualize_apic_accesses)
		return "virtualize x2APIC mode with virtualize APIC accesses";
	if ((c->virtualize_x2apic || c->apic_register_virt || c->virtual_intr_delivery) && !c->use_tpr_shadow)
		return "APIC virtualization without use TPR shadow";
	if ((c->posted_interrupts || c->ipi_virt) && !c->virtual_intr_delivery)
		return "posted interrupts without virtual-interrupt delivery";
	return NULL;
}

void vapic_init(struct vapic *v, const struct vapic_controls *ctl)
{
	*v = (struct vapic){ .ctl = *ctl };
	v->page = v->own_page;
}

void vapic_attach_page(struct vapic *v, uint8_t *page) { v->page = page; }

uint8_t vapic_rvi(const struct vapic *v) { return (uint8_t)FIELD_EX(v->guest_intr_status, GUEST_INTR_STATUS, RVI); }
uint8_t vapic_svi(const struct vapic *v) { return (uint8_t)FIELD_EX(v->guest_intr_status, GUEST_INTR_STATUS, SVI); }
void vapic_set_rvi(struct vapic *v, uint8_t x)
{
	v->guest_intr_status = (uint16_t)FIELD_DP(v->guest_intr_status, GUEST_INTR_STATUS, RVI, x);
}
void vapic_set_svi(struct vapic *v, uint8_t x)
{
	v->guest_intr_status = (uint16_t)FIELD_DP(v->guest_intr_status, GUEST_INTR_STATUS, SVI, x);
}
uint8_t vapic_vtpr(const struct vapic *v) { return (uint8_t)apic_reg_get(v->page, APIC_TPR); }
uint8_t vapic_vppr(const struct vapic *v) { return (uint8_t)apic_reg_get(v->page, APIC_PPR); }

static unsigned cls(unsigned prio) { return (unsigned)FIELD_EX(prio, APIC_PRIO, CLASS); }

static void set_exit(struct vapic_result *r, int reason, uint64_t qual, bool trap)
{
	r->outcome = VAPIC_EXIT;
	r->exit_reason = reason;
	r->qual = qual;
	r->trap_like = trap;
}

/* 30.1.3 */
void vapic_ppr_virtualize(struct vapic *v)
{
	unsigned svi = vapic_svi(v);
	uint8_t ppr = apic_ppr(vapic_vtpr(v), svi ? (int)svi : -1);
	apic_reg_put(v->page, APIC_PPR, ppr);
}

/* 30.1.2 */
void vapic_tpr_virtualize(struct vapic *v, struct vapic_result *r)
{
	if (!v->ctl.virtual_intr_delivery) {
		if (cls(vapic_vtpr(v)) < FIELD_EX(v->tpr_threshold, TPR_THRESHOLD, VALUE))
			set_exit(r, APIC_EXIT_TPR_BELOW_THRESHOLD, 0, true);
		return;
	}
	vapic_ppr_virtualize(v);        /* then evaluation: vapic_pending() */
}

/* 30.1.4 */
void vapic_eoi_virtualize(struct vapic *v, struct vapic_result *r)
{
	uint8_t vector = vapic_svi(v);
	apic_vec_set(v->page, APIC_ISR, vector, false);
	int next = apic_vec_highest(v->page, APIC_ISR);
	vapic_set_svi(v, next < 0 ? 0 : (uint8_t)next);
	vapic_ppr_virtualize(v);
	if (v->eoi_exit[vector / 64] >> (vector % 64) & 1)
		set_exit(r, APIC_EXIT_EOI_INDUCED, vector, true);
}

/* 30.1.5 */
void vapic_self_ipi_virtualize(struct vapic *v, uint8_t vector)
{
	apic_vec_set(v->page, APIC_IRR, vector, true);
	if (vector > vapic_rvi(v))
		vapic_set_rvi(v, vector);
}

/* 30.2.1 */
int vapic_pending(const struct vapic *v)
{
	if (!v->ctl.virtual_intr_delivery || v->ctl.intr_window_exiting)
		return -1;
	uint8_t rvi = vapic_rvi(v);
	return cls(rvi) > cls(vapic_vppr(v)) ? rvi : -1;
}

/* 30.2.2 */
int vapic_deliver(struct vapic *v)
{
	int vector = vapic_pending(v);
	if (vector < 0)
		return -1;
	apic_vec_set(v->page, APIC_ISR, (unsigned)vector, true);
	vapic_set_svi(v, (uint8_t)vector);
	apic_reg_put(v->page, APIC_PPR, (uint32_t)vector & FIELD_MASK(APIC_PRIO, CLASS));
	apic_vec_set(v->page, APIC_IRR, (unsigned)vector, false);
	int next = apic_vec_highest(v->page, APIC_IRR);
	vapic_set_rvi(v, next < 0 ? 0 : (uint8_t)next);
	return vector;
}

bool vapic_is_notification(const struct vapic *v, uint8_t vector)
{
	return v->ctl.posted_interrupts && vector == v->pi_nv;
}

/* 30.6, steps after the notification is acknowledged */
bool vapic_pi_process(struct vapic *v)
{
	if (!v->pid)
		return false;
	pi_set_on(v->pid, false);
	uint32_t pir[8] = { 0 };
	if (!pi_take_pir(v->pid, pir))
		return false;
	int high = -1;
	for (unsigned w = 0; w < 8; w++) {
		apic_reg_put(v->page, APIC_IRR + w * 0x10, apic_reg_get(v->page, APIC_IRR + w * 0x10) | pir[w]);
		if (pir[w])
			high = (int)(w * 32 + 31 - (unsigned)__builtin_clz(pir[w]));
	}
	if (high > vapic_rvi(v))
		vapic_set_rvi(v, (uint8_t)high);
	return true;
}

/* ---- MOV CR8 (30.3) ---- */

uint64_t vapic_cr8_read(const struct vapic *v) { return cls(vapic_vtpr(v)); }

void vapic_cr8_write(struct vapic *v, uint64_t val, struct vapic_result *r)
{
	apic_reg_put(v->page, APIC_TPR, (uint32_t)(val & 0xf) << APIC_PRIO_CLASS_SHIFT);
	vapic_tpr_virtualize(v, r);
}

/* ---- ICR writes: self-IPI (30.4.3.2) and IPI virtualization (30.1.6) ---- */

/* Reserved bits clear, fixed, edge, vector >= 16 (common to both). */
static bool icr_fixed_edge(uint32_t lo)
{
	return !(lo & APIC_ICR_LO_RESERVED) && FIELD_EX(lo, APIC_ICR, DELIVERY_MODE) == APIC_DM_FIXED &&
	       !FIELD_EX(lo, APIC_ICR, TRIGGER) && FIELD_EX(lo, APIC_ICR, VECTOR) >= APIC_MIN_VECTOR;
}

bool vapic_icr_is_self_ipi(uint32_t lo)
{
	return icr_fixed_edge(lo) && FIELD_EX(lo, APIC_ICR, SHORTHAND) == APIC_SH_SELF;
}

/* No shorthand, physical destination.  The vector check follows the
 * self-IPI rule (hvsim's reading of the IPI-virtualization pseudocode). */
bool vapic_icr_is_virt_ipi(uint32_t lo)
{
	return icr_fixed_edge(lo) && FIELD_EX(lo, APIC_ICR, SHORTHAND) == APIC_SH_NONE &&
	       !FIELD_EX(lo, APIC_ICR, DEST_MODE);
}

static uint64_t page_get64(const struct vapic *v, unsigned off)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 8; i++)
		x |= (uint64_t)v->page[off + i] << (8 * i);
	return x;
}

/* The ICR as written: x2APIC keeps it as one 64-bit value at 300H (30.5),
 * xAPIC in VICR_LO (300H) and VICR_HI (310H). */
static uint64_t vicr(const struct vapic *v)
{
	if (v->x2apic)
		return page_get64(v, APIC_ICR);
	return (uint64_t)apic_reg_get(v->page, APIC_ICR2) << 32 | apic_reg_get(v->page, APIC_ICR);
}

/* 30.1.6: post to the PID the PID-pointer table gives for the destination. */
static bool ipi_virtualize(struct vapic *v, uint64_t icr, struct vapic_result *r)
{
	uint32_t dest = v->x2apic ? (uint32_t)FIELD_EX(icr, APIC_ICR, X2_DEST) : (uint32_t)FIELD_EX(icr, APIC_ICR, XAPIC_DEST);
	if (!v->pid_table || dest > v->last_pid_index)
		return false;
	uint64_t ent = v->pid_table[dest];
	struct pi_desc *pid = FIELD_EX(ent, PID_PTR, VALID) && v->pid_at
			      ? v->pid_at(v->ctx, FIELD_EX(ent, PID_PTR, ADDR) << PID_PTR_ADDR_SHIFT) : NULL;
	if (!pid)
		return false;
	if (pi_post(pid, (uint8_t)FIELD_EX(icr, APIC_ICR, VECTOR))) {
		r->notify = true;
		r->notify_nv = pi_nv(pid);
		r->notify_ndst = pi_ndst(pid);
	}
	return true;
}

/* APIC-write emulation of the ICR (VICR already written). */
static void icr_write_emulate(struct vapic *v, struct vapic_result *r)
{
	uint64_t icr = vicr(v);
	uint32_t lo = (uint32_t)icr;
	if (v->ctl.virtual_intr_delivery && vapic_icr_is_self_ipi(lo)) {
		vapic_self_ipi_virtualize(v, (uint8_t)lo);
		return;
	}
	if (v->ctl.virtual_intr_delivery && v->ctl.ipi_virt && vapic_icr_is_virt_ipi(lo) && ipi_virtualize(v, icr, r))
		return;
	set_exit(r, APIC_EXIT_APIC_WRITE, APIC_ICR, true);
}

/* ---- the APIC-access page (30.4) ---- */

/* Is [off, off + size) inside the first 4 bytes of register reg? */
static bool within(unsigned off, unsigned size, unsigned reg) { return off >= reg && off + size <= reg + 4; }

static bool in_vec_regs(unsigned off, unsigned size, unsigned base)
{
	return off >= base && off < base + 0x80 && within(off, size, off & ~0xfu);
}

static bool in_lvt(unsigned off, unsigned size)
{
	return off >= APIC_LVTT && off < APIC_LVTERR + 0x10 && within(off, size, off & ~0xfu);
}

/* 30.4.2 (APIC-register virtualization = 1): the registers reads are virtualized for. */
static bool read_virtualized(unsigned off, unsigned size)
{
	static const unsigned regs[] = { APIC_ID, APIC_LVR, APIC_TPR, APIC_EOI, APIC_LDR, APIC_DFR, APIC_SVR,
					 APIC_ESR, APIC_ICR, APIC_ICR2, APIC_TMICT, APIC_TDCR };
	for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
		if (within(off, size, regs[i]))
			return true;
	return in_vec_regs(off, size, APIC_ISR) || in_vec_regs(off, size, APIC_TMR) ||
	       in_vec_regs(off, size, APIC_IRR) || in_lvt(off, size);
}

/* 30.4.3.1 (APIC-register virtualization = 1): writes that are virtualized. */
static bool write_virtualized_arv(unsigned off, unsigned size)
{
	static const unsigned regs[] = { APIC_ID, APIC_TPR, APIC_EOI, APIC_LDR, APIC_DFR, APIC_SVR, APIC_ESR,
					 APIC_ICR, APIC_ICR2, APIC_TMICT, APIC_TDCR };
	for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
		if (within(off, size, regs[i]))
			return true;
	return in_lvt(off, size);
}

static bool write_virtualized(const struct vapic_controls *c, unsigned off, unsigned size)
{
	if (c->apic_register_virt)
		return write_virtualized_arv(off, size);
	if (size > 4)
		return false;
	if (c->virtual_intr_delivery)
		return off == APIC_TPR || off == APIC_EOI || off == APIC_ICR;
	return off == APIC_TPR;
}

static uint64_t access_qual(unsigned off, enum apic_access_type type)
{
	return FIELD_DP(FIELD_DP(0, APIC_ACCESS_QUAL, OFFSET, off), APIC_ACCESS_QUAL, TYPE, type);
}

static bool bad_access(unsigned off, unsigned size)
{
	return off >= APIC_PAGE_SIZE || !size || size > 8 || off + size > APIC_PAGE_SIZE;
}

struct vapic_result vapic_mmio_read(struct vapic *v, unsigned off, unsigned size, bool fetch)
{
	struct vapic_result r = { .outcome = VAPIC_NOT_VIRTUALIZED };
	if (!v->ctl.virtualize_apic_accesses)
		return r;
	off &= APIC_PAGE_SIZE - 1;
	bool ok = !fetch && v->ctl.use_tpr_shadow && !bad_access(off, size) &&
		  (v->ctl.apic_register_virt ? read_virtualized(off, size) : within(off, size, APIC_TPR));
	if (!ok) {
		set_exit(&r, APIC_EXIT_APIC_ACCESS,
			 access_qual(off, fetch ? APIC_ACCESS_LINEAR_FETCH : APIC_ACCESS_LINEAR_READ), false);
		return r;
	}
	r.outcome = VAPIC_VIRTUALIZED;
	for (unsigned i = 0; i < size; i++)
		r.value |= (uint64_t)v->page[off + i] << (8 * i);
	return r;
}

/* 30.4.3.2: what follows a virtualized write at `reg`. */
static void write_emulate(struct vapic *v, unsigned reg, struct vapic_result *r)
{
	switch (reg) {
	case APIC_TPR:
		apic_reg_put(v->page, APIC_TPR, vapic_vtpr(v));    /* bytes 81H-83H cleared */
		vapic_tpr_virtualize(v, r);
		return;
	case APIC_EOI:
		if (!v->ctl.virtual_intr_delivery)
			break;
		apic_reg_put(v->page, APIC_EOI, 0);
		vapic_eoi_virtualize(v, r);
		return;
	case APIC_ICR:
		icr_write_emulate(v, r);
		return;
	case APIC_ICR2:
		/* bytes 2:0 of VICR_HI cleared, no exit */
		apic_reg_put(v->page, APIC_ICR2, apic_reg_get(v->page, APIC_ICR2) & 0xff000000u);
		return;
	}
	set_exit(r, APIC_EXIT_APIC_WRITE, reg, true);
}

struct vapic_result vapic_mmio_write(struct vapic *v, unsigned off, unsigned size, uint64_t val)
{
	struct vapic_result r = { .outcome = VAPIC_NOT_VIRTUALIZED };
	if (!v->ctl.virtualize_apic_accesses)
		return r;
	off &= APIC_PAGE_SIZE - 1;
	if (!v->ctl.use_tpr_shadow || bad_access(off, size) || !write_virtualized(&v->ctl, off, size)) {
		set_exit(&r, APIC_EXIT_APIC_ACCESS, access_qual(off, APIC_ACCESS_LINEAR_WRITE), false);
		return r;
	}
	r.outcome = VAPIC_VIRTUALIZED;
	for (unsigned i = 0; i < size; i++)
		v->page[off + i] = (uint8_t)(val >> (8 * i));
	write_emulate(v, off & ~0xfu, &r);
	return r;
}

/* ---- x2APIC MSRs (30.5) ---- */

static void page_put64(struct vapic *v, unsigned off, uint64_t x)
{
	for (unsigned i = 0; i < 8; i++)
		v->page[off + i] = (uint8_t)(x >> (8 * i));
}

static unsigned msr_off(uint32_t msr) { return (msr & 0xffu) << 4; }

struct vapic_result vapic_rdmsr(struct vapic *v, uint32_t msr)
{
	struct vapic_result r = { .outcome = VAPIC_NOT_VIRTUALIZED };
	if (!v->ctl.virtualize_x2apic || msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST)
		return r;
	/* With APIC-register virtualization every MSR of the range reads the
	 * page, even where the x2APIC has no register; without it only 808H. */
	if (!v->ctl.apic_register_virt && msr != X2APIC_MSR_BASE + (APIC_TPR >> 4))
		return r;
	r.outcome = VAPIC_VIRTUALIZED;
	r.value = page_get64(v, msr_off(msr));
	return r;
}

struct vapic_result vapic_wrmsr(struct vapic *v, uint32_t msr, uint64_t val)
{
	struct vapic_result r = { .outcome = VAPIC_NOT_VIRTUALIZED };
	if (!v->ctl.virtualize_x2apic || msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_LAST)
		return r;
	unsigned off = msr_off(msr);
	bool vid = v->ctl.virtual_intr_delivery;
	r.outcome = VAPIC_VIRTUALIZED;
	if (off == APIC_TPR) {
		if (val >> 8) {
			r.outcome = VAPIC_GP;
			return r;
		}
		page_put64(v, APIC_TPR, val);
		vapic_tpr_virtualize(v, &r);
	} else if (off == APIC_EOI && vid) {
		if (val) {
			r.outcome = VAPIC_GP;
			return r;
		}
		vapic_eoi_virtualize(v, &r);
	} else if (off == APIC_SELF_IPI && vid) {
		if (val >> 8) {
			r.outcome = VAPIC_GP;
			return r;
		}
		page_put64(v, APIC_SELF_IPI, val);
		vapic_self_ipi_virtualize(v, (uint8_t)val);
	} else if (off == APIC_ICR && vid && v->ctl.ipi_virt) {
		if (val & APIC_ICR_LO_RESERVED) {
			r.outcome = VAPIC_GP;
			return r;
		}
		page_put64(v, APIC_ICR, val);
		icr_write_emulate(v, &r);
	} else {
		r.outcome = VAPIC_NOT_VIRTUALIZED;
	}
	return r;
}
