/* A VT-d remapping unit's register file (Intel VT-d spec rev. 5.10, 11.4)
 * with interrupt remapping (iommu/ir.h), the invalidation queue (6.5.2:
 * interrupt entry cache and wait descriptors) and primary fault logging
 * (7.2.1, 7.3: circular fault recording registers, overflow, fault events).
 * A dev_ops device on a 4 KiB MMIO window (the DRHD's register base).
 *
 *   guest -- MMIO --> vtd_ops (GCMD: SIRTP latches IRTA_REG, IRE, CFI, QIE;
 *                               IQT write runs the queue)
 *   device -- msi_write(addr, data, requester ID) --> machine --> vtd_interrupt
 *          --> remapped: LAPIC   posted: pi_post(PDA, vector)   blocked: FRCD
 *
 * DMA remapping is not modelled yet: RTADDR, CCMD, IVA and IOTLB read as
 * zero and ignore writes, TE/SRTP/SFL/WBF are ignored, context-cache,
 * IOTLB and device-TLB invalidation descriptors complete doing nothing
 * (counted in `unmodelled`).  CAP/ECAP say so: SAGAW = 0, PT = 0.
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_IOMMU_VTD_H
#define HVSIM_IOMMU_VTD_H
#include <stdbool.h>
#include <stdint.h>
#include "dev/dev.h"
#include "iommu/ir.h"

#define VTD_MAX_FRCD 16

struct vtd_config {
	unsigned haw;            /* host address width in bits, 32..64 (ACPI DMAR) */
	unsigned nfr;            /* fault recording registers, 1..VTD_MAX_FRCD (CAP.NFR + 1) */
	bool eim;                /* ECAP.EIM: x2APIC destinations */
	bool pi;                 /* CAP.PI: posted interrupts */
	unsigned iec_entries;    /* interrupt entry cache, 0..IEC_MAX_ENTRIES */
};

struct vtd_frcd {
	uint64_t lo, hi;
};

struct vtd {
	struct vtd_config cfg;
	struct vtd_ir ir;
	uint64_t cap, ecap;
	uint32_t gsts;
	uint32_t fsts;           /* PFO, IQE, ICE, ITE, FRI (PPF computed from the F bits) */
	uint32_t fectl, fedata, feaddr, feuaddr;
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint64_t irta, iqa, iqh, iqt, iqercd;
	uint64_t iq_base;        /* latched from IQA_REG when QIE is set */
	uint32_t iq_entries;
	struct vtd_frcd frcd[VTD_MAX_FRCD];
	unsigned fr_index;       /* next fault recording register (7.2.1) */
	/* Set by the owner: hardware-generated interrupts (fault event,
	 * invalidation completion event), always compatibility format and
	 * never remapped (5.1.6). NULL: dropped. */
	void (*event_msi)(void *ctx, uint64_t addr, uint32_t data);
	void *event_ctx;
	/* statistics */
	uint64_t faults_recorded;    /* written to an FRCD */
	uint64_t faults_fpd;         /* not recorded: qualified and the IRTE's FPD set */
	uint64_t faults_overflow;    /* not recorded: PFO set or the next FRCD still full */
	uint64_t fault_reasons[16];  /* by reason - 0x20, recorded or not */
	uint64_t events_sent;        /* fault and completion event messages */
	uint64_t descriptors;        /* invalidation descriptors completed */
	uint64_t iq_errors;          /* FSTS.IQE raised */
	uint64_t unmodelled;         /* DMA-remapping registers, commands and descriptors ignored */
	uint64_t *guest_errors;      /* bad offset or width, writes to read-only registers (own_errors by default) */
	uint64_t own_errors;
};

extern const struct dev_ops vtd_ops;

/* -1 + err_set on a configuration out of range. */
int vtd_init(struct vtd *v, const struct vtd_config *cfg, const struct vtd_mem *mem);
/* An interrupt request reaching the unit: remap it (ir_remap) and record a
 * fault as primary fault logging does. */
void vtd_interrupt(struct vtd *v, uint64_t addr, uint32_t data, uint16_t sid, struct ir_result *r);
/* The machine could not post a posted result r (descriptor not in memory:
 * VTD_FR_IR_PID; reserved bits in it: VTD_FR_IR_PID_RSVD): record it,
 * unless r's IRTE has FPD set. */
void vtd_post_fault(struct vtd *v, const struct ir_result *r, enum vtd_ir_fault reason);

#endif
