/* hostile selfmod: the guest rewrites its own code and must execute the new
 * code (SDM Vol. 3A 8.1.3: a store to code invalidates the cached and
 * prefetched instructions at that physical address).
 *   1. `mov $imm32, %eax; ret` rewritten with 500 immediates, each returned.
 *   2. a store into an instruction later in the same straight-line block:
 *      the modified instruction executes.
 *   3. a 2-byte NOP rewritten into RDMSR of IA32_MISC_ENABLE: it must exit
 *      like any RDMSR (the test checks exactly 1 MSR_READ exit) and read
 *      hvsim's value, 1 (fast strings, the reset value KVM reports).
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

extern uint32_t ret_imm(void);
extern uint32_t same_block(void);
extern uint64_t maybe_rdmsr(uint32_t msr);
__asm__(".text\n"
        "ret_imm:\n\tmov $0, %eax\n\tret\n"
        /* writes 7 over the immediate of the mov below it, then runs it */
        "same_block:\n\tmovl $7, 1f+1(%rip)\n1:\tmov $1, %eax\n\tret\n"
        "maybe_rdmsr:\n\tmov %edi, %ecx\n\txor %eax, %eax\n\txor %edx, %edx\n"
        "maybe_rdmsr_insn:\n\txchg %ax, %ax\n\tshl $32, %rdx\n\tor %rdx, %rax\n\tret\n");
extern uint8_t maybe_rdmsr_insn[];

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

    uint64_t v = maybe_rdmsr(MSR_IA32_MISC_ENABLE);
    CHECK(v == 0, "nop: maybe_rdmsr() = 0x%lx", v);
    *(volatile uint16_t *)maybe_rdmsr_insn = 0x320f;   /* 0f 32: RDMSR */
    v = maybe_rdmsr(MSR_IA32_MISC_ENABLE);
    CHECK(v == 1, "nop rewritten into rdmsr: IA32_MISC_ENABLE = 0x%lx", v);
    return hostile_done("selfmod");
}
