/* AArch64 layer of the runtime (included by rt.h). */
#ifndef RT_ARM64_ARCH_H
#define RT_ARM64_ARCH_H

#define read_sysreg(r) ({ uint64_t v_; __asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)))

/* MMIO through single plain LDR/STR (no writeback or pair forms), so a
 * hypervisor can emulate the access from the syndrome alone (ESR_EL2.ISV). */
static inline uint32_t mmio_read32(uint64_t a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}
static inline void mmio_write32(uint64_t a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

/* PL011 (ARM DDI 0183G §3.2): data register and flag register. */
#define PL011_UARTDR      0x000
#define PL011_UARTFR      0x018
#define PL011_UARTFR_TXFF (1u << 5)     /* transmit FIFO full */
extern uint64_t rt_uart_base;

/* SMCCC (ARM DEN 0028) fast call through HVC or SMC: function in x0,
 * arguments in x1..x3, result in x0.  x4..x17 may be clobbered by SMCCC
 * v1.0 implementations. */
#define SMCCC_CALL(insn, fn, a1, a2, a3) ({                                       \
    register uint64_t x0_ __asm__("x0") = (fn);                                   \
    register uint64_t x1_ __asm__("x1") = (a1);                                   \
    register uint64_t x2_ __asm__("x2") = (a2);                                   \
    register uint64_t x3_ __asm__("x3") = (a3);                                   \
    __asm__ volatile(insn " #0" : "+r"(x0_), "+r"(x1_), "+r"(x2_), "+r"(x3_) : : \
                     "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",     \
                     "x13", "x14", "x15", "x16", "x17", "memory");                \
    x0_; })
static inline uint64_t smccc_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return SMCCC_CALL("hvc", fn, a1, a2, a3);
}
static inline uint64_t smccc_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return SMCCC_CALL("smc", fn, a1, a2, a3);
}

/* PSCI over the HVC conduit (the machines' DT says method = "hvc"). */
uint32_t psci_version(void);
int psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context_id);
int psci_affinity_info(uint64_t mpidr, unsigned lowest_level);
__attribute__((noreturn)) void psci_cpu_off(void);
__attribute__((noreturn)) void psci_system_off(void);

/* Exceptions: the vector table saves x0..x30 and these registers, calls the
 * registered handler for synchronous exceptions, and restores everything
 * (including a changed elr/spsr) on return. */
struct exc_frame {
    uint64_t x[31];
    uint64_t elr, spsr, esr, far;
    uint64_t pad;                        /* keeps the frame a multiple of 16 */
};
#define ESR_EC(esr)         (((esr) >> 26) & 0x3f)
#define ESR_EC_UNKNOWN      0x00
#define ESR_EC_WFX          0x01
#define ESR_EC_HVC64        0x16
#define ESR_EC_SMC64        0x17
#define ESR_EC_SYS64        0x18
#define ESR_EC_IABT_LOW     0x20
#define ESR_EC_IABT_CUR     0x21         /* instruction abort, same EL */
#define ESR_EC_DABT_LOW     0x24
#define ESR_EC_DABT_CUR     0x25         /* data abort, same EL */
/* Returns nonzero when it handled the exception (execution resumes at
 * f->elr); zero makes the runtime exit with status 99. */
typedef int (*exc_handler_t)(struct exc_frame *f);
void exc_set_handler(exc_handler_t h);
/* IRQs taken at EL1 (current EL, SP_EL1 or SP_EL0) go to this handler, if
 * set; it returns to f->elr.  rt_irq_vector: the vector table entry of the
 * IRQ being handled (1: current EL with SP_EL0, 5: with SP_ELx).  See gic.h. */
typedef void (*irq_handler_t)(struct exc_frame *f);
extern volatile unsigned rt_irq_vector;
void irq_set_handler(irq_handler_t h);
/* SErrors (vector 3, 7 or 11: current EL with SP_EL0 / SP_ELx, or from
 * EL0) go to this handler, if set, with the vector's index; it returns to
 * f->elr. */
typedef void (*serror_handler_t)(struct exc_frame *f, unsigned kind);
void serror_set_handler(serror_handler_t h);
void rt_exception(struct exc_frame *f, unsigned kind);   /* called by the vectors */

/* Machine facts from the devicetree blob passed in x0. */
struct fdt_info {
    unsigned ncpus;                      /* /cpus/cpu@N nodes (all of them) */
    uint64_t mpidr[RT_MAX_CPUS];         /* their reg, in DT order, boot CPU first */
    uint64_t mem_base, mem_size;         /* first /memory reg entry */
    uint64_t uart_base;                  /* reg of the "arm,pl011" node, 0 if none */
    uint64_t gicd_base, gicr_base;       /* reg of the "arm,gic-v3" node, 0 if none */
};
enum {
    FDT_OK = 0, FDT_ERR_ADDRESS = -1, FDT_ERR_MAGIC = -2, FDT_ERR_SIZE = -3,
    FDT_ERR_VERSION = -4, FDT_ERR_STRUCT = -5, FDT_ERR_CELLS = -6,
};
int fdt_scan(const void *blob, struct fdt_info *out);
const char *fdt_strerror(int err);
extern struct fdt_info rt_fdt;           /* filled by rt_arch_init */
extern int rt_fdt_err;                   /* fdt_scan result for the DTB used */
extern uint64_t rt_dtb_addr;             /* DTB address used (0 if none valid) */
extern int rt_dtb_from_x0;               /* 1: x0 held it; 0: found at RAM base (QEMU ELF boot) */

/* Per-CPU tables read by the secondary start code: MPIDR affinity of each
 * logical CPU (unused slots hold RT_MPIDR_NONE). */
#define RT_MPIDR_AFF_MASK 0xff00ffffffULL
#define RT_MPIDR_NONE     (~0ULL)
extern uint64_t rt_cpu_mpidr[RT_MAX_CPUS];
void rt_secondary_entry(void);           /* PSCI CPU_ON entry point (start.S) */

#include "arm64/gic.h"
#include "arm64/its.h"

#endif
