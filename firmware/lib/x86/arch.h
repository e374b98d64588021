/* x86-64 layer of the runtime (included by rt.h). */
#ifndef RT_X86_ARCH_H
#define RT_X86_ARCH_H

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* MMIO: one plain MOV per access (what an EPT-violation handler decodes);
 * inline asm keeps the compiler from folding a read into CMP/TEST. */
#define MMIO_RD(bits, suf) static inline uint##bits##_t mmio_read##bits(uint64_t a) { \
    uint##bits##_t v; \
    __asm__ volatile("mov" suf " %1, %0" : "=r"(v) : "m"(*(volatile uint##bits##_t *)(uintptr_t)a)); \
    return v; }
#define MMIO_WR(bits, suf) static inline void mmio_write##bits(uint64_t a, uint##bits##_t v) { \
    __asm__ volatile("mov" suf " %1, %0" : "=m"(*(volatile uint##bits##_t *)(uintptr_t)a) : "r"(v)); }
MMIO_RD(16, "w") MMIO_RD(32, "l") MMIO_RD(64, "q")
MMIO_WR(16, "w") MMIO_WR(32, "l") MMIO_WR(64, "q")

/* 16550 UART registers (offsets from COM1) */
#define UART_THR      0          /* transmit holding register (write) */
#define UART_LSR      5          /* line status register */
#define UART_LSR_THRE 0x20       /* THR empty: ready for the next byte */

/* MSRs (Intel SDM Vol. 4, Table 2-2) */
#define MSR_IA32_TSC         0x00000010
#define MSR_IA32_APIC_BASE   0x0000001b
#define MSR_IA32_MISC_ENABLE 0x000001a0
#define MSR_IA32_EFER        0xc0000080
#define MSR_IA32_TSC_AUX     0xc0000103

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };
void cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);
extern unsigned rt_cpuid_calls;          /* CPUIDs executed through cpuid() */
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* hvsim hypercall: VMCALL with KVM's convention, RAX = number, RBX, RCX,
 * RDX, RSI = arguments, result in RAX. */
static inline uint64_t vmcall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    __asm__ volatile("vmcall" : "+a"(nr) : "b"(a1), "c"(a2), "d"(a3), "S"(a4) : "memory");
    return nr;
}

extern unsigned rt_bsp_apic_id;          /* CPUID.1:EBX[31:24] seen by the boot CPU */
/* x86 cpu_start(): `id` is the APIC ID (hvsim numbers them 0..n-1 and the
 * BSP is 0).  Returns -1 for a bad id, -2 when the machine did not
 * acknowledge the mailbox command. */
extern uint64_t rt_cpu_arg[RT_MAX_CPUS];
extern uint8_t rt_stacks[];
void rt_ap_entry(void);                  /* mailbox wakeup vector (start.S) */

#endif
