/* ipi: SGIs between vCPUs through ICC_SGI1R_EL1.  CPU 0 pings CPU 1 with
 * SGI 1 ROUNDS times; CPU 1 answers each with SGI 2 (ping-pong, both
 * waiting in WFI).  Then CPU 0 broadcasts SGI 3 with IRM = 1: every other
 * CPU takes it once, CPU 0 not at all.  Every SGI1R write traps to the
 * hypervisor (HCR_EL2.IMO), so the run has exactly 2 * ROUNDS + 1 SYS64
 * exits, and the guest takes 2 * ROUNDS + (CPUs - 1) SGIs.  Last, CPU 0
 * routes SPI 40 to the last CPU (GICD_IROUTER) and makes it pending
 * (GICD_ISPENDR): that CPU takes it once.
 * Exit status: 0 ok; 30 a CPU did not start; 31 ping-pong; 32 broadcast;
 * 33 wrong INTID or RPR in a handler; 34 SPI. */
#include "rt.h"

#define ROUNDS    10
#define SGI_PING  1
#define SGI_PONG  2
#define SGI_BCAST 3
#define SPI       40
#define PRIO      0x80

static volatile unsigned ready, pings, pongs, bcast[RT_MAX_CPUS], spis[RT_MAX_CPUS], bad;

static void on_irq(struct exc_frame *f __attribute__((unused)))
{
    uint32_t id = gic_ack();
    if (id == GIC_SPURIOUS)
        return;
    if (gic_rpr() != PRIO)
        bad++;
    unsigned me = cpu_id();
    if (id == SGI_PING && me == 1) {
        pings++;
        gic_send_sgi(SGI_PONG, 0);
    } else if (id == SGI_PONG && me == 0) {
        pongs++;
    } else if (id == SGI_BCAST) {
        bcast[me]++;
    } else if (id == SPI) {
        spis[me]++;
    } else {
        bad++;
    }
    gic_eoi(id);
}

static void cpu_setup(void)
{
    gic_cpu_init();
    gic_enable_private(SGI_PING, PRIO);
    gic_enable_private(SGI_PONG, PRIO);
    gic_enable_private(SGI_BCAST, PRIO);
}

/* WFI with IRQs masked (it wakes anyway), then a window to take them. */
static void wait_for(volatile unsigned *c, unsigned want)
{
    for (unsigned i = 0; i < 100000 && *c < want; i++) {
        __asm__ volatile("wfi" ::: "memory");
        __asm__ volatile("msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory");
    }
}

static void secondary(uint64_t arg __attribute__((unused)))
{
    cpu_setup();
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    wait_for(&bcast[cpu_id()], 1);           /* serves pings until the broadcast */
    if (cpu_id() == cpu_count() - 1)
        wait_for(&spis[cpu_id()], 1);
    for (;;)
        __asm__ volatile("wfi");
}

int main(void)
{
    unsigned n = cpu_count();
    printf("ipi: start, %u CPUs\n", n);
    if (n < 2)
        return 30;
    irq_set_handler(on_irq);
    gic_init();
    cpu_setup();
    for (unsigned c = 1; c < n; c++)
        if (cpu_start(c, secondary, 0) != 0)
            return 30;
    for (unsigned i = 0; i < 1000000 && ready < n - 1; i++)
        cpu_relax();
    if (ready != n - 1)
        return 30;

    for (unsigned r = 0; r < ROUNDS; r++) {
        gic_send_sgi(SGI_PING, 1);
        wait_for(&pongs, r + 1);
        if (pongs != r + 1)
            break;
    }
    printf("ipi: ping-pong: %u pings, %u pongs\n", pings, pongs);
    if (pings != ROUNDS || pongs != ROUNDS)
        return 31;

    gic_broadcast_sgi(SGI_BCAST);
    unsigned got = 0;
    for (unsigned i = 0; i < 1000000 && got < n - 1; i++) {
        got = 0;
        for (unsigned c = 1; c < n; c++)
            got += bcast[c];
    }
    printf("ipi: broadcast: taken by %u of %u other CPUs, %u times by the sender\n", got, n - 1, bcast[0]);
    if (got != n - 1 || bcast[0])
        return 32;
    unsigned last = n - 1;
    gic_enable_spi(SPI, PRIO, last);
    gic_set_pending_spi(SPI);
    for (unsigned i = 0; i < 1000000 && !spis[last]; i++)
        cpu_relax();
    for (unsigned i = 0; i < 10000; i++)      /* it must not come again */
        cpu_relax();
    printf("ipi: SPI %u routed to CPU %u: taken %u times there, %u by CPU 0\n", SPI, last, spis[last], spis[0]);
    if (spis[last] != 1 || spis[0])
        return 34;
    if (bad)
        return 33;
    printf("ipi: done\n");
    return 0;
}
