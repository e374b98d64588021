/* ARM EL2 trap and cost model.  See el2.h. */
#include <stddef.h>
#include "cpu/el2.h"

/* Costs are cycles at [cpu] freq_mhz; the defaults and their sources live in
 * designs/default-arm64.ini. */
const struct cfg_key el2_cfg_keys[] = {
	{ "el2", "hcr_el2", CFG_U64, 0, 18446744073709551615.0, NULL,
	  "HCR_EL2 while the guest runs; consulted: TWI TWE TID1 TID2 TID3 TSC TIDCP TACR TSW TVM TRVM" },
	{ "el2", "cnthctl_el2", CFG_U64, 0, 18446744073709551615.0, NULL,
	  "CNTHCTL_EL2 while the guest runs (nVHE layout); consulted: EL1PCTEN EL1PCEN (clear: CNTPCT / CNTP_* trap)" },
	{ "el2", "world_switch", CFG_ENUM, 0, 0, "nvhe|vhe",
	  "nvhe: host and guest EL1 context switched on every exit; vhe: the host at EL2, guest EL1 context kept until vcpu_put" },
	{ "el2", "fpsimd", CFG_ENUM, 0, 0, "lazy|eager",
	  "FP/SIMD switch: lazy (on the guest's first use, CPTR_EL2.TFP; not charged per exit) or on every exit" },
	{ "el2", "trap_cycles", CFG_U64, 0, 1e6, NULL, "one exception entry to EL2 (nVHE takes two per exit: the guest's trap, the host's HVC)" },
	{ "el2", "eret_cycles", CFG_U64, 0, 1e6, NULL, "one ERET from EL2 (nVHE: two per exit)" },
	{ "el2", "sysreg_cycles", CFG_U64, 0, 1e6, NULL, "one MRS or MSR of an EL1 context or EL2 control register by the hypervisor" },
	{ "el2", "gic_sysreg_cycles", CFG_U64, 0, 1e6, NULL,
	  "one GIC CPU interface register access: ICH_* by the hypervisor, ICV_* by the guest (charged on top of the instruction)" },
	{ "el2", "gpr_pair_cycles", CFG_U64, 0, 1e6, NULL, "one STP or LDP of two general-purpose registers" },
	{ "el2", "fpsimd_cycles", CFG_U64, 0, 1e6, NULL, "one FP/SIMD switch: V0-V31, FPSR, FPCR saved and the other side's restored" },
	{ "el2", "run_loop_cycles", CFG_U64, 0, 1e9, NULL, "the host's run loop around each exit (kvm_arch_vcpu_ioctl_run)" },
	{ "el2", "run_loop_entry_cycles", CFG_U64, 0, 1e9, NULL,
	  "the share of run_loop_cycles after the exit's handler, on the way back into the guest (at most run_loop_cycles)" },
	{ "el2", "gprs", CFG_U64, 0, 1000, NULL, "general-purpose registers saved and restored per exit, guest and host" },
	{ "el2", "el1_sysregs", CFG_U64, 0, 1000, NULL, "EL1 context registers of one side (saved, then restored)" },
	{ "el2", "el2_ctl_regs", CFG_U64, 0, 1000, NULL, "EL2 control registers written for the guest at entry and for the host at exit" },
	{ "el2", "timer_regs", CFG_U64, 0, 1000, NULL, "timer register accesses per nVHE exit (CNTHCTL_EL2 read-modify-write, both ways)" },
	{ "el2", "vgic_fixed_regs", CFG_U64, 0, 1000, NULL,
	  "ICH_* accesses per exit once a list register is in use (ICH_ELRSR_EL2, ICH_HCR_EL2 both ways); 3 more per LR in use" },
	{ "el2", "vgic_load_regs", CFG_U64, 0, 1000, NULL, "ICH_VMCR_EL2 and ICH_AP<n>R<m>_EL2 registers saved at vcpu_put and restored at vcpu_load" },
	{ "el2", "timer_load_regs", CFG_U64, 0, 1000, NULL, "timer registers saved at vcpu_put and restored at vcpu_load" },
	{ "el2", "wfx_cycles", CFG_U64, 0, 1e9, NULL, "handler: trapped WFI/WFE (block or yield decision)" },
	{ "el2", "hvc_cycles", CFG_U64, 0, 1e9, NULL, "handler: HVC (SMCCC dispatch: PSCI, hypercalls)" },
	{ "el2", "smc_cycles", CFG_U64, 0, 1e9, NULL, "handler: SMC trapped by HCR_EL2.TSC (SMCCC dispatch)" },
	{ "el2", "sys64_cycles", CFG_U64, 0, 1e9, NULL, "handler: trapped MRS/MSR/SYS emulation" },
	{ "el2", "iabt_cycles", CFG_U64, 0, 1e9, NULL, "handler: stage-2 instruction abort (abort injected)" },
	{ "el2", "dabt_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: stage-2 data abort taken as MMIO: fault decode, memslot lookup, I/O bus search, the access completed (every MMIO exit)" },
	{ "el2", "kernel_mmio_cycles", CFG_U64, 0, 1e9, NULL,
	  "extra: MMIO emulated by an in-kernel device (KVM's vgic and ITS: region lookup, the register's handler)" },
	{ "el2", "irq_cycles", CFG_U64, 0, 1e9, NULL,
	  "handler: the host's path for a physical interrupt taken while the guest ran (kick IPI, maintenance; a timer adds [gic] timer_irq_cycles)" },
	{ "el2", "mmio_user_cycles", CFG_U64, 0, 1e9, NULL,
	  "extra: MMIO emulated by the userspace VMM: KVM_RUN returns, the VMM emulates, KVM_RUN again (vcpu_put/load apart)" },
};
const unsigned el2_cfg_nkeys = sizeof el2_cfg_keys / sizeof el2_cfg_keys[0];

static const struct {
	const char *name;
	enum esr_ec ec;
	const char *key;
} exits[EL2X_COUNT] = {
	[EL2X_WFX]      = { "WFx",      EC_WFX,      "wfx_cycles" },
	[EL2X_HVC64]    = { "HVC64",    EC_HVC64,    "hvc_cycles" },
	[EL2X_SMC64]    = { "SMC64",    EC_SMC64,    "smc_cycles" },
	[EL2X_SYS64]    = { "SYS64",    EC_SYS64,    "sys64_cycles" },
	[EL2X_IABT_LOW] = { "IABT_LOW", EC_IABT_LOW, "iabt_cycles" },
	[EL2X_DABT_LOW] = { "DABT_LOW", EC_DABT_LOW, "dabt_cycles" },
	[EL2X_IRQ]      = { "IRQ",      EC_UNKNOWN,  "irq_cycles" },
};

/* The unit costs and register counts, each read from its key */
#define U64_KEY(f) { #f, offsetof(struct el2_model, f) }
static const struct { const char *key; size_t off; } u64_keys[] = {
	U64_KEY(trap_cycles), U64_KEY(eret_cycles), U64_KEY(sysreg_cycles), U64_KEY(gic_sysreg_cycles),
	U64_KEY(gpr_pair_cycles), U64_KEY(fpsimd_cycles), U64_KEY(run_loop_cycles), U64_KEY(gprs),
	U64_KEY(el1_sysregs), U64_KEY(el2_ctl_regs), U64_KEY(timer_regs), U64_KEY(vgic_fixed_regs),
	U64_KEY(vgic_load_regs), U64_KEY(timer_load_regs), U64_KEY(run_loop_entry_cycles), U64_KEY(kernel_mmio_cycles),
};

void el2_init(struct el2_model *m, const struct cfg *c)
{
	m->hcr_el2 = cfg_u64(c, "el2", "hcr_el2");
	m->cnthctl_el2 = cfg_u64(c, "el2", "cnthctl_el2");
	m->ws = cfg_enum(c, "el2", "world_switch") ? EL2_VHE : EL2_NVHE;
	m->fpsimd = cfg_enum(c, "el2", "fpsimd") ? EL2_FP_EAGER : EL2_FP_LAZY;
	for (unsigned i = 0; i < sizeof u64_keys / sizeof u64_keys[0]; i++)
		*(uint64_t *)((char *)m + u64_keys[i].off) = cfg_u64(c, "el2", u64_keys[i].key);
	m->mmio_user_cycles = cfg_u64(c, "el2", "mmio_user_cycles");
	if (m->run_loop_entry_cycles > m->run_loop_cycles)   /* a share of the loop, never more */
		m->run_loop_entry_cycles = m->run_loop_cycles;
	for (unsigned i = 0; i < EL2X_COUNT; i++)
		m->handler[i] = cfg_u64(c, "el2", exits[i].key);
	for (unsigned i = 0; i < EL2X_COUNT; i++)
		for (unsigned user = 0; user < 2; user++)
			el2_exit_parts(m, i, user, 0, &m->no_lr[i][user]);
}

const char *el2_exit_name(enum el2_exit x) { return exits[x].name; }
enum esr_ec el2_exit_ec(enum el2_exit x) { return exits[x].ec; }

bool el2_traps_wfi(const struct el2_model *m) { return m->hcr_el2 & HCR_TWI; }
bool el2_traps_smc(const struct el2_model *m) { return m->hcr_el2 & HCR_TSC; }

/* Registers written under HCR_EL2.TVM and read under TRVM (D19.2.48). */
static bool is_vm_ctl_reg(uint32_t r)
{
	switch (r) {
	case SYS_REG(3, 0, 1, 0, 0):   /* SCTLR_EL1 */
	case SYS_REG(3, 0, 2, 0, 0):   /* TTBR0_EL1 */
	case SYS_REG(3, 0, 2, 0, 1):   /* TTBR1_EL1 */
	case SYS_REG(3, 0, 2, 0, 2):   /* TCR_EL1 */
	case SYS_REG(3, 0, 5, 1, 0):   /* AFSR0_EL1 */
	case SYS_REG(3, 0, 5, 1, 1):   /* AFSR1_EL1 */
	case SYS_REG(3, 0, 5, 2, 0):   /* ESR_EL1 */
	case SYS_REG(3, 0, 6, 0, 0):   /* FAR_EL1 */
	case SYS_REG(3, 0, 10, 2, 0):  /* MAIR_EL1 */
	case SYS_REG(3, 0, 10, 3, 0):  /* AMAIR_EL1 */
	case SYS_REG(3, 0, 13, 0, 1):  /* CONTEXTIDR_EL1 */
		return true;
	}
	return false;
}

/* ICC_SGI1R_EL1 and ICC_ASGI1R_EL1 trap under IMO, ICC_SGI0R_EL1 under FMO
 * (IHI 0069H 12.2.20-22); CNTPCT_EL0 without EL1PCTEN and CNTP_CTL/CVAL/TVAL
 * without EL1PCEN (D13.9.x CNTHCTL_EL2, E2H == 0). */
static bool traps_gic_timer(const struct el2_model *m, uint32_t r)
{
	switch (r) {
	case SYS_REG(3, 0, 12, 11, 5): case SYS_REG(3, 0, 12, 11, 6): return m->hcr_el2 & HCR_IMO;
	case SYS_REG(3, 0, 12, 11, 7): return m->hcr_el2 & HCR_FMO;
	case SYS_REG(3, 3, 14, 0, 1): return !(m->cnthctl_el2 & CNTHCTL_EL1PCTEN);
	case SYS_REG(3, 3, 14, 2, 0): case SYS_REG(3, 3, 14, 2, 1): case SYS_REG(3, 3, 14, 2, 2):
		return !(m->cnthctl_el2 & CNTHCTL_EL1PCEN);
	}
	return false;
}

bool el2_traps_sysreg(const struct el2_model *m, uint32_t r, bool is_read)
{
	if (traps_gic_timer(m, r))
		return true;
	uint64_t hcr = m->hcr_el2;
	unsigned op0 = SYS_REG_OP0(r), op1 = SYS_REG_OP1(r), crn = SYS_REG_CRN(r), crm = SYS_REG_CRM(r);

	/* TID3: ID group 3, op0=3 op1=0 CRn=0 CRm=1..7 (ID_AA64PFR0_EL1 ...) */
	if ((hcr & HCR_TID3) && is_read && op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7)
		return true;
	/* TID1: REVIDR_EL1, AIDR_EL1 */
	if ((hcr & HCR_TID1) && is_read && (r == SYS_REG(3, 0, 0, 0, 6) || r == SYS_REG(3, 1, 0, 0, 7)))
		return true;
	/* TID2: CTR_EL0, CCSIDR_EL1, CCSIDR2_EL1, CLIDR_EL1 (reads), CSSELR_EL1 (both) */
	if ((hcr & HCR_TID2) && ((is_read && (r == SYS_REG(3, 3, 0, 0, 1) || r == SYS_REG(3, 1, 0, 0, 0) ||
					      r == SYS_REG(3, 1, 0, 0, 2) || r == SYS_REG(3, 1, 0, 0, 1))) ||
				 r == SYS_REG(3, 2, 0, 0, 0)))
		return true;
	/* TACR: ACTLR_EL1 */
	if ((hcr & HCR_TACR) && r == SYS_REG(3, 0, 1, 0, 1))
		return true;
	/* TIDCP: IMPLEMENTATION DEFINED registers (op0=3) and SYS/SYSL instructions (op0=1), CRn=11 or 15 */
	if ((hcr & HCR_TIDCP) && (op0 == 1 || op0 == 3) && (crn == 11 || crn == 15))
		return true;
	/* TSW: DC ISW, DC CSW, DC CISW (set/way maintenance) */
	if ((hcr & HCR_TSW) && (r == SYS_REG(1, 0, 7, 6, 2) || r == SYS_REG(1, 0, 7, 10, 2) ||
				r == SYS_REG(1, 0, 7, 14, 2)))
		return true;
	if (is_vm_ctl_reg(r) && ((!is_read && (hcr & HCR_TVM)) || (is_read && (hcr & HCR_TRVM))))
		return true;
	return false;
}

uint32_t el2_esr_hvc(uint16_t imm16) { return el2_esr(EC_HVC64, imm16); }
uint32_t el2_esr_smc(uint16_t imm16) { return el2_esr(EC_SMC64, imm16); }
/* From AArch64 the condition is always valid: CV = 1, COND = 0b1110 */
uint32_t el2_esr_wfx(bool wfe) { return el2_esr(EC_WFX, (1u << 24) | (0xeu << 20) | (wfe ? ISS_WFX_TI_WFE : 0)); }

uint32_t el2_esr_sys64(uint32_t r, unsigned rt, bool is_read)
{
	uint32_t iss = (SYS_REG_OP0(r) << 20) | (SYS_REG_OP2(r) << 17) | (SYS_REG_OP1(r) << 14) |
		       (SYS_REG_CRN(r) << 10) | ((rt & 31) << 5) | (SYS_REG_CRM(r) << 1) | (is_read ? 1 : 0);
	return el2_esr(EC_SYS64, iss);
}

uint32_t el2_esr_iabt_low(unsigned ifsc) { return el2_esr(EC_IABT_LOW, ifsc & 0x3f); }

uint32_t el2_esr_injected_abort(bool instruction, bool from_el0, unsigned fsc)
{
	enum esr_ec ec = instruction ? (from_el0 ? EC_IABT_LOW : EC_IABT_CUR)
				     : (from_el0 ? EC_DABT_LOW : EC_DABT_CUR);
	return el2_esr(ec, fsc & ESR_FSC_MASK);
}

const char *esr_ec_name(unsigned ec)
{
	switch (ec) {
	case EC_UNKNOWN: return "UNKNOWN";
	case EC_WFX: return "WFx";
	case EC_SVC64: return "SVC64";
	case EC_HVC64: return "HVC64";
	case EC_SMC64: return "SMC64";
	case EC_SYS64: return "SYS64";
	case EC_IABT_LOW: return "IABT_LOW";
	case EC_IABT_CUR: return "IABT_CUR";
	case EC_DABT_LOW: return "DABT_LOW";
	case EC_DABT_CUR: return "DABT_CUR";
	case EC_BRK64: return "BRK64";
	}
	return NULL;
}

static const char *const part_names[EL2P_COUNT] = {
	[EL2P_TRAP] = "trap", [EL2P_GPR] = "gpr", [EL2P_EL1_SYSREGS] = "el1_sysregs", [EL2P_FPSIMD] = "fpsimd",
	[EL2P_VGIC] = "vgic", [EL2P_TIMER] = "timer", [EL2P_EL2_CONFIG] = "el2_config", [EL2P_ERET] = "eret",
	[EL2P_RUN_LOOP] = "run_loop", [EL2P_HANDLER] = "handler", [EL2P_USER] = "user", [EL2P_LOAD_PUT] = "load_put",
	[EL2P_KERNEL_DEV] = "kernel_dev",
};
const char *el2_part_name(enum el2_part p) { return part_names[p]; }

/* What moves on every exit.  nVHE (__kvm_vcpu_run): the host enters EL2
 * by HVC and ERETs into the guest, the guest traps and EL2 ERETs back to
 * the host, so two of each; host EL1 context saved and guest's restored,
 * then the reverse (each register read once and written once per side:
 * 4 accesses); CNTHCTL_EL2 set and reset.  VHE (__kvm_vcpu_run_vhe): one
 * trap and one ERET; the EL1 context and the timer traps move only at
 * vcpu_load/vcpu_put.  Both: general-purpose registers, the EL2 controls
 * guest then host, and the list registers in use with ICH_HCR_EL2 and
 * ICH_ELRSR_EL2 (none of them without an LR in use, as
 * __vgic_v3_save_state/__vgic_v3_restore_state skip them). */
static void switch_parts(const struct el2_model *m, unsigned lrs, struct cost *c)
{
	bool nvhe = m->ws == EL2_NVHE;
	cost_clear(c);
	c->part[EL2P_TRAP] = (nvhe ? 2 : 1) * m->trap_cycles;
	c->part[EL2P_ERET] = (nvhe ? 2 : 1) * m->eret_cycles;
	c->part[EL2P_GPR] = m->gprs * m->gpr_pair_cycles;
	c->part[EL2P_EL1_SYSREGS] = nvhe ? 4ull * m->el1_sysregs * m->sysreg_cycles : 0;
	c->part[EL2P_TIMER] = nvhe ? m->timer_regs * m->sysreg_cycles : 0;
	c->part[EL2P_EL2_CONFIG] = 2ull * m->el2_ctl_regs * m->sysreg_cycles;
	c->part[EL2P_VGIC] = lrs ? (m->vgic_fixed_regs + 3ull * lrs) * m->gic_sysreg_cycles : 0;
	c->part[EL2P_FPSIMD] = m->fpsimd == EL2_FP_EAGER ? m->fpsimd_cycles : 0;
	c->part[EL2P_RUN_LOOP] = m->run_loop_cycles;
}

void el2_switch_parts(const struct el2_model *m, struct cost *c) { switch_parts(m, 0, c); }

/* A round trip to the userspace VMM leaves KVM_RUN: vcpu_put saves and
 * vcpu_load restores the vGIC's VMCR and active priorities and the timer
 * (kvm_arch_vcpu_put/load), and under VHE the guest's EL1 context
 * (kvm_vcpu_put_vhe/kvm_vcpu_load_vhe). */
static cycles_t load_put(const struct el2_model *m)
{
	cycles_t t = 2ull * m->vgic_load_regs * m->gic_sysreg_cycles + 2ull * m->timer_load_regs * m->sysreg_cycles;
	if (m->ws == EL2_VHE)
		t += 2ull * m->el1_sysregs * m->sysreg_cycles;
	return t;
}

void el2_exit_parts(const struct el2_model *m, enum el2_exit x, bool user, unsigned lrs, struct cost *c)
{
	switch_parts(m, lrs, c);
	c->part[EL2P_HANDLER] = m->handler[x];
	c->part[EL2P_USER] = user ? m->mmio_user_cycles : 0;
	c->part[EL2P_LOAD_PUT] = user ? load_put(m) : 0;
	/* KVM's io_mem_abort found a device on its I/O bus (kvm_io_bus_read/write) */
	c->part[EL2P_KERNEL_DEV] = x == EL2X_DABT_LOW && !user ? m->kernel_mmio_cycles : 0;
}

/* The way back into the guest, as switch_parts counts it: nVHE's second
 * trap (the host's HVC) and the EL1 and timer restore, one ERET, the GPR
 * restores, the EL2 controls' guest values, the run loop's entry share. */
cycles_t el2_exit_tail(const struct el2_model *m)
{
	bool nvhe = m->ws == EL2_NVHE;
	cycles_t t = m->eret_cycles + m->gprs / 2 * m->gpr_pair_cycles + m->el2_ctl_regs * m->sysreg_cycles +
		     m->run_loop_entry_cycles;
	if (nvhe)
		t += m->trap_cycles + 2ull * m->el1_sysregs * m->sysreg_cycles + m->timer_regs / 2 * m->sysreg_cycles;
	return t;
}
