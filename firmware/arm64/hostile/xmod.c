/* hostile xmod: cross-modifying code (hostile_xmod.h).  CPU 1 stores the new
 * instruction, then DC CVAU, DSB ISH, IC IVAU, DSB ISH (the invalidation is
 * broadcast to the Inner Shareable domain); CPU 0 executes an ISB before
 * calling the code: it must run the new instruction (Arm ARM B2.2.5,
 * concurrent modification and execution of instructions). */
#include "hostile_xmod.h"

#define A64_MOVZ_W0(imm) (0x52800000u | ((uint32_t)(imm) << 5))

__asm__(".text\n.balign 16\nret_imm:\n\tmovz w0, #0\n\tret\n");

static void xmod_patch(uint32_t value)
{
    volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)ret_imm;
    *p = A64_MOVZ_W0(value);
    __asm__ volatile("dc cvau, %0; dsb ish; ic ivau, %0; dsb ish" : : "r"(p) : "memory");
}

static void xmod_sync(void)
{
    __asm__ volatile("isb" ::: "memory");
}
