/* hello: the x86-64 bring-up check.  Prints the CPU count and APIC ID from
 * CPUID leaf 1, wakes APIC ID 1 through the wakeup mailbox, waits for it to
 * count in (it then halts with interrupts off), checks the hvsim ping
 * hypercall and exits with status 0.
 * Exit status on failure: 2 boot APIC ID not 0, 3 fewer than 2 CPUs,
 * 4 mailbox wakeup, 5 CPU 1 never counted in, 6 wrong argument,
 * 7 wrong APIC ID on CPU 1, 8 ping. */
#include "rt.h"

#define CONTEXT    0x5eed0000c0ffee01ULL
#define WAIT_LIMIT 50000000u             /* pause iterations before giving up */

static volatile uint64_t started;
static volatile uint64_t seen_context;
static volatile uint32_t seen_apic_id = ~0u;

static void cpu1_main(uint64_t context)
{
    struct cpuid_regs r;
    cpuid(1, 0, &r);
    seen_apic_id = r.ebx >> 24;
    printf("cpu%u: hello, context 0x%lx, APIC ID %u\n", cpu_id(), context, seen_apic_id);
    seen_context = context;
    atomic_add(&started, 1);
}   /* returning halts the CPU (cli; hlt) */

static int fail(int status, const char *what)
{
    printf("hello: FAIL: %s (exit %d)\n", what, status);
    return status;
}

int main(void)
{
    printf("hello: hvsim x86-64 guest\n");
    printf("hello: CPUID.1: %u logical processors, boot APIC ID %u\n", cpu_count(), rt_bsp_apic_id);
    if (rt_bsp_apic_id != 0)
        return fail(2, "boot CPU APIC ID is not 0");
    if (cpu_count() < 2)
        return fail(3, "need at least 2 CPUs");

    int r = cpu_start(1, cpu1_main, CONTEXT);
    printf("hello: mailbox wakeup of APIC ID 1 = %d\n", r);
    if (r != 0)
        return fail(4, "mailbox wakeup not acknowledged");
    for (unsigned n = 0; atomic_load(&started) < 1 && n < WAIT_LIMIT; n++)
        cpu_wait_event();
    if (atomic_load(&started) != 1)
        return fail(5, "cpu1 did not run");
    if (seen_context != CONTEXT)
        return fail(6, "cpu1 got the wrong argument");
    if (seen_apic_id != 1)
        return fail(7, "cpu1 reports the wrong APIC ID");

    uint64_t p = hv_ping(41);
    printf("hello: hv_ping(41) = %lu\n", p);
    if (p != 42)
        return fail(8, "hv_ping(41) != 42");
    printf("hello: done\n");
    return 0;
}
