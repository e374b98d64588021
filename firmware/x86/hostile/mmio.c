/* hostile mmio: garbage to every byte of the ACPI wakeup-mailbox page and
 * to unassigned physical addresses.  The mailbox ignores (and counts:
 * platform.mailbox_errors) commands it cannot carry out -- unknown commands,
 * unknown APIC IDs, a CPU already started, wakeup vectors outside RAM -- and
 * always acknowledges by clearing Command (ACPI 6.4 5.2.12.19); the OS part
 * of the page is ignored.  Unassigned addresses read as zero (KVM + QEMU)
 * and ignore writes.  Afterwards the mailbox must still wake CPU 1.
 * The test checks platform.mailbox_errors = 10 (8 bad commands, a high-byte
 * write, a second wakeup of CPU 1) and runs it with 128 MiB of RAM (hostile.bash).
 * Exit status 0 when every check held (hostile.h). */
#include "hostile.h"

#define MB HVSIM_PC_MAILBOX
static inline void mmio_write8(uint64_t a, uint8_t v) { __asm__ volatile("movb %1, %0" : "=m"(*(volatile uint8_t *)(uintptr_t)a) : "q"(v)); }
static inline uint8_t mmio_read8(uint64_t a) { uint8_t v; __asm__ volatile("movb %1, %0" : "=q"(v) : "m"(*(volatile uint8_t *)(uintptr_t)a)); return v; }

static volatile uint64_t cpu1_ran, cpu1_arg;
static void cpu1_main(uint64_t arg)
{
    cpu1_arg = arg;
    atomic_add(&cpu1_ran, 1);
}

/* One mailbox command; returns the Command field read back afterwards. */
static uint16_t command(uint32_t apic_id, uint64_t vector, uint16_t cmd)
{
    mmio_write32(MB + HVSIM_MAILBOX_APIC_ID, apic_id);
    mmio_write64(MB + HVSIM_MAILBOX_WAKEUP_VECTOR, vector);
    mmio_write16(MB + HVSIM_MAILBOX_COMMAND, cmd);
    return mmio_read16(MB + HVSIM_MAILBOX_COMMAND);
}

static void unassigned_ok(uint64_t a)
{
    mmio_write64(a, ~0ULL);
    mmio_write8(a + 7, 0x5a);
    uint64_t v = mmio_read64(a);
    uint8_t b = mmio_read8(a + 3);
    CHECK(v == 0 && b == 0, "unassigned 0x%lx reads 0x%lx / 0x%x after writes", a, v, b);
}

int main(void)
{
    uint64_t ram_end = 128ULL << 20, entry = (uint64_t)(uintptr_t)rt_ap_entry;
    printf("mmio: start\n");
    /* The OS/firmware part of the page (0x10..0xfff): garbage of every width. */
    for (uint64_t off = 0x10; off < 0x1000; off += 8) {
        mmio_write64(MB + off, 0xa5a5a5a5a5a5a5a5ULL ^ off);
        mmio_write32(MB + off + 4, 0xffffffffu);
        mmio_write8(MB + off + 1, 0xff);
        (void)mmio_read64(MB + off);
    }
    /* Bad commands: 8 of them, each ignored and counted, each acknowledged. */
    unsigned acks = 0;
    acks += command(1, entry, 2) == 0;              /* unknown command */
    acks += command(1, entry, 0xffff) == 0;
    acks += command(0, entry, 1) == 0;              /* the BSP: already running */
    acks += command(8, entry, 1) == 0;              /* no such APIC ID */
    acks += command(0xffffffffu, entry, 1) == 0;
    acks += command(1, ram_end, 1) == 0;            /* vector past RAM */
    acks += command(1, MB, 1) == 0;                 /* vector in the mailbox itself */
    acks += command(1, ~0ULL, 1) == 0;
    CHECK(acks == 8, "8 bad mailbox commands, %u acknowledged", acks);
    mmio_write8(MB + 1, 0x01);                      /* Command high byte: 0x0100, unknown */
    uint16_t c = mmio_read16(MB);
    CHECK(c == 0, "Command after a high-byte write = 0x%x", c);
    CHECK(cpu1_ran == 0, "cpu1 not started by any of them");

    /* Still usable: wake CPU 1, then a second wakeup of it is ignored. */
    int r = cpu_start(1, cpu1_main, 0xc1c1);
    for (unsigned i = 0; i < 10000000u && !atomic_load(&cpu1_ran); i++)
        cpu_relax();
    CHECK(r == 0 && cpu1_ran == 1 && cpu1_arg == 0xc1c1, "cpu_start(1) = %d, cpu1 ran %lu, arg 0x%lx", r, cpu1_ran,
          cpu1_arg);
    c = command(1, entry, 1);
    for (unsigned i = 0; i < 100000u; i++)
        cpu_relax();
    CHECK(c == 0 && cpu1_ran == 1, "second wakeup of cpu1 acknowledged (0x%x) and ignored (ran %lu)", c, cpu1_ran);

    static const uint64_t gaps[] = { 0xfeb01000ULL, 0xfeaff000ULL, 0xc0000000ULL, 0x7ffffffff8ULL };
    for (unsigned i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        unassigned_ok(gaps[i]);
    unassigned_ok(ram_end);
    return hostile_done("mmio");
}
