/* x86-64 exception handling: GDT, IDT and the C side of the stubs.  See exc.h. */
#include "x86/exc.h"

/* Flat GDT: 0x08 64-bit code (L=1, DPL 0), 0x10 data (SDM Vol. 3A 3.4.5). */
static const uint64_t gdt[3] = { 0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL };
#define SEL_CODE 0x08
#define SEL_DATA 0x10
static uint64_t idt[32][2] __attribute__((aligned(16)));
static x86_exc_handler_t handler;

struct __attribute__((packed)) desc_ptr { uint16_t limit; uint64_t base; };

/* 64-bit interrupt gate (SDM Vol. 3A Figure 6-8): present, DPL 0, type 0xE. */
static void set_gate(unsigned vec, uint64_t target)
{
    idt[vec][0] = (target & 0xffff) | (uint64_t)SEL_CODE << 16 | 0x8eULL << 40 |
                  ((target >> 16) & 0xffff) << 48;
    idt[vec][1] = target >> 32;
}

void exc_init(void)
{
    struct desc_ptr g = { sizeof gdt - 1, (uint64_t)(uintptr_t)gdt };
    struct desc_ptr i = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
    for (unsigned v = 0; v < 32; v++)
        set_gate(v, x86_exc_stubs[v]);
    /* Reload CS with a far return, then the data segments. */
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\tmov %2, %%eax\n\t"
                     "mov %%eax, %%ds\n\t"
                     "mov %%eax, %%es\n\t"
                     "mov %%eax, %%ss\n\t"
                     "lidt %3"
                     : : "m"(g), "i"(SEL_CODE), "i"(SEL_DATA), "m"(i) : "rax", "memory");
}

void exc_set_handler(x86_exc_handler_t h)
{
    handler = h;
}

void x86_exception(struct x86_frame *f)
{
    if (handler && handler(f))
        return;
    printf("cpu%u: unhandled exception vector %lu error 0x%lx at RIP 0x%lx, exit 99\n", cpu_id(),
           f->vector, f->error, f->rip);
    hv_exit(99);
}

volatile unsigned exc_gp_count;
volatile uint64_t exc_gp_error;

/* #GP at a RDMSR/WRMSR (0F 32 / 0F 30): count it and skip the instruction. */
int exc_msr_gp(struct x86_frame *f)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)f->rip;
    if (f->vector != X86_VEC_GP || p[0] != 0x0f || (p[1] != 0x30 && p[1] != 0x32))
        return 0;
    exc_gp_count++;
    exc_gp_error = f->error;
    f->rip += 2;
    return 1;
}

int rdmsr_gp(uint32_t msr, uint64_t *val)
{
    unsigned before = exc_gp_count;
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = (uint64_t)hi << 32 | lo;
    return exc_gp_count != before;
}

int wrmsr_gp(uint32_t msr, uint64_t val)
{
    unsigned before = exc_gp_count;
    wrmsr(msr, val);
    return exc_gp_count != before;
}
