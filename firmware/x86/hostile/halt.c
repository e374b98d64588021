/* hostile halt: the only running CPU executes HLT with interrupts off.
 * Nothing can wake it (no interrupt source): hvsim stops with exit status 4,
 * saying that every vCPU is halted or off. */
#include "rt.h"

int main(void)
{
    printf("halt: cli; hlt on the only running CPU\n");
    __asm__ volatile("cli; hlt" ::: "memory");
    printf("halt: FAIL: HLT returned\n");
    return 1;
}
