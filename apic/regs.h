/* x86 APIC register layouts, one place each.  Intel SDM Vol. 3A chapter 10
 * (Dec 2022: "Advanced Programmable Interrupt Controller (APIC)"), Vol. 3C
 * chapter 30 (APIC virtualization and virtual interrupts), the Intel 82093AA
 * I/O APIC datasheet (290566-001) and the VT-d specification 5.2.3 (posted
 * interrupts).  Section numbers in the comments are the SDM's.
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_APIC_REGS_H
#define HVSIM_APIC_REGS_H
#include "core/field.h"

#define APIC_PAGE_SIZE      0x1000u
#define APIC_NR_VECTORS     256
#define APIC_MIN_VECTOR     16          /* 0-15 are reserved (10.5.2 "illegal vector") */
#define APIC_DEFAULT_BASE   0xfee00000u /* IA32_APIC_BASE at reset (10.4.4) */
#define MSR_IA32_APIC_BASE  0x1bu
#define MSR_IA32_TSC_DEADLINE 0x6e0u
#define X2APIC_MSR_BASE     0x800u      /* 10.12.1.2: 800H-8FFH map the registers ... */
#define X2APIC_MSR_LAST     0x8ffu
#define X2APIC_MSR_RSVD_END 0xbffu      /* ... and 800H-BFFH are reserved for the x2APIC */
#define X2APIC_BROADCAST    0xffffffffu /* 10.12.9 */
#define XAPIC_BROADCAST     0xffu       /* 10.6.2.1 */

/* IA32_APIC_BASE (10.4.4, Figure 10-5; 10.12.1):
 *  MAXPHYADDR-1:12 APIC Base | 11 EN (global enable) | 10 EXTD (x2APIC) | 8 BSP */
FIELD(APIC_BASE_MSR, BSP, 8, 1)
FIELD(APIC_BASE_MSR, EXTD, 10, 1)
FIELD(APIC_BASE_MSR, EN, 11, 1)
FIELD(APIC_BASE_MSR, BASE, 12, 40)      /* MAXPHYADDR = 52 */

/* Register offsets in the 4 KiB xAPIC page (10.4.1, Table 10-1); the x2APIC
 * MSR of offset o is 800H + (o >> 4) (10.12.1.2, Table 10-6). */
enum {
	APIC_ID = 0x020, APIC_LVR = 0x030, APIC_TPR = 0x080, APIC_APR = 0x090,
	APIC_PPR = 0x0a0, APIC_EOI = 0x0b0, APIC_RRD = 0x0c0, APIC_LDR = 0x0d0,
	APIC_DFR = 0x0e0, APIC_SVR = 0x0f0, APIC_ISR = 0x100, APIC_TMR = 0x180,
	APIC_IRR = 0x200, APIC_ESR = 0x280, APIC_LVT_CMCI = 0x2f0, APIC_ICR = 0x300,
	APIC_ICR2 = 0x310, APIC_LVTT = 0x320, APIC_LVTTHMR = 0x330, APIC_LVTPC = 0x340,
	APIC_LVT0 = 0x350, APIC_LVT1 = 0x360, APIC_LVTERR = 0x370, APIC_TMICT = 0x380,
	APIC_TMCCT = 0x390, APIC_TDCR = 0x3e0, APIC_SELF_IPI = 0x3f0,
	APIC_LAST_REG = 0x3f0,
};
/* Local APIC ID: xAPIC bits 31:24 (10.4.6); x2APIC all 32 bits (10.12.5.1). */
FIELD(APIC_ID_REG, XAPIC_ID, 24, 8)
/* Local APIC Version (10.4.8, Figure 10-7):
 *  24 Suppress EOI-broadcasts supported | 23:16 Max LVT Entry | 7:0 Version */
FIELD(APIC_LVR, VERSION, 0, 8)
FIELD(APIC_LVR, MAX_LVT, 16, 8)
FIELD(APIC_LVR, EOI_SUPPRESS, 24, 1)
/* TPR / PPR (10.8.3.1, Figures 10-18/10-19): 7:4 priority class | 3:0 sub-class */
FIELD(APIC_PRIO, SUBCLASS, 0, 4)
FIELD(APIC_PRIO, CLASS, 4, 4)
/* Logical Destination Register (10.6.2.2): xAPIC 31:24 logical APIC ID;
 * x2APIC (10.12.10.2) 31:16 cluster ID | 15:0 logical ID (one bit). */
FIELD(APIC_LDR, XAPIC_LID, 24, 8)
FIELD(APIC_LDR, X2_CLUSTER, 16, 16)
FIELD(APIC_LDR, X2_LID, 0, 16)
/* Destination Format Register (10.6.2.2, Figure 10-14): 31:28 model, 27:0 all ones */
FIELD(APIC_DFR, MODEL, 28, 4)
enum { APIC_DFR_FLAT = 0xf, APIC_DFR_CLUSTER = 0x0 };
/* Spurious-Interrupt Vector Register (10.9, Figure 10-23):
 *  12 EOI-broadcast suppression | 9 focus checking (reserved on P4 and later) | 8 APIC software enable | 7:0 vector */
FIELD(APIC_SVR, VECTOR, 0, 8)
FIELD(APIC_SVR, APIC_ENABLE, 8, 1)
FIELD(APIC_SVR, FOCUS_DISABLE, 9, 1)
FIELD(APIC_SVR, EOI_SUPPRESS, 12, 1)
/* Error Status Register (10.5.3, Figure 10-9) */
FIELD(APIC_ESR, SEND_ILLEGAL_VECTOR, 5, 1)
FIELD(APIC_ESR, RECV_ILLEGAL_VECTOR, 6, 1)
FIELD(APIC_ESR, ILLEGAL_REG_ADDRESS, 7, 1)

/* Interrupt Command Register, 64 bits (10.6.1, Figure 10-12; x2APIC 10.12.9,
 * Figure 10-28):
 *  63:56 destination (xAPIC) / 63:32 destination (x2APIC) | 19:18 shorthand |
 *  15 trigger mode | 14 level | 12 delivery status (xAPIC only) |
 *  11 destination mode | 10:8 delivery mode | 7:0 vector */
FIELD(APIC_ICR, VECTOR, 0, 8)
FIELD(APIC_ICR, DELIVERY_MODE, 8, 3)
FIELD(APIC_ICR, DEST_MODE, 11, 1)
FIELD(APIC_ICR, DELIVERY_STATUS, 12, 1)
FIELD(APIC_ICR, LEVEL, 14, 1)
FIELD(APIC_ICR, TRIGGER, 15, 1)
FIELD(APIC_ICR, SHORTHAND, 18, 2)
FIELD(APIC_ICR, X2_DEST, 32, 32)
FIELD(APIC_ICR, XAPIC_DEST, 56, 8)
/* Bits of ICR[31:0] that are reserved in x2APIC mode and in the self-IPI /
 * IPI-virtualization checks (10.12.9; 30.4.3.2): 31:20, 17:16, 13. */
#define APIC_ICR_LO_RESERVED 0xfff32000u

/* Delivery modes (10.6.1 ICR, 10.5.1 LVT, 82093AA 3.2.4 redirection entry) */
enum apic_delivery {
	APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_REMOTE_READ = 3,
	APIC_DM_NMI = 4, APIC_DM_INIT = 5, APIC_DM_SIPI = 6, APIC_DM_EXTINT = 7,
};
/* Destination shorthands (10.6.1) */
enum apic_shorthand {
	APIC_SH_NONE = 0, APIC_SH_SELF = 1, APIC_SH_ALL_INCL = 2, APIC_SH_ALL_EXCL = 3,
};

/* LVT entries (10.5.1, Figure 10-8):
 *  18:17 timer mode | 16 mask | 15 trigger mode | 14 remote IRR | 13 polarity |
 *  12 delivery status | 10:8 delivery mode | 7:0 vector */
FIELD(APIC_LVT, VECTOR, 0, 8)
FIELD(APIC_LVT, DELIVERY_MODE, 8, 3)
FIELD(APIC_LVT, DELIVERY_STATUS, 12, 1)
FIELD(APIC_LVT, POLARITY, 13, 1)
FIELD(APIC_LVT, REMOTE_IRR, 14, 1)
FIELD(APIC_LVT, TRIGGER, 15, 1)
FIELD(APIC_LVT, MASK, 16, 1)
FIELD(APIC_LVT, TIMER_MODE, 17, 2)
enum apic_timer_mode { APIC_TIMER_ONESHOT = 0, APIC_TIMER_PERIODIC = 1, APIC_TIMER_TSC_DEADLINE = 2 };
/* Divide Configuration Register (10.5.4, Figure 10-10): bits 3, 1:0;
 * value 111b divides by 1, otherwise by 2^(((bit3 << 2) | bits1:0) + 1). */
FIELD(APIC_TDCR, LOW, 0, 2)
FIELD(APIC_TDCR, HIGH, 3, 1)

/* ---- I/O APIC (82093AA datasheet 3.0; QEMU/ICH version 0x20 with EOI) ---- */
enum {
	IOAPIC_IOREGSEL = 0x00, IOAPIC_IOWIN = 0x10, IOAPIC_EOIR = 0x40,
	IOAPIC_WINDOW_SIZE = 0x100,
	/* indirect registers */
	IOAPIC_REG_ID = 0x00, IOAPIC_REG_VER = 0x01, IOAPIC_REG_ARB = 0x02,
	IOAPIC_REG_REDTBL = 0x10,       /* entry n: 10H + 2n (low), 11H + 2n (high) */
};
#define IOAPIC_NUM_PINS 24
/* IOAPICID (3.2.1): 27:24 ID; IOAPICVER (3.2.2): 23:16 max redirection entry | 7:0 version;
 * IOAPICARB (3.2.3): 27:24 arbitration ID */
FIELD(IOAPIC_ID, ID, 24, 4)
FIELD(IOAPIC_VER, VERSION, 0, 8)
FIELD(IOAPIC_VER, MAX_REDIR, 16, 8)
/* Redirection table entry (3.2.4):
 *  63:56 destination | 16 mask | 15 trigger mode | 14 remote IRR | 13 polarity |
 *  12 delivery status | 11 destination mode | 10:8 delivery mode | 7:0 vector */
FIELD(IOAPIC_RTE, VECTOR, 0, 8)
FIELD(IOAPIC_RTE, DELIVERY_MODE, 8, 3)
FIELD(IOAPIC_RTE, DEST_MODE, 11, 1)
FIELD(IOAPIC_RTE, DELIVERY_STATUS, 12, 1)
FIELD(IOAPIC_RTE, POLARITY, 13, 1)
FIELD(IOAPIC_RTE, REMOTE_IRR, 14, 1)
FIELD(IOAPIC_RTE, TRIGGER, 15, 1)
FIELD(IOAPIC_RTE, MASK, 16, 1)
FIELD(IOAPIC_RTE, DEST, 56, 8)

/* ---- posted-interrupt descriptor, 64 bytes (SDM 30.6, Table 30-1; VT-d 5.2.3) ----
 *  bits 255:0 PIR | 256 ON | 257 SN | 279:272 NV | 319:288 NDST | 511:320 reserved
 * The fields above the PIR are in the 64-bit word at byte 32 (PID_CTL). */
#define PID_SIZE     64
#define PID_PIR_BYTES 32
#define PID_CTL_BYTE 32
FIELD(PID_CTL, ON, 0, 1)
FIELD(PID_CTL, SN, 1, 1)
FIELD(PID_CTL, NV, 16, 8)
FIELD(PID_CTL, NDST, 32, 32)
/* NDST in xAPIC mode holds the 8-bit APIC ID in bits 15:8 (VT-d 9.11, Table 9-16). */
FIELD(PID_NDST, XAPIC_ID, 8, 8)
/* PID-pointer table entry (IPI virtualization, SDM 30.1.6): 63:6 PID address | 0 valid */
FIELD(PID_PTR, VALID, 0, 1)
FIELD(PID_PTR, ADDR, 6, 58)

/* ---- APIC virtualization, VMX side (Vol. 3C) ---- */
/* Guest interrupt status (25.4.2): the VMCS field, in cpu/vmcs.h */
/* TPR threshold (25.6.8): 3:0 */
FIELD(TPR_THRESHOLD, VALUE, 0, 4)
/* APIC-access exit qualification (28.2.1, Table 28-6):
 *  15:12 access type | 11:0 page offset (linear accesses) */
FIELD(APIC_ACCESS_QUAL, OFFSET, 0, 12)
FIELD(APIC_ACCESS_QUAL, TYPE, 12, 4)
enum apic_access_type {
	APIC_ACCESS_LINEAR_READ = 0, APIC_ACCESS_LINEAR_WRITE = 1, APIC_ACCESS_LINEAR_FETCH = 2,
	APIC_ACCESS_LINEAR_EVENT = 3, APIC_ACCESS_GPA_EVENT = 10, APIC_ACCESS_GPA_FETCH = 15,
};
/* Basic exit reasons APIC virtualization produces (Appendix C) */
enum {
	APIC_EXIT_EXTERNAL_INTERRUPT = 1, APIC_EXIT_TPR_BELOW_THRESHOLD = 43,
	APIC_EXIT_APIC_ACCESS = 44, APIC_EXIT_EOI_INDUCED = 45,
	APIC_EXIT_PREEMPTION_TIMER = 52, APIC_EXIT_APIC_WRITE = 56,
};

#endif
