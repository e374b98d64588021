/* Fuzz target: the MSR interfaces of the APIC model: lapic_rdmsr/lapic_wrmsr
 * (IA32_APIC_BASE, IA32_TSC_DEADLINE, the x2APIC range 800H-BFFH and around
 * it) and vapic_rdmsr/vapic_wrmsr under fuzzed APICv controls, interleaved
 * with interrupts, acknowledges, EOIs and timer polls.
 * Input: byte 0 = APICv controls (one bit each), then operations of 12 bytes:
 * kind, MSR selector (2 bytes), value (8 bytes), time step (1 byte).
 * Promises checked (apic/lapic.h, apic/vapic.h): APIC_MSR_NOT_APIC exactly
 * outside 1BH, 6E0H and 800H-BFFH; #GP for every MSR above 83FH in the range
 * and for the whole range outside x2APIC mode; IA32_APIC_BASE never holds
 * the invalid EXTD-without-EN state; a TPR written is read back; PPR class
 * at least the TPR's and the in-service class; a pending vector's class
 * above the PPR's; decoded IPIs have an architectural delivery mode; a
 * one-shot or periodic deadline after a poll lies in the future; VM exits
 * carry an APIC virtualization exit reason; VPPR class at least VTPR's. */
#include "tests/fuzz/fuzz.h"

#include <string.h>

#include "apic/vapic.h"

static struct lapic l;
static struct vapic v;
static cycles_t now;
static uint64_t tsc;

/* Mostly the x2APIC range and its edges; sometimes the other APIC MSRs. */
static uint32_t pick_msr(uint16_t sel)
{
	switch (sel >> 14) {
	case 0: return sel & 1 ? MSR_IA32_APIC_BASE : MSR_IA32_TSC_DEADLINE;
	case 1: return 0x800 + (sel & 0x3f);
	default: return 0x7f0 + (sel % 0x420);
	}
}

static bool apic_msr(uint32_t msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE || (msr >= 0x800 && msr <= 0xbff);
}

static void check_msr_result(uint32_t msr, enum apic_msr_result r)
{
	fuzz_check((r == APIC_MSR_NOT_APIC) == !apic_msr(msr), "NOT_APIC exactly outside the APIC MSRs");
	if (msr > 0x83f && msr <= 0xbff)
		fuzz_check(r == APIC_MSR_GP, "reserved x2APIC MSRs are #GP");
	if (msr >= 0x800 && msr <= 0xbff && !lapic_x2apic_mode(&l))
		fuzz_check(r == APIC_MSR_GP, "x2APIC MSRs are #GP outside x2APIC mode");
}

static void check_state(void)
{
	fuzz_check(!(FIELD_EX(l.apic_base, APIC_BASE_MSR, EXTD) && !FIELD_EX(l.apic_base, APIC_BASE_MSR, EN)),
		   "IA32_APIC_BASE never EXTD without EN");
	uint8_t ppr = lapic_ppr(&l), tpr = (uint8_t)apic_reg_get(l.regs, APIC_TPR);
	int isrv = apic_vec_highest(l.regs, APIC_ISR);
	fuzz_check((ppr >> 4) >= (tpr >> 4) && (isrv < 0 || (ppr >> 4) >= ((unsigned)isrv >> 4)),
		   "PPR class >= TPR and ISRV classes");
	int p = lapic_pending_vector(&l);
	fuzz_check(p < 0 || ((unsigned)p >> 4) > (ppr >> 4u), "pending vector above PPR class");
	struct lapic_deadline d = lapic_timer_next(&l);
	if (d.kind == LAPIC_DL_CYCLES)
		fuzz_check(d.at > now, "timer deadline after a poll lies ahead");
}

static void check_vapic(struct vapic_result r)
{
	if (r.outcome == VAPIC_EXIT)
		fuzz_check(r.exit_reason == APIC_EXIT_APIC_WRITE || r.exit_reason == APIC_EXIT_EOI_INDUCED ||
			   r.exit_reason == APIC_EXIT_TPR_BELOW_THRESHOLD, "MSR virtualization exits");
	if (v.ctl.virtual_intr_delivery && r.outcome == VAPIC_VIRTUALIZED)
		fuzz_check((vapic_vppr(&v) >> 4) >= (vapic_vtpr(&v) >> 4), "VPPR class >= VTPR class");
}

static void op_msr(bool write, uint32_t msr, uint64_t val)
{
	struct lapic_event ev;
	uint64_t got;
	if (!write) {
		check_msr_result(msr, lapic_rdmsr(&l, msr, &got, now));
		check_vapic(vapic_rdmsr(&v, msr));
		return;
	}
	enum apic_msr_result r = lapic_wrmsr(&l, msr, val, now, &ev);
	check_msr_result(msr, r);
	if (ev.ipi)
		fuzz_check(ev.msg.mode <= APIC_DM_EXTINT, "ICR delivery mode");
	if (r == APIC_MSR_OK && msr == 0x808) {
		fuzz_check(lapic_rdmsr(&l, msr, &got, now) == APIC_MSR_OK && got == val, "TPR reads back");
	}
	if (ev.ipi && ev.msg.shorthand == APIC_SH_SELF)
		lapic_accept(&l, &ev.msg);
	check_vapic(vapic_wrmsr(&v, msr, val));
}

static void op(unsigned kind, uint32_t msr, uint64_t val)
{
	struct lapic_event ev = { .eoi_vector = -1 };
	switch (kind % 8) {
	case 0: case 1: case 2:
		op_msr(kind & 1, msr, val);
		break;
	case 3:
		lapic_accept(&l, &(struct apic_msg){ .vector = (uint8_t)val, .mode = (enum apic_delivery)((val >> 8) & 7),
						     .trig_level = val >> 11 & 1, .level = true });
		vapic_self_ipi_virtualize(&v, (uint8_t)val);
		break;
	case 4:
		lapic_ack(&l);
		vapic_deliver(&v);
		break;
	case 5:
		lapic_eoi(&l, &ev);
		break;
	case 6:
		lapic_timer_poll(&l, now, tsc);
		break;
	case 7:
		if (v.pid)
			pi_post(v.pid, (uint8_t)val);
		if (val >> 8 & 1)
			vapic_pi_process(&v);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	static struct pi_desc pid;
	unsigned c = (unsigned)fuzz_take(&in, 1);
	struct vapic_controls ctl = {
		.use_tpr_shadow = c & 1, .virtualize_x2apic = c >> 1 & 1, .apic_register_virt = c >> 2 & 1,
		.virtual_intr_delivery = c >> 3 & 1, .posted_interrupts = c >> 4 & 1, .ipi_virt = c >> 5 & 1,
		.virtualize_apic_accesses = c >> 6 & 1, .intr_window_exiting = c >> 7 & 1,
	};
	lapic_init(&l, 3, false, 1 + (c & 7));
	vapic_init(&v, &ctl);
	memset(&pid, 0, sizeof pid);
	v.pid = &pid;
	v.x2apic = true;
	now = tsc = 0;
	while (in.n) {
		unsigned kind = (unsigned)fuzz_take(&in, 1);
		uint32_t msr = pick_msr((uint16_t)fuzz_take(&in, 2));
		uint64_t val = fuzz_take(&in, 8);
		unsigned step = (unsigned)fuzz_take(&in, 1);
		now += (cycles_t)step * step * 16;
		tsc += step;
		op(kind, msr, val);
		lapic_timer_poll(&l, now, tsc);
		check_state();
	}
	return 0;
}
