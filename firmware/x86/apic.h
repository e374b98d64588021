/* Local APIC helpers for the x86 interrupt guests (ipi, timer): an IDT of
 * 256 gates (the runtime's exception stubs below 32, apic_irq_handler for
 * 32 and up), xAPIC MMIO and x2APIC MSR register access, EOI.  Intel SDM
 * Vol. 3A chapter 10; register offsets from Table 10-1, MSRs 800H + off/16. */
#ifndef FW_X86_APIC_H
#define FW_X86_APIC_H
#include "rt.h"

#define APIC_BASE_ADDR   0xfee00000u
#define APIC_BASE_EN     (1u << 11)
#define APIC_BASE_EXTD   (1u << 10)
#define APIC_ID          0x020
#define APIC_EOI         0x0b0
#define APIC_SVR         0x0f0
#define APIC_ICR         0x300
#define APIC_ICR2        0x310
#define APIC_LVTT        0x320
#define APIC_TMICT       0x380
#define APIC_TMCCT       0x390
#define APIC_TDCR        0x3e0
#define MSR_TSC_DEADLINE 0x6e0
#define LVT_MASKED       (1u << 16)
#define LVT_PERIODIC     (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)

/* Called for every vector >= 32 with interrupts disabled; EOI is the
 * handler's business. */
void apic_irq_handler(unsigned vector);
/* Loads the runtime's GDT and this IDT on the calling CPU. */
void apic_idt_init(void);
/* Software-enables the LAPIC (SVR, spurious vector 0xff) in the current mode. */
void apic_enable(void);
/* Switches the calling CPU's LAPIC to x2APIC mode (IA32_APIC_BASE.EXTD). */
void apic_x2apic_on(void);
int apic_x2apic(void);
uint32_t apic_read(unsigned off);
void apic_write(unsigned off, uint32_t v);
void apic_eoi(void);
/* Fixed IPI, physical destination */
void apic_send_ipi(uint32_t dest, uint8_t vector);
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
/* STI; HLT: wakes on the next interrupt, taken after the HLT (the STI
 * shadow keeps it from landing between the two). */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }

#endif
