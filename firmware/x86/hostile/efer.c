/* hostile efer: WRMSR IA32_EFER with reserved bits set must raise #GP(0) and
 * leave EFER unchanged (SDM Vol. 2B WRMSR: "If an attempt is made to write a
 * 1 to any reserved bit in an MSR"; EFER's defined bits are SCE 0, LME 8,
 * LMA 10, NXE 11 (SDM Vol. 3A 2.2.1; the guest's CPUID does not report the
 * AMD-only ones).  Writing back the value read is accepted.
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"
#include "x86/exc.h"

int main(void)
{
    exc_init();
    exc_set_handler(exc_msr_gp);
    uint64_t efer = rdmsr(MSR_IA32_EFER);
    printf("efer: start, IA32_EFER = 0x%lx\n", efer);

    const uint64_t bad[] = { ~0ULL, efer | 2, efer | (1ULL << 63), efer | 0xf000 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int g = wrmsr_gp(MSR_IA32_EFER, bad[i]);
        CHECK(g && exc_gp_error == 0, "wrmsr IA32_EFER 0x%lx: #GP(%lu) %s", bad[i], exc_gp_error,
              g ? "raised" : "NOT raised");
        uint64_t now = rdmsr(MSR_IA32_EFER);
        CHECK(now == efer, "IA32_EFER still 0x%lx (read 0x%lx)", efer, now);
    }
    int g = wrmsr_gp(MSR_IA32_EFER, efer);
    CHECK(!g, "wrmsr IA32_EFER 0x%lx (its own value) accepted", efer);
    return hostile_done("efer");
}
