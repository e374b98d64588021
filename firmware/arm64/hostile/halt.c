/* hostile halt: the only running CPU executes WFI with every interrupt
 * masked and the virtual timer off.  Nothing can wake it: hvsim stops with
 * exit status 4, saying that every vCPU is halted or off. */
#include "rt.h"

int main(void)
{
    printf("halt: wfi on the only running CPU, timer off\n");
    write_sysreg(cntv_ctl_el0, 0);
    __asm__ volatile("msr daifset, #0xf; isb; wfi" ::: "memory");
    printf("halt: FAIL: WFI returned\n");
    return 1;
}
