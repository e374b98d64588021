/* syndromes: known x86 instructions whose VM-exit qualifications
 * tests/integration/syndromes_x86.sh reads from `hvsim run --debug exit`
 * (each exit line names the probe_* function it came from).
 *  - port I/O (Intel SDM Vol. 3C Table 28-5): IN/OUT of each size, immediate
 *    and DX forms, to ports with no device behind them in hvsim's pc;
 *  - MMIO (Table 28-7): the first read and the first write of a page with
 *    no device behind it (EPT violations), then a read of a page already
 *    seen (EPT misconfiguration, KVM's cached MMIO SPTE).
 * Exit status 0; unassigned ports read as all ones, unassigned MMIO as 0. */
#include "rt.h"

#define MMIO_A 0xD0000000ULL             /* unassigned guest-physical pages */
#define MMIO_B 0xD0001000ULL

/* Each probe is its own function so that the exit's RIP (the block start,
 * see cpu/x86.c) falls inside it.  The DX forms take the port in DX, the
 * third argument register of the SysV ABI. */
__asm__(
    ".text\n"
    ".macro probe name, body:vararg\n"
    "    .global \\name\n"
    "    .type \\name, @function\n"
    "    .balign 16\n"
    "\\name:\n"
    "    \\body\n"
    "    ret\n"
    ".endm\n"
    "probe probe_inb_imm,  inb $0x80, %al\n"
    "probe probe_inw_dx,   inw %dx, %ax\n"
    "probe probe_inl_dx,   inl %dx, %eax\n"
    "probe probe_outb_imm, outb %al, $0x80\n"
    "probe probe_outw_dx,  outw %ax, %dx\n"
    "probe probe_outl_dx,  outl %eax, %dx\n"
    /* address in RDI */
    "probe probe_mmio_rd,  movl (%rdi), %eax\n"
    "probe probe_mmio_wr,  movl %eax, (%rdi)\n"
);
/* port in DX = the third argument (RDX) */
uint32_t probe_inb_imm(void), probe_inw_dx(int, int, uint16_t port), probe_inl_dx(int, int, uint16_t port);
void probe_outb_imm(void), probe_outw_dx(int, int, uint16_t port), probe_outl_dx(int, int, uint16_t port);
uint32_t probe_mmio_rd(uint64_t a);
void probe_mmio_wr(uint64_t a);

int main(void)
{
    uint32_t in = probe_inb_imm() & 0xff;
    in &= probe_inw_dx(0, 0, 0x700) & 0xffff;
    in &= probe_inl_dx(0, 0, 0x704);
    probe_outb_imm();
    probe_outw_dx(0, 0, 0x700);
    probe_outl_dx(0, 0, 0x704);
    uint32_t m = probe_mmio_rd(MMIO_A);   /* first touch of page A: EPT violation, read */
    probe_mmio_wr(MMIO_B);                /* first touch of page B: EPT violation, write */
    m |= probe_mmio_rd(MMIO_A + 8);       /* page A again: EPT misconfiguration */
    printf("syndromes: unassigned port reads and-ed 0x%x, MMIO reads or-ed 0x%x\n", in, m);
    printf("syndromes: done\n");
    return 0;
}
