/* hostile stack: the stack runs down through data into the code that is
 * pushing it.  A loop pushes pairs of `hvc #0` encodings with
 * `stp x2, x2, [sp, #-16]!` until it overwrites itself; the next fetch of the
 * loop must see the new code (the store invalidated the old translation) and
 * execute the HVC with x0 = the hvsim exit call and x1 = 42: exit status 42.
 * (Arm ARM B2.2.5: without cache maintenance the old instructions may still
 * execute once, but a loop that goes on stepping must end up fetching the
 * new ones.) */
#include "rt.h"

#define A64_HVC0 0xd4000002ULL

extern void push_forever(void);
__asm__(".text\n.balign 16\n"
        "push_forever:\n"
        "1:\tstp x2, x2, [sp, #-16]!\n"
        "\tb 1b\n");

int main(void)
{
    uint64_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    printf("stack: sp 0x%lx, pushing down into the code at 0x%lx\n", sp, (uint64_t)(uintptr_t)push_forever);
    register uint64_t x0 __asm__("x0") = HVSIM_HC_A64_EXIT;
    register uint64_t x1 __asm__("x1") = 42;
    register uint64_t x2 __asm__("x2") = A64_HVC0 << 32 | A64_HVC0;
    __asm__ volatile("b push_forever" : : "r"(x0), "r"(x1), "r"(x2) : "memory");
    __builtin_unreachable();
}
