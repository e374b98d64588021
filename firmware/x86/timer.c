/* timer: the local APIC timer in each mode (SDM Vol. 3A 10.5.4), each
 * expiry waited for in STI; HLT, so every interrupt wakes a halted vCPU:
 *  - one-shot: LVT timer vector ONESHOT, divide by 1, initial count
 *    COUNT: one interrupt, after which the current count reads 0;
 *  - periodic: vector PERIODIC, the handler stops the timer (initial count
 *    0) at the PERIODS-th interrupt: PERIODS interrupts;
 *  - TSC-deadline: vector DEADLINE, IA32_TSC_DEADLINE = now + DELTA,
 *    DEADLINES times: each interrupt arrives no earlier than its deadline;
 *  - busy TSC-deadline: the same BUSY times while the vCPU spins with
 *    RFLAGS.IF = 1: each expiry finds it running, which is what the timer
 *    designs differ on (host hrtimer: an EXTERNAL_INTERRUPT exit;
 *    VMX-preemption timer: a PREEMPTION_TIMER exit; exitless: none);
 *  - masked: a one-shot expiry while RFLAGS.IF = 0 (the vCPU runs, so a
 *    host-timer exit), taken once the guest executes STI: the hypervisor
 *    waits for the interrupt window (one INTERRUPT_WINDOW exit).
 * So the run takes 1 + PERIODS + DEADLINES + BUSY + 1 = 13 timer interrupts.
 * Exit status: 0 ok; 50 one-shot; 51 periodic; 52 TSC deadline; 53 an
 * unexpected vector; 54 masked one-shot; 55 busy TSC deadline. */
#include "apic.h"

#define ONESHOT   0x50
#define PERIODIC  0x51
#define DEADLINE  0x52
#define COUNT     20000
#define PERIODS   5
#define DEADLINES 3
#define BUSY      3
#define DELTA     50000
#define SPIN      500000    /* TSC ticks with IF = 0: well past the expiry */

static volatile unsigned oneshots, periods, deadlines, bad;
static volatile uint64_t fired_tsc;

void apic_irq_handler(unsigned vector)
{
    fired_tsc = rdtsc();
    if (vector == ONESHOT)
        oneshots++;
    else if (vector == PERIODIC && ++periods == PERIODS)
        apic_write(APIC_TMICT, 0);
    else if (vector == DEADLINE)
        deadlines++;
    else if (vector != PERIODIC)
        bad++;
    apic_eoi();
}

int main(void)
{
    apic_idt_init();
    apic_enable();
    apic_write(APIC_TDCR, 0xb);                  /* divide by 1 */

    apic_write(APIC_LVTT, ONESHOT);
    apic_write(APIC_TMICT, COUNT);
    while (!oneshots)
        sti_hlt();
    if (oneshots != 1 || apic_read(APIC_TMCCT) != 0)
        return 50;
    printf("timer: one-shot: %u interrupt\n", oneshots);

    apic_write(APIC_LVTT, PERIODIC | LVT_PERIODIC);
    apic_write(APIC_TMICT, COUNT);
    while (periods < PERIODS)
        sti_hlt();
    if (periods != PERIODS)
        return 51;
    printf("timer: periodic: %u interrupts\n", periods);

    apic_write(APIC_LVTT, DEADLINE | LVT_TSC_DEADLINE);
    for (unsigned i = 0; i < DEADLINES; i++) {
        uint64_t dl = rdtsc() + DELTA;
        wrmsr(MSR_TSC_DEADLINE, dl);
        while (deadlines == i)
            sti_hlt();
        if (fired_tsc < dl)
            return 52;
    }
    if (deadlines != DEADLINES || bad)
        return bad ? 53 : 52;
    printf("timer: TSC deadline: %u interrupts\n", deadlines);

    for (unsigned i = 0; i < BUSY; i++) {
        uint64_t dl = rdtsc() + DELTA;
        wrmsr(MSR_TSC_DEADLINE, dl);
        __asm__ volatile("sti" ::: "memory");
        while (deadlines == DEADLINES + i)
            cpu_relax();
        __asm__ volatile("cli" ::: "memory");
        if (fired_tsc < dl)
            return 55;
    }
    if (deadlines != DEADLINES + BUSY || bad)
        return bad ? 53 : 55;
    printf("timer: busy TSC deadline: %u interrupts\n", BUSY);

    apic_write(APIC_LVTT, ONESHOT);
    apic_write(APIC_TMICT, COUNT);
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < SPIN)                  /* expires meanwhile, IF = 0 */
        cpu_relax();
    if (oneshots != 1)
        return 54;
    __asm__ volatile("sti" ::: "memory");
    while (oneshots == 1)
        cpu_relax();
    __asm__ volatile("cli" ::: "memory");
    printf("timer: masked one-shot taken after STI\ntimer: PASS\n");
    return 0;
}
