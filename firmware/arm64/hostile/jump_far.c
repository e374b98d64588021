/* hostile jump_far: branch to 1 << 44, beyond the 40-bit IPA space.  The
 * fetch address is out of range for the translation (Arm ARM D8.2: an
 * output/input address beyond the configured size): the guest must get an
 * instruction abort with IFSC 0b000000 (address size fault, level 0),
 * FAR = ELR = the target, as KVM injects for an IPA beyond its range.
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

#define TARGET (1ULL << 44)

static volatile uint64_t seen_esr, seen_far, seen_elr;

static int on_abort(struct exc_frame *f)
{
    if (ESR_EC(f->esr) != ESR_EC_IABT_CUR || seen_esr)
        return 0;
    seen_esr = f->esr;
    seen_far = f->far;
    seen_elr = f->elr;
    f->elr = f->x[30];            /* the branch was a BLR: return to its caller */
    return 1;
}

int main(void)
{
    exc_set_handler(on_abort);
    printf("jump_far: branching to 0x%llx\n", TARGET);
    __asm__ volatile("blr %0" : : "r"(TARGET) : "x30", "memory");
    CHECK(ESR_EC(seen_esr) == ESR_EC_IABT_CUR && (seen_esr & 0x3f) == 0 && seen_far == TARGET && seen_elr == TARGET,
          "instruction abort: ESR 0x%lx (IFSC 0x%lx) FAR 0x%lx ELR 0x%lx", seen_esr, seen_esr & 0x3f, seen_far,
          seen_elr);
    return hostile_done("jump_far");
}
