/* Local APIC.  See lapic.h. */
#include "apic/lapic.h"

#include <endian.h>
#include <string.h>

#define LVT_MASKED     (1u << APIC_LVT_MASK_SHIFT)
#define DFR_RESET      0xffffffffu
#define SVR_RESET      0xffu
/* Writable bits (KVM apic_lvt_mask; 10.5.1 Figure 10-8) and defined bits
 * (writable plus read-only status): a WRMSR setting any other bit is #GP
 * (10.12.1.3). */
#define LVT_W_TIMER    0x000700ffu
#define LVT_W_THERMAL  0x000107ffu        /* also the performance counter LVT */
#define LVT_W_LINT     0x0001a7ffu
#define LVT_W_ERROR    0x000100ffu
#define LVT_RO_STATUS  0x00001000u        /* delivery status */
#define LVT_RO_LINT    0x00005000u        /* delivery status, remote IRR */
#define SVR_W          0x000013ffu
#define TDCR_W         0x0000000bu
#define LDR_W_XAPIC    0xff000000u
#define ICR2_W         0xff000000u
#define X2_ICR_RSVD    ((uint64_t)APIC_ICR_LO_RESERVED | (1u << APIC_ICR_DELIVERY_STATUS_SHIFT))

uint32_t apic_reg_get(const uint8_t *page, unsigned off)
{
	uint32_t v;   /* one load (GCC does not merge the byte loads here) */
	memcpy(&v, page + (off & (APIC_PAGE_SIZE - 4)), 4);
	return le32toh(v);
}

void apic_reg_put(uint8_t *page, unsigned off, uint32_t v)
{
	off &= APIC_PAGE_SIZE - 4;
	for (unsigned i = 0; i < 4; i++)
		page[off + i] = (uint8_t)(v >> (8 * i));
}

/* Bit v of a 256-bit register is bit (v & 31) of the word at reg + (v >> 5) * 16 (10.8.4). */
static unsigned vec_off(unsigned reg, unsigned v) { return reg + ((v & 0xe0u) >> 1); }

bool apic_vec_test(const uint8_t *page, unsigned reg, unsigned v)
{
	return apic_reg_get(page, vec_off(reg, v)) >> (v & 31) & 1;
}

void apic_vec_set(uint8_t *page, unsigned reg, unsigned v, bool on)
{
	uint32_t w = apic_reg_get(page, vec_off(reg, v));
	w = on ? w | 1u << (v & 31) : w & ~(1u << (v & 31));
	apic_reg_put(page, vec_off(reg, v), w);
}

int apic_vec_highest(const uint8_t *page, unsigned reg)
{
	/* All eight words at once first: every guest entry asks, and the
	 * answer is nearly always "none". */
	uint32_t any = 0;
	for (unsigned i = 0; i < 8; i++)
		any |= apic_reg_get(page, reg + i * 0x10);
	if (!any)
		return -1;
	for (int i = 7;; i--) {
		uint32_t w = apic_reg_get(page, reg + (unsigned)i * 0x10);
		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
}

static uint32_t rd(const struct lapic *l, unsigned off) { return apic_reg_get(l->regs, off); }
static void wr(struct lapic *l, unsigned off, uint32_t v) { apic_reg_put(l->regs, off, v); }

bool lapic_hw_enabled(const struct lapic *l) { return FIELD_EX(l->apic_base, APIC_BASE_MSR, EN); }
bool lapic_x2apic_mode(const struct lapic *l) { return FIELD_EX(l->apic_base, APIC_BASE_MSR, EXTD); }
bool lapic_sw_enabled(const struct lapic *l) { return FIELD_EX(rd(l, APIC_SVR), APIC_SVR, APIC_ENABLE); }

uint32_t lapic_id(const struct lapic *l)
{
	uint32_t id = rd(l, APIC_ID);
	return lapic_x2apic_mode(l) ? id : (uint32_t)FIELD_EX(id, APIC_ID_REG, XAPIC_ID);
}

uint32_t x2apic_ldr(uint32_t id)
{
	uint32_t ldr = (uint32_t)FIELD_DP(0, APIC_LDR, X2_CLUSTER, id >> 4);
	return (uint32_t)FIELD_DP(ldr, APIC_LDR, X2_LID, 1u << (id & 0xf));
}

static void timer_stop(struct lapic *l)
{
	l->timer_next = LAPIC_NEVER;
	l->timer_count0 = 0;
}

/* Register reset common to power-up and INIT (10.4.7.1): IRR, ISR, TMR,
 * ICR, LDR, TPR, timer counts and divide zero, DFR all ones, LVT masked,
 * SVR 0FFH (software disabled). */
static void regs_reset(struct lapic *l)
{
	uint32_t id = rd(l, APIC_ID);
	memset(l->regs, 0, sizeof l->regs);
	wr(l, APIC_ID, id);
	uint32_t lvr = (uint32_t)FIELD_DP(LAPIC_VERSION, APIC_LVR, MAX_LVT, LAPIC_NR_LVT - 1);
	wr(l, APIC_LVR, (uint32_t)FIELD_DP(lvr, APIC_LVR, EOI_SUPPRESS, 1));
	wr(l, APIC_DFR, DFR_RESET);
	wr(l, APIC_SVR, SVR_RESET);
	for (unsigned off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		wr(l, off, LVT_MASKED);
	if (lapic_x2apic_mode(l))
		wr(l, APIC_LDR, x2apic_ldr(l->x2apic_id));
	timer_stop(l);
	l->tsc_deadline = 0;
	l->esr_pending = 0;
	l->nmi_pending = l->smi_pending = l->extint_pending = false;
}

void lapic_init(struct lapic *l, uint32_t x2apic_id, bool bsp, uint64_t bus_cycles)
{
	*l = (struct lapic){ .x2apic_id = x2apic_id, .bus_cycles = bus_cycles ? bus_cycles : 1, .sipi_vector = -1 };
	l->guest_errors = &l->own_errors;
	l->apic_base = FIELD_DP(0, APIC_BASE_MSR, BASE, APIC_DEFAULT_BASE >> 12);
	l->apic_base = FIELD_DP(l->apic_base, APIC_BASE_MSR, EN, 1);
	l->apic_base = FIELD_DP(l->apic_base, APIC_BASE_MSR, BSP, bsp);
	wr(l, APIC_ID, (uint32_t)FIELD_DP(0, APIC_ID_REG, XAPIC_ID, x2apic_id));
	regs_reset(l);
	l->state = bsp ? LAPIC_CPU_RUNNING : LAPIC_CPU_WAIT_SIPI;
}

void lapic_init_signal(struct lapic *l)
{
	regs_reset(l);
	l->state = FIELD_EX(l->apic_base, APIC_BASE_MSR, BSP) ? LAPIC_CPU_RESET : LAPIC_CPU_WAIT_SIPI;
	l->started = false;
}

/* ---- IA32_APIC_BASE (10.12.5) ---- */

enum apic_mode { MODE_DISABLED, MODE_INVALID, MODE_XAPIC, MODE_X2APIC };

static enum apic_mode mode_of(uint64_t base)
{
	bool en = FIELD_EX(base, APIC_BASE_MSR, EN), extd = FIELD_EX(base, APIC_BASE_MSR, EXTD);
	return en ? (extd ? MODE_X2APIC : MODE_XAPIC) : (extd ? MODE_INVALID : MODE_DISABLED);
}

enum apic_msr_result lapic_set_base(struct lapic *l, uint64_t val)
{
	uint64_t valid = FIELD_MASK(APIC_BASE_MSR, BSP) | FIELD_MASK(APIC_BASE_MSR, EXTD) |
			 FIELD_MASK(APIC_BASE_MSR, EN) | FIELD_MASK(APIC_BASE_MSR, BASE);
	enum apic_mode from = mode_of(l->apic_base), to = mode_of(val);
	/* Figure 10-27: x2APIC -> xAPIC and disabled -> x2APIC are invalid. */
	if ((val & ~valid) || to == MODE_INVALID || (from == MODE_X2APIC && to == MODE_XAPIC) ||
	    (from == MODE_DISABLED && to == MODE_X2APIC))
		return APIC_MSR_GP;
	/* BSP is read-only to software (10.4.4) */
	val = FIELD_DP(val, APIC_BASE_MSR, BSP, FIELD_EX(l->apic_base, APIC_BASE_MSR, BSP));
	l->apic_base = val;
	if (to == MODE_DISABLED && from != MODE_DISABLED) {
		/* Disabling resets the APIC as a power-up would (10.4.3), except the base. */
		regs_reset(l);
		wr(l, APIC_ID, (uint32_t)FIELD_DP(0, APIC_ID_REG, XAPIC_ID, l->x2apic_id));
	} else if (to == MODE_X2APIC && from == MODE_XAPIC) {
		/* 10.12.5.1: the x2APIC ID and the derived LDR appear. */
		wr(l, APIC_ID, l->x2apic_id);
		wr(l, APIC_LDR, x2apic_ldr(l->x2apic_id));
	}
	return APIC_MSR_OK;
}

/* ---- priorities ---- */

uint8_t apic_ppr(uint8_t tpr, int isrv)
{
	/* 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with sub-class 0. */
	unsigned isr = isrv < 0 ? 0 : (unsigned)isrv;
	if (FIELD_EX(tpr, APIC_PRIO, CLASS) >= FIELD_EX(isr, APIC_PRIO, CLASS))
		return tpr;
	return (uint8_t)(isr & FIELD_MASK(APIC_PRIO, CLASS));
}

uint8_t lapic_ppr(const struct lapic *l)
{
	return apic_ppr((uint8_t)rd(l, APIC_TPR), apic_vec_highest(l->regs, APIC_ISR));
}

static unsigned prio_class(int v) { return v < 0 ? 0 : (unsigned)FIELD_EX((unsigned)v, APIC_PRIO, CLASS); }

uint8_t lapic_apr(const struct lapic *l)
{
	/* 10.6.2.4 (Figure 10-15 pseudocode) */
	uint8_t tpr = (uint8_t)rd(l, APIC_TPR);
	int isrv = apic_vec_highest(l->regs, APIC_ISR), irrv = apic_vec_highest(l->regs, APIC_IRR);
	unsigned tc = prio_class(tpr);
	if (tc >= prio_class(irrv) && tc > prio_class(isrv))
		return tpr;
	unsigned c = tc;
	if (prio_class(isrv) > c)
		c = prio_class(isrv);
	if (prio_class(irrv) > c)
		c = prio_class(irrv);
	return (uint8_t)(c << APIC_PRIO_CLASS_SHIFT);
}

int lapic_pending_vector(const struct lapic *l)
{
	if (!lapic_hw_enabled(l))
		return -1;
	int v = apic_vec_highest(l->regs, APIC_IRR);
	if (v < 0 || prio_class(v) <= prio_class(lapic_ppr(l)))
		return -1;
	return v;
}

int lapic_ack(struct lapic *l)
{
	int v = lapic_pending_vector(l);
	if (v < 0)
		return (int)FIELD_EX(rd(l, APIC_SVR), APIC_SVR, VECTOR);
	apic_vec_set(l->regs, APIC_IRR, (unsigned)v, false);
	apic_vec_set(l->regs, APIC_ISR, (unsigned)v, true);
	return v;
}

void lapic_eoi(struct lapic *l, struct lapic_event *ev)
{
	int v = apic_vec_highest(l->regs, APIC_ISR);
	ev->eoi_vector = v;
	ev->eoi_broadcast = false;
	if (v < 0)
		return;
	apic_vec_set(l->regs, APIC_ISR, (unsigned)v, false);
	/* 10.8.5: a level-triggered vector's EOI goes to the I/O APICs unless
	 * SVR bit 12 suppresses it (directed EOI). */
	if (apic_vec_test(l->regs, APIC_TMR, (unsigned)v))
		ev->eoi_broadcast = !FIELD_EX(rd(l, APIC_SVR), APIC_SVR, EOI_SUPPRESS);
}

/* ---- messages and destinations ---- */

struct apic_msg apic_decode_icr(uint64_t icr, bool x2apic)
{
	return (struct apic_msg){
		.vector = (uint8_t)FIELD_EX(icr, APIC_ICR, VECTOR),
		.mode = (enum apic_delivery)FIELD_EX(icr, APIC_ICR, DELIVERY_MODE),
		.logical = FIELD_EX(icr, APIC_ICR, DEST_MODE),
		.shorthand = (enum apic_shorthand)FIELD_EX(icr, APIC_ICR, SHORTHAND),
		.dest = x2apic ? (uint32_t)FIELD_EX(icr, APIC_ICR, X2_DEST) : (uint32_t)FIELD_EX(icr, APIC_ICR, XAPIC_DEST),
		.x2apic_dest = x2apic,
		.level = FIELD_EX(icr, APIC_ICR, LEVEL),
		.trig_level = FIELD_EX(icr, APIC_ICR, TRIGGER),
	};
}

bool apic_msg_is_init_deassert(const struct apic_msg *m)
{
	return m->mode == APIC_DM_INIT && m->trig_level && !m->level;
}

/* The destination as the receiving APIC compares it: an xAPIC-format
 * broadcast reaches x2APIC-mode APICs as the x2APIC broadcast (KVM kvm_apic_mda). */
static uint32_t mda(const struct lapic *dst, const struct apic_msg *m)
{
	if (lapic_x2apic_mode(dst) && !m->x2apic_dest && m->dest == XAPIC_BROADCAST)
		return X2APIC_BROADCAST;
	return m->dest;
}

static bool match_physical(const struct lapic *dst, uint32_t d)
{
	if (lapic_x2apic_mode(dst))
		return d == X2APIC_BROADCAST || d == lapic_id(dst);
	return (d & 0xff) == XAPIC_BROADCAST || (d & 0xff) == lapic_id(dst);
}

static bool match_logical(const struct lapic *dst, uint32_t d)
{
	uint32_t ldr = rd(dst, APIC_LDR);
	if (lapic_x2apic_mode(dst)) {
		/* 10.12.10.2: cluster 31:16 equal and a common bit in 15:0 */
		if (d == X2APIC_BROADCAST)
			return true;
		return FIELD_EX(d, APIC_LDR, X2_CLUSTER) == FIELD_EX(ldr, APIC_LDR, X2_CLUSTER) &&
		       (FIELD_EX(d, APIC_LDR, X2_LID) & FIELD_EX(ldr, APIC_LDR, X2_LID));
	}
	uint32_t d8 = d & 0xff, lid = (uint32_t)FIELD_EX(ldr, APIC_LDR, XAPIC_LID);
	if (d8 == XAPIC_BROADCAST)
		return true;
	/* 10.6.2.2: flat = any common bit; cluster = same cluster (7:4), common bit in 3:0 */
	if (FIELD_EX(rd(dst, APIC_DFR), APIC_DFR, MODEL) == APIC_DFR_FLAT)
		return (d8 & lid) != 0;
	return (d8 >> 4) == (lid >> 4) && (d8 & lid & 0xf) != 0;
}

bool lapic_match_dest(const struct lapic *dst, const struct lapic *src, const struct apic_msg *m)
{
	if (!lapic_hw_enabled(dst))
		return false;
	switch (m->shorthand) {
	case APIC_SH_SELF: return dst == src;
	case APIC_SH_ALL_INCL: return true;
	case APIC_SH_ALL_EXCL: return dst != src;
	case APIC_SH_NONE: break;
	}
	uint32_t d = mda(dst, m);
	return m->logical ? match_logical(dst, d) : match_physical(dst, d);
}

unsigned apic_route(struct lapic *const *lapics, unsigned n, const struct lapic *src, const struct apic_msg *m,
		    bool *is_target)
{
	unsigned count = 0;
	int best = -1;
	for (unsigned i = 0; i < n; i++) {
		is_target[i] = lapic_match_dest(lapics[i], src, m);
		if (!is_target[i])
			continue;
		count++;
		/* Lowest priority (10.6.2.4): lowest APR wins; a tie goes to the
		 * lowest index (IMPLEMENTATION DEFINED: hardware arbitrates by
		 * arbitration ID, KVM rotates). */
		if (m->mode == APIC_DM_LOWEST && (best < 0 || lapic_apr(lapics[i]) < lapic_apr(lapics[best])))
			best = (int)i;
	}
	if (m->mode != APIC_DM_LOWEST || best < 0)
		return count;
	for (unsigned i = 0; i < n; i++)
		is_target[i] = (int)i == best;
	return 1;
}

/* An error is latched for the next ESR write and signalled through the LVT
 * error entry (10.5.3). */
static void apic_error(struct lapic *l, unsigned esr_bit)
{
	l->esr_pending |= (uint8_t)(1u << esr_bit);
	/* an illegal vector in the error entry itself raises no second error */
	if (FIELD_EX(rd(l, APIC_LVTERR), APIC_LVT, VECTOR) >= APIC_MIN_VECTOR)
		lapic_lvt_deliver(l, APIC_LVTERR);
}

static bool accept_fixed(struct lapic *l, const struct apic_msg *m)
{
	if (m->vector < APIC_MIN_VECTOR) {
		apic_error(l, APIC_ESR_RECV_ILLEGAL_VECTOR_SHIFT);
		return false;
	}
	/* A software-disabled APIC drops fixed interrupts (KVM __apic_accept_irq). */
	if (!lapic_sw_enabled(l) || apic_vec_test(l->regs, APIC_IRR, m->vector))
		return false;
	apic_vec_set(l->regs, APIC_IRR, m->vector, true);
	apic_vec_set(l->regs, APIC_TMR, m->vector, m->trig_level);
	return true;
}

static bool accept_sipi(struct lapic *l, uint8_t vector)
{
	/* A SIPI reaches only a CPU waiting for one (8.4.4.1): the second SIPI
	 * of INIT-SIPI-SIPI finds the AP running and is ignored. */
	if (l->state != LAPIC_CPU_WAIT_SIPI)
		return false;
	l->state = LAPIC_CPU_RUNNING;
	l->sipi_vector = vector;
	l->started = true;
	return true;
}

bool lapic_accept(struct lapic *l, const struct apic_msg *m)
{
	if (!lapic_hw_enabled(l))
		return false;
	switch (m->mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		return accept_fixed(l, m);
	case APIC_DM_NMI:
		l->nmi_pending = true;
		return true;
	case APIC_DM_SMI:
		l->smi_pending = true;
		return true;
	case APIC_DM_EXTINT:
		l->extint_pending = true;
		return true;
	case APIC_DM_INIT:
		if (apic_msg_is_init_deassert(m))
			return false;
		lapic_init_signal(l);
		return true;
	case APIC_DM_SIPI:
		return accept_sipi(l, m->vector);
	case APIC_DM_REMOTE_READ:
		break;                  /* not supported on Pentium 4 and later (10.6.1) */
	}
	return false;
}

bool lapic_lvt_deliver(struct lapic *l, unsigned lvt_off)
{
	uint32_t lvt = rd(l, lvt_off);
	if (FIELD_EX(lvt, APIC_LVT, MASK))
		return false;
	struct apic_msg m = {
		.vector = (uint8_t)FIELD_EX(lvt, APIC_LVT, VECTOR),
		.mode = lvt_off == APIC_LVTT || lvt_off == APIC_LVTERR ? APIC_DM_FIXED
								  : (enum apic_delivery)FIELD_EX(lvt, APIC_LVT, DELIVERY_MODE),
		.shorthand = APIC_SH_SELF,
		.trig_level = (lvt_off == APIC_LVT0 || lvt_off == APIC_LVT1) && FIELD_EX(lvt, APIC_LVT, TRIGGER),
		.level = true,
	};
	return lapic_accept(l, &m);
}

/* ---- timer (10.5.4) ---- */

unsigned lapic_timer_divisor(const struct lapic *l)
{
	uint32_t t = rd(l, APIC_TDCR);
	unsigned code = (unsigned)(FIELD_EX(t, APIC_TDCR, HIGH) << 2 | FIELD_EX(t, APIC_TDCR, LOW));
	return code == 7 ? 1 : 2u << code;
}

enum apic_timer_mode lapic_timer_mode(const struct lapic *l)
{
	return (enum apic_timer_mode)FIELD_EX(rd(l, APIC_LVTT), APIC_LVT, TIMER_MODE);
}

static uint64_t tick_cycles(const struct lapic *l) { return (uint64_t)lapic_timer_divisor(l) * l->bus_cycles; }

static cycles_t add_sat(cycles_t a, unsigned __int128 b)
{
	return b >= LAPIC_NEVER - a ? LAPIC_NEVER - 1 : a + (cycles_t)b;
}

/* Starts counting down from count at `now`. */
static void timer_load(struct lapic *l, uint32_t count, cycles_t now)
{
	l->timer_count0 = count;
	l->timer_start = now;
	l->timer_next = count ? add_sat(now, (unsigned __int128)count * tick_cycles(l)) : LAPIC_NEVER;
}

uint32_t lapic_timer_current(const struct lapic *l, cycles_t now)
{
	if (l->timer_next == LAPIC_NEVER || lapic_timer_mode(l) == APIC_TIMER_TSC_DEADLINE || now >= l->timer_next)
		return 0;
	uint64_t ticks = (now - l->timer_start) / tick_cycles(l);
	return ticks >= l->timer_count0 ? 0 : l->timer_count0 - (uint32_t)ticks;
}

struct lapic_deadline lapic_timer_next(const struct lapic *l)
{
	switch (lapic_timer_mode(l)) {
	case APIC_TIMER_ONESHOT:
	case APIC_TIMER_PERIODIC:
		if (l->timer_next != LAPIC_NEVER)
			return (struct lapic_deadline){ LAPIC_DL_CYCLES, l->timer_next };
		break;
	case APIC_TIMER_TSC_DEADLINE:
		if (l->tsc_deadline)
			return (struct lapic_deadline){ LAPIC_DL_TSC, l->tsc_deadline };
		break;
	default:
		break;                  /* 11b reserved: the timer never fires (IMPLEMENTATION DEFINED) */
	}
	return (struct lapic_deadline){ LAPIC_DL_NONE, 0 };
}

unsigned lapic_timer_poll(struct lapic *l, cycles_t now, uint64_t tsc)
{
	unsigned n = 0;
	enum apic_timer_mode mode = lapic_timer_mode(l);
	if (mode == APIC_TIMER_TSC_DEADLINE) {
		if (l->tsc_deadline && tsc >= l->tsc_deadline) {
			l->tsc_deadline = 0;    /* disarms itself (10.5.4.1) */
			n = 1;
		}
	} else if (mode <= APIC_TIMER_PERIODIC && l->timer_next <= now) {
		if (mode == APIC_TIMER_PERIODIC) {
			/* reloads from the initial count at each expiry */
			uint64_t period = (uint64_t)rd(l, APIC_TMICT) * tick_cycles(l);
			uint64_t k = period ? (now - l->timer_next) / period + 1 : 1;
			n = k > UINT32_MAX ? UINT32_MAX : (unsigned)k;
			timer_load(l, rd(l, APIC_TMICT), l->timer_next + (k - 1) * period);
		} else {
			timer_stop(l);
			n = 1;
		}
	}
	if (n) {
		l->timer_fired += n;
		lapic_lvt_deliver(l, APIC_LVTT);
	}
	return n;
}

/* ---- register reads ---- */

static uint32_t read_reg(const struct lapic *l, unsigned off, cycles_t now)
{
	switch (off) {
	case APIC_PPR: return lapic_ppr(l);
	case APIC_APR: return lapic_apr(l);
	case APIC_TMCCT: return lapic_timer_current(l, now);
	case APIC_DFR: return lapic_x2apic_mode(l) ? 0 : rd(l, off);
	default: return rd(l, off);
	}
}

/* Registers that exist in xAPIC mode and can be read (10.4.1, Table 10-1). */
static bool xapic_readable(unsigned off)
{
	switch (off) {
	case APIC_ID: case APIC_LVR: case APIC_TPR: case APIC_APR: case APIC_PPR: case APIC_LDR:
	case APIC_DFR: case APIC_SVR: case APIC_ESR: case APIC_ICR: case APIC_ICR2: case APIC_TMICT:
	case APIC_TMCCT: case APIC_TDCR:
		return true;
	}
	return (off >= APIC_ISR && off < APIC_ESR) || (off >= APIC_LVTT && off <= APIC_LVTERR);
}

bool lapic_mmio_read(struct lapic *l, uint64_t off, unsigned size, uint64_t *val, cycles_t now)
{
	if (!lapic_hw_enabled(l) || lapic_x2apic_mode(l))
		return false;
	*val = 0;
	unsigned reg = (unsigned)(off & ~0xfull), in = (unsigned)(off & 0xf);
	/* 1, 2 or 4 bytes within a register's first 32 bits (KVM lapic_mmio_read);
	 * anything else reads 0 (the SDM leaves it undefined). */
	if (off >= APIC_PAGE_SIZE || size > 4 || !size || in + size > 4 || !xapic_readable(reg)) {
		(*l->guest_errors)++;
		return true;
	}
	uint32_t v = read_reg(l, reg, now) >> (8 * in);
	*val = size == 4 ? v : v & ((1u << (8 * size)) - 1);
	return true;
}

/* ---- register writes, shared by MMIO and MSR paths ---- */

static uint32_t lvt_writable(unsigned off)
{
	switch (off) {
	case APIC_LVTT: return LVT_W_TIMER;
	case APIC_LVTTHMR: case APIC_LVTPC: return LVT_W_THERMAL;
	case APIC_LVT0: case APIC_LVT1: return LVT_W_LINT;
	default: return LVT_W_ERROR;
	}
}

static uint32_t lvt_defined(unsigned off)
{
	return lvt_writable(off) | (off == APIC_LVT0 || off == APIC_LVT1 ? LVT_RO_LINT : LVT_RO_STATUS);
}

static void write_svr(struct lapic *l, uint32_t v)
{
	wr(l, APIC_SVR, v & SVR_W);
	/* 10.4.7.2: software disable masks every LVT entry */
	if (!FIELD_EX(v, APIC_SVR, APIC_ENABLE))
		for (unsigned off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
			wr(l, off, rd(l, off) | LVT_MASKED);
}

static void write_lvt(struct lapic *l, unsigned off, uint32_t v, struct lapic_event *ev)
{
	uint32_t keep = rd(l, off) & ~lvt_writable(off);
	if (!lapic_sw_enabled(l))
		v |= LVT_MASKED;        /* cannot be unmasked while software-disabled */
	if (off == APIC_LVTT) {
		bool was_tscd = lapic_timer_mode(l) == APIC_TIMER_TSC_DEADLINE;
		bool is_tscd = FIELD_EX(v, APIC_LVT, TIMER_MODE) == APIC_TIMER_TSC_DEADLINE;
		/* Changing to or from TSC-deadline mode disarms the timer (10.5.4.1; KVM). */
		if (was_tscd != is_tscd) {
			timer_stop(l);
			wr(l, APIC_TMICT, 0);
			l->tsc_deadline = 0;
		}
		ev->timer_changed = true;
	}
	wr(l, off, keep | (v & lvt_writable(off)));
}

static void write_tdcr(struct lapic *l, uint32_t v, cycles_t now, struct lapic_event *ev)
{
	/* A running count keeps its current value and goes on at the new rate
	 * (IMPLEMENTATION DEFINED: the SDM does not say). */
	uint32_t cur = lapic_timer_current(l, now);
	bool counting = l->timer_next != LAPIC_NEVER && now < l->timer_next;
	wr(l, APIC_TDCR, v & TDCR_W);
	if (counting && lapic_timer_mode(l) != APIC_TIMER_TSC_DEADLINE)
		timer_load(l, cur, now);
	ev->timer_changed = true;
}

static void write_tmict(struct lapic *l, uint32_t v, cycles_t now, struct lapic_event *ev)
{
	/* Ignored in TSC-deadline mode (10.5.4.1). */
	if (lapic_timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
		return;
	wr(l, APIC_TMICT, v);
	timer_load(l, v, now);
	ev->timer_changed = true;
}

static void write_icr(struct lapic *l, uint64_t icr, struct lapic_event *ev)
{
	bool x2 = lapic_x2apic_mode(l);
	wr(l, APIC_ICR, (uint32_t)icr & ~(1u << APIC_ICR_DELIVERY_STATUS_SHIFT));   /* sent at once: idle */
	if (x2)
		wr(l, APIC_ICR2, (uint32_t)(icr >> 32));
	ev->ipi = true;
	ev->msg = apic_decode_icr(icr, x2);
	if (ev->msg.vector < APIC_MIN_VECTOR &&
	    (ev->msg.mode == APIC_DM_FIXED || ev->msg.mode == APIC_DM_LOWEST))
		apic_error(l, APIC_ESR_SEND_ILLEGAL_VECTOR_SHIFT);
}

static void write_reg(struct lapic *l, unsigned off, uint32_t v, cycles_t now, struct lapic_event *ev)
{
	switch (off) {
	case APIC_ID: wr(l, off, v & ((uint32_t)FIELD_MASK(APIC_ID_REG, XAPIC_ID))); break;
	case APIC_TPR: wr(l, off, v & 0xff); break;
	case APIC_EOI: lapic_eoi(l, ev); break;
	case APIC_LDR: wr(l, off, v & LDR_W_XAPIC); break;
	case APIC_DFR: wr(l, off, v | ~(uint32_t)FIELD_MASK(APIC_DFR, MODEL)); break;
	case APIC_SVR: write_svr(l, v); break;
	case APIC_ESR:
		/* A write latches the errors seen since the last one (10.5.3). */
		wr(l, off, l->esr_pending);
		l->esr_pending = 0;
		break;
	case APIC_ICR: write_icr(l, (uint64_t)rd(l, APIC_ICR2) << 32 | v, ev); break;
	case APIC_ICR2: wr(l, off, v & ICR2_W); break;
	case APIC_TMICT: write_tmict(l, v, now, ev); break;
	case APIC_TDCR: write_tdcr(l, v, now, ev); break;
	default: write_lvt(l, off, v, ev); break;
	}
}

static void event_clear(struct lapic_event *ev) { *ev = (struct lapic_event){ .eoi_vector = -1 }; }

static bool xapic_writable(unsigned off)
{
	switch (off) {
	case APIC_ID: case APIC_TPR: case APIC_EOI: case APIC_LDR: case APIC_DFR: case APIC_SVR:
	case APIC_ESR: case APIC_ICR: case APIC_ICR2: case APIC_TMICT: case APIC_TDCR:
		return true;
	}
	return off >= APIC_LVTT && off <= APIC_LVTERR;
}

bool lapic_mmio_write(struct lapic *l, uint64_t off, unsigned size, uint64_t val, cycles_t now,
		      struct lapic_event *ev)
{
	event_clear(ev);
	if (!lapic_hw_enabled(l) || lapic_x2apic_mode(l))
		return false;
	/* Only aligned 32-bit stores to a writable register (10.4.1; KVM
	 * ignores the rest too). */
	if (off >= APIC_PAGE_SIZE || size != 4 || (off & 0xf) || !xapic_writable((unsigned)off)) {
		(*l->guest_errors)++;
		return true;
	}
	write_reg(l, (unsigned)off, (uint32_t)val, now, ev);
	return true;
}

/* ---- x2APIC MSRs (10.12.1.2, Table 10-6) ---- */

bool apic_msr_in_x2apic_range(uint32_t msr) { return msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_RSVD_END; }

static unsigned x2_off(uint32_t msr) { return (msr - X2APIC_MSR_BASE) << 4; }

/* RDMSR-able registers: the xAPIC ones but APR, DFR, ICR2 (no 809H, 80EH,
 * 831H); EOI and SELF IPI are write-only. */
static bool x2_readable(unsigned off)
{
	return off != APIC_APR && off != APIC_DFR && off != APIC_ICR2 && xapic_readable(off);
}

bool apic_x2apic_readable(uint32_t msr)
{
	return msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST && x2_readable(x2_off(msr));
}

static enum apic_msr_result x2apic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val, cycles_t now)
{
	if (!lapic_x2apic_mode(l) || !apic_x2apic_readable(msr))
		return APIC_MSR_GP;
	unsigned off = x2_off(msr);
	*val = read_reg(l, off, now);
	if (off == APIC_ICR)
		*val |= (uint64_t)rd(l, APIC_ICR2) << 32;
	return APIC_MSR_OK;
}

/* Bits a WRMSR may set (others reserved: #GP, 10.12.1.3); 0 for a register
 * that cannot be written. */
static uint64_t x2_defined(unsigned off)
{
	switch (off) {
	case APIC_TPR: return 0xff;
	case APIC_EOI: case APIC_ESR: return 0;           /* only 0 may be written */
	case APIC_SVR: return SVR_W;
	case APIC_ICR: return ~X2_ICR_RSVD;
	case APIC_TMICT: return 0xffffffffu;
	case APIC_TDCR: return TDCR_W;
	case APIC_SELF_IPI: return 0xff;
	}
	if (off >= APIC_LVTT && off <= APIC_LVTERR)
		return lvt_defined(off);
	return UINT64_MAX;                                /* not writable */
}

static bool x2_writable(unsigned off)
{
	switch (off) {
	case APIC_TPR: case APIC_EOI: case APIC_SVR: case APIC_ESR: case APIC_ICR: case APIC_TMICT:
	case APIC_TDCR: case APIC_SELF_IPI:
		return true;
	}
	return off >= APIC_LVTT && off <= APIC_LVTERR;
}

static enum apic_msr_result x2apic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val, cycles_t now,
					 struct lapic_event *ev)
{
	if (msr > X2APIC_MSR_LAST || !lapic_x2apic_mode(l) || !x2_writable(x2_off(msr)))
		return APIC_MSR_GP;
	unsigned off = x2_off(msr);
	if (val & ~x2_defined(off))
		return APIC_MSR_GP;
	if (off == APIC_SELF_IPI) {
		/* 10.12.11: a fixed, edge IPI to self with the vector written */
		ev->ipi = true;
		ev->msg = (struct apic_msg){ .vector = (uint8_t)val, .mode = APIC_DM_FIXED, .shorthand = APIC_SH_SELF,
					     .x2apic_dest = true, .level = true };
	} else if (off == APIC_ICR) {
		write_icr(l, val, ev);
	} else {
		write_reg(l, off, (uint32_t)val, now, ev);
	}
	return APIC_MSR_OK;
}

enum apic_msr_result lapic_rdmsr(struct lapic *l, uint32_t msr, uint64_t *val, cycles_t now)
{
	*val = 0;
	if (msr == MSR_IA32_APIC_BASE) {
		*val = l->apic_base;
		return APIC_MSR_OK;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		/* reads 0 outside TSC-deadline mode (10.5.4.1) */
		*val = lapic_timer_mode(l) == APIC_TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
		return APIC_MSR_OK;
	}
	if (!apic_msr_in_x2apic_range(msr))
		return APIC_MSR_NOT_APIC;
	return x2apic_rdmsr(l, msr, val, now);
}

enum apic_msr_result lapic_wrmsr(struct lapic *l, uint32_t msr, uint64_t val, cycles_t now,
				 struct lapic_event *ev)
{
	event_clear(ev);
	if (msr == MSR_IA32_APIC_BASE)
		return lapic_set_base(l, val);
	if (msr == MSR_IA32_TSC_DEADLINE) {
		/* ignored outside TSC-deadline mode (10.5.4.1) */
		if (lapic_timer_mode(l) == APIC_TIMER_TSC_DEADLINE && lapic_hw_enabled(l)) {
			l->tsc_deadline = val;
			ev->timer_changed = true;
		}
		return APIC_MSR_OK;
	}
	if (!apic_msr_in_x2apic_range(msr))
		return APIC_MSR_NOT_APIC;
	return x2apic_wrmsr(l, msr, val, now, ev);
}
