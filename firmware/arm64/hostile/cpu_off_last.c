/* hostile cpu_off_last: the only running CPU calls PSCI CPU_OFF.  CPU_OFF
 * does not return on success (ARM DEN 0022D 5.5); with every CPU off and
 * nothing pending the machine is finished: hvsim stops ("all-off") with
 * exit status 0.  cpu1 was started and turned itself off first. */
#include "rt.h"

static volatile uint64_t cpu1_done;

static void cpu1_main(uint64_t arg)
{
    printf("cpu%u: up, context 0x%lx, turning off\n", cpu_id(), arg);
    atomic_store(&cpu1_done, 1);
}

int main(void)
{
    int r = cpu_start(1, cpu1_main, 0xc1);
    for (unsigned i = 0; i < 10000000u && !atomic_load(&cpu1_done); i++)
        cpu_relax();
    while (psci_affinity_info(rt_cpu_mpidr[1], 0) != PSCI_AFFINITY_OFF)
        cpu_relax();
    printf("cpu_off_last: CPU_ON = %d, cpu1 off; cpu0 calls CPU_OFF as the last CPU\n", r);
    int64_t ret = (int64_t)smccc_hvc(PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
    printf("cpu_off_last: FAIL: CPU_OFF returned %ld\n", ret);
    return 1;
}
