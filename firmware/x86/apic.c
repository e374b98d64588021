/* Local APIC helpers.  See apic.h. */
#include "apic.h"
#include "x86/exc.h"

static uint64_t idt[256][2] __attribute__((aligned(16)));
extern const uint64_t apic_irq_stubs[224];
struct __attribute__((packed)) desc_ptr { uint16_t limit; uint64_t base; };

/* One stub per vector 32..255: push the vector, save the caller-saved
 * registers, call apic_irq_handler(vector), IRETQ. */
__asm__(".text\n"
        ".balign 16\n"
        "apic_irq_common:\n"
        "  push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n"
        "  push %r8; push %r9; push %r10; push %r11\n"
        "  mov 72(%rsp), %rdi\n"
        "  sub $8, %rsp\n"
        "  cld\n"
        "  call apic_irq_handler\n"
        "  add $8, %rsp\n"
        "  pop %r11; pop %r10; pop %r9; pop %r8\n"
        "  pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"
        "  add $8, %rsp\n"
        "  iretq\n"
        ".altmacro\n"
        ".macro apic_stub n\n"
        "  .balign 16\n"
        "  apic_stub_\\n: push $\\n; jmp apic_irq_common\n"
        ".endm\n"
        ".macro apic_ptr n\n"
        "  .quad apic_stub_\\n\n"
        ".endm\n"
        ".set i, 32\n"
        ".rept 224\n"
        "  apic_stub %i\n"
        "  .set i, i + 1\n"
        ".endr\n"
        ".section .rodata\n"
        ".balign 8\n"
        ".global apic_irq_stubs\n"
        "apic_irq_stubs:\n"
        ".set i, 32\n"
        ".rept 224\n"
        "  apic_ptr %i\n"
        "  .set i, i + 1\n"
        ".endr\n"
        ".text\n");

/* 64-bit interrupt gate (SDM Vol. 3A Figure 6-8): present, DPL 0, type 0xE, selector 8 */
static void set_gate(unsigned vec, uint64_t target)
{
    idt[vec][0] = (target & 0xffff) | 8ULL << 16 | 0x8eULL << 40 | ((target >> 16) & 0xffff) << 48;
    idt[vec][1] = target >> 32;
}

void apic_idt_init(void)
{
    exc_init();
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, v < 32 ? x86_exc_stubs[v] : apic_irq_stubs[v - 32]);
    struct desc_ptr i = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(i) : "memory");
}

/* Each CPU's mode as it set it (reading IA32_APIC_BASE would be an exit) */
static volatile int x2[RT_MAX_CPUS];
int apic_x2apic(void) { return x2[cpu_id()]; }

uint32_t apic_read(unsigned off)
{
    if (apic_x2apic())
        return (uint32_t)rdmsr(0x800 + (off >> 4));
    return mmio_read32(APIC_BASE_ADDR + off);
}

void apic_write(unsigned off, uint32_t v)
{
    if (apic_x2apic())
        wrmsr(0x800 + (off >> 4), v);
    else
        mmio_write32(APIC_BASE_ADDR + off, v);
}

void apic_enable(void) { apic_write(APIC_SVR, 0x1ff); }

void apic_x2apic_on(void)
{
    wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
    x2[cpu_id()] = 1;
}

void apic_eoi(void) { apic_write(APIC_EOI, 0); }

void apic_send_ipi(uint32_t dest, uint8_t vector)
{
    if (apic_x2apic()) {
        wrmsr(0x800 + (APIC_ICR >> 4), (uint64_t)dest << 32 | vector);   /* one WRMSR (10.12.9) */
        return;
    }
    mmio_write32(APIC_BASE_ADDR + APIC_ICR2, dest << 24);
    mmio_write32(APIC_BASE_ADDR + APIC_ICR, vector);   /* fixed, physical, edge, no shorthand */
}
