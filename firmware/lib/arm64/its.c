/* GICv3 ITS and LPI helpers.  See its.h. */
#include "rt.h"

#define PEND_ALIGN 0x10000               /* PENDBASER: 64 KiB aligned (12.11.29) */
uint8_t its_prop[1u << (ITS_IDBITS + 1)] __attribute__((aligned(4096)));   /* covers INTIDs below 16384 */
static uint8_t pend[RT_MAX_CPUS][PEND_ALIGN] __attribute__((aligned(PEND_ALIGN)));
static uint64_t devt[512] __attribute__((aligned(4096)));
static uint64_t collt[512] __attribute__((aligned(4096)));
static uint64_t queue[128][4] __attribute__((aligned(4096)));
static uint8_t itts[8][256] __attribute__((aligned(256)));
static unsigned slot;

uint64_t its_base(void) { return HVSIM_VIRT_ITS_BASE; }
uint64_t its_itt(unsigned n) { return (uint64_t)(uintptr_t)itts[n % 8]; }

void its_write64(uint64_t a, uint64_t v)
{
    mmio_write32(a, (uint32_t)v);
    mmio_write32(a + 4, (uint32_t)(v >> 32));
}

uint64_t its_read64(uint64_t a) { return mmio_read32(a) | (uint64_t)mmio_read32(a + 4) << 32; }

unsigned its_rdbase(void) { return (mmio_read32(gic_rdist() + 8) >> 8) & 0xffff; }

void lpi_rdist_init(unsigned prio, int enable)
{
    uint64_t rd = gic_rdist();
    for (unsigned i = 0; i < sizeof its_prop - ITS_LPI_BASE; i++)
        its_prop[i] = (uint8_t)(prio | (enable ? 1 : 0));
    its_write64(rd + GICR_PROPBASER, (uint64_t)(uintptr_t)its_prop | ITS_IDBITS);
    its_write64(rd + GICR_PENDBASER, (uint64_t)(uintptr_t)pend[cpu_id()]);
    mmio_write32(rd + GICR_CTLR, 1);
}

void its_init(void)
{
    uint64_t b = its_base();
    its_write64(b + GITS_BASER0, 1ull << 63 | (uint64_t)(uintptr_t)devt);
    its_write64(b + GITS_BASER1, 1ull << 63 | (uint64_t)(uintptr_t)collt);
    its_write64(b + GITS_CBASER, 1ull << 63 | (uint64_t)(uintptr_t)queue);   /* Size 0: one 4K page */
    slot = 0;
    mmio_write32(b + GITS_CTLR, 1);
}

/* Appends a command; returns the new CWRITER offset. */
static uint64_t its_append(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    uint64_t *c = queue[slot % 128];
    c[0] = d0, c[1] = d1, c[2] = d2, c[3] = d3;
    slot++;
    __asm__ volatile("dsb sy" ::: "memory");
    return (uint64_t)(slot % 128) * 32;
}

void its_cmd_nv(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    uint64_t want = its_append(d0, d1, d2, d3);
    mmio_write32(its_base() + GITS_CWRITER, (uint32_t)want);
}

uint64_t its_cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
    uint64_t b = its_base(), want = its_append(d0, d1, d2, d3), r = 0;
    its_write64(b + GITS_CWRITER, want);
    for (unsigned i = 0; i < 100000; i++) {
        r = its_read64(b + GITS_CREADR);
        if ((r & ~1ull) == want || (r & 1))
            break;
    }
    return r;
}
