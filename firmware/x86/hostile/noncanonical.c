/* hostile noncanonical: a jump to, and a load from, 0x0000800000000000, the
 * first non-canonical address with 48-bit linear addresses (CPUID.80000008H
 * reports 48).  Both raise #GP(0) at the instruction, which does not
 * execute (SDM Vol. 2A JMP and MOV, 64-bit mode exceptions: "If the memory
 * address is in a non-canonical form"; Vol. 3A 3.3.7.1).
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"
#include "x86/exc.h"

#define NONCANONICAL 0x0000800000000000ULL

static volatile uint64_t gp_rip, gp_error = ~0ULL;
static volatile unsigned gp_seen;

/* Resume at the label the faulting asm names in RDX. */
static int on_exc(struct x86_frame *f)
{
    if (f->vector != X86_VEC_GP)
        return 0;
    gp_seen++;
    gp_rip = f->rip;
    gp_error = f->error;
    f->rip = f->rdx;
    return 1;
}

int main(void)
{
    exc_init();
    exc_set_handler(on_exc);
    uint64_t at;
    printf("noncanonical: jump to 0x%llx\n", NONCANONICAL);
    __asm__ volatile("lea 2f(%%rip), %%rdx\n\tlea 1f(%%rip), %0\n"
                     "1:\tjmp *%1\n2:" : "=&r"(at) : "r"(NONCANONICAL) : "rdx", "memory");
    CHECK(gp_seen == 1 && gp_rip == at && gp_error == 0, "jmp: #GP(%lu) at 0x%lx (the jmp is at 0x%lx)", gp_error,
          gp_rip, at);
    printf("noncanonical: load from 0x%llx\n", NONCANONICAL);
    __asm__ volatile("lea 2f(%%rip), %%rdx\n\tlea 1f(%%rip), %0\n"
                     "1:\tmov (%1), %%rax\n2:" : "=&r"(at) : "r"(NONCANONICAL) : "rax", "rdx", "memory");
    CHECK(gp_seen == 2 && gp_rip == at && gp_error == 0, "mov: #GP(%lu) at 0x%lx (the mov is at 0x%lx)", gp_error,
          gp_rip, at);
    return hostile_done("noncanonical");
}
