/* hostile psci_ramend: PSCI CPU_ON with the entry point at the last word of
 * RAM, which holds a NOP.  The new CPU (cpu1, VBAR_EL1 = 0 from reset)
 * executes it, runs off the end of RAM and takes an instruction abort to a
 * vector with no memory behind it, for ever.  cpu0 only waits.  hvsim must
 * stop with a guest fault (exit status 4) that names cpu1, within a bounded
 * time, not hang. */
#include "rt.h"

#define A64_NOP 0xd503201fu

int main(void)
{
    uint64_t last = rt_fdt.mem_base + rt_fdt.mem_size - 4;
    *(volatile uint32_t *)(uintptr_t)last = A64_NOP;
    __asm__ volatile("dsb sy; isb" ::: "memory");
    int r = psci_cpu_on(rt_cpu_mpidr[1], last, 0);
    printf("psci_ramend: CPU_ON(cpu1, 0x%lx) = %d; cpu0 waits\n", last, r);
    if (r != PSCI_RET_SUCCESS)
        return 1;
    for (;;)
        __asm__ volatile("wfi");
}
