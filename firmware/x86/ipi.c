/* ipi: fixed IPIs between two vCPUs through the local APIC's ICR.  CPU 0
 * pings CPU 1 with vector PING, ROUNDS times per phase; CPU 1's handler
 * answers each with PONG, which CPU 0 waits for in STI; HLT.  Four phases:
 *   0  xAPIC (ICR2 + ICR through the MMIO page), CPU 1 spinning with IF = 1
 *   1  xAPIC, CPU 1 waiting in STI; HLT
 *   2  x2APIC (one WRMSR to 830H), CPU 1 spinning
 *   3  x2APIC, CPU 1 halted
 * so that every design shows both kinds of target: a running one (legacy:
 * a kick, an EXTERNAL_INTERRUPT exit; posted interrupts: no exit) and a
 * halted one (a wake-up).  Every handler writes EOI.  The run thus sends
 * 4 * 2 * ROUNDS IPIs and takes as many interrupts.
 * Exit status: 0 ok; 40 CPU 1 did not start; 41 xAPIC ping-pong; 42 x2APIC
 * ping-pong; 43 an unexpected vector or CPU; 44 APIC ID / base register. */
#include "apic.h"

#define ROUNDS 10
#define PHASES 4
#define PING   0x40
#define PONG   0x41

static volatile unsigned pings, pongs, bad, ready;

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

/* CPU 1: in each phase, answers ROUNDS pings from its handler, spinning
 * (even phases) or halted (odd ones) in between. */
static void secondary(uint64_t arg __attribute__((unused)))
{
    apic_idt_init();
    apic_enable();
    for (unsigned ph = 0; ph < PHASES; ph++) {
        if (ph == 2)
            apic_x2apic_on();
        ready = ph + 1;
        if (ph % 2 == 0) {
            __asm__ volatile("sti" ::: "memory");
            while (pings < (ph + 1) * ROUNDS)
                cpu_relax();
            __asm__ volatile("cli" ::: "memory");
        } else {
            while (pings < (ph + 1) * ROUNDS)
                sti_hlt();
        }
    }
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

static const char *const phase_name[PHASES] = {
    "xAPIC, running target", "xAPIC, halted target", "x2APIC, running target", "x2APIC, halted target",
};

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
    for (unsigned ph = 0; ph < PHASES; ph++) {
        if (ph == 2) {
            apic_x2apic_on();
            if (apic_read(APIC_ID) != 0) {
                printf("ipi: FAIL: x2APIC ID %u\n", apic_read(APIC_ID));
                return 44;
            }
        }
        while (ready < ph + 1)
            cpu_relax();
        int r = ping_pong(ph < 2 ? 41 : 42);
        if (r)
            return r;
        printf("ipi: %s: %u pings, %u pongs\n", phase_name[ph], pings, pongs);
    }
    if (pings != PHASES * ROUNDS || pongs != PHASES * ROUNDS)
        return 43;
    printf("ipi: PASS\n");
    return 0;
}
