/* hostile devices: garbage to every PL011 register and to unassigned
 * physical addresses.  Every access must complete: device registers take
 * any value (reserved ones are RAZ/WI), unassigned addresses read as zero
 * and ignore writes (KVM + QEMU: an MMIO exit that finds no device), and the
 * UART must still work afterwards.  The PL011's identification registers
 * keep their values (PL011 TRM 3.3.14-3.3.15: UARTPeriphID0/1 = 0x11/0x10,
 * UARTPCellID0-3 = 0x0d, 0xf0, 0x05, 0xb1, the PrimeCell values).
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

static const uint32_t garbage[] = { 0xffffffffu, 0x00000000u, 0xa5a5a5a5u, 0x5a5a5a5au, 0x80000001u };

static inline void mmio_write8(uint64_t a, uint8_t v) { __asm__ volatile("strb %w0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
static inline void mmio_write16(uint64_t a, uint16_t v) { __asm__ volatile("strh %w0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
static inline void mmio_write64(uint64_t a, uint64_t v) { __asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(a) : "memory"); }
static inline uint8_t mmio_read8(uint64_t a) { uint32_t v; __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return (uint8_t)v; }
static inline uint64_t mmio_read64(uint64_t a) { uint64_t v; __asm__ volatile("ldr %x0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }

/* Writes of every width and value to every 32-bit register slot of the
 * PL011's 4 KiB window, except UARTDR (whose writes are console output). */
static void pl011_garbage(uint64_t base)
{
    for (uint64_t off = 4; off < HVSIM_VIRT_PL011_SIZE; off += 4)
        for (unsigned g = 0; g < sizeof garbage / sizeof garbage[0]; g++) {
            mmio_write32(base + off, garbage[g]);
            mmio_write8(base + off + 1, (uint8_t)garbage[g]);
            mmio_write16(base + off + 2, (uint16_t)garbage[g]);
            (void)mmio_read32(base + off);
            (void)mmio_read8(base + off + 3);
        }
    mmio_write64(base + 8, ~0ULL);            /* 64-bit access: wider than the registers */
}

/* Unassigned addresses (also in QEMU virt, except flash at 0-0x8000000 and
 * virtio-mmio at 0xa000000): below RAM, between devices, just past RAM, the
 * last word of the 40-bit IPA space. */
static int unassigned_ok(uint64_t a)
{
    mmio_write32(a, 0xdeadbeef);
    mmio_write64(a & ~7ULL, ~0ULL);
    uint32_t v32 = mmio_read32(a);
    uint64_t v64 = mmio_read64(a & ~7ULL);
    uint8_t v8 = mmio_read8(a + 1);
    CHECK(v32 == 0 && v64 == 0 && v8 == 0, "unassigned 0x%lx reads 0x%x / 0x%lx / 0x%x after writes", a, v32, v64, v8);
    return v32 == 0;
}

int main(void)
{
    uint64_t uart = rt_uart_base, ram_end = rt_fdt.mem_base + rt_fdt.mem_size;
    printf("devices: start, pl011 at 0x%lx, RAM ends at 0x%lx\n", uart, ram_end);
    CHECK(rt_fdt_err == FDT_OK && rt_fdt.mem_size != 0, "devicetree read");

    uint32_t fr0 = mmio_read32(uart + PL011_UARTFR);
    pl011_garbage(uart);
    /* Put the UART back the way the boot left it, then print through it. */
    mmio_write32(uart + 0x02c, 0x70);        /* UARTLCR_H: 8 bits, FIFOs */
    mmio_write32(uart + 0x030, 0x301);       /* UARTCR: UARTEN, TXE, RXE */
    mmio_write32(uart + 0x038, 0);           /* UARTIMSC: all masked */
    mmio_write32(uart + 0x044, 0x7ff);       /* UARTICR: clear all */
    printf("devices: pl011: garbage written to every register\n");
    uint32_t fr = mmio_read32(uart + PL011_UARTFR);
    CHECK(!(fr & PL011_UARTFR_TXFF) && fr == fr0, "UARTFR 0x%x after garbage (0x%x before)", fr, fr0);
    static const uint8_t id[8] = { 0x11, 0x10, 0, 0, 0x0d, 0xf0, 0x05, 0xb1 };
    for (unsigned i = 0; i < 8; i++) {
        uint32_t v = mmio_read32(uart + 0xfe0 + 4 * i);
        if (i == 2 || i == 3)               /* revision and configuration vary */
            printf("devices: pl011 id[%u] = 0x%x\n", i, v);
        else
            CHECK(v == id[i], "pl011 id[%u] at 0x%x = 0x%x", i, 0xfe0 + 4 * i, v);
    }

    static const uint64_t gaps[] = { 0x0, 0x1000, 0x09001000, 0x09100000, 0x0a000000, 0x3ffffffc,
                                     0xfffffffff8ULL };
    for (unsigned i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        unassigned_ok(gaps[i]);
    unassigned_ok(ram_end);
    unassigned_ok(ram_end + 0x1000);
    return hostile_done("devices");
}
