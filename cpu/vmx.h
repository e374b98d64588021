/* Intel VT-x as the hypervisor sees it: which guest events cause VM exits
 * under the VMCS controls, with which basic exit reason and qualification,
 * event injection on VM entry, the interrupt and NMI windows, the
 * VMX-preemption timer, and what each exit costs.  Knows neither Unicorn nor
 * traces: the Unicorn front end (cpu/x86.c) and trace replay both ask
 * vmx_decide().
 * Intel SDM Vol. 3C (Dec 2022): ch. 25 VMCS, ch. 26 VMX non-root operation,
 * ch. 27 VM entries, ch. 28 VM exits, Appendix B field encodings, Appendix C
 * exit reasons.  Layouts: cpu/vmx_ctrls.h (control bits), cpu/vmcs.h (field
 * encodings), cpu/vmx_reason.h (exit reasons). */
#ifndef HVSIM_CPU_VMX_H
#define HVSIM_CPU_VMX_H
#include <stdbool.h>
#include <stdint.h>
#include "core/cfg.h"
#include "core/cost.h"
#include "core/field.h"
#include "core/sim.h"
#include "cpu/vmcs.h"
#include "cpu/vmx_ctrls.h"
#include "cpu/vmx_reason.h"

/* The exit classes hvsim accounts, each with a handler cost from the design
 * and a basic exit reason (vmx_exit_reason), in the order they are reported. */
enum vmx_exit {
	VMXX_CPUID,
	VMXX_HLT,
	VMXX_RDTSC,
	VMXX_VMCALL,
	VMXX_IO_INSTRUCTION,
	VMXX_MSR_READ,
	VMXX_MSR_WRITE,
	VMXX_EPT_VIOLATION,
	VMXX_EPT_MISCONFIG,
	VMXX_TRIPLE_FAULT,
	VMXX_CR_ACCESS,          /* MOV CR8 without TPR shadow; shadow paging's MOV CR3 */
	VMXX_COUNT
};

struct vmx_model {
	struct vmcs vmcs;                /* controls as the design sets them (KVM's vmcs01); every decision consults them */
	uint64_t misc;                   /* IA32_VMX_MISC: preemption-timer rate, injection of length 0, ... */
	uint8_t io_bitmap[2][4096];      /* A: ports 0000-7FFF, B: 8000-FFFF (SDM 25.6.4); KVM: all ones */
	uint8_t msr_bitmap[4096];        /* read low, read high, write low, write high (SDM 25.6.9) */
	bool mmio_spte_cache;            /* KVM caches MMIO in "misconfigured" SPTEs */
	cycles_t exit_cycles;            /* VM exit: the hardware transition (SDM ch. 28) */
	cycles_t save_cycles;            /* the hypervisor's state save and exit dispatch after it */
	cycles_t restore_cycles;         /* the hypervisor's state restore before the entry */
	cycles_t entry_cycles;           /* VM entry: the hardware transition (SDM ch. 27) */
	cycles_t handler[VMXX_COUNT];
	cycles_t user_cycles;            /* extra round trip to the userspace VMM for an emulated device */
	cycles_t fastpath_cycles;        /* handler of an exit KVM completes in its fastpath */
	struct cost fixed[VMXX_COUNT][2];   /* vmx_exit_parts(x, user), computed once (vmx_init) */
};

extern const struct cfg_key vmx_cfg_keys[];
extern const unsigned vmx_cfg_nkeys;
void vmx_init(struct vmx_model *m, const struct cfg *c);
/* Empty VMCS, KVM's bitmaps (every port intercepted; MSRs as
 * vmx_msr_kvm_passthrough), no costs.  vmx_init starts from this. */
void vmx_reset(struct vmx_model *m);

const char *vmx_exit_name(enum vmx_exit x);
enum vmx_exit_reason vmx_exit_reason(enum vmx_exit x);
/* The accounted class of basic reason r; VMXX_COUNT if hvsim has none. */
enum vmx_exit vmx_exit_class(unsigned r);

/* The parts an exit's cost is made of (statistics exit_parts.<class>.<part>),
 * in the order they happen; each is a design key of [vmx] (docs/x86-calibration.md). */
enum vmx_part {
	VMXP_EXIT,       /* VM exit: the hardware transition (SDM ch. 28) */
	VMXP_SAVE,       /* KVM after the exit: guest GPRs, RSB refill, exit information (vmx_vcpu_run) */
	VMXP_HANDLER,    /* the hypervisor's work for this exit class */
	VMXP_APIC,       /* APIC register emulation behind the exit ([lapic]) */
	VMXP_USER,       /* round trip to the userspace VMM (emulated device) */
	VMXP_RESTORE,    /* KVM before the entry: request checks, dirty VMCS fields, GPRs, buffer clearing */
	VMXP_ENTRY,      /* VM entry: the hardware transition (SDM ch. 27) */
	VMXP_COUNT
};
const char *vmx_part_name(enum vmx_part p);
/* The VM exit and entry with KVM's save and restore around them (no handler). */
void vmx_switch_parts(const struct vmx_model *m, struct cost *c);
/* One exit of class x, by part; `user` adds the userspace VMM round trip. */
void vmx_exit_parts(const struct vmx_model *m, enum vmx_exit x, bool user, struct cost *c);
/* The same, computed once from the design (vmx_init): what an exit with
 * nothing added to its parts costs. */
static inline const struct cost *vmx_exit_parts_fixed(const struct vmx_model *m, enum vmx_exit x, bool user)
{
	return &m->fixed[x][user];
}
/* The handler of c is KVM's fastpath (handle_fastpath_set_msr_irqoff): run
 * right after the exit with interrupts off, re-entering at once
 * (EXIT_FASTPATH_REENTER_GUEST), without the full exit path. */
void vmx_fastpath_parts(const struct vmx_model *m, struct cost *c);
/* Does KVM complete this intercepted WRMSR (in x2APIC mode) in its fastpath? */
bool vmx_msr_fastpath(uint32_t msr, uint64_t val);
/* When, from the exit's start, the handler's emulation takes effect: after
 * the hardware exit, the save, the handler (and a userspace round trip),
 * before the APIC emulation's own cost, the restore and the entry. */
cycles_t vmx_handler_time(const struct cost *c);

static inline cycles_t vmx_exit_cost(const struct vmx_model *m, enum vmx_exit x, bool user)
{
	struct cost c;
	vmx_exit_parts(m, x, user, &c);
	return cost_total(&c);
}

/* Control words as the processor applies them: the secondary (tertiary)
 * controls act as 0 unless the primary control activating them is 1 (SDM 25.6.2). */
uint32_t vmx_pin(const struct vmx_model *m);
uint32_t vmx_primary(const struct vmx_model *m);
uint32_t vmx_secondary(const struct vmx_model *m);
uint64_t vmx_tertiary(const struct vmx_model *m);
uint32_t vmx_exit_ctls(const struct vmx_model *m);

/* VM-entry checks on the control combination (SDM 27.2.1.1) that a design
 * can get wrong; the first failing one, or VMX_CTLS_OK.  Entry with such
 * controls fails with VM-instruction error 7. */
enum vmx_ctls_err {
	VMX_CTLS_OK,
	VMX_CTLS_VNMI_WITHOUT_NMI_EXITING,       /* virtual NMIs need NMI exiting */
	VMX_CTLS_NMI_WINDOW_WITHOUT_VNMI,        /* NMI-window exiting needs virtual NMIs */
	VMX_CTLS_APICV_WITHOUT_TPR_SHADOW,       /* x2APIC mode, APIC-register virt., VID need TPR shadow */
	VMX_CTLS_X2APIC_AND_APIC_ACCESSES,       /* virtualize x2APIC mode excludes virtualize APIC accesses */
	VMX_CTLS_VID_WITHOUT_EXT_INTR_EXITING,   /* virtual-interrupt delivery needs external-interrupt exiting */
	VMX_CTLS_POSTED_WITHOUT_VID_OR_ACK,      /* posted interrupts need VID and acknowledge-on-exit */
	VMX_CTLS_POSTED_BAD_VECTOR,              /* posted-interrupt notification vector bits 15:8 */
	VMX_CTLS_VPID_ZERO,                      /* enable VPID with VPID 0 */
	VMX_CTLS_UG_WITHOUT_EPT,                 /* unrestricted guest needs EPT */
	VMX_CTLS_PML_WITHOUT_EPT,                /* PML needs EPT */
	VMX_CTLS_SAVE_TIMER_WITHOUT_TIMER,       /* saving the preemption timer needs the timer */
	VMX_CTLS_TPR_THRESHOLD_RESERVED,         /* TPR threshold bits 31:4 without VID */
};
enum vmx_ctls_err vmx_check_controls(const struct vmx_model *m);
const char *vmx_ctls_err_name(enum vmx_ctls_err e);

/* ---- bitmaps (SDM 25.6.4, 25.6.9) ---- */
void vmx_io_intercept(struct vmx_model *m, uint16_t port, bool on);
/* msr outside 0-1FFF and C0000000-C0001FFF: no bit (such accesses always exit) */
void vmx_msr_intercept(struct vmx_model *m, uint32_t msr, bool write, bool on);
/* KVM's default passthrough for a 64-bit guest (arch/x86/kvm/vmx/vmx.c,
 * vmx_vcpu_create): IA32_TSC read; FS_BASE, GS_BASE, KERNEL_GS_BASE,
 * SYSENTER_CS/ESP/EIP read and write. */
void vmx_msr_kvm_passthrough(struct vmx_model *m);

/* ---- guest events and the exit decision ---- */
enum vmx_event_kind {
	/* instructions that exit unconditionally (SDM 26.1.2) */
	VMX_EV_CPUID, VMX_EV_INVD, VMX_EV_VMCALL, VMX_EV_XSETBV, VMX_EV_GETSEC,
	/* instructions under a control (SDM 26.1.3) */
	VMX_EV_HLT, VMX_EV_INVLPG, VMX_EV_RDPMC, VMX_EV_RDTSC, VMX_EV_RDTSCP, VMX_EV_MWAIT,
	VMX_EV_MONITOR, VMX_EV_PAUSE, VMX_EV_WBINVD, VMX_EV_RDRAND, VMX_EV_RDSEED, VMX_EV_INVPCID,
	VMX_EV_DESC,          /* LGDT/LIDT/SGDT/SIDT (desc.gdtr_idtr) or LLDT/LTR/SLDT/STR */
	VMX_EV_IO,            /* IN/OUT/INS/OUTS: io */
	VMX_EV_MSR_READ,      /* RDMSR: msr */
	VMX_EV_MSR_WRITE,     /* WRMSR: msr */
	VMX_EV_CR,            /* MOV to/from CR, CLTS, LMSW: cr */
	VMX_EV_DR,            /* MOV to/from DR: dr */
	/* events */
	VMX_EV_EXCEPTION,     /* exc (error code: the #PF error code for vector 14) */
	VMX_EV_EXT_INTR,      /* an external interrupt arrives: intr.vector */
	VMX_EV_NMI,
	VMX_EV_INIT,
	VMX_EV_SIPI,          /* intr.vector */
	VMX_EV_TRIPLE_FAULT,
	VMX_EV_INTR_WINDOW,   /* instruction boundary: is the interrupt window open? (guest) */
	VMX_EV_NMI_WINDOW,    /* instruction boundary: is the NMI window open? (guest) */
	VMX_EV_PREEMPTION_TIMER, /* the VMX-preemption timer counted down to 0 (guest.activity) */
	/* APIC virtualization: which accesses are virtualized is apic/'s decision */
	VMX_EV_APIC_ACCESS,   /* access to the APIC-access page: apic */
	VMX_EV_APIC_WRITE,    /* apic/ decided the write needs APIC-write emulation: apic.offset */
	VMX_EV_EOI,           /* virtualized EOI of intr.vector (EOI-exit bitmap decides) */
	VMX_EV_TPR_BELOW_THRESHOLD, /* apic/ lowered VTPR below TPR_THRESHOLD without VID */
	/* translation: the qualification comes from mmu/ (Table 28-7) */
	VMX_EV_EPT_VIOLATION, /* ept */
	VMX_EV_EPT_MISCONFIG, /* ept.gpa */
	VMX_EV_PML_FULL,
	VMX_EV_COUNT
};

/* Interruption types (Table 25-17; also the exit interruption information) */
enum vmx_intr_type {
	VMX_INTR_EXT = 0, VMX_INTR_NMI = 2, VMX_INTR_HW_EXC = 3, VMX_INTR_SOFT_INTR = 4,
	VMX_INTR_PRIV_SW_EXC = 5, VMX_INTR_SOFT_EXC = 6, VMX_INTR_OTHER = 7,
};

/* CR access types (Table 28-3 bits 5:4) */
enum vmx_cr_access { VMX_CR_MOV_TO = 0, VMX_CR_MOV_FROM = 1, VMX_CR_CLTS = 2, VMX_CR_LMSW = 3 };

/* APIC-access types (Table 28-6 bits 15:12) */
enum vmx_apic_access {
	VMX_APIC_LINEAR_READ = 0, VMX_APIC_LINEAR_WRITE = 1, VMX_APIC_LINEAR_FETCH = 2,
	VMX_APIC_LINEAR_EVENT = 3, VMX_APIC_PHYS_EVENT = 10, VMX_APIC_PHYS_FETCH = 15,
};

/* Guest state the windows and event delivery depend on */
struct vmx_guest {
	uint64_t rflags;
	uint32_t interruptibility;   /* VMX_INTR_STATE_* */
	uint32_t activity;           /* VMX_ACTIVITY_* */
};
/* Interruptibility state (Table 25-3) */
#define VMX_INTR_STATE_STI      (1u << 0)
#define VMX_INTR_STATE_MOV_SS   (1u << 1)
#define VMX_INTR_STATE_SMI      (1u << 2)
#define VMX_INTR_STATE_NMI      (1u << 3)
/* Activity state (25.4.2) */
#define VMX_ACTIVITY_ACTIVE     0
#define VMX_ACTIVITY_HLT        1
#define VMX_ACTIVITY_SHUTDOWN   2
#define VMX_ACTIVITY_WAIT_SIPI  3
#define X86_RFLAGS_IF           (1ull << 9)

struct vmx_event {
	enum vmx_event_kind kind;
	uint8_t insn_len;            /* of the instruction, for instruction exits (0: not given) */
	struct vmx_guest guest;
	union {
		struct { uint16_t port; uint8_t size; bool in, string, rep, imm; } io;
		struct { uint32_t msr; } msr;
		/* value: MOV to CR source, LMSW source; lmsw_mem: LMSW with a memory operand */
		struct { uint8_t cr; enum vmx_cr_access type; uint8_t gpr; uint64_t value; bool lmsw_mem; } cr;
		struct { uint8_t dr; bool from_dr; uint8_t gpr; } dr;
		struct { uint8_t vector; enum vmx_intr_type type; bool has_error; uint32_t error; uint64_t cr2; } exc;
		struct { uint8_t vector; } intr;
		/* virtualized: apic/ handles the access without an exit */
		struct { uint16_t offset; enum vmx_apic_access type; bool virtualized, async; } apic;
		struct { uint64_t qual, gpa, gla; } ept;
		struct { uint64_t addr; } invlpg;
		struct { bool gdtr_idtr; } desc;
	};
};

/* What the decision found; on an exit, the VM-exit information fields. */
struct vmx_exit_info {
	bool exit;
	bool ud;                     /* no exit: the instruction raises #UD (control disables it) */
	uint16_t reason;             /* basic exit reason */
	uint64_t qual;               /* exit qualification */
	uint64_t gla, gpa;           /* guest-linear / guest-physical address */
	uint32_t intr_info, intr_error; /* VM-exit interruption information and error code */
	uint32_t insn_len;
	const char *cause;           /* the control or rule that decided, named as in vmx_ctrls.h */
};

/* Does event e exit under m's controls, with what reason and qualification?
 * Returns out->exit. */
bool vmx_decide(const struct vmx_model *m, const struct vmx_event *e, struct vmx_exit_info *out);
/* Writes the VM-exit information fields of an exit into v (SDM 28.2). */
void vmx_record_exit(struct vmcs *v, const struct vmx_exit_info *x);

/* Shorthands the Unicorn front end uses (vmx_decide underneath) */
bool vmx_exits_on_hlt(const struct vmx_model *m);
bool vmx_exits_on_rdtsc(const struct vmx_model *m);
bool vmx_exits_on_io(const struct vmx_model *m, uint16_t port);
bool vmx_exits_on_msr(const struct vmx_model *m, uint32_t msr, bool write);

/* ---- exit qualifications ---- */
/* I/O instruction (Table 28-5): size-1 [2:0], IN [3], string [4], REP [5],
 * immediate operand [6], port [31:16] */
uint64_t vmx_qual_io(uint16_t port, unsigned size, bool in, bool string, bool rep, bool imm);
/* Control-register access (Table 28-3): CR [3:0], access type [5:4], LMSW
 * operand is memory [6], GPR [11:8], LMSW source data [31:16] */
uint64_t vmx_qual_cr(unsigned cr, enum vmx_cr_access type, unsigned gpr, bool lmsw_mem, uint16_t lmsw_src);
/* MOV DR (Table 28-4): DR [2:0], direction [4] (1 = MOV from DR), GPR [11:8] */
uint64_t vmx_qual_dr(unsigned dr, bool from_dr, unsigned gpr);
/* APIC access (Table 28-6): page offset [11:0] (linear accesses), access
 * type [15:12], asynchronous to instruction execution [16] */
uint64_t vmx_qual_apic_access(uint16_t offset, enum vmx_apic_access type, bool async);
/* EPT violation (Table 28-7).  mmu/ computes the full qualification of a
 * walk; this builds the one for an access that finds no EPT entry at all
 * (MMIO): read [0], write [1], fetch [2], entry R/W/X [5:3] = 0 */
uint64_t vmx_qual_ept_violation(bool write, bool fetch);
#define EPT_VIOLATION_ACC_READ          (1ull << 0)
#define EPT_VIOLATION_ACC_WRITE         (1ull << 1)
#define EPT_VIOLATION_ACC_INSTR         (1ull << 2)
#define EPT_VIOLATION_RWX_SHIFT         3           /* [5:3] the entry's R/W/X */
#define EPT_VIOLATION_USER_EXEC         (1ull << 6) /* mode-based execute */
#define EPT_VIOLATION_GVA_IS_VALID      (1ull << 7) /* the guest-linear address field is valid */
#define EPT_VIOLATION_GVA_TRANSLATED    (1ull << 8) /* with [7]: the access was to the translated address,
						     * not to a paging-structure entry */
#define EPT_VIOLATION_NMI_UNBLOCK       (1ull << 12)

/* ---- interruption information (Table 25-17, Table 28-8's exit format) ---- */
FIELD(VMX_INTR_INFO, VECTOR, 0, 8)
FIELD(VMX_INTR_INFO, TYPE, 8, 3)
FIELD(VMX_INTR_INFO, DELIVER_CODE, 11, 1)
FIELD(VMX_INTR_INFO, NMI_UNBLOCK, 12, 1)     /* exit info only */
FIELD(VMX_INTR_INFO, RESERVED, 12, 19)       /* entry: bits 30:12 must be 0 */
FIELD(VMX_INTR_INFO, VALID, 31, 1)
uint32_t vmx_intr_info(unsigned vector, enum vmx_intr_type type, bool deliver_code);

/* ---- event injection on VM entry (SDM 25.8.3, 27.6) ---- */
struct vmx_injection {
	uint8_t vector;
	enum vmx_intr_type type;
	bool deliver_code;
	uint32_t error_code;
	uint32_t insn_len;           /* software interrupts and exceptions: 0-15 */
};
enum vmx_entry_err {
	VMX_ENTRY_OK,
	/* VM-entry control checks (27.2.1.3): VMfailValid, VM-instruction error 7 */
	VMX_ENTRY_RESERVED_TYPE,     /* type 1 */
	VMX_ENTRY_BAD_VECTOR,        /* NMI not 2, hardware exception above 31, other event not 0 */
	VMX_ENTRY_BAD_DELIVER_CODE,  /* deliver-error-code set where no error code is pushed, or the reverse */
	VMX_ENTRY_RESERVED_BITS,     /* bits 30:12 */
	VMX_ENTRY_BAD_ERROR_CODE,    /* error code bits 31:16 */
	VMX_ENTRY_BAD_INSN_LEN,      /* software event with length above 15 (or 0 without IA32_VMX_MISC[30]) */
	/* guest-state checks (27.3.1.5): entry fails with exit reason 33 */
	VMX_ENTRY_BLOCKED,           /* external interrupt with IF=0 or STI/MOV SS blocking; NMI blocked */
	VMX_ENTRY_BAD_ACTIVITY,      /* the event cannot be injected into the activity state */
};
const char *vmx_entry_err_name(enum vmx_entry_err e);
/* Writes the VM-entry interruption-information, exception error code and
 * instruction length fields. */
void vmx_inject(struct vmcs *v, const struct vmx_injection *ev);
/* The injection v holds; false if none is valid. */
bool vmx_injection(const struct vmcs *v, struct vmx_injection *ev);
/* Checks the pending injection in v against v's controls and guest state
 * (GUEST_CR0, GUEST_RFLAGS, GUEST_INTERRUPTIBILITY_INFO,
 * GUEST_ACTIVITY_STATE) and IA32_VMX_MISC. */
enum vmx_entry_err vmx_check_injection(const struct vmcs *v, uint64_t misc);

/* ---- VMX-preemption timer (SDM 26.5.1) ----
 * The timer counts down by 1 each time bit X of the TSC changes, X =
 * IA32_VMX_MISC[4:0]. */
unsigned vmx_preemption_rate(uint64_t misc);
/* Timer ticks counted while the TSC went from tsc0 to tsc1 */
uint64_t vmx_preemption_ticks(uint64_t misc, uint64_t tsc0, uint64_t tsc1);
/* The TSC value at which a timer loaded with `value` at tsc0 reaches 0 */
uint64_t vmx_preemption_deadline(uint64_t misc, uint64_t tsc0, uint32_t value);
/* The value saved on VM exit at tsc1 (SAVE_VMX_PREEMPTION_TIMER); 0 once expired */
uint32_t vmx_preemption_remaining(uint64_t misc, uint64_t tsc0, uint64_t tsc1, uint32_t value);

/* Guest view of the TSC (SDM 26.6.5): offset and scaling when enabled */
uint64_t vmx_guest_tsc(const struct vmx_model *m, uint64_t host_tsc);

#endif
