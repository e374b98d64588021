/* ARM EL2 as the hypervisor sees it: which guest actions trap, with which
 * syndrome, and what each trap costs.  Knows neither Unicorn nor traces.
 * Register layouts: Arm ARM DDI 0487 (J.a) D19.2.46 ESR_EL2, D19.2.48 HCR_EL2. */
#ifndef HVSIM_CPU_EL2_H
#define HVSIM_CPU_EL2_H
#include <stdbool.h>
#include <stdint.h>
#include "core/cfg.h"
#include "core/cost.h"
#include "core/sim.h"

/* ESR_ELx: EC [31:26], IL [25], ISS [24:0] */
#define ESR_EC_SHIFT      26
#define ESR_IL            (1u << 25)
#define ESR_EC(esr)       (((esr) >> ESR_EC_SHIFT) & 0x3f)

/* Exception classes (ESR_ELx.EC) */
enum esr_ec {
	EC_UNKNOWN   = 0x00,
	EC_WFX       = 0x01,
	EC_SVC64     = 0x15,
	EC_HVC64     = 0x16,
	EC_SMC64     = 0x17,
	EC_SYS64     = 0x18,
	EC_IABT_LOW  = 0x20,
	EC_IABT_CUR  = 0x21,
	EC_DABT_LOW  = 0x24,
	EC_DABT_CUR  = 0x25,
	EC_SERROR    = 0x2f,
	EC_BRK64     = 0x3c,
};
/* "IABT_CUR", "SVC64", ...; "EC 0xNN" style names are left to the caller
 * for classes not listed above (returns NULL). */
const char *esr_ec_name(unsigned ec);

/* Fault status codes (ISS.DFSC / IFSC [5:0]) */
#define ESR_FSC_MASK      0x3fu
#define FSC_ADDR_SIZE_L(n) (0x00 + (n))  /* address size fault, level n */
#define FSC_EXTABT        0x10           /* synchronous external abort */
#define FSC_FAULT_L(n)    (0x04 + (n))   /* translation fault, level n */

/* ISS of a data abort: ISV [24], SAS [23:22], SSE [21], SRT [20:16], SF [15],
 * AR [14], FnV [10], EA [9], CM [8], S1PTW [7], WnR [6], DFSC [5:0] */
#define ISS_DABT_ISV      (1u << 24)
#define ISS_DABT_SAS_SHIFT 22
#define ISS_DABT_SRT_SHIFT 16
#define ISS_DABT_SF       (1u << 15)
#define ISS_DABT_WNR      (1u << 6)
/* ISS of WFx: TI [1:0]: 0 WFI, 1 WFE */
#define ISS_WFX_TI_WFE    1u
/* ISS of SYS64: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5],
 * CRm [4:1], Direction [0] (1 = read, MRS) */

/* HCR_EL2 bits consulted by the trap model */
#define HCR_VM     (1ull << 0)
#define HCR_FMO    (1ull << 3)
#define HCR_IMO    (1ull << 4)
#define HCR_TWI    (1ull << 13)
#define HCR_TWE    (1ull << 14)
#define HCR_TID1   (1ull << 16)
#define HCR_TID2   (1ull << 17)
#define HCR_TID3   (1ull << 18)
#define HCR_TSC    (1ull << 19)
#define HCR_TIDCP  (1ull << 20)
#define HCR_TACR   (1ull << 21)
#define HCR_TSW    (1ull << 22)
#define HCR_TVM    (1ull << 26)
#define HCR_TRVM   (1ull << 30)
#define HCR_RW     (1ull << 31)

/* System register encoding, packed as Linux's sys_reg(): op0 [20:19],
 * op1 [18:16], CRn [15:12], CRm [11:8], op2 [7:5]. */
#define SYS_REG(op0, op1, crn, crm, op2) \
	(((uint32_t)(op0) << 19) | ((uint32_t)(op1) << 16) | ((uint32_t)(crn) << 12) | \
	 ((uint32_t)(crm) << 8) | ((uint32_t)(op2) << 5))
#define SYS_REG_OP0(r)  (((r) >> 19) & 3)
#define SYS_REG_OP1(r)  (((r) >> 16) & 7)
#define SYS_REG_CRN(r)  (((r) >> 12) & 15)
#define SYS_REG_CRM(r)  (((r) >> 8) & 15)
#define SYS_REG_OP2(r)  (((r) >> 5) & 7)

/* The exits this model produces, in the order they are reported. */
enum el2_exit {
	EL2X_WFX,
	EL2X_HVC64,
	EL2X_SMC64,
	EL2X_SYS64,
	EL2X_IABT_LOW,
	EL2X_DABT_LOW,
	EL2X_IRQ,        /* a physical interrupt while the guest ran (timer, kick IPI, maintenance): no ESR */
	EL2X_COUNT
};

/* CNTHCTL_EL2 with HCR_EL2.E2H == 0 (nVHE; D13.9.x): 1 EL1PCEN | 0 EL1PCTEN */
#define CNTHCTL_EL1PCTEN (1ull << 0)
#define CNTHCTL_EL1PCEN  (1ull << 1)

/* Which world switch the hypervisor runs (KVM/arm64): nVHE switches host
 * and guest EL1 context on every exit; VHE (HCR_EL2.E2H, the host kernel at
 * EL2) keeps the guest's EL1 registers loaded until vcpu_put. */
enum el2_world_switch { EL2_NVHE, EL2_VHE };
/* FP/SIMD: KVM switches it lazily (CPTR_EL2.TFP trap on the guest's first
 * use after vcpu_load); eager charges a switch on every exit. */
enum el2_fpsimd { EL2_FP_LAZY, EL2_FP_EAGER };

struct el2_model {
	uint64_t hcr_el2;
	uint64_t cnthctl_el2;
	enum el2_world_switch ws;
	enum el2_fpsimd fpsimd;
	/* unit costs */
	cycles_t trap_cycles;            /* exception entry to EL2 */
	cycles_t eret_cycles;            /* ERET from EL2 */
	cycles_t sysreg_cycles;          /* one MRS/MSR of a context or control register at EL2 */
	cycles_t gic_sysreg_cycles;      /* one GIC CPU interface register access (ICH_*, ICV_*) */
	cycles_t gpr_pair_cycles;        /* one STP/LDP of two general-purpose registers */
	cycles_t fpsimd_cycles;          /* one FP/SIMD context switch (save one, restore the other) */
	cycles_t run_loop_cycles;        /* the host's per-exit run loop */
	cycles_t run_loop_entry_cycles;  /* its share after the handler (back into the guest) */
	/* what KVM moves (register counts) */
	uint64_t gprs, el1_sysregs, el2_ctl_regs, timer_regs, vgic_fixed_regs, vgic_load_regs, timer_load_regs;
	cycles_t handler[EL2X_COUNT];    /* hypervisor work per exit class */
	cycles_t mmio_user_cycles;       /* round trip to the userspace VMM for an emulated device */
	cycles_t kernel_mmio_cycles;     /* an in-kernel device's emulation of one MMIO access */
	struct cost no_lr[EL2X_COUNT][2];   /* el2_exit_parts(x, user) with no LR in use (el2_init) */
};

extern const struct cfg_key el2_cfg_keys[];
extern const unsigned el2_cfg_nkeys;
void el2_init(struct el2_model *m, const struct cfg *c);

const char *el2_exit_name(enum el2_exit x);
/* EC_UNKNOWN for EL2X_IRQ, which is not a synchronous exception */
enum esr_ec el2_exit_ec(enum el2_exit x);

/* Trap decisions (HCR_EL2 and CNTHCTL_EL2 controls, D1.13 "traps to EL2") */
bool el2_traps_wfi(const struct el2_model *m);
bool el2_traps_smc(const struct el2_model *m);
/* MRS/MSR/SYS at EL1 with encoding `reg` (SYS_REG()); is_read: MRS/SYSL */
bool el2_traps_sysreg(const struct el2_model *m, uint32_t reg, bool is_read);

/* Syndromes */
uint32_t el2_esr_hvc(uint16_t imm16);
uint32_t el2_esr_smc(uint16_t imm16);
uint32_t el2_esr_wfx(bool wfe);
uint32_t el2_esr_sys64(uint32_t reg, unsigned rt, bool is_read);
/* An ESR_ELx of class ec (IL=1: every trapped instruction here is a 32-bit
 * A64 instruction) */
static inline uint32_t el2_esr(enum esr_ec ec, uint32_t iss)
{
	return ((uint32_t)ec << ESR_EC_SHIFT) | ESR_IL | (iss & 0x1ffffff);
}
/* size_log2: 0..3 (SAS); srt: transfer register; valid: ISV.  Inline:
 * every MMIO exit builds one, mostly from constants. */
static inline uint32_t el2_esr_dabt_low(bool valid, unsigned size_log2, unsigned srt, bool sf, bool write, unsigned dfsc)
{
	uint32_t iss = dfsc & 0x3f;
	if (valid)
		iss |= ISS_DABT_ISV | ((size_log2 & 3) << ISS_DABT_SAS_SHIFT) | ((srt & 31) << ISS_DABT_SRT_SHIFT) |
		       (sf ? ISS_DABT_SF : 0);
	if (write)
		iss |= ISS_DABT_WNR;
	return el2_esr(EC_DABT_LOW, iss);
}
uint32_t el2_esr_iabt_low(unsigned ifsc);
/* Syndrome of an abort taken to EL1: current-EL class when the guest was at
 * EL1, lower-EL when at EL0.  KVM injects FSC_EXTABT (inject_abt64), or an
 * address size fault at level 0 for an IPA beyond the VM's IPA space
 * (kvm_inject_size_fault). */
uint32_t el2_esr_injected_abort(bool instruction, bool from_el0, unsigned fsc);

/* The parts an exit's cost is made of (statistics exit_parts.<class>.<part>),
 * after what KVM/arm64 does around __guest_enter (arch/arm64/kvm/hyp/nvhe/
 * switch.c __kvm_vcpu_run, vhe/switch.c __kvm_vcpu_run_vhe). */
enum el2_part {
	EL2P_TRAP,        /* exception entries to EL2 (nVHE: the guest's trap and the host's HVC) */
	EL2P_GPR,         /* guest and host general-purpose registers (__guest_enter/__guest_exit) */
	EL2P_EL1_SYSREGS, /* EL1 context (sysreg-sr.h): host and guest on every nVHE exit */
	EL2P_FPSIMD,      /* FP/SIMD registers (eager switching only) */
	EL2P_VGIC,        /* list registers in use, ICH_HCR_EL2, ICH_ELRSR_EL2 (vgic-v3-sr.c) */
	EL2P_TIMER,       /* CNTHCTL_EL2 trap configuration (nVHE __timer_enable/disable_traps) */
	EL2P_EL2_CONFIG,  /* HCR_EL2, CPTR_EL2, MDCR_EL2, HSTR_EL2, VTTBR_EL2, VTCR_EL2... guest then host values */
	EL2P_ERET,        /* ERETs (nVHE: into the guest and back to the host) */
	EL2P_RUN_LOOP,    /* the host's kvm_arch_vcpu_ioctl_run loop around the exit */
	EL2P_HANDLER,     /* the hypervisor's work for this exit class */
	EL2P_USER,        /* round trip to the userspace VMM (emulated device) */
	EL2P_LOAD_PUT,    /* vcpu_put/vcpu_load around that round trip: VMCR, APRs, timer (VHE: EL1 context) */
	EL2P_KERNEL_DEV,  /* MMIO emulated by an in-kernel device (the vgic, the ITS) */
	EL2P_COUNT
};
const char *el2_part_name(enum el2_part p);
/* One exit of class x, by part; `user` adds the userspace VMM round trip
 * (a DABT_LOW without it is MMIO emulated in the kernel: kernel_dev);
 * `lrs`: list registers in use while the guest ran (saved at this exit and
 * written again at the next entry; the caller knows them, this model does
 * not look into the GIC). */
void el2_exit_parts(const struct el2_model *m, enum el2_exit x, bool user, unsigned lrs, struct cost *c);
/* The same with no list register in use, computed once from the design
 * (el2_init): what nearly every exit costs. */
static inline const struct cost *el2_exit_parts_no_lr(const struct el2_model *m, enum el2_exit x, bool user)
{
	return &m->no_lr[x][user];
}
/* The world switch alone (every part but the handler and the userspace
 * round trip), with no list register in use. */
void el2_switch_parts(const struct el2_model *m, struct cost *c);
/* The cycles of an exit after its handler (no list register in use): what
 * the hypervisor does between, say, a kick sent from the handler and the
 * guest running again. */
cycles_t el2_exit_tail(const struct el2_model *m);
/* A guest access to the GIC CPU interface served by the hardware (ICV_*,
 * no exit): its cost beyond the instruction's own. */
static inline cycles_t el2_icv_access_cycles(const struct el2_model *m) { return m->gic_sysreg_cycles; }

/* Cycles charged to the vCPU for one exit of class x: the sum of its parts. */
static inline cycles_t el2_exit_cost(const struct el2_model *m, enum el2_exit x, bool user, unsigned lrs)
{
	struct cost c;
	el2_exit_parts(m, x, user, lrs, &c);
	return cost_total(&c);
}

#endif
