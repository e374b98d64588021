/* boot: what QEMU's boot stub gives a kernel on virt, as the kernel reads it
 * (tests/integration/boot_arm64.sh runs its raw image with --kernel):
 * x0 = the DTB address, /chosen/bootargs, the initrd's place from
 * linux,initrd-start/-end and its contents (length and FNV-1a hash).
 * Exits with status 7 so that the test sees the guest's own status. */
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
    const uint8_t *s = fdt_prop(fdt, "linux,initrd-start", &len), *e = fdt_prop(fdt, "linux,initrd-end", &len);
    if (!s || !e) {
        printf("boot: no initrd\n");
        return 7;
    }
    uint64_t start = be64(s), end = be64(e);
    uint32_t h = 2166136261u;                    /* FNV-1a, 32 bits */
    for (const uint8_t *p = (const uint8_t *)start; p < (const uint8_t *)end; p++)
        h = (h ^ *p) * 16777619u;
    printf("boot: initrd at 0x%lx, %lu bytes, fnv1a 0x%08x\n", start, end - start, h);
    return 7;
}
