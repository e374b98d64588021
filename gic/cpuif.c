/* GICv3 virtual CPU interface.  See cpuif.h. */
#include "gic/cpuif.h"

#define BPR0_MIN (7 - GIC_PRE_BITS)         /* 4.8.2: minimum binary point, Group 0 */
#define BPR1_MIN (BPR0_MIN + 1)             /* and Group 1 (non-secure copy) */
#define NO_LR    (-1)
#define DIRECT   (-2)                      /* the Redistributor's direct vLPI/vSGI (GICv4) */

void gic_cpuif_reset(struct gic_cpuif *c, unsigned nlr, uint64_t hcr)
{
	*c = (struct gic_cpuif){ .nlr = nlr > GIC_MAX_LRS ? GIC_MAX_LRS : nlr, .hcr = hcr,
				 .direct_intid = GIC_INTID_SPURIOUS, .direct_eoi = GIC_INTID_SPURIOUS };
	c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VBPR0, BPR0_MIN);
	c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VBPR1, BPR1_MIN);
	/* VFIQEn is RES1 with the system register interface (12.4.10) */
	c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VFIQEN, 1);
}

uint64_t gic_cpuif_vtr(const struct gic_cpuif *c)
{
	uint64_t v = FIELD_DP(0, ICH_VTR, LISTREGS, c->nlr - 1);
	v = FIELD_DP(v, ICH_VTR, PRIBITS, GIC_PRI_BITS - 1);
	v = FIELD_DP(v, ICH_VTR, PREBITS, GIC_PRE_BITS - 1);
	v = FIELD_DP(v, ICH_VTR, IDBITS, 0);           /* 16-bit INTIDs */
	return FIELD_DP(v, ICH_VTR, A3V, 1);
}

static unsigned vbpr(const struct gic_cpuif *c, unsigned group)
{
	if (group == 0 || FIELD_EX(c->vmcr, ICH_VMCR, VCBPR))
		return (unsigned)FIELD_EX(c->vmcr, ICH_VMCR, VBPR0);
	return (unsigned)FIELD_EX(c->vmcr, ICH_VMCR, VBPR1) - 1;
}

/* VPriorityGroup: the group priority is bits [7:bpr+1] of the priority,
 * where Group 1 uses VBPR1 - 1 (its binary point is one higher). */
unsigned gic_cpuif_group_priority(const struct gic_cpuif *c, unsigned priority, unsigned group)
{
	return priority & (0xffu << (vbpr(c, group) + 1)) & 0xffu;
}

static unsigned ap_index(unsigned group_priority) { return group_priority >> (8 - GIC_PRE_BITS); }

/* VHighestActivePriority: the lowest set bit of the active priorities. */
unsigned gic_cpuif_running_priority(const struct gic_cpuif *c)
{
	uint32_t ap = c->apr[0] | c->apr[1];
	if (!ap)
		return GIC_IDLE_PRIORITY;
	return (unsigned)__builtin_ctz(ap) << (8 - GIC_PRE_BITS);
}

static unsigned lr_priority(uint64_t lr) { return (unsigned)FIELD_EX(lr, ICH_LR, PRIORITY); }
static unsigned lr_group(uint64_t lr) { return (unsigned)FIELD_EX(lr, ICH_LR, GROUP); }

/* HighestPriorityVirtualInterrupt over LRs in the pending state; ties go to
 * the lowest LR index (IMPLEMENTATION DEFINED). */
int gic_cpuif_hppi_lr(const struct gic_cpuif *c)
{
	int best = NO_LR;
	for (unsigned i = 0; i < c->nlr; i++)
		if (gic_lr_state(c->lr[i]) == LR_PENDING &&
		    (best == NO_LR || lr_priority(c->lr[i]) < lr_priority(c->lr[best])))
			best = (int)i;
	return best;
}

/* A direct interrupt is offered above LR i (the LRs' highest, or NO_LR) */
static bool direct_over(const struct gic_cpuif *c, int i)
{
	return c->direct_intid != GIC_INTID_SPURIOUS && (i == NO_LR || c->direct_prio < lr_priority(c->lr[i]));
}

bool gic_cpuif_direct_first(const struct gic_cpuif *c) { return direct_over(c, gic_cpuif_hppi_lr(c)); }

/* The pending interrupt of highest priority: an LR index or DIRECT
 * (gic_cpuif_direct_first, with the LRs scanned once: every guest entry
 * asks). */
static int hppi(const struct gic_cpuif *c)
{
	int i = gic_cpuif_hppi_lr(c);
	return direct_over(c, i) ? DIRECT : i;
}

static unsigned hppi_priority(const struct gic_cpuif *c, int i) { return i == DIRECT ? c->direct_prio : lr_priority(c->lr[i]); }
static unsigned hppi_group(const struct gic_cpuif *c, int i) { return i == DIRECT ? 1 : lr_group(c->lr[i]); }
static uint32_t hppi_intid(const struct gic_cpuif *c, int i) { return i == DIRECT ? c->direct_intid : gic_lr_intid(c->lr[i]); }

static bool group_enabled(const struct gic_cpuif *c, unsigned group)
{
	return group ? FIELD_EX(c->vmcr, ICH_VMCR, VENG1) : FIELD_EX(c->vmcr, ICH_VMCR, VENG0);
}

static bool above_pmr(const struct gic_cpuif *c, uint64_t lr)
{
	return lr_priority(lr) < FIELD_EX(c->vmcr, ICH_VMCR, VPMR);
}

/* The LR (or DIRECT) an acknowledge of `group` would return, or NO_LR
 * (VirtualReadIAR; a direct interrupt goes through the same checks). */
static int ackable(const struct gic_cpuif *c, unsigned group)
{
	int i = hppi(c);
	if (i == NO_LR || !FIELD_EX(c->hcr, ICH_HCR, EN))
		return NO_LR;
	unsigned prio = hppi_priority(c, i);
	if (hppi_group(c, i) != group || !group_enabled(c, group) || prio >= FIELD_EX(c->vmcr, ICH_VMCR, VPMR))
		return NO_LR;
	if (gic_cpuif_group_priority(c, prio, group) >= gic_cpuif_running_priority(c))
		return NO_LR;
	return i;
}

bool gic_cpuif_irq_line(const struct gic_cpuif *c) { return ackable(c, 1) != NO_LR; }
bool gic_cpuif_fiq_line(const struct gic_cpuif *c) { return ackable(c, 0) != NO_LR; }

bool gic_cpuif_wake(const struct gic_cpuif *c)
{
	for (unsigned i = 0; i < c->nlr; i++) {
		uint64_t lr = c->lr[i];
		if ((gic_lr_state(lr) & LR_PENDING) && group_enabled(c, lr_group(lr)) && above_pmr(c, lr))
			return true;
	}
	return c->direct_intid != GIC_INTID_SPURIOUS && group_enabled(c, 1) &&
	       c->direct_prio < FIELD_EX(c->vmcr, ICH_VMCR, VPMR);
}

static uint64_t acknowledge(struct gic_cpuif *c, unsigned group, struct gic_cpuif_events *ev)
{
	int i = ackable(c, group);
	if (i == NO_LR)
		return GIC_INTID_SPURIOUS;
	if (i == DIRECT) {
		uint32_t id = c->direct_intid;
		c->apr[group] |= 1u << ap_index(gic_cpuif_group_priority(c, c->direct_prio, group));
		c->direct_intid = GIC_INTID_SPURIOUS;   /* the Redistributor offers the next one */
		c->direct_eoi = id;
		ev->direct_acked = (int)id;
		return id;
	}
	uint64_t *lr = &c->lr[i];
	/* An LPI has no active state: its LR becomes invalid (VirtualReadIAR). */
	*lr = FIELD_DP(*lr, ICH_LR, STATE, gic_lr_intid(*lr) >= GIC_LPI_BASE ? LR_INVALID : LR_ACTIVE);
	c->apr[group] |= 1u << ap_index(gic_cpuif_group_priority(c, lr_priority(*lr), group));
	return gic_lr_intid(*lr);
}

static int find_active_lr(const struct gic_cpuif *c, uint32_t intid)
{
	for (unsigned i = 0; i < c->nlr; i++)
		if (gic_lr_intid(c->lr[i]) == intid && (gic_lr_state(c->lr[i]) & LR_ACTIVE))
			return (int)i;
	return NO_LR;
}

/* VirtualDeactivate: clears the active state of the LR holding intid; with
 * no such LR the hypervisor is told through ICH_HCR_EL2.EOIcount, except
 * for an LPI, which has nothing to deactivate. */
static void deactivate(struct gic_cpuif *c, uint32_t intid, struct gic_cpuif_events *ev)
{
	int i = find_active_lr(c, intid);
	if (i == NO_LR && (intid >= GIC_LPI_BASE || intid == c->direct_eoi))
		return;

	if (i == NO_LR) {
		uint64_t n = FIELD_EX(c->hcr, ICH_HCR, EOICOUNT);
		c->hcr = FIELD_DP(c->hcr, ICH_HCR, EOICOUNT, n + 1);   /* wraps at 32, as the 5-bit field does */
		ev->eoi_misses++;
		return;
	}
	uint64_t *lr = &c->lr[i];
	*lr = FIELD_DP(*lr, ICH_LR, STATE, gic_lr_state(*lr) & ~LR_ACTIVE);
	if (FIELD_EX(*lr, ICH_LR, HW))
		ev->hw_deactivated = (int)FIELD_EX(*lr, ICH_LR, PINTID);
}

/* VirtualPriorityDrop: clears the highest active priority, whichever group
 * holds it.  Returns false if nothing was active. */
static bool priority_drop(struct gic_cpuif *c)
{
	uint32_t ap = c->apr[0] | c->apr[1];
	if (!ap)
		return false;
	uint32_t bit = ap & -ap;
	c->apr[c->apr[0] & bit ? 0 : 1] &= ~bit;
	return true;
}

static bool special_intid(uint64_t v) { uint32_t id = (uint32_t)v & 0xffffff; return id >= 1020 && id <= 1023; }

static void write_eoir(struct gic_cpuif *c, uint64_t val, struct gic_cpuif_events *ev)
{
	uint32_t intid = (uint32_t)val & 0xffffff;
	if (special_intid(val) || !priority_drop(c))
		return;
	if (!FIELD_EX(c->vmcr, ICH_VMCR, VEOIM))
		deactivate(c, intid, ev);
}

static uint64_t read_hppir(const struct gic_cpuif *c, unsigned group)
{
	int i = hppi(c);
	if (i == NO_LR || hppi_group(c, i) != group)
		return GIC_INTID_SPURIOUS;
	return hppi_intid(c, i);
}

static uint64_t read_ctlr(const struct gic_cpuif *c)
{
	uint64_t v = FIELD_DP(0, ICC_CTLR, CBPR, FIELD_EX(c->vmcr, ICH_VMCR, VCBPR));
	v = FIELD_DP(v, ICC_CTLR, EOIMODE, FIELD_EX(c->vmcr, ICH_VMCR, VEOIM));
	v = FIELD_DP(v, ICC_CTLR, PRIBITS, GIC_PRI_BITS - 1);
	v = FIELD_DP(v, ICC_CTLR, IDBITS, 0);
	return FIELD_DP(v, ICC_CTLR, A3V, 1);
}

static void write_ctlr(struct gic_cpuif *c, uint64_t val)
{
	c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VCBPR, FIELD_EX(val, ICC_CTLR, CBPR));
	c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VEOIM, FIELD_EX(val, ICC_CTLR, EOIMODE));
}

/* ICV_BPR1_EL1 reads as VBPR0 + 1 (saturated) while VCBPR is set, and
 * ignores writes then; values below the minimum are raised to it (12.2.5). */
static uint64_t read_bpr(const struct gic_cpuif *c, unsigned group)
{
	if (group == 0)
		return FIELD_EX(c->vmcr, ICH_VMCR, VBPR0);
	if (FIELD_EX(c->vmcr, ICH_VMCR, VCBPR)) {
		uint64_t b = FIELD_EX(c->vmcr, ICH_VMCR, VBPR0) + 1;
		return b > 7 ? 7 : b;
	}
	return FIELD_EX(c->vmcr, ICH_VMCR, VBPR1);
}

static void write_bpr(struct gic_cpuif *c, unsigned group, uint64_t val)
{
	uint64_t b = val & 7, min = group ? BPR1_MIN : BPR0_MIN;
	if (b < min)
		b = min;
	if (group == 0)
		c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VBPR0, b);
	else if (!FIELD_EX(c->vmcr, ICH_VMCR, VCBPR))
		c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VBPR1, b);
}

/* Write-only and read-only registers: the wrong direction is UNDEFINED. */
static enum gic_sysreg_result ro(bool is_read) { return is_read ? GIC_SYSREG_OK : GIC_SYSREG_UNDEF; }
static enum gic_sysreg_result wo(bool is_read) { return is_read ? GIC_SYSREG_UNDEF : GIC_SYSREG_OK; }

static enum gic_sysreg_result access_group(struct gic_cpuif *c, uint32_t reg, unsigned g, bool is_read,
					   uint64_t *val, struct gic_cpuif_events *ev)
{
	switch (reg) {
	case ICC_IAR0_EL1: case ICC_IAR1_EL1:
		if (is_read)
			*val = acknowledge(c, g, ev);
		return ro(is_read);
	case ICC_EOIR0_EL1: case ICC_EOIR1_EL1:
		if (!is_read)
			write_eoir(c, *val, ev);
		return wo(is_read);
	case ICC_HPPIR0_EL1: case ICC_HPPIR1_EL1:
		if (is_read)
			*val = read_hppir(c, g);
		return ro(is_read);
	case ICC_BPR0_EL1: case ICC_BPR1_EL1:
		if (is_read)
			*val = read_bpr(c, g);
		else
			write_bpr(c, g, *val);
		return GIC_SYSREG_OK;
	case ICC_IGRPEN0_EL1: case ICC_IGRPEN1_EL1:
		if (is_read)
			*val = group_enabled(c, g);
		else
			c->vmcr = g ? FIELD_DP(c->vmcr, ICH_VMCR, VENG1, *val & 1) : FIELD_DP(c->vmcr, ICH_VMCR, VENG0, *val & 1);
		return GIC_SYSREG_OK;
	case ICC_AP0R_EL1(0): case ICC_AP1R_EL1(0):
		if (is_read)
			*val = c->apr[g];
		else
			c->apr[g] = (uint32_t)*val;
		return GIC_SYSREG_OK;
	}
	return GIC_SYSREG_NOT_CPUIF;
}

/* Group of a banked register, or -1 for the common ones. */
static int reg_group(uint32_t reg)
{
	switch (reg) {
	case ICC_IAR0_EL1: case ICC_EOIR0_EL1: case ICC_HPPIR0_EL1: case ICC_BPR0_EL1:
	case ICC_IGRPEN0_EL1: case ICC_AP0R_EL1(0):
		return 0;
	case ICC_IAR1_EL1: case ICC_EOIR1_EL1: case ICC_HPPIR1_EL1: case ICC_BPR1_EL1:
	case ICC_IGRPEN1_EL1: case ICC_AP1R_EL1(0):
		return 1;
	}
	return -1;
}

enum gic_sysreg_result gic_cpuif_access(struct gic_cpuif *c, uint32_t reg, bool is_read, uint64_t *val,
					struct gic_cpuif_events *ev)
{
	*ev = (struct gic_cpuif_events){ .hw_deactivated = -1, .direct_acked = -1 };
	int g = reg_group(reg);
	if (g >= 0)
		return access_group(c, reg, (unsigned)g, is_read, val, ev);
	switch (reg) {
	case ICC_PMR_EL1:
		if (is_read)
			*val = FIELD_EX(c->vmcr, ICH_VMCR, VPMR);
		else   /* unimplemented low priority bits are RAZ/WI */
			c->vmcr = FIELD_DP(c->vmcr, ICH_VMCR, VPMR, *val & GIC_PRI_MASK);
		return GIC_SYSREG_OK;
	case ICC_RPR_EL1:
		if (is_read)
			*val = gic_cpuif_running_priority(c);
		return ro(is_read);
	case ICC_DIR_EL1:
		/* With VEOIM == 0 a DIR write is UNPREDICTABLE: ignored here
		 * (IMPLEMENTATION DEFINED choice). */
		if (!is_read && FIELD_EX(c->vmcr, ICH_VMCR, VEOIM) && !special_intid(*val))
			deactivate(c, (uint32_t)*val & 0xffffff, ev);
		return wo(is_read);
	case ICC_CTLR_EL1:
		if (is_read)
			*val = read_ctlr(c);
		else
			write_ctlr(c, *val);
		return GIC_SYSREG_OK;
	case ICC_SRE_EL1:   /* SRE RAO/WI under KVM; DIB and DFB set by KVM */
		if (is_read)
			*val = ICC_SRE_EL1_VALUE;
		return GIC_SYSREG_OK;
	case ICC_AP0R_EL1(1): case ICC_AP0R_EL1(2): case ICC_AP0R_EL1(3):
	case ICC_AP1R_EL1(1): case ICC_AP1R_EL1(2): case ICC_AP1R_EL1(3):
		return GIC_SYSREG_UNDEF;   /* 5 preemption bits: only AP<n>R0 exist (12.2.1) */
	}
	return GIC_SYSREG_NOT_CPUIF;
}

unsigned gic_cpuif_used_lrs(const struct gic_cpuif *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->nlr; i++)
		n += gic_lr_state(c->lr[i]) != LR_INVALID;
	return n;
}

uint64_t gic_cpuif_misr(const struct gic_cpuif *c)
{
	uint64_t m = 0;
	bool pending = false, eoi = false;
	for (unsigned i = 0; i < c->nlr; i++) {
		uint64_t lr = c->lr[i];
		pending |= (gic_lr_state(lr) & LR_PENDING) != 0;
		eoi |= gic_lr_state(lr) == LR_INVALID && !FIELD_EX(lr, ICH_LR, HW) && FIELD_EX(lr, ICH_LR, EOI);
	}
	m = FIELD_DP(m, ICH_MISR, EOI, eoi);
	m = FIELD_DP(m, ICH_MISR, U, FIELD_EX(c->hcr, ICH_HCR, UIE) && gic_cpuif_used_lrs(c) <= 1);
	m = FIELD_DP(m, ICH_MISR, LRENP, FIELD_EX(c->hcr, ICH_HCR, LRENPIE) && FIELD_EX(c->hcr, ICH_HCR, EOICOUNT));
	return FIELD_DP(m, ICH_MISR, NP, FIELD_EX(c->hcr, ICH_HCR, NPIE) && !pending);
}
