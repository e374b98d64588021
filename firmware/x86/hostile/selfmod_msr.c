/* hostile selfmod_msr: a 2-byte NOP rewritten into RDMSR of
 * IA32_MISC_ENABLE must behave like any RDMSR: exit (the test checks
 * exactly 1 MSR_READ exit) and read hvsim's value, 1 (fast strings, the
 * reset value KVM reports).  The code is the same size before and after.
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

extern uint64_t maybe_rdmsr(uint32_t msr);
extern uint8_t maybe_rdmsr_insn[];
__asm__(".text\n"
        "maybe_rdmsr:\n\tmov %edi, %ecx\n\txor %eax, %eax\n\txor %edx, %edx\n"
        "maybe_rdmsr_insn:\n\txchg %ax, %ax\n\tshl $32, %rdx\n\tor %rdx, %rax\n\tret\n");

int main(void)
{
    uint64_t v = maybe_rdmsr(MSR_IA32_MISC_ENABLE);
    CHECK(v == 0, "nop: maybe_rdmsr() = 0x%lx", v);
    *(volatile uint16_t *)maybe_rdmsr_insn = 0x320f;   /* 0f 32: RDMSR */
    v = maybe_rdmsr(MSR_IA32_MISC_ENABLE);
    CHECK(v == 1, "nop rewritten into rdmsr: IA32_MISC_ENABLE = 0x%lx", v);
    return hostile_done("selfmod_msr");
}
