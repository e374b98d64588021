/* AArch64 runtime: PL011 console, PSCI and hvsim hypercalls, CPU start,
 * exception reporting, and machine discovery from the DTB. */
#include "rt.h"

_Static_assert(sizeof(struct exc_frame) == 288, "start.S FRAME_SIZE");
_Static_assert(__builtin_offsetof(struct exc_frame, elr) == 248, "start.S FRAME_ELR");
_Static_assert(__builtin_offsetof(struct exc_frame, esr) == 264, "start.S FRAME_ESR");

uint64_t rt_uart_base = HVSIM_VIRT_PL011_BASE;  /* replaced by the DTB's value */
struct fdt_info rt_fdt;
int rt_fdt_err = FDT_ERR_ADDRESS;
uint64_t rt_dtb_addr;
int rt_dtb_from_x0;
uint64_t rt_cpu_mpidr[RT_MAX_CPUS];
static exc_handler_t exc_handler;
static irq_handler_t irq_handler;
static serror_handler_t serror_handler;
volatile unsigned rt_irq_vector;

void arch_putc(int c)
{
    while (mmio_read32(rt_uart_base + PL011_UARTFR) & PL011_UARTFR_TXFF)
        cpu_relax();
    mmio_write32(rt_uart_base + PL011_UARTDR, (uint8_t)c);
}

/* ---- PSCI (ARM DEN 0022) ---- */
uint32_t psci_version(void)
{
    return (uint32_t)smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0);
}

int psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context_id)
{
    return (int)smccc_hvc(PSCI_0_2_FN_CPU_ON, mpidr, entry, context_id);
}

int psci_affinity_info(uint64_t mpidr, unsigned lowest_level)
{
    return (int)smccc_hvc(PSCI_0_2_FN_AFFINITY_INFO, mpidr, lowest_level, 0);
}

void psci_cpu_off(void)
{
    int r = (int)smccc_hvc(PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
    printf("cpu%u: PSCI CPU_OFF failed (%d), parking\n", cpu_id(), r);
    for (;;)
        __asm__ volatile("wfi");
}

void psci_system_off(void)
{
    smccc_hvc(PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0);
    printf("PSCI SYSTEM_OFF returned, parking\n");
    for (;;)
        __asm__ volatile("wfi");
}

/* ---- hvsim services ---- */
void hv_exit(int status)
{
    if (status < 0 || status > 255)
        status = 255;
#ifdef RT_QEMU
    printf("exit status %d (PSCI SYSTEM_OFF)\n", status);
#else
    smccc_hvc(HVSIM_HC_A64_EXIT, (uint64_t)status, 0, 0);
    /* Only reached on a machine without the hvsim exit call (plain QEMU). */
    printf("hv_exit(%d): no hvsim exit hypercall, PSCI SYSTEM_OFF\n", status);
#endif
    psci_system_off();
}

#ifndef RT_QEMU
uint64_t hv_ping(uint64_t x)
{
    return smccc_hvc(HVSIM_HC_A64_PING, x, 0, 0);
}

uint64_t hv_cycles(void)
{
    return smccc_hvc(HVSIM_HC_A64_CYCLES, 0, 0, 0);
}

uint64_t hv_arg(unsigned i)
{
    uint64_t v = smccc_hvc(HVSIM_HC_A64_ARG, i, 0, 0);
    return v == (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED ? 0 : v;   /* older hvsim */
}
#endif

/* ---- CPUs ---- */
unsigned cpu_count(void)
{
    return rt_fdt_err == FDT_OK && rt_fdt.ncpus ? rt_fdt.ncpus : 1;
}

unsigned cpu_id(void)
{
    return (unsigned)read_sysreg(tpidr_el1);   /* set by start.S */
}

void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
void cpu_wait_event(void) { __asm__ volatile("wfe" ::: "memory"); }
void cpu_send_event(void) { __asm__ volatile("dsb ish; sev" ::: "memory"); }

int cpu_start(unsigned id, cpu_entry_t fn, uint64_t arg)
{
    if (id == 0 || id >= cpu_count() || id >= RT_MAX_CPUS || !fn)
        return PSCI_RET_INVALID_PARAMS;
    __atomic_store_n(&rt_cpu_fn[id], fn, __ATOMIC_RELEASE);
    __asm__ volatile("dsb sy" ::: "memory");   /* table visible before the CPU runs */
    /* The PSCI context id carries `arg`: it arrives in the new CPU's x0. */
    return psci_cpu_on(rt_cpu_mpidr[id], (uint64_t)(uintptr_t)rt_secondary_entry, arg);
}

void cpu_off(void)
{
    psci_cpu_off();
}

/* ---- exceptions ---- */
void exc_set_handler(exc_handler_t h)
{
    exc_handler = h;
}

void irq_set_handler(irq_handler_t h)
{
    irq_handler = h;
}

void serror_set_handler(serror_handler_t h)
{
    serror_handler = h;
}

void rt_exception(struct exc_frame *f, unsigned kind)
{
    /* vector 1 / 5 / 9: IRQ from the current EL with SP_EL0 / SP_ELx, or
     * from EL0 (AArch64) */
    if ((kind == 1 || kind == 5 || kind == 9) && irq_handler) {
        rt_irq_vector = kind;
        irq_handler(f);
        return;
    }
    if ((kind == 3 || kind == 7 || kind == 11) && serror_handler) {
        serror_handler(f, kind);
        return;
    }
    /* Synchronous exceptions from EL0 (AArch64) go to the handler quietly:
     * system calls are its normal traffic. */
    if (kind == 8 && exc_handler && exc_handler(f))
        return;
    static const char *const type[4] = { "sync", "irq", "fiq", "serror" };
    static const char *const from[4] = { "EL1t", "EL1h", "EL0/64", "EL0/32" };
    printf("cpu%u: exception %s from %s: EC=0x%02lx ESR=0x%lx FAR=0x%lx ELR=0x%lx\n",
           cpu_id(), type[kind & 3], from[(kind >> 2) & 3], ESR_EC(f->esr), f->esr,
           f->far, f->elr);
    /* Only synchronous exceptions of our own EL are resumable here. */
    if (kind == 4 && exc_handler && exc_handler(f))
        return;
    printf("cpu%u: unhandled exception, exit 99\n", cpu_id());
    hv_exit(99);
}

/* ---- start-up ---- */
static int dtb_try(uint64_t addr)
{
    /* DTSpec v0.3 §5.1: the blob is 8-byte aligned; ours lies in RAM. */
    if (addr < HVSIM_VIRT_RAM_BASE || (addr & 7))
        return FDT_ERR_ADDRESS;
    return fdt_scan((const void *)(uintptr_t)addr, &rt_fdt);
}

void rt_arch_init(uint64_t dtb)
{
    rt_fdt_err = dtb_try(dtb);
    rt_dtb_from_x0 = rt_fdt_err == FDT_OK;
    /* QEMU boots ELF kernels with x0 = 0 and copies the DTB to the start of
     * RAM instead; accept it there so the guests also run under QEMU. */
    if (rt_fdt_err != FDT_OK && dtb_try(HVSIM_VIRT_RAM_BASE) == FDT_OK) {
        rt_fdt_err = FDT_OK;
        dtb = HVSIM_VIRT_RAM_BASE;
    }
    for (unsigned i = 0; i < RT_MAX_CPUS; i++)
        rt_cpu_mpidr[i] = RT_MPIDR_NONE;
    if (rt_fdt_err != FDT_OK) {
        rt_cpu_mpidr[0] = read_sysreg(mpidr_el1) & RT_MPIDR_AFF_MASK;
        return;
    }
    rt_dtb_addr = dtb;
    if (rt_fdt.uart_base)
        rt_uart_base = rt_fdt.uart_base;
    /* Logical CPU 0 is the boot CPU, whatever its position in the DT. */
    uint64_t self = read_sysreg(mpidr_el1) & RT_MPIDR_AFF_MASK;
    unsigned n = rt_fdt.ncpus < RT_MAX_CPUS ? rt_fdt.ncpus : RT_MAX_CPUS;
    for (unsigned i = 1; i < n; i++)
        if (rt_fdt.mpidr[i] == self) {
            rt_fdt.mpidr[i] = rt_fdt.mpidr[0];
            rt_fdt.mpidr[0] = self;
        }
    for (unsigned i = 0; i < n; i++)
        rt_cpu_mpidr[i] = rt_fdt.mpidr[i] & RT_MPIDR_AFF_MASK;
}
