/* microbench: the cost of single virtualization operations, in the spirit
 * of kvm-unit-tests arm/micro-bench.c (whose figures on a Kunpeng 920 the
 * default design is calibrated to, docs/arm-calibration.md).  Each test
 * runs its operation N times, timing each one with the virtual counter
 * (ISB; CNTVCT_EL0; operation; ISB; CNTVCT_EL0, as micro-bench's
 * loop_test), and prints
 *     <name>: <avg cycles> cycles <avg ns> ns
 * with ns from CNTFRQ_EL0 and cycles from the counter-to-core clock ratio,
 * measured once with the CYCLES hypercall (outside every timed region).
 *   hvc             HVC #0 with w0 = 0x4b000000 (an SMCCC call nobody
 *                   implements: the bare hypercall round trip)
 *   mmio_read_user  32-bit read of the PL011's UARTFR: a device the
 *                   userspace VMM emulates (micro-bench reads virtio-mmio)
 *   mmio_read_vgic  GICD_IIDR: emulated in the kernel (the vgic)
 *   eoi             ICC_EOIR1_EL1 <- 1023 (spurious: ignored), served by the
 *                   virtual CPU interface without an exit
 *   ipi             SGI 1 from CPU 0 to CPU 1, which spins with IRQs on
 *   lpi             an ITS INT command for DeviceID 0, event 0 (mapped to
 *                   LPI 8192 on CPU 1), queued by CPU 0 with one
 *                   GITS_CWRITER write and no wait (micro-bench's
 *                   its_send_int_nv)
 *   lpi_msi         GITS_TRANSLATER <- event 0 written by CPU 0 (DeviceID 0):
 *                   the same LPI through the MSI path (the VMM signals it)
 *   timer           the virtual timer programmed TIMER_TICKS ahead, taken
 *                   while spinning (micro-bench timer_10ms uses 10 ms);
 *                   the programmed distance is subtracted
 * For ipi, lpi and timer the operation ends when the handler has EOId the
 * interrupt: the handler records the counter there, on whichever CPU took
 * it (vCPU clocks are one simulated time, so the figure does not depend on
 * how the simulator interleaves the vCPUs).
 * Exit status: 0 ok; 50 fewer than 2 CPUs or CPU 1 did not start; 51 hvc
 * did not return NOT_SUPPORTED; 52 GICD_IIDR reads 0; 53 running priority
 * not idle after the spurious EOI; 54 an interrupt missing or of the wrong
 * INTID; 55 an ITS command stalled; 56 the counter ratio is unusable. */
#include "rt.h"

#define N_EXIT      256          /* hvc, mmio, eoi iterations */
#define N_IRQ       64           /* ipi, lpi, lpi_msi, timer iterations */
#define SGI_IPI     1
#define PPI_VTIMER  HVSIM_VIRT_PPI_VIRT_TIMER
#define PRIO        0xa0
#define TIMER_TICKS 2000         /* 20 us at 100 MHz */
#define CTL_ENABLE  1
#define CTL_IMASK   2
#define GICD_IIDR   0x0008u
#define SMCCC_MB    0x4b000000u  /* micro-bench's hvc function ID */

static volatile unsigned ready, got, bad;
static volatile uint32_t want;
static volatile uint64_t irq_end;
static uint64_t cntfrq, cyc_per_tick_milli;

static inline uint64_t ticks(void)
{
    __asm__ volatile("isb" ::: "memory");
    return read_sysreg(cntvct_el0);
}

static void on_irq(struct exc_frame *f __attribute__((unused)))
{
    uint32_t id = gic_ack();
    if (id == GIC_SPURIOUS)
        return;
    if (id == PPI_VTIMER) {
        write_sysreg(cntv_ctl_el0, CTL_ENABLE | CTL_IMASK);
        __asm__ volatile("isb");
    }
    gic_eoi(id);
    irq_end = ticks();
    if (id != want)
        bad++;
    __atomic_add_fetch(&got, 1, __ATOMIC_SEQ_CST);
}

/* ---- the operations ---- */
static int64_t hvc_ret;
__attribute__((noinline)) static void hvc_exec(void)
{
    register uint64_t x0 __asm__("x0") = SMCCC_MB;
    __asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    hvc_ret = (int64_t)x0;
}

static uint32_t sink;
__attribute__((noinline)) static void mmio_user_exec(void) { sink = mmio_read32(rt_uart_base + PL011_UARTFR); }
__attribute__((noinline)) static void mmio_vgic_exec(void) { sink = mmio_read32(HVSIM_VIRT_GICD_BASE + GICD_IIDR); }
__attribute__((noinline)) static void eoi_exec(void) { gic_eoi(GIC_SPURIOUS); }

/* Waits (bounded) for the interrupt the operation raised; 0 if it came. */
static int wait_irq(unsigned before)
{
    for (unsigned i = 0; i < 10000000 && got == before; i++)
        cpu_relax();
    return got == before;
}

static void print_result(const char *name, uint64_t total_ticks, unsigned n)
{
    uint64_t cyc = total_ticks * cyc_per_tick_milli / 1000 / n;
    uint64_t ns = total_ticks * 1000000000ull / cntfrq / n;
    printf("%s: %lu cycles %lu ns\n", name, cyc, ns);
}

/* One exit-style test: the operation alone between the two counter reads. */
static void loop_test(const char *name, void (*exec)(void))
{
    uint64_t total = 0;
    for (unsigned i = 0; i < N_EXIT; i++) {
        uint64_t t0 = ticks();
        exec();
        total += ticks() - t0;
    }
    print_result(name, total, N_EXIT);
}

static void send_ipi(void) { gic_send_sgi(SGI_IPI, 1); }
static void send_msi(void) { its_msi(0); }
static void send_int(void) { its_cmd_nv(ITS_INT, 0, 0, 0); }   /* DeviceID 0, EventID 0 */

/* One interrupt test: the operation, then the handler's end stamp.
 * Returns nonzero if an interrupt did not arrive. */
static int irq_test(const char *name, uint32_t intid, void (*exec)(void))
{
    uint64_t total = 0;
    want = intid;
    for (unsigned i = 0; i < N_IRQ; i++) {
        unsigned before = got;
        uint64_t t0 = ticks();
        exec();
        if (wait_irq(before))
            return 1;
        total += irq_end - t0;
    }
    print_result(name, total, N_IRQ);
    return 0;
}

static int timer_test(void)
{
    uint64_t total = 0;
    want = PPI_VTIMER;
    gic_enable_private(PPI_VTIMER, PRIO);
    irq_enable();
    for (unsigned i = 0; i < N_IRQ; i++) {
        unsigned before = got;
        uint64_t t0 = ticks();
        write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + TIMER_TICKS);
        write_sysreg(cntv_ctl_el0, CTL_ENABLE);
        __asm__ volatile("isb");
        if (wait_irq(before))
            return 1;
        total += irq_end - t0 - TIMER_TICKS;
    }
    irq_disable();
    write_sysreg(cntv_ctl_el0, 0);
    print_result("timer", total, N_IRQ);
    return 0;
}

static void secondary(uint64_t arg __attribute__((unused)))
{
    gic_cpu_init();
    gic_enable_private(SGI_IPI, PRIO);
    lpi_rdist_init(PRIO, 1);
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    irq_enable();
    for (;;)
        cpu_relax();
}

/* Device 0, event 0 -> LPI 8192 in collection 0 on CPU 1 (processor 1). */
static int its_setup(void)
{
    lpi_rdist_init(PRIO, 1);
    its_init();
    uint64_t r = ITS_MAPD(0, 3, its_itt(0), 1);
    r |= ITS_MAPC(0, 1, 1);
    r |= ITS_MAPTI(0, 0, ITS_LPI_BASE, 0);
    r |= ITS_SYNC(1);
    return (r & 1) ? -1 : 0;
}

/* Core cycles per counter tick (x1000), over a spin of ~1e5 cycles. */
static int clock_ratio(void)
{
    cntfrq = read_sysreg(cntfrq_el0);
    uint64_t c0 = hv_cycles(), t0 = ticks();
    for (volatile unsigned i = 0; i < 20000; i++)
        ;
    uint64_t c1 = hv_cycles(), t1 = ticks();
    if (!cntfrq || t1 <= t0)
        return -1;
    cyc_per_tick_milli = (c1 - c0) * 1000 / (t1 - t0);
    printf("microbench: CNTFRQ %lu Hz, %lu.%03lu cycles per tick\n", cntfrq, cyc_per_tick_milli / 1000,
           cyc_per_tick_milli % 1000);
    return 0;
}

int main(void)
{
    printf("microbench: start, %u CPUs\n", cpu_count());
    if (cpu_count() < 2)
        return 50;
    if (clock_ratio() < 0)
        return 56;
    irq_set_handler(on_irq);
    gic_init();
    gic_cpu_init();
    if (cpu_start(1, secondary, 0) != 0)
        return 50;
    for (unsigned i = 0; i < 1000000 && !ready; i++)
        cpu_relax();
    if (!ready)
        return 50;

    loop_test("hvc", hvc_exec);
    if (hvc_ret != SMCCC_RET_NOT_SUPPORTED)
        return 51;
    loop_test("mmio_read_user", mmio_user_exec);
    loop_test("mmio_read_vgic", mmio_vgic_exec);
    if (!sink)
        return 52;
    loop_test("eoi", eoi_exec);
    if (gic_rpr() != 0xff)
        return 53;
    if (irq_test("ipi", SGI_IPI, send_ipi))
        return 54;
    if (its_setup() < 0)
        return 55;
    if (irq_test("lpi", ITS_LPI_BASE, send_int))
        return 54;
    if (irq_test("lpi_msi", ITS_LPI_BASE, send_msi))
        return 54;
    if (timer_test())
        return 54;
    if (bad)
        return 54;
    printf("microbench: done, %u interrupts\n", got);
    return 0;
}
