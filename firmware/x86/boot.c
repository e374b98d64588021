/* boot: what a multiboot v1 loader gives a kernel (Multiboot Specification
 * 0.6.96 §3.2, §3.3), as the kernel reads it.  Built only for QEMU's
 * -kernel (boot-qemu.elf: ELF32 with the header; boot-aout.bin: a flat
 * image with the a.out kludge); tests/integration/boot_x86.sh and
 * boot_qemu_diff.sh run it under hvsim (--kernel --append --initrd) and
 * QEMU.  The entry code (lib/x86/start.S, rt_mb_entry) keeps EAX, EBX and
 * CR0 as it found them, then enters long mode itself.  Prints the magic,
 * the entry mode, mem_lower/upper, the command line, each module (length,
 * FNV-1a hash, string) and whether the memory map offers the regions a
 * kernel needs, then exits with status 7 through isa-debug-exit. */
#include "rt.h"

extern uint32_t rt_mb_magic, rt_mb_info, rt_mb_cr0;

/* §3.3: fields by byte offset */
static uint32_t mbi(uint32_t off) { return *(const volatile uint32_t *)(uintptr_t)(rt_mb_info + off); }
static uint64_t rd64(uintptr_t a) { return *(const volatile uint64_t *)a; }

static uint32_t fnv1a(const uint8_t *p, const uint8_t *end)
{
    uint32_t h = 2166136261u;
    for (; p < end; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* Does an available region (type 1) hold [base, base + len)? */
static int mmap_has(uint64_t base, uint64_t len)
{
    uintptr_t p = mbi(48), end = p + mbi(44);
    while (p < end) {
        uint32_t size = *(const volatile uint32_t *)p;
        uint64_t b = rd64(p + 4), l = rd64(p + 12);
        uint32_t type = *(const volatile uint32_t *)(p + 20);
        if (type == 1 && b <= base && base + len <= b + l)
            return 1;
        p += size + 4;
    }
    return 0;
}

static void modules(void)
{
    uint32_t n = mbi(20);
    printf("boot: %u module(s)\n", n);
    for (uint32_t i = 0; i < n && i < 8; i++) {
        const volatile uint32_t *m = (const volatile uint32_t *)(uintptr_t)(mbi(24) + 16 * i);
        printf("boot: module %u: %u bytes, page-aligned %s, fnv1a 0x%08x, \"%s\"\n", i, m[1] - m[0],
               m[0] & 4095 ? "no" : "yes", fnv1a((const uint8_t *)(uintptr_t)m[0], (const uint8_t *)(uintptr_t)m[1]),
               (const char *)(uintptr_t)m[2]);
    }
}

int main(void)
{
    uint64_t cr0;
    uint32_t efer, hi;
    printf("boot: eax 0x%x\n", rt_mb_magic);
    printf("boot: entry cr0.pe %u cr0.pg %u\n", rt_mb_cr0 & 1, rt_mb_cr0 >> 31);
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("rdmsr" : "=a"(efer), "=d"(hi) : "c"(0xc0000080));   /* IA32_EFER */
    printf("boot: now long mode %s, paging %s\n", efer >> 10 & 1 ? "yes" : "no", cr0 >> 31 ? "yes" : "no");
    if (rt_mb_magic != 0x2BADB002u)
        return 20;
    uint32_t flags = mbi(0);
    printf("boot: flags mem %u cmdline %u mods %u mmap %u\n", flags & 1, flags >> 2 & 1, flags >> 3 & 1,
           flags >> 6 & 1);
    printf("boot: mem_lower %u KiB, mem_upper %u KiB\n", mbi(4), mbi(8));
    printf("boot: cmdline \"%s\"\n", flags & 4 ? (const char *)(uintptr_t)mbi(16) : "(none)");
    if (flags & 8)
        modules();
    if (flags & 64)
        printf("boot: mmap available [0, 0x9fc00) %s, [1 MiB, 64 MiB) %s\n", mmap_has(0, 0x9fc00) ? "yes" : "no",
               mmap_has(1 << 20, 63 << 20) ? "yes" : "no");
    /* Guest-physical memory with nothing behind it (above 128 MiB of RAM,
     * below the PCI hole): a write is dropped, a read returns what the
     * machine's unassigned space returns */
    volatile uint32_t *none = (volatile uint32_t *)0x3ff00000;
    *none = 0x12345678;
    printf("boot: unassigned read 0x%08x\n", *none);
    return 7;
}
