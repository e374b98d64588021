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

struct el2_model {
	uint64_t hcr_el2;
	uint64_t cnthctl_el2;
	cycles_t exit_cycles;            /* trap to EL2 + guest context save */
	cycles_t entry_cycles;           /* context restore + ERET */
	cycles_t handler[EL2X_COUNT];    /* hypervisor work per exit class */
	cycles_t mmio_user_cycles;       /* extra round trip to the userspace VMM for an emulated device */
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
/* size_log2: 0..3 (SAS); srt: transfer register; valid: ISV */
uint32_t el2_esr_dabt_low(bool valid, unsigned size_log2, unsigned srt, bool sf, bool write, unsigned dfsc);
uint32_t el2_esr_iabt_low(unsigned ifsc);
/* Syndrome of an abort taken to EL1: current-EL class when the guest was at
 * EL1, lower-EL when at EL0.  KVM injects FSC_EXTABT (inject_abt64), or an
 * address size fault at level 0 for an IPA beyond the VM's IPA space
 * (kvm_inject_size_fault). */
uint32_t el2_esr_injected_abort(bool instruction, bool from_el0, unsigned fsc);

/* The parts an exit's cost is made of (statistics exit_parts.<class>.<part>). */
enum el2_part {
	EL2P_EXIT,       /* trap to EL2 + guest context save */
	EL2P_HANDLER,    /* the hypervisor's work for this exit class */
	EL2P_ENTRY,      /* context restore + ERET */
	EL2P_USER,       /* round trip to the userspace VMM (emulated device) */
	EL2P_COUNT
};
const char *el2_part_name(enum el2_part p);
/* One exit of class x, by part; `user` adds the userspace VMM round trip. */
void el2_exit_parts(const struct el2_model *m, enum el2_exit x, bool user, struct cost *c);
/* The world switch alone (exit and entry parts, no handler). */
void el2_switch_parts(const struct el2_model *m, struct cost *c);

/* Cycles charged to the vCPU for one exit of class x: the sum of its parts. */
static inline cycles_t el2_exit_cost(const struct el2_model *m, enum el2_exit x, bool user)
{
	struct cost c;
	el2_exit_parts(m, x, user, &c);
	return cost_total(&c);
}

#endif
