/* hello: the AArch64 bring-up check.  Prints what the DTB says about the
 * machine, starts CPU 1 with PSCI CPU_ON (the context id must arrive in its
 * x0), waits for it to count in and power off (AFFINITY_INFO must say OFF),
 * checks the hvsim ping hypercall and exits with status 0.
 * Exit status on failure: 2 DTB, 3 fewer than 2 CPUs, 4 CPU_ON, 5 CPU 1 never
 * counted in, 6 wrong context id, 7 CPU 1 not OFF, 8 ping, 99 exception.
 * -DQEMU_CHECK: for plain QEMU (x0 does not carry the DTB, and the hvsim
 * ping is answered NOT_SUPPORTED). */
#include "rt.h"

#define CONTEXT_ID  0x5eed0000c0ffee01ULL
#define WAIT_LIMIT  50000000u            /* wfe iterations before giving up */
#define POLL_LIMIT  100000u              /* AFFINITY_INFO calls before giving up */

static volatile uint64_t started;        /* CPUs that ran cpu1_main */
static volatile uint64_t seen_context;

static void cpu1_main(uint64_t context)
{
    printf("cpu%u: hello, context 0x%lx\n", cpu_id(), context);
    seen_context = context;
    atomic_add(&started, 1);
    cpu_send_event();
}   /* returning powers the CPU off (PSCI CPU_OFF) */

static int fail(int status, const char *what)
{
    printf("hello: FAIL: %s (exit %d)\n", what, status);
    return status;
}

int main(void)
{
    printf("hello: hvsim AArch64 guest\n");
    if (rt_fdt_err != FDT_OK)
        return fail(2, fdt_strerror(rt_fdt_err));
#ifndef QEMU_CHECK
    if (!rt_dtb_from_x0)
        return fail(2, "x0 did not hold the DTB address");
#endif
    printf("hello: dtb at 0x%lx: %u cpus, memory 0x%lx size 0x%lx (%lu MiB), pl011 at 0x%lx\n",
           rt_dtb_addr, rt_fdt.ncpus, rt_fdt.mem_base, rt_fdt.mem_size, rt_fdt.mem_size >> 20,
           rt_fdt.uart_base);
    uint32_t v = psci_version();
    printf("hello: PSCI version %u.%u\n", v >> 16, v & 0xffff);
    if (cpu_count() < 2)
        return fail(3, "need at least 2 CPUs");

    int r = cpu_start(1, cpu1_main, CONTEXT_ID);
    printf("hello: CPU_ON(mpidr 0x%lx) = %d\n", rt_cpu_mpidr[1], r);
    if (r != PSCI_RET_SUCCESS)
        return fail(4, "PSCI CPU_ON");
    unsigned n;
    for (n = 0; atomic_load(&started) < 1 && n < WAIT_LIMIT; n++)
        cpu_wait_event();
    if (atomic_load(&started) != 1)
        return fail(5, "cpu1 did not run");
    if (seen_context != CONTEXT_ID)
        return fail(6, "cpu1 got the wrong context id");
    int aff = -1;
    for (n = 0; n < POLL_LIMIT; n++) {
        aff = psci_affinity_info(rt_cpu_mpidr[1], 0);
        if (aff == PSCI_AFFINITY_OFF)
            break;
        cpu_relax();
    }
    printf("hello: AFFINITY_INFO(cpu1) = %d after %u polls\n", aff, n);
    if (aff != PSCI_AFFINITY_OFF)
        return fail(7, "cpu1 not OFF after CPU_OFF");

#ifdef QEMU_CHECK
    uint64_t p = smccc_hvc(HVSIM_HC_A64_PING, 41, 0, 0);
    printf("hello: hv_ping(41) = %ld (QEMU: NOT_SUPPORTED expected)\n", (int64_t)p);
    if ((int64_t)p != SMCCC_RET_NOT_SUPPORTED)
        return fail(8, "ping not answered NOT_SUPPORTED");
#else
    uint64_t p = hv_ping(41);
    printf("hello: hv_ping(41) = %lu\n", p);
    if (p != 42)
        return fail(8, "hv_ping(41) != 42");
#endif
    printf("hello: done\n");
    return 0;
}
