/* GICv3 model (gic/): Distributor and Redistributor registers, the virtual
 * CPU interface, the KVM-style list-register flush/fold and SGI routing, and
 * the generic timer (dev/arch_timer).  Expected values are the spec's
 * (Arm IHI 0069H; DDI 0487 D11) or KVM's documented choices, written as
 * literals so a wrong layout constant in the model shows. */
#include <string.h>

#include "core/cfg.h"
#include "core/err.h"
#include "dev/arch_timer.h"
#include "gic/vgic.h"
#include "tests/unit/unit.h"

#define NCPUS 20                 /* CPUs 16-19 have Aff1 = 1 */
#define NSPIS 64                 /* INTIDs 32-95 */

static struct vgic vg;
static struct gicv3 *g = &vg.dist;
static unsigned kicks[GIC_MAX_CPUS], nkicks;
static cycles_t t_now;

static cycles_t fake_now(void *ctx) { return t_now; }
static void fake_kick(void *ctx, unsigned cpu) { kicks[cpu]++; nkicks++; }

static uint64_t mpidr_of(unsigned k) { return ((uint64_t)(k / 16) << 8) | (k % 16); }

static void setup(unsigned nlr, uint64_t ich_hcr)
{
	char ini[384];
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, gic_cfg_keys, gic_cfg_nkeys), 0);
	snprintf(ini, sizeof ini, "[gic]\nlist_registers = %u\nspis = %u\nich_hcr_el2 = 0x%llx\nlr_inject_cycles = 100\n"
		 "version = 3\nirqfd_cycles = 0\nsgi_queue_cycles = 200\nkick_cycles = 0\nipi_latency_cycles = 0\n"
		 "timer_irq_cycles = 0\n",
		 nlr, NSPIS, (unsigned long long)ich_hcr);
	CU_ASSERT_EQUAL_FATAL(cfg_load_string(c, "test.ini", ini), 0);
	uint64_t mpidr[NCPUS];
	for (unsigned k = 0; k < NCPUS; k++)
		mpidr[k] = mpidr_of(k);
	CU_ASSERT_EQUAL_FATAL(vgic_init(&vg, c, NCPUS, mpidr), 0);
	cfg_free(c);
	g->now = fake_now;
	g->kick = fake_kick;
	memset(kicks, 0, sizeof kicks);
	nkicks = 0;
	t_now = 0;
}

static void clear_kicks(void)
{
	memset(kicks, 0, sizeof kicks);
	nkicks = 0;
}

static uint64_t d_rd(uint32_t off, unsigned size) { return gicv3_dist_ops.read(g, off, size); }
static void d_wr(uint32_t off, unsigned size, uint64_t v) { gicv3_dist_ops.write(g, off, size, v); }
static uint64_t r_rd(unsigned cpu, uint32_t off, unsigned size)
{
	return gicv3_redist_ops.read(g, (uint64_t)cpu * 0x20000 + off, size);
}
static void r_wr(unsigned cpu, uint32_t off, unsigned size, uint64_t v)
{
	gicv3_redist_ops.write(g, (uint64_t)cpu * 0x20000 + off, size, v);
}

/* ---------------------------------------------------------------- registers */
static void test_dist_reset(void)
{
	setup(4, 0);
	CU_ASSERT_EQUAL(d_rd(0x0000, 4), 0x50);          /* GICD_CTLR: ARE (4) | DS (6), RAO/WI */
	/* GICD_TYPER: ITLinesNumber = 96 / 32 - 1 = 2, LPIS (17), IDbits = 16 - 1 */
	CU_ASSERT_EQUAL(d_rd(0x0004, 4), 0x2 | (1u << 17) | (15u << 19));
	CU_ASSERT_EQUAL(d_rd(0x0008, 4), 0x4b00243b);    /* GICD_IIDR: KVM 'K', rev 2, Arm 0x43b */
	CU_ASSERT_EQUAL(d_rd(0x000c, 4), 0);             /* GICD_TYPER2 */
	CU_ASSERT_EQUAL(d_rd(0x0010, 4), 0);             /* GICD_STATUSR */
	CU_ASSERT_EQUAL(d_rd(0xffe8, 4), 0x3b);          /* GICD_PIDR2: ArchRev 3 */
	CU_ASSERT_EQUAL(d_rd(0x0080, 4), 0);             /* IGROUPR0: INTIDs 0-31 RAZ with ARE */
	CU_ASSERT_EQUAL(d_rd(0x0084, 4), 0xffffffff);    /* SPIs Group 1 (KVM) */
	CU_ASSERT_EQUAL(d_rd(0x0088, 4), 0xffffffff);
	CU_ASSERT_EQUAL(d_rd(0x008c, 4), 0);             /* INTIDs 96-127 do not exist */
	CU_ASSERT_EQUAL(d_rd(0x0104, 4), 0);             /* ISENABLER1 */
	CU_ASSERT_EQUAL(d_rd(0x0184, 4), 0);             /* ICENABLER1 */
	CU_ASSERT_EQUAL(d_rd(0x0204, 4), 0);             /* ISPENDR1 */
	CU_ASSERT_EQUAL(d_rd(0x0304, 4), 0);             /* ISACTIVER1 */
	CU_ASSERT_EQUAL(d_rd(0x0420, 4), 0);             /* IPRIORITYR8 */
	CU_ASSERT_EQUAL(d_rd(0x0c08, 4), 0);             /* ICFGR2: SPIs level */
	CU_ASSERT_EQUAL(d_rd(0x6100, 4), 0);             /* IROUTER32 */
	CU_ASSERT_EQUAL(*g->guest_errors, 0);
}

static void test_redist_reset(void)
{
	setup(4, 0);
	CU_ASSERT_EQUAL(r_rd(0, 0x0000, 4), 0);          /* GICR_CTLR: EnableLPIs = 0 */
	CU_ASSERT_EQUAL(r_rd(0, 0x0004, 4), 0x4b00243b); /* GICR_IIDR = GICD_IIDR */
	/* GICR_TYPER: Affinity [63:32], Processor_Number [23:8], Last [4], DirectLPI [3] = 0, PLPIS [0] */
	CU_ASSERT_EQUAL(r_rd(1, 0x0008, 4), 0x101);
	CU_ASSERT_EQUAL(r_rd(1, 0x000c, 4), 0x1);
	CU_ASSERT_EQUAL(r_rd(1, 0x0008, 8), 0x100000101ull);
	CU_ASSERT_EQUAL(r_rd(19, 0x0008, 4), (19u << 8) | 0x11);
	CU_ASSERT_EQUAL(r_rd(19, 0x000c, 4), 0x103);      /* Aff1 = 1, Aff0 = 3 */
	CU_ASSERT_EQUAL(r_rd(0, 0x0014, 4), 0);          /* GICR_WAKER */
	CU_ASSERT_EQUAL(r_rd(0, 0x0070, 8), 0);          /* GICR_PROPBASER */
	CU_ASSERT_EQUAL(r_rd(0, 0x0078, 8), 0);          /* GICR_PENDBASER */
	CU_ASSERT_EQUAL(r_rd(0, 0xffe8, 4), 0x3b);
	CU_ASSERT_EQUAL(r_rd(0, 0x10080, 4), 0xffffffff);    /* GICR_IGROUPR0 */
	CU_ASSERT_EQUAL(r_rd(0, 0x10100, 4), 0);             /* GICR_ISENABLER0 */
	CU_ASSERT_EQUAL(r_rd(0, 0x10200, 4), 0);             /* GICR_ISPENDR0 */
	CU_ASSERT_EQUAL(r_rd(0, 0x10300, 4), 0);             /* GICR_ISACTIVER0 */
	CU_ASSERT_EQUAL(r_rd(0, 0x10400, 4), 0);             /* GICR_IPRIORITYR0 */
	CU_ASSERT_EQUAL(r_rd(0, 0x10c00, 4), 0xaaaaaaaa);    /* GICR_ICFGR0: SGIs edge */
	CU_ASSERT_EQUAL(r_rd(0, 0x10c04, 4), 0);             /* GICR_ICFGR1: PPIs level */
	CU_ASSERT_EQUAL(*g->guest_errors, 0);
}

static void test_raz_wi(void)
{
	setup(4, 0);
	d_wr(0x0004, 4, 0);                     /* TYPER, IIDR: read-only */
	d_wr(0x0008, 4, 0);
	CU_ASSERT_EQUAL(d_rd(0x0004, 4), 0x2 | (1u << 17) | (15u << 19));
	CU_ASSERT_EQUAL(d_rd(0x0008, 4), 0x4b00243b);
	d_wr(0x0820, 4, 0xffffffff);            /* ITARGETSR: RES0 with ARE */
	CU_ASSERT_EQUAL(d_rd(0x0820, 4), 0);
	d_wr(0x0d04, 4, 0xffffffff);            /* IGRPMODR: RAZ/WI with DS */
	CU_ASSERT_EQUAL(d_rd(0x0d04, 4), 0);
	d_wr(0x0000, 4, 0);                     /* ARE and DS stay set */
	CU_ASSERT_EQUAL(d_rd(0x0000, 4), 0x50);
	d_wr(0x0100, 4, 0xffffffff);            /* ISENABLER0 in the Distributor: RAZ/WI */
	CU_ASSERT_EQUAL(d_rd(0x0100, 4), 0);
	CU_ASSERT_FALSE(g->priv[0][27].enabled);
	r_wr(0, 0x0014, 4, 0x2);                /* WAKER.ProcessorSleep: RAZ/WI (KVM) */
	CU_ASSERT_EQUAL(r_rd(0, 0x0014, 4), 0);
	r_wr(0, 0x0070, 8, 0x12345000);         /* PROPBASER: writable while EnableLPIs = 0 */
	CU_ASSERT_EQUAL(r_rd(0, 0x0070, 8), 0x12345000);
	r_wr(0, 0x0000, 4, 1);                  /* EnableLPIs */
	CU_ASSERT_EQUAL(r_rd(0, 0x0000, 4), 1);
	r_wr(0, 0x00a0, 8, 8192);               /* INVLPIR: DirectLPI = 0, RAZ/WI */
	CU_ASSERT_EQUAL(r_rd(0, 0x00c0, 4), 0); /* SYNCR.Busy */
	r_wr(0, 0x10c00, 4, 0);                 /* SGI configuration is fixed */
	CU_ASSERT_EQUAL(r_rd(0, 0x10c00, 4), 0xaaaaaaaa);
	r_wr(0, 0x10c04, 4, 0xffffffff);        /* PPIs read-only (KVM) */
	CU_ASSERT_EQUAL(r_rd(0, 0x10c04, 4), 0);
	CU_ASSERT_EQUAL(*g->guest_errors, 0);   /* all are registers, not errors */
}

static void test_bad_accesses(void)
{
	setup(4, 0);
	CU_ASSERT_EQUAL(d_rd(0x0020, 4), 0);                 /* reserved */
	d_wr(0x0020, 4, 1);
	CU_ASSERT_EQUAL(*g->guest_errors, 2);
	CU_ASSERT_EQUAL(d_rd(0x0102, 4), 0);                 /* unaligned */
	CU_ASSERT_EQUAL(d_rd(0x0104, 1), 0);                 /* ISENABLER is 32-bit only */
	CU_ASSERT_EQUAL(d_rd(0x0000, 8), 0);                 /* CTLR is 32-bit */
	CU_ASSERT_EQUAL(d_rd(0x0100, 3), 0);                 /* not a size at all */
	CU_ASSERT_EQUAL(*g->guest_errors, 6);
	d_wr(0x0104, 1, 0xff);
	CU_ASSERT_FALSE(g->spi[0].enabled);
	CU_ASSERT_EQUAL(d_rd(0x10000, 4), 0);                /* beyond the frame */
	/* Absent INTIDs: RAZ/WI, nothing written anywhere */
	d_wr(0x6000 + 200 * 8, 8, 1);                        /* IROUTER200 (no such SPI) */
	CU_ASSERT_EQUAL(d_rd(0x6000 + 200 * 8, 8), 0);
	d_wr(0x6000, 8, 5);                                  /* IROUTER0: reserved */
	CU_ASSERT_EQUAL(d_rd(0x6000, 8), 0);
	d_wr(0x020c, 4, 0xffffffff);                         /* ISPENDR3: INTIDs 96-127 */
	CU_ASSERT_EQUAL(d_rd(0x020c, 4), 0);
	CU_ASSERT_EQUAL(d_rd(0x047c, 4), 0);                 /* IPRIORITYR for INTIDs 124-127 */
	/* A Redistributor beyond the last vCPU, reserved GICR offsets */
	unsigned e = (unsigned)*g->guest_errors;
	CU_ASSERT_EQUAL(gicv3_redist_ops.read(g, (uint64_t)NCPUS * 0x20000 + 8, 4), 0);
	gicv3_redist_ops.write(g, (uint64_t)NCPUS * 0x20000 + 0x10100, 4, 1);
	CU_ASSERT_EQUAL(r_rd(0, 0x10800, 4), 0);
	CU_ASSERT_EQUAL(r_rd(0, 0x0100, 4), 0);              /* RD_base has no enable bank */
	CU_ASSERT_EQUAL(*g->guest_errors, e + 4);
	CU_ASSERT_PTR_NULL(gicv3_irq(g, 0, 96));
	CU_ASSERT_PTR_NULL(gicv3_irq(g, 0, 1023));
	CU_ASSERT_PTR_NULL(gicv3_irq(g, NCPUS, 5));
	CU_ASSERT_PTR_NOT_NULL(gicv3_irq(g, NCPUS - 1, 31));
	CU_ASSERT_PTR_NOT_NULL(gicv3_irq(g, 0, 95));
}

static void test_priority_config_route(void)
{
	setup(4, 0);
	d_wr(0x0420, 4, 0xffffffff);                         /* 5 priority bits: 0xf8 */
	CU_ASSERT_EQUAL(d_rd(0x0420, 4), 0xf8f8f8f8);
	d_wr(0x0421, 1, 0x43);                               /* byte access */
	CU_ASSERT_EQUAL(d_rd(0x0421, 1), 0x40);
	CU_ASSERT_EQUAL(d_rd(0x0420, 4), 0xf8f840f8);
	r_wr(3, 0x1041b, 1, 0xa7);
	CU_ASSERT_EQUAL(g->priv[3][27].priority, 0xa0);
	CU_ASSERT_EQUAL(g->priv[0][27].priority, 0);         /* banked per Redistributor */
	d_wr(0x0c08, 4, 0xffffffff);                         /* SPIs 32-47 edge; bit 0 of each RES0 */
	CU_ASSERT_EQUAL(d_rd(0x0c08, 4), 0xaaaaaaaa);
	d_wr(0x0c08, 4, 0x55555555);
	CU_ASSERT_EQUAL(d_rd(0x0c08, 4), 0);
	d_wr(0x6108, 8, 0x80000103ull);                      /* IROUTER33: IRM dropped (KVM) */
	CU_ASSERT_EQUAL(d_rd(0x6108, 8), 0x103);
	CU_ASSERT_EQUAL(gicv3_spi_target(g, &g->spi[1]), 19);
	d_wr(0x610c, 4, 1);                                  /* upper half: Aff3 = 1, no such CPU */
	CU_ASSERT_EQUAL(d_rd(0x6108, 8), 0x100000103ull);
	CU_ASSERT_EQUAL(d_rd(0x610c, 4), 1);
	CU_ASSERT_EQUAL(gicv3_spi_target(g, &g->spi[1]), -1);
}

static void test_pending_enable_kick(void)
{
	setup(4, 0);
	d_wr(0x0000, 4, 0x2);                                /* EnableGrp1: KVM kicks every vCPU */
	CU_ASSERT_EQUAL(nkicks, NCPUS);
	CU_ASSERT_EQUAL(d_rd(0x0000, 4), 0x52);
	clear_kicks();
	d_wr(0x6108, 8, 2);                                  /* SPI 33 -> cpu2 */
	d_wr(0x0104, 4, 1u << 1);                            /* enable */
	CU_ASSERT_EQUAL(nkicks, 0);
	t_now = 500;
	d_wr(0x0204, 4, 1u << 1);                            /* pending: deliverable to cpu2 */
	CU_ASSERT_EQUAL(kicks[2], 1);
	CU_ASSERT_EQUAL(g->spi[1].pending_at, 500);
	CU_ASSERT_EQUAL(d_rd(0x0204, 4), 2);
	d_wr(0x0204, 4, 1u << 1);                            /* already pending: no new kick */
	CU_ASSERT_EQUAL(kicks[2], 1);
	d_wr(0x0284, 4, 1u << 1);                            /* ICPENDR */
	CU_ASSERT_EQUAL(d_rd(0x0204, 4), 0);
	d_wr(0x0184, 4, 1u << 1);                            /* ICENABLER */
	CU_ASSERT_EQUAL(d_rd(0x0104, 4), 0);
	/* A level PPI: pending follows the line, ICPENDR cannot clear it */
	r_wr(0, 0x10100, 4, 1u << 27);
	gicv3_set_level(g, 0, 27, true, 700);
	CU_ASSERT_EQUAL(kicks[0], 1);
	CU_ASSERT_EQUAL(r_rd(0, 0x10200, 4), 1u << 27);
	r_wr(0, 0x10280, 4, 1u << 27);
	CU_ASSERT_EQUAL(r_rd(0, 0x10200, 4), 1u << 27);
	gicv3_set_level(g, 0, 27, false, 800);
	CU_ASSERT_EQUAL(r_rd(0, 0x10200, 4), 0);
	/* ISACTIVER / ICACTIVER */
	r_wr(0, 0x10300, 4, 1u << 5);
	CU_ASSERT_EQUAL(r_rd(0, 0x10300, 4), 1u << 5);
	r_wr(0, 0x10380, 4, 1u << 5);
	CU_ASSERT_EQUAL(r_rd(0, 0x10300, 4), 0);
}

/* ---------------------------------------------------------------- CPU interface */
static struct gic_cpuif cif;
static struct gic_cpuif_events ev;

static uint64_t mklr(uint32_t intid, unsigned prio, unsigned state, unsigned group)
{
	uint64_t lr = FIELD_DP(0, ICH_LR, VINTID, intid);
	lr = FIELD_DP(lr, ICH_LR, PRIORITY, prio);
	lr = FIELD_DP(lr, ICH_LR, GROUP, group);
	return FIELD_DP(lr, ICH_LR, STATE, state);
}

static uint64_t icc(uint32_t reg)
{
	uint64_t v = 0;
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, reg, true, &v, &ev), GIC_SYSREG_OK);
	return v;
}

static void icc_w(uint32_t reg, uint64_t v)
{
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, reg, false, &v, &ev), GIC_SYSREG_OK);
}

static void cif_ready(void)
{
	gic_cpuif_reset(&cif, 4, 1);               /* ICH_HCR_EL2.En */
	icc_w(ICC_PMR_EL1, 0xf0);
	icc_w(ICC_IGRPEN1_EL1, 1);
}

static void test_cpuif_reset(void)
{
	gic_cpuif_reset(&cif, 4, 1);
	CU_ASSERT_EQUAL(icc(ICC_BPR0_EL1), 2);     /* minimum binary points: 7 - 5 preemption bits */
	CU_ASSERT_EQUAL(icc(ICC_BPR1_EL1), 3);
	CU_ASSERT_EQUAL(icc(ICC_PMR_EL1), 0);
	CU_ASSERT_EQUAL(icc(ICC_IGRPEN1_EL1), 0);
	CU_ASSERT_EQUAL(icc(ICC_IGRPEN0_EL1), 0);
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0xff);
	CU_ASSERT_EQUAL(icc(ICC_SRE_EL1), 0x7);    /* SRE, DFB, DIB */
	icc_w(ICC_SRE_EL1, 0);
	CU_ASSERT_EQUAL(icc(ICC_SRE_EL1), 0x7);
	/* ICC_CTLR_EL1: PRIbits [10:8] = 4, A3V [15], EOImode 0, CBPR 0 */
	CU_ASSERT_EQUAL(icc(ICC_CTLR_EL1), 0x8400);
	CU_ASSERT_EQUAL(icc(ICC_AP1R_EL1(0)), 0);
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 1023);
	CU_ASSERT_EQUAL(icc(ICC_HPPIR1_EL1), 1023);
	/* ICH_VTR_EL2: PRIbits 4 [31:29], PREbits 4 [28:26], A3V [21], ListRegs 3 */
	CU_ASSERT_EQUAL(gic_cpuif_vtr(&cif), 0x90200003u);
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&cif));
}

static void test_cpuif_priority(void)
{
	cif_ready();
	cif.lr[0] = mklr(1, 0x80, LR_PENDING, 1);
	CU_ASSERT_TRUE(gic_cpuif_irq_line(&cif));
	icc_w(ICC_PMR_EL1, 0x80);                  /* must be strictly higher than PMR */
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&cif));
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 1023);
	CU_ASSERT_TRUE(gic_cpuif_wake(&cif) == false);
	icc_w(ICC_PMR_EL1, 0x8f);                  /* low bits RAZ/WI: 0x88 */
	CU_ASSERT_EQUAL(icc(ICC_PMR_EL1), 0x88);
	CU_ASSERT_TRUE(gic_cpuif_irq_line(&cif));
	icc_w(ICC_IGRPEN1_EL1, 0);
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&cif));
	icc_w(ICC_IGRPEN1_EL1, 1);
	cif.hcr = 0;                               /* ICH_HCR_EL2.En clear */
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&cif));
	cif.hcr = 1;
	icc_w(ICC_PMR_EL1, 0xf0);
	CU_ASSERT_EQUAL(icc(ICC_HPPIR1_EL1), 1);
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 1);
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[0]), LR_ACTIVE);
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0x80);
	CU_ASSERT_EQUAL(cif.apr[1], 1u << (0x80 >> 3));
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&cif));
	cif.lr[1] = mklr(2, 0x80, LR_PENDING, 1);  /* same priority: no preemption */
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&cif));
	CU_ASSERT_TRUE(gic_cpuif_wake(&cif));      /* but it would wake WFI */
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 1023);
	cif.lr[2] = mklr(3, 0x40, LR_PENDING, 1);  /* higher: preempts */
	CU_ASSERT_TRUE(gic_cpuif_irq_line(&cif));
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 3);
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0x40);
	icc_w(ICC_EOIR1_EL1, 3);
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0x80);
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[2]), LR_INVALID);
	icc_w(ICC_EOIR1_EL1, 1);
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0xff);
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[0]), LR_INVALID);
	CU_ASSERT_TRUE(gic_cpuif_irq_line(&cif));  /* INTID 2 now */
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 2);
}

static void test_cpuif_eoimode(void)
{
	cif_ready();
	icc_w(ICC_CTLR_EL1, 2);                    /* EOImode 1 */
	CU_ASSERT_EQUAL(icc(ICC_CTLR_EL1), 0x8402);
	cif.lr[0] = mklr(27, 0xa0, LR_PENDING, 1);
	cif.lr[0] = FIELD_DP(cif.lr[0], ICH_LR, HW, 1);
	cif.lr[0] = FIELD_DP(cif.lr[0], ICH_LR, PINTID, 27);
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 27);
	icc_w(ICC_EOIR1_EL1, 27);                  /* priority drop only */
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0xff);
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[0]), LR_ACTIVE);
	CU_ASSERT_EQUAL(ev.hw_deactivated, -1);
	icc_w(ICC_DIR_EL1, 27);
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[0]), LR_INVALID);
	CU_ASSERT_EQUAL(ev.hw_deactivated, 27);    /* HW: the physical interrupt is deactivated */
	/* EOImode 0: EOIR deactivates, DIR is ignored */
	icc_w(ICC_CTLR_EL1, 0);
	cif.lr[1] = mklr(5, 0x60, LR_PENDING, 1);
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 5);
	icc_w(ICC_DIR_EL1, 5);
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[1]), LR_ACTIVE);
	icc_w(ICC_EOIR1_EL1, 1023);                /* special INTID: no priority drop */
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0x60);
	icc_w(ICC_EOIR1_EL1, 5);
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[1]), LR_INVALID);
	/* An EOI whose INTID is in no LR counts in ICH_HCR_EL2.EOIcount [31:27] */
	cif.lr[2] = mklr(6, 0x60, LR_PENDING, 1);
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 6);
	icc_w(ICC_EOIR1_EL1, 9);
	CU_ASSERT_EQUAL(ev.eoi_misses, 1);
	CU_ASSERT_EQUAL(cif.hcr >> 27, 1);
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0xff);   /* the priority dropped anyway */
	CU_ASSERT_EQUAL(gic_lr_state(cif.lr[2]), LR_ACTIVE);
}

static void test_cpuif_bpr(void)
{
	cif_ready();
	icc_w(ICC_BPR1_EL1, 0);                    /* below the minimum: raised */
	CU_ASSERT_EQUAL(icc(ICC_BPR1_EL1), 3);
	CU_ASSERT_EQUAL(gic_cpuif_group_priority(&cif, 0x88, 1), 0x88);
	icc_w(ICC_BPR1_EL1, 5);                    /* group priority = bits [7:5] */
	CU_ASSERT_EQUAL(icc(ICC_BPR1_EL1), 5);
	CU_ASSERT_EQUAL(gic_cpuif_group_priority(&cif, 0x88, 1), 0x80);
	CU_ASSERT_EQUAL(gic_cpuif_group_priority(&cif, 0x98, 1), 0x80);
	cif.lr[0] = mklr(3, 0x90, LR_PENDING, 1);
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 3);
	CU_ASSERT_EQUAL(icc(ICC_RPR_EL1), 0x80);   /* the running priority is the group priority */
	cif.lr[1] = mklr(4, 0x88, LR_PENDING, 1);  /* same group priority: no preemption */
	CU_ASSERT_FALSE(gic_cpuif_irq_line(&cif));
	cif.lr[2] = mklr(7, 0x70, LR_PENDING, 1);  /* group 0x60: preempts */
	CU_ASSERT_TRUE(gic_cpuif_irq_line(&cif));
	/* CBPR: Group 1 uses BPR0; ICC_BPR1_EL1 reads BPR0 + 1 and ignores writes */
	icc_w(ICC_BPR0_EL1, 4);
	icc_w(ICC_CTLR_EL1, 1);
	CU_ASSERT_EQUAL(icc(ICC_BPR1_EL1), 5);
	icc_w(ICC_BPR1_EL1, 7);
	CU_ASSERT_EQUAL(icc(ICC_BPR1_EL1), 5);
	CU_ASSERT_EQUAL(gic_cpuif_group_priority(&cif, 0x98, 1), 0x80);
	icc_w(ICC_BPR0_EL1, 7);
	CU_ASSERT_EQUAL(icc(ICC_BPR1_EL1), 7);     /* saturates */
}

static void test_cpuif_undef_group0(void)
{
	cif_ready();
	uint64_t v = 1;
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_IAR1_EL1, false, &v, &ev), GIC_SYSREG_UNDEF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_EOIR1_EL1, true, &v, &ev), GIC_SYSREG_UNDEF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_RPR_EL1, false, &v, &ev), GIC_SYSREG_UNDEF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_DIR_EL1, true, &v, &ev), GIC_SYSREG_UNDEF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_HPPIR1_EL1, false, &v, &ev), GIC_SYSREG_UNDEF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_AP1R_EL1(1), true, &v, &ev), GIC_SYSREG_UNDEF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_AP0R_EL1(3), true, &v, &ev), GIC_SYSREG_UNDEF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, ICC_SGI1R_EL1, false, &v, &ev), GIC_SYSREG_NOT_CPUIF);
	CU_ASSERT_EQUAL(gic_cpuif_access(&cif, SYS_REG(3, 0, 1, 0, 0), true, &v, &ev), GIC_SYSREG_NOT_CPUIF);
	/* Group 0: a Group 1 LR is not acknowledged through IAR0, nor a Group 0 one through IAR1 */
	cif.lr[0] = mklr(8, 0x40, LR_PENDING, 0);
	cif.lr[1] = mklr(9, 0x80, LR_PENDING, 1);
	CU_ASSERT_EQUAL(icc(ICC_HPPIR1_EL1), 1023);   /* the highest is Group 0 */
	CU_ASSERT_EQUAL(icc(ICC_HPPIR0_EL1), 8);
	CU_ASSERT_EQUAL(icc(ICC_IAR0_EL1), 1023);     /* IGRPEN0 clear */
	CU_ASSERT_FALSE(gic_cpuif_fiq_line(&cif));
	icc_w(ICC_IGRPEN0_EL1, 1);
	CU_ASSERT_TRUE(gic_cpuif_fiq_line(&cif));
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 1023);
	CU_ASSERT_EQUAL(icc(ICC_IAR0_EL1), 8);
	CU_ASSERT_EQUAL(cif.apr[0], 1u << (0x40 >> 3));
	CU_ASSERT_EQUAL(icc(ICC_AP0R_EL1(0)), 1u << 8);
	icc_w(ICC_EOIR0_EL1, 8);
	CU_ASSERT_EQUAL(cif.apr[0], 0);
	CU_ASSERT_EQUAL(icc(ICC_IAR1_EL1), 9);
}

static void test_cpuif_misr(void)
{
	cif_ready();
	CU_ASSERT_EQUAL(gic_cpuif_misr(&cif), 0);
	cif.hcr |= 1u << 1;                               /* UIE, no valid LR: underflow */
	CU_ASSERT_EQUAL(gic_cpuif_misr(&cif), 1u << 1);
	cif.lr[0] = mklr(1, 0x80, LR_PENDING, 1);
	cif.lr[1] = mklr(2, 0x80, LR_PENDING, 1);
	CU_ASSERT_EQUAL(gic_cpuif_misr(&cif), 0);          /* two valid */
	cif.hcr = 1 | (1u << 3);                           /* NPIE */
	CU_ASSERT_EQUAL(gic_cpuif_misr(&cif), 0);
	cif.lr[0] = mklr(1, 0x80, LR_ACTIVE, 1);
	cif.lr[1] = 0;
	CU_ASSERT_EQUAL(gic_cpuif_misr(&cif), 1u << 3);    /* no pending LR */
	cif.hcr = 1 | (1u << 2) | (2u << 27);              /* LRENPIE with EOIcount 2 */
	CU_ASSERT_EQUAL(gic_cpuif_misr(&cif), 1u << 2);
	cif.hcr = 1;
	cif.lr[0] = FIELD_DP(cif.lr[0], ICH_LR, EOI, 1);   /* software level IRQ deactivated */
	icc_w(ICC_CTLR_EL1, 0);
	cif.apr[1] = 1u << 16;
	icc_w(ICC_EOIR1_EL1, 1);
	CU_ASSERT_EQUAL(gic_cpuif_misr(&cif), 1u << 0);
}

/* ---------------------------------------------------------------- vgic */
static void enable_sgi(unsigned cpu, unsigned sgi, unsigned prio)
{
	r_wr(cpu, 0x10400 + sgi, 1, prio);
	r_wr(cpu, 0x10100, 4, 1u << sgi);
}

static void test_flush_fold(void)
{
	static const unsigned prio[6] = { 0x50, 0x10, 0x30, 0x20, 0x40, 0x60 };
	setup(4, 0);
	d_wr(0x0000, 4, 0x2);
	for (unsigned i = 0; i < 6; i++) {
		enable_sgi(0, i, prio[i]);
		gicv3_set_pending(g, 0, i, 10);
	}
	vgic_fold(&vg, 0);                                  /* an exit */
	CU_ASSERT_EQUAL(vgic_flush(&vg, 0, 5), 0);          /* not pending yet at cycle 5 */
	vgic_fold(&vg, 0);
	CU_ASSERT_EQUAL(vgic_flush(&vg, 0, 10), 4 * 100);   /* 4 injections x lr_inject_cycles */
	CU_ASSERT_EQUAL(vgic_flush(&vg, 0, 10), 0);         /* nothing to do without an exit */
	static const uint32_t want[4] = { 1, 3, 2, 4 };     /* by priority */
	for (unsigned i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(gic_lr_intid(vg.cpu[0].lr[i]), want[i]);
		CU_ASSERT_EQUAL(gic_lr_state(vg.cpu[0].lr[i]), LR_PENDING);
		CU_ASSERT_EQUAL(FIELD_EX(vg.cpu[0].lr[i], ICH_LR, PRIORITY), prio[want[i]]);
		CU_ASSERT_EQUAL(FIELD_EX(vg.cpu[0].lr[i], ICH_LR, GROUP), 1);
	}
	CU_ASSERT_EQUAL(*vg.st_overflows, 2);
	CU_ASSERT_EQUAL(*vg.st_injections, 4);
	CU_ASSERT_TRUE(FIELD_EX(vg.cpu[0].hcr, ICH_HCR, UIE));
	CU_ASSERT_FALSE(g->priv[0][1].pending_latch);       /* the LR holds it */
	CU_ASSERT_TRUE(g->priv[0][0].pending_latch);        /* left in the Distributor */
	/* The guest acknowledges INTID 1; the next exit folds, the entry puts
	 * the active one first and the pending ones back. */
	uint64_t v;
	icc_w(ICC_PMR_EL1, 0);
	vg.cpu[0].vmcr = FIELD_DP(vg.cpu[0].vmcr, ICH_VMCR, VPMR, 0xf0);
	vg.cpu[0].vmcr = FIELD_DP(vg.cpu[0].vmcr, ICH_VMCR, VENG1, 1);
	CU_ASSERT_EQUAL(vgic_sysreg(&vg, 0, ICC_IAR1_EL1, true, &v, 20, &ev), GIC_SYSREG_OK);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(*vg.st_delivered[GIC_SGI], 1);
	vgic_fold(&vg, 0);
	CU_ASSERT_TRUE(g->priv[0][1].active);
	CU_ASSERT_TRUE(g->priv[0][3].pending_latch);
	CU_ASSERT_FALSE(FIELD_EX(vg.cpu[0].hcr, ICH_HCR, UIE));
	CU_ASSERT_EQUAL(r_rd(0, 0x10300, 4), 1u << 1);      /* GICR_ISACTIVER0 after the fold */
	vgic_flush(&vg, 0, 30);
	CU_ASSERT_EQUAL(gic_lr_intid(vg.cpu[0].lr[0]), 1);
	CU_ASSERT_EQUAL(gic_lr_state(vg.cpu[0].lr[0]), LR_ACTIVE);
	CU_ASSERT_EQUAL(gic_lr_intid(vg.cpu[0].lr[1]), 3);
	CU_ASSERT_EQUAL(*vg.st_overflows, 4);
	/* EOI, fold: nothing active any more */
	CU_ASSERT_EQUAL(vgic_sysreg(&vg, 0, ICC_EOIR1_EL1, false, &(uint64_t){ 1 }, 40, &ev), GIC_SYSREG_OK);
	vgic_fold(&vg, 0);
	CU_ASSERT_FALSE(g->priv[0][1].active);
	CU_ASSERT_EQUAL(r_rd(0, 0x10300, 4), 0);
}

static void test_flush_level_hw(void)
{
	setup(4, 0);
	d_wr(0x0000, 4, 0x2);
	vgic_map_hw(&vg, 0, 27);
	r_wr(0, 0x10100, 4, 1u << 27);
	gicv3_set_level(g, 0, 27, true, 0);
	vgic_fold(&vg, 0);
	vgic_flush(&vg, 0, 0);
	uint64_t lr = vg.cpu[0].lr[0];
	CU_ASSERT_EQUAL(gic_lr_intid(lr), 27);
	CU_ASSERT_EQUAL(FIELD_EX(lr, ICH_LR, HW), 1);
	CU_ASSERT_EQUAL(FIELD_EX(lr, ICH_LR, PINTID), 27);
	CU_ASSERT_EQUAL(FIELD_EX(lr, ICH_LR, EOI), 0);
	vg.cpu[0].lr[0] = FIELD_DP(lr, ICH_LR, STATE, LR_ACTIVE);   /* acknowledged */
	vgic_fold(&vg, 0);
	vgic_flush(&vg, 0, 0);                  /* line still high: active only, never P+A for HW */
	CU_ASSERT_EQUAL(gic_lr_state(vg.cpu[0].lr[0]), LR_ACTIVE);
	/* A software level SPI asks for an EOI maintenance interrupt */
	d_wr(0x6108, 8, 0);
	d_wr(0x0104, 4, 1u << 1);
	gicv3_set_level(g, 0, 33, true, 0);
	vgic_fold(&vg, 0);
	vgic_flush(&vg, 0, 0);
	CU_ASSERT_EQUAL(gic_lr_intid(vg.cpu[0].lr[1]), 33);
	CU_ASSERT_EQUAL(FIELD_EX(vg.cpu[0].lr[1], ICH_LR, EOI), 1);
	CU_ASSERT_EQUAL(FIELD_EX(vg.cpu[0].lr[1], ICH_LR, HW), 0);
	vg.cpu[0].lr[1] = FIELD_DP(vg.cpu[0].lr[1], ICH_LR, STATE, LR_INVALID);  /* guest done */
	CU_ASSERT_TRUE(vgic_maintenance(&vg, 0));
}

/* An edge SPI whose line stays high, handled, then configured level
 * (GICD_ICFGR2, IHI 0069H 12.9.9): the write alone makes it pending, so
 * the next entry lists it (the flush looks only at interrupts whose state
 * changed since it last found them idle). */
static void test_flush_config_to_level(void)
{
	setup(4, 0);
	d_wr(0x0000, 4, 0x2);
	d_wr(0x6110, 8, 0);                     /* GICD_IROUTER34: CPU 0 */
	d_wr(0x0104, 4, 1u << 2);               /* GICD_ISENABLER1: INTID 34 */
	d_wr(0x0c08, 4, 1u << 5);               /* GICD_ICFGR2: INTID 34 edge */
	gicv3_set_level(g, 0, 34, true, 0);
	vgic_fold(&vg, 0);
	CU_ASSERT_EQUAL(vgic_flush(&vg, 0, 0), 100);
	CU_ASSERT_EQUAL(gic_lr_intid(vg.cpu[0].lr[0]), 34);
	vg.cpu[0].lr[0] = FIELD_DP(vg.cpu[0].lr[0], ICH_LR, STATE, LR_INVALID);   /* handled */
	vgic_fold(&vg, 0);
	CU_ASSERT_EQUAL(vgic_flush(&vg, 0, 0), 0);   /* edge: the high line is no new edge */
	d_wr(0x0c08, 4, 0);                     /* level now: pending while the line is high */
	vgic_fold(&vg, 0);
	CU_ASSERT_EQUAL(vgic_flush(&vg, 0, 0), 100);
	CU_ASSERT_EQUAL(gic_lr_intid(vg.cpu[0].lr[0]), 34);
	CU_ASSERT_EQUAL(gic_lr_state(vg.cpu[0].lr[0]), LR_PENDING);
	CU_ASSERT_EQUAL(FIELD_EX(vg.cpu[0].lr[0], ICH_LR, EOI), 1);
}

static void test_sgi_routing(void)
{
	setup(4, 0);
	d_wr(0x0000, 4, 0x2);
	clear_kicks();
	for (unsigned c = 0; c < NCPUS; c++)
		enable_sgi(c, 7, 0x80);
	/* Aff1 = 1 [23:16], INTID 7 [27:24], TargetList bit 3: CPU 19 */
	CU_ASSERT_EQUAL(vgic_dispatch_sgi(&vg, 0, (1ull << 16) | (7ull << 24) | (1u << 3), true, 100), 1);
	CU_ASSERT_TRUE(g->priv[19][7].pending_latch);
	CU_ASSERT_EQUAL(g->priv[19][7].pending_at, 100);
	CU_ASSERT_EQUAL(kicks[19], 1);
	/* Aff1 = 0, TargetList bits 1 and 2 */
	CU_ASSERT_EQUAL(vgic_dispatch_sgi(&vg, 0, (7ull << 24) | 0x6, true, 100), 2);
	CU_ASSERT_TRUE(g->priv[1][7].pending_latch && g->priv[2][7].pending_latch);
	/* RS = 1 [47:44]: Aff0 16-31, which no CPU has; Aff2 = 5: none */
	CU_ASSERT_EQUAL(vgic_dispatch_sgi(&vg, 0, (1ull << 44) | (7ull << 24) | 1, true, 100), 0);
	CU_ASSERT_EQUAL(vgic_dispatch_sgi(&vg, 0, (5ull << 32) | (7ull << 24) | 1, true, 100), 0);
	/* IRM = 1 [40]: every other CPU */
	setup(4, 0);
	d_wr(0x0000, 4, 0x2);
	clear_kicks();
	CU_ASSERT_EQUAL(vgic_dispatch_sgi(&vg, 4, (1ull << 40) | (7ull << 24) | 0xffff, true, 100), NCPUS - 1);
	CU_ASSERT_FALSE(g->priv[4][7].pending_latch);
	CU_ASSERT_TRUE(g->priv[0][7].pending_latch && g->priv[19][7].pending_latch);
	CU_ASSERT_EQUAL(*vg.st_sgis, NCPUS - 1);
	CU_ASSERT_EQUAL(nkicks, 0);                        /* SGI 7 is not enabled here */
	/* KVM queues it on each target all the same (vgic_v3_dispatch_sgi):
	 * sgi_queue_cycles 200 per target, taken once */
	CU_ASSERT_EQUAL(vgic_take_cycles(&vg), (NCPUS - 1) * 200);
	CU_ASSERT_EQUAL(vgic_take_cycles(&vg), 0);
	/* ICC_SGI0R_EL1 generates only Group 0 SGIs */
	CU_ASSERT_EQUAL(vgic_dispatch_sgi(&vg, 0, (3ull << 24) | 2, false, 100), 0);
	r_wr(1, 0x10080, 4, ~(1u << 3));                   /* SGI 3 Group 0 on CPU 1 */
	CU_ASSERT_EQUAL(vgic_dispatch_sgi(&vg, 0, (3ull << 24) | 2, false, 100), 1);
	uint64_t v = (3ull << 24) | 2;
	CU_ASSERT_EQUAL(vgic_sysreg(&vg, 0, ICC_SGI0R_EL1, false, &v, 100, &ev), GIC_SYSREG_OK);
	CU_ASSERT_EQUAL(vgic_sysreg(&vg, 0, ICC_SGI1R_EL1, true, &v, 100, &ev), GIC_SYSREG_UNDEF);
}

static void test_wake_traps_latency(void)
{
	setup(4, 0);
	d_wr(0x0000, 4, 0x2);
	enable_sgi(0, 2, 0x80);
	gicv3_set_pending(g, 0, 2, 100);
	CU_ASSERT_FALSE(vgic_wake(&vg, 0, 200));           /* PMR 0 masks everything */
	vg.cpu[0].vmcr = FIELD_DP(vg.cpu[0].vmcr, ICH_VMCR, VPMR, 0xf0);
	CU_ASSERT_FALSE(vgic_wake(&vg, 0, 50));            /* not pending yet at cycle 50 */
	CU_ASSERT_TRUE(vgic_wake(&vg, 0, 200));
	r_wr(0, 0x10180, 4, 1u << 2);                      /* disabled: no wake */
	CU_ASSERT_FALSE(vgic_wake(&vg, 0, 200));
	/* ICH_HCR_EL2 traps: TALL1 Group 1, TALL0 Group 0, TC common; SRE never */
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_IAR1_EL1), 0);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, SYS_REG(3, 0, 1, 0, 0)), -1);
	vg.ich_hcr = (1u << 12);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_IAR1_EL1), 1);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_IGRPEN1_EL1), 1);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_IAR0_EL1), 0);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_PMR_EL1), 0);
	vg.ich_hcr = (1u << 10) | (1u << 11);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_PMR_EL1), 1);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_SGI1R_EL1), 1);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_IGRPEN0_EL1), 1);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_IAR1_EL1), 0);
	CU_ASSERT_EQUAL(vgic_sysreg_traps(&vg, ICC_SRE_EL1), 0);
	/* Delivery latency: pending at 100, IRQ entry at 350 */
	struct stats *st = stats_new();
	vgic_register_stats(&vg, st);
	r_wr(0, 0x10100, 4, 1u << 2);
	vg.cpu[0].vmcr = FIELD_DP(vg.cpu[0].vmcr, ICH_VMCR, VENG1, 1);
	vgic_fold(&vg, 0);
	vgic_flush(&vg, 0, 300);
	CU_ASSERT_TRUE(vgic_irq_line(&vg, 0));
	vgic_irq_entry(&vg, 0, 350);
	vgic_irq_entry(&vg, 0, 400);                       /* recorded once */
	CU_ASSERT_EQUAL(hist_count(vg.h_latency), 1);
	CU_ASSERT_EQUAL(hist_min(vg.h_latency), 250);
	stats_free(st);
}

static void test_bad_design(void)
{
	struct cfg *c = cfg_new();
	CU_ASSERT_EQUAL_FATAL(cfg_declare(c, gic_cfg_keys, gic_cfg_nkeys), 0);
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[gic]\nlist_registers = 1\n"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "gic.list_registers"));
	CU_ASSERT_EQUAL(cfg_load_string(c, "bad.ini", "[gic]\nlist_registers = 4\nspis = 33\nich_hcr_el2 = 0\n"
				       "lr_inject_cycles = 1\n"), 0);
	uint64_t mpidr[1] = { 0 };
	CU_ASSERT_EQUAL(vgic_init(&vg, c, 1, mpidr), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "gic.spis"));
	cfg_free(c);
}

/* ---------------------------------------------------------------- generic timer */
static void test_arch_timer(void)
{
	struct arch_counter k = { 100000000, 2600000000ull };   /* 100 MHz against 2.6 GHz */
	struct arch_timers ts = { 0 };
	uint64_t v;
	CU_ASSERT_EQUAL(arch_counter_count(&k, 25), 0);
	CU_ASSERT_EQUAL(arch_counter_count(&k, 26), 1);
	CU_ASSERT_EQUAL(arch_counter_count(&k, 2600), 100);
	CU_ASSERT_EQUAL(arch_counter_cycles_at(&k, 100), 2600);
	CU_ASSERT_EQUAL(arch_counter_cycles_at(&k, 1), 26);
	CU_ASSERT_TRUE(arch_timer_access(&ts, &k, CNTFRQ_EL0, true, &v, 0));
	CU_ASSERT_EQUAL(v, 100000000);
	CU_ASSERT_FALSE(arch_timer_access(&ts, &k, CNTFRQ_EL0, false, &v, 0));   /* EL1 cannot write it */
	CU_ASSERT_TRUE(arch_timer_access(&ts, &k, CNTVCT_EL0, true, &v, 2600));
	CU_ASSERT_EQUAL(v, 100);
	struct arch_timer *t = &ts.t[ARCH_TIMER_VIRT];
	v = 100;
	arch_timer_access(&ts, &k, CNTV_CVAL_EL0, false, &v, 0);
	CU_ASSERT_EQUAL(arch_timer_due(&k, t), UINT64_MAX);     /* disabled */
	v = 1;
	arch_timer_access(&ts, &k, CNTV_CTL_EL0, false, &v, 0);
	CU_ASSERT_EQUAL(arch_timer_due(&k, t), 2600);
	CU_ASSERT_FALSE(arch_timer_output(&k, t, 2599));
	CU_ASSERT_TRUE(arch_timer_output(&k, t, 2600));
	arch_timer_access(&ts, &k, CNTV_CTL_EL0, true, &v, 2600);
	CU_ASSERT_EQUAL(v, 5);                                  /* ISTATUS | ENABLE */
	v = 3;                                                  /* IMASK: no output, ISTATUS still */
	arch_timer_access(&ts, &k, CNTV_CTL_EL0, false, &v, 2600);
	CU_ASSERT_FALSE(arch_timer_output(&k, t, 2600));
	arch_timer_access(&ts, &k, CNTV_CTL_EL0, true, &v, 2600);
	CU_ASSERT_EQUAL(v, 7);
	/* TVAL: signed 32-bit CVAL - count */
	arch_timer_access(&ts, &k, CNTV_TVAL_EL0, true, &v, 0);
	CU_ASSERT_EQUAL(v, 100);
	arch_timer_access(&ts, &k, CNTV_TVAL_EL0, true, &v, 2600 * 2);
	CU_ASSERT_EQUAL(v, 0xffffff9cu);                        /* -100 */
	v = 0xfffffffbu;                                        /* -5 at count 100 */
	arch_timer_access(&ts, &k, CNTV_TVAL_EL0, false, &v, 2600);
	CU_ASSERT_EQUAL(t->cval, 95);
	/* The physical timer is separate */
	v = 7;
	CU_ASSERT_TRUE(arch_timer_access(&ts, &k, CNTP_CVAL_EL0, false, &v, 0));
	CU_ASSERT_EQUAL(ts.t[ARCH_TIMER_PHYS].cval, 7);
	CU_ASSERT_EQUAL(t->cval, 95);
	v = 0x1234;
	CU_ASSERT_TRUE(arch_timer_access(&ts, &k, CNTKCTL_EL1, false, &v, 0));
	CU_ASSERT_EQUAL(ts.cntkctl, 0x1234);
	CU_ASSERT_FALSE(arch_timer_access(&ts, &k, SYS_REG(3, 0, 1, 0, 0), true, &v, 0));
}

static CU_TestInfo tests[] = {
	{ "Distributor reset values", test_dist_reset },
	{ "Redistributor reset values", test_redist_reset },
	{ "RAZ/WI and read-only registers", test_raz_wi },
	{ "bad offsets, widths and INTIDs", test_bad_accesses },
	{ "priority bits, configuration, IROUTER", test_priority_config_route },
	{ "pending, enable, active and kicks", test_pending_enable_kick },
	{ "CPU interface reset values", test_cpuif_reset },
	{ "priority, PMR and preemption", test_cpuif_priority },
	{ "EOImode 0 and 1, EOIcount", test_cpuif_eoimode },
	{ "binary point and CBPR", test_cpuif_bpr },
	{ "UNDEFINED accesses and Group 0", test_cpuif_undef_group0 },
	{ "maintenance interrupt status", test_cpuif_misr },
	{ "LR flush and fold", test_flush_fold },
	{ "HW and level interrupts in LRs", test_flush_level_hw },
	{ "ICFGR edge to level with the line high", test_flush_config_to_level },
	{ "SGI routing", test_sgi_routing },
	{ "WFI wake, ICH_HCR traps, latency", test_wake_traps_latency },
	{ "bad GIC design values", test_bad_design },
	{ "generic timer", test_arch_timer },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("gic", tests); }
