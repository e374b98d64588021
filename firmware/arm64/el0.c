/* el0: exceptions taken from EL0 (AArch64) to EL1 and back
 * (tests/integration/el0_arm64.sh).  The kernel (EL1h) runs user functions
 * at EL0t on their own stack (SP_EL0) with ERET; they come back with SVC.
 *
 * Part 1, MMU off: SVC (ESR, ELR, SPSR, SP_EL0 and SP_EL1 banking), an
 * UNDEFINED instruction, an EL1 register read at EL0 (UNDEFINED), a fetch
 * from an address with no memory (external instruction abort), misaligned
 * exclusives at EL0 and EL1 (alignment faults), many SVCs in a row, and
 * virtual-timer IRQs taken while EL0 runs, and virtual SErrors the VMM
 * injects (hvsim's SError hypercall), held while PSTATE.A is set, taken at
 * EL1 and from EL0.
 * Part 2, MMU on with the guest's own tables (4K granule): from EL0, a
 * translation fault, a permission fault and an access-flag fault that the
 * kernel fixes (the access is retried and succeeds), a load from an EL1-only
 * page, an instruction abort on a UXN page and on an unmapped page.
 * main prints every syndrome it saw.  Exit status: 0 ok, 20 + n a check
 * failed (the line says which), 99 an unexpected exception. */
#include "rt.h"
#include "arm64/gic.h"
#include "mmu.h"

#define PPI_VIRT      27
#define CTL_ENABLE    1
#define SPSR_EL1H     0x3c5                /* EL1h, D A I F masked */
#define SVC_EXIT      0xff                 /* user function returned */
#define SVC_ADD1      1                    /* x0 + 1 */
#define SVC_SP        2                    /* x1 = the caller's SP */
#define SVC_COUNT     3                    /* count, return the count */
#define GAP           0x1000ULL            /* no memory at this IPA */

extern char rt_stacks[];
static uint8_t user_stack[8192] __attribute__((aligned(16)));
#define USER_SP ((uint64_t)(user_stack + sizeof user_stack))

/* run_user(fn, arg, sp): fn(arg) at EL0t with SP_EL0 = sp, IRQs unmasked;
 * returns fn's result once fn returns (its SVC #0xff brings the kernel
 * back to user_done, on the same SP_EL1). */
uint64_t run_user(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t sp);
extern char user_done[], user_exit[];
__asm__(
    "    .text\n"
    "    .global run_user, user_done, user_exit\n"
    "run_user:\n"
    "    stp  x29, x30, [sp, #-96]!\n"
    "    stp  x19, x20, [sp, #16]\n"
    "    stp  x21, x22, [sp, #32]\n"
    "    stp  x23, x24, [sp, #48]\n"
    "    stp  x25, x26, [sp, #64]\n"
    "    stp  x27, x28, [sp, #80]\n"
    "    msr  sp_el0, x2\n"
    "    msr  elr_el1, x0\n"
    "    msr  spsr_el1, xzr\n"              /* EL0t, DAIF clear */
    "    mov  x0, x1\n"
    "    adr  x30, user_exit\n"
    "    eret\n"
    "user_done:\n"
    "    ldp  x19, x20, [sp, #16]\n"
    "    ldp  x21, x22, [sp, #32]\n"
    "    ldp  x23, x24, [sp, #48]\n"
    "    ldp  x25, x26, [sp, #64]\n"
    "    ldp  x27, x28, [sp, #80]\n"
    "    ldp  x29, x30, [sp], #96\n"
    "    ret\n"
    "    .balign 16\n"
    "user_exit:\n"
    "    svc  #0xff\n"
    "    b    user_exit\n");

/* ---- the kernel's handlers ---- */
static volatile uint64_t svcs, irqs, irq_target, irq_bad;
static struct exc_frame last;
static volatile unsigned taken;
static uint64_t last_sp_el0, kstack_lo, kstack_hi;
static int (*fixup)(struct exc_frame *f);   /* part 2: fix a fault and retry */

static int on_sync(struct exc_frame *f)
{
    uint64_t self = (uint64_t)f;
    if ((f->spsr & 0xf) == 5 && ESR_EC(f->esr) == ESR_EC_DABT_CUR && (f->esr & 0x3f) == 0x21) {
        last = *f;                       /* the kernel's own alignment fault */
        taken++;
        f->elr += 4;
        return 1;
    }
    if ((f->spsr & 0xf) != 0 || self < kstack_lo || self >= kstack_hi)
        return 0;                        /* only EL0's, on the kernel stack */
    if (ESR_EC(f->esr) == 0x15) {        /* SVC64 */
        switch (f->esr & 0xffff) {
        case SVC_EXIT:
            f->elr = (uint64_t)user_done;
            f->spsr = SPSR_EL1H;
            return 1;
        case SVC_ADD1: f->x[0]++; return 1;
        case SVC_SP: last_sp_el0 = read_sysreg(sp_el0); f->x[1] = last_sp_el0; return 1;
        case SVC_COUNT: f->x[0] = ++svcs; return 1;
        }
    }
    last = *f;
    taken++;
    if (fixup && fixup(f))
        return 1;
    if (ESR_EC(f->esr) == ESR_EC_IABT_LOW)
        f->elr = f->x[30];               /* a call: back to the caller */
    else
        f->elr += 4;
    return 1;
}

static void timer_arm(uint64_t ticks)
{
    write_sysreg(cntv_tval_el0, ticks);
    write_sysreg(cntv_ctl_el0, CTL_ENABLE);
    __asm__ volatile("isb");
}

static void on_irq(struct exc_frame *f)
{
    uint32_t id = gic_ack();
    if (id == PPI_VIRT) {
        irqs++;
        /* from EL0t, at a user PC, with the user's SP in SP_EL0 */
        uint64_t sp0 = read_sysreg(sp_el0);
        if (rt_irq_vector != 9 || (f->spsr & 0xf) != 0 || sp0 > USER_SP || sp0 < (uint64_t)user_stack)
            irq_bad++;
        if (irqs < irq_target)
            timer_arm(300);
        else
            write_sysreg(cntv_ctl_el0, 0);
    }
    if (id != GIC_SPURIOUS)
        gic_eoi(id);
}

/* ---- part 1: user functions (EL0, MMU off) ---- */
#define SVC(imm, x0) ({ register uint64_t r0_ __asm__("x0") = (x0); \
    __asm__ volatile("svc #" #imm : "+r"(r0_) : : "x1", "memory"); r0_; })

static uint64_t u_add(uint64_t a) { return SVC(1, a) + SVC(1, 100); }

static uint64_t u_sp(uint64_t a)
{
    register uint64_t r1 __asm__("x1");
    uint64_t mine;
    __asm__ volatile("mov %0, sp; svc #2" : "=&r"(mine), "=r"(r1) : : "x0", "memory");
    return r1 == mine ? a : 0;
}

static uint64_t u_undef(uint64_t a)
{
    __asm__ volatile(".inst 0x00000000" ::: "memory");    /* UDF #0 */
    return a;
}

static uint64_t u_mrs(uint64_t a)
{
    uint64_t x;
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(x) : : "memory");   /* EL1 only */
    return a + (x & 0);
}

static uint64_t u_load(uint64_t a) { return *(volatile uint64_t *)a; }

static uint64_t u_ldxr(uint64_t a)
{
    uint64_t x;
    __asm__ volatile("ldxr %0, [%1]" : "=r"(x) : "r"(a) : "memory");   /* exclusives must be aligned */
    return x;
}

static uint64_t u_jump(uint64_t a)
{
    ((void (*)(void))a)();
    return 7;
}

static uint64_t u_svcs(uint64_t n)
{
    uint64_t c = 0;
    for (uint64_t i = 0; i < n; i++)
        c = SVC(3, 0);
    return c;
}

/* Spins at EL0 until the kernel has taken `n` timer IRQs, counting SVCs
 * on the way (the IRQs arrive between them).  Reads the kernel's counter:
 * the MMU is off, so EL0 may. */
static uint64_t u_irqs(uint64_t n)
{
    uint64_t c = 0;
    while (irqs < n)
        c = SVC(3, 0);
    return c;
}

static int fails;
static void check(int ok, int code, const char *what)
{
    if (!ok) {
        printf("el0: FAIL %d: %s\n", code, what);
        if (!fails)
            fails = code;
    }
}

static volatile unsigned serror_kind[2], serrors;
static void on_serror(struct exc_frame *f, unsigned kind)
{
    last = *f;
    if (serrors < 2)
        serror_kind[serrors] = kind;
    serrors++;
    taken++;
}

static void show(const char *name, unsigned before)
{
    check(taken == before + 1, 20, name);
    printf("el0: %s ESR_EL1=0x%08lx FAR_EL1=0x%lx ELR_EL1=0x%lx SPSR_EL1=0x%lx\n", name, last.esr, last.far,
           last.elr, last.spsr);
}

static void part1(void)
{
    check(run_user(u_add, 41, USER_SP) == 42 + 101, 21, "svc add");
    check(run_user(u_sp, 5, USER_SP - 64) == 5 && last_sp_el0 > (uint64_t)user_stack &&
          last_sp_el0 <= USER_SP - 64, 22, "SP_EL0 banking");
    unsigned n = taken;
    run_user(u_undef, 0, USER_SP);
    show("undef", n);
    n = taken;
    run_user(u_mrs, 0, USER_SP);
    show("mrs_el1", n);
    n = taken;
    check(run_user(u_jump, GAP, USER_SP) == 7, 23, "return after the instruction abort");
    show("fetch_gap", n);
    n = taken;
    run_user(u_ldxr, (uint64_t)user_stack + 4, USER_SP);
    show("ldxr_unaligned", n);
    n = taken;
    uint64_t value;
    __asm__ volatile("ldaxr %0, [%1]" : "=r"(value) : "r"((uint64_t)user_stack + 2) : "memory");
    show("ldaxr_unaligned_el1", n);
    check(run_user(u_svcs, 1000, USER_SP) == 1000, 24, "1000 SVCs");
    /* 40 timer IRQs taken at EL0 while it makes SVCs */
    irq_target = 40;
    gic_enable_private(PPI_VIRT, 0x80);
    timer_arm(300);
    uint64_t c = run_user(u_irqs, 40, USER_SP);
    check(irqs == 40 && irq_bad == 0, 25, "IRQs from EL0");
    printf("el0: svcs %lu irqs %lu (svcs made while waiting: %s)\n", (unsigned long)svcs, (unsigned long)irqs,
           c > 1000 ? "yes" : "no");
    /* Virtual SErrors: ISS bits above 24 are refused; one injected while
     * PSTATE.A is set waits for A to clear (at EL1, vector 7); one pending
     * when the kernel returns to EL0 is taken there (vector 11), and the
     * user function goes on. */
    serror_set_handler(on_serror);
    n = taken;
    __asm__ volatile("msr daifset, #4" ::: "memory");
    check(smccc_hvc(HVSIM_HC_A64_SERROR, 1u << 25, 0, 0) == (uint64_t)SMCCC_RET_INVALID_PARAMETER, 26,
          "SError ISS beyond 24 bits refused");
    check(smccc_hvc(HVSIM_HC_A64_SERROR, 0x1000042, 0, 0) == 0, 26, "SError injected");
    for (volatile unsigned i = 0; i < 1000; i++)
        ;
    check(taken == n, 26, "SError held while PSTATE.A is set");
    __asm__ volatile("msr daifclr, #4" ::: "memory");
    show("serror_el1", n);
    n = taken;
    __asm__ volatile("msr daifset, #4" ::: "memory");
    check(smccc_hvc(HVSIM_HC_A64_SERROR, 0, 0, 0) == 0, 26, "SError injected");
    check(run_user(u_add, 1, USER_SP) == 2 + 101, 26, "user code goes on after the SError");
    show("serror_el0", n);
    __asm__ volatile("msr daifclr, #4" ::: "memory");
    printf("el0: serror vectors %u %u (%u taken)\n", serror_kind[0], serror_kind[1], serrors);
}

/* ---- part 2: the guest's own tables ---- */
#define RAM_BASE   0x40000000ULL
#define MB         (1ULL << 20)
#define D_TABLE    3ULL
#define D_BLOCK    1ULL
#define D_PAGE     3ULL
#define D_AF       (1ULL << 10)
#define D_SH_INNER (3ULL << 8)
#define D_AP_EL0   (1ULL << 6)            /* AP[1]: EL0 access */
#define D_RO       (1ULL << 7)            /* AP[2] */
#define D_PXN      (1ULL << 53)
#define D_UXN      (1ULL << 54)
#define D_DEVICE   (1ULL << 2)            /* AttrIndx 1 */
#define MEM        (D_AF | D_SH_INNER)
#define AREA       (RAM_BASE + 64 * MB)   /* 2 MiB mapped with 4K pages */
#define U_HOLE     (AREA + 1 * 4096)      /* not mapped, until the kernel maps it */
#define U_RO       (AREA + 2 * 4096)      /* EL0 read-only, until made writable */
#define U_NOAF     (AREA + 3 * 4096)      /* access flag clear, until set */
#define K_ONLY     (AREA + 4 * 4096)      /* EL1 only */
#define U_XN       (AREA + 5 * 4096)      /* EL0 RW, UXN */
#define U_NOCODE   (AREA + 6 * 4096)      /* not mapped */
#define U_STACK    (AREA + 8 * 4096)      /* 2 pages */

static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2_low[512] __attribute__((aligned(4096)));
static uint64_t l2_ram[512] __attribute__((aligned(4096)));
static uint64_t l3_img[512] __attribute__((aligned(4096)));   /* first 2 MiB: the image */
static uint64_t l3[512] __attribute__((aligned(4096)));       /* AREA */

static uint64_t *pte(uint64_t va) { return &l3[(va - AREA) >> 12]; }

static void build_tables(void)
{
    l0[0] = (uint64_t)l1 | D_TABLE;
    l1[0] = (uint64_t)l2_low | D_TABLE;
    l1[1] = (uint64_t)l2_ram | D_TABLE;
    for (uint64_t a = 0x08000000; a < 0x0a000000; a += 2 * MB)    /* GIC, PL011: EL1 */
        l2_low[a >> 21] = a | D_AF | D_DEVICE | D_BLOCK | D_PXN | D_UXN;
    for (unsigned i = 0; i < 64; i++)                                 /* 128 MiB: EL1 */
        l2_ram[i] = (RAM_BASE + i * 2 * MB) | MEM | D_BLOCK | D_UXN;
    /* The image: code read-only and executable at EL0 and EL1 (user
     * functions live in the kernel's text), data EL1 only. */
    extern char __text_end[];
    l2_ram[0] = (uint64_t)l3_img | D_TABLE;
    for (unsigned i = 0; i < 512; i++) {
        uint64_t a = RAM_BASE + i * 4096ULL;
        int text = a >= 0x40080000ULL && a < (uint64_t)__text_end;
        l3_img[i] = a | MEM | D_PAGE | (text ? D_RO | D_AP_EL0 : D_UXN);
    }
    l2_ram[(AREA - RAM_BASE) >> 21] = (uint64_t)l3 | D_TABLE;
    for (unsigned i = 0; i < 512; i++)
        l3[i] = (AREA + i * 4096) | MEM | D_PAGE | D_UXN;            /* EL1 RW */
    *pte(U_HOLE) = 0;
    *pte(U_RO) |= D_AP_EL0 | D_RO | D_PXN;
    *pte(U_NOAF) = (U_NOAF | MEM | D_PAGE | D_AP_EL0 | D_UXN | D_PXN) & ~D_AF;
    *pte(U_XN) |= D_AP_EL0 | D_PXN;
    *pte(U_NOCODE) = 0;
    *pte(U_STACK) |= D_AP_EL0 | D_PXN;
    *pte(U_STACK + 4096) |= D_AP_EL0 | D_PXN;
}

/* Turns the tables on (TG0 4K, 48-bit VA, attr0 Normal, attr1 Device) */
static void mmu_on(void)
{
    struct mmu m = { .root = (uint64_t)l0, .levels = 4 };
    mmu_arch_enable(&m);
}

static void tlbi_page(uint64_t va)
{
    __asm__ volatile("dsb ishst; tlbi vae1, %0; dsb ish; isb" : : "r"(va >> 12) : "memory");
}

/* The kernel's repairs: map the hole, make the read-only page writable,
 * set the access flag; the faulting instruction then runs again. */
static unsigned fixes;
static int fix(struct exc_frame *f)
{
    uint64_t fsc = f->esr & 0x3f, page = f->far & ~0xfffULL;
    if (ESR_EC(f->esr) != ESR_EC_DABT_LOW)
        return 0;
    if (fsc == 0x07 && page == U_HOLE)
        *pte(U_HOLE) = U_HOLE | MEM | D_PAGE | D_AP_EL0 | D_UXN | D_PXN;
    else if (fsc == 0x0f && page == U_RO)
        *pte(U_RO) &= ~D_RO;
    else if (fsc == 0x0b && page == U_NOAF)
        *pte(U_NOAF) |= D_AF;
    else
        return 0;
    tlbi_page(page);
    fixes++;
    return 1;
}

static uint64_t u_store(uint64_t a) { *(volatile uint64_t *)a = 0x600d; return *(volatile uint64_t *)a; }

static void part2(void)
{
    *(volatile uint64_t *)(U_HOLE + 0x48) = 0x1234;
    *(volatile uint64_t *)(U_NOAF + 0x10) = 0x5678;
    *(volatile uint32_t *)U_XN = 0xd65f03c0;      /* ret */
    build_tables();
    mmu_on();
    fixup = fix;
    uint64_t sp = U_STACK + 2 * 4096;
    unsigned n = taken;
    check(run_user(u_load, U_HOLE + 0x48, sp) == 0x1234, 26, "load after the translation fault");
    show("load_hole", n);
    n = taken;
    check(run_user(u_store, U_RO + 0x20, sp) == 0x600d, 27, "store after the permission fault");
    show("store_ro", n);
    n = taken;
    check(run_user(u_load, U_NOAF + 0x10, sp) == 0x5678, 28, "load after the access-flag fault");
    show("load_noaf", n);
    n = taken;
    run_user(u_load, K_ONLY + 0x8, sp);
    show("load_el1_only", n);
    n = taken;
    check(run_user(u_jump, U_XN, sp) == 7, 29, "return after the UXN abort");
    show("exec_uxn", n);
    n = taken;
    run_user(u_jump, U_NOCODE + 0x10, sp);
    show("exec_hole", n);
    check(fixes == 3, 30, "three faults fixed");
}

int main(void)
{
    kstack_lo = (uint64_t)rt_stacks;
    kstack_hi = (uint64_t)rt_stacks + RT_STACK_SIZE;
    exc_set_handler(on_sync);
    irq_set_handler(on_irq);
    gic_init();
    gic_cpu_init();
    part1();
    printf("el0: part 1 done\n");
    part2();
    printf("el0: done\n");
    return fails;
}
