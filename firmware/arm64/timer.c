/* timer: the generic timers' interrupts through the GICv3, and the CPU
 * interface's priority rules, on one vCPU.  Every IRQ goes through the
 * runtime's vector table to on_irq(), which acknowledges (ICC_IAR1_EL1),
 * records the INTID and the running priority (ICC_RPR_EL1) and ends it
 * (ICC_EOIR1_EL1).  Phases (exit status on failure):
 *   1  virtual timer one-shot, taken while spinning (20); IRQ entry state:
 *      SPSR_EL1 = 0x345 (EL1h, D A F masked, I clear), ELR_EL1 in the loop
 *   2  virtual timer periodic x5, waiting in WFI (21)
 *   3  physical timer one-shot (spin) and periodic x5 (WFI) (22, 23)
 *   4  both timers pending at once: the higher priority (physical, 0x80)
 *      is taken before the virtual (0xa0) (24)
 *   5  preemption: inside the virtual timer's handler (RPR 0xa0) an SGI of
 *      priority 0x20 preempts, one of 0xc0 waits for the EOI (25)
 *   6  EOImode 1: EOIR drops the priority only, the interrupt stays active
 *      (GICR_ISACTIVER0) until DIR (26)
 *   7  binary point: SGI 0x88 preempts SGI 0x90 with the minimum BPR1, not
 *      with BPR1 = 5 (same group priority 0x80); RPR shows the group priority (27)
 *   8  an IRQ taken from EL1t (SPSel = 0) enters at VBAR_EL1 + 0x080 with
 *      SPSR_EL1 = 0x344 and returns to EL1t (30)
 * First, emulated MRS (CNTVCT_EL0, MPIDR_EL1) in the middle of a block must
 * run the rest of the block once (29).
 * Totals for the run: INTID 27 taken 10 times, INTID 30 7 times, 6 SGIs;
 * the guest prints how many trapped registers it accessed (CNTP_* under
 * nVHE KVM, ICC_SGI1R_EL1). */
#include "rt.h"

#define PPI_VIRT   HVSIM_VIRT_PPI_VIRT_TIMER
#define PPI_PHYS   HVSIM_VIRT_PPI_PHYS_TIMER
#define PRIO_VIRT  0xa0
#define PRIO_PHYS  0x80
#define SGI_HIGH   1           /* priority 0x20 */
#define SGI_LOW    2           /* priority 0xc0 */
#define SGI_BPR_A  3           /* priority 0x90 */
#define SGI_BPR_B  4           /* priority 0x88 */
#define TICKS      2000        /* one-shot distance, counter ticks */
#define PERIOD     1000
#define CTL_ENABLE 1
#define CTL_IMASK  2

static volatile unsigned count[32], norder, spurious, traps, inner_b, dir_active[2];
static volatile uint32_t order[32];
static volatile unsigned rpr_at[32], rpr_after_drop;
static volatile uint64_t fired_at[32], elr_first, spsr_first, due;
static volatile int phase, period_left[2], fail_code;
static volatile unsigned irq_vector;        /* vector table entry of the last IRQ */
static volatile uint64_t last_spsr;
static uint8_t el1t_stack[4096] __attribute__((aligned(16)));
extern char spin_begin[], spin_end[];

/* ---- timers: phys selects CNTP_* (each access traps under nVHE KVM) ---- */
static uint64_t now(void) { return read_sysreg(cntvct_el0); }

static void timer_set(int phys, uint64_t cval, uint64_t ctl)
{
    if (phys) {
        write_sysreg(cntp_cval_el0, cval);
        write_sysreg(cntp_ctl_el0, ctl);
        traps += 2;
    } else {
        write_sysreg(cntv_cval_el0, cval);
        write_sysreg(cntv_ctl_el0, ctl);
    }
    __asm__ volatile("isb");
}

static void timer_ctl(int phys, uint64_t ctl)
{
    if (phys) {
        write_sysreg(cntp_ctl_el0, ctl);
        traps++;
    } else {
        write_sysreg(cntv_ctl_el0, ctl);
    }
    __asm__ volatile("isb");
}

static void sgi_self(unsigned sgi)
{
    gic_send_sgi(sgi, cpu_id());
    traps++;
}

static void check(int ok, int code)
{
    if (!ok && !fail_code)
        fail_code = code;
}

/* Spins with IRQs unmasked until *c >= want (bounded); the only code an
 * IRQ can interrupt here lies in [spin_begin, spin_end). */
__attribute__((noinline)) static void spin_until(volatile unsigned *c, unsigned want)
{
    __asm__ volatile("mov x10, #0x1000000\n"
                     "msr daifclr, #2\n"
                     ".global spin_begin\nspin_begin:\n"
                     "1: ldr w9, [%0]\n cmp w9, %w1\n b.hs 2f\n subs x10, x10, #1\n b.ne 1b\n"
                     ".global spin_end\nspin_end:\n"
                     "2: msr daifset, #2\n"
                     : : "r"(c), "r"(want) : "x9", "x10", "memory", "cc");
}

/* Waits in WFI with IRQs masked (WFI wakes anyway), then unmasks briefly to
 * take what is pending: no wake-up is lost between the test and the WFI. */
static void wfi_until(volatile unsigned *c, unsigned want)
{
    for (unsigned i = 0; i < 1000 && *c < want; i++) {
        __asm__ volatile("wfi" ::: "memory");
        __asm__ volatile("msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory");
    }
}

/* ---- per-phase work in the handler; returns 1 if it ended the interrupt itself ---- */
static int on_timer(int phys, uint32_t id)
{
    fired_at[id] = now();
    if (phase == 2 || phase == 3) {
        if (period_left[phys] > 1) {
            period_left[phys]--;
            uint64_t next = (phys ? read_sysreg(cntp_cval_el0) : read_sysreg(cntv_cval_el0)) + PERIOD;
            traps += phys;
            check(fired_at[id] >= next - PERIOD, phys ? 23 : 21);
            timer_set(phys, next, CTL_ENABLE);
            return 0;
        }
        period_left[phys] = 0;
    }
    timer_ctl(phys, phase == 4 ? CTL_ENABLE | CTL_IMASK : 0);
    if (phase == 5) {
        sgi_self(SGI_LOW);
        sgi_self(SGI_HIGH);
        spin_until(&count[SGI_HIGH], 1);
        check(count[SGI_HIGH] == 1 && count[SGI_LOW] == 0 && gic_rpr() == PRIO_VIRT, 25);
    }
    if (phase == 6) {
        gic_eoi(id);
        rpr_after_drop = gic_rpr();
        uint64_t act = gic_rdist() + GICR_SGI_BASE + GICR_ISACTIVER0;
        dir_active[0] = (mmio_read32(act) >> id) & 1;
        gic_dir(id);
        dir_active[1] = (mmio_read32(act) >> id) & 1;
        return 1;
    }
    return 0;
}

static void on_irq(struct exc_frame *f)
{
    uint32_t id = gic_ack();
    if (id == GIC_SPURIOUS) {
        spurious++;
        return;
    }
    unsigned rpr = gic_rpr();
    if (!norder) {
        elr_first = f->elr;
        spsr_first = f->spsr;
    }
    last_spsr = f->spsr;
    irq_vector = rt_irq_vector;
    if (norder < 32)
        order[norder++] = id;
    if (id < 32) {
        count[id]++;
        rpr_at[id] = rpr;
    }
    int ended = 0;
    if (id == PPI_VIRT || id == PPI_PHYS) {
        ended = on_timer(id == PPI_PHYS, id);
    } else if (id == SGI_BPR_A) {
        sgi_self(SGI_BPR_B);
        unsigned before = count[SGI_BPR_B];
        for (int i = 0; i < 2000 && count[SGI_BPR_B] == before; i++)
            __asm__ volatile("msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory");
        inner_b = count[SGI_BPR_B] - before;
    }
    if (!ended)
        gic_eoi(id);
}

/* ---- phases ---- */
static int oneshot(int phys)
{
    unsigned id = phys ? PPI_PHYS : PPI_VIRT, before = count[id];
    due = now() + TICKS;
    timer_set(phys, due, CTL_ENABLE);
    spin_until(&count[id], before + 1);
    check(count[id] == before + 1 && fired_at[id] >= due && rpr_at[id] == (phys ? PRIO_PHYS : PRIO_VIRT) &&
          gic_rpr() == 0xff, phys ? 22 : 20);
    return fail_code;
}

static int periodic(int phys)
{
    unsigned id = phys ? PPI_PHYS : PPI_VIRT, before = count[id];
    period_left[phys] = 5;
    timer_set(phys, now() + PERIOD, CTL_ENABLE);
    wfi_until(&count[id], before + 5);
    check(count[id] == before + 5 && period_left[phys] == 0, phys ? 23 : 21);
    printf("timer: %s periodic: %u ticks of %u\n", phys ? "physical" : "virtual", count[id] - before, PERIOD);
    return fail_code;
}

static int both_pending(void)
{
    unsigned n = norder;
    uint64_t t = now() + TICKS;
    timer_set(0, t, CTL_ENABLE);
    timer_set(1, t + 100, CTL_ENABLE);
    while (now() < t + 200)          /* both assert while IRQs are masked */
        ;
    spin_until(&norder, n + 2);
    check(norder == n + 2 && order[n] == PPI_PHYS && order[n + 1] == PPI_VIRT, 24);
    printf("timer: both pending: taken %u then %u\n", order[n], order[n + 1]);
    timer_ctl(0, 0);
    timer_ctl(1, 0);
    return fail_code;
}

static int preemption(void)
{
    unsigned n = norder;
    oneshot(0);
    spin_until(&count[SGI_LOW], 1);
    check(count[SGI_LOW] == 1 && rpr_at[SGI_HIGH] == 0x20 && rpr_at[SGI_LOW] == 0xc0, 25);
    check(norder == n + 3 && order[n] == PPI_VIRT && order[n + 1] == SGI_HIGH && order[n + 2] == SGI_LOW, 25);
    printf("timer: preemption: order %u %u %u, RPR 0x%x in the nested handler\n", order[n], order[n + 1],
           order[n + 2], rpr_at[SGI_HIGH]);
    return fail_code;
}

static int eoimode1(void)
{
    icc_write(ICC_CTLR_EL1, 2);      /* EOImode = 1 */
    __asm__ volatile("isb");
    oneshot(0);
    icc_write(ICC_CTLR_EL1, 0);
    check(rpr_after_drop == 0xff && dir_active[0] == 1 && dir_active[1] == 0, 26);
    printf("timer: EOImode 1: RPR 0x%x after EOIR, active %u after EOIR, %u after DIR\n", rpr_after_drop,
           dir_active[0], dir_active[1]);
    return fail_code;
}

/* Runs a virtual-timer one-shot while on SP_EL0 (EL1t), on its own stack. */
static int from_el1t(void)
{
    unsigned before = count[PPI_VIRT];
    due = now() + TICKS;
    timer_set(0, due, CTL_ENABLE);
    __asm__ volatile("mov x11, sp\n"
                     "msr sp_el0, %0\n"
                     "msr spsel, #0\n"           /* EL1t: sp is SP_EL0 now */
                     "mov x10, #0x1000000\n"
                     "msr daifclr, #2\n"
                     "1: ldr w9, [%1]\n cmp w9, %w2\n b.hi 2f\n subs x10, x10, #1\n b.ne 1b\n"
                     "2: msr daifset, #2\n"
                     "msr spsel, #1\n"
                     "mov sp, x11\n"
                     : : "r"(el1t_stack + sizeof el1t_stack), "r"(&count[PPI_VIRT]), "r"(before)
                     : "x9", "x10", "x11", "memory", "cc");
    check(count[PPI_VIRT] == before + 1 && irq_vector == 1 && (last_spsr & 0x3ff) == 0x344, 30);
    printf("timer: IRQ from EL1t: vector entry %u (VBAR_EL1 + 0x%x), SPSR_EL1 0x%lx\n", irq_vector,
           irq_vector * 0x80, last_spsr & 0x3ff);
    return fail_code;
}

static int bpr(unsigned bpr1, unsigned want_bpr, unsigned want_rpr, unsigned want_inner)
{
    unsigned a = count[SGI_BPR_A], b = count[SGI_BPR_B];
    icc_write(ICC_BPR1_EL1, bpr1);
    __asm__ volatile("isb");
    unsigned got = (unsigned)icc_read(ICC_BPR1_EL1);
    sgi_self(SGI_BPR_A);
    spin_until(&count[SGI_BPR_B], b + 1);
    check(got == want_bpr && count[SGI_BPR_A] == a + 1 && count[SGI_BPR_B] == b + 1 &&
          rpr_at[SGI_BPR_A] == want_rpr && inner_b == want_inner, 27);
    printf("timer: BPR1 %u (wrote %u): RPR 0x%x for priority 0x90, 0x88 preempted it: %s\n", got, bpr1,
           rpr_at[SGI_BPR_A], inner_b ? "yes" : "no");
    return fail_code;
}

/* Instructions after an emulated MRS in the same block run once (once,
 * Unicorn re-ran them when hvsim also moved PC). */
static int mrs_once(void)
{
    uint64_t n = 0;
    /* a load that takes Unicorn's TLB-miss path (a page not used lately) */
    static volatile uint32_t far[2048] __attribute__((aligned(4096)));
    __asm__ volatile("mrs x9, mpidr_el1\n add %0, %0, #1\n ldr w10, [%1]\n add %0, %0, #1\n"
                     : "+r"(n) : "r"(&far[1024]) : "x9", "x10", "memory");
    printf("timer: emulated MRS, load, two ADDs: counted %lu\n", n);
    return n == 2;
}

int main(void)
{
    printf("timer: start; devicetree: GICD 0x%lx, GICR 0x%lx\n", rt_fdt.gicd_base, rt_fdt.gicr_base);
    if (!mrs_once())
        return 29;
    irq_set_handler(on_irq);
    gic_init();
    gic_cpu_init();
    gic_enable_private(PPI_VIRT, PRIO_VIRT);
    gic_enable_private(PPI_PHYS, PRIO_PHYS);
    gic_enable_private(SGI_HIGH, 0x20);
    gic_enable_private(SGI_LOW, 0xc0);
    gic_enable_private(SGI_BPR_A, 0x90);
    gic_enable_private(SGI_BPR_B, 0x88);

    if (oneshot(0))
        return fail_code;
    int in_loop = elr_first >= (uint64_t)spin_begin && elr_first < (uint64_t)spin_end;
    printf("timer: virtual one-shot: INTID %u, RPR 0x%x in the handler, 0x%x after\n", order[0],
           rpr_at[PPI_VIRT], gic_rpr());
    printf("timer: IRQ entry: SPSR_EL1 0x%lx, ELR_EL1 in the interrupted loop: %s\n", spsr_first & 0x3ff,
           in_loop ? "yes" : "no");
    if ((spsr_first & 0x3ff) != 0x345 || !in_loop)
        return 20;
    phase = 2;
    if (periodic(0) || oneshot(1))
        return fail_code;
    printf("timer: physical one-shot: INTID 30, RPR 0x%x in the handler\n", rpr_at[PPI_PHYS]);
    phase = 3;
    if (periodic(1))
        return fail_code;
    phase = 4;
    if (both_pending())
        return fail_code;
    phase = 5;
    if (preemption())
        return fail_code;
    phase = 6;
    if (eoimode1())
        return fail_code;
    phase = 7;
    if (bpr(0, 3, 0x90, 1) || bpr(5, 5, 0x80, 0))
        return fail_code;
    phase = 8;
    if (from_el1t())
        return fail_code;
    printf("timer: totals: INTID 27 x%u, INTID 30 x%u, SGIs x%u, spurious %u\n", count[PPI_VIRT], count[PPI_PHYS],
           count[1] + count[2] + count[3] + count[4], spurious);
    printf("timer: trapped register accesses: %u\n", traps);
    if (count[PPI_VIRT] != 10 || count[PPI_PHYS] != 7 || spurious)
        return 28;
    printf("timer: done\n");
    return 0;
}
