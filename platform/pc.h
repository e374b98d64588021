/* The x86 machine: RAM from 0, 16550 COM1 at 0x3f8, isa-debug-exit at 0xf4,
 * application processors started through the ACPI multiprocessor wakeup
 * mailbox (platform/hvsim-abi.h), one local APIC per vCPU (xAPIC page at
 * 0xFEE00000, x2APIC MSRs) and an I/O APIC at 0xFEC00000, emulated by the
 * modelled KVM with the APIC virtualization the design's VMCS controls
 * enable: none (legacy injection), APIC-register virtualization and
 * virtual-interrupt delivery, posted interrupts, IPI virtualization
 * (pc_irq.c). */
#ifndef HVSIM_PLATFORM_PC_H
#define HVSIM_PLATFORM_PC_H
#include "dev/uart16550.h"
#include "platform/machine.h"
#include "platform/virt.h"   /* struct hv_call */

enum msr_result {
	MSR_HANDLED,    /* value produced / write absorbed by the VMM */
	MSR_NATIVE,     /* architectural CPU state: let the CPU model perform it */
	MSR_GP,         /* no such MSR: inject #GP(0), as KVM does by default */
};

struct pc_cpu_msrs {
	uint64_t tsc_aux, misc_enable;
};

/* Exits of the interrupt path that hvsim's VMX exit classes lack (their
 * handler costs are the machine's, [lapic] and [apicv]) */
enum pc_irq_exit {
	PC_EXIT_EXTERNAL_INTERRUPT, PC_EXIT_INTERRUPT_WINDOW, PC_EXIT_APIC_ACCESS, PC_EXIT_APIC_WRITE,
	PC_EXIT_EOI_INDUCED, PC_EXIT_PREEMPTION_TIMER, PC_IRQ_EXITS
};
struct pc_irq;   /* LAPICs, I/O APIC and their glue: pc_irq.c */
struct pc_iommu; /* the MSI device and the VT-d units: pc_iommu.c */

struct pc {
	struct machine m;
	struct uart16550 com1;
	struct { uint16_t command; uint32_t apic_id; uint64_t wakeup_vector; } mailbox;
	struct pc_cpu_msrs msr[MACHINE_MAX_CPUS];
	bool started[MACHINE_MAX_CPUS];
	cycles_t ap_wakeup_cycles;
	uint8_t elcr[2];          /* 8259 edge/level control, in the kernel (KVM's i8259) */
	uint32_t apic_bus_khz;    /* CPUID 0x40000010 EBX */
	bool tsc_write_warned;   /* the guest was told once that TSC writes are ignored */
	uint64_t *st_hypercalls, *st_mailbox_errors, *st_msr_gp, *st_debug_exit;
	struct pc_irq *irq;   /* interrupts: LAPICs, I/O APIC, the machine's irq_ctrl (pc_irq.c) */
	struct pc_iommu *iommu;   /* the passed-through MSI device, guest vIOMMU, host IOMMU (pc_iommu.c) */
};

extern const struct cfg_key pc_cfg_keys[];
extern const unsigned pc_cfg_nkeys;
extern const struct cfg_key lapic_cfg_keys[];
extern const unsigned lapic_cfg_nkeys;
extern const struct cfg_key pc_iommu_cfg_keys[];   /* [iommu] */
extern const unsigned pc_iommu_cfg_nkeys;

int pc_create(struct pc *p, const struct cfg *c, struct stats *st, const struct elf_image *img);
void pc_destroy(struct pc *p);
void pc_ram_window(const struct cfg *c, uint64_t *base, uint64_t *size);
/* CPUID leaf/subleaf as seen by vCPU `cpu`: out = EAX, EBX, ECX, EDX */
void pc_cpuid(const struct pc *p, unsigned cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
enum msr_result pc_rdmsr(struct pc *p, unsigned cpu, uint32_t msr, cycles_t now, uint64_t *val);
enum msr_result pc_wrmsr(struct pc *p, unsigned cpu, uint32_t msr, uint64_t val);
/* VMCALL: RAX = number, RBX = argument */
void pc_vmcall(struct pc *p, unsigned cpu, uint64_t rax, uint64_t rbx, cycles_t now, struct hv_call *out);

/* LAPICs, I/O APIC, their windows and m.irqc (pc_irq.c); called by
 * pc_create.  -1 + err_set on failure. */
int pc_irq_init(struct pc *p, const struct cfg *c, struct stats *st);
void pc_irq_fini(struct pc *p);
/* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs: false for any
 * other MSR; else *r is MSR_HANDLED or MSR_GP. */
bool pc_apic_rdmsr(struct pc *p, unsigned cpu, uint32_t msr, uint64_t *val, enum msr_result *r);
bool pc_apic_wrmsr(struct pc *p, unsigned cpu, uint32_t msr, uint64_t val, enum msr_result *r);
/* Does KVM complete this intercepted WRMSR in its exit fastpath? */
bool pc_msr_fastpath(const struct pc *p, unsigned cpu, uint32_t msr, uint64_t val);
/* A vCPU started by the wakeup mailbox: its LAPIC leaves wait-for-SIPI. */
void pc_irq_cpu_started(struct pc *p, unsigned cpu);
/* MOV to/from CR8 (SDM Vol. 3A 10.8.6.1): the TPR, bits 7:4 = CR8[3:0]. */
uint8_t pc_apic_tpr(const struct pc *p, unsigned cpu);
void pc_apic_set_tpr(struct pc *p, unsigned cpu, uint8_t tpr);
/* Handler cycles of the exits the interrupt path causes ([lapic], [apicv]). */
cycles_t pc_irq_exit_cycles(const struct pc *p, enum pc_irq_exit x);
/* Does the hypervisor ask for the interrupt window ([lapic]
 * irq_window_exiting; never with virtual-interrupt delivery, where the
 * processor delivers once RFLAGS.IF allows, SDM 30.2.1)? */
bool pc_irq_window_exiting(const struct pc *p);
/* The exit the last poll (irq_ctrl poll) asked for: EXTERNAL_INTERRUPT or
 * PREEMPTION_TIMER. */
enum pc_irq_exit pc_irq_poll_exit(const struct pc *p, unsigned cpu);
/* The vector of cpu's LAPIC timer (LVTT[7:0]), for the exit trace. */
uint8_t pc_irq_timer_vector(const struct pc *p, unsigned cpu);
/* The APIC emulation cycles the hypervisor spent since the last call (the
 * `apic` part of the exit that caused it). */
cycles_t pc_irq_apic_cycles(struct pc *p, unsigned cpu);

/* ---- APIC virtualization: guest APIC accesses the processor handles ----
 * The result of such an access: done (virtualized, perhaps followed by a
 * trap-like exit), #GP, and the exit taken if any.  The hypervisor's
 * emulation behind that exit waits for its handler: pc_apic_exit_emulate,
 * called at the handler's time (its cycles: pc_irq_apic_cycles). */
struct pc_apic_result {
	bool gp;
	int exit;                 /* enum pc_irq_exit, -1 none */
	uint64_t qual, value;     /* the exit qualification; a read's value */
};
/* Is gpa in vCPU cpu's APIC-access page ("virtualize APIC accesses" on,
 * xAPIC mode)?  Accesses there never take the EPT path. */
bool pc_apic_page(const struct pc *p, unsigned cpu, uint64_t gpa);
struct pc_apic_result pc_apic_mmio(struct pc *p, unsigned cpu, uint64_t gpa, unsigned size, bool write,
				   uint64_t val);
/* RDMSR/WRMSR of an x2APIC MSR that the MSR bitmap, as KVM sets it for this
 * vCPU now, does not intercept: true and *r (SDM 30.5); false if it exits. */
bool pc_apic_msr_virtual(struct pc *p, unsigned cpu, uint32_t msr, bool write, uint64_t val,
			 struct pc_apic_result *r);
/* The handler of the APIC exit pc_apic_mmio or pc_apic_msr_virtual just
 * returned emulates it now, at the vCPU's clock: an APIC_ACCESS read's value
 * (else 0).  Nothing when no such exit is pending. */
uint64_t pc_apic_exit_emulate(struct pc *p, unsigned cpu);

/* ---- the interrupt path for devices (MSI device, VT-d) ----
 * A decoded interrupt message (compatibility-format MSI, remapped IRTE) onto
 * the APIC bus at time `when`, as the I/O APIC sends its messages. */
struct apic_msg;
void pc_irq_send(struct pc *p, const struct apic_msg *m, cycles_t when);
/* Posted interrupts: each vCPU's posted-interrupt descriptor lives in the
 * modelled hypervisor's memory (never guest RAM) at a host-physical address
 * a posted IRTE or the PID-pointer table of IPI virtualization can hold. */
uint64_t pc_irq_pid_hpa(const struct pc *p, unsigned cpu);
/* Does the design run vCPUs with posted-interrupt processing (the IOMMU side
 * then writes posted IRTEs, as KVM's vmx_pi_update_irte)? */
bool pc_irq_posting(const struct pc *p);
/* Posts `vector` to the descriptor at host-physical pda and sends the
 * notification it asks for: a running target takes it without an exit, a
 * halted one is woken.  False if pda names no descriptor (the IOMMU records
 * VT-d fault 0x27). */
bool pc_irq_post(struct pc *p, uint64_t pda, uint8_t vector, bool urgent, cycles_t when);

/* ---- the device path (pc_iommu.c): the MSI device's window, the guest's
 * VT-d unit, the host IOMMU's remapping; called by pc_create after
 * pc_irq_init.  -1 + err_set on failure. ---- */
int pc_iommu_init(struct pc *p, const struct cfg *c, struct stats *st);
void pc_iommu_fini(struct pc *p);
/* The MSI device's DWORD write (msi_write_fn, ctx = the struct pc): through
 * the guest's vIOMMU, then the host's remapping, to the LAPIC or a posted
 * descriptor. */
void pc_msi_write(void *ctx, uint64_t addr, uint32_t data, uint16_t requester_id, cycles_t when);

#endif
