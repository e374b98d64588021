/* hostile selfmod: the guest rewrites its own code and must execute the new
 * code (SDM Vol. 3A 8.1.3: a store to code invalidates the cached and
 * prefetched instructions at that physical address).
 *   1. `mov $imm32, %eax; ret` rewritten with 500 immediates, each returned.
 *   2. a store into an instruction later in the same straight-line block:
 *      the modified instruction executes.
 * (selfmod_msr.c rewrites a NOP into RDMSR.)
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

extern uint32_t ret_imm(void);
extern uint32_t same_block(void);
__asm__(".text\n"
        "ret_imm:\n\tmov $0, %eax\n\tret\n"
        /* writes 7 over the immediate of the mov below it, then runs it */
        "same_block:\n\tmovl $7, 1f+1(%rip)\n1:\tmov $1, %eax\n\tret\n");

int main(void)
{
    printf("selfmod: start\n");
    uint32_t got = ret_imm(), bad_val = 0;
    unsigned wrong = 0, first_wrong = 0;
    CHECK(got == 0, "unpatched ret_imm() = %u", got);
    for (uint32_t i = 1; i <= 500; i++) {
        *(volatile uint32_t *)((uint8_t *)ret_imm + 1) = i * 0x01010101u;
        got = ret_imm();
        if (got != i * 0x01010101u && !wrong++) {
            first_wrong = i;
            bad_val = got;
        }
    }
    CHECK(wrong == 0, "500 rewrites of mov: %u returned the old value (first: %u gave 0x%x)", wrong, first_wrong,
          bad_val);

    got = same_block();
    CHECK(got == 7, "store into the same block: same_block() = %u", got);
    got = same_block();
    CHECK(got == 7, "and again: same_block() = %u", got);
    return hostile_done("selfmod");
}
