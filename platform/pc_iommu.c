/* The x86 machine's device-interrupt path, modelled as KVM + VFIO + QEMU's
 * intel-iommu run a passed-through SR-IOV virtual function:
 *
 *   msidev queue q --MSI (guest's MSI-X entry)--> (a) guest vIOMMU --> (b) host IOMMU
 *     (a) the guest-visible VT-d unit at HVSIM_PC_VTD (CAP.PI = 0, as QEMU's
 *         vIOMMU): remaps with the guest's IRTA in guest RAM when the guest
 *         enabled it, records its faults in the guest-visible registers;
 *     (b) the physical unit the hypervisor owns: one host IRTE per queue
 *         (VFIO: one per MSI-X vector) in hypervisor memory, programmed as
 *         KVM's vmx_pi_update_irte decides: posted format at the target
 *         vCPU's PI descriptor when the design posts interrupts and the
 *         guest interrupt is fixed/lowest-priority to a single vCPU, else
 *         remapped to a host vector whose handler (VFIO -> irqfd -> KVM)
 *         injects the guest interrupt (a kick: an exit for a running
 *         target, a wake-up for a halted one).
 *   With MSI-X disabled the device raises INTx on I/O APIC pin
 *   HVSIM_PC_MSIDEV_GSI (VFIO INTx -> irqfd -> KVM's I/O APIC).
 *
 * Simplifications (docs/architecture.md): the guest vIOMMU is consulted per
 * interrupt, with an IEC that only the guest's invalidation empties, where
 * QEMU translates once per route update (vtd_iec_notify_all); the host IRTE
 * is brought up to date when an interrupt finds it stale, uncosted, where
 * KVM rewrites it at the routing update; the INTx message leaves the I/O
 * APIC at the current vCPU's clock.  See pc.h. */
#include "platform/pc.h"
#include <stdlib.h>
#include <string.h>
#include "apic/ioapic.h"
#include "apic/lapic.h"
#include "core/err.h"
#include "core/log.h"
#include "dev/msidev.h"
#include "iommu/vtd.h"

/* The host's interrupt remapping table: hypervisor memory, 2^(S+1) = 64
 * entries, one per possible queue.  Its address and the host vectors are
 * not observable by the guest; they only have to be valid. */
#define HOST_IRT_HPA 0x100000000ULL
#define HOST_IRT_S 5
#define HOST_IRT_ENTRIES (2u << HOST_IRT_S)
#define HOST_VECTOR_BASE 0x30u   /* host vectors of the VFIO MSI-X handlers, one per queue */

_Static_assert(HOST_IRT_ENTRIES >= MSIDEV_MAX_QUEUES, "one host IRTE per queue");

/* How a device interrupt reached the guest (statistics). */
enum dev_path { PATH_INTX, PATH_HOST_IRQ, PATH_POSTED, PATH_BLOCKED, PATH_DROPPED, NPATHS };
static const char *const path_name[NPATHS] = {
	[PATH_INTX] = "intx", [PATH_HOST_IRQ] = "host_irq", [PATH_POSTED] = "posted",
	[PATH_BLOCKED] = "blocked", [PATH_DROPPED] = "dropped",
};
static const char *const path_doc[NPATHS] = {
	[PATH_INTX] = "INTx assertions on the I/O APIC pin (MSI-X disabled)",
	[PATH_HOST_IRQ] = "MSIs delivered by a host interrupt: VFIO -> irqfd -> KVM injection",
	[PATH_POSTED] = "MSIs posted by the IOMMU to the target vCPU's PI descriptor",
	[PATH_BLOCKED] = "MSIs the guest's vIOMMU blocked (a remapping fault)",
	[PATH_DROPPED] = "MSIs to no interrupt address, or posts to no descriptor",
};

/* Interrupt-remapping fault reasons 0x20-0x28 by name (VT-d 5.1.4.1, Table 15) */
static const char *const fault_name[9] = {
	"request_reserved", "index", "not_present", "table", "irte_reserved", "compat", "sid", "pid", "pid_reserved",
};

struct pc_iommu {
	struct pc *pc;
	struct msidev dev;
	struct vtd guest;             /* the guest-visible unit (QEMU's intel-iommu) */
	struct vtd_ir host;           /* the physical unit's interrupt side */
	uint64_t host_irt[HOST_IRT_ENTRIES][2];
	struct ioapic *ioapic;
	bool present, host_ir;
	cycles_t irte_fetch_cycles, iec_hit_cycles, host_irq_cycles;
	cycles_t event_at;            /* time of the request being remapped (fault events) */
	uint64_t *st_path[NPATHS], *st_guest[IR_BLOCKED + 1], *st_fault[9], *st_host[IR_BLOCKED + 1];
	uint64_t *st_iec_hits, *st_iec_misses, *st_irte_writes, *st_errors;
};

/* Defaults and their sources: designs/default-x86.ini */
const struct cfg_key pc_iommu_cfg_keys[] = {
	{ "iommu", "present", CFG_BOOL, 0, 0, NULL,
	  "the guest sees a VT-d unit with interrupt remapping at 0xFED90000 (QEMU -device intel-iommu,intremap=on)" },
	{ "iommu", "ir", CFG_BOOL, 0, 0, NULL,
	  "the host IOMMU remaps the device's interrupts (Linux intremap=on); off: compatibility MSIs, never posted" },
	{ "iommu", "iec_entries", CFG_U64, 0, IEC_MAX_ENTRIES, NULL, "host IOMMU interrupt entry cache entries" },
	{ "iommu", "guest_iec_entries", CFG_U64, 0, IEC_MAX_ENTRIES, NULL,
	  "guest vIOMMU: interrupts translated and kept until the guest invalidates (QEMU's MSI routes)" },
	{ "iommu", "guest_nfr", CFG_U64, 1, VTD_MAX_FRCD, NULL, "guest vIOMMU fault recording registers (CAP.NFR + 1)" },
	{ "iommu", "guest_haw", CFG_U64, 32, 64, NULL, "guest vIOMMU host address width (QEMU aw-bits)" },
	{ "iommu", "host_haw", CFG_U64, 32, 64, NULL, "physical IOMMU host address width (ACPI DMAR)" },
	{ "iommu", "irte_fetch_cycles", CFG_U64, 0, 1e9, NULL, "host IOMMU: an IRTE read from memory (IEC miss)" },
	{ "iommu", "iec_hit_cycles", CFG_U64, 0, 1e9, NULL, "host IOMMU: an IRTE found in the interrupt entry cache" },
	{ "iommu", "host_irq_cycles", CFG_U64, 0, 1e9, NULL,
	  "a remapped device interrupt's host handler: VFIO eventfd -> irqfd -> KVM delivery to the LAPIC" },
};
const unsigned pc_iommu_cfg_nkeys = sizeof pc_iommu_cfg_keys / sizeof pc_iommu_cfg_keys[0];

static cycles_t clock_now(const struct pc *p)
{
	const struct sim *s = p->m.sim;
	return s && p->m.cur_cpu < s->ncpus ? s->cpus[p->m.cur_cpu]->clock : 0;
}

/* ---- memories: guest RAM (the guest's tables), hypervisor memory (the host's) ---- */

static bool guest_read(void *ctx, uint64_t pa, void *buf, unsigned len)
{
	struct machine *m = ctx;
	if (!machine_in_ram(m, pa, len))
		return false;
	memcpy(buf, m->ram + (pa - m->ram_base), len);
	return true;
}

static bool guest_write(void *ctx, uint64_t pa, const void *buf, unsigned len)
{
	struct machine *m = ctx;
	if (!machine_in_ram(m, pa, len))
		return false;
	memcpy(m->ram + (pa - m->ram_base), buf, len);
	return true;
}

static bool host_read(void *ctx, uint64_t pa, void *buf, unsigned len)
{
	struct pc_iommu *io = ctx;
	if (pa < HOST_IRT_HPA || pa - HOST_IRT_HPA > sizeof io->host_irt - len)
		return false;
	memcpy(buf, (uint8_t *)io->host_irt + (pa - HOST_IRT_HPA), len);
	return true;
}

static bool host_write(void *ctx, uint64_t pa, const void *buf, unsigned len) { return false; }

/* ---- messages ---- */

static struct apic_msg to_msg(const struct ir_irq *q, bool x2apic_dest)
{
	return (struct apic_msg){
		.vector = q->vector, .mode = (enum apic_delivery)q->dlm, .logical = q->dest_logical, .dest = q->dest,
		.x2apic_dest = x2apic_dest, .level = true, .trig_level = q->level,
	};
}

/* The guest unit's own fault and completion events: compatibility format,
 * never remapped (VT-d 5.1.6), signalled by QEMU (KVM_SIGNAL_MSI). */
static void event_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct pc_iommu *io = ctx;
	struct ir_irq q;
	if (!ir_is_interrupt_addr(addr)) {
		(*io->st_errors)++;
		return;
	}
	ir_decode_compat(addr, data, &q);
	struct apic_msg m = to_msg(&q, false);
	pc_irq_send(io->pc, &m, io->event_at ? io->event_at : clock_now(io->pc));
}

/* ---- (a) the guest's vIOMMU ---- */

/* The guest interrupt the device's (addr, data) stands for; false: none. */
static bool guest_remap(struct pc_iommu *io, uint64_t addr, uint32_t data, uint16_t rid, cycles_t when,
			struct ir_irq *q, bool *x2apic_dest)
{
	struct ir_result r;
	io->event_at = when;
	vtd_interrupt(&io->guest, addr, data, rid, &r);
	io->event_at = 0;
	if (r.kind <= IR_BLOCKED)
		(*io->st_guest[r.kind])++;
	switch (r.kind) {
	case IR_COMPAT: case IR_REMAPPED:
		*q = r.irq;
		*x2apic_dest = r.kind == IR_REMAPPED && io->guest.ir.eime;
		return true;
	case IR_BLOCKED:
		if (r.fault >= 0x20 && r.fault <= 0x28)
			(*io->st_fault[r.fault - 0x20])++;
		(*io->st_path[PATH_BLOCKED])++;
		return false;
	default:   /* not an interrupt address (a DMA write); posted cannot happen: CAP.PI = 0 */
		(*io->st_path[PATH_DROPPED])++;
		(*io->st_errors)++;
		return false;
	}
}

/* ---- (b) the host's remapping ---- */

/* KVM kvm_intr_is_single_vcpu for the physical destination mode this
 * machine's guests use (APIC ID = vCPU index): the vCPU, or -1.  Logical
 * destinations are taken as not single (remapped), a simplification. */
static int single_vcpu(const struct pc_iommu *io, const struct ir_irq *q)
{
	if (q->dest_logical || q->dest >= io->pc->m.ncpus)
		return -1;
	return (int)q->dest;
}

/* kvm_irq_is_postable: fixed or lowest priority */
static bool postable(const struct ir_irq *q) { return q->dlm == DLM_FIXED || q->dlm == DLM_LOWEST; }

/* The host IRTE the hypervisor wants for queue `qi` delivering q. */
static void host_irte(const struct pc_iommu *io, unsigned qi, uint16_t rid, const struct ir_irq *q, uint64_t raw[2])
{
	struct pc *p = io->pc;
	int cpu = single_vcpu(io, q);
	struct irte e = { .p = true, .sid = rid, .svt = SVT_SID_SQ };
	if (pc_irq_posting(p) && cpu >= 0 && postable(q)) {
		e.im = true;
		e.vector = q->vector;
		e.pda = pc_irq_pid_hpa(p, (unsigned)cpu);
	} else {
		e.vector = (uint8_t)(HOST_VECTOR_BASE + qi);   /* to the host: CPU 0, fixed, physical */
		e.dlm = DLM_FIXED;
	}
	irte_encode(&e, true, raw);
}

/* KVM rewrites the IRTE (and invalidates its IEC entry, modify_irte) when
 * the guest's routing changes. */
static void host_sync(struct pc_iommu *io, unsigned qi, const uint64_t want[2])
{
	if (!memcmp(io->host_irt[qi], want, sizeof io->host_irt[qi]))
		return;
	memcpy(io->host_irt[qi], want, sizeof io->host_irt[qi]);
	iec_invalidate_index(&io->host.iec, (uint16_t)qi, 0);
	(*io->st_irte_writes)++;
}

/* The host vector's handler: VFIO's eventfd, KVM's irqfd, delivery of the
 * guest's interrupt to its LAPIC (the kick is pc_irq_send's). */
static void host_irq(struct pc_iommu *io, const struct apic_msg *m, cycles_t at)
{
	(*io->st_path[PATH_HOST_IRQ])++;
	pc_irq_send(io->pc, m, at + io->host_irq_cycles);
}

/* The remappable-format request the device makes for queue qi: handle qi,
 * no subhandle (5.1.2.2). */
static uint64_t host_msi_addr(unsigned qi)
{
	uint64_t a = FIELD_DP(MSI_ADDR_BASE, MSI_ADDR, IF, 1);
	return FIELD_DP(a, MSI_ADDR, HANDLE_LO, qi);
}

static void host_deliver(struct pc_iommu *io, unsigned qi, uint16_t rid, const struct ir_irq *q, bool x2apic_dest,
			 cycles_t when)
{
	struct apic_msg m = to_msg(q, x2apic_dest);
	if (!io->host_ir) {
		(*io->st_host[IR_COMPAT])++;
		host_irq(io, &m, when);
		return;
	}
	uint64_t want[2];
	struct ir_result r;
	host_irte(io, qi, rid, q, want);
	host_sync(io, qi, want);
	ir_remap(&io->host, host_msi_addr(qi), 0, rid, &r);
	(*io->st_host[r.kind <= IR_BLOCKED ? r.kind : IR_BLOCKED])++;
	(*(r.iec_hit ? io->st_iec_hits : io->st_iec_misses))++;
	cycles_t at = when + (r.iec_hit ? io->iec_hit_cycles : io->irte_fetch_cycles);
	if (r.kind == IR_REMAPPED) {
		host_irq(io, &m, at);
	} else if (r.kind == IR_POSTED && pc_irq_post(io->pc, r.pda, r.pvector, r.urgent, at)) {
		(*io->st_path[PATH_POSTED])++;
	} else {
		/* the hypervisor wrote this IRTE: only a descriptor the
		 * posted side does not know gets here (host fault 0x27) */
		(*io->st_path[PATH_DROPPED])++;
		(*io->st_errors)++;
	}
}

void pc_msi_write(void *ctx, uint64_t addr, uint32_t data, uint16_t requester_id, cycles_t when)
{
	struct pc *p = ctx;
	struct pc_iommu *io = p->iommu;
	struct ir_irq q;
	bool x2;
	if (guest_remap(io, addr, data, requester_id, when, &q, &x2))
		host_deliver(io, io->dev.sending, requester_id, &q, x2, when);
}

/* ---- INTx ---- */

/* The I/O APIC sends at the current vCPU's clock, not `when`. */
static void msidev_intx(void *ctx, bool asserted, cycles_t when)
{
	struct pc_iommu *io = ((struct pc *)ctx)->iommu;
	*io->st_path[PATH_INTX] += asserted;
	ioapic_set_irq(io->ioapic, HVSIM_PC_MSIDEV_GSI, asserted);
}

/* ---- windows ---- */

static cycles_t msidev_now(void *ctx) { return clock_now(ctx); }

/* The device's events go to the simulator's queue, which exists once the
 * engine runs (after pc_create). */
static struct msidev *dev_of(void *ctx)
{
	struct pc_iommu *io = ctx;
	if (io->pc->m.sim)
		io->dev.evq = &io->pc->m.sim->events;
	return &io->dev;
}

static uint64_t dev_read(void *ctx, uint64_t off, unsigned size) { return msidev_ops.read(dev_of(ctx), off, size); }
static void dev_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	msidev_ops.write(dev_of(ctx), off, size, val);
}
static const struct dev_ops dev_glue = { dev_read, dev_write };

static struct ioapic *find_ioapic(struct machine *m)
{
	for (unsigned i = 0; i < m->nmmio; i++)
		if (m->mmio[i].ops == &ioapic_ops)
			return m->mmio[i].dev;
	return NULL;
}

/* ---- set-up ---- */

static void register_stats(struct pc_iommu *io, struct stats *st)
{
	static const char *const kind[IR_BLOCKED + 1] = {
		[IR_NOT_INTERRUPT] = "not_interrupt", [IR_COMPAT] = "compat", [IR_REMAPPED] = "remapped",
		[IR_POSTED] = "posted", [IR_BLOCKED] = "blocked",
	};
	char path[96], doc[160];
	for (unsigned k = 0; k < NPATHS; k++) {
		snprintf(path, sizeof path, "msidev.interrupts.%s", path_name[k]);
		io->st_path[k] = stats_counter(st, path, path_doc[k]);
	}
	for (unsigned k = IR_NOT_INTERRUPT; k <= IR_BLOCKED; k++) {
		snprintf(path, sizeof path, "iommu.guest.%s", kind[k]);
		snprintf(doc, sizeof doc, "device MSIs through the guest's vIOMMU: %s", kind[k]);
		io->st_guest[k] = stats_counter(st, path, doc);
		snprintf(path, sizeof path, "iommu.host.%s", kind[k]);
		snprintf(doc, sizeof doc, "device MSIs through the host IOMMU: %s", kind[k]);
		io->st_host[k] = stats_counter(st, path, doc);
	}
	for (unsigned f = 0; f < 9; f++) {
		snprintf(path, sizeof path, "iommu.guest.faults.%s", fault_name[f]);
		snprintf(doc, sizeof doc, "guest vIOMMU remapping faults, reason 0x%x (recorded or not)", 0x20 + f);
		io->st_fault[f] = stats_counter(st, path, doc);
	}
	io->st_iec_hits = stats_counter(st, "iommu.host.iec_hits", "host IOMMU: IRTEs from the interrupt entry cache");
	io->st_iec_misses = stats_counter(st, "iommu.host.iec_misses", "host IOMMU: IRTEs read from memory");
	io->st_irte_writes = stats_counter(st, "iommu.host.irte_writes",
					   "host IRTEs (re)written by the hypervisor (routing changes: vmx_pi_update_irte)");
	io->st_errors = stats_counter(st, "msidev.guest_errors",
				      "MSI device and VT-d window: bad offsets, widths, indices, non-interrupt MSI addresses");
}

static int init_units(struct pc_iommu *io, const struct cfg *c)
{
	struct machine *m = &io->pc->m;
	struct vtd_mem gmem = { guest_read, guest_write, m }, hmem = { host_read, host_write, io };
	struct vtd_config g = {
		.haw = (unsigned)cfg_u64(c, "iommu", "guest_haw"), .nfr = (unsigned)cfg_u64(c, "iommu", "guest_nfr"),
		.eim = true, .pi = false, .iec_entries = (unsigned)cfg_u64(c, "iommu", "guest_iec_entries"),
	};
	if (vtd_init(&io->guest, &g, &gmem) < 0)
		return -1;
	io->guest.event_msi = event_msi;
	io->guest.event_ctx = io;
	io->guest.guest_errors = io->st_errors;
	ir_init(&io->host, &hmem, (unsigned)cfg_u64(c, "iommu", "host_haw"), true, true,
		(unsigned)cfg_u64(c, "iommu", "iec_entries"));
	ir_set_table(&io->host, HOST_IRT_HPA | FIELD_DP(0, IRTA_REG, EIME, 1) | FIELD_DP(0, IRTA_REG, S, HOST_IRT_S));
	io->host.enabled = true;
	return 0;
}

int pc_iommu_init(struct pc *p, const struct cfg *c, struct stats *st)
{
	struct machine *m = &p->m;
	struct pc_iommu *io = calloc(1, sizeof *io);
	if (!io)
		return err_set("out of memory");
	p->iommu = io;
	io->pc = p;
	register_stats(io, st);
	io->present = cfg_bool(c, "iommu", "present");
	io->host_ir = cfg_bool(c, "iommu", "ir");
	io->irte_fetch_cycles = cfg_u64(c, "iommu", "irte_fetch_cycles");
	io->iec_hit_cycles = cfg_u64(c, "iommu", "iec_hit_cycles");
	io->host_irq_cycles = cfg_u64(c, "iommu", "host_irq_cycles");
	io->ioapic = find_ioapic(m);
	if (!io->ioapic)
		return err_set("pc: the MSI device needs the I/O APIC (pc_irq_init first)");
	struct msidev_config mc;
	msidev_config_read(c, &mc);
	if (msidev_init(&io->dev, &mc, NULL, msidev_now, pc_msi_write, p) < 0 || init_units(io, c) < 0)
		return -1;
	io->dev.intx = msidev_intx;
	io->dev.guest_errors = io->st_errors;
	/* QEMU emulates the MSI-X table of a VFIO device and its vIOMMU: both exit to userspace */
	m->mmio[m->nmmio++] = (struct dev_window){ "msidev", HVSIM_PC_MSIDEV, MSIDEV_WINDOW, &dev_glue, io, true };
	if (io->present)
		m->mmio[m->nmmio++] = (struct dev_window){ "vtd", HVSIM_PC_VTD, VTD_REG_WINDOW, &vtd_ops, &io->guest, true };
	return 0;
}

void pc_iommu_fini(struct pc *p)
{
	free(p->iommu);
	p->iommu = NULL;
}
