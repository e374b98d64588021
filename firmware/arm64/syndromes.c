/* syndromes: known instructions whose syndromes tests/integration/
 * syndromes_arm64.sh checks from both sides.
 *  - Guest side: exceptions the hypervisor injects into EL1 (SVC, BRK, UDF,
 *    an undefined SMC when HCR_EL2.TSC is off, the external instruction
 *    abort KVM injects for a fetch from an unassigned IPA).  The vector
 *    handler records ESR_EL1, FAR_EL1, ELR_EL1 and SPSR_EL1 and main prints
 *    them with ELR relative to the faulting instruction.
 *  - Hypervisor side: each probe_* function below (assembly, so the
 *    instruction and its registers are fixed) makes one VM exit; the test
 *    reads ESR_EL2 from `hvsim run --debug exit`, whose lines name the
 *    function (<probe_x+offset>).
 * Exit status: 0 ok, 20 an expected exception did not arrive, 21 a probe
 * returned a wrong value, 99 an unexpected exception. */
#include "rt.h"

#define UNASSIGNED 0x0A000000ULL         /* below RAM, no device: unassigned IPA */

/* Probes: plain loads and stores (ISV=1 forms) to an address in x0, and
 * instructions that trap to EL2 under the default HCR_EL2. */
__asm__(
    ".text\n"
    ".macro probe name, body:vararg\n"
    "    .global \\name\n"
    "    .type \\name, %function\n"
    "    .balign 16\n"
    "\\name:\n"
    "    \\body\n"
    "    ret\n"
    ".endm\n"
    "probe probe_ldr_w,  ldr  w1, [x0]\n"
    "probe probe_ldr_x,  ldr  x2, [x0]\n"
    "probe probe_ldrh,   ldrh w3, [x0]\n"
    "probe probe_ldrb,   ldrb w4, [x0]\n"
    "probe probe_str_w,  str  w5, [x0]\n"
    "probe probe_str_x,  str  x6, [x0]\n"
    "probe probe_strh,   strh w7, [x0]\n"
    "probe probe_strb,   strb w8, [x0]\n"
    /* x0 = function, x1 = argument; HVC/SMC immediates are ISS[15:0] */
    "probe probe_hvc,    hvc  #0x1234\n"
    "probe probe_smc,    smc  #0x77\n"
    /* TID3: ID group 3 reads; TACR: ACTLR_EL1; TSW: DC CISW.  The values
     * read are not returned (tests/integration/exits_arm64.sh checks them). */
    "probe probe_mrs_pfr0, mrs x3, id_aa64pfr0_el1\n"
    "probe probe_mrs_mmfr0, mrs x17, id_aa64mmfr0_el1\n"
    "probe probe_mrs_actlr, mrs x5, actlr_el1\n"
    "probe probe_dc_cisw, dc cisw, xzr\n"
    "probe probe_wfi,    wfi\n"
    /* exceptions that stay in EL1 */
    "probe probe_svc,    svc  #0x1234\n"
    "probe probe_brk,    brk  #0x42\n"
    "probe probe_udf,    udf  #0\n"
);
void probe_ldr_w(uint64_t a), probe_ldr_x(uint64_t a), probe_ldrh(uint64_t a), probe_ldrb(uint64_t a);
void probe_str_w(uint64_t a), probe_str_x(uint64_t a), probe_strh(uint64_t a), probe_strb(uint64_t a);
uint64_t probe_hvc(uint64_t fn, uint64_t arg), probe_smc(uint64_t fn);
void probe_mrs_pfr0(void), probe_mrs_mmfr0(void), probe_mrs_actlr(void);
void probe_dc_cisw(void), probe_wfi(void), probe_svc(void), probe_brk(void), probe_udf(void);

static volatile unsigned taken;
static struct exc_frame last;

/* Records the exception; resumes after the instruction (SVC: ELR already
 * points past it; an instruction abort: at the caller's LR). */
static int on_exception(struct exc_frame *f)
{
    last = *f;
    taken++;
    uint64_t ec = ESR_EC(f->esr);
    if (ec == ESR_EC_IABT_CUR)
        f->elr = f->x[30];
    else if (ec != 0x15)                 /* not SVC64 */
        f->elr += 4;
    return 1;
}

/* Runs fn, which must take exactly one exception at instruction `insn`;
 * prints the syndrome with ELR relative to insn. */
static int expect_exception(const char *name, void (*fn)(void), uint64_t insn)
{
    unsigned before = taken;
    fn();
    if (taken != before + 1) {
        printf("syndromes: FAIL: %s: %u exceptions\n", name, taken - before);
        return 20;
    }
    printf("syndromes: el1 %s ESR_EL1=0x%08lx FAR_EL1=0x%lx ELR_EL1=insn+%lu SPSR_EL1=0x%lx\n", name,
           last.esr, last.far, last.elr - insn, last.spsr & 0x3ff);
    return 0;
}

static int el1_side(void)
{
    int rc = 0;
    rc |= expect_exception("svc", probe_svc, (uint64_t)probe_svc);
    rc |= expect_exception("brk", probe_brk, (uint64_t)probe_brk);
    rc |= expect_exception("udf", probe_udf, (uint64_t)probe_udf);
    /* The abort is taken at the branch target; ELR is relative to it. */
    rc |= expect_exception("iabt", (void (*)(void))UNASSIGNED, UNASSIGNED);
    return rc;
}

static int el2_side(int smc_traps)
{
    uint64_t a = UNASSIGNED + 0x1000;
    probe_ldr_w(rt_uart_base + PL011_UARTFR);
    probe_ldr_x(a);
    probe_ldrh(a);
    probe_ldrb(a);
    probe_str_w(a);
    probe_str_x(a);
    probe_strh(a);
    probe_strb(a);
    if (probe_hvc(HVSIM_HC_A64_PING, 41) != 42)
        return 21;
    if (probe_smc(SMCCC_VERSION_FN) != SMCCC_VERSION_1_1 && smc_traps)
        return 21;
    probe_mrs_pfr0();
    probe_mrs_mmfr0();
    probe_mrs_actlr();
    probe_dc_cisw();
    write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + 10);
    write_sysreg(cntv_ctl_el0, 1);
    probe_wfi();
    write_sysreg(cntv_ctl_el0, 0);
    return 0;
}

int main(void)
{
    exc_set_handler(on_exception);
    int rc = el1_side();
    if (rc)
        return rc;
    /* With HCR_EL2.TSC off (a test's --set), SMC is UNDEFINED at EL1. */
    int smc_traps = probe_smc(SMCCC_VERSION_FN) == SMCCC_VERSION_1_1 && taken == 4;
    if (!smc_traps) {
        if (taken != 5)
            return 20;
        printf("syndromes: el1 smc-undefined ESR_EL1=0x%08lx ELR_EL1=insn+%lu\n", last.esr,
               last.elr - (uint64_t)probe_smc);
    }
    rc = el2_side(smc_traps);
    if (rc)
        return rc;
    /* MPIDR_EL1 reads VMPIDR_EL2: bit 31 RES1, affinity of CPU 0 */
    printf("syndromes: MPIDR_EL1=0x%lx\n", read_sysreg(mpidr_el1));
    printf("syndromes: done\n");
    return 0;
}
