/* Local APIC model (apic/lapic): ICR decoding for every delivery mode,
 * destination mode and shorthand, PPR/APR, acknowledge and EOI, destination
 * matching and lowest-priority arbitration, the x2APIC MSR range and its
 * boundaries (XSA-108), reserved / read-only / write-only registers,
 * IA32_APIC_BASE transitions, INIT-SIPI-SIPI, and the timer in its three
 * modes.  Expected values are the SDM's (Vol. 3A chapter 10), written as
 * literals so a wrong layout or rule in the model shows. */
#include <string.h>

#include "apic/lapic.h"
#include "tests/unit/unit.h"

#define N 4
#define BUS 10                   /* core cycles per timer input tick */

static struct lapic la[N];
static struct lapic *lp[N] = { &la[0], &la[1], &la[2], &la[3] };
static struct lapic_event ev;

static void setup(void)
{
	for (unsigned i = 0; i < N; i++) {
		lapic_init(&la[i], i, i == 0, BUS);
		/* software enable, spurious vector 0xEF (SVR = 1EFH) */
		CU_ASSERT_TRUE(lapic_mmio_write(&la[i], 0xf0, 4, 0x1ef, 0, &ev));
	}
}

static uint32_t mrd(struct lapic *l, unsigned off)
{
	uint64_t v = 0xdead;
	CU_ASSERT_TRUE(lapic_mmio_read(l, off, 4, &v, 0));
	return (uint32_t)v;
}

static void mwr(struct lapic *l, unsigned off, uint32_t v) { CU_ASSERT_TRUE(lapic_mmio_write(l, off, 4, v, 0, &ev)); }

static void to_x2apic(struct lapic *l)
{
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x1b, 0xfee00000ull | (1u << 11) | (1u << 10), 0, &ev), APIC_MSR_OK);
}

static struct apic_msg fixed(uint8_t vector, bool level)
{
	return (struct apic_msg){ .vector = vector, .mode = APIC_DM_FIXED, .trig_level = level, .level = true };
}

/* ---------------------------------------------------------------- ICR */
static void test_icr_decode(void)
{
	static const struct { uint32_t bits; enum apic_delivery mode; } modes[] = {
		{ 0x000, APIC_DM_FIXED }, { 0x100, APIC_DM_LOWEST }, { 0x200, APIC_DM_SMI },
		{ 0x400, APIC_DM_NMI }, { 0x500, APIC_DM_INIT }, { 0x600, APIC_DM_SIPI }, { 0x700, APIC_DM_EXTINT },
	};
	for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++)
		CU_ASSERT_EQUAL(apic_decode_icr(modes[i].bits | 0x31, false).mode, modes[i].mode);

	/* xAPIC: destination in ICR_HIGH 31:24 = ICR bits 63:56 */
	struct apic_msg m = apic_decode_icr(0x0500000000004031ull, false);
	CU_ASSERT_EQUAL(m.vector, 0x31);
	CU_ASSERT_EQUAL(m.dest, 5);
	CU_ASSERT_FALSE(m.logical);
	CU_ASSERT_EQUAL(m.shorthand, APIC_SH_NONE);
	CU_ASSERT_TRUE(m.level);
	CU_ASSERT_FALSE(m.trig_level);
	CU_ASSERT_TRUE(apic_decode_icr(0x800, false).logical);
	CU_ASSERT_TRUE(apic_decode_icr(0x8000, false).trig_level);
	CU_ASSERT_EQUAL(apic_decode_icr(0x40000, false).shorthand, APIC_SH_SELF);
	CU_ASSERT_EQUAL(apic_decode_icr(0x80000, false).shorthand, APIC_SH_ALL_INCL);
	CU_ASSERT_EQUAL(apic_decode_icr(0xc0000, false).shorthand, APIC_SH_ALL_EXCL);
	/* x2APIC: 32-bit destination in 63:32 */
	CU_ASSERT_EQUAL(apic_decode_icr(0x1234567800004031ull, true).dest, 0x12345678);
	CU_ASSERT_EQUAL(apic_decode_icr(0x1234567800004031ull, false).dest, 0x12);
	/* INIT level de-assert: INIT, level trigger, level 0 */
	struct apic_msg d = apic_decode_icr(0x000c8500, false);
	CU_ASSERT_TRUE(apic_msg_is_init_deassert(&d));
	d = apic_decode_icr(0x000c4500, false);
	CU_ASSERT_FALSE(apic_msg_is_init_deassert(&d));
}

static void test_icr_write(void)
{
	setup();
	/* xAPIC: ICR_HIGH alone sends nothing; the ICR_LOW write sends */
	mwr(&la[0], 0x310, 0x02ffffff);
	CU_ASSERT_FALSE(ev.ipi);
	CU_ASSERT_EQUAL(mrd(&la[0], 0x310), 0x02000000);      /* bits 23:0 reserved */
	mwr(&la[0], 0x300, 0x4041);
	CU_ASSERT_TRUE(ev.ipi);
	CU_ASSERT_EQUAL(ev.msg.dest, 2);
	CU_ASSERT_EQUAL(ev.msg.vector, 0x41);
	CU_ASSERT_EQUAL(mrd(&la[0], 0x300) & 0x1000, 0);      /* delivery status idle */

	/* x2APIC: one 64-bit WRMSR of 830H */
	to_x2apic(&la[0]);
	CU_ASSERT_EQUAL(lapic_wrmsr(&la[0], 0x830, 0x0000000500004031ull, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_TRUE(ev.ipi);
	CU_ASSERT_EQUAL(ev.msg.dest, 5);
	CU_ASSERT_EQUAL(ev.msg.vector, 0x31);
	CU_ASSERT_TRUE(ev.msg.x2apic_dest);
	uint64_t v;
	CU_ASSERT_EQUAL(lapic_rdmsr(&la[0], 0x830, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0x0000000500004031ull);
	/* reserved ICR bits in x2APIC mode: #GP, no IPI */
	CU_ASSERT_EQUAL(lapic_wrmsr(&la[0], 0x830, 0x2000 | 0x31, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_FALSE(ev.ipi);
	CU_ASSERT_EQUAL(lapic_wrmsr(&la[0], 0x830, 0x100000 | 0x31, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(&la[0], 0x830, 0x10000 | 0x31, 0, &ev), APIC_MSR_GP);
	/* SELF IPI (83FH): fixed edge IPI to self */
	CU_ASSERT_EQUAL(lapic_wrmsr(&la[0], 0x83f, 0x55, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_TRUE(ev.ipi);
	CU_ASSERT_EQUAL(ev.msg.shorthand, APIC_SH_SELF);
	CU_ASSERT_EQUAL(ev.msg.vector, 0x55);
	CU_ASSERT_EQUAL(lapic_wrmsr(&la[0], 0x83f, 0x155, 0, &ev), APIC_MSR_GP);
}

/* ---------------------------------------------------------------- priorities */
static void test_ppr(void)
{
	/* 10.8.3.1: TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0 */
	CU_ASSERT_EQUAL(apic_ppr(0x20, -1), 0x20);
	CU_ASSERT_EQUAL(apic_ppr(0x25, 0x31), 0x30);     /* not max(TPR, ISRV) = 0x31 */
	CU_ASSERT_EQUAL(apic_ppr(0x35, 0x31), 0x35);     /* same class: TPR with its sub-class */
	CU_ASSERT_EQUAL(apic_ppr(0x3f, 0x4a), 0x40);
	CU_ASSERT_EQUAL(apic_ppr(0x00, 0xfe), 0xf0);
	CU_ASSERT_EQUAL(apic_ppr(0x4c, 0x3f), 0x4c);

	setup();
	mwr(&la[0], 0x80, 0x25);
	CU_ASSERT_TRUE(lapic_accept(&la[0], &(struct apic_msg){ .vector = 0x31, .level = true }));
	CU_ASSERT_EQUAL(mrd(&la[0], 0xa0), 0x25);
	CU_ASSERT_EQUAL(lapic_ack(&la[0]), 0x31);
	CU_ASSERT_EQUAL(mrd(&la[0], 0xa0), 0x30);
	CU_ASSERT_EQUAL(mrd(&la[0], 0x100 + 0x10), 1u << (0x31 - 32));    /* ISR bit 31H */
}

static void test_pending_ack_eoi(void)
{
	setup();
	struct lapic *l = &la[0];
	mwr(l, 0x80, 0x40);
	lapic_accept(l, &(struct apic_msg){ .vector = 0x45, .level = true });
	CU_ASSERT_EQUAL(lapic_pending_vector(l), -1);           /* class 4 is not above PPR class 4 */
	CU_ASSERT_EQUAL(lapic_ack(l), 0xef);                    /* nothing deliverable: spurious */
	lapic_accept(l, &(struct apic_msg){ .vector = 0x51, .level = true });
	CU_ASSERT_EQUAL(mrd(l, 0x200 + 0x20), (1u << (0x45 - 64)) | (1u << (0x51 - 64)));   /* IRR */
	CU_ASSERT_EQUAL(lapic_pending_vector(l), 0x51);
	CU_ASSERT_EQUAL(lapic_ack(l), 0x51);
	CU_ASSERT_EQUAL(lapic_pending_vector(l), -1);
	mwr(l, 0xb0, 0);
	CU_ASSERT_EQUAL(ev.eoi_vector, 0x51);
	CU_ASSERT_FALSE(ev.eoi_broadcast);                      /* edge */
	CU_ASSERT_EQUAL(lapic_pending_vector(l), -1);           /* TPR 40H still holds 45H */
	mwr(l, 0x80, 0x30);
	CU_ASSERT_EQUAL(lapic_pending_vector(l), 0x45);
	/* the same vector twice stays one IRR bit */
	CU_ASSERT_FALSE(lapic_accept(l, &(struct apic_msg){ .vector = 0x45, .level = true }));

	/* level-triggered: TMR set, EOI broadcast unless SVR bit 12 */
	lapic_accept(l, &(struct apic_msg){ .vector = 0x61, .trig_level = true, .level = true });
	CU_ASSERT_EQUAL(mrd(l, 0x180 + 0x30), 1u << (0x61 - 96));  /* TMR */
	CU_ASSERT_EQUAL(lapic_ack(l), 0x61);
	mwr(l, 0xb0, 0);
	CU_ASSERT_EQUAL(ev.eoi_vector, 0x61);
	CU_ASSERT_TRUE(ev.eoi_broadcast);
	mwr(l, 0xf0, 0x11ef);
	lapic_accept(l, &(struct apic_msg){ .vector = 0x61, .trig_level = true, .level = true });
	lapic_ack(l);
	mwr(l, 0xb0, 0);
	CU_ASSERT_EQUAL(ev.eoi_vector, 0x61);
	CU_ASSERT_FALSE(ev.eoi_broadcast);
	/* EOI with nothing in service */
	mwr(l, 0xb0, 0);
	CU_ASSERT_EQUAL(ev.eoi_vector, -1);
}

static void test_apr_lowest_priority(void)
{
	setup();
	/* all four in flat logical mode with one bit each */
	for (unsigned i = 0; i < N; i++)
		mwr(&la[i], 0xd0, (1u << i) << 24);
	static const uint8_t tpr[N] = { 0x40, 0x20, 0x30, 0x20 };
	for (unsigned i = 0; i < N; i++)
		mwr(&la[i], 0x80, tpr[i]);
	struct apic_msg m = { .vector = 0x71, .mode = APIC_DM_LOWEST, .logical = true, .dest = 0x0f, .level = true };
	bool t[N];
	CU_ASSERT_EQUAL(apic_route(lp, N, NULL, &m, t), 1);
	CU_ASSERT_TRUE(t[1]);                                   /* APR 20H, tie with #3: lowest index */
	CU_ASSERT_EQUAL(mrd(&la[1], 0x90), 0x20);
	/* an interrupt in service raises #1's APR to its class */
	lapic_accept(&la[1], &(struct apic_msg){ .vector = 0x51, .level = true });
	lapic_ack(&la[1]);
	CU_ASSERT_EQUAL(lapic_apr(&la[1]), 0x50);
	CU_ASSERT_EQUAL(apic_route(lp, N, NULL, &m, t), 1);
	CU_ASSERT_TRUE(t[3]);
	/* a pending IRR above the TPR counts too (10.6.2.4) */
	lapic_accept(&la[3], &(struct apic_msg){ .vector = 0x61, .level = true });
	CU_ASSERT_EQUAL(lapic_apr(&la[3]), 0x60);
	CU_ASSERT_EQUAL(apic_route(lp, N, NULL, &m, t), 1);
	CU_ASSERT_TRUE(t[2]);                                   /* 30H < 40H, 50H, 60H */
	/* fixed to the same destination reaches all four */
	m.mode = APIC_DM_FIXED;
	CU_ASSERT_EQUAL(apic_route(lp, N, NULL, &m, t), 4);
}

/* ---------------------------------------------------------------- destinations */
static unsigned targets(const struct lapic *src, struct apic_msg m)
{
	bool t[N];
	unsigned bits = 0;
	apic_route(lp, N, src, &m, t);
	for (unsigned i = 0; i < N; i++)
		bits |= (unsigned)t[i] << i;
	return bits;
}

static void test_destinations(void)
{
	setup();
	struct apic_msg m = fixed(0x40, false);
	m.dest = 2;
	CU_ASSERT_EQUAL(targets(NULL, m), 0x4);
	m.dest = 0xff;
	CU_ASSERT_EQUAL(targets(NULL, m), 0xf);                 /* physical broadcast */
	m.dest = 7;
	CU_ASSERT_EQUAL(targets(NULL, m), 0);

	/* logical flat (DFR model 1111b) */
	for (unsigned i = 0; i < N; i++)
		mwr(&la[i], 0xd0, (1u << i) << 24);
	CU_ASSERT_EQUAL(mrd(&la[0], 0xe0), 0xffffffff);
	m.logical = true;
	m.dest = 0x05;
	CU_ASSERT_EQUAL(targets(NULL, m), 0x5);
	m.dest = 0xff;
	CU_ASSERT_EQUAL(targets(NULL, m), 0xf);

	/* logical cluster (DFR model 0000b): cluster 7:4, member bits 3:0 */
	static const uint8_t ldr[N] = { 0x11, 0x12, 0x21, 0x22 };
	for (unsigned i = 0; i < N; i++) {
		mwr(&la[i], 0xe0, 0x0fffffff);
		mwr(&la[i], 0xd0, (uint32_t)ldr[i] << 24);
	}
	CU_ASSERT_EQUAL(mrd(&la[0], 0xe0), 0x0fffffff);
	m.dest = 0x13;
	CU_ASSERT_EQUAL(targets(NULL, m), 0x3);
	m.dest = 0x21;
	CU_ASSERT_EQUAL(targets(NULL, m), 0x4);                 /* flat would also pick #0 */
	m.dest = 0x31;
	CU_ASSERT_EQUAL(targets(NULL, m), 0);

	/* shorthands ignore the destination field */
	m = fixed(0x40, false);
	m.dest = 3;
	m.shorthand = APIC_SH_SELF;
	CU_ASSERT_EQUAL(targets(&la[1], m), 0x2);
	m.shorthand = APIC_SH_ALL_INCL;
	CU_ASSERT_EQUAL(targets(&la[1], m), 0xf);
	m.shorthand = APIC_SH_ALL_EXCL;
	CU_ASSERT_EQUAL(targets(&la[1], m), 0xd);
	/* a globally disabled APIC is nobody's destination */
	CU_ASSERT_EQUAL(lapic_wrmsr(&la[2], 0x1b, 0xfee00000ull, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_EQUAL(targets(&la[1], m), 0x9);
}

static void test_x2apic_destinations(void)
{
	static const uint32_t ids[N] = { 0x00, 0x01, 0x10, 0x11 };
	for (unsigned i = 0; i < N; i++) {
		lapic_init(&la[i], ids[i], i == 0, BUS);
		to_x2apic(&la[i]);
	}
	/* LDR derived from the x2APIC ID (10.12.10.2): cluster = ID[31:4], bit ID[3:0] */
	uint64_t v;
	CU_ASSERT_EQUAL(lapic_rdmsr(&la[3], 0x80d, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0x00010002);
	CU_ASSERT_EQUAL(x2apic_ldr(0x23), 0x00020008);
	CU_ASSERT_EQUAL(lapic_rdmsr(&la[3], 0x802, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0x11);                               /* 32-bit x2APIC ID, not shifted */

	struct apic_msg m = fixed(0x40, false);
	m.x2apic_dest = true;
	m.dest = 0x10;
	CU_ASSERT_EQUAL(targets(NULL, m), 0x4);
	m.dest = 0xffffffff;
	CU_ASSERT_EQUAL(targets(NULL, m), 0xf);
	m.dest = 0xff;                                          /* not a broadcast in x2APIC format */
	CU_ASSERT_EQUAL(targets(NULL, m), 0);
	m.x2apic_dest = false;                                  /* an xAPIC-format broadcast is */
	CU_ASSERT_EQUAL(targets(NULL, m), 0xf);
	m.x2apic_dest = true;
	m.logical = true;
	m.dest = 0x00010003;
	CU_ASSERT_EQUAL(targets(NULL, m), 0xc);
	m.dest = 0x00000002;
	CU_ASSERT_EQUAL(targets(NULL, m), 0x2);
	m.dest = 0x00020003;
	CU_ASSERT_EQUAL(targets(NULL, m), 0);
}

/* ---------------------------------------------------------------- x2APIC MSR range */
static void test_x2apic_boundaries(void)
{
	setup();
	struct lapic *l = &la[1];
	uint64_t v;
	/* xAPIC mode: every x2APIC MSR is #GP */
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x802, &v, 0), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x808, 0, 0, &ev), APIC_MSR_GP);

	to_x2apic(l);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x7ff, &v, 0), APIC_MSR_NOT_APIC);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x800, &v, 0), APIC_MSR_GP);  /* offset 000H: no register */
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x802, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x83e, &v, 0), APIC_MSR_OK);  /* TDCR, the last readable */
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x8ff, &v, 0), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x900, &v, 0), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x902, &v, 0), APIC_MSR_GP);  /* no alias of 802H */
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0xbff, &v, 0), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0xc00, &v, 0), APIC_MSR_NOT_APIC);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x7ff, 0, 0, &ev), APIC_MSR_NOT_APIC);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x800, 0, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x8ff, 0, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x900, 0, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x908, 0x50, 0, &ev), APIC_MSR_GP);   /* no alias of TPR */
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0xbff, 0, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x808, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_TRUE(apic_msr_in_x2apic_range(0x800));
	CU_ASSERT_TRUE(apic_msr_in_x2apic_range(0xbff));
	CU_ASSERT_FALSE(apic_msr_in_x2apic_range(0x7ff));
	CU_ASSERT_FALSE(apic_msr_in_x2apic_range(0xc00));
	/* every MSR of the range, either way, in either mode: no crash, no state outside the page */
	for (uint32_t msr = 0x7f0; msr < 0xc10; msr++) {
		enum apic_msr_result r = lapic_rdmsr(l, msr, &v, 0);
		CU_ASSERT_TRUE(msr >= 0x800 && msr <= 0xbff ? r != APIC_MSR_NOT_APIC : r == APIC_MSR_NOT_APIC);
		if (msr > 0x83f && msr <= 0xbff)
			CU_ASSERT_EQUAL(r, APIC_MSR_GP);
	}
}

static void test_x2apic_reserved_ro_wo(void)
{
	setup();
	struct lapic *l = &la[0];
	to_x2apic(l);
	uint64_t v;
	/* registers with no x2APIC MSR (Table 10-6): DFR, ICR2, APR, RRD, CMCI (Max LVT 5) */
	static const uint32_t absent[] = { 0x80e, 0x831, 0x809, 0x80c, 0x82f, 0x801, 0x83a };
	for (unsigned i = 0; i < sizeof absent / sizeof absent[0]; i++) {
		CU_ASSERT_EQUAL(lapic_rdmsr(l, absent[i], &v, 0), APIC_MSR_GP);
		CU_ASSERT_EQUAL(lapic_wrmsr(l, absent[i], 0, 0, &ev), APIC_MSR_GP);
	}
	/* write-only */
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x80b, &v, 0), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x83f, &v, 0), APIC_MSR_GP);
	/* read-only */
	static const uint32_t ro[] = { 0x802, 0x803, 0x80a, 0x80d, 0x810, 0x817, 0x818, 0x820, 0x827, 0x839 };
	for (unsigned i = 0; i < sizeof ro / sizeof ro[0]; i++) {
		CU_ASSERT_EQUAL(lapic_rdmsr(l, ro[i], &v, 0), APIC_MSR_OK);
		CU_ASSERT_EQUAL(lapic_wrmsr(l, ro[i], 0, 0, &ev), APIC_MSR_GP);
	}
	/* EOI and ESR take only 0; reserved bits are #GP (10.12.1.3) */
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x80b, 1, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x80b, 0, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x828, 1, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x808, 0x100, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x808, 1ull << 32, 0, &ev), APIC_MSR_GP);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x808, 0x5a, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x808, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0x5a);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x83e, 0x4, 0, &ev), APIC_MSR_GP);     /* TDCR bit 2 reserved */
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x832, 1u << 19, 0, &ev), APIC_MSR_GP); /* LVT timer bit 19 */
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x837, 0x700, 0, &ev), APIC_MSR_GP);   /* LVT error has no delivery mode */
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x835, 0x1a7ff, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x835, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0x1a7ff);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x80f, 0x2000, 0, &ev), APIC_MSR_GP);  /* SVR bit 13 */
	/* version: 14H, Max LVT 5, EOI-broadcast suppression (10.4.8) */
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x803, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0x01050014);
	/* the MMIO page does not exist in x2APIC mode */
	CU_ASSERT_FALSE(lapic_mmio_read(l, 0x20, 4, &v, 0));
	CU_ASSERT_FALSE(lapic_mmio_write(l, 0x80, 4, 0, 0, &ev));
}

static void test_xapic_registers(void)
{
	setup();
	struct lapic *l = &la[2];
	uint64_t before = *l->guest_errors;
	CU_ASSERT_EQUAL(mrd(l, 0x20), 0x02000000);              /* ID in 31:24 */
	CU_ASSERT_EQUAL(mrd(l, 0x30), 0x01050014);
	mwr(l, 0x30, 0);                                        /* read-only */
	CU_ASSERT_EQUAL(mrd(l, 0x30), 0x01050014);
	mwr(l, 0xa0, 0xff);                                     /* PPR read-only */
	CU_ASSERT_EQUAL(mrd(l, 0xa0), 0);
	CU_ASSERT_EQUAL(mrd(l, 0xb0), 0);                       /* EOI write-only */
	CU_ASSERT_EQUAL(mrd(l, 0x3f0), 0);                      /* SELF IPI: x2APIC only */
	CU_ASSERT_EQUAL(*l->guest_errors, before + 4);
	/* reset values (10.4.7.1) */
	CU_ASSERT_EQUAL(mrd(l, 0x320), 0x00010000);
	CU_ASSERT_EQUAL(mrd(l, 0x370), 0x00010000);
	CU_ASSERT_EQUAL(mrd(l, 0xe0), 0xffffffff);
	/* partial reads inside a register (KVM), misaligned writes ignored */
	uint64_t v;
	CU_ASSERT_TRUE(lapic_mmio_read(l, 0x33, 1, &v, 0));
	CU_ASSERT_EQUAL(v, 0x01);
	CU_ASSERT_TRUE(lapic_mmio_read(l, 0x32, 2, &v, 0));
	CU_ASSERT_EQUAL(v, 0x0105);
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x81, 4, 0x77, 0, &ev));
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x80, 2, 0x77, 0, &ev));
	CU_ASSERT_EQUAL(mrd(l, 0x80), 0);
	CU_ASSERT_TRUE(lapic_mmio_read(l, 0xfff, 4, &v, 0));
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_TRUE(lapic_mmio_read(l, 0x5000, 4, &v, 0));
	/* software disable masks the LVT, which then cannot be unmasked */
	mwr(l, 0x350, 0x700);                                   /* LINT0 ExtINT, unmasked */
	CU_ASSERT_EQUAL(mrd(l, 0x350), 0x700);
	mwr(l, 0xf0, 0xef);
	CU_ASSERT_EQUAL(mrd(l, 0x350), 0x10700);
	mwr(l, 0x350, 0x700);
	CU_ASSERT_EQUAL(mrd(l, 0x350), 0x10700);
	CU_ASSERT_FALSE(lapic_accept(l, &(struct apic_msg){ .vector = 0x40, .level = true }));
	CU_ASSERT_TRUE(lapic_accept(l, &(struct apic_msg){ .mode = APIC_DM_NMI, .level = true }));
	CU_ASSERT_TRUE(l->nmi_pending);
	/* ESR: errors latch on the next write (10.5.3) */
	mwr(l, 0xf0, 0x1ef);
	CU_ASSERT_FALSE(lapic_accept(l, &(struct apic_msg){ .vector = 5, .level = true }));
	CU_ASSERT_EQUAL(mrd(l, 0x280), 0);
	mwr(l, 0x280, 0);
	CU_ASSERT_EQUAL(mrd(l, 0x280), 0x40);                   /* receive illegal vector */
	mwr(l, 0x300, 0x00040003);                              /* self IPI vector 3 */
	mwr(l, 0x280, 0);
	CU_ASSERT_EQUAL(mrd(l, 0x280), 0x20);                   /* send illegal vector */
	mwr(l, 0x280, 0);
	CU_ASSERT_EQUAL(mrd(l, 0x280), 0);
	/* the LVT error entry signals an error; vector 0 there raises nothing more */
	mwr(l, 0x370, 0xe3);
	CU_ASSERT_FALSE(lapic_accept(l, &(struct apic_msg){ .vector = 2, .level = true }));
	CU_ASSERT_EQUAL(lapic_pending_vector(l), 0xe3);
	mwr(l, 0x370, 0x00);
	CU_ASSERT_FALSE(lapic_accept(l, &(struct apic_msg){ .vector = 2, .level = true }));
}

static void test_apic_base(void)
{
	setup();
	struct lapic *l = &la[1];
	uint64_t v;
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x1b, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0xfee00800);                          /* AP: BSP clear, EN */
	CU_ASSERT_EQUAL(lapic_rdmsr(&la[0], 0x1b, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0xfee00900);
	const uint64_t base = 0xfee00000, en = 1u << 11, extd = 1u << 10;
	CU_ASSERT_EQUAL(lapic_set_base(l, base | extd), APIC_MSR_GP);         /* EXTD without EN */
	CU_ASSERT_EQUAL(lapic_set_base(l, base | en | (1u << 9)), APIC_MSR_GP); /* reserved bit 9 */
	CU_ASSERT_EQUAL(lapic_set_base(l, base | en | extd), APIC_MSR_OK);
	CU_ASSERT_EQUAL(lapic_set_base(l, base | en), APIC_MSR_GP);           /* x2APIC -> xAPIC */
	CU_ASSERT_TRUE(lapic_x2apic_mode(l));
	CU_ASSERT_EQUAL(lapic_set_base(l, base), APIC_MSR_OK);                /* -> disabled */
	CU_ASSERT_FALSE(lapic_mmio_read(l, 0x20, 4, &v, 0));
	CU_ASSERT_EQUAL(lapic_set_base(l, base | en | extd), APIC_MSR_GP);    /* disabled -> x2APIC */
	CU_ASSERT_EQUAL(lapic_set_base(l, 0xfec00000 | en), APIC_MSR_OK);     /* relocated, xAPIC */
	CU_ASSERT_EQUAL(mrd(l, 0x20), 0x01000000);
	CU_ASSERT_EQUAL(mrd(l, 0xf0), 0xff);                     /* reset by the disable */
	CU_ASSERT_EQUAL(lapic_set_base(l, 0xfec00000 | en | (1u << 8)), APIC_MSR_OK);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x1b, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0xfec00800);                          /* BSP is read-only */
}

/* ---------------------------------------------------------------- INIT, SIPI */
static void test_init_sipi_sipi(void)
{
	setup();
	struct lapic *bsp = &la[0], *ap = &la[1];
	CU_ASSERT_EQUAL(ap->state, LAPIC_CPU_WAIT_SIPI);
	CU_ASSERT_EQUAL(bsp->state, LAPIC_CPU_RUNNING);
	mwr(ap, 0x80, 0x30);
	bool t[N];
	/* INIT assert to all excluding self */
	mwr(bsp, 0x300, 0x000c4500);
	CU_ASSERT_TRUE(ev.ipi);
	CU_ASSERT_EQUAL(apic_route(lp, N, bsp, &ev.msg, t), 3);
	CU_ASSERT_FALSE(t[0]);
	CU_ASSERT_TRUE(lapic_accept(ap, &ev.msg));
	CU_ASSERT_EQUAL(ap->state, LAPIC_CPU_WAIT_SIPI);
	CU_ASSERT_EQUAL(mrd(ap, 0x80), 0);                       /* INIT reset the registers ... */
	CU_ASSERT_EQUAL(mrd(ap, 0xf0), 0xff);
	CU_ASSERT_EQUAL(mrd(ap, 0x20), 0x01000000);              /* ... but not the ID */
	/* INIT level de-assert: ignored */
	mwr(bsp, 0x300, 0x000c8500);
	CU_ASSERT_FALSE(lapic_accept(ap, &ev.msg));
	/* SIPI vector 9AH: the AP starts in real mode at 9A000H */
	mwr(bsp, 0x300, 0x000c469a);
	CU_ASSERT_EQUAL(ev.msg.mode, APIC_DM_SIPI);
	CU_ASSERT_TRUE(lapic_accept(ap, &ev.msg));
	CU_ASSERT_TRUE(ap->started);
	CU_ASSERT_EQUAL(ap->state, LAPIC_CPU_RUNNING);
	CU_ASSERT_EQUAL(ap->sipi_vector, 0x9a);
	CU_ASSERT_EQUAL(apic_sipi_entry(0x9a), 0x9a000);
	/* the second SIPI finds the AP running */
	mwr(bsp, 0x300, 0x000c469b);
	CU_ASSERT_FALSE(lapic_accept(ap, &ev.msg));
	CU_ASSERT_EQUAL(ap->sipi_vector, 0x9a);
	/* INIT to the BSP restarts it at the reset vector */
	CU_ASSERT_TRUE(lapic_accept(bsp, &(struct apic_msg){ .mode = APIC_DM_INIT, .level = true }));
	CU_ASSERT_EQUAL(bsp->state, LAPIC_CPU_RESET);
	/* x2APIC: INIT keeps the mode and the x2APIC ID */
	to_x2apic(&la[2]);
	lapic_accept(&la[2], &(struct apic_msg){ .mode = APIC_DM_INIT, .level = true });
	uint64_t v;
	CU_ASSERT_EQUAL(lapic_rdmsr(&la[2], 0x802, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 2);
	CU_ASSERT_EQUAL(lapic_rdmsr(&la[2], 0x80d, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0x4);
}

/* ---------------------------------------------------------------- timer */
static void test_timer_divide(void)
{
	setup();
	static const struct { uint32_t tdcr; unsigned div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		mwr(&la[0], 0x3e0, t[i].tdcr);
		CU_ASSERT_EQUAL(lapic_timer_divisor(&la[0]), t[i].div);
	}
}

static void test_timer_oneshot(void)
{
	setup();
	struct lapic *l = &la[0];
	mwr(l, 0x320, 0x40);                                    /* one-shot, vector 40H */
	mwr(l, 0x3e0, 0x3);                                     /* divide by 16 */
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 100, 1000, &ev));
	CU_ASSERT_TRUE(ev.timer_changed);
	struct lapic_deadline d = lapic_timer_next(l);
	CU_ASSERT_EQUAL(d.kind, LAPIC_DL_CYCLES);
	CU_ASSERT_EQUAL(d.at, 1000 + 100 * 16 * BUS);
	CU_ASSERT_EQUAL(lapic_timer_current(l, 1000 + 5 * 16 * BUS), 95);
	CU_ASSERT_EQUAL(lapic_timer_current(l, 1000 + 5 * 16 * BUS - 1), 96);
	uint64_t v;
	CU_ASSERT_TRUE(lapic_mmio_read(l, 0x390, 4, &v, 1000 + 50 * 16 * BUS));
	CU_ASSERT_EQUAL(v, 50);
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 16999, 0), 0);
	CU_ASSERT_EQUAL(lapic_pending_vector(l), -1);
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 17000, 0), 1);
	CU_ASSERT_EQUAL(lapic_pending_vector(l), 0x40);
	CU_ASSERT_EQUAL(lapic_timer_current(l, 17000), 0);
	CU_ASSERT_EQUAL(lapic_timer_next(l).kind, LAPIC_DL_NONE);
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 40000, 0), 0);
	/* a divide change mid-count keeps the count, at the new rate */
	mwr(l, 0x3e0, 0xb);                                     /* divide by 1 */
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 100, 50000, &ev));
	CU_ASSERT_EQUAL(lapic_timer_next(l).at, 50000 + 100 * BUS);
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x3e0, 4, 0x0, 50000 + 40 * BUS, &ev));   /* 60 left, divide 2 */
	CU_ASSERT_EQUAL(lapic_timer_next(l).at, 50000 + 40 * BUS + 60 * 2 * BUS);
	/* masked: counts down, no interrupt */
	mwr(l, 0xb0, 0);
	lapic_ack(l);
	mwr(l, 0xb0, 0);
	mwr(l, 0x320, 0x10041);
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 10, 100000, &ev));
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 200000, 0), 1);
	CU_ASSERT_EQUAL(lapic_pending_vector(l), -1);
	/* initial count 0 stops the timer */
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 10, 300000, &ev));
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 0, 300001, &ev));
	CU_ASSERT_EQUAL(lapic_timer_next(l).kind, LAPIC_DL_NONE);
}

static void test_timer_periodic(void)
{
	setup();
	struct lapic *l = &la[0];
	mwr(l, 0x320, 0x20050);                                 /* periodic, vector 50H */
	mwr(l, 0x3e0, 0xb);
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 100, 0, &ev));   /* period 1000 cycles */
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 999, 0), 0);
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 1000, 0), 1);
	CU_ASSERT_EQUAL(lapic_timer_next(l).at, 2000);
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 3500, 0), 2);       /* 2000 and 3000, one interrupt */
	CU_ASSERT_EQUAL(lapic_timer_next(l).at, 4000);
	CU_ASSERT_EQUAL(lapic_timer_current(l, 3500), 50);
	CU_ASSERT_EQUAL(l->timer_fired, 3);
	CU_ASSERT_EQUAL(mrd(l, 0x200 + 0x20), 1u << (0x50 - 64));
	/* periodic -> one-shot keeps counting; after the next expiry it stops */
	mwr(l, 0x320, 0x50);
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 4000, 0), 1);
	CU_ASSERT_EQUAL(lapic_timer_next(l).kind, LAPIC_DL_NONE);
}

static void test_timer_tsc_deadline(void)
{
	setup();
	struct lapic *l = &la[0];
	uint64_t v;
	/* outside TSC-deadline mode IA32_TSC_DEADLINE reads 0 and ignores writes */
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x6e0, 5000, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x6e0, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0);
	mwr(l, 0x3e0, 0xb);
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 100, 0, &ev));
	mwr(l, 0x320, 0x40060);                                 /* TSC-deadline, vector 60H: disarms */
	CU_ASSERT_EQUAL(mrd(l, 0x380), 0);
	CU_ASSERT_EQUAL(lapic_timer_next(l).kind, LAPIC_DL_NONE);
	CU_ASSERT_TRUE(lapic_mmio_write(l, 0x380, 4, 100, 0, &ev));     /* ignored in this mode */
	CU_ASSERT_EQUAL(mrd(l, 0x380), 0);
	CU_ASSERT_EQUAL(lapic_wrmsr(l, 0x6e0, 5000, 0, &ev), APIC_MSR_OK);
	CU_ASSERT_TRUE(ev.timer_changed);
	struct lapic_deadline d = lapic_timer_next(l);
	CU_ASSERT_EQUAL(d.kind, LAPIC_DL_TSC);
	CU_ASSERT_EQUAL(d.at, 5000);
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 1u << 30, 4999), 0);    /* the TSC, not the cycle, decides */
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 0, 5000), 1);
	CU_ASSERT_EQUAL(lapic_pending_vector(l), 0x60);
	CU_ASSERT_EQUAL(lapic_rdmsr(l, 0x6e0, &v, 0), APIC_MSR_OK);
	CU_ASSERT_EQUAL(v, 0);                                  /* disarmed after firing */
	CU_ASSERT_EQUAL(lapic_timer_poll(l, 0, 9000), 0);
	CU_ASSERT_EQUAL(mrd(l, 0x390), 0);
}

static CU_TestInfo tests[] = {
	{ "ICR decoding: modes, destination modes, shorthands", test_icr_decode },
	{ "ICR writes: xAPIC pair, x2APIC 64-bit, SELF IPI", test_icr_write },
	{ "PPR", test_ppr },
	{ "pending, INTA, EOI and its broadcast", test_pending_ack_eoi },
	{ "APR and lowest-priority arbitration", test_apr_lowest_priority },
	{ "xAPIC destinations and shorthands", test_destinations },
	{ "x2APIC destinations and LDR", test_x2apic_destinations },
	{ "x2APIC MSR range boundaries", test_x2apic_boundaries },
	{ "x2APIC reserved, read-only, write-only", test_x2apic_reserved_ro_wo },
	{ "xAPIC registers, disable, ESR", test_xapic_registers },
	{ "IA32_APIC_BASE transitions", test_apic_base },
	{ "INIT-SIPI-SIPI", test_init_sipi_sipi },
	{ "timer divide configuration", test_timer_divide },
	{ "timer one-shot", test_timer_oneshot },
	{ "timer periodic", test_timer_periodic },
	{ "timer TSC-deadline", test_timer_tsc_deadline },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("apic", tests); }
