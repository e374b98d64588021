/* hostile noidt_badstack: a valid IDT, but RSP points beyond the physical
 * address space when UD2 raises #UD: the exception frame cannot be pushed,
 * the double fault neither, and the VM shuts down with a triple fault.
 * hvsim stops with exit status 4, naming the triple fault and the vCPU. */
#include "rt.h"
#include "x86/exc.h"

int main(void)
{
    exc_init();
    printf("noidt_badstack: RSP = 0x%llx, then UD2\n", (1ULL << 39) + 0x1000);
    __asm__ volatile("mov %0, %%rsp; ud2" : : "r"((1ULL << 39) + 0x1000) : "memory");
    printf("noidt_badstack: FAIL: UD2 returned\n");
    return 1;
}
