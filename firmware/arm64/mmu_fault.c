/* mmu_fault: stage-1 translation as the guest sets it up, for hvsim's
 * translation model (tests/integration/mmu_fault.sh, [mmu] model = on).
 * Builds 4K-granule tables (48-bit VA, TTBR1 walks disabled), turns the MMU
 * on and checks: a non-identity mapping, a block remap made visible by TLBI
 * VAE1IS, a page remap made visible by TLBI VAALE1IS, and the data and instruction aborts of a missing page, a missing
 * level-2 entry, a read-only page, a privileged-execute-never page and a
 * TTBR1 address.  main prints each abort's ESR_EL1 and FAR_EL1.
 * Exit status: 0 ok, 20 an expected abort did not arrive, 21 a value read
 * through a mapping is wrong, 99 an unexpected exception. */
#include "rt.h"

#define RAM_BASE   0x40000000ULL
#define MB         (1ULL << 20)
#define AREA       (RAM_BASE + 64 * MB)   /* 2 MiB of RAM mapped with 4K pages (image and DTB are far below) */
#define OTHER      (RAM_BASE + 66 * MB)   /* alias targets */
#define DIRTY      (RAM_BASE + 80 * MB)   /* dirty-logging rounds: DIRTY_PAGES pages */
#define ALIAS_VA   0x100000000ULL         /* VA 4 GiB: a 2 MiB block onto OTHER, then OTHER + 2 MiB */
#define HOLE       (AREA + 3 * 4096)      /* invalid level-3 entry */
#define RO         (AREA + 4 * 4096)      /* AP[2] = 1: read-only */
#define NOEXEC     (AREA + 5 * 4096)      /* PXN = 1 */
#define PAGE_VA    (AREA + 6 * 4096)      /* identity, then onto the next page */
#define LAZY       (AREA + 9 * 4096)      /* unmapped; its first access faults, the handler maps it, the access is retried */
#define L2_HOLE    (RAM_BASE + 200 * MB)  /* no level-2 entry (beyond the 128 MiB mapped) */
#define TTBR1_VA   0xffff000000001000ULL  /* TCR_EL1.EPD1 = 1 */

/* VMSAv8-64 descriptors, 4K granule (Arm ARM D8.3) */
#define D_TABLE    3ULL
#define D_BLOCK    1ULL
#define D_PAGE     3ULL
#define D_AF       (1ULL << 10)
#define D_SH_INNER (3ULL << 8)
#define D_RO       (1ULL << 7)            /* AP[2] */
#define D_PXN      (1ULL << 53)
#define D_NORMAL   (0ULL << 2)            /* AttrIndx 0: MAIR attr0 */
#define D_DEVICE   (1ULL << 2)            /* AttrIndx 1 */
#define MEM        (D_AF | D_SH_INNER | D_NORMAL)

static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2_low[512] __attribute__((aligned(4096)));    /* VA [0, 1G): devices */
static uint64_t l2_ram[512] __attribute__((aligned(4096)));    /* VA [1G, 2G): RAM */
static uint64_t l2_alias[512] __attribute__((aligned(4096)));  /* VA [4G, 5G) */
static uint64_t l3[512] __attribute__((aligned(4096)));        /* AREA */

static void build_tables(void)
{
    l0[0] = (uint64_t)l1 | D_TABLE;
    l1[0] = (uint64_t)l2_low | D_TABLE;
    l1[1] = (uint64_t)l2_ram | D_TABLE;
    l1[4] = (uint64_t)l2_alias | D_TABLE;
    for (uint64_t a = 0x08000000; a < 0x0a000000; a += 2 * MB)    /* GIC, PL011 */
        l2_low[a >> 21] = a | D_AF | D_DEVICE | D_BLOCK;
    for (unsigned i = 0; i < 64; i++)                                 /* 128 MiB of RAM */
        l2_ram[i] = (RAM_BASE + i * 2 * MB) | MEM | D_BLOCK;
    l2_ram[(AREA - RAM_BASE) >> 21] = (uint64_t)l3 | D_TABLE;
    for (unsigned i = 0; i < 512; i++)
        l3[i] = (AREA + i * 4096) | MEM | D_PAGE;
    l3[(HOLE - AREA) >> 12] = 0;
    l3[(RO - AREA) >> 12] |= D_RO;
    l3[(NOEXEC - AREA) >> 12] |= D_PXN;
    l2_alias[0] = OTHER | MEM | D_BLOCK;
}

static void mmu_on(void)
{
    write_sysreg(mair_el1, 0xffULL);     /* attr0 Normal WB, attr1 Device-nGnRnE */
    /* T0SZ 16, IRGN0/ORGN0 WB, SH0 inner, TG0 4K, EPD1, IPS 40 bits */
    write_sysreg(tcr_el1, 16 | 1ULL << 8 | 1ULL << 10 | 3ULL << 12 | 1ULL << 23 | 2ULL << 32);
    write_sysreg(ttbr0_el1, (uint64_t)l0);
    __asm__ volatile("dsb ish; isb" ::: "memory");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | 1 << 2 | 1 << 12);   /* M, C, I */
    __asm__ volatile("isb" ::: "memory");
}

static volatile unsigned taken;
static struct exc_frame last;

static volatile unsigned lazy_faults;

/* Demand paging as Linux does it: map the page, retry the instruction. */
static int map_lazy(struct exc_frame *f)
{
    if (ESR_EC(f->esr) != ESR_EC_DABT_CUR || (f->far & ~0xfffULL) != LAZY)
        return 0;
    l3[(LAZY - AREA) >> 12] = LAZY | MEM | D_PAGE;
    __asm__ volatile("dsb ishst; tlbi vaae1is, %0; dsb ish; isb" : : "r"(LAZY >> 12) : "memory");
    lazy_faults++;
    return 1;
}

static int on_exception(struct exc_frame *f)
{
    if (map_lazy(f))
        return 1;
    last = *f;
    taken++;
    if (ESR_EC(f->esr) == ESR_EC_IABT_CUR)
        f->elr = f->x[30];               /* a call into the page: back to the caller */
    else
        f->elr += 4;
    return 1;
}

static int expect(const char *name, unsigned before)
{
    if (taken != before + 1) {
        printf("mmu_fault: FAIL: %s: %u exceptions\n", name, taken - before);
        return 20;
    }
    printf("mmu_fault: %s ESR_EL1=0x%08lx FAR_EL1=0x%lx\n", name, last.esr, last.far);
    return 0;
}

static uint64_t load(uint64_t a) { return *(volatile uint64_t *)a; }
static void store(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

static int aborts(void)
{
    int rc = 0;
    unsigned n = taken;
    load(HOLE + 0x128);
    rc |= expect("load_hole", n);
    n = taken;
    store(HOLE + 0x230, 1);
    rc |= expect("store_hole", n);
    n = taken;
    store(RO + 0x18, 1);
    rc |= expect("store_ro", n);
    n = taken;
    if (load(RO + 0x18) != 0x5a5a)       /* readable */
        rc |= 21;
    load(L2_HOLE + 0x40);
    rc |= expect("load_l2_hole", n);
    n = taken;
    load(TTBR1_VA + 8);
    rc |= expect("load_ttbr1", n);
    n = taken;
    ((void (*)(void))NOEXEC)();
    rc |= expect("exec_pxn", n);
    return rc;
}

/* The alias maps OTHER; remapped to OTHER + 2 MiB, TLBI VAE1IS makes the
 * change visible. */
static int remap(void)
{
    store(OTHER + 8, 0x1111);
    store(OTHER + 2 * MB + 8, 0x2222);
    uint64_t a = load(ALIAS_VA + 8);
    l2_alias[0] = (OTHER + 2 * MB) | MEM | D_BLOCK;
    __asm__ volatile("dsb ishst; tlbi vae1is, %0; dsb ish; isb" : : "r"(ALIAS_VA >> 12) : "memory");
    uint64_t b = load(ALIAS_VA + 8);
    printf("mmu_fault: alias before 0x%lx after 0x%lx\n", a, b);
    return a == 0x1111 && b == 0x2222 ? 0 : 21;
}

/* A 4K page remapped, made visible by TLBI VAALE1IS (what Linux's fixmap
 * does), read in its last KiB: Unicorn's TLB holds 1 KiB pages, and every
 * one of the page's must go. */
static int remap_page(void)
{
    store(PAGE_VA + 0xc08, 0x3333);
    store(PAGE_VA + 4096 + 0xc08, 0x4444);
    uint64_t a = load(PAGE_VA + 0xc08);
    l3[(PAGE_VA - AREA) >> 12] = (PAGE_VA + 4096) | MEM | D_PAGE;
    __asm__ volatile("dsb ishst; tlbi vaale1is, %0; dsb ish; isb" : : "r"(PAGE_VA >> 12) : "memory");
    uint64_t b = load(PAGE_VA + 0xc08);
    printf("mmu_fault: page before 0x%lx after 0x%lx\n", a, b);
    return a == 0x3333 && b == 0x4444 ? 0 : 21;
}

static void unmap_lazy(void)
{
    l3[(LAZY - AREA) >> 12] = 0;
    __asm__ volatile("dsb ishst; tlbi vaae1is, %0; dsb ish; isb" : : "r"(LAZY >> 12) : "memory");
}

/* An instruction that faults and is retried runs once: the stores and the
 * counting after it in its block must not run twice.  glibc's memset of
 * [LAZY - 4096 + 8, LAZY + 4096) to zero (sysdeps/aarch64/memset.S: DC
 * ZVA by 64-byte blocks while the count stays positive; the tail, which
 * glibc stores first, last here) over bytes that were 0xa5, its first DC
 * ZVA into LAZY faulting: prints how many
 * bytes are not zero (0) and the faults taken (1); then a store into LAZY
 * followed by an increment in the same block: prints the count (1). */
static int retried(void)
{
    uint8_t *p = (uint8_t *)(LAZY - 4096);
    for (unsigned i = 0; i < 8192; i++)
        p[i] = 0xa5;
    unmap_lazy();
    unsigned f0 = lazy_faults;
    __asm__ volatile(
        "add x6, %0, #8\n add x7, %0, #8192\n"
        "stp xzr, xzr, [x6]\n bic x8, x6, #15\n stp xzr, xzr, [x8, 16]\n"
        "stp xzr, xzr, [x8, 32]\n stp xzr, xzr, [x8, 48]\n bic x8, x8, #63\n"
        "sub x9, x7, x8\n sub x9, x9, #128\n"
        "1: add x8, x8, #64\n dc zva, x8\n subs x9, x9, #64\n b.hi 1b\n"
        "stp xzr, xzr, [x7, #-64]\n stp xzr, xzr, [x7, #-48]\n"
        "stp xzr, xzr, [x7, #-32]\n stp xzr, xzr, [x7, #-16]\n"
        : : "r"(p) : "x6", "x7", "x8", "x9", "memory", "cc");
    unsigned bad = 0;
    for (unsigned i = 8; i < 8192; i++)
        bad += p[i] != 0;
    unsigned f1 = lazy_faults;
    unmap_lazy();
    uint64_t n = 0;
    __asm__ volatile("str %1, [%2]\n add %0, %0, #1\n" : "+r"(n) : "r"(n), "r"(LAZY + 8) : "memory");
    printf("mmu_fault: retried zva nonzero %u faults %u, str+add %lu faults %u\n", bad, f1 - f0, (long)n,
           lazy_faults - f1);
    return bad || n != 1 ? 21 : 0;
}

static uint64_t dirty_round(uint64_t k)
{
    return smccc_hvc(HVSIM_HC_A64_DIRTY_ROUND, k, 0, 0);
}

/* Dirty-logging rounds ([dirty] mode): the hypervisor's count of pages
 * dirtied in a round that writes DIRTY_PAGES pages once, one that writes
 * them three times, and one that writes none of them.  The rounds also
 * dirty the stack: the same pages in each. */
#define DIRTY_PAGES 600
static void dirty_rounds(void)
{
    uint64_t n[3];
    dirty_round(0);
    for (uint64_t p = 0; p < DIRTY_PAGES; p++)
        store(DIRTY + p * 4096, p);
    n[0] = dirty_round(1);
    for (uint64_t k = 0; k < 3; k++)
        for (uint64_t p = 0; p < DIRTY_PAGES; p++)
            store(DIRTY + p * 4096 + 8 * k, p);
    n[1] = dirty_round(2);
    n[2] = dirty_round(3);
    printf("mmu_fault: dirty rounds %ld %ld %ld\n", (long)n[0], (long)n[1], (long)n[2]);
}

int main(void)
{
    exc_set_handler(on_exception);
    build_tables();
    store(RO + 0x18, 0x5a5a);
    *(volatile uint32_t *)NOEXEC = 0xd65f03c0;   /* ret */
    mmu_on();
    dirty_rounds();
    int rc = remap() | remap_page() | retried() | aborts();
    printf("mmu_fault: done\n");
    return rc;
}
