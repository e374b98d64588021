/* The exit decision: one handler per guest event kind, each a summary of
 * its rule in SDM Vol. 3C ch. 26 (instructions 26.1, events 26.2, windows
 * 26.7.5-6, preemption timer 26.5.1, APIC virtualization ch. 30) and the
 * VM-exit information it leaves (ch. 28).  See vmx.h. */
#include "cpu/vmx.h"

typedef bool decide_fn(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x);

static bool take(struct vmx_exit_info *x, unsigned reason, const char *cause)
{
	x->exit = true;
	x->reason = (uint16_t)reason;
	x->cause = cause;
	return true;
}

static bool stay(struct vmx_exit_info *x, const char *cause)
{
	x->exit = false;
	x->cause = cause;
	return false;
}

/* An instruction that exits when control bit `bit` of `word` is 1 */
static bool on_control(struct vmx_exit_info *x, uint32_t word, uint32_t bit, unsigned reason, const char *name)
{
	return word & bit ? take(x, reason, name) : stay(x, name);
}

/* Events decided by one control bit alone, or by none (bit 0:
 * unconditional, 26.1.2); the rest of 26.1.3 has handlers of its own. */
static const struct {
	enum vmx_event_kind kind;
	bool secondary;          /* bit of the secondary controls, else of the primary */
	uint32_t bit;
	uint16_t reason;
	const char *name;
} simple[] = {
	{ VMX_EV_CPUID,   false, 0, EXIT_REASON_CPUID, "unconditional" },
	{ VMX_EV_INVD,    false, 0, EXIT_REASON_INVD, "unconditional" },
	{ VMX_EV_VMCALL,  false, 0, EXIT_REASON_VMCALL, "unconditional" },
	{ VMX_EV_XSETBV,  false, 0, EXIT_REASON_XSETBV, "unconditional" },
	{ VMX_EV_GETSEC,  false, 0, EXIT_REASON_GETSEC, "unconditional" },
	{ VMX_EV_INIT,    false, 0, EXIT_REASON_INIT_SIGNAL, "unconditional" },
	{ VMX_EV_TRIPLE_FAULT, false, 0, EXIT_REASON_TRIPLE_FAULT, "unconditional" },
	{ VMX_EV_HLT,     false, CPU_BASED_HLT_EXITING, EXIT_REASON_HLT, "HLT_EXITING" },
	{ VMX_EV_INVLPG,  false, CPU_BASED_INVLPG_EXITING, EXIT_REASON_INVLPG, "INVLPG_EXITING" },
	{ VMX_EV_RDPMC,   false, CPU_BASED_RDPMC_EXITING, EXIT_REASON_RDPMC, "RDPMC_EXITING" },
	{ VMX_EV_RDTSC,   false, CPU_BASED_RDTSC_EXITING, EXIT_REASON_RDTSC, "RDTSC_EXITING" },
	{ VMX_EV_MWAIT,   false, CPU_BASED_MWAIT_EXITING, EXIT_REASON_MWAIT_INSTRUCTION, "MWAIT_EXITING" },
	{ VMX_EV_MONITOR, false, CPU_BASED_MONITOR_EXITING, EXIT_REASON_MONITOR_INSTRUCTION, "MONITOR_EXITING" },
	/* PAUSE-loop exiting needs a PLE window clock: not modelled */
	{ VMX_EV_PAUSE,   false, CPU_BASED_PAUSE_EXITING, EXIT_REASON_PAUSE_INSTRUCTION, "PAUSE_EXITING" },
	{ VMX_EV_WBINVD,  true, SECONDARY_EXEC_WBINVD_EXITING, EXIT_REASON_WBINVD, "WBINVD_EXITING" },
	{ VMX_EV_RDRAND,  true, SECONDARY_EXEC_RDRAND_EXITING, EXIT_REASON_RDRAND, "RDRAND_EXITING" },
	{ VMX_EV_RDSEED,  true, SECONDARY_EXEC_RDSEED_EXITING, EXIT_REASON_RDSEED, "RDSEED_EXITING" },
	{ VMX_EV_PML_FULL, true, SECONDARY_EXEC_ENABLE_PML, EXIT_REASON_PML_FULL, "ENABLE_PML" },
};

static bool d_simple(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	for (unsigned i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		if (simple[i].kind != e->kind)
			continue;
		if (!simple[i].bit)
			return take(x, simple[i].reason, simple[i].name);
		return on_control(x, simple[i].secondary ? vmx_secondary(m) : vmx_primary(m), simple[i].bit,
				  simple[i].reason, simple[i].name);
	}
	return stay(x, "unknown event");
}

/* INVLPG: the qualification is the linear-address operand (Table 28-1) */
static bool d_invlpg(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	x->qual = e->invlpg.addr;
	return d_simple(m, e, x);
}

/* RDTSCP: #UD unless "enable RDTSCP"; then RDTSC exiting decides */
static bool d_rdtscp(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (!(vmx_secondary(m) & SECONDARY_EXEC_ENABLE_RDTSCP)) {
		x->ud = true;
		return stay(x, "ENABLE_RDTSCP");
	}
	return on_control(x, vmx_primary(m), CPU_BASED_RDTSC_EXITING, EXIT_REASON_RDTSCP, "RDTSC_EXITING");
}

/* INVPCID: #UD unless "enable INVPCID"; then INVLPG exiting decides (Table C-1, 58) */
static bool d_invpcid(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (!(vmx_secondary(m) & SECONDARY_EXEC_ENABLE_INVPCID)) {
		x->ud = true;
		return stay(x, "ENABLE_INVPCID");
	}
	return on_control(x, vmx_primary(m), CPU_BASED_INVLPG_EXITING, EXIT_REASON_INVPCID, "INVLPG_EXITING");
}

static bool d_desc(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	return on_control(x, vmx_secondary(m), SECONDARY_EXEC_DESC,
			  e->desc.gdtr_idtr ? EXIT_REASON_GDTR_IDTR : EXIT_REASON_LDTR_TR, "DESC_EXITING");
}

/* ---- I/O (26.1.3): with "use I/O bitmaps" the bitmaps decide and
 * unconditional I/O exiting is ignored; an access exits if the bit of any
 * port it touches is 1, and always if it wraps past FFFFH. ---- */
static bool io_bitmap_hit(const struct vmx_model *m, uint16_t port, unsigned size)
{
	if ((unsigned)port + size - 1 > 0xffff)
		return true;
	for (unsigned p = port; p < (unsigned)port + size; p++)
		if (m->io_bitmap[p >> 15][(p & 0x7fff) / 8] & (1u << (p % 8)))
			return true;
	return false;
}

static bool d_io(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	uint32_t p = vmx_primary(m);
	unsigned size = e->io.size ? e->io.size : 1;
	x->qual = vmx_qual_io(e->io.port, size, e->io.in, e->io.string, e->io.rep, e->io.imm);
	if (p & CPU_BASED_USE_IO_BITMAPS)
		return io_bitmap_hit(m, e->io.port, size) ? take(x, EXIT_REASON_IO_INSTRUCTION, "USE_IO_BITMAPS")
							  : stay(x, "USE_IO_BITMAPS");
	return on_control(x, p, CPU_BASED_UNCOND_IO_EXITING, EXIT_REASON_IO_INSTRUCTION, "UNCOND_IO_EXITING");
}

/* ---- RDMSR/WRMSR (26.1.3): without MSR bitmaps every access exits; with
 * them, MSRs outside both ranges always exit ---- */
static bool d_msr(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	bool write = e->kind == VMX_EV_MSR_WRITE;
	unsigned reason = write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ;
	if (!(vmx_primary(m) & CPU_BASED_USE_MSR_BITMAPS))
		return take(x, reason, "no USE_MSR_BITMAPS");
	uint32_t msr = e->msr.msr;
	int q = msr <= 0x1fff ? 0 : msr >= 0xc0000000u && msr <= 0xc0001fffu ? 1024 : -1;
	if (q < 0)
		return take(x, reason, "MSR outside the bitmap ranges");
	unsigned n = msr & 0x1fff;
	bool hit = m->msr_bitmap[(write ? 2048 : 0) + q + n / 8] & (1u << (n % 8));
	return hit ? take(x, reason, "USE_MSR_BITMAPS") : stay(x, "USE_MSR_BITMAPS");
}

/* ---- control registers (26.1.3) ---- */
static bool cr_guest_host(const struct vmx_model *m, unsigned cr, uint64_t value)
{
	uint32_t mask_enc = cr == 0 ? VMCS_CR0_GUEST_HOST_MASK : VMCS_CR4_GUEST_HOST_MASK;
	uint32_t shadow_enc = cr == 0 ? VMCS_CR0_READ_SHADOW : VMCS_CR4_READ_SHADOW;
	return ((value ^ vmcs_get(&m->vmcs, shadow_enc)) & vmcs_get(&m->vmcs, mask_enc)) != 0;
}

/* MOV to CR3 does not exit when the value is one of the first
 * CR3_TARGET_COUNT target values */
static bool cr3_target(const struct vmx_model *m, uint64_t value)
{
	uint64_t n = vmcs_get(&m->vmcs, VMCS_CR3_TARGET_COUNT);
	for (unsigned i = 0; i < n && i < 4; i++)
		if (vmcs_get(&m->vmcs, VMCS_CR3_TARGET_VALUE0 + 2 * i) == value)
			return true;
	return false;
}

/* CLTS: exits if CR0.TS is host-owned and its read shadow is 1.  LMSW:
 * exits if it would set a host-owned PE whose shadow is 0, or change a
 * host-owned MP/EM/TS from its shadow. */
static bool clts_lmsw_exit(const struct vmx_model *m, const struct vmx_event *e)
{
	uint64_t mask = vmcs_get(&m->vmcs, VMCS_CR0_GUEST_HOST_MASK), shadow = vmcs_get(&m->vmcs, VMCS_CR0_READ_SHADOW);
	if (e->cr.type == VMX_CR_CLTS)
		return mask & shadow & 8;
	uint64_t src = e->cr.value & 0xf;
	return (mask & 1 && src & 1 && !(shadow & 1)) || ((src ^ shadow) & mask & 0xe);
}

static bool mov_cr_exit(const struct vmx_model *m, const struct vmx_event *e, const char **cause)
{
	uint32_t p = vmx_primary(m);
	bool to = e->cr.type == VMX_CR_MOV_TO;
	switch (e->cr.cr) {
	case 0:
	case 4:
		*cause = e->cr.cr ? "CR4_GUEST_HOST_MASK" : "CR0_GUEST_HOST_MASK";
		return to && cr_guest_host(m, e->cr.cr, e->cr.value);
	case 3:
		*cause = to ? "CR3_LOAD_EXITING" : "CR3_STORE_EXITING";
		return to ? p & CPU_BASED_CR3_LOAD_EXITING && !cr3_target(m, e->cr.value) : p & CPU_BASED_CR3_STORE_EXITING;
	case 8:
		*cause = to ? "CR8_LOAD_EXITING" : "CR8_STORE_EXITING";
		return p & (to ? CPU_BASED_CR8_LOAD_EXITING : CPU_BASED_CR8_STORE_EXITING);
	}
	*cause = "no such control register (#UD)";
	return false;
}

/* MOV to CR8 that does not exit, with "use TPR shadow" and no virtual-
 * interrupt delivery, writes VTPR and causes a trap-like exit when
 * VTPR[7:4] drops below TPR_THRESHOLD[3:0] (SDM 30.1.2) */
static bool tpr_below_threshold(const struct vmx_model *m, const struct vmx_event *e)
{
	if (e->cr.cr != 8 || e->cr.type != VMX_CR_MOV_TO || !(vmx_primary(m) & CPU_BASED_TPR_SHADOW) ||
	    vmx_secondary(m) & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)
		return false;
	return (e->cr.value & 0xf) < (vmcs_get(&m->vmcs, VMCS_TPR_THRESHOLD) & 0xf);
}

static bool d_cr(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	const char *cause = "CR0_GUEST_HOST_MASK";
	bool ex = e->cr.type == VMX_CR_CLTS || e->cr.type == VMX_CR_LMSW ? clts_lmsw_exit(m, e) : mov_cr_exit(m, e, &cause);
	x->qual = vmx_qual_cr(e->cr.cr, e->cr.type, e->cr.gpr, e->cr.lmsw_mem, (uint16_t)e->cr.value);
	if (ex)
		return take(x, EXIT_REASON_CR_ACCESS, cause);
	if (tpr_below_threshold(m, e)) {
		x->qual = 0;
		return take(x, EXIT_REASON_TPR_BELOW_THRESHOLD, "TPR_SHADOW");
	}
	return stay(x, cause);
}

static bool d_dr(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	x->qual = vmx_qual_dr(e->dr.dr, e->dr.from_dr, e->dr.gpr);
	return on_control(x, vmx_primary(m), CPU_BASED_MOV_DR_EXITING, EXIT_REASON_DR_ACCESS, "MOV_DR_EXITING");
}

/* ---- exceptions and interrupts (26.2) ---- */
/* #PF: with exception-bitmap bit 14 set, exit iff (PFEC & MASK) == MATCH;
 * with it clear, exit iff they differ (25.6.3) */
static bool exception_exits(const struct vmx_model *m, const struct vmx_event *e)
{
	bool bit = vmcs_get(&m->vmcs, VMCS_EXCEPTION_BITMAP) >> (e->exc.vector & 31) & 1;
	if (e->exc.vector != 14)
		return e->exc.vector < 32 && bit;
	uint64_t mask = vmcs_get(&m->vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MASK);
	bool match = (e->exc.error & mask) == vmcs_get(&m->vmcs, VMCS_PAGE_FAULT_ERROR_CODE_MATCH);
	return bit ? match : !match;
}

static bool d_exception(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (!exception_exits(m, e))
		return stay(x, "EXCEPTION_BITMAP");
	enum vmx_intr_type t = e->exc.type == VMX_INTR_SOFT_EXC || e->exc.type == VMX_INTR_PRIV_SW_EXC ? e->exc.type
												 : VMX_INTR_HW_EXC;
	x->intr_info = vmx_intr_info(e->exc.vector, t, e->exc.has_error);
	x->intr_error = e->exc.has_error ? e->exc.error : 0;
	x->qual = e->exc.vector == 14 ? e->exc.cr2 : 0;   /* #PF: the faulting linear address (Table 28-1) */
	x->insn_len = t == VMX_INTR_HW_EXC ? 0 : e->insn_len;
	return take(x, EXIT_REASON_EXCEPTION_NMI, "EXCEPTION_BITMAP");
}

/* External interrupts exit whatever RFLAGS.IF, unless blocked for another
 * reason, by STI or MOV SS (26.3): they stay pending.  "Acknowledge
 * interrupt on exit" puts the vector in the exit interruption information
 * (28.2.2). */
static bool d_ext_intr(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (!(vmx_pin(m) & PIN_BASED_EXT_INTR_MASK))
		return stay(x, "EXT_INTR_EXITING");
	if (e->guest.interruptibility & (VMX_INTR_STATE_STI | VMX_INTR_STATE_MOV_SS))
		return stay(x, "blocked by STI or MOV SS");
	if (vmx_exit_ctls(m) & VM_EXIT_ACK_INTR_ON_EXIT)
		x->intr_info = vmx_intr_info(e->intr.vector, VMX_INTR_EXT, false);
	return take(x, EXIT_REASON_EXTERNAL_INTERRUPT, "EXT_INTR_EXITING");
}

/* An NMI exits unless blocked by MOV SS, or by NMI blocking when virtual
 * NMIs are off (with them on, bit 3 is virtual-NMI blocking, which real
 * NMIs ignore; 26.3) */
static bool d_nmi(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	uint32_t pin = vmx_pin(m), is = e->guest.interruptibility;
	if (!(pin & PIN_BASED_NMI_EXITING))
		return stay(x, "NMI_EXITING");
	if (is & VMX_INTR_STATE_MOV_SS || (is & VMX_INTR_STATE_NMI && !(pin & PIN_BASED_VIRTUAL_NMIS)))
		return stay(x, "blocked by MOV SS or NMI");
	x->intr_info = vmx_intr_info(2, VMX_INTR_NMI, false);
	return take(x, EXIT_REASON_EXCEPTION_NMI, "NMI_EXITING");
}

/* SIPI exits only in the wait-for-SIPI state; the qualification is its vector */
static bool d_sipi(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (e->guest.activity != VMX_ACTIVITY_WAIT_SIPI)
		return stay(x, "not waiting for SIPI");
	x->qual = e->intr.vector;
	return take(x, EXIT_REASON_SIPI_SIGNAL, "wait-for-SIPI");
}

/* ---- windows (26.7.5, 26.7.6): they wake HLT and shutdown, never wait-for-SIPI ---- */
static bool d_intr_window(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	const struct vmx_guest *g = &e->guest;
	if (!(vmx_primary(m) & CPU_BASED_INTR_WINDOW_EXITING))
		return stay(x, "INTR_WINDOW_EXITING");
	if (!(g->rflags & X86_RFLAGS_IF) || g->interruptibility & (VMX_INTR_STATE_STI | VMX_INTR_STATE_MOV_SS) ||
	    g->activity == VMX_ACTIVITY_WAIT_SIPI)
		return stay(x, "interrupt window closed");
	return take(x, EXIT_REASON_INTERRUPT_WINDOW, "INTR_WINDOW_EXITING");
}

/* IMPLEMENTATION DEFINED: blocking by STI also holds the NMI window shut,
 * as on processors where STI blocks NMIs (Table 25-3) and as KVM assumes. */
static bool d_nmi_window(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	const struct vmx_guest *g = &e->guest;
	if (!(vmx_primary(m) & CPU_BASED_NMI_WINDOW_EXITING))
		return stay(x, "NMI_WINDOW_EXITING");
	if (g->interruptibility & (VMX_INTR_STATE_NMI | VMX_INTR_STATE_MOV_SS | VMX_INTR_STATE_STI) ||
	    g->activity == VMX_ACTIVITY_WAIT_SIPI)
		return stay(x, "NMI window closed");
	return take(x, EXIT_REASON_NMI_WINDOW, "NMI_WINDOW_EXITING");
}

/* The timer does not count in wait-for-SIPI (26.5.1) */
static bool d_preemption(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (!(vmx_pin(m) & PIN_BASED_VMX_PREEMPTION_TIMER))
		return stay(x, "VMX_PREEMPTION_TIMER");
	if (e->guest.activity == VMX_ACTIVITY_WAIT_SIPI)
		return stay(x, "timer stopped in wait-for-SIPI");
	return take(x, EXIT_REASON_PREEMPTION_TIMER, "VMX_PREEMPTION_TIMER");
}

/* ---- APIC virtualization (ch. 30) ---- */
static bool d_apic_access(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (!(vmx_secondary(m) & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES))
		return stay(x, "VIRTUALIZE_APIC_ACCESSES off: an ordinary memory access");
	if (e->apic.virtualized)
		return stay(x, "virtualized by apic/");
	x->qual = vmx_qual_apic_access(e->apic.offset, e->apic.type, e->apic.async);
	return take(x, EXIT_REASON_APIC_ACCESS, "VIRTUALIZE_APIC_ACCESSES");
}

/* APIC-write emulation is trap-like; without APIC-register virtualization
 * and virtual-interrupt delivery a write to the page is an APIC access instead */
static bool d_apic_write(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	uint32_t s = vmx_secondary(m);
	if (s & (SECONDARY_EXEC_APIC_REGISTER_VIRT | SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY)) {
		x->qual = e->apic.offset & 0xfff;
		return take(x, EXIT_REASON_APIC_WRITE, "APIC_REGISTER_VIRT");
	}
	struct vmx_event a = *e;
	a.kind = VMX_EV_APIC_ACCESS;
	a.apic.type = VMX_APIC_LINEAR_WRITE;
	a.apic.virtualized = false;
	return d_apic_access(m, &a, x);
}

/* EOI virtualization: exits if the vector's EOI-exit bitmap bit is 1 (30.1.3) */
static bool d_eoi(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	if (!(vmx_secondary(m) & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY))
		return stay(x, "VIRTUAL_INTR_DELIVERY off: EOI is an APIC write");
	unsigned v = e->intr.vector;
	if (!(vmcs_get(&m->vmcs, VMCS_EOI_EXIT_BITMAP0 + 2 * (v / 64)) >> (v % 64) & 1))
		return stay(x, "EOI_EXIT_BITMAP");
	x->qual = v;
	return take(x, EXIT_REASON_EOI_INDUCED, "EOI_EXIT_BITMAP");
}

static bool d_tpr(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	return on_control(x, vmx_primary(m), CPU_BASED_TPR_SHADOW, EXIT_REASON_TPR_BELOW_THRESHOLD, "TPR_SHADOW");
}

/* ---- translation: mmu/ found the fault ---- */
static bool d_ept_violation(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	x->qual = e->ept.qual;
	x->gpa = e->ept.gpa;
	x->gla = e->ept.qual & EPT_VIOLATION_GVA_IS_VALID ? e->ept.gla : 0;
	return take(x, EXIT_REASON_EPT_VIOLATION, "ENABLE_EPT");
}

static bool d_ept_misconfig(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *x)
{
	x->gpa = e->ept.gpa;
	return take(x, EXIT_REASON_EPT_MISCONFIG, "ENABLE_EPT");
}

static decide_fn *const handlers[VMX_EV_COUNT] = {
	[VMX_EV_CPUID] = d_simple, [VMX_EV_INVD] = d_simple, [VMX_EV_VMCALL] = d_simple,
	[VMX_EV_XSETBV] = d_simple, [VMX_EV_GETSEC] = d_simple,
	[VMX_EV_HLT] = d_simple, [VMX_EV_INVLPG] = d_invlpg, [VMX_EV_RDPMC] = d_simple, [VMX_EV_RDTSC] = d_simple,
	[VMX_EV_RDTSCP] = d_rdtscp, [VMX_EV_MWAIT] = d_simple, [VMX_EV_MONITOR] = d_simple,
	[VMX_EV_PAUSE] = d_simple, [VMX_EV_WBINVD] = d_simple, [VMX_EV_RDRAND] = d_simple,
	[VMX_EV_RDSEED] = d_simple, [VMX_EV_INVPCID] = d_invpcid, [VMX_EV_DESC] = d_desc,
	[VMX_EV_IO] = d_io, [VMX_EV_MSR_READ] = d_msr, [VMX_EV_MSR_WRITE] = d_msr,
	[VMX_EV_CR] = d_cr, [VMX_EV_DR] = d_dr,
	[VMX_EV_EXCEPTION] = d_exception, [VMX_EV_EXT_INTR] = d_ext_intr, [VMX_EV_NMI] = d_nmi,
	[VMX_EV_INIT] = d_simple, [VMX_EV_SIPI] = d_sipi, [VMX_EV_TRIPLE_FAULT] = d_simple,
	[VMX_EV_INTR_WINDOW] = d_intr_window, [VMX_EV_NMI_WINDOW] = d_nmi_window,
	[VMX_EV_PREEMPTION_TIMER] = d_preemption,
	[VMX_EV_APIC_ACCESS] = d_apic_access, [VMX_EV_APIC_WRITE] = d_apic_write, [VMX_EV_EOI] = d_eoi,
	[VMX_EV_TPR_BELOW_THRESHOLD] = d_tpr,
	[VMX_EV_EPT_VIOLATION] = d_ept_violation, [VMX_EV_EPT_MISCONFIG] = d_ept_misconfig,
	[VMX_EV_PML_FULL] = d_simple,
};

/* Instruction exits report the instruction's length (28.2.4) */
static bool is_instruction(enum vmx_event_kind k)
{
	return k <= VMX_EV_DR;
}

bool vmx_decide(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *out)
{
	*out = (struct vmx_exit_info){ 0 };
	if ((unsigned)e->kind >= VMX_EV_COUNT || !handlers[e->kind])
		return stay(out, "unknown event");
	if (is_instruction(e->kind))
		out->insn_len = e->insn_len;
	return handlers[e->kind](m, e, out);
}

void vmx_record_exit(struct vmcs *v, const struct vmx_exit_info *x)
{
	vmcs_set(v, VMCS_VM_EXIT_REASON, x->reason);
	vmcs_set(v, VMCS_EXIT_QUALIFICATION, x->qual);
	vmcs_set(v, VMCS_GUEST_LINEAR_ADDRESS, x->gla);
	vmcs_set(v, VMCS_GUEST_PHYSICAL_ADDRESS, x->gpa);
	vmcs_set(v, VMCS_VM_EXIT_INTR_INFO, x->intr_info);
	vmcs_set(v, VMCS_VM_EXIT_INTR_ERROR_CODE, x->intr_error);
	vmcs_set(v, VMCS_VM_EXIT_INSTRUCTION_LEN, x->insn_len);
}
