/* hostile xmod: cross-modifying code (hostile_xmod.h).  CPU 1 stores the new
 * immediate; CPU 0 executes CPUID (serializing) before calling the code: it
 * must run the new instruction (SDM Vol. 3A 8.1.3, the cross-modifying code
 * protocol). */
#include "hostile_xmod.h"

__asm__(".text\nret_imm:\n\tmov $0, %eax\n\tret\n");

static void xmod_patch(uint32_t value)
{
    *(volatile uint32_t *)((uint8_t *)ret_imm + 1) = value;
}

static void xmod_sync(void)
{
    struct cpuid_regs c;
    cpuid(0, 0, &c);
}
