/* Guest vCPUs executed by Unicorn, one engine per vCPU sharing guest RAM.
 * This layer counts instructions and cycles per translated block (timing
 * model: base CPI per instruction class, see cpu/decode.h), accounts VM exits
 * and runs vCPUs under the core/sim quantum scheduler.  The per-architecture
 * front ends (a64.c, x86.c) turn Unicorn hooks into model events. */
#ifndef HVSIM_CPU_VCPU_H
#define HVSIM_CPU_VCPU_H
#include <unicorn/unicorn.h>
#include "core/cost.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/sim.h"
#include "cpu/decode.h"
#include "cpu/el2.h"
#include "cpu/vmx.h"
#include "cpu/xlate.h"
#include "platform/machine.h"
#include "platform/memvirt.h"

#define VCPU_MAX_EXITS 24

struct vcpus;

/* AArch64 front-end state (a64.c): the virtual IRQ signal as last
 * computed by the machine's interrupt controller, and an IRQ exception to
 * take before the next block. */
/* The stage-1 registers as last read (translation model): SCTLR_EL1,
 * TCR_EL1, TTBR0/1_EL1; invalid after the guest writes one. */
struct a64_s1regs {
	bool valid;
	uint64_t sctlr, tcr, ttbr[2];
};
struct a64_state {
	struct irq_ctrl *irqc;    /* the machine's (one load on the exit path, not three) */
	bool irq_line;
	bool irq_take;
	/* A virtual SError pending (HCR_EL2.VSE) with its syndrome (VSESR_EL2) */
	bool vse, serror_take;
	uint32_t vsesr;
	uint64_t slices;          /* run slices since reset (Unicorn TLB flush policy) */
	uint64_t flush_insns;     /* v->insns at the last Unicorn TLB flush */
	unsigned gap_doublings;   /* of the instructions between flushes (a64.c) */
	struct a64_s1regs s1;
	/* Unicorn 2.0.1: QEMU's translation flags last seen at EL1 (a64.c resync_el) */
	uint32_t hflags_el1;
	bool hflags_valid, hflags_dirty;
};

/* One MMIO mapping as Unicorn sees it: a device window, or (w == NULL) an
 * unassigned gap that reads as zero and ignores writes. */
struct mmio_ctx {
	struct vcpu *v;
	const struct dev_window *w;
	uint64_t base;
};
#define VCPU_MAX_MAPPINGS (2 * MACHINE_MAX_WINDOWS + 2)

/* The last access Unicorn refused (UC_HOOK_MEM_UNMAPPED): its address is
 * in no uc_err. */
struct vcpu_unmapped {
	uint64_t addr;
	int size;
};

/* Exceptions taken with no progress in between (see vcpu_exception). */
struct vcpu_exc_streak {
	uint64_t insns;              /* v->insns when the last exception was taken */
	uint64_t pc;                 /* last exception: where, and what (arch kind) */
	uint32_t kind;
	unsigned repeats;            /* times in a row at this pc with this kind */
	uint64_t first_pc;           /* the exception that started the streak */
	uint32_t first_kind;
	bool active;
};

/* What the front end knew of the exit it is charging, for --trace-out
 * (cpu/export.c): the qualification or ESR_EL2, the PC, an MMIO access. */
struct vcpu_exit_note {
	uint64_t syndrome, pc, addr;
	unsigned len, lrs;       /* lrs: arm64 list registers saved at the exit */
	bool has_addr, write;
	bool wp_fault;           /* a dirty-logging write-protection fault at fault_gpa (fault_va) */
	uint64_t fault_gpa, fault_va;
	const char *cause;       /* a physical interrupt's exit: the irq_ctrl's cause ("timer", "kick", ...) */
};

struct vcpu {
	/* What vcpu_block reads and writes for a known block, in its first
	 * cache line (struct vcpu is 64-byte aligned): it calls nothing while
	 * the clock is below sc.bound.  sc.bound folds every reason to look:
	 * the slice end, *irq_check_at (the interrupt controller's next check
	 * for this vCPU, which lowers the bound with it: sim_cpu_look_by), a
	 * stop, --max-insns and block_check (vcpu_check_next_block); it is
	 * recomputed after each block that looked (vcpu.c rebound). */
	const struct decode_front *front;  /* the decoder's table of recent blocks */
	const cycles_t *irq_check_at;
	const struct dblock *cur;    /* block being executed */
	uint64_t insns;
	/* The clock is sc.clock + run_milli / 1000 cycles: vcpu_block adds a
	 * block's cost to run_milli alone, and every other hook first folds
	 * it into sc.clock (VCPU_HOOK), leaving the thousandths (< 1000).
	 * run_limit is (sc.bound - sc.clock) * 1000 as of the last
	 * vcpu_clock_arm: run_milli < run_limit exactly when the clock is
	 * below the bound. */
	uint64_t run_milli;
	uint64_t run_limit;
	bool block_check;            /* the front end's before_block must see the next block */
	struct sim_cpu sc;
	/* v->insns already in set->total_insns (the fast path leaves the total
	 * behind; block_slow and vcpu_run bring it up to date) */
	uint64_t insns_in_total;
	struct vcpus *set;
	uc_engine *uc;
	unsigned id;
	cycles_t inval_until;        /* sc.until before a code write stopped the slice */
	uint64_t insns_at_exit;
	bool stop_requested;         /* hvsim (not the guest) stopped Unicorn */
	bool flush_pending;          /* retranslate cur (x86 specials were hooked) */
	uint64_t inval_lo, inval_hi; /* drop the translations of [lo, hi) when stopped (lo < hi) */
	bool resume_valid;           /* stopped before a block: resume at resume_pc */
	uint64_t resume_pc;
	uint64_t *st_insns, *st_cycles, *st_idle, *st_exits, *st_exit_cycles_total;
	uint64_t *st_exit_count[VCPU_MAX_EXITS], *st_exit_cycles[VCPU_MAX_EXITS];
	cycles_t exit_parts[VCPU_MAX_EXITS][COST_PARTS_MAX];  /* cycles by exit class and part */
	/* The last exits charged one fixed cost (vcpu_exit_fixed): run_n of
	 * class run_x, not yet in exit_parts (vcpus_finish adds them) */
	const struct cost *run_c;
	unsigned run_x;
	uint64_t run_n;
	cycles_t run_total;
	struct hist *h_run;
	/* the last run lengths between exits, all h_run_v, not yet in h_run
	 * (an exit loop repeats one length; vcpus_finish adds them) */
	uint64_t h_run_v, h_run_n;
	struct vcpu_exc_streak exc;
	struct vcpu_unmapped unmapped;
	struct a64_state a64;
	struct xlate xl;             /* translation model ([mmu] model = on) */
	struct mmio_ctx maps[VCPU_MAX_MAPPINGS];
	unsigned nmaps;
	struct vcpu_exit_note note;
	/* --trace-out: a WFI exit's kvm_entry waits until the vCPU runs again
	 * (what woke it, the GICv4 residency work: known only then) */
	struct { bool pending; uint64_t exit_ts, entry_ts, pc; } exp_wait;
};

struct arch_ops {
	int (*create)(struct vcpu *v);                              /* engine, hooks */
	void (*reset)(struct vcpu *v, uint64_t entry, uint64_t arg); /* power-on state */
	uint64_t (*get_pc)(struct vcpu *v);
	void (*set_pc)(struct vcpu *v, uint64_t pc);
	uint64_t run_until_addr;                                    /* never a guest PC */
	/* Before a block the fast path did not take (an interrupt check due,
	 * v->block_check): true if it stopped before the block.  Clears
	 * v->block_check when it needs no more blocks. */
	bool (*before_block)(struct vcpu *v, uint64_t addr);
	/* After uc_emu_start returned e: halts, faults.  -1 = internal error. */
	int (*after_run)(struct vcpu *v, uc_err e);
	void (*fini)(struct vcpus *s);                              /* frees arch_data; may be NULL */
	/* One-line description of exception `kind` (as passed to vcpu_exception). */
	void (*describe_exception)(struct vcpu *v, uint32_t kind, char *buf, size_t n);
	/* The guest's stage 1 for an access of `type` (MMU_R/W/X) at va, from
	 * its registers now, and whether it is a user (EL0 / CPL 3) access. */
	enum xlate_s1 (*stage1)(struct vcpu *v, uint64_t va, unsigned type, struct mmu_stage *s1, bool *user,
				struct mmu_fault *f);
	/* An exit the translation model takes (shadow paging, dirty logging):
	 * class x, its cost by part. */
	void (*model_exit)(struct vcpu *v, unsigned x, const struct cost *c, const char *what);
};

/* Guest-physical pages (of Unicorn's page size) holding decoded blocks,
 * and the blocks.  A store into one must drop them from the decoder's
 * cache: code rewritten in place to the same size would keep its old
 * decoding (its cost; on x86 its specials, so a NOP made RDMSR would not
 * exit).  Kept where hvsim translates for Unicorn (xlate: Unicorn 2.1):
 * its fills give pages fetched from, and pages holding blocks, without
 * write permission, so the first store to one asks for a fill, which drops
 * the blocks (vcpu_code_fill); the store then runs and Unicorn drops its
 * own translations.  w_given has a bit for each RAM page some fill made
 * writable since Unicorn's TLBs were last flushed for it: a block decoded
 * from such a page needs that flush. */
struct code_blk {
	uint64_t addr;
	uint32_t size;
	uint16_t lo, hi;          /* the block's bytes in this page: [lo, hi) */
	uint64_t hash;            /* of those bytes when decoded (open pages) */
	const struct dblock *b;   /* compared, never read (it may be freed) */
};
/* A page whose stores have dropped its blocks CODE_OPEN_AFTER times (data
 * stored in a page of code, a JIT) is opened: write protection would cost
 * it a decode and a TLB flush per store.  Its blocks are checked against
 * their hashes whenever Unicorn stops instead (vcpu_code_check: at the
 * latest at the end of the run slice), and a changed one leaves the
 * decoder and Unicorn's translations. */
#define CODE_OPEN_AFTER 256
struct code_page {
	uint64_t page;            /* its address (never 0: page 0 is kept as 1) */
	struct code_blk *blk;
	uint32_t n, cap;          /* n = 0: no decoded block there now */
	uint32_t drops;           /* stores that dropped its blocks */
	bool open;
};
struct code_pages {
	bool on;
	uint64_t page_size;
	struct code_page *tab;    /* open addressing by page */
	uint32_t cap, len;
	uint64_t *w_given;        /* by RAM page number */
	size_t w_words;
	uint64_t *open;           /* the open pages' addresses */
	uint32_t nopen;
};

struct vcpus {
	struct machine *m;
	struct sim sim;
	struct vcpu *v[MACHINE_MAX_CPUS];
	struct sim_cpu *sc[MACHINE_MAX_CPUS];
	unsigned n;
	const struct arch_ops *arch;
	struct decode_cache *dc;
	struct code_pages code;
	uint64_t max_insns;
	/* all vCPUs' instructions, the running one's up to its last block_slow */
	uint64_t total_insns;
	uint64_t insn_limit;      /* max_insns, or UINT64_MAX for none */
	uint32_t min_cpi_milli;   /* the cheapest instruction class: bounds insns by cycles */
	uint64_t code_lo, code_hi; /* span of every block hooked so far (lo > hi: none) */
	unsigned exc_loop_limit;
	unsigned nexits;
	const char *exit_names[VCPU_MAX_EXITS];
	unsigned nparts, handler_part;   /* the exit model's cost parts (el2_part, vmx_part) */
	const char *part_names[COST_PARTS_MAX];
	struct el2_model el2;
	struct vmx_model vmx;
	struct memvirt mv;        /* the hypervisor's memory virtualization ([mmu]) */
	struct xlate_vm xvm;      /* its exits and shadow paging state (cpu/xlate.c) */
	struct virt *virt;
	struct pc *pc;
	void *arch_data;          /* x86: set of hooked special addresses */
	/* machine-wide statistics, filled at the end */
	uint64_t *st_insns, *st_cycles, *st_exits, *st_exit_cycles_total;
	uint64_t *st_exit_count[VCPU_MAX_EXITS], *st_exit_cycles[VCPU_MAX_EXITS];
	uint64_t *st_exit_parts[VCPU_MAX_EXITS][COST_PARTS_MAX];
	uint64_t *st_quanta, *st_blocks_decoded;
	FILE *exp;                /* --trace-out (cpu/export.c), NULL: off */
	unsigned exp_user_part;   /* the cost part that is the userspace VMM round trip */
};

/* For --trace-out: the exit being charged, and the MMIO access behind it. */
static inline void vcpu_note_exit(struct vcpu *v, uint64_t syndrome, uint64_t pc)
{
	v->note.syndrome = syndrome;
	v->note.pc = pc;
}
static inline void vcpu_note_mmio(struct vcpu *v, uint64_t addr, unsigned len, bool write)
{
	v->note.addr = addr;
	v->note.len = len;
	v->note.has_addr = true;
	v->note.write = write;
}

/* After an exit's handler: the interrupt controller's poll and entry done
 * now if they have nothing to do and the next block is the next thing to
 * run (it then needs no interrupt check for them).  True if done. */
bool vcpu_quiet_entry(struct vcpu *v);

/* Code pages (struct code_pages) of page_size bytes; -1 (err_set) when out
 * of memory. */
int vcpu_code_init(struct vcpus *s, uint64_t page_size);
/* A fill of the page of pa for an access of type (MMU_R, MMU_W, MMU_X)
 * with *perms (UC_PROT_*): takes write permission from code pages and
 * pages fetched from, drops a code page's decoded blocks before a store. */
void vcpu_code_fill(struct vcpus *s, unsigned type, uint64_t pa, uint32_t *perms);
/* Unicorn stopped: the blocks of open code pages whose bytes changed leave
 * the decoder and every engine's translations. */
void vcpu_code_check(struct vcpus *s);

/* The exit is dirty logging's write-protection fault of a write to va (gpa). */
static inline void vcpu_note_wp_fault(struct vcpu *v, uint64_t gpa, uint64_t va)
{
	v->note.wp_fault = true;
	v->note.fault_gpa = gpa;
	v->note.fault_va = va;
}

extern const struct arch_ops a64_ops, x86_ops;
/* x86 exit classes of the interrupt path, after vmx's, in the order of
 * enum pc_irq_exit (their handler costs come from the machine,
 * pc_irq_exit_cycles). */
enum {
	X86X_EXTERNAL_INTERRUPT = VMXX_COUNT, X86X_INTERRUPT_WINDOW, X86X_APIC_ACCESS, X86X_APIC_WRITE,
	X86X_EOI_INDUCED, X86X_PREEMPTION_TIMER, X86X_COUNT
};
const char *x86_exit_name(unsigned x);
/* x86: hooks the RDMSR/WRMSR/RDTSC of a newly decoded block on every engine;
 * true if any was new (the block must then be retranslated). */
bool x86_hook_specials(struct vcpus *s, const struct dblock *b);

/* Creates one vCPU per machine CPU; vCPU 0 is reset to (entry, arg) and runs,
 * the others are off until started through the machine.  -1 + err_set. */
int vcpus_create(struct vcpus *s, struct machine *m, struct virt *virt, struct pc *pc,
		 uint64_t entry, uint64_t arg, uint64_t max_insns);
void vcpus_destroy(struct vcpus *s);
enum sim_stop_reason vcpus_run(struct vcpus *s);
/* Copies per-vCPU counters into the machine-wide ones. */
void vcpus_finish(struct vcpus *s);

/* ---- for the front ends ---- */
/* UC_HOOK_BLOCK callback (ud: the struct vcpu). */
void vcpu_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud);
/* The front end's before_block must see the next block (an interrupt
 * may be taken there, a flag noted): the fast path looks at the bound only. */
static inline void vcpu_check_next_block(struct vcpu *v)
{
	v->block_check = true;
	v->sc.bound = 0;
}

/* Folds the fast path's cycles into sc.clock (idempotent). */
static inline void vcpu_clock_sync(struct vcpu *v)
{
	if (v->run_milli >= 1000) {
		v->sc.clock += v->run_milli / 1000;
		v->run_milli %= 1000;
	}
}
/* The fast path's limit from sc.bound: after a sync or anything that may
 * have moved the clock or lowered the bound, before Unicorn runs blocks
 * again.  Far bounds are cut to 2^50 cycles ahead (the fast path then
 * looks early): run_milli cannot overflow. */
static inline void vcpu_clock_arm(struct vcpu *v)
{
	cycles_t d = v->sc.bound > v->sc.clock ? v->sc.bound - v->sc.clock : 0;
	v->run_limit = (d < (1ull << 50) ? d : 1ull << 50) * 1000;
}
static inline void vcpu_hook_leave(struct vcpu **v) { vcpu_clock_arm(*v); }
/* The first statement of every Unicorn callback that may read or move the
 * clock or lower the bound (all but vcpu_block's fast path, and the ones
 * that only note an address or copy memory): sc.clock is the clock inside,
 * and every return arms the fast path again. */
#define VCPU_HOOK(v) \
	struct vcpu *vcpu_hook_ __attribute__((cleanup(vcpu_hook_leave), unused)) = (vcpu_clock_sync(v), (v))
/* Charges one exit of class x costing c (by part). */
void vcpu_exit(struct vcpu *v, unsigned x, const struct cost *c);
/* The same for a cost that stays as it is for the whole run (the model's
 * own table, computed from the design): its parts are added up per run of
 * equal exits rather than per exit. */
void vcpu_exit_fixed(struct vcpu *v, unsigned x, const struct cost *c);
/* One of the two: vcpu_exit_fixed if `fixed`. */
static inline void vcpu_exit_by(struct vcpu *v, unsigned x, const struct cost *c, bool fixed)
{
	if (fixed)
		vcpu_exit_fixed(v, x, c);
	else
		vcpu_exit(v, x, c);
}
/* Stops Unicorn at the next opportunity (hvsim's decision, not a guest halt). */
void vcpu_stop(struct vcpu *v);
void vcpu_halt(struct vcpu *v, enum sim_cpu_state st);
/* Waiting for an interrupt until t (the machine's irq_ctrl wait): idles
 * within the run slice, else halts (the controller wakes the vCPU). */
void vcpu_wait_until(struct vcpu *v, cycles_t t);
/* From the block hook: stops before the block at addr runs (it is not
 * counted) and resumes there. */
void vcpu_stop_before(struct vcpu *v, uint64_t addr);
/* Called by the front ends for every exception delivered to the guest
 * (kind: ESR on ARM, vector on x86).  Returns false, having stopped the run
 * as a guest fault, when the same exception has been taken at the same PC
 * [sim] exception_loop_limit times in a row with no instruction retired:
 * a vector that faults itself (nothing behind it, or no vectors at all). */
bool vcpu_exception(struct vcpu *v, uint64_t pc, uint32_t kind);
/* Stops the run for a reason that is the guest's, not hvsim's
 * (SIM_STOP_GUEST_FAULT or SIM_STOP_UNSUPPORTED), with a one-line message
 * that names the vCPU first ("cpuN: ..."). */
void vcpu_guest_stop(struct vcpu *v, enum sim_stop_reason why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Cross-modifying code: each vCPU is its own Unicorn engine, and an engine
 * only notices writes to code it translated when it made them itself (and
 * Unicorn 2.1.1 not always then: upstream issue #2367).  The architectures'
 * synchronization points call these.  ARM (Arm ARM B2.2.5): IC IVAU /
 * IC IALLU(IS) drop the translations of the range in the other engines at
 * once (broadcast: they are not running) and in the caller's before its next
 * block.  x86 (SDM Vol. 3A 8.1.3): a serializing instruction drops the
 * executing vCPU's translations before its next block (vcpu_serialize). */
void vcpu_invalidate_code(struct vcpu *v, bool broadcast, uint64_t addr, uint64_t len);
void vcpu_serialize(struct vcpu *v);
/* UC_HOOK_MEM_UNMAPPED: records the access in v->unmapped and refuses it. */
bool vcpu_hook_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *ud);
/* Maps RAM, every MMIO device window and RAZ/WI regions over the gaps of
 * [0, limit) into v's engine; accesses to the last two reach rd/wr with a
 * struct mmio_ctx.  Fetches from non-RAM fail with UC_ERR_FETCH_PROT. */
int vcpu_map_phys(struct vcpu *v, uint64_t limit, uc_cb_mmio_read_t rd, uc_cb_mmio_write_t wr);
/* Device access on behalf of v (w == NULL: unassigned, reads 0).  Inline
 * for a device and no MMIO logging (every exit-heavy loop's case);
 * vcpu_dev_unusual logs the access and takes an unassigned one (true: it
 * was, nothing more to do). */
bool vcpu_dev_unusual(struct vcpu *v, const struct dev_window *w, uint64_t addr, unsigned size, bool write,
		      uint64_t val);
static inline uint64_t vcpu_dev_read(struct vcpu *v, const struct dev_window *w, uint64_t addr, unsigned size)
{
	if (__builtin_expect(!w || DBG_ON(LOG_MMIO), 0) && vcpu_dev_unusual(v, w, addr, size, false, 0))
		return 0;
	v->set->m->cur_cpu = v->id;
	return w->ops->read(w->dev, addr - w->base, size);
}
static inline void vcpu_dev_write(struct vcpu *v, const struct dev_window *w, uint64_t addr, unsigned size,
				  uint64_t val)
{
	if (__builtin_expect(!w || DBG_ON(LOG_MMIO), 0) && vcpu_dev_unusual(v, w, addr, size, true, val))
		return;
	v->set->m->cur_cpu = v->id;
	w->ops->write(w->dev, addr - w->base, size, val);
	if (v->set->sim.stop != SIM_RUNNING)
		vcpu_stop(v);
}
/* Reads guest-physical memory (RAM only); false if outside RAM. */
bool vcpu_read_phys(struct vcpu *v, uint64_t pa, void *buf, size_t len);
/* Reads the guest's instructions at virtual address va (RAM only): through
 * the translation model when it is on, else as guest-physical. */
bool vcpu_read_code(struct vcpu *v, uint64_t va, void *buf, size_t len);
const char *vcpu_symbol(struct vcpu *v, uint64_t pc, uint64_t *off);

#endif
