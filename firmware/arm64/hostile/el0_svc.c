/* hostile el0_svc: the guest drops to EL0 (ERET with SPSR_EL1 = EL0t) and
 * executes SVC.  The SVC reaches the runtime's vector for the lower EL
 * (VBAR_EL1 + 0x400), which has no handler for it: the runtime reports the
 * syndrome and exits with status 99. */
#include "rt.h"

extern void el0_code(void);
__asm__(".text\n.balign 16\nel0_code:\n\tsvc #0x42\n\tb el0_code\n");

int main(void)
{
    printf("el0_svc: ERET to EL0, then SVC #0x42\n");
    write_sysreg(elr_el1, (uint64_t)(uintptr_t)el0_code);
    write_sysreg(spsr_el1, 0);            /* EL0t, interrupts unmasked */
    __asm__ volatile("isb; eret" ::: "memory");
    __builtin_unreachable();
}
