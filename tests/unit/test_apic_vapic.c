/* APIC virtualization (apic/vapic), the posted-interrupt descriptor
 * (apic/posted) and the timer designs (apic/timer): virtual-interrupt
 * evaluation (RVI against VPPR by priority class), delivery, EOI
 * virtualization with the EOI-exit bitmap, PIR -> VIRR, which accesses are
 * virtualized and which exit under each control combination (SDM Vol. 3C
 * 30.4.2, 30.4.3.1, 30.5), IPI virtualization through the PID-pointer
 * table, and the descriptor's byte layout (30.6 Table 30-1).  Expected values
 * are the SDM's, written as literals. */
#include <string.h>

#include "apic/timer.h"
#include "apic/vapic.h"
#include "tests/unit/unit.h"

static struct vapic v;

static void setup(bool tpr_shadow, bool arv, bool vid)
{
	struct vapic_controls c = { .use_tpr_shadow = tpr_shadow, .virtualize_apic_accesses = true,
				    .apic_register_virt = arv, .virtual_intr_delivery = vid };
	vapic_init(&v, &c);
}

static void expect_exit(struct vapic_result r, int reason, uint64_t qual)
{
	CU_ASSERT_EQUAL(r.outcome, VAPIC_EXIT);
	CU_ASSERT_EQUAL(r.exit_reason, reason);
	CU_ASSERT_EQUAL(r.qual, qual);
}

/* ---------------------------------------------------------------- evaluation */
static void test_evaluation_delivery(void)
{
	setup(true, false, true);
	struct vapic_result r = vapic_mmio_write(&v, 0x80, 4, 0x30);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_vppr(&v), 0x30);
	vapic_self_ipi_virtualize(&v, 0x35);
	CU_ASSERT_EQUAL(vapic_rvi(&v), 0x35);
	CU_ASSERT_EQUAL(vapic_pending(&v), -1);         /* class 3 is not above VPPR class 3 */
	vapic_self_ipi_virtualize(&v, 0x4f);
	CU_ASSERT_EQUAL(vapic_pending(&v), 0x4f);
	/* RVI 4FH against VPPR 40H: same class, nothing (a full-value compare would deliver) */
	vapic_set_svi(&v, 0x40);
	vapic_ppr_virtualize(&v);
	CU_ASSERT_EQUAL(vapic_vppr(&v), 0x40);
	CU_ASSERT_EQUAL(vapic_pending(&v), -1);
	vapic_set_svi(&v, 0);
	vapic_ppr_virtualize(&v);
	/* delivery (30.2.2) */
	CU_ASSERT_EQUAL(vapic_deliver(&v), 0x4f);
	CU_ASSERT_EQUAL(vapic_svi(&v), 0x4f);
	CU_ASSERT_EQUAL(vapic_vppr(&v), 0x40);
	CU_ASSERT_EQUAL(vapic_rvi(&v), 0x35);
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x210), 1u << (0x35 - 32));       /* VIRR: 35H stays */
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x220), 0);                       /* 4FH gone */
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x120), 1u << (0x4f - 64));       /* VISR */
	CU_ASSERT_EQUAL(v.guest_intr_status, 0x4f35);
	CU_ASSERT_EQUAL(vapic_deliver(&v), -1);
	/* EOI virtualization (30.1.4): no exit without the bitmap bit */
	r = vapic_mmio_write(&v, 0xb0, 4, 0);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_svi(&v), 0);
	CU_ASSERT_EQUAL(vapic_vppr(&v), 0x30);
	/* with EOI-exit bitmap bit 41H: EOI-induced exit, qualification = vector */
	vapic_self_ipi_virtualize(&v, 0x41);
	CU_ASSERT_EQUAL(vapic_deliver(&v), 0x41);
	v.eoi_exit[1] = 1ull << (0x41 - 64);
	r = vapic_mmio_write(&v, 0xb0, 4, 0);
	expect_exit(r, APIC_EXIT_EOI_INDUCED, 0x41);
	CU_ASSERT_TRUE(r.trap_like);
	CU_ASSERT_EQUAL(vapic_svi(&v), 0);              /* the EOI was done before the exit */
	/* interrupt-window exiting holds off recognition */
	/* the bitmap is indexed by the full vector: 61H is bit 33 of bitmap 1 */
	v.eoi_exit[1] = 1ull << 33;
	vapic_self_ipi_virtualize(&v, 0x41);
	CU_ASSERT_EQUAL(vapic_deliver(&v), 0x41);
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0xb0, 4, 0).outcome, VAPIC_VIRTUALIZED);
	vapic_self_ipi_virtualize(&v, 0x61);
	CU_ASSERT_EQUAL(vapic_deliver(&v), 0x61);
	expect_exit(vapic_mmio_write(&v, 0xb0, 4, 0), APIC_EXIT_EOI_INDUCED, 0x61);
	/* interrupt-window exiting holds off recognition */
	v.ctl.intr_window_exiting = true;
	vapic_self_ipi_virtualize(&v, 0x71);
	CU_ASSERT_EQUAL(vapic_pending(&v), -1);
}

static void test_ppr_tpr_virtualization(void)
{
	setup(true, false, true);
	apic_reg_put(v.page, 0x80, 0x25);
	vapic_set_svi(&v, 0x31);
	vapic_ppr_virtualize(&v);
	CU_ASSERT_EQUAL(vapic_vppr(&v), 0x30);
	/* MOV to CR8 (30.3): VTPR[7:4] = CR8[3:0] */
	struct vapic_result r = { .outcome = VAPIC_VIRTUALIZED };
	vapic_cr8_write(&v, 0x5, &r);
	CU_ASSERT_EQUAL(vapic_vtpr(&v), 0x50);
	CU_ASSERT_EQUAL(vapic_vppr(&v), 0x50);
	CU_ASSERT_EQUAL(vapic_cr8_read(&v), 5);
	/* without virtual-interrupt delivery: TPR below threshold (30.1.2) */
	setup(true, false, false);
	v.tpr_threshold = 3;
	expect_exit(vapic_mmio_write(&v, 0x80, 4, 0x2f), APIC_EXIT_TPR_BELOW_THRESHOLD, 0);
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0x80, 4, 0x30).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0x80, 1, 0x3f).outcome, VAPIC_VIRTUALIZED);
	r = (struct vapic_result){ .outcome = VAPIC_VIRTUALIZED };
	vapic_cr8_write(&v, 2, &r);
	CU_ASSERT_EQUAL(r.exit_reason, APIC_EXIT_TPR_BELOW_THRESHOLD);
	/* a TPR write clears bytes 81H-83H */
	setup(true, true, true);
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0x80, 4, 0xffffff20).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x80), 0x20);
}

/* ---------------------------------------------------------------- posted interrupts */
static void test_pi_desc_layout(void)
{
	struct pi_desc d;
	memset(&d, 0, sizeof d);
	CU_ASSERT_EQUAL(sizeof d, 64);
	CU_ASSERT_TRUE(pi_post(&d, 0x41));              /* SN = 0, ON was 0: notify */
	CU_ASSERT_EQUAL(d.b[8], 0x02);                  /* PIR bit 65 */
	CU_ASSERT_EQUAL(d.b[32], 0x01);                 /* ON = bit 256 */
	CU_ASSERT_FALSE(pi_post(&d, 0xe1));             /* ON already set */
	CU_ASSERT_EQUAL(d.b[28], 0x02);                 /* bit 225 */
	pi_set_nv(&d, 0xf2);
	CU_ASSERT_EQUAL(d.b[34], 0xf2);                 /* NV = bits 279:272 */
	pi_set_ndst(&d, 0x12345678, true);
	CU_ASSERT_EQUAL(d.b[36], 0x78);                 /* NDST = bits 319:288 */
	CU_ASSERT_EQUAL(d.b[39], 0x12);
	pi_set_ndst(&d, 5, false);
	CU_ASSERT_EQUAL(d.b[37], 0x05);                 /* xAPIC ID in NDST 15:8 */
	CU_ASSERT_EQUAL(d.b[36], 0x00);
	CU_ASSERT_EQUAL(pi_ndst_apic_id(&d, false), 5);
	pi_set_sn(&d, true);
	CU_ASSERT_EQUAL(d.b[32], 0x03);                 /* SN = bit 257 */
	pi_set_on(&d, false);
	CU_ASSERT_FALSE(pi_post(&d, 0x30));             /* suppressed: PIR set, ON stays 0 */
	CU_ASSERT_TRUE(pi_test_pir(&d, 0x30));
	CU_ASSERT_FALSE(pi_on(&d));
	CU_ASSERT_TRUE(pi_post_urgent(&d, 0x31));       /* urgent ignores SN */
	CU_ASSERT_TRUE(pi_on(&d));
	CU_ASSERT_EQUAL(pi_highest_pir(&d), 0xe1);
	CU_ASSERT_EQUAL(pi_nv(&d), 0xf2);
}

/* The hypervisor's descriptor states: running (notification vector to its
 * CPU), blocked (wake-up vector), preempted (suppressed). */
static void test_pi_vcpu_states(void)
{
	struct pi_desc d;
	memset(&d, 0, sizeof d);
	CU_ASSERT_FALSE(pi_vcpu_run(&d, 0xf2, 3, true));
	CU_ASSERT_EQUAL(d.b[34], 0xf2);
	CU_ASSERT_EQUAL(d.b[36], 3);
	CU_ASSERT_TRUE(pi_post(&d, 0x40));              /* runs: notification to CPU 3 */
	pi_set_on(&d, false);
	pi_vcpu_preempt(&d);
	CU_ASSERT_FALSE(pi_post(&d, 0x41));             /* preempted: PIR only */
	CU_ASSERT_FALSE(pi_on(&d));
	CU_ASSERT_TRUE(pi_vcpu_run(&d, 0xf2, 5, false));  /* 41H waits in the PIR: ON */
	pi_set_on(&d, false);
	memset(d.b, 0, 32);
	CU_ASSERT_EQUAL(d.b[37], 5);
	CU_ASSERT_EQUAL(d.b[36], 0);
	pi_vcpu_block(&d, 0xf1);
	CU_ASSERT_TRUE(pi_post(&d, 0x42));              /* blocked: the wake-up vector */
	CU_ASSERT_EQUAL(pi_nv(&d), 0xf1);
	CU_ASSERT_FALSE(pi_sn(&d));
	CU_ASSERT_TRUE(pi_vcpu_run(&d, 0xf2, 5, false));   /* ON: sync the PIR before entry */
	CU_ASSERT_EQUAL(pi_nv(&d), 0xf2);
}

static void test_pir_to_virr(void)
{
	struct pi_desc d;
	memset(&d, 0, sizeof d);
	setup(true, false, true);
	v.ctl.posted_interrupts = true;
	v.pi_nv = 0xf2;
	v.pid = &d;
	pi_post(&d, 0x23);
	pi_post(&d, 0x80);
	pi_post(&d, 0xe1);
	apic_vec_set(v.page, APIC_IRR, 0x50, true);
	vapic_set_rvi(&v, 0x50);
	CU_ASSERT_TRUE(vapic_is_notification(&v, 0xf2));
	CU_ASSERT_FALSE(vapic_is_notification(&v, 0xf3));
	CU_ASSERT_TRUE(vapic_pi_process(&v));
	CU_ASSERT_FALSE(pi_on(&d));
	CU_ASSERT_EQUAL(pi_highest_pir(&d), -1);        /* PIR cleared */
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x210), 1u << 3);                 /* 23H */
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x220), 1u << 16);                /* 50H kept */
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x240), 1u << 0);                 /* 80H */
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x270), 1u << 1);                 /* E1H */
	CU_ASSERT_EQUAL(vapic_rvi(&v), 0xe1);
	CU_ASSERT_EQUAL(vapic_pending(&v), 0xe1);
	/* a lower PIR vector does not lower RVI */
	pi_post(&d, 0x23);
	CU_ASSERT_TRUE(vapic_pi_process(&v));
	CU_ASSERT_EQUAL(vapic_rvi(&v), 0xe1);
	CU_ASSERT_FALSE(vapic_pi_process(&v));          /* nothing posted */
	v.ctl.posted_interrupts = false;
	CU_ASSERT_FALSE(vapic_is_notification(&v, 0xf2));
}

/* ---------------------------------------------------------------- APIC-access page */
static void test_access_page_controls(void)
{
	/* no APIC-access page: the ordinary path */
	struct vapic_controls none = { .use_tpr_shadow = true };
	vapic_init(&v, &none);
	CU_ASSERT_EQUAL(vapic_mmio_read(&v, 0x80, 4, false).outcome, VAPIC_NOT_VIRTUALIZED);
	/* APIC-access page without TPR shadow: everything exits (qualification: offset, type) */
	setup(false, false, false);
	expect_exit(vapic_mmio_read(&v, 0x80, 4, false), APIC_EXIT_APIC_ACCESS, 0x0080);
	expect_exit(vapic_mmio_write(&v, 0x80, 4, 0), APIC_EXIT_APIC_ACCESS, 0x1080);
	/* TPR shadow only: TPR reads and writes */
	setup(true, false, false);
	apic_reg_put(v.page, 0x80, 0x42);
	struct vapic_result r = vapic_mmio_read(&v, 0x80, 4, false);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(r.value, 0x42);
	expect_exit(vapic_mmio_read(&v, 0x80, 4, true), APIC_EXIT_APIC_ACCESS, 0x2080);   /* fetch */
	expect_exit(vapic_mmio_read(&v, 0x20, 4, false), APIC_EXIT_APIC_ACCESS, 0x0020);
	expect_exit(vapic_mmio_read(&v, 0x82, 4, false), APIC_EXIT_APIC_ACCESS, 0x0082); /* crosses 83H */
	expect_exit(vapic_mmio_write(&v, 0xb0, 4, 0), APIC_EXIT_APIC_ACCESS, 0x10b0);
	expect_exit(vapic_mmio_write(&v, 0x300, 4, 0x40041), APIC_EXIT_APIC_ACCESS, 0x1300);
	/* + virtual-interrupt delivery: TPR, EOI, ICR low written */
	setup(true, false, true);
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0xb0, 4, 0).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0x300, 4, 0x40041).outcome, VAPIC_VIRTUALIZED);   /* self IPI */
	CU_ASSERT_EQUAL(vapic_rvi(&v), 0x41);
	r = vapic_mmio_write(&v, 0x300, 4, 0x4041);     /* physical, no shorthand: completed by the VMM */
	expect_exit(r, APIC_EXIT_APIC_WRITE, 0x300);
	CU_ASSERT_TRUE(r.trap_like);
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x300), 0x4041);                  /* written before the exit */
	expect_exit(vapic_mmio_write(&v, 0x300, 4, 0x48041), APIC_EXIT_APIC_WRITE, 0x300);  /* level */
	expect_exit(vapic_mmio_write(&v, 0x300, 4, 0x4000f), APIC_EXIT_APIC_WRITE, 0x300);  /* vector 0FH */
	expect_exit(vapic_mmio_write(&v, 0x300, 4, 0x142041), APIC_EXIT_APIC_WRITE, 0x300); /* reserved bit 20 */
	expect_exit(vapic_mmio_write(&v, 0x320, 4, 0), APIC_EXIT_APIC_ACCESS, 0x1320);
	expect_exit(vapic_mmio_read(&v, 0x300, 4, false), APIC_EXIT_APIC_ACCESS, 0x0300);
	/* APIC-register virtualization: the 30.4.2 read list */
	setup(true, true, false);
	apic_reg_put(v.page, 0x20, 0x03000000);
	r = vapic_mmio_read(&v, 0x20, 4, false);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(r.value, 0x03000000);
	CU_ASSERT_EQUAL(vapic_mmio_read(&v, 0x102, 2, false).outcome, VAPIC_VIRTUALIZED);   /* ISR 100H-103H */
	CU_ASSERT_EQUAL(vapic_mmio_read(&v, 0x270, 4, false).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_mmio_read(&v, 0x3e0, 4, false).outcome, VAPIC_VIRTUALIZED);
	expect_exit(vapic_mmio_read(&v, 0x104, 4, false), APIC_EXIT_APIC_ACCESS, 0x0104);
	expect_exit(vapic_mmio_read(&v, 0xa0, 4, false), APIC_EXIT_APIC_ACCESS, 0x00a0);    /* PPR */
	expect_exit(vapic_mmio_read(&v, 0x390, 4, false), APIC_EXIT_APIC_ACCESS, 0x0390);   /* current count */
	expect_exit(vapic_mmio_read(&v, 0x2f0, 4, false), APIC_EXIT_APIC_ACCESS, 0x02f0);   /* CMCI */
	/* writes: stored, then APIC-write exit except TPR and ICR high */
	r = vapic_mmio_write(&v, 0x320, 4, 0x20040);
	expect_exit(r, APIC_EXIT_APIC_WRITE, 0x320);
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x320), 0x20040);
	expect_exit(vapic_mmio_write(&v, 0xb0, 4, 0), APIC_EXIT_APIC_WRITE, 0xb0);   /* EOI without VID */
	expect_exit(vapic_mmio_write(&v, 0x300, 4, 0x40041), APIC_EXIT_APIC_WRITE, 0x300);
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0x310, 4, 0x05ffffff).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x310), 0x05000000);               /* bytes 2:0 cleared */
	expect_exit(vapic_mmio_write(&v, 0x30, 4, 0), APIC_EXIT_APIC_ACCESS, 0x1030);  /* version */
	expect_exit(vapic_mmio_write(&v, 0x390, 4, 0), APIC_EXIT_APIC_ACCESS, 0x1390);
	expect_exit(vapic_mmio_write(&v, 0xffe, 4, 0), APIC_EXIT_APIC_ACCESS, 0x1ffe);  /* off the page end */
}

static void test_x2apic_msrs(void)
{
	setup(true, false, false);
	CU_ASSERT_EQUAL(vapic_rdmsr(&v, 0x808).outcome, VAPIC_NOT_VIRTUALIZED);      /* x2APIC virt. off */
	v.ctl.virtualize_x2apic = true;
	for (unsigned i = 0; i < 8; i++)
		v.page[0x80 + i] = (uint8_t)(0x11 * (i + 1));
	struct vapic_result r = vapic_rdmsr(&v, 0x808);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(r.value, 0x8877665544332211ull);        /* bytes 87H:80H */
	CU_ASSERT_EQUAL(vapic_rdmsr(&v, 0x802).outcome, VAPIC_NOT_VIRTUALIZED);
	r = vapic_wrmsr(&v, 0x808, 0x30);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x84), 0);
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x808, 0x130).outcome, VAPIC_GP);
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x80b, 0).outcome, VAPIC_NOT_VIRTUALIZED);   /* EOI needs VID */
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x83f, 0x41).outcome, VAPIC_NOT_VIRTUALIZED);
	/* APIC-register virtualization: all of 800H-8FFH read the page */
	v.ctl.apic_register_virt = true;
	apic_reg_put(v.page, 0x20, 0x7);
	r = vapic_rdmsr(&v, 0x802);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(r.value, 7);
	v.page[0xff0] = 0x99;
	r = vapic_rdmsr(&v, 0x8ff);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(r.value, 0x99);
	CU_ASSERT_EQUAL(vapic_rdmsr(&v, 0x900).outcome, VAPIC_NOT_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_rdmsr(&v, 0x7ff).outcome, VAPIC_NOT_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x832, 0).outcome, VAPIC_NOT_VIRTUALIZED);   /* LVT: MSR bitmap decides */
	/* virtual-interrupt delivery: EOI and SELF IPI */
	v.ctl.virtual_intr_delivery = true;
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x83f, 0x141).outcome, VAPIC_GP);
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x83f, 0x41).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_rvi(&v), 0x41);
	CU_ASSERT_EQUAL(vapic_deliver(&v), 0x41);
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x80b, 1).outcome, VAPIC_GP);
	CU_ASSERT_EQUAL(vapic_svi(&v), 0x41);
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x80b, 0).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_svi(&v), 0);
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x830, 0x4041).outcome, VAPIC_NOT_VIRTUALIZED);   /* ICR needs IPIv */
}

/* ---------------------------------------------------------------- IPI virtualization */
static struct pi_desc pids[2];
static struct pi_desc *pid_at(void *ctx, uint64_t addr)
{
	return addr == 0x10000 ? &pids[0] : addr == 0x10040 ? &pids[1] : NULL;
}

static void test_ipi_virtualization(void)
{
	static const uint64_t table[5] = { 0x10000 | 1, 0x10040 | 1, 0x10040, 0x20000 | 1, 0x10000 | 1 };
	memset(pids, 0, sizeof pids);
	pi_set_nv(&pids[1], 0xf2);
	pi_set_ndst(&pids[1], 7, true);
	setup(true, true, true);
	v.ctl.virtualize_x2apic = v.ctl.ipi_virt = true;
	v.x2apic = true;
	v.pid_table = table;
	v.last_pid_index = 3;
	v.pid_at = pid_at;
	struct vapic_result r = vapic_wrmsr(&v, 0x830, (1ull << 32) | 0x51);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_TRUE(pi_test_pir(&pids[1], 0x51));
	CU_ASSERT_TRUE(r.notify);
	CU_ASSERT_EQUAL(r.notify_nv, 0xf2);
	CU_ASSERT_EQUAL(r.notify_ndst, 7);
	r = vapic_wrmsr(&v, 0x830, (1ull << 32) | 0x52);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_FALSE(r.notify);                      /* ON already set */
	/* the VMM completes: invalid entry, beyond the last index (3; entry 4 is valid), PID nowhere */
	expect_exit(vapic_wrmsr(&v, 0x830, (2ull << 32) | 0x51), APIC_EXIT_APIC_WRITE, 0x300);
	expect_exit(vapic_wrmsr(&v, 0x830, (4ull << 32) | 0x51), APIC_EXIT_APIC_WRITE, 0x300);
	expect_exit(vapic_wrmsr(&v, 0x830, (3ull << 32) | 0x51), APIC_EXIT_APIC_WRITE, 0x300);
	CU_ASSERT_EQUAL(apic_reg_get(v.page, 0x304), 3);        /* x2APIC ICR stored as 64 bits at 300H */
	/* not fixed/physical/edge/no shorthand: exit */
	expect_exit(vapic_wrmsr(&v, 0x830, (0ull << 32) | 0x851), APIC_EXIT_APIC_WRITE, 0x300);   /* logical */
	expect_exit(vapic_wrmsr(&v, 0x830, (0ull << 32) | 0x451), APIC_EXIT_APIC_WRITE, 0x300);   /* NMI */
	expect_exit(vapic_wrmsr(&v, 0x830, (0ull << 32) | 0xc0051), APIC_EXIT_APIC_WRITE, 0x300); /* all-excl */
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x830, 0x2051).outcome, VAPIC_GP);     /* reserved bit 13 */
	CU_ASSERT_FALSE(pi_test_pir(&pids[0], 0x51));
	/* self shorthand: self-IPI virtualization */
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x830, 0x40061).outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_EQUAL(vapic_rvi(&v), 0x61);
	/* xAPIC: destination in VICR_HI 31:24 */
	v.x2apic = false;
	CU_ASSERT_EQUAL(vapic_mmio_write(&v, 0x310, 4, 0x00000000).outcome, VAPIC_VIRTUALIZED);
	r = vapic_mmio_write(&v, 0x300, 4, 0x71);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_TRUE(pi_test_pir(&pids[0], 0x71));
	CU_ASSERT_TRUE(r.notify);
	/* a suppressed target gets the vector, no notification */
	pi_set_on(&pids[1], false);
	pi_set_sn(&pids[1], true);
	vapic_mmio_write(&v, 0x310, 4, 0x01000000);
	r = vapic_mmio_write(&v, 0x300, 4, 0x72);
	CU_ASSERT_EQUAL(r.outcome, VAPIC_VIRTUALIZED);
	CU_ASSERT_FALSE(r.notify);
	CU_ASSERT_TRUE(pi_test_pir(&pids[1], 0x72));
	/* IPI virtualization off: the ICR write is the VMM's */
	v.ctl.ipi_virt = false;
	expect_exit(vapic_mmio_write(&v, 0x300, 4, 0x73), APIC_EXIT_APIC_WRITE, 0x300);
	v.x2apic = true;
	CU_ASSERT_EQUAL(vapic_wrmsr(&v, 0x830, 0x73).outcome, VAPIC_NOT_VIRTUALIZED);
}

static void test_controls_valid(void)
{
	CU_ASSERT_PTR_NULL(vapic_controls_invalid(&(struct vapic_controls){ 0 }));
	CU_ASSERT_PTR_NULL(vapic_controls_invalid(&(struct vapic_controls){ .use_tpr_shadow = true,
		.virtualize_apic_accesses = true, .apic_register_virt = true, .virtual_intr_delivery = true,
		.posted_interrupts = true, .ipi_virt = true }));
	CU_ASSERT_PTR_NOT_NULL(vapic_controls_invalid(&(struct vapic_controls){ .use_tpr_shadow = true,
		.virtualize_apic_accesses = true, .virtualize_x2apic = true }));
	CU_ASSERT_PTR_NOT_NULL(vapic_controls_invalid(&(struct vapic_controls){ .virtual_intr_delivery = true }));
	CU_ASSERT_PTR_NOT_NULL(vapic_controls_invalid(&(struct vapic_controls){ .apic_register_virt = true }));
	CU_ASSERT_PTR_NOT_NULL(vapic_controls_invalid(&(struct vapic_controls){ .use_tpr_shadow = true,
		.posted_interrupts = true }));
	CU_ASSERT_PTR_NULL(vapic_controls_invalid(&(struct vapic_controls){ .virtualize_apic_accesses = true }));
}

/* ---------------------------------------------------------------- timer designs */
static void test_timer_designs(void)
{
	struct apic_timer_expiry e = apic_timer_expiry(APIC_TIMER_HRTIMER, true);
	CU_ASSERT_EQUAL(e.exit_reason, 1);              /* external interrupt */
	CU_ASSERT_FALSE(e.posted);
	e = apic_timer_expiry(APIC_TIMER_PREEMPTION, true);
	CU_ASSERT_EQUAL(e.exit_reason, 52);             /* VMX-preemption timer expired */
	e = apic_timer_expiry(APIC_TIMER_EXITLESS, true);
	CU_ASSERT_EQUAL(e.exit_reason, -1);
	CU_ASSERT_TRUE(e.posted);
	for (int d = 0; d < APIC_TIMER_NDESIGNS; d++) {
		e = apic_timer_expiry((enum apic_timer_design)d, false);
		CU_ASSERT_EQUAL(e.exit_reason, -1);
		CU_ASSERT_TRUE(e.wakeup);
		CU_ASSERT_EQUAL(apic_timer_design_parse(apic_timer_design_name((enum apic_timer_design)d)), d);
	}
	CU_ASSERT_EQUAL(apic_timer_design_parse("hpet"), -1);
	CU_ASSERT_EQUAL(apic_preemption_timer_value(1000, 0, 5), 32);      /* 1000 / 32 = 31.25, up */
	CU_ASSERT_EQUAL(apic_preemption_timer_value(1024, 0, 5), 32);
	CU_ASSERT_EQUAL(apic_preemption_timer_value(1025, 1, 5), 32);
	CU_ASSERT_EQUAL(apic_preemption_timer_value(500, 600, 5), 0);
	CU_ASSERT_EQUAL(apic_preemption_timer_value(1ull << 40, 0, 0), 0xffffffffu);
	CU_ASSERT_EQUAL(apic_preemption_timer_value(UINT64_MAX, 0, 64), 2);
}

static CU_TestInfo tests[] = {
	{ "virtual-interrupt evaluation and delivery, EOI virtualization", test_evaluation_delivery },
	{ "PPR and TPR virtualization, CR8", test_ppr_tpr_virtualization },
	{ "posted-interrupt descriptor layout and posting", test_pi_desc_layout },
	{ "PI descriptor run / block / preempt", test_pi_vcpu_states },
	{ "PIR to VIRR", test_pir_to_virr },
	{ "APIC-access page under each control combination", test_access_page_controls },
	{ "x2APIC MSR virtualization", test_x2apic_msrs },
	{ "IPI virtualization", test_ipi_virtualization },
	{ "VM-entry checks on the controls", test_controls_valid },
	{ "timer designs", test_timer_designs },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("apic_vapic", tests); }
