/* An exception with no handler behind the vector: the guest sets VBAR_EL1 to
 * NOVEC_VBAR (an address with no memory) and executes UDF.  The vector
 * (VBAR_EL1 + 0x200, current EL with SP_ELx) cannot be fetched, so the
 * instruction abort is taken to the same vector again, for ever: no
 * instruction completes.  hvsim must stop with a guest fault (exit status 4)
 * that names the vCPU and the vector address, within a bounded time, not
 * hang.  Included by novec_*.c, which define NOVEC_NAME and NOVEC_VBAR. */
#include "rt.h"

int main(void)
{
    uint64_t vbar = NOVEC_VBAR;
    printf("%s: VBAR_EL1 = 0x%lx, vector 0x%lx, then UDF\n", NOVEC_NAME, vbar, vbar + 0x200);
    write_sysreg(vbar_el1, vbar);
    __asm__ volatile("isb; udf #0" ::: "memory");
    printf("%s: FAIL: UDF returned\n", NOVEC_NAME);
    return 1;
}
