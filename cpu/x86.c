/* x86-64 front end: the guest runs as VMX non-root code in Unicorn; hvsim is
 * root mode.  Unicorn 2.0.1 hooks CPUID/IN/OUT; RDMSR/WRMSR/RDTSC/VMCALL are
 * caught by one-address code hooks placed when the decoder first sees them,
 * HLT stops emulation (TOOLCHAIN-NOTES). */
#include <stdlib.h>
#include <string.h>
#include "core/err.h"
#include "core/field.h"
#include "core/log.h"
#include "cpu/vcpu.h"
#include "platform/hvsim-abi.h"
#include "platform/pc.h"

#define X86_VEC_UD 6
#define X86_VEC_DF 8
#define X86_VEC_GP 13
#define X86_VEC_PF 14
#define RFLAGS_IF (1u << 9)
#define RFLAGS_TF (1u << 8)

static uint64_t rd(struct vcpu *v, int r) { uint64_t x = 0; uc_reg_read(v->uc, r, &x); return x; }
static void wr(struct vcpu *v, int r, uint64_t x) { uc_reg_write(v->uc, r, &x); }

static struct irq_ctrl *irqc(struct vcpu *v) { return v->set->m->irqc; }

struct x86_data {
	uint64_t *hooked;     /* addresses of RDMSR/WRMSR/RDTSC with code hooks (open addressing, 0 = empty) */
	unsigned cap, len;
	uint64_t *mmio_seen;  /* (page, vCPU) pairs that took their EPT violation */
	unsigned seen_cap, seen_len;
	/* Unicorn >= 2.1 delivers a vector 6 that UC_HOOK_INSN_INVALID handled
	 * to UC_HOOK_INTR too, as the very next hook call, before any other
	 * instruction runs; 2.0.1 stops emulation instead. */
	bool ud_echoes;
	const struct vcpu *echo_v;   /* whose next INTR is that echo, if any */
	uint64_t echo_rip;           /* the RIP hook_invalid left */
	/* interrupts, per vCPU: the controller's signal as last computed, an
	 * injection to perform before the next block, INTR_WINDOW_EXITING set */
	struct { bool line, take, window; cycles_t reentry; } irq[MACHINE_MAX_CPUS];
	struct vmx_model *win;       /* the design's controls with INTR_WINDOW_EXITING, as KVM toggles it */
	/* The last I/O access that asked io_exit (key: io_key), its decision
	 * and qualification: the controls and bitmap stay as the design set them. */
	uint32_t io_key;
	bool io_exits;
	uint64_t io_qual;
};

static unsigned x86_exit_reason(unsigned x)
{
	static const unsigned irq[X86X_COUNT - VMXX_COUNT] = {
		[X86X_EXTERNAL_INTERRUPT - VMXX_COUNT] = EXIT_REASON_EXTERNAL_INTERRUPT,
		[X86X_INTERRUPT_WINDOW - VMXX_COUNT] = EXIT_REASON_INTERRUPT_WINDOW,
		[X86X_APIC_ACCESS - VMXX_COUNT] = EXIT_REASON_APIC_ACCESS,
		[X86X_APIC_WRITE - VMXX_COUNT] = EXIT_REASON_APIC_WRITE,
		[X86X_EOI_INDUCED - VMXX_COUNT] = EXIT_REASON_EOI_INDUCED,
		[X86X_PREEMPTION_TIMER - VMXX_COUNT] = EXIT_REASON_PREEMPTION_TIMER,
	};
	return x < VMXX_COUNT ? vmx_exit_reason(x) : irq[x - VMXX_COUNT];
}

/* The APIC emulation the machine did for the exit of class x just taken:
 * its "apic" part (the exit was counted already). */
static void add_apic_part(struct vcpu *v, unsigned x)
{
	cycles_t a = pc_irq_apic_cycles(v->set->pc, v->id);
	if (!a)
		return;
	v->exit_parts[x][VMXP_APIC] += a;
	v->sc.clock += a;
	*v->st_exit_cycles_total += a;
	*v->st_exit_cycles[x] += a;
}

static void __attribute__((cold, noinline)) log_exit(struct vcpu *v, unsigned x, const struct cost *c, uint64_t qual,
							uint64_t rip, const char *what)
{
	cycles_t cost = cost_total(c);
	uint64_t off;
	const char *fn = vcpu_symbol(v, rip, &off);
	log_dbg(LOG_EXIT, "cpu%u @%llu %s (reason %u) qual=0x%llx rip=0x%llx <%s+0x%llx> cost=%llu %s", v->id,
		(unsigned long long)v->sc.clock, x86_exit_name(x), x86_exit_reason(x), (unsigned long long)qual,
		(unsigned long long)rip, fn, (unsigned long long)off, (unsigned long long)cost, what);
}

/* Charges exit class x (VMXX_* or X86X_*) costing c; `fixed`: c is the
 * model's own table (vcpu_exit_fixed).  Inlined into each caller: the exit
 * path is three calls shorter. */
static inline __attribute__((always_inline)) void charge_exit(struct vcpu *v, unsigned x, const struct cost *c,
							       bool fixed, uint64_t qual, uint64_t rip, const char *what)
{
	if (DBG_ON(LOG_EXIT))
		log_exit(v, x, c, qual, rip, what);
	vcpu_note_exit(v, qual, rip);
	vcpu_exit_by(v, x, c, fixed);
	struct irq_ctrl *ic = irqc(v);
	if (ic)
		ic->ops->exit(ic->ctx, v->id);
}

static void take_exit(struct vcpu *v, enum vmx_exit x, uint64_t qual, uint64_t rip, bool user, const char *what)
{
	charge_exit(v, x, vmx_exit_parts_fixed(&v->set->vmx, x, user), true, qual, rip, what);
}

/* One rule for when the hypervisor emulates what an exit asks (a device or
 * APIC register access, an MSR): inside the handler, after the hardware
 * exit, KVM's save and the handler's dispatch (and a userspace round trip),
 * before KVM's restore and the entry; for a trap-like APIC_WRITE too, which
 * the processor takes after the write completed (SDM 30.4.3.3).  Between
 * emul_begin and emul_end the vCPU's clock reads that time, so what the
 * emulation sends (an IPI) leaves then; the exit is charged from its start. */
struct emul {
	struct cost c;
	cycles_t start;
};

static void emul_begin(struct vcpu *v, struct emul *e)
{
	e->start = v->sc.clock;
	v->sc.clock += vmx_handler_time(&e->c);
}

/* Charges exit class x as emul_begin left it, then the APIC emulation done. */
static void emul_end(struct vcpu *v, struct emul *e, unsigned x, uint64_t qual, uint64_t rip, const char *what)
{
	v->sc.clock = e->start;
	charge_exit(v, x, &e->c, false, qual, rip, what);
	add_apic_part(v, x);
}

const char *x86_exit_name(unsigned x)
{
	return vmx_reason_name(x86_exit_reason(x));
}

static void x86_model_exit(struct vcpu *v, unsigned x, const struct cost *c, const char *what)
{
	DBG(LOG_EXIT, "cpu%u @%llu %s rip=0x%llx cost=%llu %s", v->id, (unsigned long long)v->sc.clock,
	    v->set->exit_names[x], (unsigned long long)rd(v, UC_X86_REG_RIP), (unsigned long long)cost_total(c), what);
	vcpu_exit(v, x, c);
}

static void shutdown(struct vcpu *v, const char *why, unsigned vec, uint64_t rip)
{
	take_exit(v, VMXX_TRIPLE_FAULT, 0, rip, true, why);
	vcpu_guest_stop(v, SIM_STOP_GUEST_FAULT, "triple fault (%s, vector %u at RIP 0x%llx): the VM is shut down", why,
			vec, (unsigned long long)rip);
}

/* Exception mnemonics, SDM Vol. 3A Table 6-1 */
static void x86_describe_exception(struct vcpu *v, uint32_t vec, char *buf, size_t n)
{
	static const char *const name[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP",
		"#PF", NULL, "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};
	snprintf(buf, n, "vector %u%s%s", vec, vec < 32 && name[vec] ? " " : "", vec < 32 && name[vec] ? name[vec] : "");
}

static uint64_t rd_efer(struct vcpu *v);

/* Delivery through a 32-bit IDT, outside IA-32e mode (a multiboot kernel
 * before it enters long mode; SDM Vol. 3A 6.11, 6.12.1): an 8-byte gate,
 * EFLAGS, CS, EIP and the error code pushed on the current stack (same
 * privilege); an interrupt gate (type 0xE) clears IF, a trap gate (0xF)
 * keeps it.  Only a handler in the current code segment at CPL 0 can be
 * entered: the CPU model's CS descriptor cannot be loaded from here. */
static void inject32(struct vcpu *v, unsigned vec, int64_t errcode, uint64_t rip, const uc_x86_mmr *idtr)
{
	uint8_t g[8];
	if ((uint64_t)vec * 8 + 7 > idtr->limit || !xlate_read_virt(v, idtr->base + vec * 8, g, 8) || !(g[5] & 0x80)) {
		shutdown(v, "no usable IDT gate", vec, rip);
		return;
	}
	uint32_t target = (uint32_t)g[0] | (uint32_t)g[1] << 8 | (uint32_t)g[6] << 16 | (uint32_t)g[7] << 24;
	uint16_t sel = (uint16_t)(g[2] | g[3] << 8), cs = (uint16_t)rd(v, UC_X86_REG_CS);
	if ((cs & 3) || (sel & ~3) != (cs & ~3)) {
		vcpu_guest_stop(v, SIM_STOP_UNSUPPORTED, "vector %u at EIP 0x%llx in 32-bit protected mode: its gate's "
				"code segment 0x%x is not the current one (0x%x, CPL %u), which hvsim cannot load", vec,
				(unsigned long long)rip, sel, cs, cs & 3);
		return;
	}
	uint32_t esp = (uint32_t)rd(v, UC_X86_REG_RSP), eflags = (uint32_t)rd(v, UC_X86_REG_RFLAGS), frame[4];
	unsigned n = 0;
	if (errcode >= 0)             /* lowest address: pushed last */
		frame[n++] = (uint32_t)errcode;
	frame[n++] = (uint32_t)rip;
	frame[n++] = cs;
	frame[n++] = eflags;
	uint32_t new_esp = esp - n * 4;
	if (!xlate_write_virt(v, new_esp, frame, n * 4)) {
		shutdown(v, "exception frame not writable", vec, rip);
		return;
	}
	wr(v, UC_X86_REG_RSP, new_esp);
	wr(v, UC_X86_REG_RFLAGS, eflags & ~(RFLAGS_TF | ((g[5] & 0x1f) == 0xe ? RFLAGS_IF : 0)));
	wr(v, UC_X86_REG_RIP, target);
}

/* Event delivery through the 64-bit IDT (SDM Vol. 3A 6.14), done by hand
 * because Unicorn 2.0.1 cannot be asked to raise an exception.  `rip` is the
 * return address; errcode < 0: none pushed. */
static void inject(struct vcpu *v, unsigned vec, int64_t errcode, uint64_t rip)
{
	uc_x86_mmr idtr;
	uint8_t gate[16];
	if (!vcpu_exception(v, rip, vec))
		return;
	uc_reg_read(v->uc, UC_X86_REG_IDTR, &idtr);
	if (!(rd_efer(v) & (1u << 10))) {   /* EFER.LMA */
		inject32(v, vec, errcode, rip, &idtr);
		return;
	}
	if ((uint64_t)vec * 16 + 15 > idtr.limit || !xlate_read_virt(v, idtr.base + vec * 16, gate, 16) ||
	    !(gate[5] & 0x80)) {
		shutdown(v, "no usable IDT gate", vec, rip);
		return;
	}
	uint64_t target = (uint64_t)gate[0] | (uint64_t)gate[1] << 8 | (uint64_t)gate[6] << 16 |
			  (uint64_t)gate[7] << 24 | (uint64_t)gate[8] << 32 | (uint64_t)gate[9] << 40 |
			  (uint64_t)gate[10] << 48 | (uint64_t)gate[11] << 56;
	uint64_t rsp = rd(v, UC_X86_REG_RSP), rflags = rd(v, UC_X86_REG_RFLAGS);
	uint64_t frame[6];
	unsigned n = 0;
	if (errcode >= 0)
		frame[n++] = (uint64_t)errcode;
	frame[n++] = rip;
	frame[n++] = rd(v, UC_X86_REG_CS);
	frame[n++] = rflags;
	frame[n++] = rsp;
	frame[n++] = rd(v, UC_X86_REG_SS);
	uint64_t new_rsp = (rsp & ~15ULL) - n * 8;   /* 64-bit mode aligns the stack (6.14.2) */
	if (!xlate_write_virt(v, new_rsp, frame, n * 8)) {
		shutdown(v, "exception frame not writable", vec, rip);
		return;
	}
	wr(v, UC_X86_REG_RSP, new_rsp);
	wr(v, UC_X86_REG_RFLAGS, rflags & ~(uint64_t)(RFLAGS_IF | RFLAGS_TF));
	wr(v, UC_X86_REG_RIP, target);
	DBG(LOG_CPU, "cpu%u: vector %u at 0x%llx -> 0x%llx", v->id, vec, (unsigned long long)rip, (unsigned long long)target);
}

/* ---- CPUID, port I/O ---- */
static int hook_cpuid(uc_engine *uc, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	uint64_t rip = rd(v, UC_X86_REG_RIP);
	uint32_t leaf = (uint32_t)rd(v, UC_X86_REG_RAX), sub = (uint32_t)rd(v, UC_X86_REG_RCX), o[4];
	take_exit(v, VMXX_CPUID, 0, rip, false, "");
	pc_cpuid(v->set->pc, v->id, leaf, sub, o);
	wr(v, UC_X86_REG_RAX, o[0]);
	wr(v, UC_X86_REG_RBX, o[1]);
	wr(v, UC_X86_REG_RCX, o[2]);
	wr(v, UC_X86_REG_RDX, o[3]);
	vcpu_serialize(v);   /* code another vCPU wrote runs from the next block on */
	return 1;   /* skip the instruction */
}

/* False if the access does not exit (I/O bitmap) */
static bool io_exit(struct vcpu *v, uint32_t port, int size, bool in, const struct dev_window *w)
{
	struct x86_data *d = v->set->arch_data;
	uint32_t key = 1u << 31 | (uint32_t)in << 24 | (uint32_t)(size & 0xff) << 16 | (port & 0xffff);
	if (key != d->io_key) {
		d->io_key = key;
		d->io_exits = vmx_exits_on_io(&v->set->vmx, (uint16_t)port);
		/* The hook cannot tell IN imm8 from IN DX: report the DX form. */
		d->io_qual = vmx_qual_io((uint16_t)port, (unsigned)size, in, false, false, false);
	}
	if (!d->io_exits)
		return false;
	take_exit(v, VMXX_IO_INSTRUCTION, d->io_qual, v->cur ? v->cur->addr : 0, w ? w->user : true,
		  w ? w->name : "unassigned");
	return true;
}

static void entry_now(struct vcpu *v);

static uint32_t hook_in(uc_engine *uc, uint32_t port, int size, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	const struct dev_window *w = machine_find_pio(v->set->m, port);
	bool exited = io_exit(v, port, size, true, w);
	uint32_t val;
	if (!w) {   /* no device: the bus floats high */
		(*v->set->m->unassigned)++;
		val = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
	} else {
		val = (uint32_t)vcpu_dev_read(v, w, port, (unsigned)size);
	}
	if (exited)
		entry_now(v);
	return val;
}

static void hook_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	const struct dev_window *w = machine_find_pio(v->set->m, port);
	bool exited = io_exit(v, port, size, false, w);
	if (!w)
		(*v->set->m->unassigned)++;
	else
		vcpu_dev_write(v, w, port, (unsigned)size, value);
	if (exited)
		entry_now(v);
}

/* ---- MMIO: EPT violation on first touch, then EPT misconfig (KVM MMIO SPTEs) ---- */

static bool set_insert(uint64_t **tab, unsigned *cap, unsigned *len, uint64_t key)
{
	key |= 1ULL << 63;   /* never 0 */
	if (*len * 2 >= *cap) {
		unsigned ncap = *cap ? *cap * 2 : 64;
		uint64_t *n = calloc(ncap, sizeof *n);
		if (!n)
			return false;
		for (unsigned i = 0; i < *cap; i++)
			if ((*tab)[i])
				for (unsigned j = (unsigned)((*tab)[i] * 0x9E3779B97F4A7C15ULL >> 40) & (ncap - 1);; j = (j + 1) & (ncap - 1))
					if (!n[j]) { n[j] = (*tab)[i]; break; }
		free(*tab);
		*tab = n;
		*cap = ncap;
	}
	for (unsigned j = (unsigned)(key * 0x9E3779B97F4A7C15ULL >> 40) & (*cap - 1);; j = (j + 1) & (*cap - 1)) {
		if ((*tab)[j] == key)
			return false;
		if (!(*tab)[j]) {
			(*tab)[j] = key;
			(*len)++;
			return true;
		}
	}
}

/* An MMIO access outside the APIC-access page: the exit it takes (emul_begin done) */
static enum vmx_exit mmio_exit(struct mmio_ctx *c, uint64_t addr, struct emul *e)
{
	struct vcpu *v = c->v;
	const struct vmx_model *m = &v->set->vmx;
	struct x86_data *d = v->set->arch_data;
	/* One EPT violation per (vCPU, page) installs the MMIO SPTE; KVM's SPTEs
	 * are per VM, but the per-vCPU key keeps vCPUs independent of order. */
	bool first = !m->mmio_spte_cache || set_insert(&d->mmio_seen, &d->seen_cap, &d->seen_len,
						       (addr >> 12) << 8 | v->id);
	enum vmx_exit x = first ? VMXX_EPT_VIOLATION : VMXX_EPT_MISCONFIG;
	vmx_exit_parts(m, x, c->w ? c->w->user : true, &e->c);
	emul_begin(v, e);
	return x;
}

static void mmio_exit_end(struct mmio_ctx *c, struct emul *e, enum vmx_exit x, bool write)
{
	emul_end(c->v, e, x, x == VMXX_EPT_VIOLATION ? vmx_qual_ept_violation(write, false) : 0,
		 c->v->cur ? c->v->cur->addr : 0, c->w ? c->w->name : "unassigned");
}

static uint64_t irq_path_exit(struct vcpu *v, unsigned x, enum pc_irq_exit k, uint64_t qual, uint64_t rip,
			      const char *why);

/* An access APIC virtualization handled: the exit it took, if any, whose
 * handler emulates it; the value a read returns */
static uint64_t apic_virtual_exit(struct vcpu *v, const struct pc_apic_result *r, uint64_t rip)
{
	if (r->exit < 0)
		return r->value;
	return irq_path_exit(v, X86X_EXTERNAL_INTERRUPT + (unsigned)r->exit, (enum pc_irq_exit)r->exit, r->qual, rip,
			     "APIC virtualization");
}

/* The APIC-access page: virtualized or an APIC exit, never the EPT path (SDM 30.4) */
static uint64_t apic_page_access(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t val)
{
	struct pc_apic_result r = pc_apic_mmio(v->set->pc, v->id, gpa, size, write, val);
	return apic_virtual_exit(v, &r, v->cur ? v->cur->addr : 0);
}

static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	struct mmio_ctx *c = ud;
	VCPU_HOOK(c->v);
	vcpu_note_mmio(c->v, c->base + off, size, false);
	if (pc_apic_page(c->v->set->pc, c->v->id, c->base + off))
		return apic_page_access(c->v, c->base + off, size, false, 0);
	struct emul e;
	enum vmx_exit x = mmio_exit(c, c->base + off, &e);
	uint64_t val = vcpu_dev_read(c->v, c->w, c->base + off, size);
	mmio_exit_end(c, &e, x, false);
	return val;
}

static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud)
{
	struct mmio_ctx *c = ud;
	VCPU_HOOK(c->v);
	vcpu_note_mmio(c->v, c->base + off, size, true);
	if (pc_apic_page(c->v->set->pc, c->v->id, c->base + off)) {
		apic_page_access(c->v, c->base + off, size, true, val);
		return;
	}
	struct emul e;
	enum vmx_exit x = mmio_exit(c, c->base + off, &e);
	vcpu_dev_write(c->v, c->w, c->base + off, size, val);
	mmio_exit_end(c, &e, x, true);
}

/* ---- RDMSR / WRMSR / RDTSC at hooked addresses ---- */
static void set_rip(struct vcpu *v, uint64_t next)
{
	/* Changing RIP ends the translated block; Unicorn re-enters at `next` as
	 * a new block that the block hook counts, so uncount the rest of this one. */
	const struct dblock *b = v->cur;
	if (b && next > b->addr && next < b->addr + b->size) {
		uint32_t rest = (uint32_t)(b->addr + b->size - next);
		const struct dblock *r = decode_lookup(v->set->dc, next, rest);
		uint8_t code[4096];
		if (!r && rest <= sizeof code && vcpu_read_code(v, next, code, rest))
			r = decode_block(v->set->dc, next, code, rest);
		if (r) {
			v->insns -= r->ninsns;   /* set->total_insns follows v->insns */
			/* an exit in this block counted them too: they never ran */
			if (v->insns_at_exit > v->insns)
				v->insns_at_exit = v->insns;
			uint64_t milli = (uint64_t)v->sc.clock * 1000 + v->run_milli - r->cost_milli;
			v->sc.clock = milli / 1000;
			v->run_milli = milli % 1000;
		}
	}
	wr(v, UC_X86_REG_RIP, next);
}

/* An x2APIC MSR the MSR bitmap passes to APIC virtualization (SDM 30.5) */
static bool msr_virtual(struct vcpu *v, uint32_t msr, bool write, uint64_t val, uint64_t rip)
{
	struct pc_apic_result r;
	if (!pc_apic_msr_virtual(v->set->pc, v->id, msr, write, val, &r))
		return false;
	if (r.gp) {
		set_rip(v, rip);
		inject(v, X86_VEC_GP, 0, rip);
		return true;
	}
	if (!write) {
		wr(v, UC_X86_REG_RAX, (uint32_t)r.value);
		wr(v, UC_X86_REG_RDX, r.value >> 32);
	}
	set_rip(v, rip + 2);
	apic_virtual_exit(v, &r, rip);   /* trap-like: after the instruction */
	return true;
}

static void do_rdmsr(struct vcpu *v, uint64_t rip)
{
	uint32_t msr = (uint32_t)rd(v, UC_X86_REG_RCX);
	uint64_t val = 0;
	if (msr_virtual(v, msr, false, 0, rip))
		return;
	bool exits = vmx_exits_on_msr(&v->set->vmx, msr, false);
	if (!exits && msr != 0x10)
		return;              /* passed through: the CPU model reads its own state */
	struct emul e;
	vmx_exit_parts(&v->set->vmx, VMXX_MSR_READ, false, &e.c);
	if (exits)
		emul_begin(v, &e);
	enum msr_result res = pc_rdmsr(v->set->pc, v->id, msr, v->sc.clock, &val);
	if (exits)
		emul_end(v, &e, VMXX_MSR_READ, 0, rip, "");
	switch (res) {
	case MSR_NATIVE:
		return;              /* let the instruction execute */
	case MSR_GP:
		DBG(LOG_EXIT, "cpu%u: RDMSR 0x%x: no such MSR, #GP", v->id, msr);
		set_rip(v, rip);
		inject(v, X86_VEC_GP, 0, rip);
		return;
	case MSR_HANDLED:
		wr(v, UC_X86_REG_RAX, (uint32_t)val);
		wr(v, UC_X86_REG_RDX, val >> 32);
		set_rip(v, rip + 2);
		return;
	}
}

static void do_wrmsr(struct vcpu *v, uint64_t rip)
{
	uint32_t msr = (uint32_t)rd(v, UC_X86_REG_RCX);
	uint64_t val = (uint32_t)rd(v, UC_X86_REG_RAX) | rd(v, UC_X86_REG_RDX) << 32;
	if (msr_virtual(v, msr, true, val, rip))
		return;
	if (!vmx_exits_on_msr(&v->set->vmx, msr, true))
		return;
	struct emul e;
	vmx_exit_parts(&v->set->vmx, VMXX_MSR_WRITE, false, &e.c);
	if (pc_msr_fastpath(v->set->pc, v->id, msr, val))
		vmx_fastpath_parts(&v->set->vmx, &e.c);
	emul_begin(v, &e);
	enum msr_result res = pc_wrmsr(v->set->pc, v->id, msr, val);
	emul_end(v, &e, VMXX_MSR_WRITE, 0, rip, "");
	switch (res) {
	case MSR_NATIVE:
		return;
	case MSR_GP:
		DBG(LOG_EXIT, "cpu%u: WRMSR 0x%x: #GP", v->id, msr);
		set_rip(v, rip);
		inject(v, X86_VEC_GP, 0, rip);
		return;
	case MSR_HANDLED:
		set_rip(v, rip + 2);
		return;
	}
}

static void do_rdtsc(struct vcpu *v, uint64_t rip)
{
	if (vmx_exits_on_rdtsc(&v->set->vmx))
		take_exit(v, VMXX_RDTSC, 0, rip, false, "");
	uint64_t tsc = v->sc.clock;   /* deterministic: the vCPU clock, not the host's */
	wr(v, UC_X86_REG_RAX, (uint32_t)tsc);
	wr(v, UC_X86_REG_RDX, tsc >> 32);
	set_rip(v, rip + 2);
}

/* ---- TLB maintenance for the translation model (cpu/xlate.c) ---- */
FIELD(CR0, WP, 16, 1)
FIELD(CR0, PG, 31, 1)
FIELD(CR3, PCID, 0, 12)
FIELD(CR3, NOFLUSH, 63, 1)   /* with CR4.PCIDE: keep the PCID's translations */
FIELD(CR4, PSE, 4, 1)
FIELD(CR4, PAE, 5, 1)
FIELD(CR4, PGE, 7, 1)
FIELD(CR4, LA57, 12, 1)
FIELD(CR4, PCIDE, 17, 1)
FIELD(CR4, SMEP, 20, 1)
FIELD(CR4, SMAP, 21, 1)
FIELD(EFER, LMA, 10, 1)
FIELD(EFER, NXE, 11, 1)
FIELD(RFLAGS, AC, 18, 1)
#define MSR_IA32_EFER 0xc0000080
/* CPUID.80000008H:EAX[7:0] = 39 (platform/pc.c): the guest's MAXPHYADDR */
#define GUEST_PA_BITS 39

static uint64_t rd_efer(struct vcpu *v)
{
	uc_x86_msr msr = { .rid = MSR_IA32_EFER };
	uc_reg_read(v->uc, UC_X86_REG_MSR, &msr);
	return msr.value;
}

/* Is the code the vCPU runs now 32-bit (decode_set_x86_mode)?  Outside
 * IA-32e mode it is protected mode (the multiboot entry; hvsim has no real
 * mode); inside, compatibility mode when CS's descriptor has L = 0 (SDM
 * Vol. 3A 5.2.1).  The null selector is Unicorn's 64-bit reset state. */
static bool x86_code32(void *ctx)
{
	struct vcpu *v = ctx;
	uc_x86_mmr gdtr;
	uint8_t d[8];
	if (!v)
		return false;
	if (!FIELD_EX(rd_efer(v), EFER, LMA))
		return true;
	uint64_t cs = rd(v, UC_X86_REG_CS) & 0xfff8;
	if (!cs || uc_reg_read(v->uc, UC_X86_REG_GDTR, &gdtr) != UC_ERR_OK || cs + 7 > gdtr.limit ||
	    !xlate_read_virt(v, gdtr.base + cs, d, 8))
		return false;
	return !(d[6] & 0x20);   /* descriptor bit 53: L */
}

static enum xlate_s1 x86_stage1(struct vcpu *v, uint64_t va, unsigned type, struct mmu_stage *s1, bool *user,
				struct mmu_fault *f)
{
	uint64_t cr0 = rd(v, UC_X86_REG_CR0);
	*user = (rd(v, UC_X86_REG_CS) & 3) == 3;
	if (!FIELD_EX(cr0, CR0, PG))
		return XLATE_S1_OFF;
	if (!FIELD_EX(rd_efer(v), EFER, LMA)) {
		/* 32-bit or PAE paging (SDM Vol. 3A 4.3, 4.4): mmu/ walks only
		 * IA-32e paging; Unicorn's own walk is not used with the model on */
		if (v->xl.faults_only)
			return XLATE_S1_UNICORN;
		vcpu_guest_stop(v, SIM_STOP_UNSUPPORTED, "the guest turned on %s paging outside IA-32e mode, which "
				"the translation model ([mmu] model) does not walk", FIELD_EX(rd(v, UC_X86_REG_CR4), CR4, PAE)
				? "PAE" : "32-bit");
		return XLATE_S1_OFF;
	}
	uint64_t cr3 = rd(v, UC_X86_REG_CR3), cr4 = rd(v, UC_X86_REG_CR4);
	/* SMAP binds supervisor data accesses unless RFLAGS.AC (SDM Vol. 3A 4.6.1) */
	bool smap = FIELD_EX(cr4, CR4, SMAP) && !FIELD_EX(rd(v, UC_X86_REG_RFLAGS), RFLAGS, AC);
	*s1 = (struct mmu_stage){
		.fmt = MMU_X86_PAGING,
		.root = cr3 & field_mask(12, GUEST_PA_BITS - 12),
		.levels = FIELD_EX(cr4, CR4, LA57) ? 5 : 4,
		.oa_bits = GUEST_PA_BITS,
		.ctl = MMU_CTL_AD | (FIELD_EX(rd_efer(v), EFER, NXE) ? MMU_CTL_NXE : 0) |
		       (FIELD_EX(cr0, CR0, WP) ? MMU_CTL_WP : 0) | (FIELD_EX(cr4, CR4, SMEP) ? MMU_CTL_SMEP : 0) |
		       (smap ? MMU_CTL_SMAP : 0),
		.tag = FIELD_EX(cr4, CR4, PCIDE) ? (uint16_t)FIELD_EX(cr3, CR3, PCID) : 0,
	};
	return XLATE_S1_ON;
}

/* GPRs in ModRM/SIB order (SDM Vol. 2A 2.1.5) */
static const int gpr[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP, UC_X86_REG_RBP,
	UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

/* An instruction's legacy and REX prefixes, then its opcode bytes */
struct x86_insn {
	const uint8_t *op;       /* first opcode byte */
	unsigned rex, seg;       /* seg: 0x64 FS, 0x65 GS, 0 none */
	bool addr32;
};

static void prefixes(const uint8_t *b, size_t n, struct x86_insn *in)
{
	size_t i = 0;
	*in = (struct x86_insn){ 0 };
	for (; i < 4 && i + 1 < n; i++) {
		if (b[i] == 0x64 || b[i] == 0x65)
			in->seg = b[i];
		else if (b[i] == 0x67)
			in->addr32 = true;
		else if (b[i] != 0x66 && b[i] != 0xf2 && b[i] != 0xf3 && b[i] != 0x2e && b[i] != 0x3e &&
			 b[i] != 0x26 && b[i] != 0x36)
			break;
	}
	if ((b[i] & 0xf0) == 0x40 && i + 1 < n)
		in->rex = b[i++];
	in->op = b + i;
}

/* The effective address of a memory operand (SDM Vol. 2A 2.1.5, 2.2.1.6:
 * RIP-relative uses the next instruction's address); `m` points at ModRM,
 * `end` past the instruction's bytes read. */
static uint64_t modrm_ea(struct vcpu *v, const struct x86_insn *in, const uint8_t *m, uint64_t rip,
			 const uint8_t *start)
{
	unsigned mod = m[0] >> 6, rm = m[0] & 7;
	const uint8_t *p = m + 1;
	uint64_t ea = 0;
	bool rip_rel = false;
	if (rm == 4) {
		unsigned sib = *p++, base = (sib & 7) | (in->rex & 1) << 3, idx = ((sib >> 3) & 7) | (in->rex & 2) << 2;
		if (idx != 4)
			ea += rd(v, gpr[idx]) << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			ea += (uint64_t)(int64_t)(int32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
			p += 4;
		} else {
			ea += rd(v, gpr[base]);
		}
	} else if (rm == 5 && mod == 0) {
		rip_rel = true;
	} else {
		ea += rd(v, gpr[rm | (in->rex & 1) << 3]);
	}
	if (mod == 1)
		ea += (uint64_t)(int64_t)(int8_t)*p++;
	else if (mod == 2 || rip_rel) {
		ea += (uint64_t)(int64_t)(int32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
		p += 4;
	}
	if (rip_rel)
		ea += rip + (uint64_t)(p - start);
	if (in->addr32)
		ea = (uint32_t)ea;
	if (in->seg)
		ea += rd(v, in->seg == 0x64 ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE);
	return ea;
}

static void invalidate(struct vcpu *v, unsigned by, uint16_t pcid, uint64_t addr)
{
	struct tlb_scope sc = { .by = by, .s1tag = pcid, .s2tag = xlate_s2tag(v), .addr = addr };
	xlate_invalidate(v, &sc);
}

/* INVLPG m: the page's translations of the current PCID, global ones too
 * (SDM Vol. 3A 4.10.4.1) */
static void do_invlpg(struct vcpu *v, const struct x86_insn *in, const uint8_t *start, uint64_t rip)
{
	uint64_t cr4 = rd(v, UC_X86_REG_CR4);
	xlate_shadow_exit(v, true, rip);
	uint16_t pcid = FIELD_EX(cr4, CR4, PCIDE) ? (uint16_t)FIELD_EX(rd(v, UC_X86_REG_CR3), CR3, PCID) : 0;
	invalidate(v, TLB_BY_S2 | TLB_BY_S1 | TLB_BY_ADDR, pcid, modrm_ea(v, in, in->op + 2, rip, start));
}

/* MOV to CR0/CR3/CR4 (SDM Vol. 3A 4.10.4.1): CR3 drops the non-global
 * translations (of the new PCID with CR4.PCIDE, none with bit 63 set);
 * changing CR0.PG/WP or CR4.PGE/PAE/PSE/LA57/PCIDE/SMEP/SMAP drops all. */
static void do_mov_cr(struct vcpu *v, const struct x86_insn *in)
{
	unsigned modrm = in->op[2], cr = ((modrm >> 3) & 7) | (in->rex & 4) << 1;
	uint64_t val = rd(v, gpr[(modrm & 7) | (in->rex & 1) << 3]);
	uint64_t cr0 = rd(v, UC_X86_REG_CR0), cr4 = rd(v, UC_X86_REG_CR4);
	if (cr == 3)
		xlate_shadow_exit(v, false, 0);
	uint64_t cr4_all = FIELD_MASK(CR4, PGE) | FIELD_MASK(CR4, PAE) | FIELD_MASK(CR4, PSE) | FIELD_MASK(CR4, LA57) |
			   FIELD_MASK(CR4, PCIDE) | FIELD_MASK(CR4, SMEP) | FIELD_MASK(CR4, SMAP);
	if (cr == 3) {
		if (!FIELD_EX(cr4, CR4, PCIDE))
			invalidate(v, TLB_BY_S2 | TLB_NONGLOBAL, 0, 0);
		else if (!FIELD_EX(val, CR3, NOFLUSH))
			invalidate(v, TLB_BY_S2 | TLB_BY_S1 | TLB_NONGLOBAL, (uint16_t)FIELD_EX(val, CR3, PCID), 0);
	} else if ((cr == 0 && ((cr0 ^ val) & (FIELD_MASK(CR0, PG) | FIELD_MASK(CR0, WP)))) ||
		   (cr == 4 && ((cr4 ^ val) & cr4_all))) {
		invalidate(v, TLB_BY_S2, 0, 0);
	}
}

/* MOV to CRn (0F 22 /r) or INVLPG (0F 01 /7, memory operand), after
 * prefixes: up to 15 bytes, fewer at the end of a mapped page */
static void tlb_special(struct vcpu *v, uint64_t addr)
{
	uint8_t op[16] = { 0 };
	size_t n = sizeof op;
	if (!xlate_read_virt(v, addr, op, n)) {
		n = 4096 - (addr & 4095);
		if (n > sizeof op || !xlate_read_virt(v, addr, op, n))
			return;
	}
	struct x86_insn in;
	prefixes(op, n, &in);
	if (in.op[0] != 0x0f || in.op + 3 > op + n)
		return;
	if (in.op[1] == 0x22)
		do_mov_cr(v, &in);
	else if (in.op[1] == 0x01 && (in.op[2] >> 3 & 7) == 7 && in.op[2] >> 6 != 3)
		do_invlpg(v, &in, op, addr);
}

/* MOV to/from CR8 (REX.R 0F 22/20 /r): the TPR (SDM Vol. 3A 10.8.6.1,
 * TPR[7:4] = CR8[3:0]).  An exit only under CR8-load/store exiting (KVM
 * without TPR shadow); with TPR shadow the access goes to VTPR in the
 * virtual-APIC page, which is the LAPIC model's page.  KVM's TPR threshold
 * stays 0 here (nothing pending below the TPR is tracked), so
 * TPR_BELOW_THRESHOLD does not occur.  False: not a CR8 move. */
static bool mov_cr8(struct vcpu *v, uint64_t addr)
{
	uint8_t b[16] = { 0 };
	size_t n = 4096 - (addr & 4095) < sizeof b ? 4096 - (addr & 4095) : sizeof b;
	struct x86_insn in;
	if (!xlate_read_virt(v, addr, b, n))
		return false;
	prefixes(b, n, &in);
	if (in.op + 3 > b + n || in.op[0] != 0x0f || (in.op[1] != 0x22 && in.op[1] != 0x20))
		return false;
	unsigned modrm = in.op[2], cr = ((modrm >> 3) & 7) | (in.rex & 4) << 1, r = (modrm & 7) | (in.rex & 1) << 3;
	if (cr != 8)
		return false;
	bool to = in.op[1] == 0x22;
	uint64_t val = to ? rd(v, gpr[r]) : 0, next = addr + (uint64_t)(in.op + 3 - b);
	if (to && val >> 4) {   /* reserved bits 63:4: #GP(0) (SDM Vol. 2B MOV CR) */
		set_rip(v, addr);
		inject(v, X86_VEC_GP, 0, addr);
		return true;
	}
	struct vmx_event ev = { .kind = VMX_EV_CR, .insn_len = (uint8_t)(next - addr),
				.cr = { .cr = 8, .type = to ? VMX_CR_MOV_TO : VMX_CR_MOV_FROM, .gpr = (uint8_t)r, .value = val } };
	struct vmx_exit_info x;
	if (vmx_decide(&v->set->vmx, &ev, &x) && x.reason == EXIT_REASON_CR_ACCESS)
		take_exit(v, VMXX_CR_ACCESS, x.qual, addr, false, x.cause);
	if (to)
		pc_apic_set_tpr(v->set->pc, v->id, (uint8_t)(val << 4));
	else
		wr(v, gpr[r], pc_apic_tpr(v->set->pc, v->id) >> 4);
	set_rip(v, next);
	return true;
}

/* VMCALL always exits (SDM Vol. 3C 25.1.2).  Emulated from a code hook
 * before the instruction runs, not from its #UD: after an I/O hook's stop
 * and a block hook's stop with paging on, Unicorn loses that #UD and
 * re-runs the block forever (docs/memory-results.md). */
static void do_vmcall(struct vcpu *v, uint64_t rip)
{
	take_exit(v, VMXX_VMCALL, 0, rip, false, "");
	struct hv_call r;
	uint64_t pages;
	set_rip(v, rip + 3);
	if (rd(v, UC_X86_REG_RAX) == HVSIM_HC_X86_DIRTY_ROUND && xlate_dirty_round(v, rd(v, UC_X86_REG_RBX), &pages)) {
		wr(v, UC_X86_REG_RAX, pages);
		return;
	}
	pc_vmcall(v->set->pc, v->id, rd(v, UC_X86_REG_RAX), rd(v, UC_X86_REG_RBX), v->sc.clock, &r);
	wr(v, UC_X86_REG_RAX, r.ret);
	if (r.act == HV_STOP) {
		sim_stop(&v->set->sim, SIM_STOP_EXIT, r.status);
		vcpu_stop(v);
	}
}

static void hook_special(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	uint8_t op[3] = { 0 };
	if (v->xl.on)
		tlb_special(v, addr);
	if (mov_cr8(v, addr))
		return;
	if (!xlate_read_virt(v, addr, op, 2) || op[0] != 0x0f)
		return;
	if (op[1] == 0x32)
		do_rdmsr(v, addr);
	else if (op[1] == 0x30)
		do_wrmsr(v, addr);
	else if (op[1] == 0x31)
		do_rdtsc(v, addr);
	else if (op[1] == 0x01 && xlate_read_virt(v, addr + 2, op + 2, 1) && op[2] == 0xc1)
		do_vmcall(v, addr);
}

bool x86_hook_specials(struct vcpus *s, const struct dblock *b)
{
	struct x86_data *d = s->arch_data;
	bool added = false;
	for (uint32_t i = 0; i < b->nspecials; i++) {
		uint64_t a = b->specials[i].addr;
		enum x86_special k = b->specials[i].kind;
		/* TLB maintenance matters only to the translation model; MOV CR
		 * always (CR8 is the TPR) */
		if (k == X86S_INVLPG && !s->v[0]->xl.on)
			continue;
		if (!set_insert(&d->hooked, &d->cap, &d->len, a))
			continue;
		for (unsigned c = 0; c < s->n; c++) {
			uc_hook h;
			uc_hook_add(s->v[c]->uc, &h, UC_HOOK_CODE, hook_special, s->v[c], a, a);
		}
		added = true;
	}
	return added;
}

/* Invalid opcodes and INT 6: #UD to the guest (Unicorn raises both as
 * vector 6).  A VMCALL arrives here only if its block was decoded before
 * code was rewritten under it (no code hook on it yet). */
static void handle_invalid(uc_engine *uc, struct vcpu *v)
{
	uint64_t rip = rd(v, UC_X86_REG_RIP);
	uint8_t b[3] = { 0 };
	bool ok = xlate_read_virt(v, rip, b, 2);
	if (ok && b[0] == 0x0f && b[1] == 0x01 && xlate_read_virt(v, rip + 2, b + 2, 1) && b[2] == 0xc1) {
		do_vmcall(v, rip);
		return;
	}
	/* INT n returns after itself, a fault to the instruction (SDM Vol. 3A 6.5) */
	bool int6 = ok && b[0] == 0xcd && b[1] == X86_VEC_UD;
	inject(v, X86_VEC_UD, -1, int6 ? rip + 2 : rip);
}

static bool hook_invalid(uc_engine *uc, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	struct x86_data *d = v->set->arch_data;
	handle_invalid(uc, v);
	d->echo_v = d->ud_echoes ? v : NULL;
	d->echo_rip = rd(v, UC_X86_REG_RIP);
	return true;
}

/* Exceptions raised by the CPU model and INT n: deliver to the guest. */
static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
	struct vcpu *v = ud;
	VCPU_HOOK(v);
	struct x86_data *d = v->set->arch_data;
	bool echo = d->echo_v == v && intno == X86_VEC_UD;
	d->echo_v = NULL;
	uint64_t rip = rd(v, UC_X86_REG_RIP);
	if (echo) {
		/* Already handled.  For INT 6 Unicorn has moved RIP after the INT
		 * (and would resume there): put back where hook_invalid went. */
		if (rip != d->echo_rip)
			wr(v, UC_X86_REG_RIP, d->echo_rip);
		return;
	}
	/* Error-code vectors (SDM Table 6-1); Unicorn does not expose the code, 0 is pushed. */
	bool has_err = intno == 8 || (intno >= 10 && intno <= 14) || intno == 17;
	inject(v, intno, has_err ? 0 : -1, rip);
}

/* ---- interrupts: the machine's controller through struct irq_ctrl ----
 * Legacy injection (no APIC virtualization): an interrupt reaches the guest
 * on a VM entry, through the IDT, when RFLAGS.IF = 1 and no STI shadow;
 * checked on block boundaries, as QEMU's TCG takes interrupts between blocks. */
static struct x86_data *xd(struct vcpu *v) { return v->set->arch_data; }

/* The entry after an exit, now if it has nothing to do (vcpu_quiet_entry);
 * then the next block needs no check unless an interrupt is signalled. */
static void entry_now(struct vcpu *v)
{
	if (!vcpu_quiet_entry(v))
		return;
	xd(v)->irq[v->id].line = irqc(v)->ops->irq_line(irqc(v)->ctx, v->id);
	if (xd(v)->irq[v->id].line)   /* x86_before_block decides at the next block */
		vcpu_check_next_block(v);
}

/* The STI shadow (SDM Vol. 2B STI): QEMU ends the translation block after
 * STI, so a block that follows the previous one straight after an STI
 * (0xFB) starts in the shadow.  Blocking by MOV SS / POP SS is not seen. */
static bool sti_shadow(struct vcpu *v, uint64_t addr)
{
	uint8_t b = 0;
	return v->cur && v->cur->addr + v->cur->size == addr && vcpu_read_phys(v, addr - 1, &b, 1) && b == 0xfb;
}

/* An exit of the interrupt path: the VM exit and entry, the handler from
 * [lapic] or [apicv], the APIC emulation it does (an APIC exit's); the
 * value an emulated APIC read returns. */
static uint64_t irq_path_exit(struct vcpu *v, unsigned x, enum pc_irq_exit k, uint64_t qual, uint64_t rip,
			      const char *why)
{
	struct emul e;
	vmx_switch_parts(&v->set->vmx, &e.c);
	e.c.part[VMXP_HANDLER] = pc_irq_exit_cycles(v->set->pc, k);
	emul_begin(v, &e);
	uint64_t val = pc_apic_exit_emulate(v->set->pc, v->id);
	emul_end(v, &e, x, qual, rip, why);
	return val;
}

/* A physical interrupt for the hypervisor (kick IPI, host timer) is an
 * EXTERNAL_INTERRUPT exit, the LAPIC timer on the VMX-preemption timer a
 * PREEMPTION_TIMER exit; then the entry emulates what is pending. */
static void irq_sync(struct vcpu *v, uint64_t rip)
{
	struct irq_ctrl *ic = irqc(v);
	if (v->sc.clock >= ic->check_at[v->id]) {
		const char *why = ic->ops->poll(ic->ctx, v->id, v->sc.clock);
		if (why) {
			enum pc_irq_exit k = pc_irq_poll_exit(v->set->pc, v->id);
			v->note.cause = why;
			irq_path_exit(v, X86X_EXTERNAL_INTERRUPT + k, k, 0, rip, why);
		}
		v->sc.clock += ic->ops->entry(ic->ctx, v->id, v->sc.clock);
	}
	xd(v)->irq[v->id].line = ic->ops->irq_line(ic->ctx, v->id);
	vcpu_check_next_block(v);
}

/* The interrupt window (SDM Vol. 3C 26.7.5): KVM asks for it when an
 * interrupt waits for RFLAGS.IF; it exits once the guest opens it. */
static void irq_window(struct vcpu *v, bool open, uint64_t rip)
{
	struct x86_data *d = xd(v);
	if (!open) {
		d->irq[v->id].window = pc_irq_window_exiting(v->set->pc);
		return;
	}
	if (!d->irq[v->id].window || !d->win)
		return;
	d->irq[v->id].window = false;
	struct vmx_event ev = { .kind = VMX_EV_INTR_WINDOW, .guest = { .rflags = rd(v, UC_X86_REG_RFLAGS) } };
	struct vmx_exit_info x;
	if (vmx_decide(d->win, &ev, &x))
		irq_path_exit(v, X86X_INTERRUPT_WINDOW, PC_EXIT_INTERRUPT_WINDOW, 0, rip, x.cause);
}

/* Before the block at addr: if an interrupt can be taken, stop before the
 * block; x86_after_run injects it. */
static bool irq_before_block(struct vcpu *v, uint64_t addr)
{
	if (v->set->sim.stop != SIM_RUNNING)
		return false;
	irq_sync(v, addr);
	if (!xd(v)->irq[v->id].line)
		return false;
	bool open = (rd(v, UC_X86_REG_RFLAGS) & RFLAGS_IF) && !sti_shadow(v, addr);
	irq_window(v, open, addr);
	if (!open)
		return false;
	xd(v)->irq[v->id].take = true;
	vcpu_stop_before(v, addr);
	return true;
}

/* Injection on VM entry: the vector the LAPIC acknowledges, through the
 * IDT like an exception without error code (SDM Vol. 3A 6.14); the return
 * address is the next instruction. */
static void take_irq(struct vcpu *v)
{
	struct irq_ctrl *ic = irqc(v);
	cycles_t cost = 0;
	int vec = ic->ops->irq_ack(ic->ctx, v->id, v->sc.clock, &cost);
	v->sc.clock += cost;
	xd(v)->irq[v->id].line = ic->ops->irq_line(ic->ctx, v->id);
	vcpu_check_next_block(v);
	if (vec >= 0)
		inject(v, (unsigned)vec, -1, rd(v, UC_X86_REG_RIP));
}

/* vcpu_block asks before a block when an interrupt check is due or
 * block_check is set (an interrupt waits: RFLAGS.IF may open at any block;
 * a HLT exit's re-entry to charge). */
static bool x86_before_block(struct vcpu *v, uint64_t addr)
{
	struct irq_ctrl *ic = irqc(v);
	if (xd(v)->irq[v->id].reentry) {   /* woken from a HLT exit: its restore and entry */
		v->sc.clock += xd(v)->irq[v->id].reentry;
		xd(v)->irq[v->id].reentry = 0;
	}
	decode_set_x86_ctx(v->set->dc, v);   /* a new block decodes in this vCPU's mode */
	bool stop = ic && (v->sc.clock >= ic->check_at[v->id] || xd(v)->irq[v->id].line) && irq_before_block(v, addr);
	v->block_check = xd(v)->irq[v->id].line;
	return stop;
}

/* HLT: wait for an interrupt (in_hyp: HLT exited, the vCPU blocks in the
 * hypervisor).  RFLAGS.IF is not consulted: a HLT with IF = 0 wakes on a
 * pending interrupt and goes on without taking it. */
static void wait_for_interrupt(struct vcpu *v, bool in_hyp)
{
	struct irq_ctrl *ic = irqc(v);
	cycles_t t = ic ? ic->ops->wait(ic->ctx, v->id, v->sc.clock, in_hyp) : UINT64_MAX;
	vcpu_wait_until(v, t);
}

/* A HLT exit: KVM waits (polls, then blocks) inside the handler
 * (kvm_emulate_halt, kvm_vcpu_halt), so its restore and the VM entry
 * follow the wake-up: charged once the vCPU runs again. */
static void hlt_exit(struct vcpu *v, uint64_t rip)
{
	const struct cost *c = vmx_exit_parts_fixed(&v->set->vmx, VMXX_HLT, false);
	charge_exit(v, VMXX_HLT, c, true, 0, rip, "");
	cycles_t back = c->part[VMXP_RESTORE] + c->part[VMXP_ENTRY];
	v->sc.clock -= back;
	wait_for_interrupt(v, true);
	if (v->sc.state == SIM_CPU_HALTED) {
		xd(v)->irq[v->id].reentry = back;   /* x86_before_block adds it */
		vcpu_check_next_block(v);
	} else {
		v->sc.clock += back;
	}
}

static int x86_create(struct vcpu *v)
{
	uc_hook h;
	if (!v->set->arch_data && !(v->set->arch_data = calloc(1, sizeof(struct x86_data))))
		return err_set("out of memory");
	unsigned major, minor;
	uc_version(&major, &minor);   /* the library loaded, not the headers */
	struct x86_data *d = v->set->arch_data;
	d->ud_echoes = major > 2 || (major == 2 && minor >= 1);
	if (!d->win) {
		if (!(d->win = malloc(sizeof *d->win)))
			return err_set("out of memory");
		*d->win = v->set->vmx;
		vmcs_set(&d->win->vmcs, VMCS_CPU_BASED_VM_EXEC_CONTROL, vmx_primary(d->win) | CPU_BASED_INTR_WINDOW_EXITING);
	}
	decode_set_x86_mode(v->set->dc, x86_code32);
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &v->uc) != UC_ERR_OK)
		return err_set("cannot create an x86-64 Unicorn engine");
	/* 39-bit guest-physical space, as CPUID.80000008H reports */
	if (vcpu_map_phys(v, 1ULL << 39, mmio_read, mmio_write) < 0)
		return -1;
	if (uc_hook_add(v->uc, &h, UC_HOOK_BLOCK, vcpu_block, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INTR, hook_intr, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_MEM_UNMAPPED, vcpu_hook_unmapped, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN_INVALID, hook_invalid, v, 1, 0) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, hook_cpuid, v, 1, 0, UC_X86_INS_CPUID) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, hook_in, v, 1, 0, UC_X86_INS_IN) ||
	    uc_hook_add(v->uc, &h, UC_HOOK_INSN, hook_out, v, 1, 0, UC_X86_INS_OUT))
		return err_set("cannot install Unicorn hooks");
	return 0;
}

/* Multiboot start (platform/pc_boot.c): the loader's stub leaves IA-32e
 * mode itself (clearing CR0.PG in compatibility mode), which needs paging
 * on first.  EFER.LME is cleared here, where no instruction runs: LMA stays
 * set until the stub's CR0 write clears it. */
static void enter_multiboot_stub(struct vcpu *v, const struct pc_mb_entry *mb)
{
	uc_x86_msr efer = { .rid = MSR_IA32_EFER, .value = 0 };
	uc_x86_mmr gdtr = { .base = mb->gdt, .limit = mb->gdt_limit };
	uc_reg_write(v->uc, UC_X86_REG_MSR, &efer);
	wr(v, UC_X86_REG_CR3, mb->cr3);
	wr(v, UC_X86_REG_CR4, FIELD_MASK(CR4, PAE));
	wr(v, UC_X86_REG_CR0, FIELD_MASK(CR0, PG) | 0x11);   /* PG | ET | PE */
	uc_reg_write(v->uc, UC_X86_REG_GDTR, &gdtr);
	wr(v, UC_X86_REG_RBX, mb->ebx);
}

/* Power-on state: 64-bit mode, paging off (Unicorn's UC_MODE_64 reset),
 * interrupts off, RDI = argument (APIC ID for APs); a multiboot kernel's
 * BSP in 32-bit protected mode instead. */
static void x86_reset(struct vcpu *v, uint64_t entry, uint64_t arg)
{
	const struct pc_mb_entry *mb = &v->set->pc->mb;
	memset(&xd(v)->irq[v->id], 0, sizeof xd(v)->irq[v->id]);
	if (v->id == 0 && mb->on && entry == mb->stub)
		enter_multiboot_stub(v, mb);
	wr(v, UC_X86_REG_RDI, arg);
	wr(v, UC_X86_REG_RSP, 0);
	wr(v, UC_X86_REG_RFLAGS, 2);
	wr(v, UC_X86_REG_RIP, entry);
	DBG(LOG_CPU, "cpu%u: reset, entry 0x%llx rdi 0x%llx", v->id, (unsigned long long)entry, (unsigned long long)arg);
}

static uint64_t x86_get_pc(struct vcpu *v) { return rd(v, UC_X86_REG_RIP); }
static void x86_set_pc(struct vcpu *v, uint64_t pc) { wr(v, UC_X86_REG_RIP, pc); }

/* A translation fault the model found (cpu/xlate.c).  Stage 1: #PF with
 * the walker's error code, CR2 = the faulting linear address (SDM Vol. 3A
 * 4.7).  An EPT violation on RAM cannot happen with the hypervisor's full
 * tables: the exit is charged and the run stops, naming it. */
static void deliver_mmu_fault(struct vcpu *v, uint64_t rip)
{
	const struct mmu_fault *f = &v->xl.fault;
	if (f->stage == 2) {
		take_exit(v, VMXX_EPT_VIOLATION, f->syndrome, rip, false, "stage-2 fault");
		vcpu_guest_stop(v, SIM_STOP_GUEST_FAULT, "EPT violation (qualification 0x%llx) on guest RAM at GPA 0x%llx, "
				"linear address 0x%llx, RIP 0x%llx: the hypervisor's tables map all RAM",
				(unsigned long long)f->syndrome, (unsigned long long)f->gpa, (unsigned long long)f->va,
				(unsigned long long)rip);
		return;
	}
	/* Unicorn 2.1.1 writes CR3 too when CR2 is written: put it back */
	uint64_t cr3 = rd(v, UC_X86_REG_CR3);
	wr(v, UC_X86_REG_CR2, f->va);
	if (rd(v, UC_X86_REG_CR3) != cr3)
		wr(v, UC_X86_REG_CR3, cr3);
	inject(v, X86_VEC_PF, (int64_t)f->syndrome, rip);
}

static uint64_t sext(uint64_t a, unsigned bits)
{
	return (uint64_t)((int64_t)(a << (64 - bits)) >> (64 - bits));
}

/* Outside the linear-address width (48 bits, 57 with CR4.LA57) in 64-bit
 * mode: not canonical (SDM Vol. 3A 3.3.7.1).  Unicorn 2.1 reports an
 * unmapped address cut to QEMU's 52 physical bits: one that is canonical
 * once sign-extended from bit 51 may have been (a push with RSP = 0). */
static bool noncanonical(struct vcpu *v, uint64_t a)
{
	unsigned bits = FIELD_EX(rd(v, UC_X86_REG_CR4), CR4, LA57) ? 57 : 48;
	if (!FIELD_EX(rd_efer(v), EFER, LMA) || sext(a, bits) == a)
		return false;
	return a >> 52 || sext(sext(a, 52), bits) != sext(a, 52);
}

/* The address of the last instruction of block b: the branch that left it */
static uint64_t last_insn(struct vcpu *v, const struct dblock *b)
{
	uint8_t code[4096];
	uint32_t off = 0, last = 0, len = 0;
	if (b->size > sizeof code || !vcpu_read_code(v, b->addr, code, b->size))
		return b->addr;
	while (off < b->size) {
		decode_one(v->set->dc, b->addr + off, code + off, b->size - off, &len);
		if (!len)
			break;
		last = off;
		off += len;
	}
	return b->addr + last;
}

/* Which instruction of block b accessed `fault`?  Unicorn stops a faulting
 * data access with RIP at the start of its block but the registers as the
 * instruction found them: the first instruction whose explicit memory
 * operand, computed from them, covers the address.  The block's start if
 * none does (an implicit stack access). */
static uint64_t access_insn(struct vcpu *v, const struct dblock *b, uint64_t fault)
{
	uint8_t code[4096];
	uint32_t off = 0, len = 0;
	struct x86_memop m;
	if (b->size > sizeof code || !vcpu_read_code(v, b->addr, code, b->size))
		return b->addr;
	for (; off < b->size; off += len) {
		if (!decode_x86_memop(v->set->dc, b->addr + off, code + off, b->size - off, &len, &m)) {
			if (!len)
				break;
			continue;
		}
		uint64_t ea = (uint64_t)m.disp;
		if (m.base >= 0)
			ea += rd(v, gpr[m.base]);
		if (m.index >= 0)
			ea += rd(v, gpr[m.index]) * m.scale;
		if (m.addr32)
			ea = (uint32_t)ea;
		if (m.seg >= 0)
			ea += rd(v, m.seg == 4 ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE);
		if (fault - ea < (m.size ? m.size : 1))
			return b->addr + off;
	}
	return b->addr;
}

/* A branch to a non-canonical address faults at the branch, which does not
 * complete (SDM Vol. 2A JMP, CALL, RET: #GP(0) "if the target offset is
 * non-canonical"): the CPU model has already jumped, and a CALL pushed its
 * return address, a RET popped one; undone here. */
static void branch_gp(struct vcpu *v)
{
	uint64_t at = v->cur ? last_insn(v, v->cur) : rd(v, UC_X86_REG_RIP);
	uint8_t b[16] = { 0 };
	struct x86_insn in;
	uint64_t rsp = rd(v, UC_X86_REG_RSP);
	if (xlate_read_virt(v, at, b, sizeof b)) {
		prefixes(b, sizeof b, &in);
		if (in.op[0] == 0xe8 || (in.op[0] == 0xff && (in.op[1] >> 3 & 7) == 2))
			wr(v, UC_X86_REG_RSP, rsp + 8);                       /* CALL */
		else if (in.op[0] == 0xc3)
			wr(v, UC_X86_REG_RSP, rsp - 8);                       /* RET */
		else if (in.op[0] == 0xc2)
			wr(v, UC_X86_REG_RSP, rsp - 8 - (in.op[1] | in.op[2] << 8));   /* RET imm16 */
	}
	set_rip(v, at);
	inject(v, X86_VEC_GP, 0, at);
}

static int x86_after_run(struct vcpu *v, uc_err e)
{
	uint64_t rip = rd(v, UC_X86_REG_RIP);
	if (v->set->sim.stop == SIM_STOP_ERROR)
		return -1;
	if (xlate_take_unicorn(v))
		return 0;
	if (e == UC_ERR_EXCEPTION && xlate_take_fault(v)) {
		deliver_mmu_fault(v, rip);
		return 0;
	}
	if (e == UC_ERR_FETCH_UNMAPPED && noncanonical(v, rip)) {
		branch_gp(v);
		return 0;
	}
	if ((e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED) && noncanonical(v, v->unmapped.addr)) {
		/* a data access: #GP(0) at the instruction, which does not
		 * complete (#SS for a stack access is not told apart) */
		uint64_t at = v->cur ? access_insn(v, v->cur, v->unmapped.addr) : rip;
		set_rip(v, at);
		inject(v, X86_VEC_GP, 0, at);
		return 0;
	}
	if (e == UC_ERR_FETCH_UNMAPPED || e == UC_ERR_FETCH_PROT) {
		/* Executing from MMIO: KVM cannot emulate it and reports an
		 * internal error (emulation failure); the VM stops. */
		take_exit(v, VMXX_EPT_VIOLATION, vmx_qual_ept_violation(false, true), rip, true, "fetch");
		vcpu_guest_stop(v, SIM_STOP_GUEST_FAULT, "guest executed from 0x%llx, which is not RAM (KVM: emulation failure)",
				(unsigned long long)rip);
		return 0;
	}
	if (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED) {
		/* Beyond the 39-bit guest-physical space (all below is RAM, a
		 * device or RAZ/WI).  Guest paging is identity-only here, so there
		 * is no page-table entry whose reserved bits could raise #PF: the
		 * VM stops. */
		vcpu_guest_stop(v, SIM_STOP_GUEST_FAULT, "guest %s of %d bytes at 0x%llx, beyond the 39-bit guest-physical "
				"address space, in the block at 0x%llx", e == UC_ERR_WRITE_UNMAPPED ? "write" : "read",
				v->unmapped.size, (unsigned long long)v->unmapped.addr,
				(unsigned long long)(v->cur ? v->cur->addr : rip));
		return 0;
	}
	if (e != UC_ERR_OK)
		return err_set("cpu%u: Unicorn stopped at 0x%llx: %s", v->id, (unsigned long long)rip, uc_strerror(e));
	if (xd(v)->irq[v->id].take) {   /* stopped before a block to inject */
		xd(v)->irq[v->id].take = false;
		take_irq(v);
		return 0;
	}
	if (v->stop_requested)
		return 0;
	uint8_t prev = 0;
	if (vcpu_read_code(v, rip - 1, &prev, 1) && prev == 0xf4) {   /* HLT stops Unicorn */
		if (vmx_exits_on_hlt(&v->set->vmx))
			hlt_exit(v, rip - 1);
		else
			wait_for_interrupt(v, false);
	}
	return 0;
}

static void x86_fini(struct vcpus *s)
{
	struct x86_data *d = s->arch_data;
	if (d) {
		free(d->hooked);
		free(d->mmio_seen);
		free(d->win);
		free(d);
		s->arch_data = NULL;
	}
}

const struct arch_ops x86_ops = {
	.create = x86_create,
	.reset = x86_reset,
	.get_pc = x86_get_pc,
	.set_pc = x86_set_pc,
	.run_until_addr = 0x8000000000000000ULL,   /* non-canonical: never a RIP */
	.before_block = x86_before_block,
	.after_run = x86_after_run,
	.fini = x86_fini,
	.describe_exception = x86_describe_exception,
	.stage1 = x86_stage1,
	.model_exit = x86_model_exit,
};
