/* exits: triggers each x86-64 VM-exit reason a known number of times, for
 * integration tests that compare hvsim's exit counters with these numbers.
 * Expected exits for the whole run:
 *   CPUID     rt_cpuid_calls before main (printed; 1) + 6
 *   RDMSR     5 x IA32_MISC_ENABLE + 1 x IA32_TSC_AUX = 6 (IA32_TSC reads pass
 *             through the MSR bitmap: no exit)
 *   WRMSR     2 x IA32_TSC_AUX
 *   VMCALL    5 pings (no exit hypercall: the run ends at isa-debug-exit)
 *   IO        2 per console byte (LSR poll + THR write) + 10 x inb(0x3fd)
 *             + 1 outl to the isa-debug-exit port
 *   EPT/MMIO  4 reads of the mailbox Command field
 *   HLT       0 (not testable without interrupts)
 * The run ends by writing 0x10 to isa-debug-exit: hvsim exit status 33.
 * Exit status on failure: 10 ping, 11 MSR values, 12 mailbox, 13 the
 * debug-exit port did not stop the machine. */
#include "rt.h"

#define DEBUG_EXIT_CODE 0x10             /* => status (0x10 << 1) | 1 = 33 */

static int fail(int status, const char *what)
{
    printf("exits: FAIL: %s (exit %d)\n", what, status);
    return status;
}

int main(void)
{
    unsigned before = rt_cpuid_calls;
    printf("exits: start (runtime executed %u CPUID)\n", before);

    static const uint32_t leaves[6] = { 0, 1, 7, 0x80000000u, 0x80000001u, 0x80000008u };
    struct cpuid_regs r[6];
    for (int i = 0; i < 6; i++)
        cpuid(leaves[i], 0, &r[i]);
    char vendor[13];
    memcpy(vendor, &r[0].ebx, 4);
    memcpy(vendor + 4, &r[0].edx, 4);
    memcpy(vendor + 8, &r[0].ecx, 4);
    vendor[12] = 0;
    printf("exits: cpuid x6: vendor \"%s\", max leaf 0x%x, max ext leaf 0x%x (total %u)\n",
           vendor, r[0].eax, r[3].eax, rt_cpuid_calls);

    uint64_t misc[5], tsc0 = rdmsr(MSR_IA32_TSC), tsc1;
    for (int i = 0; i < 5; i++)
        misc[i] = rdmsr(MSR_IA32_MISC_ENABLE);
    tsc1 = rdmsr(MSR_IA32_TSC);
    printf("exits: rdmsr: IA32_MISC_ENABLE x5 = 0x%lx, IA32_TSC advanced by %lu\n", misc[0], tsc1 - tsc0);
    for (int i = 1; i < 5; i++)
        if (misc[i] != misc[0])
            return fail(11, "MSR reads disagree");
    if (tsc1 <= tsc0)
        return fail(11, "IA32_TSC did not advance");

    wrmsr(MSR_IA32_TSC_AUX, 0x1234);
    wrmsr(MSR_IA32_TSC_AUX, 0xabcd);
    uint64_t aux = rdmsr(MSR_IA32_TSC_AUX);
    printf("exits: wrmsr: IA32_TSC_AUX x2, read back 0x%lx\n", aux);
    if (aux != 0xabcd)
        return fail(11, "IA32_TSC_AUX read back");

    for (uint64_t i = 0; i < 5; i++)
        if (hv_ping(100 + i) != 101 + i)
            return fail(10, "hv_ping");
    printf("exits: vmcall: hv_ping x5 ok\n");

    uint8_t lsr = 0;
    for (int i = 0; i < 10; i++)
        lsr |= inb(HVSIM_PC_COM1 + UART_LSR);
    printf("exits: io: inb(0x3fd) x10 (or-ed 0x%x)\n", lsr);

    uint16_t cmd = 0;
    for (int i = 0; i < 4; i++)
        cmd |= mmio_read16(HVSIM_PC_MAILBOX + HVSIM_MAILBOX_COMMAND);
    printf("exits: mmio: mailbox Command x4 = %u\n", cmd);
    if (cmd != HVSIM_MAILBOX_CMD_NOOP)
        return fail(12, "mailbox Command not idle");

    printf("exits: done, isa-debug-exit 0x%x (status %d)\n", DEBUG_EXIT_CODE, (DEBUG_EXIT_CODE << 1) | 1);
    outl(HVSIM_PC_DEBUG_EXIT, DEBUG_EXIT_CODE);
    return fail(13, "isa-debug-exit did not stop the machine");
}
