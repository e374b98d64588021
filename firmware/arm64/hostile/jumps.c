/* hostile jumps: branch into MMIO, to unassigned addresses and past the end
 * of RAM.  None of them holds memory, so each fetch takes a stage-2 fault and
 * the hypervisor injects a synchronous external instruction abort (KVM
 * kvm_inject_pabt): EC 0x21 (same EL), IFSC 0x10, FAR = ELR = the target.
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

static volatile unsigned seen;
static volatile uint64_t seen_esr, seen_far, seen_elr;

/* The branch was a BLR: resume at its return address. */
static int on_abort(struct exc_frame *f)
{
    if (ESR_EC(f->esr) != ESR_EC_IABT_CUR)
        return 0;
    seen++;
    seen_esr = f->esr;
    seen_far = f->far;
    seen_elr = f->elr;
    f->elr = f->x[30];
    return 1;
}

static void jump(uint64_t target)
{
    unsigned before = seen;
    __asm__ volatile("blr %0" : : "r"(target) : "x30", "memory");
    CHECK(seen == before + 1 && (seen_esr & 0x3f) == 0x10 && seen_far == target && seen_elr == target,
          "branch to 0x%lx: instruction abort ESR 0x%lx FAR 0x%lx ELR 0x%lx", target, seen_esr, seen_far,
          seen_elr);
}

int main(void)
{
    exc_set_handler(on_abort);
    uint64_t ram_end = rt_fdt.mem_base + rt_fdt.mem_size;
    printf("jumps: start, RAM ends at 0x%lx\n", ram_end);
    jump(rt_uart_base);                     /* into the PL011 */
    jump(rt_uart_base + 0xffc);
    jump(0x0);                              /* unassigned, below every device */
    jump(0x0a000000);                       /* unassigned, between devices */
    jump(ram_end);                          /* first byte past RAM */
    jump(0xfffffff000ULL);                  /* last page of the 40-bit IPA space */
    printf("jumps: %u instruction aborts\n", seen);
    return hostile_done("jumps");
}
