/* VT-d interrupt remapping (Intel VT-d spec rev. 5.10, D51397-018,
 * chapter 5; IRTE formats 9.9 and 9.10): an interrupt request -- a DWORD write by a device
 * to 0xFEEx_xxxx with its requester ID -- is decoded, its interrupt
 * remapping table entry (IRTE) read from memory or from the interrupt entry
 * cache, checked (present, reserved fields, source-id), and turned into a
 * result the machine delivers:
 *
 *   remapped  destination, destination mode, delivery mode, vector, trigger
 *             mode: to the LAPIC(s)
 *   posted    the posted-interrupt descriptor address, vector and urgency:
 *             the machine posts (apic/, pi_post) and notifies
 *   compat    a compatibility-format request passed through untranslated
 *             (interrupt remapping off, or GSTS.CFIS = 1), decoded the same way
 *   blocked   a fault reason (5.1.4.1, Table 15), for the fault recording registers
 *
 * Tables live in guest memory and are read only through struct vtd_mem: an
 * address with no memory behind it is the spec's "table access error",
 * never a host read out of bounds.  This file knows no registers: vtd.h is
 * the register file that latches IRTA_REG, enables remapping and records
 * faults.  Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_IOMMU_IR_H
#define HVSIM_IOMMU_IR_H
#include <stdbool.h>
#include <stdint.h>
#include "iommu/vtd_regs.h"

/* Host-physical memory as the remapping hardware reads and writes it.
 * false: nothing there (no byte is transferred). */
struct vtd_mem {
	bool (*read)(void *ctx, uint64_t pa, void *buf, unsigned len);
	bool (*write)(void *ctx, uint64_t pa, const void *buf, unsigned len);
	void *ctx;
};

/* How IRTEs are interpreted: IRTA_REG.EIME as latched, CAP_REG.PI, and the
 * host address width (ACPI DMAR "Host Address Width" + 1). */
struct irte_mode {
	bool eime;
	bool pi;
	unsigned haw;
};

/* A decoded IRTE.  With p = 0 only p and fpd mean anything. */
struct irte {
	bool p, fpd;
	bool im;            /* 1: posted format */
	uint8_t avail;      /* software-available bits 11:8 */
	uint8_t vector;
	/* remapped format */
	bool dm;            /* destination mode: 1 logical */
	bool rh;            /* redirection hint */
	bool tm;            /* trigger mode: 1 level */
	uint8_t dlm;        /* delivery mode (DLM_*) */
	uint32_t dst;       /* APIC ID: 8-bit xAPIC (EIME = 0) or 32-bit x2APIC (EIME = 1) */
	/* posted format */
	bool urg;
	uint64_t pda;       /* posted-interrupt descriptor address, 64-byte aligned */
	/* source validation, both formats */
	uint16_t sid;
	uint8_t sq, svt;
};

/* raw[0] = bits 63:0, raw[1] = bits 127:64.  Returns VTD_FR_NONE, or
 * VTD_FR_IR_NOT_PRESENT (P = 0), or VTD_FR_IR_IRTE_RSVD: a reserved bit set,
 * including the conditionally reserved ones: xAPIC destination bits with
 * EIME = 0, the posted format without CAP.PI, a reserved DLM or SVT encoding,
 * a descriptor address above the host address width. */
enum vtd_ir_fault irte_decode(const uint64_t raw[2], const struct irte_mode *m, struct irte *e);
/* The inverse for an entry irte_decode accepted (tests, fuzzing). */
void irte_encode(const struct irte *e, bool eime, uint64_t raw[2]);
/* Source-id verification (9.9 SVT/SQ): SVT 01 compares the requester ID
 * with SID under the SQ mask, 10 checks that its bus is in
 * [SID[7:0], SID[15:8]], 00 verifies nothing. */
bool irte_sid_ok(const struct irte *e, uint16_t requester_id);

/* ---- interrupt entry cache (IEC): fully associative, LRU, deterministic.
 * Holds IRTEs that decoded without fault, by interrupt_index; only the
 * IEC invalidate descriptor removes entries (the spec requires software to
 * invalidate after changing an IRTE or the table pointer, 6.4, 6.7). ---- */
#define IEC_MAX_ENTRIES 64
struct iec_entry {
	bool valid;
	uint16_t index;
	uint64_t raw[2];
	uint64_t last_use;
};
struct iec {
	unsigned size;                          /* 0: no cache */
	struct iec_entry e[IEC_MAX_ENTRIES];
	uint64_t tick;
	uint64_t hits, misses, evictions, invalidated;
};
void iec_init(struct iec *c, unsigned size);
bool iec_lookup(struct iec *c, uint16_t index, uint64_t raw[2]);
void iec_fill(struct iec *c, uint16_t index, const uint64_t raw[2]);
void iec_invalidate_all(struct iec *c);
/* Index-selective: the 2^im indexes sharing iidx's bits above the low im
 * bits (6.5.2.8, Table 25; im >= 16 covers every index). */
void iec_invalidate_index(struct iec *c, uint16_t iidx, unsigned im);
unsigned iec_count(const struct iec *c);

/* ---- one remapping unit's interrupt side ---- */
struct vtd_ir {
	struct vtd_mem mem;
	unsigned haw;
	bool pi_supported;        /* CAP_REG.PI */
	bool eim_supported;       /* ECAP_REG.EIM */
	bool enabled;             /* GSTS.IRES */
	bool cfis;                /* GSTS.CFIS */
	bool table_set;           /* GSTS.IRTPS: a table pointer was latched */
	uint64_t table;           /* latched IRTA */
	uint32_t entries;         /* 2^(S + 1) */
	bool eime;                /* latched IRTA_REG.EIME */
	struct iec iec;
	uint64_t remapped, posted, compat, blocked;
};

enum ir_kind { IR_NOT_INTERRUPT, IR_COMPAT, IR_REMAPPED, IR_POSTED, IR_BLOCKED };

/* An interrupt for the LAPICs (remapped, or compatibility format). */
struct ir_irq {
	uint32_t dest;
	bool dest_logical;
	bool redir_hint;
	uint8_t dlm;
	uint8_t vector;
	bool level;               /* trigger mode */
};

struct ir_result {
	enum ir_kind kind;
	struct ir_irq irq;        /* IR_REMAPPED, IR_COMPAT */
	uint64_t pda;             /* IR_POSTED: descriptor address */
	uint8_t pvector;          /* IR_POSTED: vector to post */
	bool urgent;              /* IR_POSTED: URG */
	enum vtd_ir_fault fault;  /* IR_BLOCKED */
	bool fpd;                 /* the IRTE's FPD, once it was read: every fault found from then on
				   * (0x22, 0x24, 0x26; 0x27, 0x28 by the machine) is "qualified" (5.1.4.1)
				   * and not recorded when FPD is set */
	bool irte_read;           /* an IRTE was obtained (from memory or the IEC) */
	uint32_t index;           /* interrupt_index: the handle (+ subhandle), for any format */
	bool shv;                 /* the request's SubHandle Valid bit */
	uint16_t sid;             /* requester ID */
	bool iec_hit;             /* the IRTE came from the IEC, no memory read */
};

void ir_init(struct vtd_ir *ir, const struct vtd_mem *mem, unsigned haw, bool pi, bool eim, unsigned iec_entries);
/* GCMD.SIRTP: latch IRTA_REG (address, size, EIME where ECAP.EIM). */
void ir_set_table(struct vtd_ir *ir, uint64_t irta_reg);
bool ir_is_interrupt_addr(uint64_t addr);
/* A compatibility-format request's fields (5.1.2.1): what the LAPICs see
 * without remapping (and the unit's own fault and completion events). */
void ir_decode_compat(uint64_t addr, uint32_t data, struct ir_irq *q);
/* The request (addr, data) from requester sid.  Counts it; records
 * nothing (vtd_interrupt records faults). */
void ir_remap(struct vtd_ir *ir, uint64_t addr, uint32_t data, uint16_t sid, struct ir_result *r);

#endif
