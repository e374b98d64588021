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
 *      stops the rate mode.
 * What the host does with them is the design's: with GICv3 each LPI is a
 * list-register injection after a kick (phase 1: an IRQ exit) or a wake-up
 * (phase 2, WFI trapped); with GICv4 the hypervisor forwards both events
 * (VMAPTI) and they are vLPIs: direct in phase 1, after a doorbell in phase
 * 2 (or direct again when WFI is not trapped and the vPE stays resident).
 * Exit status: 0 ok; 50 a command stalled; 51 phase 1; 52 phase 2; 53 a
 * wrong INTID; 54 the device is not there. */
#include "rt.h"

#define DB_ROUNDS  8
#define WFI_ROUNDS 4
#define PRIO       0xa0
#define MSIDEV     HVSIM_VIRT_MSIDEV_BASE
#define Q(q, r)    (MSIDEV + 0x100 + 0x20 * (q) + (r))
enum { Q_ADDR_LO = 0x00, Q_ADDR_HI = 0x04, Q_DATA = 0x08, Q_VECTOR_CTRL = 0x0c, Q_CTRL = 0x10, Q_RID = 0x14 };

static volatile unsigned got[2], bad;

static void on_irq(struct exc_frame *f __attribute__((unused)))
{
    uint32_t id = gic_ack();
    if (id == GIC_SPURIOUS)
        return;
    if (id == ITS_LPI_BASE || id == ITS_LPI_BASE + 1)
        got[id - ITS_LPI_BASE]++;
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
    if (bad)
        return 53;
    printf("vlpi: done\n");
    return 0;
}
