/* GICv3 helpers.  See gic.h. */
#include "rt.h"

#define GICD_CTLR          0x0000u
#define GICD_CTLR_GRP1     (1u << 1)
#define GICD_CTLR_ARE      (1u << 4)
#define GICD_IGROUPR       0x0080u
#define GICD_ISENABLER     0x0100u
#define GICD_ISPENDR       0x0200u
#define GICD_IPRIORITYR    0x0400u
#define GICD_IROUTER       0x6000u
#define GICR_TYPER         0x0008u
#define GICR_TYPER_LAST    (1u << 4)
#define GICR_WAKER         0x0014u
#define GICR_WAKER_PSLEEP  (1u << 1)     /* ProcessorSleep */
#define GICR_WAKER_CASLEEP (1u << 2)     /* ChildrenAsleep */
#define GICR_STRIDE        0x20000u
#define GICR_IGROUPR0      0x0080u
#define GICR_ISENABLER0    0x0100u
#define GICR_IPRIORITYR    0x0400u

static uint64_t gicd(void) { return rt_fdt.gicd_base ? rt_fdt.gicd_base : HVSIM_VIRT_GICD_BASE; }

/* IPRIORITYR is byte-accessible (12.9.20, 12.11.24): one STRB, a plain store. */
static void strb(uint64_t a, unsigned v)
{
    __asm__ volatile("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

void gic_init(void)
{
    mmio_write32(gicd() + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
}

/* Walk the Redistributors until GICR_TYPER.Affinity matches (12.11.35). */
uint64_t gic_rdist(void)
{
    uint64_t mpidr = read_sysreg(mpidr_el1);
    uint32_t aff = (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 32 & 0xff) << 24));
    uint64_t r = rt_fdt.gicr_base ? rt_fdt.gicr_base : HVSIM_VIRT_GICR_BASE;
    for (unsigned i = 0; i < 256; i++, r += GICR_STRIDE) {
        uint32_t lo = mmio_read32(r + GICR_TYPER), hi = mmio_read32(r + GICR_TYPER + 4);
        if (hi == aff)
            return r;
        if (lo & GICR_TYPER_LAST)
            break;
    }
    printf("cpu%u: no GIC Redistributor for MPIDR 0x%lx\n", cpu_id(), mpidr);
    hv_exit(98);
}

void gic_cpu_init(void)
{
    /* Wake the Redistributor (12.11.42); KVM's reads as awake already. */
    uint64_t rd = gic_rdist(), sgi = rd + GICR_SGI_BASE;
    mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PSLEEP);
    for (unsigned i = 0; i < 1000000 && (mmio_read32(rd + GICR_WAKER) & GICR_WAKER_CASLEEP); i++)
        cpu_relax();
    mmio_write32(sgi + GICR_IGROUPR0, 0xffffffffu);
    icc_write(ICC_SRE_EL1, icc_read(ICC_SRE_EL1) | 1);
    __asm__ volatile("isb");
    icc_write(ICC_PMR_EL1, 0xf0);
    icc_write(ICC_BPR1_EL1, 0);          /* raised to the minimum by the GIC */
    icc_write(ICC_CTLR_EL1, 0);          /* EOImode 0 */
    icc_write(ICC_IGRPEN1_EL1, 1);
    __asm__ volatile("isb");
}

void gic_enable_private(unsigned intid, unsigned priority)
{
    uint64_t sgi = gic_rdist() + GICR_SGI_BASE;
    strb(sgi + GICR_IPRIORITYR + intid, priority);
    mmio_write32(sgi + GICR_ISENABLER0, 1u << intid);
}

/* IROUTER<n> (12.9.22) as two 32-bit halves: Aff2.Aff1.Aff0, then Aff3. */
void gic_enable_spi(unsigned intid, unsigned priority, unsigned cpu)
{
    uint64_t m = rt_cpu_mpidr[cpu], r = gicd() + GICD_IROUTER + 8 * intid;
    mmio_write32(r, (uint32_t)(m & 0xffffff));
    mmio_write32(r + 4, (uint32_t)(m >> 32 & 0xff));
    strb(gicd() + GICD_IPRIORITYR + intid, priority);
    /* Group 1 (a real GIC resets SPIs to Group 0; KVM to Group 1) */
    uint64_t grp = gicd() + GICD_IGROUPR + 4 * (intid / 32);
    mmio_write32(grp, mmio_read32(grp) | 1u << (intid % 32));
    mmio_write32(gicd() + GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

void gic_set_pending_spi(unsigned intid)
{
    mmio_write32(gicd() + GICD_ISPENDR + 4 * (intid / 32), 1u << (intid % 32));
}

/* ICC_SGI1R_EL1: Aff3 [55:48], Aff2 [39:32], Aff1 [23:16], INTID [27:24],
 * RS [47:44], IRM [40], TargetList [15:0] (12.2.21). */
void gic_send_sgi(unsigned sgi, unsigned cpu)
{
    uint64_t m = rt_cpu_mpidr[cpu];
    uint64_t v = ((m >> 32 & 0xff) << 48) | ((m >> 16 & 0xff) << 32) | ((m >> 8 & 0xff) << 16) |
                 ((uint64_t)(sgi & 15) << 24) | ((uint64_t)((m & 0xff) >> 4) << 44) | (1u << (m & 15));
    icc_write(ICC_SGI1R_EL1, v);
    __asm__ volatile("isb");
}

void gic_broadcast_sgi(unsigned sgi)
{
    icc_write(ICC_SGI1R_EL1, (1ull << 40) | ((uint64_t)(sgi & 15) << 24));
    __asm__ volatile("isb");
}
