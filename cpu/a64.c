/* AArch64 front end: the guest runs at EL1/EL0 in Unicorn; hvsim plays EL2.
 * Unicorn 2.0.1 delivers no exception to the guest (TOOLCHAIN-NOTES): every
 * one arrives at UC_HOOK_INTR, and hvsim either handles it as a trap to EL2
 * (a VM exit) or performs the EL1 exception entry itself. */
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/log.h"
#include "cpu/vcpu.h"
#include "platform/virt.h"

/* Unicorn's intno for AArch64 (QEMU EXCP_*) */
enum { EXCP_UDEF = 1, EXCP_SWI = 2, EXCP_PREFETCH_ABORT = 3, EXCP_DATA_ABORT = 4,
       EXCP_BKPT = 7, EXCP_HVC = 11, EXCP_SMC = 13 };

#define A64_WFI      0xd503207fu
#define PSTATE_EL1H_MASKED 0x3c5u    /* EL1h, D A I F set */
#define EC_SVC64     0x15u       /* unsigned: EC << 26 overflows int from EC 0x20 on */
#define EC_BRK64     0x3cu

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
#define R_HCR_EL2   SYS_REG(3, 4, 1, 1, 0)
#define R_ESR_EL1   SYS_REG(3, 0, 5, 2, 0)
#define R_FAR_EL1   SYS_REG(3, 0, 6, 0, 0)
#define R_SPSR_EL1  SYS_REG(3, 0, 4, 0, 0)
#define R_VBAR_EL1  SYS_REG(3, 0, 12, 0, 0)
#define R_MPIDR_EL1 SYS_REG(3, 0, 0, 0, 5)
#define R_CNTFRQ    SYS_REG(3, 3, 14, 0, 0)
#define R_CNTVCT    SYS_REG(3, 3, 14, 0, 2)
#define R_CNTV_TVAL SYS_REG(3, 3, 14, 3, 0)
#define R_CNTV_CTL  SYS_REG(3, 3, 14, 3, 1)
#define R_CNTV_CVAL SYS_REG(3, 3, 14, 3, 2)
#define R_CNTKCTL   SYS_REG(3, 0, 14, 1, 0)
#define CNT_CTL_ENABLE  1u
#define CNT_CTL_IMASK   2u
#define CNT_CTL_ISTATUS 4u

/* Synchronous exception entry to EL1 (Arm ARM D1.10.2), done by hand.
 * Only from EL1: changing EL from the host leaves Unicorn's cached flags
 * stale (TOOLCHAIN-NOTES), so EL0 guests are not supported yet. */
static int inject_sync(struct vcpu *v, uint64_t pc, uint32_t esr, uint64_t far, bool set_far)
{
	uint32_t ps = (uint32_t)rd(v, UC_ARM64_REG_PSTATE);
	unsigned el = (ps >> 2) & 3;
	if (el != 1) {
		err_set("cpu%u: exception (ESR 0x%08x) taken from EL%u at 0x%llx: exception entry from EL0 is not supported yet",
			v->id, esr, el, (unsigned long long)pc);
		return -1;
	}
	uint64_t vbar = 0, off = (ps & 1) ? 0x200 : 0x000;   /* current EL with SPx / SP0 */
	sysreg_rw(v, R_VBAR_EL1, &vbar, false);
	uint64_t spsr = ps, e = esr;
	wr(v, UC_ARM64_REG_ELR_EL1, pc);
	sysreg_rw(v, R_SPSR_EL1, &spsr, true);
	sysreg_rw(v, R_ESR_EL1, &e, true);
	if (set_far)
		sysreg_rw(v, R_FAR_EL1, &far, true);
	if (!(ps & 1)) {     /* EL1t -> EL1h: bank SP */
		wr(v, UC_ARM64_REG_SP_EL0, rd(v, UC_ARM64_REG_SP));
		wr(v, UC_ARM64_REG_SP, rd(v, UC_ARM64_REG_SP_EL1));
	}
	wr(v, UC_ARM64_REG_PSTATE, PSTATE_EL1H_MASKED);
	wr(v, UC_ARM64_REG_PC, vbar + off);
	DBG(LOG_CPU, "cpu%u: exception EC 0x%02x at 0x%llx -> 0x%llx", v->id, ESR_EC(esr),
	    (unsigned long long)pc, (unsigned long long)(vbar + off));
	return 0;
}

static void log_exit(struct vcpu *v, enum el2_exit x, uint32_t esr, uint64_t pc, cycles_t cost, const char *what)
{
	if (!DBG_ON(LOG_EXIT))
		return;
	uint64_t off;
	const char *fn = vcpu_symbol(v, pc, &off);
	log_dbg(LOG_EXIT, "cpu%u @%llu %s ESR_EL2=0x%08x pc=0x%llx <%s+0x%llx> cost=%llu %s", v->id,
		(unsigned long long)v->sc.clock, el2_exit_name(x), esr, (unsigned long long)pc, fn,
		(unsigned long long)off, (unsigned long long)cost, what);
}

static void take_exit(struct vcpu *v, enum el2_exit x, uint32_t esr, uint64_t pc, bool user, const char *what)
{
	cycles_t cost = el2_exit_cost(&v->set->el2, x, user);
	log_exit(v, x, esr, pc, cost, what);
	vcpu_exit(v, x, cost);
}

/* ---- generic timer: Unicorn's is a stub that follows host time ---- */
static uint64_t cntvct(struct vcpu *v) { return virt_cntvct(v->set->virt, v->sc.clock); }

static uint64_t cntv_ctl_read(struct vcpu *v)
{
	uint64_t ctl = v->a64.cntv_ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
	if ((ctl & CNT_CTL_ENABLE) && cntvct(v) >= v->a64.cntv_cval)
		ctl |= CNT_CTL_ISTATUS;
	return ctl;
}

static void timer_check_warn(struct vcpu *v)
{
	if ((v->a64.cntv_ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE && !v->a64.timer_warned) {
		v->a64.timer_warned = true;
		log_warn("cpu%u enabled the virtual timer interrupt: no GIC is modelled yet, so it can wake WFI "
			 "but is never delivered as an IRQ", v->id);
	}
}

/* Emulated registers that do not trap on hardware (the timer is the
 * guest's own; MPIDR_EL1 reads VMPIDR_EL2).  Returns true if handled. */
static bool emulate_untrapped(struct vcpu *v, uint32_t r, bool is_read, uint64_t *val)
{
	switch (r) {
	case R_MPIDR_EL1:
		if (!is_read)
			return false;
		*val = (1ull << 31) | psci_mpidr(v->id);   /* bit 31 RES1 */
		return true;
	case R_CNTFRQ:
		if (!is_read)
			return false;
		*val = v->set->virt->cntfrq_hz;
		return true;
	case R_CNTVCT:
		if (!is_read)
			return false;
		*val = cntvct(v);
		return true;
	case R_CNTV_CTL:
		if (is_read) {
			*val = cntv_ctl_read(v);
		} else {
			v->a64.cntv_ctl = *val & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
			timer_check_warn(v);
		}
		return true;
	case R_CNTV_CVAL:
		if (is_read)
			*val = v->a64.cntv_cval;
		else
			v->a64.cntv_cval = *val;
		return true;
	case R_CNTV_TVAL:      /* signed 32-bit view of CVAL - CNTVCT */
		if (is_read)
			*val = (uint32_t)(v->a64.cntv_cval - cntvct(v));
		else
			v->a64.cntv_cval = cntvct(v) + (uint64_t)(int64_t)(int32_t)*val;
		return true;
	case R_CNTKCTL:
		if (is_read)
			*val = v->a64.cntkctl;
		else
			v->a64.cntkctl = *val;
		return true;
	}
	return false;
}

static uint32_t hook_sysreg(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *ud, bool is_read)
{
	struct vcpu *v = ud;
	uint32_t r = SYS_REG(cp->op0, cp->op1, cp->crn, cp->crm, cp->op2);
	uint64_t pc = rd(v, UC_ARM64_REG_PC), val = is_read ? 0 : cp->val;
	unsigned rt = reg == UC_ARM64_REG_XZR ? 31 : reg >= UC_ARM64_REG_X0 && reg <= UC_ARM64_REG_X28 ?
		      (unsigned)(reg - UC_ARM64_REG_X0) : reg == UC_ARM64_REG_X29 ? 29 : 30;

	if (el2_traps_sysreg(&v->set->el2, r, is_read)) {
		take_exit(v, EL2X_SYS64, el2_esr_sys64(r, rt, is_read), pc, false, "");
		/* The hypervisor emulates with the architectural values the CPU model holds. */
		if (cp->op0 == 3)
			sysreg_rw(v, r, &val, !is_read);
		/* op0 == 1 (DC ISW/CSW/CISW): caches are not modelled, nothing to do */
	} else if (!emulate_untrapped(v, r, is_read, &val)) {
		return 0;   /* the CPU model executes it (or raises UNDEF) */
	}
	if (is_read && rt != 31)
		uc_reg_write(uc, reg, &val);
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

static void a64_timer_event(void *ctx, cycles_t when);

/* WFI (trapped or not) and PSCI CPU_SUSPEND: wait until the virtual timer
 * condition holds, the only wake-up source modelled so far. */
static void wait_for_interrupt(struct vcpu *v)
{
	uint64_t ctl = v->a64.cntv_ctl;
	if ((ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE) {
		cycles_t due = virt_cycles_at_count(v->set->virt, v->a64.cntv_cval);
		if (due <= v->until) {          /* wakes within this slice: just advance */
			if (due > v->sc.clock) {
				v->sc.idle_cycles += due - v->sc.clock;
				v->sc.clock = due;
			}
			return;
		}
		evq_push(&v->set->sim.events, due, a64_timer_event, v);
	}
	vcpu_halt(v, SIM_CPU_HALTED);
}

static void a64_timer_event(void *ctx, cycles_t when)
{
	struct vcpu *v = ctx;
	/* Stale if the guest re-armed or disabled the timer since. */
	if (v->sc.state == SIM_CPU_HALTED && (v->a64.cntv_ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE &&
	    virt_cycles_at_count(v->set->virt, v->a64.cntv_cval) <= when)
		sim_cpu_wake(&v->sc, when);
}

static void smccc(struct vcpu *v, enum el2_exit x, uint64_t pc_after)
{
	struct virt *vm = v->set->virt;
	uint32_t insn = 0;
	vcpu_read_phys(v, pc_after - 4, &insn, 4);
	uint16_t imm = (insn >> 5) & 0xffff;
	uint32_t esr = x == EL2X_HVC64 ? el2_esr_hvc(imm) : el2_esr_smc(imm);
	uint64_t a[4] = { rd(v, UC_ARM64_REG_X0), rd(v, UC_ARM64_REG_X1), rd(v, UC_ARM64_REG_X2), rd(v, UC_ARM64_REG_X3) };
	take_exit(v, x, esr, pc_after - 4, false, "");
	struct hv_call r;
	vm->m.cur_cpu = v->id;
	virt_smccc(vm, v->id, a, v->sc.clock, &r);
	wr(v, UC_ARM64_REG_X0, r.ret);
	switch (r.act) {
	case HV_NONE: break;
	case HV_CPU_OFF: vcpu_halt(v, SIM_CPU_OFF); break;
	case HV_WAIT: wait_for_interrupt(v); break;
	case HV_STOP:
		sim_stop(&v->set->sim, SIM_STOP_EXIT, r.status);
		vcpu_stop(v);
		break;
	}
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
	struct vcpu *v = ud;
	uint64_t pc = rd(v, UC_ARM64_REG_PC);
	uint32_t insn = 0;
	switch (intno) {
	case EXCP_HVC:     /* PC is after the HVC; HVC always traps to EL2 */
		smccc(v, EL2X_HVC64, pc);
		return;
	case EXCP_SMC:     /* PC after; traps to EL2 under HCR_EL2.TSC, else UNDEFINED (no EL3) */
		if (el2_traps_smc(&v->set->el2)) {
			smccc(v, EL2X_SMC64, pc);
			return;
		}
		if (inject_sync(v, pc - 4, (EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0, false) < 0)
			goto fail;
		return;
	case EXCP_SWI:     /* PC after the SVC */
		vcpu_read_phys(v, pc - 4, &insn, 4);
		if (inject_sync(v, pc, (EC_SVC64 << ESR_EC_SHIFT) | ESR_IL | ((insn >> 5) & 0xffff), 0, false) < 0)
			goto fail;
		return;
	case EXCP_BKPT:    /* PC at the BRK */
		vcpu_read_phys(v, pc, &insn, 4);
		if (inject_sync(v, pc, (EC_BRK64 << ESR_EC_SHIFT) | ESR_IL | ((insn >> 5) & 0xffff), 0, false) < 0)
			goto fail;
		return;
	case EXCP_UDEF:    /* PC at the instruction; includes ICC_* (no GIC yet) */
		if (inject_sync(v, pc, (EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL, 0, false) < 0)
			goto fail;
		return;
	default:
		err_set("cpu%u: guest exception %u at 0x%llx (stage-1 MMU faults are not modelled yet)", v->id,
			intno, (unsigned long long)pc);
		goto fail;
	}
fail:
	sim_stop(&v->set->sim, SIM_STOP_ERROR, 0);
	vcpu_stop(v);
}

/* ---- MMIO: every access to a device is a stage-2 data abort (DABT_LOW) ---- */
static void mmio_exit(struct mmio_ctx *c, unsigned size, bool write)
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

static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct mmio_ctx *c = ud;
	mmio_exit(c, size, false);
	return vcpu_dev_read(c->v, c->w, c->base + off, size);
}

static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud)
{
	struct mmio_ctx *c = ud;
	mmio_exit(c, size, true);
	vcpu_dev_write(c->v, c->w, c->base + off, size, val);
}

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	vcpu_block(ud, addr, size);
}

static int a64_create(struct vcpu *v)
{
	uc_hook h;
	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &v->uc) != UC_ERR_OK)
		return err_set("cannot create an AArch64 Unicorn engine");
	uc_ctl_set_cpu_model(v->uc, UC_CPU_ARM64_A72);
	/* 40-bit IPA space, KVM's default (VTCR_EL2.T0SZ = 24) */
	if (vcpu_map_phys(v, 1ULL << 40, mmio_read, mmio_write) < 0)
		return -1;
	/* Non-secure, EL2 present and AArch64 below EL3/EL2, or HVC is UNDEFINED
	 * and ERET misbehaves in Unicorn 2.0.1 (TOOLCHAIN-NOTES). */
	uint64_t scr = 0x501, hcr = HCR_RW;
	sysreg_rw(v, R_SCR_EL3, &scr, true);
	sysreg_rw(v, R_HCR_EL2, &hcr, true);
	if (uc_hook_add(v->uc, &h, UC_HOOK_BLOCK, hook_block, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INTR, hook_intr, v, 1, 0) ||
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
	DBG(LOG_CPU, "cpu%u: reset, entry 0x%llx x0 0x%llx", v->id, (unsigned long long)entry, (unsigned long long)arg);
}

static uint64_t a64_get_pc(struct vcpu *v) { return rd(v, UC_ARM64_REG_PC); }
static void a64_set_pc(struct vcpu *v, uint64_t pc) { wr(v, UC_ARM64_REG_PC, pc); }

static int a64_after_run(struct vcpu *v, uc_err e)
{
	uint64_t pc = rd(v, UC_ARM64_REG_PC);
	if (e == UC_ERR_FETCH_UNMAPPED || e == UC_ERR_FETCH_PROT) {
		/* Instruction fetch from an IPA with no memory: stage-2 fault, and
		 * KVM injects an external instruction abort (kvm_inject_pabt). */
		take_exit(v, EL2X_IABT_LOW, el2_esr_iabt_low(FSC_FAULT_L(3)), pc, false, "");
		return inject_sync(v, pc, el2_esr_injected_abort(true, false), pc, true);
	}
	if (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED) {
		/* Only beyond the 40-bit IPA space (everything below is mapped). */
		err_set("cpu%u: data access outside the 40-bit IPA space near PC 0x%llx (address size faults are not modelled)",
			v->id, (unsigned long long)pc);
		sim_stop(&v->set->sim, SIM_STOP_GUEST_FAULT, 0);
		return 0;
	}
	if (e != UC_ERR_OK) {
		if (v->set->sim.stop == SIM_STOP_ERROR)
			return -1;
		return err_set("cpu%u: Unicorn stopped at 0x%llx: %s", v->id, (unsigned long long)pc, uc_strerror(e));
	}
	if (v->set->sim.stop == SIM_STOP_ERROR)
		return -1;
	if (v->stop_requested)
		return 0;
	/* Unicorn stops by itself after WFI. */
	uint32_t insn = 0;
	if (vcpu_read_phys(v, pc - 4, &insn, 4) && insn == A64_WFI) {
		if (el2_traps_wfi(&v->set->el2))
			take_exit(v, EL2X_WFX, el2_esr_wfx(false), pc - 4, false, "");
		wait_for_interrupt(v);
	}
	return 0;
}

const struct arch_ops a64_ops = {
	.create = a64_create,
	.reset = a64_reset,
	.get_pc = a64_get_pc,
	.set_pc = a64_set_pc,
	.run_until_addr = UINT64_MAX,   /* A64 PCs are 4-aligned: never reached */
	.after_run = a64_after_run,
};
