/* hvsim run --trace-out: see cpu/export.h.  The line formats are the
 * kernel's print fmts (arch/x86/kvm/trace.h, arch/arm64/kvm/trace_arm.h,
 * trace_handle_exit.h, include/trace/events/kvm.h) as traces/parse.c reads
 * them. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/err.h"
#include "cpu/export.h"
#include "mmu/ept.h"
#include "mmu/vmsa.h"
#include "cpu/vcpu.h"
#include "platform/pc.h"
#include "platform/virt.h"

/* KVM_EXIT_* (include/uapi/linux/kvm.h) */
enum { KVM_EXIT_IO = 2, KVM_EXIT_MMIO = 6, KVM_EXIT_SHUTDOWN = 8, KVM_EXIT_HYPERCALL = 3 };

static const char *const kvm_exit_names[] = {
	[KVM_EXIT_IO] = "KVM_EXIT_IO", [KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
	[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO", [KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
};

static void head(FILE *f, const struct vcpu *v, uint64_t ts)
{
	fprintf(f, "           hvsim-%u [%03u] d..2. %" PRIu64 ": ", 1000 + v->id, v->id, ts);
}

static uint64_t reg(struct vcpu *v, int r)
{
	uint64_t x = 0;
	uc_reg_read(v->uc, r, &x);
	return x;
}

static void user_exit(FILE *f, const struct vcpu *v, uint64_t ts, unsigned reason)
{
	head(f, v, ts);
	fprintf(f, "kvm_userspace_exit: reason %s (%u)\n", kvm_exit_names[reason], reason);
}

static void mmio(FILE *f, const struct vcpu *v, uint64_t ts)
{
	if (!v->note.has_addr)
		return;
	head(f, v, ts);
	fprintf(f, "kvm_mmio: mmio %s len %u gpa 0x%" PRIx64 " val 0x0\n", v->note.write ? "write" : "read",
		v->note.len ? v->note.len : 4, v->note.addr);
}

/* Host vectors (arch/x86/include/asm/irq_vectors.h): the host timer
 * interrupt that runs KVM's hrtimer, and the IPI of kvm_vcpu_kick. */
enum { LOCAL_TIMER_VECTOR = 0xec, RESCHEDULE_VECTOR = 0xfd };

/* VM-exit interruption information of an external-interrupt exit (SDM Vol.
 * 3C, "VM-Exit Information Fields for Vectored Events"): vector [7:0], type
 * [10:8] 0 (external interrupt), valid [31]. */
static uint32_t ext_intr_info(const struct vcpu *v, const char *name)
{
	if (strcmp(name, "EXTERNAL_INTERRUPT") || !v->note.cause)
		return 0;
	return 1u << 31 | (strcmp(v->note.cause, "timer") ? RESCHEDULE_VECTOR : LOCAL_TIMER_VECTOR);
}

/* The guest's LAPIC timer expired (on the host hrtimer or the
 * VMX-preemption timer): KVM delivers its LVTT vector (apic_timer_expired ->
 * __apic_accept_irq), which traces kvm_apic_accept_irq. */
static void timer_accept(FILE *f, const struct vcpu *v, uint64_t ts)
{
	if (!v->note.cause || (strcmp(v->note.cause, "timer") && strcmp(v->note.cause, "preemption_timer")))
		return;
	head(f, v, ts);
	fprintf(f, "kvm_apic_accept_irq: apicid %x vec %u (Fixed|edge)\n", v->id,
		pc_irq_timer_vector(v->set->pc, v->id));
}

/* ---- dirty logging's write-protection faults (cpu/xlate.c dirty_fill) ----
 * What KVM traces for one (a write to a present page whose stage-2 entry
 * lost its write permission when the round began), with the fields replay
 * recognises it by (traces/replay.c, docs/architecture.md "Replay"). */

/* EPT-violation qualification (SDM Vol. 3C Table 28-7): a data write [1]
 * to a readable, executable, not writable entry [5:3], at the translation
 * of a valid guest-linear address [8:7]. */
static uint64_t wp_qual(void)
{
	uint64_t q = FIELD_DP(0, EPTQ, WRITE, 1);
	q = FIELD_DP(q, EPTQ, RWX, 5);
	q = FIELD_DP(q, EPTQ, GLA_VALID, 1);
	return FIELD_DP(q, EPTQ, GLA_XLAT, 1);
}

/* KVM's EPT SPTE of a 4K page write-protected for dirty logging: R and X,
 * WB with IPAT, accessed, and KVM's software bits SPTE_MMU_PRESENT (11),
 * HOST_WRITABLE (57) and MMU_WRITABLE (58) (arch/x86/kvm/mmu/spte.h): the
 * fast path may make it writable again. */
static uint64_t wp_spte(uint64_t gpa)
{
	uint64_t e = FIELD_DP(0, EPTE, RWX, 5);
	e = FIELD_DP(e, EPTE, MT, EPT_MT_WB);
	e = FIELD_DP(e, EPTE, IPAT, 1);
	e = FIELD_DP(e, EPTE, A, 1);
	return e | 1ull << 11 | 1ull << 57 | 1ull << 58 | (gpa & FIELD_MASK(EPTE, ADDR));
}

/* kvm_page_fault (its error_code is the exit qualification on VMX) and
 * kvmmmu:fast_page_fault fixing it: error code P|W, new = old + W. */
static void x86_wp_fault(FILE *f, const struct vcpu *v, uint64_t ts)
{
	uint64_t gpa = v->note.fault_gpa, old = wp_spte(gpa);
	head(f, v, ts);
	fprintf(f, "kvm_page_fault: vcpu %u rip 0x%" PRIx64 " address 0x%016" PRIx64 " error_code 0x%" PRIx64 "\n",
		v->id, v->note.pc, gpa, wp_qual());
	head(f, v, ts);
	fprintf(f, "fast_page_fault: vcpu %u gva %" PRIx64 " error_code P|W sptep %016" PRIx64 " old %#" PRIx64
		" new %" PRIx64 " spurious 0 fixed 1\n", v->id, gpa, gpa >> 12 << 3, old,
		FIELD_DP(old, EPTE, W, 1));
}

/* kvm_guest_fault (ESR_EL2: DABT_LOW, IL, WnR, DFSC permission fault level
 * 3; HPFAR's page of the IPA; FAR) and kvm_dirty_ring_push: the page goes
 * to the vCPU's dirty ring (slot 0 is guest RAM), which is what makes the
 * fault a dirty-logging one in a trace (replay); its indices count the
 * dirty model's pages (over the VM) since the start and at the last round's end. */
static void a64_wp_fault(FILE *f, const struct vcpu *v, uint64_t ts)
{
	uint32_t esr = (uint32_t)EC_DABT_LOW << ESR_EC_SHIFT | ESR_IL;
	esr = (uint32_t)FIELD_DP(esr, VMSA_ISS, FSC, 0x0f);	/* permission fault, level 3 */
	esr = (uint32_t)FIELD_DP(esr, VMSA_ISS, WNR, 1);
	const struct dirty *d = &v->set->xvm.dirty;
	uint64_t gpa = v->note.fault_gpa;
	uint32_t dirty = (uint32_t)(d->total.pages + d->round.pages), reset = (uint32_t)d->total.pages;
	head(f, v, ts);
	fprintf(f, "kvm_guest_fault: ipa %#" PRIx64 ", hsr %#08" PRIx32 ", hxfar %#08" PRIx64 ", pc %#016" PRIx64 "\n",
		gpa >> 12 << 12, esr, v->note.fault_va, v->note.pc);
	head(f, v, ts);
	fprintf(f, "kvm_dirty_ring_push: ring %u: dirty 0x%x reset 0x%x slot 0 offset 0x%" PRIx64 " (used %u)\n", v->id,
		dirty, reset, (gpa - d->base) >> 12, dirty - reset);
}

/* x86: kvm_exit with the qualification as info1, then the companions. */
static void x86_exit(FILE *f, struct vcpu *v, unsigned x, uint64_t ts, bool user)
{
	const char *name = v->set->exit_names[x];
	head(f, v, ts);
	fprintf(f, "kvm_exit: vcpu %u reason %s rip 0x%" PRIx64 " info1 0x%016" PRIx64
		" info2 0x0000000000000000 intr_info 0x%08" PRIx32 " error_code 0x00000000\n", v->id, name, v->note.pc,
		v->note.wp_fault ? wp_qual() : v->note.syndrome, ext_intr_info(v, name));
	timer_accept(f, v, ts);
	if (v->note.wp_fault) {
		x86_wp_fault(f, v, ts);
	} else if (!strcmp(name, "PML_FULL")) {   /* handle_pml_full */
		head(f, v, ts);
		fprintf(f, "kvm_pml_full: vcpu %u: PML full\n", v->id);
	} else if (!strcmp(name, "MSR_READ") || !strcmp(name, "MSR_WRITE")) {
		bool w = name[4] == 'W';
		uint64_t val = w ? (uint32_t)reg(v, UC_X86_REG_RAX) | reg(v, UC_X86_REG_RDX) << 32 : 0;
		head(f, v, ts);
		fprintf(f, "kvm_msr: msr_%s %" PRIx32 " = 0x%" PRIx64 "\n", w ? "write" : "read",
			(uint32_t)reg(v, UC_X86_REG_RCX), val);
	} else if (!strcmp(name, "IO_INSTRUCTION")) {
		/* Table 28-5: size-1 [2:0], IN [3], port [31:16] */
		uint64_t q = v->note.syndrome;
		unsigned size = (unsigned)(q & 7) + 1;
		head(f, v, ts);
		fprintf(f, "kvm_pio: pio_%s at 0x%" PRIx64 " size %u count 1 val 0x%" PRIx64 "\n",
			q >> 3 & 1 ? "read" : "write", q >> 16 & 0xffff, size,
			reg(v, UC_X86_REG_RAX) & (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1));
	} else {
		mmio(f, v, ts);
	}
	if (user) {
		unsigned k = !strcmp(name, "IO_INSTRUCTION") ? KVM_EXIT_IO
			     : !strcmp(name, "TRIPLE_FAULT") ? KVM_EXIT_SHUTDOWN : KVM_EXIT_MMIO;
		user_exit(f, v, ts, k);
	}
}

/* An IRQ exit that kicked the vCPU for a passed-through device's MSI under
 * GICv3: on a KVM host that is the VFIO handler of the device's physical
 * interrupt (vfio_msihandler, "vfio-msix[vector](device)"), which the irq
 * subsystem traces; hvsim's host IRQ number is the device's DeviceID and
 * EventID (irq = DeviceID << 8 | EventID). */
static void device_msi(FILE *f, struct vcpu *v, uint64_t ts)
{
	uint32_t devid, event;
	if (!v->set->virt || !virt_irq_kick_msi(v->set->virt, v->id, &devid, &event))
		return;
	head(f, v, ts);
	fprintf(f, "irq_handler_entry: irq=%u name=vfio-msix[%u](hvsim:%04x)\n", devid << 8 | (event & 0xff), event,
		devid);
}

/* The kvm_entry of a WFI exit, once the vCPU runs again: a KVM host does
 * the blocking WFI's GICv4 residency work (vgic_v4_put/load) inside the
 * exit, and a device MSI taken while the vCPU waits in the hypervisor (its
 * wake-up under GICv3: VFIO handler, irqfd, kick) shows in the vCPU's
 * thread before the entry, as KVM's halt polling takes it. */
static void wait_entry(FILE *f, struct vcpu *v)
{
	uint32_t devid = 0, event = 0;
	cycles_t res = 0;
	bool msi = v->set->virt && virt_irq_wait_note(v->set->virt, v->id, &devid, &event, &res);
	if (!v->exp_wait.pending)
		return;
	v->exp_wait.pending = false;
	if (msi) {
		head(f, v, v->exp_wait.exit_ts);
		fprintf(f, "irq_handler_entry: irq=%u name=vfio-msix[%u](hvsim:%04x)\n", devid << 8 | (event & 0xff),
			event, devid);
	}
	head(f, v, v->exp_wait.entry_ts + res);
	fprintf(f, "kvm_entry: PC: 0x%016" PRIx64 "\n", v->exp_wait.pc);
}

/* arm64: kvm_exit with the type and EC, then the companions. */
static void a64_exit(FILE *f, struct vcpu *v, unsigned x, uint64_t ts, bool user)
{
	uint32_t esr = (uint32_t)v->note.syndrome;
	unsigned ec = esr ? ESR_EC(esr) : (x < EL2X_COUNT ? (unsigned)el2_exit_ec(x) : 0);
	const char *ecn = esr_ec_name(ec);
	head(f, v, ts);
	if (x == EL2X_IRQ) {
		fprintf(f, "kvm_exit: IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0x%016" PRIx64 "\n", v->note.pc);
		device_msi(f, v, ts);
	} else {
		fprintf(f, "kvm_exit: TRAP: HSR_EC: 0x%04x (%s), PC: 0x%016" PRIx64 "\n", ec, ecn ? ecn : "UNKNOWN",
			v->note.pc);
	}
	if (v->note.lrs) {   /* no KVM event says it; the exit's cost depends on it */
		unsigned dev = v->set->virt ? virt_irq_saved_device_lpis(v->set->virt, v->id) : 0;
		head(f, v, ts);
		fprintf(f, "tracing_mark_write: hvsim: vgic lrs %u", v->note.lrs);
		fprintf(f, dev ? " device %u\n" : "\n", dev);   /* LPIs of a passed-through device */
	}
	if (v->note.wp_fault) {
		a64_wp_fault(f, v, ts);
	} else if (ec == EC_WFX && x != EL2X_IRQ) {
		head(f, v, ts);
		fprintf(f, "kvm_wfx_arm64: guest executed %s at: 0x%016" PRIx64 "\n", esr & ISS_WFX_TI_WFE ? "wfe" : "wfi",
			v->note.pc);
	} else if (ec == EC_SYS64 && x != EL2X_IRQ) {
		/* ISS of SYS64: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], CRm [4:1], read [0] */
		head(f, v, ts);
		fprintf(f, "kvm_sys_access: PC: %" PRIx64 " sysreg (%u,%u,%u,%u,%u) %s\n", v->note.pc, esr >> 20 & 3,
			esr >> 14 & 7, esr >> 10 & 15, esr >> 1 & 15, esr >> 17 & 7, esr & 1 ? "read" : "write");
	} else if (x != EL2X_IRQ) {
		mmio(f, v, ts);
	}
	if (user)
		user_exit(f, v, ts, KVM_EXIT_MMIO);
}

int export_open(struct vcpus *s, const char *path, const char *what)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		err_set("%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	s->exp = f;
	s->exp_user_part = COST_PARTS_MAX;
	for (unsigned p = 0; p < s->nparts; p++)
		if (!strcmp(s->part_names[p], "user"))
			s->exp_user_part = p;
	fprintf(f, "# tracer: nop\n#\n# hvsim run --trace-out: %s, %u vCPUs; timestamps: vCPU clock in cycles\n#\n", what,
		s->n);
	if (s->n) {
		head(f, s->v[0], 0);
		fprintf(f, "tracing_mark_write: hvsim: start of run\n");
	}
	return 0;
}

void export_exit(struct vcpu *v, unsigned x, const struct cost *c)
{
	struct vcpus *s = v->set;
	FILE *f = s->exp;
	uint64_t ts = v->sc.clock;
	bool user = s->exp_user_part < COST_PARTS_MAX && c->part[s->exp_user_part];
	if (s->pc)
		x86_exit(f, v, x, ts, user);
	else {
		wait_entry(f, v);
		a64_exit(f, v, x, ts, user);
	}
	if (!s->pc && x == EL2X_WFX && !(v->note.syndrome & ISS_WFX_TI_WFE)) {
		v->exp_wait.pending = true;
		v->exp_wait.exit_ts = ts;
		v->exp_wait.entry_ts = ts + cost_total(c);
		v->exp_wait.pc = v->note.pc;
		v->note = (struct vcpu_exit_note){ 0 };
		return;
	}
	head(f, v, ts + cost_total(c));
	if (s->pc)
		fprintf(f, "kvm_entry: vcpu %u, rip 0x%" PRIx64 "\n", v->id, v->note.pc);
	else
		fprintf(f, "kvm_entry: PC: 0x%016" PRIx64 "\n", v->note.pc);
	v->note = (struct vcpu_exit_note){ 0 };
}

int export_close(struct vcpus *s)
{
	FILE *f = s->exp;
	if (!f)
		return 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (!s->pc)
			wait_entry(f, s->v[i]);
		head(f, s->v[i], s->v[i]->sc.clock);
		fprintf(f, "tracing_mark_write: hvsim: end of run\n");
	}
	int rc = ferror(f) ? -1 : 0;
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
		rc = -1;
	s->exp = NULL;
	if (rc < 0)
		err_set("cannot write the exported trace");
	return rc;
}
