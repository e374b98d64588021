/* hostile msr: RDMSR and WRMSR at the edges of every MSR range.  An MSR the
 * machine does not implement raises #GP(0) at the instruction (SDM Vol. 2B
 * RDMSR/WRMSR: "If the value in ECX specifies a reserved or unimplemented
 * MSR address"); the MSR bitmap covers only 0-0x1fff and
 * 0xc0000000-0xc0001fff (SDM Vol. 3C 25.6.9), so the edges of both ranges and
 * the space between are probed.  x2APIC MSRs 0x800-0x8ff #GP because the
 * machine has no x2APIC (CPUID.1:ECX[21] = 0, SDM Vol. 3A 10.12.1.2).
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"
#include "x86/exc.h"

/* MSRs that no processor model hvsim offers implements. */
static const uint32_t absent[] = {
    0x1fff, 0x2000,                     /* last of the low bitmap range, first past it */
    0x800, 0x802, 0x830, 0x8ff,         /* x2APIC: first, APIC ID, ICR, last */
    0x40000000,                         /* hypervisor range: no synthetic MSRs offered */
    0xbfffffff, 0xc0000000,             /* just below / first of the high bitmap range */
    0xc0001fff, 0xc0002000,             /* last of the high range, first past it */
    0xffffffff,
};

#define GARBAGE 0xdeadbeefcafef00dULL

int main(void)
{
    exc_init();
    exc_set_handler(exc_msr_gp);
    printf("msr: start\n");
    uint64_t v;

    for (unsigned i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        int r = rdmsr_gp(absent[i], &v);
        CHECK(r && exc_gp_error == 0, "rdmsr 0x%x: #GP(%lu) %s", absent[i], exc_gp_error, r ? "raised" : "NOT raised");
        int w = wrmsr_gp(absent[i], GARBAGE);
        CHECK(w && exc_gp_error == 0, "wrmsr 0x%x: #GP(%lu) %s", absent[i], exc_gp_error, w ? "raised" : "NOT raised");
    }

    /* MSR 0 (IA32_P5_MC_ADDR) exists on some processors and not others:
     * either outcome is defined, but it must be the same twice. */
    uint64_t v0 = 0, v1 = 0;
    int g0 = rdmsr_gp(0, &v0), g1 = rdmsr_gp(0, &v1);
    CHECK(g0 == g1, "rdmsr 0: %s, then %s", g0 ? "#GP" : "read", g1 ? "#GP" : "read");

    /* MSRs that exist read without a fault. */
    int g = rdmsr_gp(MSR_IA32_TSC, &v);
    CHECK(!g && v != 0, "rdmsr IA32_TSC = %lu", v);
    g = rdmsr_gp(MSR_IA32_MISC_ENABLE, &v);
    CHECK(!g, "rdmsr IA32_MISC_ENABLE = 0x%lx", v);
    g = rdmsr_gp(MSR_IA32_EFER, &v);
    /* 64-bit mode: EFER.LME (bit 8) and EFER.LMA (bit 10) are set. */
    CHECK(!g && (v & 0x500) == 0x500, "rdmsr IA32_EFER = 0x%lx (LME, LMA set)", v);

    /* IA32_TSC_AUX: bits 63:32 are reserved (SDM Vol. 4 Table 2-2). */
    g = wrmsr_gp(MSR_IA32_TSC_AUX, 0x12345678);
    CHECK(!g, "wrmsr IA32_TSC_AUX 0x12345678 accepted");
    g = wrmsr_gp(MSR_IA32_TSC_AUX, GARBAGE);
    CHECK(g, "wrmsr IA32_TSC_AUX 0x%llx: #GP %s", GARBAGE, g ? "raised" : "NOT raised");
    g = rdmsr_gp(MSR_IA32_TSC_AUX, &v);
    CHECK(!g && v == 0x12345678, "IA32_TSC_AUX kept 0x%lx", v);

    printf("msr: %u #GP taken\n", exc_gp_count);
    return hostile_done("msr");
}
