/* its-errors: a guest that gets the ITS wrong and carries on.  Each step
 * is one mistake the ITS must report (count in hvsim's its.errors.*) and
 * ignore, never stall on or crash from:
 *   MAPD of DeviceID 512 (the one-page device table holds 512)     device_out_of_range
 *   MAPD of DeviceID 70000 (beyond Devbits = 16)                    device_out_of_range
 *   MAPD with an ITT outside RAM                                    table_outside_ram
 *   MAPD with Size 16 (17 EventID bits)                             itt_size_out_of_range
 *   MAPTI for unmapped device 7                                     unmapped_device
 *   MAPTI of event 16 of a 16-event device                          event_out_of_range
 *   MAPTI to INTID 100 (not an LPI)                                 intid_out_of_range
 *   MAPTI with ICID 300 (beyond 8 bits)                             collection_out_of_range
 *   MAPC to processor 60                                            processor_out_of_range
 *   INT of unmapped event 9                                         unmapped_interrupt
 *   MOVI of unmapped event 0                                        unmapped_interrupt
 *   VMAPP (GICv4) and command 0x77                                  command_not_supported x2
 *   MSI from unmapped event 12 (GITS_TRANSLATER)                    unmapped_interrupt
 *   CWRITER beyond the one-page queue                               cwriter_out_of_range
 * Then a good mapping still works: one LPI delivered.
 * Exit status: 0 ok; 50 a command stalled the queue; 51 the good LPI did
 * not arrive. */
#include "rt.h"

static volatile unsigned got;

static void on_irq(struct exc_frame *f __attribute__((unused)))
{
    uint32_t id = gic_ack();
    if (id == GIC_SPURIOUS)
        return;
    got += id == ITS_LPI_BASE + 5;
    gic_eoi(id);
}

int main(void)
{
    printf("its-errors: start\n");
    irq_set_handler(on_irq);
    gic_init();
    gic_cpu_init();
    lpi_rdist_init(0x80, 1);
    its_init();
    unsigned rd = its_rdbase();
    uint64_t r = ITS_MAPD(0, 3, its_itt(0), 1);
    r |= ITS_MAPC(0, rd, 1);
    r |= ITS_MAPD(512, 3, its_itt(1), 1);
    r |= ITS_MAPD(70000, 3, its_itt(1), 1);
    r |= ITS_MAPD(1, 3, 0x20000000ull, 1);
    r |= ITS_MAPD(2, 16, its_itt(2), 1);
    r |= ITS_MAPTI(7, 0, ITS_LPI_BASE, 0);
    r |= ITS_MAPTI(0, 16, ITS_LPI_BASE, 0);
    r |= ITS_MAPTI(0, 1, 100, 0);
    r |= ITS_MAPTI(0, 2, ITS_LPI_BASE + 2, 300);
    r |= ITS_MAPC(1, 60, 1);
    r |= ITS_EV(ITS_INT, 0, 9, 0);
    r |= ITS_EV(0x01, 0, 0, 5);              /* MOVI: event 0 is not mapped either: unmapped_interrupt */
    r |= its_cmd(0x29, 0, 0, 0);
    r |= its_cmd(0x77, 0, 0, 0);
    if (r & 1)
        return 50;
    its_msi(12);
    its_write64(its_base() + GITS_CWRITER, 4096);
    printf("its-errors: mistakes made, CREADR 0x%lx\n", its_read64(its_base() + GITS_CREADR));
    r = ITS_MAPTI(0, 5, ITS_LPI_BASE + 5, 0);
    its_msi(5);
    for (unsigned i = 0; i < 100000 && !got; i++) {
        irq_enable();
        cpu_relax();
        irq_disable();
    }
    printf("its-errors: good LPI taken %u times\n", got);
    if (got != 1 || (r & 1))
        return 51;
    printf("its-errors: done\n");
    return 0;
}
