/* hostile selfmod: the guest rewrites its own code and must then execute the
 * new code (Arm ARM B2.2.5: after the store, DC CVAU + DSB + IC IVAU + DSB +
 * ISB make the new instructions visible to fetch).
 *   1. `movz w0, #i; ret` rewritten with 500 different immediates: each call
 *      returns the new i.
 *   2. a NOP rewritten into `hvc #0` (the hvsim ping call): the call returns
 *      ping's answer and hvsim counts an HVC64 exit (the test checks 2 in
 *      all: this one and the exit call).
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

#define A64_MOVZ_W0(imm) (0x52800000u | ((uint32_t)(imm) << 5))
#define A64_HVC0 0xd4000002u

extern uint32_t ret_imm(void);
extern uint64_t maybe_hvc(uint64_t fn, uint64_t arg);
__asm__(".text\n.balign 16\n"
        "ret_imm:\n\tmovz w0, #0\n\tret\n"
        ".balign 16\n"
        "maybe_hvc:\n\tnop\n\tret\n");

static void patch(void *fn, uint32_t insn)
{
    volatile uint32_t *p = fn;
    *p = insn;
    __asm__ volatile("dc cvau, %0; dsb ish; ic ivau, %0; dsb ish; isb" : : "r"(p) : "memory");
}

int main(void)
{
    printf("selfmod: start\n");
    unsigned wrong = 0, first_wrong = 0;
    uint32_t got = ret_imm(), bad_val = 0;
    CHECK(got == 0, "unpatched ret_imm() = %u", got);
    for (unsigned i = 1; i <= 500; i++) {
        patch(ret_imm, A64_MOVZ_W0(i));
        got = ret_imm();
        if (got != i && !wrong++) {
            first_wrong = i;
            bad_val = got;
        }
    }
    CHECK(wrong == 0, "500 rewrites of movz: %u returned the old value (first: %u gave %u)", wrong, first_wrong, bad_val);

    uint64_t r = maybe_hvc(HVSIM_HC_A64_PING, 41);
    CHECK(r == HVSIM_HC_A64_PING, "nop: maybe_hvc() = 0x%lx", r);
    patch(maybe_hvc, A64_HVC0);
    r = maybe_hvc(HVSIM_HC_A64_PING, 41);
    CHECK(r == 42, "nop rewritten into hvc #0: ping(41) = %lu", r);
    return hostile_done("selfmod");
}
