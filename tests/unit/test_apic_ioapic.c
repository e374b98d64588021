/* I/O APIC model (apic/ioapic): the register window, the redirection table,
 * edge and level pins with Remote IRR until the EOI, masking, the EOI
 * register, and the way from a pin through the local APICs and back.
 * Expected values are the 82093AA datasheet's, written as literals. */
#include "apic/ioapic.h"
#include "tests/unit/unit.h"

static struct ioapic io;
static struct apic_msg sent[16];
static unsigned nsent;

static void capture(void *ctx, const struct apic_msg *m)
{
	if (nsent < 16)
		sent[nsent] = *m;
	nsent++;
}

static void setup(void)
{
	ioapic_init(&io);
	io.send = capture;
	nsent = 0;
}

static uint32_t ird(uint32_t idx)
{
	ioapic_ops.write(&io, 0x00, 4, idx);
	return (uint32_t)ioapic_ops.read(&io, 0x10, 4);
}

static void iwr(uint32_t idx, uint32_t v)
{
	ioapic_ops.write(&io, 0x00, 4, idx);
	ioapic_ops.write(&io, 0x10, 4, v);
}

static void test_registers(void)
{
	setup();
	CU_ASSERT_EQUAL(ird(0x01), 0x00170020);        /* version 20H, 24 entries */
	CU_ASSERT_EQUAL(ird(0x00), 0);
	iwr(0x00, 0xff000000);
	CU_ASSERT_EQUAL(ird(0x00), 0x0f000000);        /* 4-bit ID in 27:24 */
	CU_ASSERT_EQUAL(ird(0x02), 0x0f000000);        /* arbitration ID */
	iwr(0x01, 0);                                  /* version is read-only */
	CU_ASSERT_EQUAL(ird(0x01), 0x00170020);
	CU_ASSERT_EQUAL(ird(0x10), 0x00010000);        /* entries reset masked */
	CU_ASSERT_EQUAL(ird(0x3e), 0x00010000);        /* entry 23 */
	CU_ASSERT_EQUAL(ird(0x40), 0xffffffff);        /* beyond entry 23 */
	CU_ASSERT_EQUAL(ird(0x03), 0xffffffff);
	CU_ASSERT_EQUAL(ioapic_ops.read(&io, 0x00, 4), 0x03);   /* IOREGSEL reads back */
	uint64_t before = *io.guest_errors;
	CU_ASSERT_EQUAL(ioapic_ops.read(&io, 0x10, 2), 0);      /* 32-bit accesses only */
	CU_ASSERT_EQUAL(ioapic_ops.read(&io, 0x20, 4), 0);
	CU_ASSERT_EQUAL(*io.guest_errors, before + 2);
	/* Remote IRR and delivery status cannot be written */
	iwr(0x12, 0x00005033);
	CU_ASSERT_EQUAL(ird(0x12), 0x00000033);
	iwr(0x13, 0xab000000);
	CU_ASSERT_EQUAL(ird(0x13), 0xab000000);
	struct apic_msg m = ioapic_msg(&io, 1);
	CU_ASSERT_EQUAL(m.dest, 0xab);
	CU_ASSERT_EQUAL(m.vector, 0x33);
	iwr(0x14, 0x0000093c);                          /* lowest priority, logical */
	m = ioapic_msg(&io, 2);
	CU_ASSERT_EQUAL(m.mode, APIC_DM_LOWEST);
	CU_ASSERT_TRUE(m.logical);
	ioapic_set_irq(&io, 24, true);                  /* no such pin */
	CU_ASSERT_EQUAL(nsent, 0);
}

static void test_edge(void)
{
	setup();
	iwr(0x18, 0x00000044);                          /* pin 4: edge, vector 44H, unmasked */
	iwr(0x19, 0x01000000);
	ioapic_set_irq(&io, 4, true);
	CU_ASSERT_EQUAL(nsent, 1);
	CU_ASSERT_EQUAL(sent[0].vector, 0x44);
	CU_ASSERT_EQUAL(sent[0].dest, 1);
	CU_ASSERT_FALSE(sent[0].trig_level);
	ioapic_set_irq(&io, 4, true);                   /* no new edge */
	CU_ASSERT_EQUAL(nsent, 1);
	ioapic_set_irq(&io, 4, false);
	ioapic_set_irq(&io, 4, true);
	CU_ASSERT_EQUAL(nsent, 2);
	/* an edge on a masked pin is lost, also after unmasking */
	ioapic_set_irq(&io, 4, false);
	iwr(0x18, 0x00010044);
	ioapic_set_irq(&io, 4, true);
	iwr(0x18, 0x00000044);
	CU_ASSERT_EQUAL(nsent, 2);
	CU_ASSERT_EQUAL(ird(0x18) & 0x4000, 0);         /* no Remote IRR on edge pins */
}

static void test_level_remote_irr(void)
{
	setup();
	iwr(0x17, 0x02000000);
	iwr(0x16, 0x00008033);                          /* pin 3: level, vector 33H */
	ioapic_set_irq(&io, 3, true);
	CU_ASSERT_EQUAL(nsent, 1);
	CU_ASSERT_TRUE(sent[0].trig_level);
	CU_ASSERT_EQUAL(sent[0].dest, 2);
	CU_ASSERT_EQUAL(ird(0x16), 0x0000c033);         /* Remote IRR set */
	/* no resend while Remote IRR is set, whatever the line does */
	ioapic_set_irq(&io, 3, false);
	ioapic_set_irq(&io, 3, true);
	CU_ASSERT_EQUAL(nsent, 1);
	ioapic_eoi(&io, 0x34);                          /* another vector */
	CU_ASSERT_EQUAL(nsent, 1);
	ioapic_eoi(&io, 0x33);                          /* still asserted: again */
	CU_ASSERT_EQUAL(nsent, 2);
	CU_ASSERT_EQUAL(ird(0x16), 0x0000c033);
	ioapic_set_irq(&io, 3, false);
	ioapic_ops.write(&io, 0x40, 4, 0x33);           /* EOI register */
	CU_ASSERT_EQUAL(nsent, 2);
	CU_ASSERT_EQUAL(ird(0x16), 0x00008033);
	/* masked while asserted: sent on unmask */
	iwr(0x16, 0x00018033);
	ioapic_set_irq(&io, 3, true);
	CU_ASSERT_EQUAL(nsent, 2);
	iwr(0x16, 0x00008033);
	CU_ASSERT_EQUAL(nsent, 3);
	/* switching to edge drops Remote IRR */
	iwr(0x16, 0x00000033);
	CU_ASSERT_EQUAL(ird(0x16), 0x00000033);
}

/* A level pin through a local APIC: delivered, acknowledged, and the LAPIC's
 * EOI broadcast clears Remote IRR; with EOI-broadcast suppression the OS
 * writes the I/O APIC's EOI register instead. */
static void test_through_lapic(void)
{
	setup();
	struct lapic la[2];
	struct lapic *lp[2] = { &la[0], &la[1] };
	struct lapic_event ev;
	for (unsigned i = 0; i < 2; i++) {
		lapic_init(&la[i], i, i == 0, 1);
		lapic_mmio_write(&la[i], 0xf0, 4, 0x1ff, 0, &ev);
	}
	iwr(0x11, 0x01000000);
	iwr(0x10, 0x00008061);                          /* pin 0 level, vector 61H, to APIC 1 */
	ioapic_set_irq(&io, 0, true);
	CU_ASSERT_EQUAL(nsent, 1);
	bool t[2];
	CU_ASSERT_EQUAL(apic_route(lp, 2, NULL, &sent[0], t), 1);
	CU_ASSERT_TRUE(t[1]);
	CU_ASSERT_TRUE(lapic_accept(&la[1], &sent[0]));
	CU_ASSERT_EQUAL(lapic_ack(&la[1]), 0x61);
	lapic_mmio_write(&la[1], 0xb0, 4, 0, 0, &ev);
	CU_ASSERT_TRUE(ev.eoi_broadcast);
	ioapic_eoi(&io, (uint8_t)ev.eoi_vector);
	CU_ASSERT_EQUAL(nsent, 2);                      /* line still high: sent again */
	ioapic_set_irq(&io, 0, false);
	lapic_accept(&la[1], &sent[1]);
	lapic_ack(&la[1]);
	lapic_mmio_write(&la[1], 0xf0, 4, 0x11ff, 0, &ev);   /* suppress EOI broadcasts */
	lapic_mmio_write(&la[1], 0xb0, 4, 0, 0, &ev);
	CU_ASSERT_FALSE(ev.eoi_broadcast);
	CU_ASSERT_EQUAL(ird(0x10) & 0x4000, 0x4000);    /* Remote IRR until the directed EOI */
	ioapic_ops.write(&io, 0x40, 4, 0x61);
	CU_ASSERT_EQUAL(ird(0x10) & 0x4000, 0);
}

static CU_TestInfo tests[] = {
	{ "registers and redirection entries", test_registers },
	{ "edge pins and masking", test_edge },
	{ "level pins and Remote IRR", test_level_remote_irr },
	{ "pin to LAPIC and EOI back", test_through_lapic },
	CU_TEST_INFO_NULL,
};

int main(void) { return unit_run("apic_ioapic", tests); }
