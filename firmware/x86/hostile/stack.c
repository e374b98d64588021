/* hostile stack: the stack runs down through data into the code that is
 * pushing it.  An 8-byte-aligned loop `1: push %rcx; jmp 1b` pushes the
 * pattern "5 NOPs, VMCALL" until a push overwrites the loop itself; x86
 * detects stores to code that is about to execute (SDM Vol. 3A 8.1.3), so
 * the next instruction is a NOP of the pattern, then VMCALL with RAX = the
 * hvsim exit call and RBX = 42: exit status 42. */
#include "rt.h"

extern void push_forever(void);
__asm__(".text\n.balign 8\n"
        "push_forever:\n"
        "1:\tpush %rcx\n"
        "\tjmp 1b\n");

int main(void)
{
    uint64_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    printf("stack: rsp 0x%lx, pushing down into the code at 0x%lx\n", sp, (uint64_t)(uintptr_t)push_forever);
    /* bytes 90 90 90 90 90 0f 01 c1, little-endian */
    __asm__ volatile("jmp push_forever" : : "a"((uint64_t)HVSIM_HC_X86_EXIT), "b"(42ULL),
                     "c"(0xc1010f9090909090ULL) : "memory");
    __builtin_unreachable();
}
