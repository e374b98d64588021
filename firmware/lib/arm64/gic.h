/* GICv3 helpers for the guests (Arm IHI 0069H): Distributor and
 * Redistributor set-up over MMIO, the CPU interface through the ICC_*
 * system registers (written by encoding, so any assembler takes them).
 * Included by arch.h. */
#ifndef RT_ARM64_GIC_H
#define RT_ARM64_GIC_H

/* ICC_* encodings (IHI 0069H table 12-2) */
#define ICC_PMR_EL1     "S3_0_C4_C6_0"
#define ICC_IAR1_EL1    "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1   "S3_0_C12_C12_1"
#define ICC_HPPIR1_EL1  "S3_0_C12_C12_2"
#define ICC_BPR1_EL1    "S3_0_C12_C12_3"
#define ICC_CTLR_EL1    "S3_0_C12_C12_4"
#define ICC_SRE_EL1     "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_DIR_EL1     "S3_0_C12_C11_1"
#define ICC_RPR_EL1     "S3_0_C12_C11_3"
#define ICC_SGI1R_EL1   "S3_0_C12_C11_5"
#define icc_read(r) ({ uint64_t v_; __asm__ volatile("mrs %0, " r : "=r"(v_)); v_; })
#define icc_write(r, v) __asm__ volatile("msr " r ", %0" : : "r"((uint64_t)(v)) : "memory")

#define GIC_SPURIOUS        1023
#define GICR_SGI_BASE       0x10000u     /* SGI_base frame inside a Redistributor */
#define GICR_ISACTIVER0     0x0300u

/* Distributor: affinity routing on, Group 1 enabled (boot CPU, once). */
void gic_init(void);
/* This CPU's Redistributor (found by MPIDR in GICR_TYPER) and CPU
 * interface: SGIs/PPIs Group 1, PMR 0xf0, BPR1 minimum, Group 1 enabled. */
void gic_cpu_init(void);
uint64_t gic_rdist(void);                       /* this CPU's RD_base */
void gic_enable_private(unsigned intid, unsigned priority);   /* SGI/PPI on this CPU */
/* SPIs (INTID >= 32) at the Distributor: Group 1, route to logical CPU `cpu`
 * (GICD_IROUTER), priority and enable, set pending (GICD_ISPENDR). */
void gic_enable_spi(unsigned intid, unsigned priority, unsigned cpu);
void gic_set_pending_spi(unsigned intid);
static inline uint32_t gic_ack(void) { return (uint32_t)icc_read(ICC_IAR1_EL1); }
static inline void gic_eoi(uint32_t intid) { icc_write(ICC_EOIR1_EL1, intid); }
static inline void gic_dir(uint32_t intid) { icc_write(ICC_DIR_EL1, intid); }
static inline unsigned gic_rpr(void) { return (unsigned)icc_read(ICC_RPR_EL1); }
/* SGI `sgi` to logical CPU `cpu` (target list), or to every other CPU (IRM). */
void gic_send_sgi(unsigned sgi, unsigned cpu);
void gic_broadcast_sgi(unsigned sgi);
static inline void irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

#endif
