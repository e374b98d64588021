/* hostile noidt_unmapped: the IDT register points at 1 << 39, where no
 * memory is, then UD2.  No gate can be read: the #UD becomes a double
 * fault, then a triple fault, and the VM shuts down (SDM Vol. 3A 6.15,
 * interrupt 8).  hvsim stops with exit status 4, naming the triple fault
 * and the vCPU. */
#include "rt.h"

int main(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { 0xfff, 1ULL << 39 };
    printf("noidt_unmapped: IDT at 0x%lx, then UD2\n", idtr.base);
    __asm__ volatile("lidt %0; ud2" : : "m"(idtr) : "memory");
    printf("noidt_unmapped: FAIL: UD2 returned\n");
    return 1;
}
