/* GICv3 ITS and LPI helpers for the guests (Arm IHI 0069H chapter 5, 12.19):
 * LPI tables for this CPU's Redistributor, the ITS's tables and command
 * queue in the guest's memory, commands built by their field layout (5.3).
 * 64-bit registers are written as two 32-bit halves (plain STR, so a
 * hypervisor can emulate each from its syndrome). */
#ifndef RT_ARM64_ITS_H
#define RT_ARM64_ITS_H

#define ITS_LPI_BASE     8192u
#define ITS_IDBITS       13u           /* PROPBASER.IDbits: INTIDs below 16384 */
#define GITS_CTLR        0x0000u
#define GITS_TYPER       0x0008u
#define GITS_CBASER      0x0080u
#define GITS_CWRITER     0x0088u
#define GITS_CREADR      0x0090u
#define GITS_BASER0      0x0100u
#define GITS_BASER1      0x0108u
#define GITS_TRANSLATER  0x10040u      /* in the translation frame */
#define GICR_CTLR        0x0000u
#define GICR_PROPBASER   0x0070u
#define GICR_PENDBASER   0x0078u

extern uint8_t its_prop[];             /* LPI configuration table (one byte per LPI) */
uint64_t its_base(void);
void its_write64(uint64_t a, uint64_t v);
uint64_t its_read64(uint64_t a);
/* PROPBASER/PENDBASER of this CPU's Redistributor, every LPI's
 * configuration byte = prio | enable, EnableLPIs. */
void lpi_rdist_init(unsigned prio, int enable);
/* BASER0 (devices) and BASER1 (collections) flat one page each, the
 * command queue, GITS_CTLR.Enabled. */
void its_init(void);
/* Appends a command and lets the ITS run it (CWRITER, then waits for
 * CREADR; returns CREADR, bit 0 = Stalled). */
uint64_t its_cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3);
/* The same without waiting, CWRITER written as one 32-bit access (as
 * kvm-unit-tests' its_send_*_nv and its_post_commands). */
void its_cmd_nv(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3);
/* GICR_TYPER.Processor_Number of this CPU (the RDbase with PTA = 0). */
unsigned its_rdbase(void);
uint64_t its_itt(unsigned n);          /* address of ITT n (256-byte aligned, 16 events) */
static inline void its_msi(uint32_t event) { mmio_write32(its_base() + GITS_TRANSLATER, event); }

#define ITS_MAPD(dev, size, itt, v) its_cmd(0x08 | (uint64_t)(dev) << 32, (size), (itt) | (uint64_t)(v) << 63, 0)
#define ITS_MAPC(icid, rd, v)       its_cmd(0x09, 0, (icid) | (uint64_t)(rd) << 16 | (uint64_t)(v) << 63, 0)
#define ITS_MAPTI(dev, ev, id, icid) its_cmd(0x0a | (uint64_t)(dev) << 32, (ev) | (uint64_t)(id) << 32, (icid), 0)
#define ITS_EV(nr, dev, ev, icid)   its_cmd((nr) | (uint64_t)(dev) << 32, (ev), (icid), 0)
#define ITS_INT     0x03
#define ITS_CLEAR   0x04
#define ITS_INV     0x0c
#define ITS_DISCARD 0x0f
#define ITS_SYNC(rd)                its_cmd(0x05, 0, (uint64_t)(rd) << 16, 0)

#endif
