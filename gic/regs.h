/* GICv3 register layouts, one place each (Arm IHI 0069H, "GIC architecture
 * specification v3/v4"): memory-mapped offsets of the Distributor (12.9) and
 * Redistributor (12.10/12.11) frames, fields of the registers the model
 * implements, the virtual CPU interface (ICH_*, 12.4) and the CPU interface
 * system registers (ICC_*, 12.2) with their encodings.
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_GIC_REGS_H
#define HVSIM_GIC_REGS_H
#include "core/field.h"
#include "cpu/el2.h"        /* SYS_REG() packing */

/* ---- INTID ranges (IHI 0069H 2.2) ---- */
#define GIC_NR_SGIS        16
#define GIC_NR_PRIVATE     32           /* SGIs 0-15, PPIs 16-31 */
#define GIC_MAX_SPI_INTID  1019
#define GIC_INTID_SPURIOUS 1023
#define GIC_PRI_BITS       5            /* implemented priority bits (KVM VGIC_PRI_BITS) */
#define GIC_PRI_MASK       0xf8u        /* GENMASK(7, 8 - GIC_PRI_BITS) */
#define GIC_PRE_BITS       5            /* preemption bits: ICH_VTR_EL2.PREbits + 1 */
#define GIC_IDLE_PRIORITY  0xffu        /* running priority with nothing active */

/* ---- Distributor, 64 KiB frame (12.9) ---- */
enum {
	GICD_CTLR = 0x0000, GICD_TYPER = 0x0004, GICD_IIDR = 0x0008, GICD_TYPER2 = 0x000c,
	GICD_STATUSR = 0x0010, GICD_SETSPI_NSR = 0x0040, GICD_CLRSPI_NSR = 0x0048,
	GICD_SETSPI_SR = 0x0050, GICD_CLRSPI_SR = 0x0058,
	GICD_IGROUPR = 0x0080, GICD_ISENABLER = 0x0100, GICD_ICENABLER = 0x0180,
	GICD_ISPENDR = 0x0200, GICD_ICPENDR = 0x0280, GICD_ISACTIVER = 0x0300,
	GICD_ICACTIVER = 0x0380, GICD_IPRIORITYR = 0x0400, GICD_ITARGETSR = 0x0800,
	GICD_ICFGR = 0x0c00, GICD_IGRPMODR = 0x0d00, GICD_NSACR = 0x0e00, GICD_SGIR = 0x0f00,
	GICD_CPENDSGIR = 0x0f10, GICD_SPENDSGIR = 0x0f20, GICD_IROUTER = 0x6000,
	GICD_PIDR2 = 0xffe8,
	GICD_FRAME_SIZE = 0x10000,
};
/* GICD_CTLR with GICD_CTLR.DS == 1 (one security state, 12.9.4):
 *  31   RWP | 7 E1NWF | 6 DS | 4 ARE | 1 EnableGrp1 | 0 EnableGrp0 */
FIELD(GICD_CTLR, ENABLE_GRP0, 0, 1)
FIELD(GICD_CTLR, ENABLE_GRP1, 1, 1)
FIELD(GICD_CTLR, ARE, 4, 1)
FIELD(GICD_CTLR, DS, 6, 1)
FIELD(GICD_CTLR, RWP, 31, 1)
/* GICD_TYPER (12.9.38):
 *  25 No1N | 24 A3V | 23:19 IDbits | 18 DVIS | 17 LPIS | 16 MBIS | 7:5 CPUNumber | 4:0 ITLinesNumber */
FIELD(GICD_TYPER, ITLINES, 0, 5)
FIELD(GICD_TYPER, LPIS, 17, 1)
FIELD(GICD_TYPER, IDBITS, 19, 5)
/* GICD_IIDR / GICR_IIDR (12.9.24):
 *  31:24 ProductID | 19:16 Variant | 15:12 Revision | 11:0 Implementer */
FIELD(GIC_IIDR, IMPLEMENTER, 0, 12)
FIELD(GIC_IIDR, REVISION, 12, 4)
FIELD(GIC_IIDR, PRODUCT, 24, 8)
/* GICD_IROUTER<n> (12.9.22): 39:32 Aff3 | 31 IRM | 23:16 Aff2 | 15:8 Aff1 | 7:0 Aff0 */
FIELD(GICD_IROUTER, AFF0_2, 0, 24)
FIELD(GICD_IROUTER, IRM, 31, 1)
FIELD(GICD_IROUTER, AFF3, 32, 8)
/* GICD_PIDR2 / GICR_PIDR2: 7:4 ArchRev (3 = GICv3) */
FIELD(GIC_PIDR2, ARCHREV, 4, 4)

/* ---- Redistributor: RD_base then SGI_base, 64 KiB each (12.10, 12.11) ---- */
enum {
	GICR_CTLR = 0x0000, GICR_IIDR = 0x0004, GICR_TYPER = 0x0008, GICR_STATUSR = 0x0010,
	GICR_WAKER = 0x0014, GICR_SETLPIR = 0x0040, GICR_CLRLPIR = 0x0048,
	GICR_PROPBASER = 0x0070, GICR_PENDBASER = 0x0078, GICR_INVLPIR = 0x00a0,
	GICR_INVALLR = 0x00b0, GICR_SYNCR = 0x00c0, GICR_PIDR2 = 0xffe8,
	/* SGI_base frame, offsets within it */
	GICR_IGROUPR0 = 0x0080, GICR_ISENABLER0 = 0x0100, GICR_ICENABLER0 = 0x0180,
	GICR_ISPENDR0 = 0x0200, GICR_ICPENDR0 = 0x0280, GICR_ISACTIVER0 = 0x0300,
	GICR_ICACTIVER0 = 0x0380, GICR_IPRIORITYR0 = 0x0400, GICR_ICFGR0 = 0x0c00,
	GICR_ICFGR1 = 0x0c04, GICR_IGRPMODR0 = 0x0d00, GICR_NSACR = 0x0e00,
	GICR_FRAME_SIZE = 0x10000,
	GICR_STRIDE = 0x20000,      /* RD_base + SGI_base (no VLPI frames: GICv3) */
};
/* GICR_TYPER (12.11.35):
 *  63:32 Affinity_Value (Aff3.Aff2.Aff1.Aff0) | 23:8 Processor_Number | 4 Last | 3 DirectLPI | 0 PLPIS */
FIELD(GICR_TYPER, PLPIS, 0, 1)
FIELD(GICR_TYPER, LAST, 4, 1)
FIELD(GICR_TYPER, PROC_NUM, 8, 16)
FIELD(GICR_TYPER, AFFINITY, 32, 32)
/* GICR_WAKER (12.11.42): 2 ChildrenAsleep | 1 ProcessorSleep */
FIELD(GICR_WAKER, PROCESSOR_SLEEP, 1, 1)
FIELD(GICR_WAKER, CHILDREN_ASLEEP, 2, 1)

/* ---- virtual CPU interface, EL2 view (12.4) ---- */
/* ICH_LR<n>_EL2 (12.4.6):
 *  63:62 State | 61 HW | 60 Group | 59 NMI | 55:48 Priority | 44:32 pINTID | 31:0 vINTID
 *  (HW == 0: bit 41 EOI requests a maintenance interrupt on deactivation) */
FIELD(ICH_LR, VINTID, 0, 32)
FIELD(ICH_LR, PINTID, 32, 13)
FIELD(ICH_LR, EOI, 41, 1)
FIELD(ICH_LR, PRIORITY, 48, 8)
FIELD(ICH_LR, GROUP, 60, 1)
FIELD(ICH_LR, HW, 61, 1)
FIELD(ICH_LR, STATE, 62, 2)
enum { LR_INVALID = 0, LR_PENDING = 1, LR_ACTIVE = 2, LR_PENDING_ACTIVE = 3 };
/* ICH_VMCR_EL2 (12.4.10):
 *  31:24 VPMR | 23:21 VBPR0 | 20:18 VBPR1 | 9 VEOIM | 4 VCBPR | 3 VFIQEn | 2 VAckCtl | 1 VENG1 | 0 VENG0 */
FIELD(ICH_VMCR, VENG0, 0, 1)
FIELD(ICH_VMCR, VENG1, 1, 1)
FIELD(ICH_VMCR, VFIQEN, 3, 1)
FIELD(ICH_VMCR, VCBPR, 4, 1)
FIELD(ICH_VMCR, VEOIM, 9, 1)
FIELD(ICH_VMCR, VBPR1, 18, 3)
FIELD(ICH_VMCR, VBPR0, 21, 3)
FIELD(ICH_VMCR, VPMR, 24, 8)
/* ICH_HCR_EL2 (12.4.4):
 *  31:27 EOIcount | 14 TDIR | 13 TSEI | 12 TALL1 | 11 TALL0 | 10 TC | 3 NPIE | 2 LRENPIE | 1 UIE | 0 En */
FIELD(ICH_HCR, EN, 0, 1)
FIELD(ICH_HCR, UIE, 1, 1)
FIELD(ICH_HCR, LRENPIE, 2, 1)
FIELD(ICH_HCR, NPIE, 3, 1)
FIELD(ICH_HCR, TC, 10, 1)
FIELD(ICH_HCR, TALL0, 11, 1)
FIELD(ICH_HCR, TALL1, 12, 1)
FIELD(ICH_HCR, TDIR, 14, 1)
FIELD(ICH_HCR, EOICOUNT, 27, 5)
/* ICH_MISR_EL2 (12.4.7): 3 NP | 2 LRENP | 1 U | 0 EOI */
FIELD(ICH_MISR, EOI, 0, 1)
FIELD(ICH_MISR, U, 1, 1)
FIELD(ICH_MISR, LRENP, 2, 1)
FIELD(ICH_MISR, NP, 3, 1)
/* ICH_VTR_EL2 (12.4.11): 31:29 PRIbits | 28:26 PREbits | 25:23 IDbits | 21 A3V | 4:0 ListRegs */
FIELD(ICH_VTR, LISTREGS, 0, 5)
FIELD(ICH_VTR, A3V, 21, 1)
FIELD(ICH_VTR, IDBITS, 23, 3)
FIELD(ICH_VTR, PREBITS, 26, 3)
FIELD(ICH_VTR, PRIBITS, 29, 3)

/* ---- CPU interface system registers as the guest sees them (12.2) ---- */
/* ICC_CTLR_EL1 (12.2.6): 19 ExtRange | 18 RSS | 15 A3V | 14 SEIS | 13:11 IDbits | 10:8 PRIbits | 1 EOImode | 0 CBPR */
FIELD(ICC_CTLR, CBPR, 0, 1)
FIELD(ICC_CTLR, EOIMODE, 1, 1)
FIELD(ICC_CTLR, PRIBITS, 8, 3)
FIELD(ICC_CTLR, IDBITS, 11, 3)
FIELD(ICC_CTLR, A3V, 15, 1)
/* ICC_SRE_EL1 (12.2.15): 2 DIB | 1 DFB | 0 SRE */
#define ICC_SRE_EL1_VALUE 0x7u          /* KVM vgic_v3_enable: DIB | DFB | SRE */
/* ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (12.2.21):
 *  55:48 Aff3 | 47:44 RS | 40 IRM | 39:32 Aff2 | 27:24 INTID | 23:16 Aff1 | 15:0 TargetList */
FIELD(ICC_SGIR, TARGETS, 0, 16)
FIELD(ICC_SGIR, AFF1, 16, 8)
FIELD(ICC_SGIR, INTID, 24, 4)
FIELD(ICC_SGIR, AFF2, 32, 8)
FIELD(ICC_SGIR, IRM, 40, 1)
FIELD(ICC_SGIR, RS, 44, 4)
FIELD(ICC_SGIR, AFF3, 48, 8)

/* Encodings (op0, op1, CRn, CRm, op2), IHI 0069H table 12-2 */
#define ICC_PMR_EL1     SYS_REG(3, 0, 4, 6, 0)
#define ICC_IAR0_EL1    SYS_REG(3, 0, 12, 8, 0)
#define ICC_EOIR0_EL1   SYS_REG(3, 0, 12, 8, 1)
#define ICC_HPPIR0_EL1  SYS_REG(3, 0, 12, 8, 2)
#define ICC_BPR0_EL1    SYS_REG(3, 0, 12, 8, 3)
#define ICC_AP0R_EL1(n) SYS_REG(3, 0, 12, 8, 4 + (n))
#define ICC_AP1R_EL1(n) SYS_REG(3, 0, 12, 9, (n))
#define ICC_DIR_EL1     SYS_REG(3, 0, 12, 11, 1)
#define ICC_RPR_EL1     SYS_REG(3, 0, 12, 11, 3)
#define ICC_SGI1R_EL1   SYS_REG(3, 0, 12, 11, 5)
#define ICC_ASGI1R_EL1  SYS_REG(3, 0, 12, 11, 6)
#define ICC_SGI0R_EL1   SYS_REG(3, 0, 12, 11, 7)
#define ICC_IAR1_EL1    SYS_REG(3, 0, 12, 12, 0)
#define ICC_EOIR1_EL1   SYS_REG(3, 0, 12, 12, 1)
#define ICC_HPPIR1_EL1  SYS_REG(3, 0, 12, 12, 2)
#define ICC_BPR1_EL1    SYS_REG(3, 0, 12, 12, 3)
#define ICC_CTLR_EL1    SYS_REG(3, 0, 12, 12, 4)
#define ICC_SRE_EL1     SYS_REG(3, 0, 12, 12, 5)
#define ICC_IGRPEN0_EL1 SYS_REG(3, 0, 12, 12, 6)
#define ICC_IGRPEN1_EL1 SYS_REG(3, 0, 12, 12, 7)

#endif
