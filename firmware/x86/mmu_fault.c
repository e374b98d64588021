/* mmu_fault: IA-32e paging as the guest sets it up, for hvsim's
 * translation model (tests/integration/mmu_fault.sh, [mmu] model = on).
 * Builds 4-level tables (1 GiB identity with 2 MiB pages, one 2 MiB region
 * with 4 KiB pages, an alias at 512 GiB), turns paging on with CR0.WP and
 * EFER.NXE, and checks: a non-identity mapping, remaps made visible by
 * INVLPG and by a CR3 reload, and the #PF of a missing page, a missing
 * page-directory entry, a read-only page, an execute-disable page and a
 * reserved bit (above MAXPHYADDR, 39).  main prints each #PF's error code
 * and CR2.  Exit status: 0 ok, 20 an expected fault did not arrive, 21 a
 * value read through a mapping is wrong, 99 an unexpected exception. */
#include "rt.h"
#include "x86/exc.h"

#define MB        (1ULL << 20)
#define AREA      (64 * MB)                /* 2 MiB mapped with 4K pages */
#define OTHER     (66 * MB)                /* alias targets */
#define DIRTY     (80 * MB)                /* dirty-logging rounds: DIRTY_PAGES pages */
#define ALIAS_VA  0x8000000000ULL          /* PML4 index 1 */
#define HOLE      (AREA + 3 * 4096)        /* P = 0 */
#define RO        (AREA + 4 * 4096)        /* R/W = 0 */
#define NOEXEC    (AREA + 5 * 4096)        /* XD = 1 */
#define RSVD      (AREA + 6 * 4096)        /* bit 45 set: reserved above MAXPHYADDR 39 */
#define PD_HOLE   (200 * MB)               /* PDE P = 0 */

/* Paging entries (SDM Vol. 3A Table 4-19, 4-20) */
#define P   1ULL
#define RW  2ULL
#define PS  (1ULL << 7)
#define XD  (1ULL << 63)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint64_t pdpt_alias[512] __attribute__((aligned(4096)));
static uint64_t pd_alias[512] __attribute__((aligned(4096)));

/* Known instruction lengths: the #PF handler skips 3 bytes */
__asm__(".text\n"
        ".global probe_load\n probe_load: mov (%rdi), %rax\n ret\n"      /* 48 8b 07 */
        ".global probe_store\n probe_store: mov %rsi, (%rdi)\n ret\n");  /* 48 89 37 */
uint64_t probe_load(uint64_t a);
void probe_store(uint64_t a, uint64_t v);

static void build_tables(void)
{
    pml4[0] = (uint64_t)pdpt | P | RW;
    pml4[1] = (uint64_t)pdpt_alias | P | RW;
    pdpt[0] = (uint64_t)pd | P | RW;
    for (unsigned i = 0; i < 512; i++)
        pd[i] = i * 2 * MB | P | RW | PS;
    pd[AREA >> 21] = (uint64_t)pt | P | RW;
    pd[PD_HOLE >> 21] = 0;
    for (unsigned i = 0; i < 512; i++)
        pt[i] = (AREA + i * 4096) | P | RW;
    pt[(HOLE - AREA) >> 12] = 0;
    pt[(RO - AREA) >> 12] &= ~RW;
    pt[(NOEXEC - AREA) >> 12] |= XD;
    pt[(RSVD - AREA) >> 12] |= 1ULL << 45;
    pdpt_alias[0] = (uint64_t)pd_alias | P | RW;
    pd_alias[0] = OTHER | P | RW | PS;
}

static void paging_on(void)
{
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 1 << 5));                 /* PAE */
    __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)pml4) : "memory");
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
    lo |= 1 << 8 | 1 << 11;                                                  /* LME, NXE */
    __asm__ volatile("wrmsr" : : "a"(lo), "d"(hi), "c"(0xc0000080));
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 1ULL << 31 | 1 << 16 | 1) : "memory");   /* PG, WP, PE */
}

static volatile unsigned taken;
static struct x86_frame last;
static uint64_t last_cr2;

static int on_exception(struct x86_frame *f)
{
    if (f->vector != X86_VEC_PF)
        return 0;
    last = *f;
    __asm__ volatile("mov %%cr2, %0" : "=r"(last_cr2));
    taken++;
    if (f->error & 0x10) {               /* fetch: return to the caller */
        f->rip = *(uint64_t *)f->rsp;
        f->rsp += 8;
    } else {
        f->rip += 3;
    }
    return 1;
}

static int expect(const char *name, unsigned before)
{
    if (taken != before + 1) {
        printf("mmu_fault: FAIL: %s: %u exceptions\n", name, taken - before);
        return 20;
    }
    printf("mmu_fault: %s error=0x%lx CR2=0x%lx\n", name, last.error, last_cr2);
    return 0;
}

static int faults(void)
{
    int rc = 0;
    unsigned n = taken;
    probe_load(HOLE + 0x128);
    rc |= expect("load_hole", n);
    n = taken;
    probe_store(HOLE + 0x230, 1);
    rc |= expect("store_hole", n);
    n = taken;
    probe_store(RO + 0x18, 1);
    rc |= expect("store_ro", n);
    if (probe_load(RO + 0x18) != 0x5a5a)
        rc |= 21;
    n = taken;
    probe_load(PD_HOLE + 0x40);
    rc |= expect("load_pd_hole", n);
    n = taken;
    probe_load(RSVD + 0x10);
    rc |= expect("load_rsvd", n);
    n = taken;
    ((void (*)(void))NOEXEC)();
    rc |= expect("exec_xd", n);
    return rc;
}

/* The alias maps OTHER; remapped to OTHER + 2 MiB and made visible with
 * INVLPG, then back to OTHER with a CR3 reload. */
static int remap(void)
{
    probe_store(OTHER + 8, 0x1111);
    probe_store(OTHER + 2 * MB + 8, 0x2222);
    uint64_t a = probe_load(ALIAS_VA + 8);
    pd_alias[0] = (OTHER + 2 * MB) | P | RW | PS;
    __asm__ volatile("invlpg (%0)" : : "r"(ALIAS_VA + 8) : "memory");
    uint64_t b = probe_load(ALIAS_VA + 8);
    pd_alias[0] = OTHER | P | RW | PS;
    __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)pml4) : "memory");
    uint64_t c = probe_load(ALIAS_VA + 8);
    printf("mmu_fault: alias 0x%lx, after INVLPG 0x%lx, after MOV CR3 0x%lx\n", a, b, c);
    return a == 0x1111 && b == 0x2222 && c == 0x1111 ? 0 : 21;
}

static uint64_t dirty_round(uint64_t k)
{
    return vmcall(HVSIM_HC_X86_DIRTY_ROUND, k, 0, 0, 0);
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
        probe_store(DIRTY + p * 4096, p);
    n[0] = dirty_round(1);
    for (uint64_t k = 0; k < 3; k++)
        for (uint64_t p = 0; p < DIRTY_PAGES; p++)
            probe_store(DIRTY + p * 4096 + 8 * k, p);
    n[1] = dirty_round(2);
    n[2] = dirty_round(3);
    printf("mmu_fault: dirty rounds %ld %ld %ld\n", (long)n[0], (long)n[1], (long)n[2]);
}

int main(void)
{
    exc_init();
    exc_set_handler(on_exception);
    build_tables();
    probe_store(RO + 0x18, 0x5a5a);
    *(volatile uint8_t *)NOEXEC = 0xc3;  /* ret */
    paging_on();
    dirty_rounds();
    int rc = remap() | faults();
    printf("mmu_fault: done\n");
    return rc;
}
