/* hostile ports: IN from every I/O port 0..0xffff, then garbage OUT to every
 * port.  Ports with no device read as all ones (the ISA bus floats high:
 * QEMU and KVM return 0xff per byte); the 16550 at 0x3f8 takes any value
 * and still works once LCR is restored; the 8259 ELCR (0x4d0-0x4d1) reads
 * as the kernel's PIC keeps it; isa-debug-exit (0xf4-0xf7) is left
 * out of the sweep, and the last act is a garbage 16-bit write to it:
 * status ((0xabcd << 1) | 1) & 0xff = 155 (QEMU hw/misc/debugexit.c).
 * Exit status 155 when every check held, 1 otherwise (hostile.h). */
#include "hostile.h"

static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(p)); }

static int is_device(unsigned p)
{
    return (p >= HVSIM_PC_COM1 && p < HVSIM_PC_COM1 + 8) || (p >= HVSIM_PC_DEBUG_EXIT && p < HVSIM_PC_DEBUG_EXIT + 4) ||
           (p >= HVSIM_PC_ELCR && p < HVSIM_PC_ELCR + 2);
}

int main(void)
{
    printf("ports: start\n");
    unsigned not_ff = 0, first = 0;
    uint8_t first_v = 0;
    for (unsigned p = 0; p <= 0xffff; p++) {
        uint8_t v = inb((uint16_t)p);
        if (!is_device(p) && v != 0xff && !not_ff++) {
            first = p;
            first_v = v;
        }
    }
    CHECK(not_ff == 0, "inb of 65522 unassigned ports: %u not 0xff (first 0x%x = 0x%x)", not_ff, first, first_v);
    /* 32-bit reads wholly outside the devices: all ones.  (A wide read of a
     * byte-wide device is not pinned: QEMU splits it, KVM passes it whole.) */
    unsigned not_ones = 0, first_l = 0, n_l = 0;
    for (unsigned p = 0; p <= 0xfffc; p++) {
        if (is_device(p) || is_device(p + 1) || is_device(p + 2) || is_device(p + 3))
            continue;
        n_l++;
        if (inl((uint16_t)p) != 0xffffffffu && !not_ones++)
            first_l = p;
    }
    CHECK(not_ones == 0, "inl of %u unassigned port ranges: %u not 0xffffffff (first 0x%x)", n_l, not_ones, first_l);
    uint16_t w = inw(0xcf8);
    uint32_t l = inl(0xcfc), l2 = inl(0xfffc);
    CHECK(w == 0xffff && l == 0xffffffffu && l2 == 0xffffffffu, "inw 0xcf8 = 0x%x, inl 0xcfc = 0x%x, inl 0xfffc = 0x%x",
          w, l, l2);

    /* Garbage to every port but isa-debug-exit; COM1's THR gets a '#'. */
    for (unsigned p = 0; p <= 0xffff; p++) {
        if (p >= HVSIM_PC_DEBUG_EXIT && p < HVSIM_PC_DEBUG_EXIT + 4)
            continue;
        outb((uint16_t)p, p == HVSIM_PC_COM1 ? '#' : (uint8_t)(0xa5 ^ p));
    }
    outl(0xcf8, 0x80000000u);
    outw(0xffff, 0xffff);                        /* wraps past the last port */
    outb(HVSIM_PC_COM1 + 3, 0x03);               /* LCR: 8N1, DLAB off */
    outb(HVSIM_PC_COM1 + 1, 0x00);               /* IER: no interrupts */
    printf("\nports: garbage written to every port\n");
    uint8_t lsr = inb(HVSIM_PC_COM1 + UART_LSR);
    CHECK(lsr & UART_LSR_THRE, "COM1 LSR 0x%x after garbage", lsr);
    uint8_t after = inb(0x80);
    CHECK(after == 0xff, "inb 0x80 after garbage = 0x%x", after);
    if (hostile_done("ports"))
        return 1;
    printf("ports: outw(0xf4, 0xabcd): exit status 155 expected\n");
    outw(HVSIM_PC_DEBUG_EXIT, 0xabcd);
    printf("ports: FAIL: isa-debug-exit did not stop the machine\n");
    return 1;
}
