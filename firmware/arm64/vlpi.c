/* vlpi: LPIs from the MSI device (dev/msidev at HVSIM_VIRT_MSIDEV_BASE), a
 * passed-through virtual function whose MSIs go to GITS_TRANSLATER with
 * DeviceID = the queue's requester ID and EventID = the queue's data.  CPU 0
 * maps the device (MAPD, DeviceID read from queue 0's RID register),
 * collection 0 to itself and events 0 and 1 to LPIs 8192 and 8193 (MAPTI),
 * points queues 0 and 1 at GITS_TRANSLATER with data 0 and 1, then:
 *   1. running: rings queue 0's doorbell DB_ROUNDS times, spinning with
 *      IRQs unmasked until each LPI 8192 is taken;
 *   2. idle: puts queue 1 in rate mode (one MSI per [msidev]
 *      interval_cycles) and waits in WFI for WFI_ROUNDS LPIs 8193, then
 *      stops the rate mode;
 *   3. SGIs: asks for SGIs without active state (GICD_CTLR.nASSGIreq, when
 *      GICD_TYPER2.nASSGIcap says the GIC can: KVM with GICv4.1), starts
 *      CPU 1, which waits in WFI, and sends it SGI 5 SGI_ROUNDS times.
 * What the host does with them is the design's: with GICv3 each LPI is a
 * list-register injection after a kick (phase 1: an IRQ exit) or a wake-up
 * (phase 2, WFI trapped); with GICv4 the hypervisor forwards both events
 * (VMAPTI) and they are vLPIs: direct in phase 1, after a doorbell in phase
 * 2 (or direct again when WFI is not trapped and the vPE stays resident).
 * Every ICC_SGI1R_EL1 write traps (HCR_EL2.IMO) in all of them; with
 * GICv4.1 and nASSGIreq the SGIs are vSGIs (no kick, no list register).
 * Exit status: 0 ok; 50 a command stalled; 51 phase 1; 52 phase 2; 53 a
 * wrong INTID; 54 the device is not there; 55 phase 3. */
#include "rt.h"

#define DB_ROUNDS  8
#define SGI_ROUNDS 8
#define SGI        5
#define WFI_ROUNDS 4
#define PRIO       0xa0
#define MSIDEV     HVSIM_VIRT_MSIDEV_BASE
#define Q(q, r)    (MSIDEV + 0x100 + 0x20 * (q) + (r))
enum { Q_ADDR_LO = 0x00, Q_ADDR_HI = 0x04, Q_DATA = 0x08, Q_VECTOR_CTRL = 0x0c, Q_CTRL = 0x10, Q_RID = 0x14 };

static volatile unsigned got[2], sgis[RT_MAX_CPUS], ready, bad;

static void on_irq(struct exc_frame *f __attribute__((unused)))
{
    uint32_t id = gic_ack();
    if (id == GIC_SPURIOUS)
        return;
    if (id == ITS_LPI_BASE || id == ITS_LPI_BASE + 1)
        got[id - ITS_LPI_BASE]++;
    else if (id == SGI)
        sgis[cpu_id()]++;
    else
        bad++;
    gic_eoi(id);
}

static void irq_window(void) { __asm__ volatile("msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory"); }

static unsigned spin_for(unsigned lpi, unsigned want)
{
    for (unsigned i = 0; i < 100000 && got[lpi] < want; i++) {
        irq_window();
        cpu_relax();
    }
    return got[lpi];
}

/* WFI with IRQs masked (it wakes anyway), then a window to take them. */
static unsigned wfi_for(unsigned lpi, unsigned want)
{
    for (unsigned i = 0; i < 100000 && got[lpi] < want; i++) {
        __asm__ volatile("wfi" ::: "memory");
        irq_window();
    }
    return got[lpi];
}

static int setup(uint32_t dev)
{
    gic_init();
    gic_cpu_init();
    lpi_rdist_init(PRIO, 1);
    its_init();
    unsigned rd = its_rdbase();
    uint64_t r = ITS_MAPD(dev, 3, its_itt(0), 1);
    r |= ITS_MAPC(0, rd, 1);
    r |= ITS_MAPTI(dev, 0, ITS_LPI_BASE, 0);
    r |= ITS_MAPTI(dev, 1, ITS_LPI_BASE + 1, 0);
    r |= ITS_SYNC(rd);
    if (r & 1)
        return -1;
    uint64_t translater = its_base() + GITS_TRANSLATER;
    for (unsigned q = 0; q < 2; q++) {
        mmio_write32(Q(q, Q_ADDR_LO), (uint32_t)translater);
        mmio_write32(Q(q, Q_ADDR_HI), (uint32_t)(translater >> 32));
        mmio_write32(Q(q, Q_DATA), q);
        mmio_write32(Q(q, Q_VECTOR_CTRL), 0);    /* unmasked */
    }
    mmio_write32(MSIDEV + 0x008, 1);             /* CTRL.ENABLE */
    return 0;
}

/* GICD_CTLR.nASSGIreq may change only with the enable (KVM): off, then on with it. */
static void ask_no_active_sgis(void)
{
    if (!(mmio_read32(HVSIM_VIRT_GICD_BASE + 0x000c) >> 8 & 1))   /* GICD_TYPER2.nASSGIcap */
        return;
    uint32_t ctlr = mmio_read32(HVSIM_VIRT_GICD_BASE);
    mmio_write32(HVSIM_VIRT_GICD_BASE, 0);
    mmio_write32(HVSIM_VIRT_GICD_BASE, ctlr | 1u << 8);
}

static void secondary(uint64_t arg __attribute__((unused)))
{
    gic_cpu_init();
    gic_enable_private(SGI, PRIO);
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        __asm__ volatile("wfi" ::: "memory");
        irq_window();
    }
}

static int sgi_phase(void)
{
    if (cpu_count() < 2)
        return -1;
    ask_no_active_sgis();
    if (cpu_start(1, secondary, 0) != 0)
        return -1;
    for (unsigned i = 0; i < 1000000 && !ready; i++)
        cpu_relax();
    for (unsigned r = 0; r < SGI_ROUNDS && ready; r++) {
        gic_send_sgi(SGI, 1);
        for (unsigned i = 0; i < 1000000 && sgis[1] < r + 1; i++)
            cpu_relax();
    }
    printf("vlpi: SGIs to CPU 1: x%u\n", sgis[1]);
    return sgis[1] == SGI_ROUNDS ? 0 : -1;
}

int main(void)
{
    printf("vlpi: start\n");
    if (mmio_read32(MSIDEV) != 0x4449534du || mmio_read32(MSIDEV + 0x004) < 2)
        return 54;
    uint32_t dev = mmio_read32(Q(0, Q_RID));
    irq_set_handler(on_irq);
    if (setup(dev) < 0)
        return 50;
    for (unsigned r = 0; r < DB_ROUNDS; r++) {
        mmio_write32(MSIDEV + 0x00c, 0);         /* DOORBELL: queue 0 */
        if (spin_for(0, r + 1) != r + 1)
            break;
    }
    printf("vlpi: running: LPI 8192 x%u\n", got[0]);
    if (got[0] != DB_ROUNDS)
        return 51;

    mmio_write32(Q(1, Q_CTRL), 1);               /* rate mode */
    unsigned n = wfi_for(1, WFI_ROUNDS);
    mmio_write32(Q(1, Q_CTRL), 0);
    printf("vlpi: idle in WFI: LPI 8193 x%u\n", n);
    if (n != WFI_ROUNDS)
        return 52;
    if (sgi_phase() < 0)
        return 55;
    if (bad)
        return 53;
    printf("vlpi: done\n");
    return 0;
}
