/* microbench: exit and interrupt round trips in the spirit of kvm-unit-tests
 * x86/vmexit.c.  Each test runs ITERS times (guest.arg0 overrides) between
 * two RDTSCs and prints "<name>: <avg cycles> cycles <avg ns> ns", ns at the
 * TSC frequency of CPUID 40000010H (hvsim: the design's core clock).
 *  - cpuid, vmcall: unconditional exits (vmcall: KVM's hypercall 0, which
 *    KVM answers -KVM_ENOSYS);
 *  - mov_from_cr8, mov_to_cr8: the TPR; exit only without TPR shadow;
 *  - inl_from_kernel: IN from the 8259 ELCR (port 4D0H), which KVM's
 *    in-kernel PIC emulates, as vmexit.c's inl_nop_kernel;
 *  - ipi: a fixed IPI to CPU 1, which spins with interrupts on, until its
 *    handler (EOI, acknowledge) has run, as vmexit.c's on_cpu(1, nop);
 *  - ipi_halt: the same with CPU 1 halted (STI; HLT), then a 2,000-cycle
 *    spin that lets it halt again, inside the measurement as in vmexit.c;
 *  - tscdeadline: arm the TSC-deadline timer 3,000 cycles ahead and wait
 *    for its interrupt; tscdeadline_immed: a deadline already passed;
 *  - x2apic_ipi, x2apic_ipi_halt: ipi and ipi_halt again in x2APIC mode
 *    (IPI virtualization reports the two modes separately).
 * Every handler writes EOI.  CPU 0 waits for CPU 1 by spinning on memory,
 * so a round trip is seen at the next scheduling quantum: run with a small
 * sim.quantum_cycles (tests and experiments use 100) for ipi figures.
 * Exit status: 0 ok; 60 CPU 1 did not start;
 * 61 cpuid; 62 vmcall; 63 CR8/TPR; 64 ELCR; 65 an IPI lost; 66 a timer
 * interrupt lost or early; 67 an unexpected vector. */
#include "apic.h"
#include "hvsim-abi.h"
#include "x86/arch.h"

#define ITERS        64
#define IPI_VEC      0xb0
#define TIMER_VEC    0xb1
#define DEADLINE     3000    /* vmexit.c tscdeadline: rdtsc() + 3000 */
#define HALT_SPIN    2000    /* vmexit.c ipi_halt: 2000 TSC cycles */
#define KVM_ENOSYS   1000
#define ELCR_PORT    HVSIM_PC_ELCR
#define APIC_TPR     0x080

enum cpu1_mode { CPU1_SPIN, CPU1_HALT, CPU1_X2APIC, CPU1_DONE };

static volatile unsigned ipis, timers, bad, cpu1_ready;
static volatile enum cpu1_mode cpu1_mode;
static volatile uint64_t timer_tsc, timer_deadline;
static unsigned iters;
static uint64_t tsc_khz;

/* EOI first, then the acknowledgement the sender waits for (kvm-unit-tests
 * lib/x86/smp.c ipi(): EOI, then the function, then the flag). */
void apic_irq_handler(unsigned vector)
{
    unsigned me = cpu_id();
    if (vector == IPI_VEC && me == 1) {
        apic_eoi();
        ipis++;
        return;
    }
    if (vector == TIMER_VEC && me == 0) {
        timer_tsc = rdtsc();
        if (timer_tsc < timer_deadline)
            bad++;
        timers++;
    } else
        bad++;
    apic_eoi();
}

/* ---- the measured operations ---- */
static void t_cpuid(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

static uint64_t kvm_hypercall0(void)
{
    uint64_t a = 0;
    __asm__ volatile("vmcall" : "+a"(a) : : "rbx", "rcx", "rdx", "rsi", "memory");
    return a;
}
static void t_vmcall(void) { kvm_hypercall0(); }

static uint64_t rd_cr8(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr8, %0" : "=r"(v));
    return v;
}
static void wr_cr8(uint64_t v) { __asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory"); }
static void t_mov_from_cr8(void) { rd_cr8(); }
static void t_mov_to_cr8(void) { wr_cr8(0); }

static void t_inl_from_kernel(void) { inb(ELCR_PORT); }

static void ipi_once(void)
{
    unsigned n = ipis;
    apic_send_ipi(1, IPI_VEC);
    while (ipis == n)
        cpu_relax();
}
static void t_ipi(void) { ipi_once(); }

static void t_ipi_halt(void)
{
    ipi_once();
    uint64_t t = rdtsc() + HALT_SPIN;
    while (rdtsc() < t)
        ;
}

static void t_tscdeadline(void)
{
    unsigned n = timers;
    timer_deadline = rdtsc() + DEADLINE;
    wrmsr(MSR_TSC_DEADLINE, timer_deadline);
    while (timers == n)
        cpu_relax();
}

static void t_tscdeadline_immed(void)
{
    timer_deadline = rdtsc();
    wrmsr(MSR_TSC_DEADLINE, timer_deadline);
    __asm__ volatile("nop");
}

/* ---- CPU 1 ---- */
static void cpu1_main(uint64_t arg __attribute__((unused)))
{
    apic_idt_init();
    apic_enable();
    cpu1_ready = 1;
    __asm__ volatile("sti" ::: "memory");
    for (;;) {
        enum cpu1_mode m = cpu1_mode;
        if (m == CPU1_HALT) {
            __asm__ volatile("hlt" ::: "memory");
        } else if (m == CPU1_X2APIC) {
            __asm__ volatile("cli" ::: "memory");
            apic_x2apic_on();
            cpu1_mode = CPU1_SPIN;
            cpu1_ready = 2;
            __asm__ volatile("sti" ::: "memory");
        } else {
            cpu_relax();
        }
    }
}

/* ---- harness ---- */
static void report(const char *name, uint64_t cycles)
{
    uint64_t avg = cycles / iters;
    printf("%s: %lu cycles %lu ns\n", name, avg, (cycles * 1000000 / tsc_khz + iters / 2) / iters);
}

static void run(const char *name, void (*fn)(void))
{
    uint64_t t1 = rdtsc();
    for (unsigned i = 0; i < iters; i++)
        fn();
    report(name, rdtsc() - t1);
}

/* Interrupt tests run with RFLAGS.IF = 1, as vmexit.c's (it enables
 * interrupts once, in main). */
static void run_sti(const char *name, void (*fn)(void))
{
    __asm__ volatile("sti" ::: "memory");
    run(name, fn);
    __asm__ volatile("cli" ::: "memory");
}

static int exits_tests(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if (b != 0x756e6547 || d != 0x49656e69 || c != 0x6c65746e)   /* "GenuineIntel" */
        return 61;
    run("cpuid", t_cpuid);
    if (kvm_hypercall0() != (uint64_t)-KVM_ENOSYS)
        return 62;
    run("vmcall", t_vmcall);
    /* CR8[3:0] is TPR[7:4] in both directions (SDM Vol. 3A 10.8.6.1) */
    wr_cr8(5);
    if (rd_cr8() != 5 || apic_read(APIC_TPR) != 0x50)
        return 63;
    apic_write(APIC_TPR, 0x30);
    if (rd_cr8() != 3)
        return 63;
    wr_cr8(0);
    run("mov_from_cr8", t_mov_from_cr8);
    run("mov_to_cr8", t_mov_to_cr8);
    if (rd_cr8() != 0 || apic_read(APIC_TPR) != 0)
        return 63;
    /* ELCR: the level bits KVM lets the guest set, IRQs 0-2 always edge */
    outb(ELCR_PORT, 0xff);
    if (inb(ELCR_PORT) != 0xf8)
        return 64;
    outb(ELCR_PORT, 0);
    run("inl_from_kernel", t_inl_from_kernel);
    return 0;
}

static int ipi_tests(const char *ipi_name, const char *halt_name)
{
    unsigned n = ipis;
    cpu1_mode = CPU1_SPIN;
    run(ipi_name, t_ipi);
    cpu1_mode = CPU1_HALT;
    run(halt_name, t_ipi_halt);
    cpu1_mode = CPU1_SPIN;
    ipi_once();   /* wakes CPU 1 for good */
    return ipis - n != 2 * iters + 1 ? 65 : 0;
}

static int timer_tests(void)
{
    apic_write(APIC_LVTT, TIMER_VEC | LVT_TSC_DEADLINE);
    run_sti("tscdeadline", t_tscdeadline);
    unsigned n = timers;
    run_sti("tscdeadline_immed", t_tscdeadline_immed);
    __asm__ volatile("sti; nop; cli" ::: "memory");   /* the last one, if still pending */
    return timers - n != iters || timers != 2 * iters ? 66 : 0;
}

int main(void)
{
    iters = hv_arg(0) ? (unsigned)hv_arg(0) : ITERS;
    uint32_t a = HVSIM_CPUID_TIMING, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    tsc_khz = a ? a : 1000000;
    apic_idt_init();
    apic_enable();
    if (cpu_count() < 2 || cpu_start(1, cpu1_main, 0) < 0)
        return 60;
    while (cpu1_ready < 1)
        cpu_relax();
    int r = exits_tests();
    if (!r)
        r = ipi_tests("ipi", "ipi_halt");
    if (!r)
        r = timer_tests();
    if (!r) {
        apic_x2apic_on();
        cpu1_mode = CPU1_X2APIC;
        while (cpu1_ready < 2)
            cpu_relax();
        r = ipi_tests("x2apic_ipi", "x2apic_ipi_halt");
    }
    if (!r && bad)
        r = 67;
    printf(r ? "microbench: FAIL (%d)\n" : "microbench: PASS\n", r);
    return r;
}
