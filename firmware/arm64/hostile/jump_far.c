/* hostile jump_far: branch to 1 << 44, beyond the 40-bit IPA space.  hvsim
 * must stop with a guest fault (exit status 4) that names the address and
 * the vCPU, never an internal error. */
#include "rt.h"

int main(void)
{
    printf("jump_far: branching to 0x100000000000\n");
    exc_set_handler(0);
    __asm__ volatile("blr %0" : : "r"(1ULL << 44) : "x30", "memory");
    printf("jump_far: FAIL: the branch returned\n");
    return 1;
}
