/* hostile load_far: a load from 1 << 44, beyond the 40-bit IPA space.  hvsim
 * must stop with a guest fault (exit status 4) that names the address and
 * the vCPU. */
#include "rt.h"

int main(void)
{
    printf("load_far: loading from 0x100000000000\n");
    uint32_t v = mmio_read32(1ULL << 44);
    printf("load_far: FAIL: the load returned 0x%x\n", v);
    return 1;
}
