/* x86-64 runtime: 16550 console, VMCALL hypercalls, CPUID, wakeup-mailbox
 * AP start, exits through the hypercall or the isa-debug-exit port. */
#include "rt.h"

unsigned rt_cpuid_calls;
unsigned rt_bsp_apic_id;
uint64_t rt_cpu_arg[RT_MAX_CPUS];
static unsigned ncpus = 1;

/* Bounded wait for the mailbox acknowledgement (iterations, each one MMIO read). */
#define MAILBOX_ACK_POLLS 1000000

void arch_putc(int c)
{
    while (!(inb(HVSIM_PC_COM1 + UART_LSR) & UART_LSR_THRE))
        cpu_relax();
    outb(HVSIM_PC_COM1 + UART_THR, (uint8_t)c);
}

void cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
    __asm__ volatile("cpuid" : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
                     : "a"(leaf), "c"(subleaf));
    rt_cpuid_calls++;
}

void hv_exit(int status)
{
    if (status < 0 || status > 255)
        status = 255;
#ifdef RT_QEMU
    printf("exit status %d (isa-debug-exit: QEMU exits with %d)\n", status, status * 2 + 1);
#else
    vmcall(HVSIM_HC_X86_EXIT, (uint64_t)status, 0, 0, 0);
    /* Only reached on a machine without the hvsim exit call. */
    printf("hv_exit(%d): no hvsim exit hypercall, isa-debug-exit\n", status);
#endif
    outl(HVSIM_PC_DEBUG_EXIT, (uint32_t)status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

#ifndef RT_QEMU
uint64_t hv_ping(uint64_t x)
{
    return vmcall(HVSIM_HC_X86_PING, x, 0, 0, 0);
}

uint64_t hv_cycles(void)
{
    return vmcall(HVSIM_HC_X86_CYCLES, 0, 0, 0, 0);
}

uint64_t hv_arg(unsigned i)
{
    uint64_t v = vmcall(HVSIM_HC_X86_ARG, i, 0, 0, 0);
    return v == (uint64_t)-1000 ? 0 : v;   /* -KVM_ENOSYS: older hvsim */
}
#endif

unsigned cpu_count(void)
{
    return ncpus;
}

/* The CPU index follows from which per-CPU stack we are on: no CPUID or
 * MSR access (each would be a VM exit and disturb exit counts). */
unsigned cpu_id(void)
{
    uintptr_t sp, base = (uintptr_t)rt_stacks;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    if (sp < base || sp >= base + (uintptr_t)RT_MAX_CPUS * RT_STACK_SIZE)
        return 0;
    return (unsigned)((sp - base) >> RT_STACK_SHIFT);
}

void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
void cpu_wait_event(void) { __asm__ volatile("pause" ::: "memory"); }
void cpu_send_event(void) { }   /* x86 waiters poll; nothing to signal */

/* ACPI 6.4 §5.2.12.19 Multiprocessor Wakeup mailbox: ApicId and
 * WakeupVector first, Command last; the machine clears Command to ack. */
int cpu_start(unsigned id, cpu_entry_t fn, uint64_t arg)
{
    if (id == 0 || id >= cpu_count() || id >= RT_MAX_CPUS || !fn)
        return -1;
    rt_cpu_arg[id] = arg;
    __atomic_store_n(&rt_cpu_fn[id], fn, __ATOMIC_RELEASE);
    mmio_write32(HVSIM_PC_MAILBOX + HVSIM_MAILBOX_APIC_ID, id);
    mmio_write64(HVSIM_PC_MAILBOX + HVSIM_MAILBOX_WAKEUP_VECTOR, (uintptr_t)rt_ap_entry);
    mmio_write16(HVSIM_PC_MAILBOX + HVSIM_MAILBOX_COMMAND, HVSIM_MAILBOX_CMD_WAKEUP);
    for (unsigned n = 0; n < MAILBOX_ACK_POLLS; n++) {
        if (mmio_read16(HVSIM_PC_MAILBOX + HVSIM_MAILBOX_COMMAND) == HVSIM_MAILBOX_CMD_NOOP)
            return 0;
        cpu_relax();
    }
    return -2;
}

void cpu_off(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* One CPUID (leaf 1): initial APIC ID in EBX[31:24], logical processor count
 * in EBX[23:16] (hvsim-abi.h). */
void rt_arch_init(uint64_t unused)
{
    struct cpuid_regs r;
    (void)unused;
    cpuid(1, 0, &r);
    rt_bsp_apic_id = r.ebx >> 24;
    ncpus = (r.ebx >> 16) & 0xff;
    if (!ncpus)
        ncpus = 1;
}
