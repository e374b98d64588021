/* Intel VT-d layouts, one place each (Intel Virtualization Technology for
 * Directed I/O, Architecture Specification, rev. 5.10, D51397-018): the remapping
 * unit's register offsets and fields (11.4), the interrupt remapping table
 * entry in its remapped (9.9) and posted (9.10) formats, the remappable
 * MSI address/data (5.1.2), the invalidation descriptors the queue accepts
 * (6.5.2) and the interrupt-remapping fault reasons (5.1.4.1).
 *
 * Only what interrupt remapping and the invalidation queue use is declared
 * field by field; DMA-remapping registers (RTADDR, CCMD, IOTLB) are named
 * with their offsets for the model that will add DMA remapping.
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_IOMMU_VTD_REGS_H
#define HVSIM_IOMMU_VTD_REGS_H
#include "core/field.h"

/* ---- register offsets (11.4, Table "Register Address Map") ---- */
enum {
	VER_REG = 0x000,      /* 32 */
	CAP_REG = 0x008,      /* 64 */
	ECAP_REG = 0x010,     /* 64 */
	GCMD_REG = 0x018,     /* 32 */
	GSTS_REG = 0x01c,     /* 32 */
	RTADDR_REG = 0x020,   /* 64, DMA remapping */
	CCMD_REG = 0x028,     /* 64, DMA remapping */
	FSTS_REG = 0x034,     /* 32 */
	FECTL_REG = 0x038,    /* 32 */
	FEDATA_REG = 0x03c,   /* 32 */
	FEADDR_REG = 0x040,   /* 32 */
	FEUADDR_REG = 0x044,  /* 32 */
	AFLOG_REG = 0x058,    /* 64, advanced fault logging (CAP.AFL = 0) */
	PMEN_REG = 0x064,     /* 32, protected memory (CAP.PLMR = PHMR = 0) */
	IQH_REG = 0x080,      /* 64 */
	IQT_REG = 0x088,      /* 64 */
	IQA_REG = 0x090,      /* 64 */
	ICS_REG = 0x09c,      /* 32 */
	IECTL_REG = 0x0a0,    /* 32 */
	IEDATA_REG = 0x0a4,   /* 32 */
	IEADDR_REG = 0x0a8,   /* 32 */
	IEUADDR_REG = 0x0ac,  /* 32 */
	IQERCD_REG = 0x0b0,   /* 64 */
	IRTA_REG = 0x0b8,     /* 64 */
	VTD_IVA_REG = 0x200,  /* 64, at ECAP.IRO * 16 (DMA remapping) */
	VTD_IOTLB_REG = 0x208,/* 64 */
	VTD_FRCD_BASE = 0x220,/* FRCD_REG 0, at CAP.FRO * 16; 16 bytes each */
	VTD_FRCD_LEN = 16,
	VTD_REG_WINDOW = 0x1000,   /* one 4 KiB page per remapping unit (ACPI DMAR DRHD) */
};

/* VER_REG (11.4.1): 7:4 Max | 3:0 Min */
FIELD(VER_REG, MIN, 0, 4)
FIELD(VER_REG, MAX, 4, 4)

/* CAP_REG (11.4.2):
 *  59 PI | 55 DRD | 54 DWD | 53:48 MAMV | 47:40 NFR (number - 1) | 39 PSI
 *  37:34 SLLPS | 33:24 FRO (offset / 16) | 22 ZLR | 21:16 MGAW | 12:8 SAGAW
 *  7 CM | 6 PHMR | 5 PLMR | 4 RWBF | 3 AFL | 2:0 ND */
FIELD(CAP_REG, ND, 0, 3)
FIELD(CAP_REG, AFL, 3, 1)
FIELD(CAP_REG, RWBF, 4, 1)
FIELD(CAP_REG, CM, 7, 1)
FIELD(CAP_REG, SAGAW, 8, 5)
FIELD(CAP_REG, MGAW, 16, 6)
FIELD(CAP_REG, FRO, 24, 10)
FIELD(CAP_REG, NFR, 40, 8)
FIELD(CAP_REG, PI, 59, 1)      /* posted interrupts: in CAP_REG, not ECAP_REG */

/* ECAP_REG (11.4.3):
 *  23:20 MHMV | 17:8 IRO (offset / 16) | 7 SC | 6 PT | 4 EIM | 3 IR | 2 DT | 1 QI | 0 C
 *  43 SMTS (scalable mode; 0 here: 128-bit descriptors only) */
FIELD(ECAP_REG, C, 0, 1)
FIELD(ECAP_REG, QI, 1, 1)
FIELD(ECAP_REG, DT, 2, 1)
FIELD(ECAP_REG, IR, 3, 1)
FIELD(ECAP_REG, EIM, 4, 1)
FIELD(ECAP_REG, PT, 6, 1)
FIELD(ECAP_REG, IRO, 8, 10)
FIELD(ECAP_REG, MHMV, 20, 4)
FIELD(ECAP_REG, SMTS, 43, 1)

/* GCMD_REG (11.4.4.1, write-only, reads 0) and GSTS_REG (11.4.4.2) share a
 * layout: 31 TE/TES | 30 SRTP/RTPS | 29 SFL/FLS | 28 EAFL/AFLS | 27 WBF/WBFS
 *  26 QIE/QIES | 25 IRE/IRES | 24 SIRTP/IRTPS | 23 CFI/CFIS */
FIELD(GCMD_REG, CFI, 23, 1)
FIELD(GCMD_REG, SIRTP, 24, 1)
FIELD(GCMD_REG, IRE, 25, 1)
FIELD(GCMD_REG, QIE, 26, 1)
FIELD(GCMD_REG, WBF, 27, 1)
FIELD(GCMD_REG, SRTP, 30, 1)
FIELD(GCMD_REG, TE, 31, 1)
FIELD(GSTS_REG, CFIS, 23, 1)
FIELD(GSTS_REG, IRTPS, 24, 1)
FIELD(GSTS_REG, IRES, 25, 1)
FIELD(GSTS_REG, QIES, 26, 1)
FIELD(GSTS_REG, TES, 31, 1)

/* FSTS_REG (11.4.7.1): 15:8 FRI | 6 ITE | 5 ICE | 4 IQE | 1 PPF (RO) | 0 PFO
 * (PFO, IQE, ICE, ITE: RW1C) */
FIELD(FSTS_REG, PFO, 0, 1)
FIELD(FSTS_REG, PPF, 1, 1)
FIELD(FSTS_REG, IQE, 4, 1)
FIELD(FSTS_REG, ICE, 5, 1)
FIELD(FSTS_REG, ITE, 6, 1)
FIELD(FSTS_REG, FRI, 8, 8)
/* FECTL_REG (11.4.7.2) and IECTL_REG (11.4.9.5): 31 IM | 30 IP (RO) */
FIELD(EVT_CTL, IP, 30, 1)
FIELD(EVT_CTL, IM, 31, 1)

/* FRCD_REG (11.4.7.6), 128 bits as two quadwords.
 *  low:  63:12 FI | for interrupt-remapping faults 63:48 = interrupt_index, 47:12 = 0
 *  high: 127 F (RW1C) | 126 T | 125:124 AT | 103:96 FR | 79:64 SID */
FIELD(FRCD_LO, FI, 12, 52)
FIELD(FRCD_LO, IIDX, 48, 16)
FIELD(FRCD_HI, SID, 0, 16)
FIELD(FRCD_HI, FR, 32, 8)
FIELD(FRCD_HI, AT, 60, 2)
FIELD(FRCD_HI, T, 62, 1)       /* DMA faults only: 0 for interrupt faults */
FIELD(FRCD_HI, F, 63, 1)

/* IQH_REG / IQT_REG (11.4.9.1-2): 18:4 QH / QT, in 128-bit descriptors */
FIELD(IQ_PTR, Q, 4, 15)
/* IQA_REG (11.4.9.3): 63:12 IQA | 11 DW (256-bit descriptors: SMTS only) | 2:0 QS
 * (2^QS 4-KiB pages, so 2^(QS + 8) 128-bit descriptors) */
FIELD(IQA_REG, QS, 0, 3)
FIELD(IQA_REG, DW, 11, 1)
FIELD(IQA_REG, IQA, 12, 52)
/* ICS_REG (11.4.9.4): 0 IWC (RW1C) */
FIELD(ICS_REG, IWC, 0, 1)
/* IQERCD_REG (11.4.9.9): 63:48 ICESID | 47:32 ITESID | 3:0 IQEI */
FIELD(IQERCD_REG, IQEI, 0, 4)
enum vtd_iqei {
	IQEI_NONE = 0,             /* information not available */
	IQEI_TAIL = 1,             /* tail pointer beyond the queue */
	IQEI_FETCH = 2,            /* descriptor fetch error */
	IQEI_TYPE = 3,             /* invalid descriptor type */
	IQEI_RSVD = 4,             /* reserved field set */
	IQEI_WIDTH = 5,            /* invalid descriptor width */
};

/* IRTA_REG (11.4.10): 63:12 IRTA | 11 EIME | 3:0 S (2^(S + 1) entries) */
FIELD(IRTA_REG, S, 0, 4)
FIELD(IRTA_REG, EIME, 11, 1)
FIELD(IRTA_REG, IRTA, 12, 52)

/* ---- interrupt remapping table entry, 128 bits (9.9, 9.10) ----
 * Remapped format (IM = 0), low quadword:
 *  63:32 DST | 31:24 rsvd | 23:16 V | 15 IM | 14:12 rsvd | 11:8 AVAIL
 *   7:5 DLM | 4 TM | 3 RH | 2 DM | 1 FPD | 0 P
 *  DST with EIME = 0 (xAPIC): 47:40 APIC ID, 39:32 and 63:48 reserved;
 *  with EIME = 1 (x2APIC): 63:32 the 32-bit x2APIC ID.
 * Posted format (IM = 1, CAP.PI), low quadword:
 *  63:38 PDA[31:6] | 37:24 rsvd | 23:16 V | 15 IM | 14 URG | 13:12 rsvd
 *  11:8 AVAIL | 7:2 rsvd | 1 FPD | 0 P
 * High quadword, both formats:
 *  127:96 PDA[63:32] (posted; reserved in remapped) | 95:84 rsvd
 *  83:82 SVT | 81:80 SQ | 79:64 SID */
FIELD(IRTE_LO, P, 0, 1)
FIELD(IRTE_LO, FPD, 1, 1)
FIELD(IRTE_LO, DM, 2, 1)
FIELD(IRTE_LO, RH, 3, 1)
FIELD(IRTE_LO, TM, 4, 1)
FIELD(IRTE_LO, DLM, 5, 3)
FIELD(IRTE_LO, AVAIL, 8, 4)
FIELD(IRTE_LO, URG, 14, 1)
FIELD(IRTE_LO, IM, 15, 1)
FIELD(IRTE_LO, V, 16, 8)
FIELD(IRTE_LO, DST, 32, 32)
FIELD(IRTE_LO, DST_XAPIC, 40, 8)
FIELD(IRTE_LO, PDA_L, 38, 26)
FIELD(IRTE_HI, SID, 0, 16)
FIELD(IRTE_HI, SQ, 16, 2)
FIELD(IRTE_HI, SVT, 18, 2)
FIELD(IRTE_HI, PDA_H, 32, 32)
/* Reserved bits (must be 0 when P = 1, else fault 0x24) */
#define IRTE_LO_RSVD_REMAP   0x00000000ff007000ULL   /* 31:24, 14:12 */
#define IRTE_LO_RSVD_XAPIC   0xffff00ff00000000ULL   /* 63:48, 39:32 when EIME = 0 */
#define IRTE_LO_RSVD_POSTED  0x0000003fff0030fcULL   /* 37:24, 13:12, 7:2 */
#define IRTE_HI_RSVD_REMAP   0xfffffffffff00000ULL   /* 127:84 */
#define IRTE_HI_RSVD_POSTED  0x00000000fff00000ULL   /* 95:84 */
#define IRTE_SIZE 16
/* SVT (9.9): source validation type */
enum { SVT_NONE = 0, SVT_SID_SQ = 1, SVT_BUS_RANGE = 2, SVT_RESERVED = 3 };
/* DLM encodings as the LAPIC's delivery modes (9.9, SDM Vol. 3A 11.6.1):
 * 011b and 110b are not defined */
enum { DLM_FIXED = 0, DLM_LOWEST = 1, DLM_SMI = 2, DLM_NMI = 4, DLM_INIT = 5, DLM_EXTINT = 7 };

/* ---- interrupt requests (5.1.2): a DWORD write to 0xFEEx_xxxx ----
 * Compatibility format (bit 4 = 0, 5.1.2.1; SDM Vol. 3A 11.11.1):
 *  address 31:20 0xFEE | 19:12 Destination ID | 3 RH | 2 DM
 *  data    15 TM | 14 level | 10:8 delivery mode | 7:0 vector
 * Remappable format (bit 4 = 1, 5.1.2.2):
 *  address 31:20 0xFEE | 19:5 handle[14:0] | 4 = 1 | 3 SHV | 2 handle[15] | 1:0 ignored
 *  data    31:16 reserved if SHV = 1, else ignored | 15:0 subhandle (SHV = 1) */
FIELD(MSI_ADDR, DM, 2, 1)
FIELD(MSI_ADDR, RH, 3, 1)
FIELD(MSI_ADDR, IF, 4, 1)
FIELD(MSI_ADDR, DEST, 12, 8)
FIELD(MSI_ADDR, HEAD, 20, 12)
FIELD(MSI_ADDR, HANDLE_15, 2, 1)
FIELD(MSI_ADDR, SHV, 3, 1)
FIELD(MSI_ADDR, HANDLE_LO, 5, 15)
FIELD(MSI_DATA, VECTOR, 0, 8)
FIELD(MSI_DATA, DLM, 8, 3)
FIELD(MSI_DATA, LEVEL, 14, 1)
FIELD(MSI_DATA, TM, 15, 1)
FIELD(MSI_DATA, SUBHANDLE, 0, 16)
FIELD(MSI_DATA, RSVD_REMAP, 16, 16)
#define MSI_ADDR_HEAD_VALUE 0xfeeu
#define MSI_ADDR_BASE 0xfee00000ULL
#define MSI_ADDR_SIZE 0x100000ULL

/* ---- invalidation descriptors, 128-bit (6.5.2) ----
 * Type: 3:0 (bits 11:9 extend it in scalable mode; must be 0 here). */
FIELD(INV_DSC, TYPE, 0, 4)
FIELD(INV_DSC, TYPE_HI, 9, 3)
enum vtd_inv_type {
	INV_CC = 1, INV_IOTLB = 2, INV_DEV_TLB = 3, INV_IEC = 4, INV_WAIT = 5,
	INV_PIOTLB = 6, INV_PC = 7, INV_PDEV_TLB = 8,   /* scalable mode only */
};
/* Interrupt entry cache invalidate descriptor (6.5.2.8):
 *  47:32 IIDX | 31:27 IM (2^IM indexes) | 4 G (0 global, 1 index-selective) | 3:0 = 4
 *  reserved: 63:48, 26:12, 8:5 and the whole high quadword */
FIELD(IEC_DSC, G, 4, 1)
FIELD(IEC_DSC, IM, 27, 5)
FIELD(IEC_DSC, IIDX, 32, 16)
#define IEC_DSC_LO_RSVD 0xffff000007fff1e0ULL
/* Invalidation wait descriptor (6.5.2.9):
 *  low:  63:32 Status Data | 7 PD | 6 FN | 5 SW | 4 IF | 3:0 = 5; reserved 31:12, 8
 *  high: 63:2 Status Address (bits above HAW ignored) | 1:0 reserved
 *  (PD, page-request drain, is reserved without ECAP.PDS) */
FIELD(WAIT_DSC, IF, 4, 1)
FIELD(WAIT_DSC, SW, 5, 1)
FIELD(WAIT_DSC, FN, 6, 1)
FIELD(WAIT_DSC, PD, 7, 1)
FIELD(WAIT_DSC, STDATA, 32, 32)
#define WAIT_DSC_LO_RSVD 0x00000000fffff180ULL   /* 31:12, 8, 7 (PD); 11:9 is TYPE_HI */
#define WAIT_DSC_HI_RSVD 0x3ULL

/* ---- interrupt-remapping fault reasons (5.1.4.1, Table 15 "Interrupt
 * Remapping Fault Conditions"); "qualified" ones are not recorded when the
 * IRTE's FPD is set: they are found after the IRTE was read. ---- */
enum vtd_ir_fault {
	VTD_FR_NONE = 0,
	VTD_FR_IR_REQ_RSVD = 0x20,    /* remappable request with a reserved field set */
	VTD_FR_IR_INDEX = 0x21,       /* interrupt_index beyond the table, or its IRTE above HAW */
	VTD_FR_IR_NOT_PRESENT = 0x22, /* IRTE P = 0 (qualified) */
	VTD_FR_IR_TABLE = 0x23,       /* reading the table through IRTA_REG failed */
	VTD_FR_IR_IRTE_RSVD = 0x24,   /* present IRTE with a reserved field set (qualified) */
	VTD_FR_IR_COMPAT = 0x25,      /* compatibility format blocked: EIME = 1 or CFIS = 0 */
	VTD_FR_IR_SID = 0x26,         /* source-id verification failed (qualified) */
	VTD_FR_IR_PID = 0x27,         /* posted-interrupt descriptor access failed (qualified) */
	VTD_FR_IR_PID_RSVD = 0x28,    /* posted-interrupt descriptor reserved field set (qualified) */
	/* not produced: every request reaching the unit is a DWORD write, ECAP.EIMER = IRREQ = 0 */
	VTD_FR_IR_INVALID_MSI = 0x29, /* a write to 0xFEEx_xxxx that is no valid interrupt */
	VTD_FR_IR_EIMER = 0x2a,       /* EIME = 0 where ECAP.EIMER requires 1 */
	VTD_FR_IR_IRREQ = 0x2b,       /* an MSI with remapping off where ECAP.IRREQ requires it on */
};

#endif
