/* AArch64 front end: the guest runs at EL1/EL0 in Unicorn; hvsim plays EL2.
 * Unicorn 2.0.1 delivers no exception to the guest (TOOLCHAIN-NOTES): every
 * one arrives at UC_HOOK_INTR, and hvsim either handles it as a trap to EL2
 * (a VM exit) or performs the EL1 exception entry itself. */
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/field.h"
#include "core/log.h"
#include "cpu/vcpu.h"
#include "mmu/vmsa.h"
#include "platform/hvsim-abi.h"
#include "platform/semihost.h"
#include "platform/virt.h"

/* Unicorn's intno for AArch64 (QEMU EXCP_*) */
enum { EXCP_UDEF = 1, EXCP_SWI = 2, EXCP_PREFETCH_ABORT = 3, EXCP_DATA_ABORT = 4,
       EXCP_BKPT = 7, EXCP_HVC = 11, EXCP_SMC = 13 };

#define A64_WFI      0xd503207fu
#define PSTATE_EL1H_MASKED 0x3c5u    /* EL1h, D A I F set */
/* Cortex-A72 ID_AA64MMFR0_EL1.PARange = 0b0100: 44-bit PAs (A72 TRM 4.3.41) */
#define A72_PA_BITS  44
/* The VM's IPA space: KVM's default VTCR_EL2.T0SZ = 24 */
#define IPA_BITS     40

static uint64_t rd(struct vcpu *v, int r) { uint64_t x = 0; uc_reg_read(v->uc, r, &x); return x; }
static void wr(struct vcpu *v, int r, uint64_t x) { uc_reg_write(v->uc, r, &x); }

static int xreg(unsigned n)
{
	return n < 29 ? UC_ARM64_REG_X0 + (int)n : n == 29 ? UC_ARM64_REG_X29 : UC_ARM64_REG_X30;
}

static uc_err sysreg_rw(struct vcpu *v, uint32_t r, uint64_t *val, bool write)
{
	uc_arm64_cp_reg cp = { .op0 = SYS_REG_OP0(r), .op1 = SYS_REG_OP1(r), .crn = SYS_REG_CRN(r),
			       .crm = SYS_REG_CRM(r), .op2 = SYS_REG_OP2(r), .val = write ? *val : 0 };
	uc_err e = write ? uc_reg_write(v->uc, UC_ARM64_REG_CP_REG, &cp) : uc_reg_read(v->uc, UC_ARM64_REG_CP_REG, &cp);
	if (!write)
		*val = cp.val;
	return e;
}

#define R_SCR_EL3   SYS_REG(3, 6, 1, 1, 0)
#define R_SCTLR_EL1 SYS_REG(3, 0, 1, 0, 0)
#define SCTLR_M     1u
#define R_HCR_EL2   SYS_REG(3, 4, 1, 1, 0)
#define R_ESR_EL1   SYS_REG(3, 0, 5, 2, 0)
#define R_FAR_EL1   SYS_REG(3, 0, 6, 0, 0)
#define R_SPSR_EL1  SYS_REG(3, 0, 4, 0, 0)
#define R_VBAR_EL1  SYS_REG(3, 0, 12, 0, 0)
#define R_MPIDR_EL1 SYS_REG(3, 0, 0, 0, 5)
#define R_TLBI_VMALLE1 SYS_REG(1, 0, 8, 7, 0)   /* TLBI VMALLE1 (Arm ARM C5.5) */
#define PSTATE_I    (1u << 7)
#define PSTATE_A    (1u << 8)
FIELD(PSTATE, PAN, 22, 1)
FIELD(PSTATE, EL, 2, 2)
/* Exception vector offsets (D1.10.2): by source, then by type */
#define VEC_CUR_SP0 0x000
#define VEC_CUR_SPX 0x200
#define VEC_LOWER_A64 0x400
enum exc_type { EXC_SYNC = 0x000, EXC_IRQ = 0x080, EXC_SERROR = 0x180 };
/* vcpu_exception kind of an IRQ (no ESR: not a valid ESR_EL1 value, EC 0x3f) */
#define KIND_IRQ    0xffffffffu

static bool from_el0(struct vcpu *v) { return FIELD_EX(rd(v, UC_ARM64_REG_PSTATE), PSTATE, EL) == 0; }

/* QEMU caches translation flags derived from PSTATE.EL and the system
 * registers (env->hflags: MMU index, privilege of loads and stores, FP
 * traps) and rebuilds them only when its own code changes them; a PSTATE
 * write from the host leaves them stale, so a vector entered from EL0
 * would run with EL0's privileges (TOOLCHAIN-NOTES).
 * Unicorn 2.1 rebuilds them after every UC_ARM64_REG_CP_REG write
 * (arm_rebuild_hflags in reg_write): rewriting VBAR_EL1 with its own value
 * brings them up to date.
 * Unicorn 2.0.1 does not: hvsim keeps the flags QEMU computed the last time
 * the vCPU ran at EL1 (read from a saved context at reset, at run-slice
 * ends and at the first block after a system-register write at EL1) and
 * puts them back with a context restore.  Their offset is 2.0.1's layout
 * (probes/a64/t3.c: a 16-byte uc_context header, CPUARMState.hflags at
 * 336); the flags seen at EL0 must differ from them, or the run stops. */
#if UC_API_MAJOR == 2 && UC_API_MINOR == 0
#define UC20_HFLAGS_OFF (16 + 336)

static bool uc20_hflags(struct vcpu *v, uint32_t *val, bool write)
{
	uc_context *c;
	if (uc_context_size(v->uc) < UC20_HFLAGS_OFF + 4 || uc_context_alloc(v->uc, &c) != UC_ERR_OK)
		return false;
	bool ok = uc_context_save(v->uc, c) == UC_ERR_OK;
	if (ok && write) {
		memcpy((char *)c + UC20_HFLAGS_OFF, val, 4);
		ok = uc_context_restore(v->uc, c) == UC_ERR_OK;
	} else if (ok) {
		memcpy(val, (char *)c + UC20_HFLAGS_OFF, 4);
	}
	uc_context_free(c);
	return ok;
}

static void note_el1_flags(struct vcpu *v)
{
	if (FIELD_EX(rd(v, UC_ARM64_REG_PSTATE), PSTATE, EL) == 1)
		v->a64.hflags_valid = uc20_hflags(v, &v->a64.hflags_el1, false);
	v->a64.hflags_dirty = false;
}

/* Call after every other register write of the entry (the restore puts
 * the whole saved context back). */
static bool resync_el(struct vcpu *v)
{
	uint32_t now = 0;
	if (v->a64.hflags_valid && uc20_hflags(v, &now, false) && now != v->a64.hflags_el1 &&
	    uc20_hflags(v, &v->a64.hflags_el1, true))
		return true;
	vcpu_guest_stop(v, SIM_STOP_UNSUPPORTED, "exception entry from EL0 at 0x%llx: this Unicorn 2.0 does not "
			"match the layout hvsim expects of Unicorn 2.0.1 (use Unicorn 2.1: ./configure --install-deps)",
			(unsigned long long)rd(v, UC_ARM64_REG_ELR_EL1));
	return false;
}
#else
static void note_el1_flags(struct vcpu *v) { v->a64.hflags_dirty = false; }

static bool resync_el(struct vcpu *v)
{
	uint64_t vbar = 0;
	sysreg_rw(v, R_VBAR_EL1, &vbar, false);
	sysreg_rw(v, R_VBAR_EL1, &vbar, true);
	return true;
}
#endif

/* Exception entry to EL1 (Arm ARM D1.10.2), done by hand: ELR_EL1 = where
 * to return, SPSR_EL1 = PSTATE, PSTATE = EL1h with D, A, I, F masked, PC =
 * VBAR_EL1 + source offset (current EL with SP_EL0 / SP_EL1, lower EL in
 * AArch64) + type offset; synchronous ones also write ESR_EL1 (and
 * FAR_EL1).  Leaving SP_EL0 (EL0 or EL1t) banks the stack pointer.  A
 * vector that faults itself ends the run (vcpu_exception).  Returns false
 * if the run stopped instead. */
static bool exception_entry(struct vcpu *v, uint64_t ret, enum exc_type type, uint32_t kind, uint64_t far,
			    bool set_far)
{
	uint32_t ps = (uint32_t)rd(v, UC_ARM64_REG_PSTATE);
	unsigned el = FIELD_EX(ps, PSTATE, EL);
	if (!vcpu_exception(v, ret, kind))
		return false;
	uint64_t vbar = 0, off = (el == 0 ? VEC_LOWER_A64 : (ps & 1) ? VEC_CUR_SPX : VEC_CUR_SP0) + type;
	sysreg_rw(v, R_VBAR_EL1, &vbar, false);
	uint64_t spsr = ps, e = kind;
	wr(v, UC_ARM64_REG_ELR_EL1, ret);
	sysreg_rw(v, R_SPSR_EL1, &spsr, true);
	if (type != EXC_IRQ)
		sysreg_rw(v, R_ESR_EL1, &e, true);
	if (set_far)
		sysreg_rw(v, R_FAR_EL1, &far, true);
	if (el == 0 || !(ps & 1)) {     /* from SP_EL0 to SP_EL1 */
		wr(v, UC_ARM64_REG_SP_EL0, rd(v, UC_ARM64_REG_SP));
		wr(v, UC_ARM64_REG_SP, rd(v, UC_ARM64_REG_SP_EL1));
	}
	wr(v, UC_ARM64_REG_PSTATE, PSTATE_EL1H_MASKED);
	wr(v, UC_ARM64_REG_PC, vbar + off);
	return el == 1 || resync_el(v);
}

static void inject_sync(struct vcpu *v, uint64_t pc, uint32_t esr, uint64_t far, bool set_far)
{
	if (exception_entry(v, pc, EXC_SYNC, esr, far, set_far))
		DBG(LOG_CPU, "cpu%u: exception EC 0x%02x at 0x%llx -> 0x%llx", v->id, ESR_EC(esr),
		    (unsigned long long)pc, (unsigned long long)rd(v, UC_ARM64_REG_PC));
}

/* A pending virtual SError (HCR_EL2.VSE) is taken when PSTATE.A is clear,
 * to the SError vector, with ESR_EL1.EC = SError and ESR_EL1.ISS =
 * VSESR_EL2[24:0]; taking it clears VSE (Arm ARM D1.3.4, "Virtual SError
 * exceptions").  ELR_EL1 = the next instruction. */
static void take_serror(struct vcpu *v)
{
	uint64_t pc = rd(v, UC_ARM64_REG_PC);
	uint32_t esr = ((uint32_t)EC_SERROR << ESR_EC_SHIFT) | ESR_IL | v->a64.vsesr;
	v->a64.vse = false;
	if (exception_entry(v, pc, EXC_SERROR, esr, 0, false))
		DBG(LOG_CPU, "cpu%u: SError (ESR 0x%08x) at 0x%llx -> 0x%llx", v->id, esr, (unsigned long long)pc,
		    (unsigned long long)rd(v, UC_ARM64_REG_PC));
}

static void a64_describe_exception(struct vcpu *v, uint32_t esr, char *buf, size_t n)
{
	const char *ec = esr_ec_name(ESR_EC(esr));
	if (esr == KIND_IRQ)
		snprintf(buf, n, "IRQ");
	else if (ec)
		snprintf(buf, n, "%s (ESR_EL1 0x%08x)", ec, esr);
	else
		snprintf(buf, n, "EC 0x%02x (ESR_EL1 0x%08x)", ESR_EC(esr), esr);
}

/* Stage 1 is off: no translation, and only an address beyond the
 * implemented PA size can fault. */
static bool mmu_off(struct vcpu *v)
{
	uint64_t sctlr = 0;
	sysreg_rw(v, R_SCTLR_EL1, &sctlr, false);
	return !(sctlr & SCTLR_M);
}

/* ---- the guest's stage 1 for the translation model (cpu/xlate.c) ---- */
/* SCTLR_EL1 (Arm ARM D19.2.118), TCR_EL1 (D19.2.139), TTBRn_EL1 (D19.2.155) */
#define R_TCR_EL1   SYS_REG(3, 0, 2, 0, 2)
#define R_TTBR0_EL1 SYS_REG(3, 0, 2, 0, 0)
#define R_TTBR1_EL1 SYS_REG(3, 0, 2, 0, 1)
FIELD(SCTLR, WXN, 19, 1)
FIELD(TCR, T0SZ, 0, 6)
FIELD(TCR, EPD0, 7, 1)
FIELD(TCR, TG0, 14, 2)     /* 0 4K, 1 64K, 2 16K */
FIELD(TCR, T1SZ, 16, 6)
FIELD(TCR, A1, 22, 1)      /* the ASID comes from TTBR1 */
FIELD(TCR, EPD1, 23, 1)
FIELD(TCR, TG1, 30, 2)     /* 1 16K, 2 4K, 3 64K */
FIELD(TCR, IPS, 32, 3)
FIELD(TCR, AS, 36, 1)      /* 16-bit ASIDs */
FIELD(TCR, HA, 39, 1)
FIELD(TCR, HD, 40, 1)
FIELD(TTBR, BADDR, 1, 47)
FIELD(TTBR, ASID, 48, 16)

/* The translation registers, re-read after the guest writes one (hook_sysreg) */
static const struct a64_s1regs *s1regs(struct vcpu *v)
{
	struct a64_s1regs *r = &v->a64.s1;
	if (!r->valid) {
		sysreg_rw(v, R_SCTLR_EL1, &r->sctlr, false);
		sysreg_rw(v, R_TCR_EL1, &r->tcr, false);
		r->ttbr[0] = rd(v, UC_ARM64_REG_TTBR0_EL1);
		r->ttbr[1] = rd(v, UC_ARM64_REG_TTBR1_EL1);
		r->valid = true;
	}
	return r;
}

static unsigned granule(unsigned tg, bool ttbr1)
{
	static const unsigned tg0[4] = { 12, 16, 14, 12 }, tg1[4] = { 12, 14, 12, 16 };   /* reserved: 4K */
	return ttbr1 ? tg1[tg & 3] : tg0[tg & 3];
}

static enum xlate_s1 a64_stage1(struct vcpu *v, uint64_t va, unsigned type, struct mmu_stage *s1, bool *user,
				struct mmu_fault *f)
{
	static const unsigned ips_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };
	uint64_t ps = rd(v, UC_ARM64_REG_PSTATE);
	const struct a64_s1regs *r = s1regs(v);
	*user = FIELD_EX(ps, PSTATE, EL) == 0;
	if (!(r->sctlr & SCTLR_M))
		return XLATE_S1_OFF;
	bool hi = (va >> 55) & 1;   /* D8.2.4: VA[55] selects TTBR1 */
	uint64_t tcr = r->tcr, ttbr = r->ttbr[hi];
	if (hi ? FIELD_EX(tcr, TCR, EPD1) : FIELD_EX(tcr, TCR, EPD0)) {
		/* A walk through a disabled TTBRn: translation fault, level 0 (D8.2.x, TCR_EL1.EPDn) */
		*f = (struct mmu_fault){ .kind = MMU_FAULT_TRANSLATION, .stage = 1, .level = 0, .va = va,
					 .syndrome = VMSA_FSC_TRANSLATION | (type == MMU_W ? FIELD_MASK(VMSA_ISS, WNR) : 0) };
		return XLATE_S1_FAULT;
	}
	unsigned pa_bits = ips_bits[FIELD_EX(tcr, TCR, IPS)];
	uint64_t asid = FIELD_EX(FIELD_EX(tcr, TCR, A1) ? r->ttbr[1] : r->ttbr[0], TTBR, ASID);
	*s1 = (struct mmu_stage){
		.fmt = MMU_VMSA_S1,
		.root = ttbr & FIELD_MASK(TTBR, BADDR),
		.granule_shift = granule(hi ? FIELD_EX(tcr, TCR, TG1) : FIELD_EX(tcr, TCR, TG0), hi),
		.ia_bits = 64 - (unsigned)(hi ? FIELD_EX(tcr, TCR, T1SZ) : FIELD_EX(tcr, TCR, T0SZ)),
		/* IPS above the implemented PA size is treated as that size (D19.2.139) */
		.oa_bits = pa_bits > A72_PA_BITS ? A72_PA_BITS : pa_bits,
		.ctl = (FIELD_EX(tcr, TCR, HA) ? MMU_CTL_AD : 0) | (FIELD_EX(tcr, TCR, HD) ? MMU_CTL_DBM : 0) |
		       (FIELD_EX(r->sctlr, SCTLR, WXN) ? MMU_CTL_WXN : 0) | (FIELD_EX(ps, PSTATE, PAN) ? MMU_CTL_PAN : 0),
		.tag = (uint16_t)(FIELD_EX(tcr, TCR, AS) ? asid : asid & 0xff),
	};
	return XLATE_S1_ON;
}

static void log_exit(struct vcpu *v, enum el2_exit x, uint32_t esr, uint64_t pc, const struct cost *c, const char *what)
{
	if (!DBG_ON(LOG_EXIT))
		return;
	cycles_t cost = cost_total(c);
	uint64_t off;
	const char *fn = vcpu_symbol(v, pc, &off);
	log_dbg(LOG_EXIT, "cpu%u @%llu %s ESR_EL2=0x%08x pc=0x%llx <%s+0x%llx> cost=%llu %s", v->id,
		(unsigned long long)v->sc.clock, el2_exit_name(x), esr, (unsigned long long)pc, fn,
		(unsigned long long)off, (unsigned long long)cost, what);
}

static struct irq_ctrl *irqc(struct vcpu *v) { return v->a64.irqc; }

/* Every exit: the hypervisor saves the vCPU's interrupt state (LRs) before
 * its handler runs; the next guest entry restores and injects (irq_sync).
 * Inlined, as take_exit and mmio_exit are: the exit path is calls shorter. */
static inline __attribute__((always_inline)) void charge_exit(struct vcpu *v, unsigned x, uint32_t esr, uint64_t pc,
								const struct cost *c, bool fixed, const char *what)
{
	log_exit(v, x, esr, pc, c, what);
	vcpu_note_exit(v, esr, pc);
	vcpu_exit_by(v, x, c, fixed);
	struct irq_ctrl *ic = irqc(v);
	if (ic)
		ic->ops->exit(ic->ctx, v->id);
}

/* List registers KVM saves at this exit (the machine's controller knows). */
static unsigned lrs_in_use(struct vcpu *v)
{
	struct irq_ctrl *ic = irqc(v);
	return ic && ic->ops->saved_lrs ? ic->ops->saved_lrs(ic->ctx, v->id) : 0;
}

static void __attribute__((noinline)) take_exit_lrs(struct vcpu *v, enum el2_exit x, uint32_t esr, uint64_t pc,
							     bool user, unsigned lrs, const char *what)
{
	struct cost c;
	el2_exit_parts(&v->set->el2, x, user, lrs, &c);
	charge_exit(v, x, esr, pc, &c, false, what);
}

/* With no LR in use (nearly every exit) the parts are the model's table. */
static inline __attribute__((always_inline)) void take_exit(struct vcpu *v, enum el2_exit x, uint32_t esr, uint64_t pc,
							      bool user, const char *what)
{
	unsigned lrs = lrs_in_use(v);
	v->note.lrs = lrs;
	if (lrs)
		take_exit_lrs(v, x, esr, pc, user, lrs, what);
	else
		charge_exit(v, x, esr, pc, el2_exit_parts_no_lr(&v->set->el2, x, user), true, what);
}

static void a64_model_exit(struct vcpu *v, unsigned x, const struct cost *c, const char *what)
{
	charge_exit(v, x, 0, rd(v, UC_ARM64_REG_PC), c, false, what);
}

/* ---- interrupts: the machine's controller through struct irq_ctrl ---- */
/* Brings the vCPU's interrupt state up to its clock: a physical interrupt
 * for the hypervisor (timer, kick, maintenance) is an IRQ exit; then the
 * guest entry injects what is pending into the list registers.  Checked on
 * block boundaries, like QEMU's TCG takes interrupts between blocks. */
static void irq_sync(struct vcpu *v, uint64_t pc)
{
	struct irq_ctrl *ic = irqc(v);
	if (!ic || v->sc.clock < ic->check_at[v->id])
		return;
	const char *why = ic->ops->poll(ic->ctx, v->id, v->sc.clock);
	if (why) {
		v->note.cause = why;
		take_exit(v, EL2X_IRQ, 0, pc, false, why);
	}
	v->sc.clock += ic->ops->entry(ic->ctx, v->id, v->sc.clock);
	v->a64.irq_line = ic->ops->irq_line(ic->ctx, v->id);
	vcpu_check_next_block(v);
}

/* Before the block at addr: if the virtual IRQ is signalled and PSTATE.I
 * is clear, stop before the block; a64_after_run performs the entry. */
static bool irq_before_block(struct vcpu *v, uint64_t addr)
{
	if (v->set->sim.stop != SIM_RUNNING)
		return false;
	irq_sync(v, addr);
	if (!v->a64.irq_line || (rd(v, UC_ARM64_REG_PSTATE) & PSTATE_I))
		return false;
	v->a64.irq_take = true;
	vcpu_stop_before(v, addr);
	return true;
}

/* The IRQ exception: ELR_EL1 = the next instruction to execute. */
static void take_irq(struct vcpu *v)
{
	uint64_t pc = rd(v, UC_ARM64_REG_PC);
	if (!exception_entry(v, pc, EXC_IRQ, KIND_IRQ, 0, false))
		return;
	irqc(v)->ops->irq_taken(irqc(v)->ctx, v->id, v->sc.clock);
	DBG(LOG_CPU, "cpu%u: IRQ at 0x%llx -> 0x%llx", v->id, (unsigned long long)pc,
	    (unsigned long long)rd(v, UC_ARM64_REG_PC));
}

/* Emulated registers that do not trap on hardware (MPIDR_EL1 reads
 * VMPIDR_EL2).  The generic timer and the GIC CPU interface are the
 * machine's interrupt controller's (struct irq_ctrl).  True if handled. */
static bool emulate_untrapped(struct vcpu *v, uint32_t r, bool is_read, uint64_t *val)
{
	if (r != R_MPIDR_EL1 || !is_read)
		return false;
	*val = (1ull << 31) | psci_mpidr(v->id);   /* bit 31 RES1 */
	return true;
}

/* ICC_* (IHI 0069H 12.2): op0 3, op1 0, CRn 12, or ICC_PMR_EL1 (CRn 4, CRm 6) */
static bool is_icc(uint32_t r)
{
	return SYS_REG_OP0(r) == 3 && SYS_REG_OP1(r) == 0 &&
	       (SYS_REG_CRN(r) == 12 || (SYS_REG_CRN(r) == 4 && SYS_REG_CRM(r) == 6));
}

/* An ICC_* or generic-timer register.  Trapped accesses are emulated in
 * the hypervisor (the exit already folded the LRs; the next block re-enters
 * and injects); the others are served by the hardware, after any pending
 * entry.  Returns false if the access is UNDEFINED. */
static bool irq_sysreg(struct vcpu *v, uint32_t r, bool is_read, uint64_t *val, bool trapped, uint64_t pc)
{
	struct irq_ctrl *ic = irqc(v);
	if (!trapped) {
		irq_sync(v, pc);
		if (is_icc(r))   /* served by the virtual CPU interface (ICV_*) */
			v->sc.clock += el2_icv_access_cycles(&v->set->el2);
	}
	if (!ic->ops->sysreg(ic->ctx, v->id, r, is_read, val, v->sc.clock, trapped))
		return false;
	v->a64.irq_line = ic->ops->irq_line(ic->ctx, v->id);
	vcpu_check_next_block(v);
	return true;
}

/* IC IALLUIS, IC IALLU, IC IVAU (op0 1, op1 0/0/3, CRn 7, CRm 1/5/5, op2 0/0/1) */
#define R_IC_IALLUIS SYS_REG(1, 0, 7, 1, 0)
#define R_IC_IALLU   SYS_REG(1, 0, 7, 5, 0)
#define R_IC_IVAU    SYS_REG(1, 3, 7, 5, 1)
/* Cortex-A72 CTR_EL0.IminLine = 4: 16 words, 64-byte I-cache lines */
#define A72_ILINE    64u

/* Instruction-cache maintenance is where a guest says it changed code that
 * another vCPU may run (hooked as SYS instructions; the CPU model then
 * executes them as no-ops). */
static void ic_maintenance(struct vcpu *v, uint32_t r, uint64_t xt)
{
	/* IVAU is broadcast to the Inner Shareable domain (the whole VM) */
	if (r == R_IC_IVAU)
		vcpu_invalidate_code(v, true, xt & ~(uint64_t)(A72_ILINE - 1), A72_ILINE);
	else if (r == R_IC_IALLUIS || r == R_IC_IALLU)
		vcpu_invalidate_code(v, r == R_IC_IALLUIS, 0, UINT64_MAX);
}

/* TLBI at EL1 (Arm ARM C5.5.x; op0 1, op1 0, CRn 8, CRm 7 or 3 (Inner
 * Shareable), op2): the modelled TLBs and walk caches of the VM's vCPUs (IS:
 * all of them) drop the entries in scope, and so do the Unicorn TLBs in
 * scope, the issuing engine's included: with the fill hook installed
 * (UC_TLB_VIRTUAL) Unicorn 2.1.1's own TLBI leaves the issuing engine's
 * entries in place (Linux's fixmap then read a stale page table through a
 * remapped slot and hit the BUG in init_pte). */
static void tlbi(struct vcpu *v, uint32_t r, uint64_t xt)
{
	unsigned crm = SYS_REG_CRM(r), op2 = SYS_REG_OP2(r);
	if (!v->xl.on || SYS_REG_OP1(r) != 0 || (crm != 7 && crm != 3))
		return;
	xlate_shadow_exit(v, true, rd(v, UC_ARM64_REG_PC));
	/* Xt: ASID [63:48], VA[55:12] in [43:0] (sign-extended from VA bit 55) */
	uint64_t va = (xt & field_mask(0, 44)) << 12;
	if (va >> 55 & 1)
		va |= field_mask(56, 8);
	struct tlb_scope sc = { .s2tag = xlate_s2tag(v), .s1tag = (uint16_t)(xt >> 48), .addr = va };
	switch (op2) {
	case 0: sc.by = TLB_BY_S2; break;                                   /* VMALLE1(IS) */
	case 1: case 5: sc.by = TLB_BY_S2 | TLB_BY_S1 | TLB_BY_ADDR; break; /* VAE1, VALE1 */
	case 2: sc.by = TLB_BY_S2 | TLB_BY_S1 | TLB_NONGLOBAL; break;       /* ASIDE1 */
	case 3: case 7: sc.by = TLB_BY_S2 | TLB_BY_ADDR; break;             /* VAAE1, VAALE1 */
	default: return;
	}
	for (unsigned i = 0; i < v->set->n; i++) {
		struct vcpu *o = v->set->v[i];
		if (o != v && crm != 3)
			continue;
		xlate_invalidate(o, &sc);
		xlate_flush_unicorn(o);
	}
}

/* What the guest used that hvsim does not model, reported once by name
 * (issue 11: the next gap of the model is always visible).  System
 * instructions (C5.2: 1101 0101 00 L op0 op1 CRn CRm op2 Rt) are named by
 * their register, S<op0>_<op1>_C<n>_C<m>_<op2> as assemblers accept it. */
static void report_undef(struct vcpu *v, uint64_t pc, uint32_t insn, const char *what, const char *why)
{
	char name[48];
	if ((insn & 0xffc00000u) == 0xd5000000u && (insn >> 19 & 3) != 0) {
		unsigned op0 = insn >> 19 & 3, l = insn >> 21 & 1;
		snprintf(name, sizeof name, "%s S%u_%u_C%u_C%u_%u", op0 == 1 ? (l ? "SYSL" : "SYS") : (l ? "MRS" : "MSR"),
			 op0, insn >> 16 & 7, insn >> 12 & 15, insn >> 8 & 15, insn >> 5 & 7);
	} else {
		snprintf(name, sizeof name, "%s 0x%08x", what, insn);
	}
	/* At EL0 most system registers are UNDEFINED by the architecture and
	 * the kernel handles it (Linux emulates MRS of the ID registers). */
	machine_unmodelled(v->set->m, name, "at pc 0x%llx on cpu%u (EL%u): %s; UNDEFINED delivered to the guest%s",
			   (unsigned long long)pc, v->id, from_el0(v) ? 0 : 1, why,
			   from_el0(v) ? " (from EL0: the guest kernel's to handle)" : "");
}

/* A trapped system register access the hypervisor cannot emulate: KVM
 * injects UNDEF (kvm_handle_sys_reg: "Unsupported guest sys_reg access"). */
static void unsupported_sysreg(struct vcpu *v, uint32_t r, bool is_read, unsigned rt, uint64_t pc)
{
	uint32_t insn = 0xd5000000u | (is_read ? 1u << 21 : 0) | SYS_REG_OP0(r) << 19 | SYS_REG_OP1(r) << 16 |
			SYS_REG_CRN(r) << 12 | SYS_REG_CRM(r) << 8 | SYS_REG_OP2(r) << 5 | rt;
	report_undef(v, pc, insn, "", "trapped to EL2, a register the hypervisor does not emulate");
	inject_sync(v, pc, ((uint32_t)EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0, false);
}

static uint32_t hook_sysreg(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud, bool is_read)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	uint32_t r = SYS_REG(cp->op0, cp->op1, cp->crn, cp->crm, cp->op2);
	uint64_t pc = rd(v, UC_ARM64_REG_PC), val = is_read ? 0 : cp->val;
	if (!is_read) {
		v->a64.hflags_dirty = true;   /* QEMU rebuilds its flags after the write */
		vcpu_check_next_block(v);
	}
	if (!is_read && (r == R_SCTLR_EL1 || r == R_TCR_EL1 || r == R_TTBR0_EL1 || r == R_TTBR1_EL1)) {
		v->a64.s1.valid = false;
		if (r == R_TTBR0_EL1 || r == R_TTBR1_EL1)
			xlate_shadow_exit(v, false, pc);
	}
	unsigned rt = reg == UC_ARM64_REG_XZR ? 31 : reg >= UC_ARM64_REG_X0 && reg <= UC_ARM64_REG_X28 ?
		      (unsigned)(reg - UC_ARM64_REG_X0) : reg == UC_ARM64_REG_X29 ? 29 : 30;

	enum irqc_sysreg cls = irqc(v) ? irqc(v)->ops->sysreg_class(irqc(v)->ctx, r, is_read) : IRQC_NOT_MINE;
	bool trapped = el2_traps_sysreg(&v->set->el2, r, is_read) || cls == IRQC_TRAP;
	if (trapped)
		take_exit(v, EL2X_SYS64, el2_esr_sys64(r, rt, is_read), pc, false, "");
	if (cls != IRQC_NOT_MINE) {
		if (!irq_sysreg(v, r, is_read, &val, trapped, pc)) {
			inject_sync(v, pc, ((uint32_t)EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0, false);
			return 1;
		}
	} else if (trapped) {
		/* The hypervisor emulates with the architectural values the CPU model holds. */
		if (cp->op0 == 3 && sysreg_rw(v, r, &val, !is_read) != UC_ERR_OK) {
			unsupported_sysreg(v, r, is_read, rt, pc);
			return 1;
		}
		/* op0 == 1 (DC ISW/CSW/CISW): caches are not modelled, nothing to do */
	} else if (!emulate_untrapped(v, r, is_read, &val)) {
		if (cp->op0 == 1 && cp->crn == 7)
			ic_maintenance(v, r, cp->val);
		if (cp->op0 == 1 && cp->crn == 8)
			tlbi(v, r, cp->val);
		return 0;   /* the CPU model executes it (or raises UNDEF) */
	}
	if (is_read && rt != 31)
		uc_reg_write(uc, reg, &val);
	/* Returning 1 skips the instruction of a register Unicorn's CPU model
	 * implements, and the block goes on: moving PC as well would run the
	 * rest of the block twice.  For a register it does not implement
	 * (ICC_*) the hook runs on the UNDEFINED path and PC must be moved.
	 * Only registers are probed: reading a write-only SYS operation (DC
	 * ISW, which Unicorn executes as a no-op) asserts inside Unicorn. */
	uint64_t probe = 0;
	if (cp->op0 == 3 && sysreg_rw(v, r, &probe, false) != UC_ERR_OK)
		wr(v, UC_ARM64_REG_PC, pc + 4);
	return 1;
}

static uint32_t hook_mrs(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
	return hook_sysreg(uc, reg, cp, ud, true);
}
static uint32_t hook_msr(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud)
{
	return hook_sysreg(uc, reg, cp, ud, false);
}

/* WFI (trapped or not) and PSCI CPU_SUSPEND: wait for a wake-up event
 * (an interrupt the GIC would signal, a timer condition; PSTATE.I does not
 * matter).  in_hyp: the vCPU blocks in the hypervisor, not in hardware. */
static void wait_for_interrupt(struct vcpu *v, bool in_hyp)
{
	struct irq_ctrl *ic = irqc(v);
	cycles_t t = ic->ops->wait(ic->ctx, v->id, v->sc.clock, in_hyp);
	vcpu_wait_until(v, t);
}

static void smccc(struct vcpu *v, enum el2_exit x, uint64_t pc_after)
{
	struct virt *vm = v->set->virt;
	uint32_t insn = 0;
	vcpu_read_code(v, pc_after - 4, &insn, 4);
	uint16_t imm = (insn >> 5) & 0xffff;
	uint32_t esr = x == EL2X_HVC64 ? el2_esr_hvc(imm) : el2_esr_smc(imm);
	uint64_t a[4] = { rd(v, UC_ARM64_REG_X0), rd(v, UC_ARM64_REG_X1), rd(v, UC_ARM64_REG_X2), rd(v, UC_ARM64_REG_X3) };
	take_exit(v, x, esr, pc_after - 4, false, "");
	struct hv_call r;
	uint64_t pages;
	if (a[0] == HVSIM_HC_A64_DIRTY_ROUND && xlate_dirty_round(v, a[1], &pages)) {
		wr(v, UC_ARM64_REG_X0, pages);
		return;
	}
	if (a[0] == HVSIM_HC_A64_SERROR) {
		bool ok = a[1] < (1u << 25);
		if (ok) {
			v->a64.vse = true;
			v->a64.vsesr = (uint32_t)a[1];
			vcpu_check_next_block(v);   /* taken at a block boundary once PSTATE.A is clear */
		}
		wr(v, UC_ARM64_REG_X0, ok ? 0 : (uint64_t)(int64_t)SMCCC_RET_INVALID_PARAMETER);
		return;
	}
	vm->m.cur_cpu = v->id;
	virt_smccc(vm, v->id, a, v->sc.clock, &r);
	wr(v, UC_ARM64_REG_X0, r.ret);
	switch (r.act) {
	case HV_NONE: break;
	case HV_CPU_OFF: vcpu_halt(v, SIM_CPU_OFF); break;
	case HV_WAIT: wait_for_interrupt(v, true); break;
	case HV_STOP:
		sim_stop(&v->set->sim, SIM_STOP_EXIT, r.status);
		vcpu_stop(v);
		break;
	}
}

/* ---- Arm semihosting (--semihosting): HLT #0xF000, W0 = operation, X1 =
 * parameter; the result in X0, then the next instruction. ---- */
#define A64_HLT_SEMIHOST 0xd45e0000u   /* HLT #0xF000 (C6.2.92: imm16 at [20:5]) */

static bool read_virt(void *ctx, uint64_t va, void *buf, size_t len) { return xlate_read_virt(ctx, va, buf, len); }
static bool write_virt(void *ctx, uint64_t va, const void *buf, size_t len) { return xlate_write_virt(ctx, va, buf, len); }

static bool semihosting(struct vcpu *v, uint64_t pc)
{
	const struct virt_boot *b = v->set->virt ? v->set->virt->boot : NULL;
	uint32_t insn = 0;
	if (!b || !b->semihosting || !vcpu_read_code(v, pc, &insn, 4) || insn != A64_HLT_SEMIHOST)
		return false;
	struct machine *m = v->set->m;
	struct semihost_io io = { read_virt, write_virt, v, m->console, v->sc.clock, m->freq_hz };
	struct semihost_result r;
	semihost_call(&io, (uint32_t)rd(v, UC_ARM64_REG_X0), rd(v, UC_ARM64_REG_X1), &r);
	wr(v, UC_ARM64_REG_X0, r.ret);
	wr(v, UC_ARM64_REG_PC, pc + 4);
	if (r.exit) {
		sim_stop(&v->set->sim, SIM_STOP_EXIT, r.status);
		vcpu_stop(v);
	}
	return true;
}

/* Why a fault Unicorn's CPU model raised cannot reach the guest: it gives
 * no syndrome.  With Unicorn 2.1 hvsim's walker translates every access
 * (cpu/xlate.c) and delivers the stage-1 faults itself, and alignment
 * faults are decoded (alignment_fault): nothing is expected here. */
#if XLATE_SUPPORTED
#define S1_FAULTS_WHY "delivering it to the guest is not modelled yet (Unicorn gives no syndrome)"
#else
#define S1_FAULTS_WHY "delivering stage-1 faults to the guest needs Unicorn 2.1, where hvsim's walker translates " \
	"(./configure --install-deps fetches it; Unicorn 2.0 gives no syndrome)"
#endif

/* ---- alignment faults: Unicorn raises them (exclusives, and Device
 * memory with the MMU off) with the PC of the access but no syndrome or
 * address; the address comes from the instruction and its registers. ---- */
#define FSC_ALIGNMENT 0x21   /* D19.2.45 DFSC 0b100001 */

static uint64_t xreg_or_sp(struct vcpu *v, unsigned n, bool sp)
{
	return n < 31 ? rd(v, xreg(n)) : sp ? rd(v, UC_ARM64_REG_SP) : 0;
}

/* Xm extended as the option field says (C6.2.x ExtendReg), then shifted */
static uint64_t ext_reg(struct vcpu *v, const struct a64_ldst *d)
{
	uint64_t x = xreg_or_sp(v, d->rm, false);
	switch (d->extend) {
	case 2: x = (uint32_t)x; break;                     /* UXTW */
	case 6: x = (uint64_t)(int64_t)(int32_t)x; break;   /* SXTW */
	default: break;                                     /* LSL (UXTX), SXTX */
	}
	return x << d->shift;
}

static bool alignment_fault(struct vcpu *v, uint64_t pc)
{
	uint32_t insn = 0;
	struct a64_ldst d;
	if (!vcpu_read_code(v, pc, &insn, 4) || !a64_decode_ldst(insn, &d))
		return false;
	uint64_t addr = xreg_or_sp(v, d.rn, true);
	if (d.add_offset)
		addr += d.use_rm ? ext_reg(v, &d) : (uint64_t)d.imm;
	/* Only a misaligned access can be an alignment fault; with the MMU on
	 * an aligned one is a stage-1 fault of Unicorn's MMU (2.0.1). */
	if (!(addr & (d.align - 1)) || (!d.exclusive && !mmu_off(v)))
		return false;
	uint32_t esr = el2_esr_injected_abort(false, from_el0(v), FSC_ALIGNMENT) | (d.write ? ISS_DABT_WNR : 0);
	inject_sync(v, pc, esr, addr, true);
	return true;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	uint64_t pc = rd(v, UC_ARM64_REG_PC);
	uint32_t insn = 0;
	switch (intno) {
	case EXCP_HVC:     /* PC is after the HVC; HVC always traps to EL2 */
		smccc(v, EL2X_HVC64, pc);
		return;
	case EXCP_SMC:     /* PC after; traps to EL2 under HCR_EL2.TSC, else UNDEFINED (no EL3) */
		if (el2_traps_smc(&v->set->el2))
			smccc(v, EL2X_SMC64, pc);
		else {
			vcpu_read_code(v, pc - 4, &insn, 4);
			report_undef(v, pc - 4, insn, "SMC", "no EL3");
			inject_sync(v, pc - 4, ((uint32_t)EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0, false);
		}
		return;
	case EXCP_SWI:     /* PC after the SVC */
		vcpu_read_code(v, pc - 4, &insn, 4);
		inject_sync(v, pc, ((uint32_t)EC_SVC64 << ESR_EC_SHIFT) | ESR_IL | ((insn >> 5) & 0xffff), 0, false);
		return;
	case EXCP_BKPT:    /* PC at the BRK */
		vcpu_read_code(v, pc, &insn, 4);
		inject_sync(v, pc, ((uint32_t)EC_BRK64 << ESR_EC_SHIFT) | ESR_IL | ((insn >> 5) & 0xffff), 0, false);
		return;
	case EXCP_UDEF:    /* PC at the instruction (HLT too: no external debug) */
		if (semihosting(v, pc))
			return;
		vcpu_read_code(v, pc, &insn, 4);
		report_undef(v, pc, insn, "instruction", "UNDEFINED in the CPU model");
		inject_sync(v, pc, ((uint32_t)EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0, false);
		return;
	case EXCP_PREFETCH_ABORT:   /* raised by the CPU model itself: a stage-1 fault */
		if (mmu_off(v) && pc >> A72_PA_BITS) {
			/* With stage 1 off a fetch beyond the PA size is an address
			 * size fault at level 0, taken to EL1 (D8.2.5), FAR = PC. */
			inject_sync(v, pc, el2_esr_injected_abort(true, from_el0(v), FSC_ADDR_SIZE_L(0)), pc, true);
			return;
		}
		vcpu_guest_stop(v, SIM_STOP_UNSUPPORTED, "instruction abort at 0x%llx raised by the CPU model's stage-1 MMU: %s",
				(unsigned long long)pc, S1_FAULTS_WHY);
		return;
	case EXCP_DATA_ABORT:
		if (alignment_fault(v, pc))
			return;
		vcpu_guest_stop(v, SIM_STOP_UNSUPPORTED, "data abort at PC 0x%llx raised by the CPU model (%s): %s",
				(unsigned long long)pc, mmu_off(v) ? "with the MMU off: an unaligned access to Device "
				"memory or an address beyond the 44-bit PA size" : "a stage-1 fault",
				S1_FAULTS_WHY);
		return;
	default:
		vcpu_guest_stop(v, SIM_STOP_UNSUPPORTED, "guest exception %u (QEMU EXCP_*) at 0x%llx is not modelled yet",
				intno, (unsigned long long)pc);
		return;
	}
}

/* ---- MMIO: every access to a device is a stage-2 data abort (DABT_LOW) ---- */
static inline __attribute__((always_inline)) void mmio_exit(struct mmio_ctx *c, unsigned size, bool write)
{
	struct vcpu *v = c->v;
	unsigned sas = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
	/* Unicorn gives no syndrome and a stale PC inside MMIO callbacks: the
	 * transfer register is not known (SRT reported as 0), PC is the block's. */
	uint32_t esr = el2_esr_dabt_low(true, sas, 0, size == 8, write, FSC_FAULT_L(3));
	uint64_t pc = v->cur ? v->cur->addr : rd(v, UC_ARM64_REG_PC);
	/* Unassigned addresses go to the userspace VMM too (KVM has no memslot). */
	take_exit(v, EL2X_DABT_LOW, esr, pc, c->w ? c->w->user : true, c->w ? c->w->name : "unassigned");
}

/* The entry after an exit, now if it has nothing to do (vcpu_quiet_entry);
 * then the next block needs no check unless an interrupt is signalled. */
static void entry_now(struct vcpu *v)
{
	if (!vcpu_quiet_entry(v))
		return;
	v->a64.irq_line = irqc(v)->ops->irq_line(irqc(v)->ctx, v->id);
	if (v->a64.irq_line)   /* a64_before_block decides at the next block */
		vcpu_check_next_block(v);
}

static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct mmio_ctx *c = ud;
	VCPU_HOOK(c->v);
	vcpu_note_mmio(c->v, c->base + off, size, false);
	mmio_exit(c, size, false);
	uint64_t val = vcpu_dev_read(c->v, c->w, c->base + off, size);
	entry_now(c->v);
	return val;
}

static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud)
{
	struct mmio_ctx *c = ud;
	VCPU_HOOK(c->v);
	vcpu_note_mmio(c->v, c->base + off, size, true);
	mmio_exit(c, size, true);
	vcpu_dev_write(c->v, c->w, c->base + off, size, val);
	entry_now(c->v);
}

/* vcpu_block asks before a block when an interrupt check is due or
 * block_check is set (an IRQ signalled: PSTATE.I may clear at any block;
 * Unicorn 2.0.1 flags to note after a system-register write). */
static bool a64_before_block(struct vcpu *v, uint64_t addr)
{
	struct irq_ctrl *ic = irqc(v);
	if (v->a64.hflags_dirty)
		note_el1_flags(v);
	if (v->a64.vse && !v->xl.replaying && !(rd(v, UC_ARM64_REG_PSTATE) & PSTATE_A)) {
		v->a64.serror_take = true;
		vcpu_stop_before(v, addr);
		return true;
	}
	bool stop = ic && (v->sc.clock >= ic->check_at[v->id] || v->a64.irq_line) && !v->xl.replaying &&
		    irq_before_block(v, addr);
	v->block_check = v->a64.irq_line || v->a64.hflags_dirty || v->a64.vse;
	return stop;
}

static int a64_create(struct vcpu *v)
{
	uc_hook h;
	v->a64.irqc = v->set->m->irqc;
	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &v->uc) != UC_ERR_OK)
		return err_set("cannot create an AArch64 Unicorn engine");
	uc_ctl_set_cpu_model(v->uc, UC_CPU_ARM64_A72);
	/* 40-bit IPA space, KVM's default (VTCR_EL2.T0SZ = 24) */
	if (vcpu_map_phys(v, 1ULL << IPA_BITS, mmio_read, mmio_write) < 0)
		return -1;
	/* Non-secure, EL2 present and AArch64 below EL3/EL2, or HVC is UNDEFINED
	 * and ERET misbehaves in Unicorn 2.0.1 (TOOLCHAIN-NOTES). */
	uint64_t scr = 0x501, hcr = HCR_RW;
	sysreg_rw(v, R_SCR_EL3, &scr, true);
	sysreg_rw(v, R_HCR_EL2, &hcr, true);
	if (uc_hook_add(v->uc, &h, UC_HOOK_BLOCK, vcpu_block, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INTR, hook_intr, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_MEM_UNMAPPED, vcpu_hook_unmapped, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, hook_mrs, v, 1, 0, UC_ARM64_INS_MRS) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, hook_msr, v, 1, 0, UC_ARM64_INS_MSR) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, hook_mrs, v, 1, 0, UC_ARM64_INS_SYSL) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, hook_msr, v, 1, 0, UC_ARM64_INS_SYS))
		return err_set("cannot install Unicorn hooks");
	return 0;
}

/* Power-on state (PSCI CPU_ON, DEN 0022D 6.4.3): EL1h, DAIF masked, MMU off,
 * x0 = context id (the DTB address for the boot CPU). */
static void a64_reset(struct vcpu *v, uint64_t entry, uint64_t arg)
{
	uint64_t zero = 0;
	for (unsigned i = 0; i < 31; i++)
		uc_reg_write(v->uc, xreg(i), &zero);
	wr(v, UC_ARM64_REG_X0, arg);
	wr(v, UC_ARM64_REG_PSTATE, PSTATE_EL1H_MASKED);
	wr(v, UC_ARM64_REG_PC, entry);
	memset(&v->a64, 0, sizeof v->a64);
	v->a64.irqc = v->set->m->irqc;
	note_el1_flags(v);
	DBG(LOG_CPU, "cpu%u: reset, entry 0x%llx x0 0x%llx", v->id, (unsigned long long)entry, (unsigned long long)arg);
}

static uint64_t a64_get_pc(struct vcpu *v) { return rd(v, UC_ARM64_REG_PC); }
static void a64_set_pc(struct vcpu *v, uint64_t pc) { wr(v, UC_ARM64_REG_PC, pc); }

/* Unicorn's AArch64 softmmu TLB (1 KiB pages, 256 entries at first) is
 * direct-mapped and only resizes when flushed (doubling when over 70% full);
 * never flushed, a working set over 256 KiB misses on nearly every access.
 * A flush costs a refill of the working set, so flush at run-slice ends:
 * at slices 1, 2, 4, 8 after reset (the TLB grows to its working set at
 * once), then every 16th (it keeps up with a growing one).  The guest
 * cannot tell: a TLB flush keeps translated blocks.  With the translation
 * model off nothing sees the refills either, so those 16ths also wait for
 * a gap of guest instructions since the last flush: a slice that ends at an
 * exit every few instructions has no working set to grow (a flush is a
 * memset of every MMU index's table, ~50,000 host instructions), and a
 * steady working set need not be refilled often.  The gap doubles at each
 * such flush from TLB_GROW_INSNS to 2^26 instructions, some 60 ms of a 1,000 MIPS
 * guest, about QEMU's own 100 ms resize window: a working set that grows
 * later is caught within that (a gap of TLB_GROW_INSNS cost the arm64
 * load/store loop 10%).  The model counts and charges the fills: with it
 * on, the policy stays every 16th. */
#define TLB_GROW_INSNS (1u << 19)
#define TLB_GAP_DOUBLINGS 7	/* 2^19 << 7 = 2^26 */

static void flush_unicorn_tlb(struct vcpu *v)
{
	struct a64_state *a = &v->a64;
	uint64_t n = ++a->slices;
	if ((n & (n - 1)) && n % 16)
		return;
	if (n > 8 && !v->set->mv.on) {
		if (v->insns - a->flush_insns < (uint64_t)TLB_GROW_INSNS << a->gap_doublings)
			return;
		if (a->gap_doublings < TLB_GAP_DOUBLINGS)
			a->gap_doublings++;
	}
	a->flush_insns = v->insns;
#if UC_API_MAJOR > 2 || (UC_API_MAJOR == 2 && UC_API_MINOR >= 1)
	uc_ctl_flush_tlb(v->uc);
#else
	uint64_t zero = 0;
	sysreg_rw(v, R_TLBI_VMALLE1, &zero, true);
#endif
}

/* A translation fault the model found (cpu/xlate.c).  Stage 1: a data or
 * instruction abort taken to EL1 (D1.10: EC 0x25/0x21 from EL1, 0x24/0x20
 * from EL0) with the walker's ISS and FAR_EL1.  Stage 2 on RAM cannot
 * happen with the hypervisor's full tables: the exit is charged and the
 * run stops, naming it. */
static void deliver_mmu_fault(struct vcpu *v, uint64_t pc)
{
	const struct mmu_fault *f = &v->xl.fault;
	bool fetch = v->xl.fault_type == MMU_X, el0 = from_el0(v);
	if (f->stage == 2) {
		enum el2_exit x = fetch ? EL2X_IABT_LOW : EL2X_DABT_LOW;
		uint32_t esr = ((uint32_t)(fetch ? EC_IABT_LOW : EC_DABT_LOW) << ESR_EC_SHIFT) | ESR_IL | (uint32_t)f->syndrome;
		take_exit(v, x, esr, pc, false, "stage-2 fault");
		vcpu_guest_stop(v, SIM_STOP_GUEST_FAULT, "stage-2 fault (ESR_EL2 0x%08x, HPFAR_EL2 0x%llx) on guest RAM at "
				"IPA 0x%llx, VA 0x%llx, PC 0x%llx: the hypervisor's tables map all RAM", esr,
				(unsigned long long)vmsa_hpfar(f->gpa), (unsigned long long)f->gpa,
				(unsigned long long)f->va, (unsigned long long)pc);
		return;
	}
	unsigned ec = fetch ? (el0 ? EC_IABT_LOW : EC_IABT_CUR) : (el0 ? EC_DABT_LOW : EC_DABT_CUR);
	inject_sync(v, pc, ((uint32_t)ec << ESR_EC_SHIFT) | ESR_IL | (uint32_t)f->syndrome, f->va, true);
}

static int a64_after_run(struct vcpu *v, uc_err e)
{
	flush_unicorn_tlb(v);
	note_el1_flags(v);
	uint64_t pc = rd(v, UC_ARM64_REG_PC);
	bool irq = v->a64.irq_take;     /* stopped before a block to take an IRQ */
	bool serror = v->a64.serror_take;
	v->a64.irq_take = v->a64.serror_take = false;
	if (e == UC_ERR_FETCH_UNMAPPED || e == UC_ERR_FETCH_PROT) {
		/* Instruction fetch from an IPA with no memory: a stage-2 fault.
		 * Below 2^40 (a device or a gap) KVM injects an external abort
		 * (kvm_inject_pabt); beyond the IPA space (the only unmapped
		 * range) a stage-2 level-0 translation fault, for which KVM
		 * injects an address size fault (kvm_inject_size_fault). */
		bool beyond = e == UC_ERR_FETCH_UNMAPPED;
		take_exit(v, EL2X_IABT_LOW, el2_esr_iabt_low(beyond ? FSC_FAULT_L(0) : FSC_FAULT_L(3)), pc, false, "");
		inject_sync(v, pc, el2_esr_injected_abort(true, from_el0(v), beyond ? FSC_ADDR_SIZE_L(0) : FSC_EXTABT), pc,
			    true);
		return 0;
	}
	if (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED) {
		/* A data access beyond the 40-bit IPA space: a stage-2 fault for
		 * which KVM would inject an address size fault.  Unicorn 2.0.1
		 * leaves PC at the start of the block here, so ELR_EL1 would be
		 * wrong: the VM stops instead (the exit is still counted). */
		bool write = e == UC_ERR_WRITE_UNMAPPED;
		take_exit(v, EL2X_DABT_LOW, el2_esr_dabt_low(false, 0, 0, false, write, FSC_FAULT_L(0)), pc, false,
			  "beyond the IPA space");
		vcpu_guest_stop(v, SIM_STOP_GUEST_FAULT, "guest %s of %d bytes at 0x%llx, beyond the 40-bit IPA space, in the "
				"block at 0x%llx (an address size fault; injecting it needs the exact PC, which Unicorn does not give)",
				write ? "write" : "read", v->unmapped.size, (unsigned long long)v->unmapped.addr,
				(unsigned long long)pc);
		return 0;
	}
	if (e == UC_ERR_EXCEPTION && xlate_take_fault(v)) {
		deliver_mmu_fault(v, pc);
		return 0;
	}
	if (e != UC_ERR_OK) {
		if (v->set->sim.stop == SIM_STOP_ERROR)
			return -1;
		return err_set("cpu%u: Unicorn stopped at 0x%llx: %s", v->id, (unsigned long long)pc, uc_strerror(e));
	}
	if (v->set->sim.stop == SIM_STOP_ERROR)
		return -1;
	if (serror) {
		take_serror(v);
		return 0;
	}
	if (irq) {
		take_irq(v);
		return 0;
	}
	if (v->stop_requested)
		return 0;
	/* Unicorn stops by itself after WFI. */
	uint32_t insn = 0;
	if (vcpu_read_code(v, pc - 4, &insn, 4) && insn == A64_WFI) {
		bool trapped = el2_traps_wfi(&v->set->el2);
		if (trapped)
			take_exit(v, EL2X_WFX, el2_esr_wfx(false), pc - 4, false, "");
		wait_for_interrupt(v, trapped);
	}
	return 0;
}

const struct arch_ops a64_ops = {
	.create = a64_create,
	.reset = a64_reset,
	.get_pc = a64_get_pc,
	.set_pc = a64_set_pc,
	.run_until_addr = UINT64_MAX,   /* A64 PCs are 4-aligned: never reached */
	.before_block = a64_before_block,
	.after_run = a64_after_run,
	.describe_exception = a64_describe_exception,
	.stage1 = a64_stage1,
	.model_exit = a64_model_exit,
};
