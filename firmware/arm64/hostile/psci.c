/* hostile psci: PSCI calls with bad arguments, each answered with the return
 * code ARM DEN 0022D chapter 5 gives for it:
 *   CPU_ON     unknown MPIDR, or bits set outside the affinity fields
 *              ([63:40], [31:24], 5.1.4) -> INVALID_PARAMETERS (-2); entry point outside
 *              RAM, at its last byte, unaligned -> INVALID_ADDRESS (-9);
 *              the caller itself -> ALREADY_ON (-4); a CPU just started ->
 *              ALREADY_ON or ON_PENDING (-5); entry at RAM's last word is valid
 *   AFFINITY_INFO  unknown MPIDR or lowest level > 3 -> INVALID_PARAMETERS
 *   CPU_SUSPEND    power_state with reserved bits set -> INVALID_PARAMETERS
 *              (5.4.2: bits 31:26 and 23:17 of the original format are
 *              reserved); a powerdown state (StateType, bit 16) with an
 *              entry point outside RAM or unaligned -> INVALID_ADDRESS; a
 *              valid standby state returns SUCCESS after a wake-up
 *   unknown function IDs -> NOT_SUPPORTED (-1) (SMCCC, ARM DEN 0028 5.2)
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

#define A64_B(from, to) (0x14000000u | ((uint32_t)(((to) - (from)) >> 2) & 0x03ffffffu))

static volatile uint64_t cpu1_ran, cpu1_arg, cpu1_release;

/* Stays on until released, so a repeated CPU_ON finds it on. */
static void cpu1_main(uint64_t arg)
{
    cpu1_arg = arg;
    atomic_add(&cpu1_ran, 1);
    cpu_send_event();
    while (!atomic_load(&cpu1_release))
        cpu_relax();
}

static int64_t call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return (int64_t)smccc_hvc(fn, a1, a2, a3);
}

#define EXPECT_RET(want, fn, a1, a2, a3, what) do {                               \
        int64_t r_ = call(fn, a1, a2, a3);                                        \
        CHECK(r_ == (want), "%s: 0x%x(0x%lx, 0x%lx) = %ld", what, (unsigned)(fn), \
              (uint64_t)(a1), (uint64_t)(a2), r_);                               \
    } while (0)

static void wait_cpu1(uint64_t n)
{
    for (unsigned i = 0; atomic_load(&cpu1_ran) < n && i < 10000000u; i++)
        cpu_wait_event();
}

/* Wait until CPU 1 is OFF again (it powers itself off after cpu1_main). */
static void wait_cpu1_off(void)
{
    for (unsigned i = 0; i < 100000u; i++) {
        if (psci_affinity_info(rt_cpu_mpidr[1], 0) == PSCI_AFFINITY_OFF)
            return;
        cpu_relax();
    }
}

/* Arms the virtual timer a little ahead, so a suspend always has a wake-up. */
static void arm_timer(void)
{
    write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + 1000);
    write_sysreg(cntv_ctl_el0, 1);
}

static void cpu_on_checks(uint64_t ram_base, uint64_t ram_end)
{
    uint64_t entry = (uint64_t)(uintptr_t)rt_secondary_entry, m1 = rt_cpu_mpidr[1];
    const uint64_t bad_mpidr[] = { 0xff, 0x10, 0x100 * 255, 1ULL << 16, 1ULL << 32, ~0ULL,
                                   m1 | 1ULL << 31, m1 | 1ULL << 24, m1 | 1ULL << 40, m1 | 1ULL << 63 };
    for (unsigned i = 0; i < sizeof bad_mpidr / sizeof bad_mpidr[0]; i++)
        EXPECT_RET(PSCI_RET_INVALID_PARAMS, PSCI_0_2_FN_CPU_ON, bad_mpidr[i], entry, 0, "CPU_ON bad MPIDR");
    const uint64_t bad_entry[] = { 0, ram_base - 4, ram_end, ram_end - 1, ram_end - 2, entry + 1,
                                   rt_uart_base, 1ULL << 44, ~3ULL };
    for (unsigned i = 0; i < sizeof bad_entry / sizeof bad_entry[0]; i++)
        EXPECT_RET(PSCI_RET_INVALID_ADDRESS, PSCI_0_2_FN_CPU_ON, m1, bad_entry[i], 0, "CPU_ON bad entry");
    EXPECT_RET(PSCI_RET_ALREADY_ON, PSCI_0_2_FN_CPU_ON, rt_cpu_mpidr[0], entry, 0, "CPU_ON of the caller");

    /* A valid start, then a second CPU_ON of the same CPU at once. */
    __atomic_store_n(&rt_cpu_fn[1], cpu1_main, __ATOMIC_RELEASE);
    EXPECT_RET(PSCI_RET_SUCCESS, PSCI_0_2_FN_CPU_ON, m1, entry, 0x1111, "CPU_ON cpu1");
    int64_t r = call(PSCI_0_2_FN_CPU_ON, m1, entry, 0x2222);
    CHECK(r == PSCI_RET_ALREADY_ON || r == PSCI_RET_ON_PENDING, "repeated CPU_ON cpu1 = %ld", r);
    wait_cpu1(1);
    EXPECT_RET(PSCI_RET_ALREADY_ON, PSCI_0_2_FN_CPU_ON, m1, entry, 0x2222, "CPU_ON cpu1 while it runs");
    CHECK(cpu1_ran == 1 && cpu1_arg == 0x1111, "cpu1 ran %lu time(s), context 0x%lx", cpu1_ran, cpu1_arg);
    atomic_store(&cpu1_release, 1);
    wait_cpu1_off();

    /* Entry at the last word of RAM is valid: a branch there to the
     * runtime's secondary entry. */
    uint64_t last = ram_end - 4;
    *(volatile uint32_t *)(uintptr_t)last = A64_B(last, entry);
    __asm__ volatile("dsb sy; isb" ::: "memory");
    EXPECT_RET(PSCI_RET_SUCCESS, PSCI_0_2_FN_CPU_ON, m1, last, 0x3333, "CPU_ON cpu1 at RAM's last word");
    wait_cpu1(2);
    CHECK(cpu1_ran == 2 && cpu1_arg == 0x3333, "cpu1 ran from 0x%lx, context 0x%lx", last, cpu1_arg);
    wait_cpu1_off();
}

int main(void)
{
    uint64_t ram_base = rt_fdt.mem_base, ram_end = rt_fdt.mem_base + rt_fdt.mem_size;
    printf("psci: start, %u cpus, RAM [0x%lx, 0x%lx)\n", cpu_count(), ram_base, ram_end);
    CHECK(cpu_count() >= 2, "at least 2 CPUs");
    cpu_on_checks(ram_base, ram_end);

    EXPECT_RET(PSCI_RET_INVALID_PARAMS, PSCI_0_2_FN_AFFINITY_INFO, 0xff, 0, 0, "AFFINITY_INFO bad MPIDR");
    EXPECT_RET(PSCI_RET_INVALID_PARAMS, PSCI_0_2_FN_AFFINITY_INFO, rt_cpu_mpidr[0] | 1ULL << 31, 0, 0,
               "AFFINITY_INFO MPIDR bit 31");
    EXPECT_RET(PSCI_RET_INVALID_PARAMS, PSCI_0_2_FN_AFFINITY_INFO, rt_cpu_mpidr[0], 4, 0, "AFFINITY_INFO level 4");
    EXPECT_RET(PSCI_AFFINITY_ON, PSCI_0_2_FN_AFFINITY_INFO, rt_cpu_mpidr[0], 0, 0, "AFFINITY_INFO self");

    static const uint64_t bad_state[] = { 0xffffffff, 1u << 31, 1u << 26, 1u << 17, 0x00fe0000 };
    for (unsigned i = 0; i < sizeof bad_state / sizeof bad_state[0]; i++) {
        arm_timer();   /* a wrongly accepted suspend still wakes up */
        EXPECT_RET(PSCI_RET_INVALID_PARAMS, PSCI_0_2_FN_CPU_SUSPEND, bad_state[i], 0, 0, "CPU_SUSPEND bad power_state");
    }
    const uint64_t bad_resume[] = { 0, ram_end, ram_end - 1, ram_base + 2 };
    for (unsigned i = 0; i < sizeof bad_resume / sizeof bad_resume[0]; i++) {
        arm_timer();
        EXPECT_RET(PSCI_RET_INVALID_ADDRESS, PSCI_0_2_FN_CPU_SUSPEND, 1u << 16, bad_resume[i], 0,
                   "CPU_SUSPEND powerdown, bad entry");
    }
    arm_timer();
    EXPECT_RET(PSCI_RET_SUCCESS, PSCI_0_2_FN_CPU_SUSPEND, 0, 0, 0, "CPU_SUSPEND standby, woken by the timer");
    write_sysreg(cntv_ctl_el0, 0);

    static const uint64_t unknown[] = { 0x8400001f, 0xc400001f, 0x84000100, 0xc6000fff, 0x87ffffff,
                                        0xbf00ffff, 0xffffffff, 0x04000000, 0x12345678 };
    for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        EXPECT_RET(PSCI_RET_NOT_SUPPORTED, unknown[i], 1, 2, 3, "unknown function");
    EXPECT_RET(PSCI_RET_NOT_SUPPORTED, PSCI_1_0_FN_PSCI_FEATURES, 0x8400001f, 0, 0, "PSCI_FEATURES(unknown)");
    EXPECT_RET(PSCI_RET_SUCCESS, PSCI_1_0_FN_PSCI_FEATURES, PSCI_0_2_FN_CPU_ON, 0, 0, "PSCI_FEATURES(CPU_ON)");
    return hostile_done("psci");
}
