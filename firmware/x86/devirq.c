/* devirq: interrupts of the passed-through MSI device (dev/msidev.h at
 * HVSIM_PC_MSIDEV) on every path the pc machine has, on CPU 0, each
 * interrupt waited for in STI; HLT unless said otherwise:
 *  1 INTx: MSI-X off, the device's INTx drives I/O APIC pin GSI (level);
 *    the handler clears INTX_STATUS, then EOIs: ROUNDS interrupts;
 *  2 compatibility-format MSI to APIC ID 0: ROUNDS interrupts;
 *  3 remapped through the guest's VT-d unit (HVSIM_PC_VTD: IRTA, IRTEs in
 *    RAM, the invalidation queue, IRE): ROUNDS interrupts; an IRTE changed
 *    without invalidation still delivers the cached old vector (VT-d 6.4:
 *    software must invalidate), after an index-selective IEC invalidate
 *    the new one: 2 interrupts;
 *  4 rate mode, the vCPU halted: RATE_N interrupts (the handler turns the
 *    rate off at the last);
 *  5 rate mode, the vCPU running (spinning with IF = 1): RATE_N interrupts;
 *  6 remapping faults: a handle beyond the table (0x21), a not-present IRTE
 *    (0x22), a compatibility-format MSI with remapping on and CFIS = 0
 *    (0x25); each blocks the interrupt and raises the unit's fault event
 *    (vector FAULT), and the guest reads the fault recording register
 *    (reason, source-id, index), clears F and carries on: one doorbell
 *    afterwards still delivers.
 * Exit status: 0 ok; 59 vIOMMU capabilities or set-up; 60 INTx; 61 compat;
 * 62 remapped; 63 IEC invalidation; 64 halted rate; 65 running rate;
 * 66-68 faults 0x21, 0x22, 0x25; 69 an unexpected vector. */
#include "apic.h"

#define DEV HVSIM_PC_MSIDEV
#define VTD HVSIM_PC_VTD
#define IOAPIC 0xfec00000u

/* msidev registers (dev/msidev.h) */
#define D_CTRL 0x008
#define D_DOORBELL 0x00c
#define D_INTX 0x018
#define Q(q, r) (0x100 + 0x20 * (q) + (r))
#define Q_ADDR 0x00
#define Q_DATA 0x08
#define Q_VCTRL 0x0c
#define Q_CTRL 0x10
#define Q_RID 0x14

/* VT-d registers (VT-d spec 11.4) */
#define CAP 0x08
#define ECAP 0x10
#define GCMD 0x18
#define GSTS 0x1c
#define FSTS 0x34
#define FECTL 0x38
#define FEDATA 0x3c
#define FEADDR 0x40
#define IQT 0x88
#define IQA 0x90
#define IRTA 0xb8
#define G_CFI (1u << 23)
#define G_SIRTP (1u << 24)
#define G_IRE (1u << 25)
#define G_QIE (1u << 26)

#define V_INTX 0x30
#define V_COMPAT 0x31
#define V_REMAP 0x32
#define V_REMAP2 0x33
#define V_HALT 0x34
#define V_RUN 0x35
#define FAULT 0x36
#define V_NEVER 0x37     /* IRTE 3 (not present) and the blocked MSIs */
#define ROUNDS 3
#define RATE_N 5
#define IRT_S 3          /* 2^(S + 1) = 16 IRTEs */
#define BAD_HANDLE 100

static uint64_t irt[16][2] __attribute__((aligned(4096)));
static uint64_t iq[256][2] __attribute__((aligned(4096)));
static volatile uint32_t iq_status;
static unsigned iq_tail;
static uint32_t gcmd;
static volatile unsigned cnt[256];

void apic_irq_handler(unsigned vector)
{
    cnt[vector]++;
    if (vector == V_INTX)
        mmio_write32(DEV + D_INTX, 1);            /* deassert INTx before the EOI */
    if ((vector == V_HALT || vector == V_RUN) && cnt[vector] == RATE_N)
        mmio_write32(DEV + Q(vector == V_HALT ? 1 : 2, Q_CTRL), 0);
    apic_eoi();
}

static void wait_for(unsigned vector, unsigned n)
{
    while (cnt[vector] < n)
        sti_hlt();
}

static int doorbells(unsigned q, unsigned vector, unsigned n)
{
    unsigned c0 = cnt[vector];
    for (unsigned i = 0; i < n; i++) {
        mmio_write32(DEV + D_DOORBELL, q);
        wait_for(vector, c0 + i + 1);
    }
    return cnt[vector] == c0 + n;
}

static void queue_msi(unsigned q, uint32_t addr, uint32_t data)
{
    mmio_write32(DEV + Q(q, Q_ADDR), addr);
    mmio_write32(DEV + Q(q, Q_DATA), data);
    mmio_write32(DEV + Q(q, Q_VCTRL), 0);         /* unmask */
}

/* Remappable format (5.1.2.2): 0xFEE | handle[14:0] at 19:5 | IF | SHV = 0 | handle[15] */
static uint32_t remappable(unsigned handle) { return 0xfee00000u | (handle & 0x7fff) << 5 | 1u << 4 | (handle >> 15) << 2; }

/* Remapped-format IRTE (9.10): P, fixed, physical, edge, xAPIC destination
 * 47:40 (EIME = 0), source-id checked exactly (SVT 01, SQ 0). */
static void irte(unsigned i, unsigned vector, uint16_t sid, int present)
{
    irt[i][0] = (present ? 1u : 0u) | (uint64_t)vector << 16 | 0ULL << 40;
    irt[i][1] = sid | 1ULL << 18;
}

static void gcmd_set(uint32_t bit, uint32_t status)
{
    gcmd |= bit;
    mmio_write32(VTD + GCMD, gcmd);
    while (!(mmio_read32(VTD + GSTS) & status))
        cpu_relax();
}

/* Queue one descriptor and a wait descriptor (status write 1), run them. */
static void iq_submit(uint64_t lo)
{
    iq_status = 0;
    iq[iq_tail][0] = lo;
    iq[iq_tail][1] = 0;
    iq_tail = (iq_tail + 1) % 256;
    iq[iq_tail][0] = 5 | 1u << 5 | 1ULL << 32;   /* wait, SW, status data 1 */
    iq[iq_tail][1] = (uint64_t)(uintptr_t)&iq_status;
    iq_tail = (iq_tail + 1) % 256;
    mmio_write64(VTD + IQT, (uint64_t)iq_tail << 4);
    while (iq_status != 1)
        cpu_relax();
}

static int viommu_setup(uint16_t sid)
{
    uint64_t cap = mmio_read64(VTD + CAP), ecap = mmio_read64(VTD + ECAP);
    /* ECAP.IR [3], ECAP.QI [1]; CAP.PI [59] = 0: posting is the host's (QEMU's vIOMMU offers none) */
    if (!(ecap & 8) || !(ecap & 2) || (cap >> 59 & 1)) {
        printf("devirq: FAIL: CAP 0x%lx ECAP 0x%lx\n", cap, ecap);
        return 59;
    }
    irte(0, V_REMAP, sid, 1);
    irte(1, V_HALT, sid, 1);
    irte(2, V_RUN, sid, 1);
    irte(3, V_NEVER, sid, 0);
    mmio_write64(VTD + IRTA, (uint64_t)(uintptr_t)irt | IRT_S);       /* EIME = 0 */
    mmio_write32(VTD + GCMD, gcmd | G_SIRTP);     /* one-shot: not kept in gcmd */
    while (!(mmio_read32(VTD + GSTS) & G_SIRTP))
        cpu_relax();
    mmio_write64(VTD + IQA, (uint64_t)(uintptr_t)iq);                 /* QS 0: 256 descriptors */
    mmio_write64(VTD + IQT, 0);
    gcmd_set(G_QIE, G_QIE);
    iq_submit(4);                                 /* IEC invalidate, global */
    gcmd_set(G_IRE, G_IRE);
    mmio_write32(VTD + FEDATA, FAULT);
    mmio_write32(VTD + FEADDR, 0xfee00000u);
    mmio_write32(VTD + FECTL, 0);                 /* fault events unmasked */
    return 0;
}

/* One blocked MSI from queue 3: the fault event arrives, the recording
 * register holds reason / source-id / index, F clears. */
static int fault(uint32_t addr, unsigned reason, uint16_t sid, unsigned index, int status)
{
    unsigned f0 = cnt[FAULT], n0 = cnt[V_NEVER];
    queue_msi(3, addr, V_NEVER);
    mmio_write32(DEV + D_DOORBELL, 3);
    wait_for(FAULT, f0 + 1);
    uint32_t fsts = mmio_read32(VTD + FSTS);
    uint64_t cap = mmio_read64(VTD + CAP);
    uint64_t frcd = VTD + (cap >> 24 & 0x3ff) * 16 + (fsts >> 8 & 0xff) * 16;
    uint64_t lo = mmio_read64(frcd), hi = mmio_read64(frcd + 8);
    unsigned fr = hi >> 32 & 0xff, fsid = hi & 0xffff, fidx = lo >> 48;
    mmio_write32(frcd + 12, 1u << 31);            /* F is RW1C */
    uint32_t after = mmio_read32(VTD + FSTS);
    printf("devirq: fault 0x%x: FSTS 0x%x, FRCD reason 0x%x sid 0x%x index %u\n", reason, fsts, fr, fsid, fidx);
    if (!(fsts & 2) || !(hi >> 63) || fr != reason || fsid != sid || fidx != index || (after & 2) ||
        cnt[V_NEVER] != n0)
        return status;
    return 0;
}

static int faults(uint16_t sid)
{
    int r = fault(remappable(BAD_HANDLE), 0x21, sid, BAD_HANDLE, 66);
    if (!r)
        r = fault(remappable(3), 0x22, sid, 3, 67);
    /* compatibility format: FI logs the handle bits (here 0) */
    if (!r)
        r = fault(0xfee00000u, 0x25, sid, 0, 68);
    return r;
}

static int rate(unsigned q, unsigned vector, int halt)
{
    mmio_write32(DEV + Q(q, Q_CTRL), 1);
    if (halt) {
        wait_for(vector, RATE_N);
    } else {
        __asm__ volatile("sti" ::: "memory");
        while (cnt[vector] < RATE_N)
            cpu_relax();
        __asm__ volatile("cli" ::: "memory");
    }
    return cnt[vector] == RATE_N;
}

static int run(void)
{
    uint16_t sid = (uint16_t)mmio_read32(DEV + Q(0, Q_RID));
    /* 1: INTx through the I/O APIC: RTE[GSI] = vector, level, physical APIC ID 0 */
    mmio_write32(IOAPIC, 0x10 + 2 * HVSIM_PC_MSIDEV_GSI + 1);
    mmio_write32(IOAPIC + 0x10, 0);
    mmio_write32(IOAPIC, 0x10 + 2 * HVSIM_PC_MSIDEV_GSI);
    mmio_write32(IOAPIC + 0x10, V_INTX | 1u << 15);
    mmio_write32(DEV + D_CTRL, 0);
    if (!doorbells(0, V_INTX, ROUNDS))
        return 60;
    mmio_write32(IOAPIC + 0x10, V_INTX | 1u << 15 | 1u << 16);   /* masked */
    printf("devirq: INTx: %u interrupts\n", cnt[V_INTX]);

    /* 2: compatibility-format MSI */
    mmio_write32(DEV + D_CTRL, 1);
    queue_msi(0, 0xfee00000u, V_COMPAT);
    if (!doorbells(0, V_COMPAT, ROUNDS))
        return 61;
    printf("devirq: compatibility MSI: %u interrupts\n", cnt[V_COMPAT]);

    /* 3: remapped by the guest's VT-d unit */
    int r = viommu_setup(sid);
    if (r)
        return r;
    queue_msi(0, remappable(0), 0);
    if (!doorbells(0, V_REMAP, ROUNDS))
        return 62;
    irte(0, V_REMAP2, sid, 1);                    /* not invalidated: the IEC still has the old one */
    unsigned before = cnt[V_REMAP] + cnt[V_REMAP2];
    mmio_write32(DEV + D_DOORBELL, 0);
    while (cnt[V_REMAP] + cnt[V_REMAP2] == before)
        sti_hlt();
    if (cnt[V_REMAP2])
        return 63;
    iq_submit(4 | 1u << 4);                       /* IEC invalidate, index 0, IM 0 */
    if (!doorbells(0, V_REMAP2, 1))
        return 63;
    printf("devirq: remapped MSI: %u + %u interrupts\n", cnt[V_REMAP], cnt[V_REMAP2]);

    /* 4, 5: the device at its rate, the vCPU halted, then running */
    queue_msi(1, remappable(1), 0);
    if (!rate(1, V_HALT, 1))
        return 64;
    queue_msi(2, remappable(2), 0);
    if (!rate(2, V_RUN, 0))
        return 65;
    printf("devirq: rate: %u halted, %u running\n", cnt[V_HALT], cnt[V_RUN]);

    /* 6: faults, then the device still works */
    r = faults(sid);
    if (r)
        return r;
    if (!doorbells(0, V_REMAP2, 1))
        return 62;
    return 0;
}

int main(void)
{
    apic_idt_init();
    apic_enable();
    int r = run();
    unsigned total = 0, known = 0;
    for (unsigned v = 32; v < 256; v++)
        total += cnt[v];
    for (unsigned v = V_INTX; v <= FAULT; v++)
        known += cnt[v];
    if (!r && total != known)
        r = 69;
    if (r) {
        printf("devirq: FAIL %d\n", r);
        return r;
    }
    printf("devirq: %u interrupts, %u fault events\ndevirq: PASS\n", total, cnt[FAULT]);
    return 0;
}
