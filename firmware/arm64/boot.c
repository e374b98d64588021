/* boot: what QEMU's boot stub gives a kernel on virt, as the kernel reads it
 * (tests/integration/boot_arm64.sh runs its raw image with --kernel):
 * x0 = the DTB address, /chosen/bootargs, the initrd's place from
 * linux,initrd-start/-end and its contents (length and FNV-1a hash).
 * Then Arm semihosting (run with --semihosting, QEMU -semihosting):
 * SYS_WRITE0, SYS_WRITEC, SYS_WRITE to the console from SYS_OPEN(":tt"),
 * SYS_CLOCK / SYS_ELAPSED / SYS_TICKFREQ, a refused call, and the exit with
 * SYS_EXIT_EXTENDED status 7 (the test sees the guest's own status).
 * Semihosting runs only when the command line says "semihosting";
 * otherwise the runtime's exit hypercall gives the status. */
#include "rt.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* The value of the first property called `name` (DTSpec v0.3 5.4); NULL if none */
static const uint8_t *fdt_prop(const uint8_t *fdt, const char *name, uint32_t *len)
{
    const uint8_t *p = fdt + be32(fdt + 8), *str = fdt + be32(fdt + 12), *end = fdt + be32(fdt + 4);
    while (p + 4 <= end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == 1) {                          /* FDT_BEGIN_NODE: name, padded */
            p += (strlen((const char *)p) + 4) & ~3UL;
        } else if (tok == 3) {                   /* FDT_PROP: len, nameoff, value */
            uint32_t l = be32(p), off = be32(p + 4);
            if (!strcmp((const char *)str + off, name)) {
                *len = l;
                return p + 8;
            }
            p += 8 + ((l + 3) & ~3UL);
        } else if (tok == 9) {                   /* FDT_END */
            break;
        }
    }
    return NULL;
}

/* Semihosting call (IHI 0095: HLT #0xF000, W0 operation, X1 parameter) */
static uint64_t semihost(uint32_t op, uint64_t param)
{
    register uint64_t x0 __asm__("x0") = op, x1 __asm__("x1") = param;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

static void semihosting(void)
{
    semihost(0x04, (uint64_t)"boot: semihosting SYS_WRITE0\n");       /* SYS_WRITE0 */
    static const char line[] = "boot: SYS_WRITEC\n";
    for (const char *c = line; *c; c++)
        semihost(0x03, (uint64_t)c);                                      /* SYS_WRITEC */
    uint64_t open[3] = { (uint64_t)":tt", 4, 3 };                         /* write mode */
    uint64_t h = semihost(0x01, (uint64_t)open);
    static const char msg[] = "boot: SYS_WRITE to :tt\n";
    uint64_t wr[3] = { h, (uint64_t)msg, sizeof msg - 1 };
    uint64_t left = semihost(0x05, (uint64_t)wr);
    uint64_t c0 = semihost(0x10, 0), t0 = 0, t1 = 0;                       /* SYS_CLOCK */
    uint64_t e0 = semihost(0x30, (uint64_t)&t0);                          /* SYS_ELAPSED */
    for (volatile int i = 0; i < 100000; i++)
        ;
    uint64_t e1 = semihost(0x30, (uint64_t)&t1), c1 = semihost(0x10, 0);
    uint64_t freq = semihost(0x31, 0);                                    /* SYS_TICKFREQ */
    printf("boot: handle %lu, left %lu, clock %s, elapsed %s, tickfreq %s\n", (unsigned long)h, (unsigned long)left,
           c1 >= c0 && c0 != (uint64_t)-1 ? "ok" : "bad", !e0 && !e1 && t1 > t0 ? "ok" : "bad",
           freq && freq != (uint64_t)-1 ? "ok" : "bad");
    printf("boot: SYS_REMOVE returns %ld\n", (long)semihost(0x0e, (uint64_t)open));   /* refused */
    uint64_t ex[2] = { 0x20026, 7 };                                      /* ADP_Stopped_ApplicationExit */
    semihost(0x20, (uint64_t)ex);                                         /* SYS_EXIT_EXTENDED */
}

static int strstr_(const char *h, const char *n)
{
    for (size_t k = strlen(n); *h; h++)
        if (!strncmp(h, n, k))
            return 1;
    return 0;
}

static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

int main(void)
{
    const uint8_t *fdt = (const uint8_t *)rt_dtb_addr;
    uint32_t len = 0;
    printf("boot: dtb from x0 %s at 0x%lx\n", rt_dtb_from_x0 ? "yes" : "no", rt_dtb_addr);
    if (!fdt)
        return 20;
    const uint8_t *args = fdt_prop(fdt, "bootargs", &len);
    printf("boot: bootargs \"%s\"\n", args ? (const char *)args : "(none)");
    /* one or two cells (QEMU writes one, Linux reads either) */
    uint32_t ls = 0, le = 0;
    const uint8_t *s = fdt_prop(fdt, "linux,initrd-start", &ls), *e = fdt_prop(fdt, "linux,initrd-end", &le);
    if (!s || !e) {
        printf("boot: no initrd\n");
    } else {
        uint64_t start = ls == 8 ? be64(s) : be32(s), end = le == 8 ? be64(e) : be32(e);
        uint32_t h = 2166136261u;                /* FNV-1a, 32 bits */
        for (const uint8_t *p = (const uint8_t *)start; p < (const uint8_t *)end; p++)
            h = (h ^ *p) * 16777619u;
        printf("boot: initrd at 0x%lx, %lu bytes, fnv1a 0x%08x\n", start, end - start, h);
    }
    if (args && strstr_((const char *)args, "semihosting"))
        semihosting();
    return 7;
}
