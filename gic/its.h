/* GICv3 Interrupt Translation Service as a KVM guest sees it (KVM's
 * in-kernel vITS, arch/arm64/kvm/vgic/vgic-its.c; Arm IHI 0069H chapter 5
 * and 12.19): GITS_CTLR, IIDR, TYPER, CBASER, CWRITER, CREADR, BASER<n>
 * and GITS_TRANSLATER, the command queue and every GICv3 command.
 *
 * Model library layer: knows neither Unicorn nor trace formats.  LPIs are
 * made pending in the Redistributors of gic/gicv3.h.
 *
 * Implementation choices (each IMPLEMENTATION DEFINED or a limit):
 *  - GITS_TYPER: Physical = 1, Virtual = 0 (unless GICv4, below), PTA = 0 (a
 *    collection targets a processor number, as KVM), 16 DeviceID bits, 16
 *    EventID bits, ITT entry 8 bytes, CIL = 1 with 8 collection ID bits,
 *    HCC = 0, SEIS = 0 (no SError on command errors), CCT = 0.
 *  - GITS_BASER0 is the device table, GITS_BASER1 the collection table
 *    (entries 8 bytes, as KVM's ABI v0), the others RAZ/WI.  Flat and
 *    two-level (Indirect) tables, 4K/16K/64K pages.
 *  - Table contents: cached in hvsim, not written to guest memory (KVM does
 *    the same while the VM runs and writes its ABI format only on save).
 *    The tables' memory is still checked: a DeviceID or ICID must fit the
 *    table the guest provided, the table's entry must lie in RAM, a
 *    two-level table's level-1 entry is read from guest memory (it is the
 *    guest's: its Valid bit says whether the level-2 page exists), the ITT
 *    of MAPD must lie in RAM.  The cache holds ITS_MAX_DEVICES devices and
 *    ITS_MAX_ITES translations; beyond them a MAP command fails (counted
 *    as "out of resources", as KVM's -ENOMEM).
 *  - Command errors: KVM's choice, the command is ignored and the queue
 *    goes on (CREADR advances, GITS_CREADR.Stalled stays 0); each error is
 *    counted by its spec code (E_ITS_*).  The GICv4 commands are in the
 *    dispatch table; an ITS without GICv4 (the guest's: Virtual = 0) fails
 *    them as "not supported by this ITS", as a GICv4.0 one INVDB and VSGI.
 *    A command that cannot be read (queue outside RAM) stalls the queue:
 *    CREADR.Stalled = 1 until a CWRITER write with Retry = 1 (GIC-600).
 *  - A CWRITER offset at or beyond the queue's size is ignored and counted
 *    (KVM vgic_mmio_write_its_cwriter); at most one queue's worth of commands
 *    is processed per CWRITER write, so a queue never loops.
 *  - Commands are processed only while GITS_CTLR.Enabled = 1 (12.19.6);
 *    the translation of an MSI too.
 *
 * GICv4 (its_set_version(its, 4 or 41); IHI 0069H 5.2.x, 5.3 V* commands,
 * chapter 9): the ITS of the *host*, which the modelled hypervisor drives
 * (KVM's vgic-v4 through the Linux ITS driver; the guest's own ITS stays a
 * GICv3 one).  GITS_TYPER.Virtual = 1, VMOVP = 1 (one ITS: VMOVP needs no
 * ITSList), GITS_BASER2 is the vPE table (entries ITS_VPE_ENTRY_SIZE, flat
 * or two-level, checked in memory as the other tables).  Unlike the other
 * tables it is written: VMAPP stores the vPE's entry (its VPT_addr and
 * VPT_size, RDbase, 4.1 VCONF_addr and Default_Doorbell; layout ITS_VPTE*
 * in gic/regs.h) and clears its Valid bit on unmap.  In GICv4.1 the table
 * is shared with the Redistributors: GICR_VPROPBASER (4.1 layout) points
 * each at it, and a GICR_VPENDBASER write that schedules a vPE reads that
 * vPE's entry from memory through it (Valid, RDbase), with the same
 * bounds checks (Size, Page_Size, Indirect, Entry_Size).  VMAPP, VMAPTI, VMAPI,
 * VMOVI, VMOVP, VSYNC, VINVALL and (4.1) INVDB, VSGI are handled; MAPD,
 * DISCARD, INV, INT, CLEAR act on virtual ITEs too (5.3: an ITE maps an
 * event to a vPE and vINTID).  The Redistributors' GICv4 side lives here as
 * well (one ITS serves every Redistributor): GICR_VPROPBASER and
 * GICR_VPENDBASER per Redistributor (its_v4_vpendbaser_write: residency),
 * the vPEs' virtual pending state (the VPT, cached: the VPT's memory is
 * checked when VMAPP maps it), and the doorbell: a vLPI that becomes pending
 * while its vPE is not resident raises the ITE's Dbell_pINTID (4.0) or the
 * vPE's default doorbell (4.1, when VPENDBASER.Doorbell was set at the
 * vPE's descheduling; once until it is rescheduled) through its->doorbell.
 * A vLPI's priority and enable are read from the vPE's configuration table
 * (4.0: VPROPBASER of its Redistributor; 4.1: VMAPP's VCONF_addr) at
 * VMAPTI and on INV/VINVALL.
 *
 * Costs: the design's [its] section (its_cfg_keys), charged through
 * its->cycles to whoever drove the ITS (the vCPU writing CWRITER or
 * GITS_TRANSLATER, or the device's requester). */
#ifndef HVSIM_GIC_ITS_H
#define HVSIM_GIC_ITS_H
#include "core/cfg.h"
#include "core/stats.h"
#include "gic/gicv3.h"

#define ITS_DEV_BITS 16
#define ITS_EVENT_BITS 16
#define ITS_CID_BITS 8
#define ITS_MAX_DEVICES 64
#define ITS_MAX_ITES 1024
#define ITS_MAX_COLLECTIONS (1u << ITS_CID_BITS)
#define ITS_ENTRY_SIZE 8         /* DTE, CTE and ITT entry (KVM ABI v0) */
#define ITS_VPE_ENTRY_SIZE 32    /* vPE table entry (gic/regs.h ITS_VPTE*: VPT, VCONF, RDbase, doorbell) */
#define ITS_CACHE_MAX 64
#define ITS_MAX_VPES 64          /* vPEs cached (the model's limit; VMAPP beyond: out of resources) */
#define ITS_VPEID_BITS 16        /* vPEIDs are 16 bits (5.3 VMAPP) */

/* Command numbers (IHI 0069H 5.3, Linux GITS_CMD_*). */
enum its_cmd_nr {
	ITS_MOVI = 0x01, ITS_INT = 0x03, ITS_CLEAR = 0x04, ITS_SYNC = 0x05, ITS_MAPD = 0x08,
	ITS_MAPC = 0x09, ITS_MAPTI = 0x0a, ITS_MAPI = 0x0b, ITS_INV = 0x0c, ITS_INVALL = 0x0d,
	ITS_MOVALL = 0x0e, ITS_DISCARD = 0x0f,
	/* GICv4.0 / GICv4.1 */
	ITS_VMOVI = 0x21, ITS_VMOVP = 0x22, ITS_VSGI = 0x23, ITS_VSYNC = 0x25, ITS_VMAPP = 0x29,
	ITS_VMAPTI = 0x2a, ITS_VMAPI = 0x2b, ITS_VINVALL = 0x2d, ITS_INVDB = 0x2e,
	ITS_NR_CMDS = 0x30,
};

/* Error kinds, counted one by one.  The spec's codes (Linux E_ITS_*) are
 * given beside them in its.c. */
enum its_error {
	ITS_E_UNMAPPED_DEVICE,      /* command or MSI for a DeviceID without a valid MAPD */
	ITS_E_DEVICE_OOR,           /* DeviceID beyond Devbits or the device table */
	ITS_E_ID_OOR,               /* EventID beyond the device's ITT size */
	ITS_E_PHYSICALID_OOR,       /* pINTID not an LPI (below 8192 or beyond IDbits) */
	ITS_E_COLLECTION_OOR,       /* ICID beyond CIDbits or the collection table */
	ITS_E_UNMAPPED_COLLECTION,  /* ICID without a valid MAPC */
	ITS_E_UNMAPPED_INTERRUPT,   /* EventID without a mapping */
	ITS_E_PROCNUM_OOR,          /* target processor number not a vCPU */
	ITS_E_ITTSIZE_OOR,          /* MAPD Size beyond IDbits */
	ITS_E_TABLE_OUTSIDE_RAM,    /* a device/collection table entry, ITT or level-1 entry not in RAM */
	ITS_E_NO_TABLE,             /* GITS_BASER<n> of the needed table not valid */
	ITS_E_UNSUPPORTED,          /* unknown command number, or GICv4 (GITS_TYPER.Virtual = 0) */
	ITS_E_RESOURCES,            /* the model's cache is full (ITS_MAX_DEVICES, ITS_MAX_ITES, GIC_MAX_LPIS) */
	ITS_E_CWRITER_OOR,          /* CWRITER offset beyond the queue */
	ITS_E_QUEUE_OUTSIDE_RAM,    /* command queue not in RAM: stalled */
	ITS_E_DISABLED,             /* MSI while GITS_CTLR.Enabled = 0 */
	ITS_E_REGISTER,             /* reserved offset, bad width, write while enabled */
	ITS_E_VPE_OOR,              /* vPEID beyond 16 bits or the vPE table */
	ITS_E_UNMAPPED_VPE,         /* vPEID without a valid VMAPP */
	ITS_E_VINTID_OOR,           /* vINTID not a vLPI of the vPE's VPT_size (or a vSGI INTID beyond 15) */
	ITS_E_DOORBELL_OOR,         /* Dbell_pINTID neither an LPI nor 1023 */
	ITS_E_VPT,                  /* VPT (or 4.1 vPE configuration) not in memory, or VPT_size beyond the ITS's */
	ITS_NERRORS,
};

struct its_device {
	bool valid;
	uint32_t id;
	uint8_t event_bits;         /* MAPD Size + 1 */
	uint64_t itt;
};

struct its_ite {
	bool valid;
	uint32_t devid, eventid, intid;   /* intid: the vINTID of a virtual ITE */
	uint16_t icid;
	/* GICv4: a virtual ITE (VMAPTI/VMAPI) and its vLPI's state in the vPE */
	bool virt;
	uint16_t vpeid;
	uint32_t db;                /* Dbell_pINTID (4.0), ITS_DB_NONE */
	bool vpending, venabled, via_doorbell;
	uint8_t vprio;
	cycles_t vpending_at;
};

/* A vPE (GICv4, VMAPP): where it is mapped and its tables. */
struct its_vpe {
	bool valid;
	uint16_t id, rd;            /* vPEID; RDbase as a processor number (PTA = 0) */
	uint64_t vpt, vconf;        /* VPT_addr; 4.1 VCONF_addr */
	uint8_t vpt_bits;           /* VPT_size + 1: vINTIDs below 2^vpt_bits */
	uint32_t db;                /* 4.1 Default_Doorbell, ITS_DB_NONE */
	bool db_armed;              /* 4.1: VPENDBASER.Doorbell set when descheduled, not yet rung */
	/* vSGIs (4.1): configuration from VSGI, state from GITS_SGIR and the CPU interface */
	uint16_t sgi_enabled, sgi_group, sgi_pending, sgi_db;
	uint8_t sgi_prio[16];
	cycles_t sgi_at[16];
};

struct its_collection {
	bool valid;
	uint16_t target;            /* processor number (PTA = 0) */
};

/* Mapping changes the hypervisor model follows (GICv4 forwarding). */
enum its_map_op { ITS_MAP_EVENT, ITS_UNMAP_EVENT, ITS_MOVE_EVENT, ITS_INV_EVENT };

/* A decoded command (field getters in its.c). */
struct its_cmd {
	uint64_t dw[4];
	uint8_t nr;
	uint32_t devid, eventid, intid, size;
	uint16_t icid;
	bool valid;
	uint64_t itt, rdbase, rdbase2;
};

/* A vPE's highest-priority pending interrupt the Redistributor offers to
 * the virtual CPU interface (its_v4_hppi). */
struct its_direct {
	uint32_t intid;             /* vINTID, GIC_INTID_SPURIOUS for none */
	uint8_t prio;
	bool via_doorbell;          /* became pending while the vPE was not resident */
	cycles_t pending_at;
};

struct its_costs {
	cycles_t cmd, translate_hit, translate_miss, table_read;
	unsigned cache_entries;
};

struct its {
	struct gicv3 *gic;
	bool enabled;
	uint64_t cbaser, cwriter, creadr, baser[2];
	struct its_device dev[ITS_MAX_DEVICES];
	struct its_ite ite[ITS_MAX_ITES];
	struct its_collection coll[ITS_MAX_COLLECTIONS];
	/* translation cache (KVM's LPI translation cache): (DeviceID, EventID) */
	struct { uint32_t devid, eventid; uint64_t used; bool valid; } cache[ITS_CACHE_MAX];
	uint64_t cache_clock;
	struct its_costs cost;
	/* GICv4 */
	unsigned version;           /* 3, 40 or 41 */
	uint64_t baser2;            /* GITS_BASER2: the vPE table */
	struct its_vpe vpe[ITS_MAX_VPES];
	uint64_t vpropbaser[GIC_MAX_CPUS], vpendbaser[GIC_MAX_CPUS];
	/* A doorbell (physical LPI pintid) for Redistributor rd; vpeid names the vPE it is for. */
	void (*doorbell)(void *ctx, unsigned rd, uint32_t pintid, uint16_t vpeid);
	/* A vLPI/vSGI became pending on a resident vPE of Redistributor rd (the
	 * virtual CPU interface must look again: no exit). */
	void (*direct)(void *ctx, unsigned rd);
	void *v4ctx;
	/* Set by the hypervisor model on the guest's ITS: an event's mapping to
	 * a physical LPI (ite, lpi: INTID, target, priority, enable) changed. */
	void (*mapping)(void *ctx, enum its_map_op op, const struct its_ite *ite, const struct gic_irq *lpi);
	void *mapping_ctx;
	uint64_t *st_doorbells, *st_residency;
	cycles_t cycles;            /* cost of the work since the owner last took it */
	/* statistics (own storage until its_register_stats) */
	uint64_t *st_errors[ITS_NERRORS], *st_cmds[ITS_NR_CMDS], *st_translations, *st_cache_hits, *st_cache_misses;
	uint64_t own[ITS_NERRORS + ITS_NR_CMDS + 5];
};

extern const struct cfg_key its_cfg_keys[];
extern const unsigned its_cfg_nkeys;
extern const struct dev_ops its_ctrl_ops;   /* the 64 KiB control frame (ITS_base) */

int its_init(struct its *its, struct gicv3 *gic, const struct cfg *c);
void its_register_stats(struct its *its, struct stats *st);
/* The same under another prefix ("its" above; the host's ITS: "gic.v4.its"). */
void its_register_stats_as(struct its *its, struct stats *st, const char *prefix);
/* An MSI: a write of event_id to GITS_TRANSLATER by device_id (side-band
 * DeviceID of the requester).  Returns true if an LPI was made pending. */
bool its_translate(struct its *its, uint32_t device_id, uint32_t event_id);
/* The cycles spent since the last call, and reset. */
cycles_t its_take_cycles(struct its *its);
const char *its_error_name(enum its_error e);
/* One 32-byte command (little-endian doublewords as in the queue), run as
 * if read from the queue: the hypervisor model's and the tests' entry. */
void its_command(struct its *its, const uint64_t dw[4]);

/* ---- GICv4 (its_v4.c) ---- */
/* 3 (no GICv4), 40 or 41: GITS_TYPER.Virtual, GITS_BASER2 and the V* commands. */
void its_set_version(struct its *its, unsigned version);
struct its_vpe *its_vpe(struct its *its, uint32_t vpeid);     /* mapped vPE or NULL */
/* GICR_VPROPBASER / GICR_VPENDBASER of Redistributor rd (12.11.37-38),
 * written by the hypervisor.  VPENDBASER.Valid 1: the vPE it names (4.0: by
 * its VPT address; 4.1: vPEID) becomes resident; 0: not resident, with
 * PendingLast reporting whether a vLPI is pending (and 4.1 Doorbell arming
 * the vPE's default doorbell).  false: a bad value (counted). */
bool its_v4_vpendbaser_write(struct its *its, unsigned rd, uint64_t v);
/* GICR_VPROPBASER as read back: 4.1 Entry_Size is the implementation's (RO). */
uint64_t its_v4_vpropbaser_read(const struct its *its, unsigned rd);
uint64_t its_v4_vpendbaser_read(const struct its *its, unsigned rd);
void its_v4_vpropbaser_write(struct its *its, unsigned rd, uint64_t v);
/* The vPE resident on rd, or NULL. */
struct its_vpe *its_v4_resident(struct its *its, unsigned rd);
/* The resident vPE's best pending vLPI/vSGI with priority, for the CPU interface. */
struct its_direct its_v4_hppi(struct its *its, unsigned rd);
/* The CPU interface acknowledged intid from rd's resident vPE: its pending
 * state goes (neither a vLPI nor a 4.1 vSGI has an active state). */
void its_v4_acknowledge(struct its *its, unsigned rd, uint32_t intid);
/* GITS_SGIR (4.1): makes vSGI intid pending on vPE vpeid at `now`. */
bool its_v4_sgir(struct its *its, uint32_t vpeid, uint32_t intid, cycles_t now);

#endif
