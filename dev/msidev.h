/* An MSI-generating device in the spirit of an SR-IOV NIC virtual function
 * (issues 6 and 7): a few queues, each with an MSI-X-style vector (message
 * address, upper address, data, vector control with its mask, PCI Local
 * Bus 3.0 / PCIe Base 6.1.4: "MSI-X Table" and "Pending Bit Array") and a
 * requester ID, raising its interrupt when the guest rings the doorbell with
 * the queue's index, or periodically at the design's rate.
 *
 * The device only makes a DWORD write (addr, data) with its requester ID;
 * where it goes is the machine's business (msi_write):
 *   ARM: addr = GITS_TRANSLATER's address, data = EventID, requester ID =
 *        DeviceID (the ITS's side band);
 *   x86: addr/data an MSI in compatibility or remappable format, through the
 *        interrupt remapping unit (iommu/vtd.h) or straight to the LAPIC.
 *
 * Register block (little-endian, 32-bit registers; an aligned 64-bit access
 * is two 32-bit ones):
 *   0x000 ID (RO)          MSIDEV_ID_VALUE
 *   0x004 NQUEUES (RO)     number of queues
 *   0x008 CTRL (RW)        0 ENABLE (MSI-X Enable) | 1 MASK_ALL (Function Mask)
 *   0x00c DOORBELL (WO)    a queue index: that queue raises its interrupt
 *   0x010 INTERVAL (RO)    rate mode period in cycles, bits 31:0 (0x014: 63:32)
 *   0x018 INTX_STATUS      0 ASSERTED (RW1C): the INTx line (PCI 3.0 6.2.3,
 *                          Status register "Interrupt Status")
 *   0x100 + 0x20 * q       queue q:
 *     +0x00 ADDR_LO  +0x04 ADDR_HI  +0x08 DATA  +0x0c VECTOR_CTRL (0 MASK)
 *     +0x10 QCTRL (0 RATE: one interrupt every INTERVAL cycles)
 *     +0x14 RID (RO) +0x18 COUNT (RO, interrupts sent, bits 31:0)
 *     +0x1c PENDING (RO, 0: raised while masked, sent on unmask)
 * Every guest-supplied index and offset is checked: a queue index or queue
 * offset beyond NQUEUES, a reserved offset or a bad width is ignored (reads
 * zero) and counted in guest_errors.
 *
 * With ENABLE clear (MSI-X off) a queue's interrupt asserts the function's
 * INTx line, if the machine wired one (intx): it stays asserted, as a PCI
 * INTx is level-sensitive, until software writes 1 to INTX_STATUS.ASSERTED
 * (or enables MSI-X); without a line it is dropped.
 *
 * Timing is deterministic through the core's event queue: a doorbell at
 * time t sends at t + doorbell_cycles; rate mode enabled at t sends at
 * t + k * interval_cycles (k = 1, 2, ...), on the simulated clock.
 * Model library layer: knows neither Unicorn nor trace formats. */
#ifndef HVSIM_DEV_MSIDEV_H
#define HVSIM_DEV_MSIDEV_H
#include <stdbool.h>
#include <stdint.h>
#include "core/cfg.h"
#include "core/field.h"
#include "core/sim.h"
#include "dev/dev.h"

#define MSIDEV_MAX_QUEUES 64
#define MSIDEV_ID_VALUE 0x4449534du      /* "MSID" in memory order */

enum {
	MSIDEV_ID = 0x000, MSIDEV_NQUEUES = 0x004, MSIDEV_CTRL = 0x008, MSIDEV_DOORBELL = 0x00c,
	MSIDEV_INTERVAL = 0x010, MSIDEV_INTERVAL_HI = 0x014, MSIDEV_INTX_STATUS = 0x018,
	MSIDEV_QUEUE_BASE = 0x100, MSIDEV_QUEUE_STRIDE = 0x20,
	MSIDEV_Q_ADDR_LO = 0x00, MSIDEV_Q_ADDR_HI = 0x04, MSIDEV_Q_DATA = 0x08, MSIDEV_Q_VECTOR_CTRL = 0x0c,
	MSIDEV_Q_CTRL = 0x10, MSIDEV_Q_RID = 0x14, MSIDEV_Q_COUNT = 0x18, MSIDEV_Q_PENDING = 0x1c,
	MSIDEV_WINDOW = 0x1000,
};
FIELD(MSIDEV_CTRL, ENABLE, 0, 1)
FIELD(MSIDEV_CTRL, MASK_ALL, 1, 1)
FIELD(MSIDEV_VCTRL, MASK, 0, 1)
FIELD(MSIDEV_QCTRL, RATE, 0, 1)
FIELD(MSIDEV_INTX, ASSERTED, 0, 1)

/* The device's DWORD write: where the machine routes it. */
typedef void (*msi_write_fn)(void *ctx, uint64_t addr, uint32_t data, uint16_t requester_id, cycles_t when);
/* The INTx line changes level (asserted: true). */
typedef void (*intx_fn)(void *ctx, bool asserted, cycles_t when);

extern const struct cfg_key msidev_cfg_keys[];   /* [msidev] */
extern const unsigned msidev_cfg_nkeys;

struct msidev_config {
	unsigned queues;
	uint16_t requester_id;      /* queue 0's requester ID (bus << 8 | device << 3 | function) */
	unsigned rid_stride;        /* queue q's is requester_id + q * rid_stride (SR-IOV VF Stride) */
	cycles_t interval_cycles;   /* rate mode period; 0: no rate mode */
	cycles_t doorbell_cycles;   /* doorbell write to MSI write */
};
void msidev_config_read(const struct cfg *c, struct msidev_config *mc);

struct msidev;
struct msidev_queue {
	struct msidev *dev;
	uint64_t addr;
	uint32_t data;
	bool masked, rate, pending;
	uint16_t rid;
	cycles_t next_due;          /* rate mode: the one live periodic event */
	uint64_t sent;
};

struct msidev {
	struct msidev_config cfg;
	bool enable, mask_all;
	struct msidev_queue q[MSIDEV_MAX_QUEUES];
	struct evq *evq;
	cycles_t (*now)(void *ctx);   /* the accessing vCPU's clock */
	msi_write_fn msi_write;
	intx_fn intx;                 /* NULL: no INTx line (set by the owner after msidev_init) */
	void *ctx;
	unsigned sending;             /* inside msi_write: the queue whose MSI it is */
	bool intx_asserted;
	uint64_t sent;                /* MSI writes made */
	uint64_t intx_raised;         /* interrupts signalled on INTx */
	uint64_t doorbells;
	uint64_t masked;              /* raised while masked (pending bit set) */
	uint64_t dropped;             /* raised while ENABLE = 0 and no INTx line */
	uint64_t *guest_errors;       /* own_errors unless the owner points it at a statistic */
	uint64_t own_errors;
};

extern const struct dev_ops msidev_ops;

/* -1 + err_set when the configuration is out of range (queues, requester IDs). */
int msidev_init(struct msidev *d, const struct msidev_config *mc, struct evq *evq, cycles_t (*now)(void *ctx),
		msi_write_fn msi_write, void *ctx);

#endif
