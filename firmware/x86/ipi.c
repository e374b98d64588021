/* ipi: fixed IPIs between two vCPUs through the local APIC's ICR.  CPU 0
 * pings CPU 1 with vector PING, ROUNDS times; CPU 1's handler answers each
 * with PONG (ping-pong, both waiting in STI; HLT).  First in xAPIC mode
 * (ICR2 + ICR through the MMIO page), then in x2APIC mode (one WRMSR to
 * 830H).  Every handler writes EOI.  The run thus sends 4 * ROUNDS IPIs and
 * takes 4 * ROUNDS interrupts; each needs a kick of the other vCPU (an
 * EXTERNAL_INTERRUPT exit if it runs, a wake-up if it halted).
 * Exit status: 0 ok; 40 CPU 1 did not start; 41 xAPIC ping-pong; 42 x2APIC
 * ping-pong; 43 an unexpected vector or CPU; 44 APIC ID / base register. */
#include "apic.h"

#define ROUNDS 10
#define PING   0x40
#define PONG   0x41

static volatile unsigned pings, pongs, bad, phase, ready;

void apic_irq_handler(unsigned vector)
{
    unsigned me = cpu_id();
    if (vector == PING && me == 1) {
        pings++;
        apic_eoi();
        apic_send_ipi(0, PONG);
    } else if (vector == PONG && me == 0) {
        pongs++;
        apic_eoi();
    } else {
        bad++;
        apic_eoi();
    }
}

/* CPU 1: follows CPU 0's phases, answering pings from its handler. */
static void secondary(uint64_t arg __attribute__((unused)))
{
    apic_idt_init();
    apic_enable();
    ready = 1;
    __asm__ volatile("sti" ::: "memory");   /* pings arrive while it spins */
    while (phase < 1)
        cpu_relax();
    __asm__ volatile("cli" ::: "memory");
    apic_x2apic_on();
    ready = 2;
    for (;;)
        sti_hlt();
}

static int ping_pong(int fail)
{
    unsigned p0 = pongs;
    for (unsigned i = 0; i < ROUNDS; i++) {
        apic_send_ipi(1, PING);
        while (pongs == p0 + i)
            sti_hlt();
    }
    if (pongs != p0 + ROUNDS || bad) {
        printf("ipi: FAIL: %u pongs, %u bad\n", pongs - p0, bad);
        return fail;
    }
    return 0;
}

int main(void)
{
    apic_idt_init();
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if ((base & ~0xfffULL) != APIC_BASE_ADDR || !(base & APIC_BASE_EN) || !(base & (1u << 8)) ||
        apic_read(APIC_ID) >> 24 != 0) {
        printf("ipi: FAIL: IA32_APIC_BASE 0x%lx\n", base);
        return 44;
    }
    apic_enable();
    if (cpu_count() < 2 || cpu_start(1, secondary, 0) < 0)
        return 40;
    while (ready < 1)
        cpu_relax();
    int r = ping_pong(41);
    if (r)
        return r;
    printf("ipi: xAPIC: %u pings, %u pongs\n", pings, pongs);
    apic_x2apic_on();
    if (apic_read(APIC_ID) != 0) {
        printf("ipi: FAIL: x2APIC ID %u\n", apic_read(APIC_ID));
        return 44;
    }
    phase = 1;
    while (ready < 2)
        cpu_relax();
    r = ping_pong(42);
    if (r)
        return r;
    printf("ipi: x2APIC: %u pings, %u pongs\n", pings, pongs);
    if (pings != 2 * ROUNDS || pongs != 2 * ROUNDS)
        return 43;
    printf("ipi: PASS\n");
    return 0;
}
