/* lpi: LPIs through the GICv3 ITS.  CPU 0 sets up its LPI tables and the
 * ITS (device table, collection table, command queue), maps device 0
 * (16 events) with MAPD, collection 0 to itself with MAPC and events 0-3
 * to LPIs 8192-8195 with MAPTI, then:
 *   1. writes events 0, 1, 2 to GITS_TRANSLATER ROUNDS times each (a CPU
 *      write is DeviceID 0) and takes each LPI through the IRQ vector:
 *      3 * ROUNDS LPIs;
 *   2. an INT command makes LPI 8193 pending: 1 LPI;
 *   3. LPI 8195 is disabled in the configuration table: its MSI leaves it
 *      pending but not taken; enabling it and an INV delivers it: 1 LPI;
 *   4. DISCARD of event 0: a further MSI for it is dropped (0 LPIs).
 * Every LPI is acknowledged through ICC_IAR1_EL1 with its INTID (>= 8192)
 * and EOI'd.  Total: 3 * ROUNDS + 2 LPIs; 3 * ROUNDS + 1 MSIs translated
 * and one dropped (unmapped_interrupt); commands MAPD 1, MAPC 1, MAPTI 4,
 * SYNC 1, INT 1, INV 1, DISCARD 1.
 * Exit status: 0 ok; 40 a command stalled; 41 phase 1 counts; 42 INT;
 * 43 disabled LPI taken or not taken after INV; 44 DISCARD; 45 a wrong
 * INTID acknowledged. */
#include "rt.h"

#define ROUNDS 5
#define PRIO   0xa0
#define NLPI   4

static volatile unsigned got[NLPI], bad;

static void on_irq(struct exc_frame *f __attribute__((unused)))
{
    uint32_t id = gic_ack();
    if (id == GIC_SPURIOUS)
        return;
    if (id >= ITS_LPI_BASE && id < ITS_LPI_BASE + NLPI)
        got[id - ITS_LPI_BASE]++;
    else
        bad++;
    gic_eoi(id);
}

/* Lets pending interrupts in, then waits until got[lpi] reaches want. */
static unsigned wait_lpi(unsigned lpi, unsigned want)
{
    for (unsigned i = 0; i < 100000 && got[lpi] < want; i++) {
        irq_enable();
        cpu_relax();
        irq_disable();
    }
    return got[lpi];
}

static int setup(void)
{
    gic_init();
    gic_cpu_init();
    lpi_rdist_init(PRIO, 1);
    its_prop[3] = PRIO;                      /* LPI 8195 disabled */
    its_init();
    unsigned rd = its_rdbase();
    uint64_t r = ITS_MAPD(0, 3, its_itt(0), 1);
    r |= ITS_MAPC(0, rd, 1);
    for (unsigned e = 0; e < NLPI; e++)
        r |= ITS_MAPTI(0, e, ITS_LPI_BASE + e, 0);
    r |= ITS_SYNC(rd);
    return (r & 1) ? -1 : 0;
}

int main(void)
{
    printf("lpi: start\n");
    irq_set_handler(on_irq);
    if (setup() < 0)
        return 40;
    for (unsigned r = 0; r < ROUNDS; r++)
        for (unsigned e = 0; e < 3; e++) {
            its_msi(e);
            if (wait_lpi(e, r + 1) != r + 1)
                break;
        }
    printf("lpi: MSIs: LPI 8192 x%u, 8193 x%u, 8194 x%u\n", got[0], got[1], got[2]);
    if (got[0] != ROUNDS || got[1] != ROUNDS || got[2] != ROUNDS)
        return 41;

    ITS_EV(ITS_INT, 0, 1, 0);
    if (wait_lpi(1, ROUNDS + 1) != ROUNDS + 1)
        return 42;
    printf("lpi: INT command: LPI 8193 taken\n");

    its_msi(3);
    wait_lpi(3, 1);
    unsigned before = got[3];
    its_prop[3] = PRIO | 1;
    ITS_EV(ITS_INV, 0, 3, 0);
    unsigned after = wait_lpi(3, 1);
    printf("lpi: disabled LPI 8195: taken %u times before INV, %u after\n", before, after);
    if (before != 0 || after != 1)
        return 43;

    ITS_EV(ITS_DISCARD, 0, 0, 0);
    its_msi(0);
    if (wait_lpi(0, ROUNDS + 1) != ROUNDS)
        return 44;
    if (bad)
        return 45;
    printf("lpi: done\n");
    return 0;
}
