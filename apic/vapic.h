/* APIC virtualization (VMX, Intel SDM Vol. 3C chapter 30): what the
 * processor does, without the hypervisor, with a vCPU's virtual-APIC page
 * under each combination of the controls, and when it exits instead.
 *
 *   use TPR shadow            primary processor-based bit 21   MOV CR8, VTPR
 *   virtualize APIC accesses  secondary bit 0                  the APIC-access page
 *   virtualize x2APIC mode    secondary bit 4                  MSRs 800H-8FFH
 *   APIC-register virt.       secondary bit 8                  reads and writes of most registers
 *   virtual-interrupt deliv.  secondary bit 9                  RVI/SVI, EOI and self-IPI virtualization
 *   process posted interrupts pin-based bit 7                  PIR -> VIRR on the notification vector
 *   IPI virtualization        tertiary bit 4                   ICR writes post to the target's PID
 *
 * The virtual-APIC page holds the registers at their xAPIC offsets (30.1.1):
 * VTPR 080H, VPPR 0A0H, VEOI 0B0H, VISR 100H-170H, VIRR 200H-270H, VICR
 * 300H/310H.  Exits are reported with their basic exit reason and
 * qualification (APIC_EXIT_* in apic/regs.h).  The functions implement the
 * SDM pseudocode: TPR virtualization (30.1.2), PPR virtualization (30.1.3),
 * EOI virtualization (30.1.4), self-IPI virtualization (30.1.5), IPI
 * virtualization (30.1.6), evaluation and delivery of virtual interrupts
 * (30.2), MOV CR8 (30.3), the APIC-access page (30.4), the x2APIC MSRs (30.5)
 * and posted-interrupt processing (30.6).
 *
 * Model library layer: knows neither Unicorn nor trace formats; the VMCS
 * fields are plain members (the VMX model copies them from its VMCS). */
#ifndef HVSIM_APIC_VAPIC_H
#define HVSIM_APIC_VAPIC_H
#include <stdbool.h>
#include <stdint.h>
#include "apic/lapic.h"
#include "apic/posted.h"

struct vapic_controls {
	bool use_tpr_shadow;
	bool virtualize_apic_accesses;
	bool virtualize_x2apic;
	bool apic_register_virt;
	bool virtual_intr_delivery;
	bool posted_interrupts;
	bool ipi_virt;
	bool intr_window_exiting;     /* primary bit 2: holds off recognition (30.2.1) */
};

struct vapic {
	/* The virtual-APIC page: own_page unless vapic_attach_page gave another
	 * (the machine's LAPIC registers, as KVM uses the same page for both). */
	uint8_t *page;
	uint8_t own_page[APIC_PAGE_SIZE];
	struct vapic_controls ctl;
	uint16_t guest_intr_status;       /* 15:8 SVI | 7:0 RVI (25.4.2) */
	uint64_t eoi_exit[4];             /* EOI-exit bitmaps 0-3: bit v = vector v */
	uint32_t tpr_threshold;
	uint8_t pi_nv;                    /* posted-interrupt notification vector */
	struct pi_desc *pid;              /* this vCPU's posted-interrupt descriptor */
	bool x2apic;                      /* guest APIC in x2APIC mode: ICR destination format */
	/* IPI virtualization (30.1.6): the PID-pointer table (entries as in
	 * memory: PID_PTR layout) and its last valid index; pid_at turns a PID
	 * address into the descriptor (NULL: nothing there). */
	const uint64_t *pid_table;
	uint16_t last_pid_index;
	struct pi_desc *(*pid_at)(void *ctx, uint64_t addr);
	void *ctx;
};

enum vapic_outcome {
	VAPIC_NOT_VIRTUALIZED,        /* the access goes on as without APIC virtualization
					 (MSR bitmap / physical x2APIC, or EPT for memory) */
	VAPIC_VIRTUALIZED,            /* completed by the processor, no exit */
	VAPIC_GP,                     /* #GP(0) in the guest */
	VAPIC_EXIT,                   /* VM exit: exit_reason, qual */
};

struct vapic_result {
	enum vapic_outcome outcome;
	int exit_reason;              /* APIC_EXIT_* when outcome == VAPIC_EXIT */
	uint64_t qual;
	bool trap_like;               /* the exit happens after the access completed */
	uint64_t value;               /* a virtualized read */
	/* IPI virtualization posted to a target whose PID asks for a
	 * notification: send vector notify_nv to the physical APIC notify_ndst. */
	bool notify;
	uint8_t notify_nv;
	uint32_t notify_ndst;
};

/* The VM-entry checks on these controls (SDM 27.2.1.1): "virtualize x2APIC
 * mode" excludes "virtualize APIC accesses"; x2APIC virtualization,
 * APIC-register virtualization and virtual-interrupt delivery need "use TPR
 * shadow"; posted-interrupt processing needs virtual-interrupt delivery;
 * IPI virtualization is checked here as needing virtual-interrupt delivery
 * too (it posts through the PIR -> VIRR path).  NULL when valid, else the
 * rule broken (VM entry fails: invalid control field). */
const char *vapic_controls_invalid(const struct vapic_controls *c);
void vapic_init(struct vapic *v, const struct vapic_controls *ctl);
/* Uses `page` (APIC_PAGE_SIZE bytes) as the virtual-APIC page. */
void vapic_attach_page(struct vapic *v, uint8_t *page);
uint8_t vapic_rvi(const struct vapic *v);
uint8_t vapic_svi(const struct vapic *v);
void vapic_set_rvi(struct vapic *v, uint8_t rvi);
void vapic_set_svi(struct vapic *v, uint8_t svi);
uint8_t vapic_vtpr(const struct vapic *v);
uint8_t vapic_vppr(const struct vapic *v);

/* The SDM algorithms.  Each returns an exit in r when one happens (r may
 * be pre-filled as VAPIC_VIRTUALIZED). */
void vapic_ppr_virtualize(struct vapic *v);
void vapic_tpr_virtualize(struct vapic *v, struct vapic_result *r);
void vapic_eoi_virtualize(struct vapic *v, struct vapic_result *r);
void vapic_self_ipi_virtualize(struct vapic *v, uint8_t vector);
/* 30.2.1: the pending virtual interrupt (RVI) if RVI[7:4] > VPPR[7:4] and
 * interrupt-window exiting is 0, else -1. */
int vapic_pending(const struct vapic *v);
/* 30.2.2: delivers the pending virtual interrupt (the guest has RFLAGS.IF = 1
 * and no blocking): VIRR -> VISR, SVI, VPPR, RVI.  Returns its vector, -1 if
 * none is pending. */
int vapic_deliver(struct vapic *v);

/* 30.6: the notification vector arrived while the guest runs: ON cleared,
 * PIR moved into VIRR, RVI raised, evaluation.  (The processor also writes
 * the physical APIC's EOI: the caller retires the notification there.)  The
 * hypervisor does the same in software on VM entry (KVM vmx_sync_pir_to_irr).
 * Returns whether any vector moved. */
bool vapic_pi_process(struct vapic *v);
/* Is `vector`, arriving as an external interrupt, the notification? */
bool vapic_is_notification(const struct vapic *v, uint8_t vector);

/* MOV from/to CR8 with use TPR shadow = 1 (30.3). */
uint64_t vapic_cr8_read(const struct vapic *v);
void vapic_cr8_write(struct vapic *v, uint64_t val, struct vapic_result *r);

/* Guest access to the APIC-access page at offset off (30.4).  type is the
 * access type of the exit qualification (linear read, write or fetch). */
struct vapic_result vapic_mmio_read(struct vapic *v, unsigned off, unsigned size, bool fetch);
struct vapic_result vapic_mmio_write(struct vapic *v, unsigned off, unsigned size, uint64_t val);
/* RDMSR/WRMSR of msr, when the MSR bitmap does not make it exit (that check
 * comes first, 30.5). */
struct vapic_result vapic_rdmsr(struct vapic *v, uint32_t msr);
struct vapic_result vapic_wrmsr(struct vapic *v, uint32_t msr, uint64_t val);

/* The ICR-write checks (30.4.3.2, 30.1.6): does an ICR value qualify for
 * self-IPI virtualization / IPI virtualization? */
bool vapic_icr_is_self_ipi(uint32_t icr_lo);
bool vapic_icr_is_virt_ipi(uint32_t icr_lo);

#endif
