/* A guest whose first act after printing is one bad memory access or jump
 * (FAULT_ASM, with FAULT_ADDR in RAX).  hvsim must stop with a guest fault
 * (exit status 4) whose message names the vCPU and the address, never an
 * internal error.  Included by the x86 fault_*.c guests, which define
 * FAULT_NAME, FAULT_ADDR and FAULT_ASM. */
#include "rt.h"

int main(void)
{
    printf("%s: 0x%lx\n", FAULT_NAME, (uint64_t)FAULT_ADDR);
    __asm__ volatile(FAULT_ASM : : "a"((uint64_t)FAULT_ADDR) : "memory");
    printf("%s: FAIL: the access completed\n", FAULT_NAME);
    return 1;
}
