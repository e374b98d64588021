/* Fuzz target: the memory-mapped APIC interfaces: the xAPIC page of four
 * local APICs (lapic_mmio_read/write at any offset and width, interrupts
 * routed between them with apic_route), the I/O APIC window (ioapic_ops)
 * with its pins and EOIs, and the APIC-access page under fuzzed APICv
 * controls (vapic_mmio_read/write).
 * Input: byte 0 = APICv controls, then operations of 8 bytes: kind, offset
 * (2 bytes), width selector, value (4 bytes).
 * Promises checked: an xAPIC-mode LAPIC decodes its page and a read fits
 * its width; an x2APIC-mode or disabled one does not decode it; every
 * routed message has at most one target when lowest-priority and never more
 * than the APICs there are; an acknowledged vector is in service;
 * an edge redirection entry never shows Remote IRR; an APIC-access page
 * access that exits reports an APIC exit reason and, for APIC-access exits,
 * the page offset it was given; VPPR class >= VTPR class with
 * virtual-interrupt delivery. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "apic/ioapic.h"
#include "apic/vapic.h"

#define N 4

static struct lapic la[N];
static struct lapic *lp[N] = { &la[0], &la[1], &la[2], &la[3] };
static struct ioapic io;
static struct vapic v;
static cycles_t now;

static void route(const struct lapic *src, const struct apic_msg *m)
{
	bool t[N];
	unsigned n = apic_route(lp, N, src, m, t), count = 0;
	for (unsigned i = 0; i < N; i++)
		if (t[i]) {
			count++;
			lapic_accept(&la[i], m);
		}
	fuzz_check(n == count && n <= N, "route count");
	fuzz_check(m->mode != APIC_DM_LOWEST || n <= 1, "lowest priority picks at most one");
}

static void io_send(void *ctx, const struct apic_msg *m) { route(NULL, m); }

static void op_lapic(unsigned cpu, bool write, unsigned off, unsigned size, uint32_t val)
{
	struct lapic *l = &la[cpu];
	struct lapic_event ev;
	uint64_t got = 0;
	bool decodes = lapic_hw_enabled(l) && !lapic_x2apic_mode(l);
	if (write) {
		fuzz_check(lapic_mmio_write(l, off, size, val, now, &ev) == decodes, "xAPIC page decoded");
		if (ev.ipi)
			route(l, &ev.msg);
		if (ev.eoi_broadcast)
			ioapic_eoi(&io, (uint8_t)ev.eoi_vector);
		return;
	}
	fuzz_check(lapic_mmio_read(l, off, size, &got, now) == decodes, "xAPIC page decoded");
	fuzz_check(size >= 8 || got >> (8 * size) == 0, "read fits its width");
}

static void op_vapic(bool write, unsigned off, unsigned size, uint32_t val)
{
	struct vapic_result r = write ? vapic_mmio_write(&v, off, size, val) : vapic_mmio_read(&v, off, size, off & 1);
	if (r.outcome == VAPIC_EXIT) {
		fuzz_check(r.exit_reason == APIC_EXIT_APIC_ACCESS || r.exit_reason == APIC_EXIT_APIC_WRITE ||
			   r.exit_reason == APIC_EXIT_EOI_INDUCED || r.exit_reason == APIC_EXIT_TPR_BELOW_THRESHOLD,
			   "APIC virtualization exit reason");
		if (r.exit_reason == APIC_EXIT_APIC_ACCESS)
			fuzz_check(FIELD_EX(r.qual, APIC_ACCESS_QUAL, OFFSET) == (off & 0xfff), "APIC-access offset");
	}
	fuzz_check(!v.ctl.virtual_intr_delivery || (vapic_vppr(&v) >> 4) >= (vapic_vtpr(&v) >> 4) ||
		   r.outcome != VAPIC_VIRTUALIZED, "VPPR class >= VTPR class");
	if (vapic_deliver(&v) >= 0 && (val & 1))
		vapic_mmio_write(&v, 0xb0, 4, 0);
}

static void op(struct fuzz_input *in)
{
	unsigned kind = (unsigned)fuzz_take(in, 1), off = (unsigned)fuzz_take(in, 2) % 0x1100;
	static const unsigned sizes[] = { 4, 4, 4, 1, 2, 8, 4, 3 };
	unsigned size = sizes[fuzz_take(in, 1) % 8];
	uint32_t val = (uint32_t)fuzz_take(in, 4);
	unsigned cpu = kind >> 5 & 3;
	switch (kind % 8) {
	case 0: case 1: op_lapic(cpu, kind & 1, off & ~3u, size, val); break;
	case 2: op_lapic(cpu, kind >> 7 & 1, off, size, val); break;
	case 3:
		ioapic_ops.write(&io, off & 0x40 ? 0x10 : 0, size, val);
		break;
	case 4:
		(void)ioapic_ops.read(&io, off & 0x50, size);
		ioapic_set_irq(&io, val % 26, val >> 8 & 1);
		break;
	case 5: {
		int vec = lapic_pending_vector(&la[cpu]);
		int got = lapic_ack(&la[cpu]);
		if (vec >= 0)
			fuzz_check(got == vec && apic_vec_test(la[cpu].regs, APIC_ISR, (unsigned)vec), "ack moves IRR to ISR");
		break;
	}
	case 6: op_vapic(kind & 0x10, off, size, val); break;
	case 7: {
		struct lapic_event ev;
		if (val & 1)
			lapic_wrmsr(&la[cpu], MSR_IA32_APIC_BASE, 0xfee00000ull | (val & 0xc00), now, &ev);
		lapic_timer_poll(&la[cpu], now, now);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	unsigned c = (unsigned)fuzz_take(&in, 1);
	struct vapic_controls ctl = {
		.use_tpr_shadow = c & 1, .virtualize_apic_accesses = !(c >> 1 & 1), .apic_register_virt = c >> 2 & 1,
		.virtual_intr_delivery = c >> 3 & 1, .ipi_virt = c >> 4 & 1, .intr_window_exiting = c >> 7 & 1,
	};
	for (unsigned i = 0; i < N; i++)
		lapic_init(&la[i], i, i == 0, 1 + (c >> 5));
	ioapic_init(&io);
	io.send = io_send;
	vapic_init(&v, &ctl);
	v.tpr_threshold = c >> 4;
	now = 0;
	while (in.n) {
		op(&in);
		now += 97;
		for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
			fuzz_check(FIELD_EX(io.rte[pin], IOAPIC_RTE, TRIGGER) || !FIELD_EX(io.rte[pin], IOAPIC_RTE, REMOTE_IRR),
				   "no Remote IRR on edge entries");
	}
	return 0;
}
