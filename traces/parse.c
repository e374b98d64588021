/* One line of ftrace text or `perf script` output -> struct trace_event.
 *
 * A hand-rolled tokenizer over the line (no sscanf, no regex: a trace has
 * tens of millions of lines).  Line layouts:
 *   ftrace, trace_pipe:   "  comm-pid  [cpu] flags  secs.usecs: event: args"
 *   trace-cmd report:     "  comm-pid  [cpu]  secs.usecs: event:  args"
 *   perf script:          "  comm  tid [cpu] secs.usecs: kvm:event: args"
 * The comm may hold blanks ("CPU 0/KVM"); the first "[digits]" is the CPU. */
#include <string.h>

#include "traces/trace.h"

struct cur {
	const char *p, *e;
};

static bool at_end(const struct cur *c) { return c->p >= c->e; }

static void skip_blanks(struct cur *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* The literal s at the cursor: consumed. */
static bool lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->e - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

/* Moves past the next occurrence of key. */
static bool skip_to(struct cur *c, const char *key)
{
	size_t n = strlen(key);
	for (const char *q = c->p; (size_t)(c->e - q) >= n; q++) {
		q = memchr(q, key[0], (size_t)(c->e - q));
		if (!q || (size_t)(c->e - q) < n)
			return false;
		if (!memcmp(q, key, n)) {
			c->p = q + n;
			return true;
		}
	}
	return false;
}

static const signed char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* A hexadecimal number, "0x" optional; at most 64 bits. */
static bool hexnum(struct cur *c, uint64_t *v)
{
	if (c->e - c->p > 2 && c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X') && hexval[(unsigned char)c->p[2]])
		c->p += 2;
	const char *s = c->p;
	uint64_t x = 0;
	while (s < c->e && *s == '0')
		s++;
	const char *d = s;
	while (s < c->e && hexval[(unsigned char)*s])
		x = x << 4 | (uint64_t)(hexval[(unsigned char)*s++] - 1);
	if (s == c->p || s - d > 16)
		return false;
	c->p = s;
	*v = x;
	return true;
}

static bool hex32(struct cur *c, uint32_t *v)
{
	uint64_t x;
	if (!hexnum(c, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* A decimal number, optionally negative; fits in int64. */
static bool decnum(struct cur *c, int64_t *v)
{
	const char *s = c->p;
	bool neg = s < c->e && *s == '-';
	s += neg;
	const char *d = s;
	uint64_t x = 0;
	while (s < c->e && *s >= '0' && *s <= '9') {
		if (x > (UINT64_MAX - 9) / 10 / 2)
			return false;
		x = x * 10 + (uint64_t)(*s++ - '0');
	}
	if (s == d)
		return false;
	c->p = s;
	*v = neg ? -(int64_t)x : (int64_t)x;
	return true;
}

static bool dec32(struct cur *c, int32_t *v)
{
	int64_t x;
	if (!decnum(c, &x) || x < INT32_MIN || x > UINT32_MAX)
		return false;
	*v = (int32_t)x;
	return true;
}

static bool udec32(struct cur *c, uint32_t *v)
{
	int64_t x;
	if (!decnum(c, &x) || x < 0 || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* The next blank-delimited token. */
static struct cur token(struct cur *c)
{
	skip_blanks(c);
	struct cur t = { c->p, c->p };
	while (c->p < c->e && *c->p != ' ' && *c->p != '\t')
		c->p++;
	t.e = c->p;
	return t;
}

static bool tok_is(struct cur t, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(t.e - t.p) == n && !memcmp(t.p, s, n);
}

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

/* ---- x86 kvm_exit ---- */

/* "UNKNOWN (n)" (trace-cmd's kvm plugin), "0x5a" (the kernel's
 * __print_symbolic for a value it cannot name), or a name of either table. */
static int x86_reason(struct trace_x86_exit *x, const char *s, size_t n, const char **why)
{
	static const char fv[] = " FAILED_VMENTRY";
	if (n > sizeof fv - 1 && !memcmp(s + n - (sizeof fv - 1), fv, sizeof fv - 1)) {
		x->failed_vmentry = true;
		n -= sizeof fv - 1;
	}
	if (trace_x86_reason_lookup(s, n, &x->reason, &x->svm) == 0)
		return 0;
	struct cur c = { s, s + n };
	uint64_t v;
	int64_t d;
	if (lit(&c, "UNKNOWN (") && decnum(&c, &d) && d >= 0 && d <= UINT32_MAX && lit(&c, ")") && at_end(&c))
		v = (uint64_t)d;
	else if ((c = (struct cur){ s, s + n }, lit(&c, "0x")) && (c.p -= 2, hexnum(&c, &v)) && at_end(&c) &&
		 v <= UINT32_MAX)
		;
	else
		FAIL("unknown exit reason name");
	x->reason = (uint32_t)v;
	/* A number alone does not say VMX or SVM: VMX basic reasons are 16 bits. */
	x->svm = v > 0xffff;
	x->unknown = trace_x86_reason_name(x->reason, x->svm) == NULL;
	return 0;
}

/* One "key value" pair after the reason. */
static int x86_field(struct trace_x86_exit *x, struct cur key, struct cur *c, const char **why)
{
	bool ok;
	switch (key.e - key.p) {
	case 3: ok = tok_is(key, "rip") && hexnum((skip_blanks(c), c), &x->rip), x->have |= TX_RIP; break;
	case 4:
		ok = tok_is(key, "info") && hexnum((skip_blanks(c), c), &x->info1) &&
		     hexnum((skip_blanks(c), c), &x->info2);
		x->have |= TX_INFO;
		break;
	case 5:
		ok = (tok_is(key, "info1") && hexnum((skip_blanks(c), c), &x->info1)) ||
		     (tok_is(key, "info2") && hexnum((skip_blanks(c), c), &x->info2));
		x->have |= TX_INFO;
		break;
	case 8: ok = tok_is(key, "requests") && hexnum((skip_blanks(c), c), &x->requests), x->have |= TX_REQUESTS; break;
	case 9: ok = tok_is(key, "intr_info") && hex32((skip_blanks(c), c), &x->intr_info), x->have |= TX_INTR_INFO; break;
	case 10: ok = tok_is(key, "error_code") && hex32((skip_blanks(c), c), &x->error_code), x->have |= TX_ERROR_CODE; break;
	default: ok = false;
	}
	if (!ok)
		FAIL("bad kvm_exit field");
	return 0;
}

static bool is_x86_key(struct cur t)
{
	return tok_is(t, "rip") || tok_is(t, "info") || tok_is(t, "info1") || tok_is(t, "info2") ||
	       tok_is(t, "intr_info") || tok_is(t, "error_code") || tok_is(t, "requests");
}

/* "[vcpu N ]reason NAME [rip 0x.. info1 0x.. ...]": the kernel's, the
 * plugin's ("info A B") and the old kernels' forms alike. */
static int x86_exit(struct cur *c, struct trace_event *ev, const char **why)
{
	struct trace_x86_exit *x = &ev->u.x86;
	ev->arch = TRACE_ARCH_X86;
	if (lit(c, "vcpu ")) {
		if (!dec32(c, &ev->vcpu) || ev->vcpu < 0)
			FAIL("bad kvm_exit vcpu");
		x->have |= TX_VCPU;
		skip_blanks(c);
	}
	if (!lit(c, "reason "))
		FAIL("kvm_exit without reason");
	skip_blanks(c);
	const char *rs = c->p, *re = c->p;
	struct cur t;
	for (;;) {
		t = token(c);
		if (t.p == t.e || is_x86_key(t))
			break;
		re = t.e;
	}
	if (re == rs)
		FAIL("kvm_exit without reason");
	if (x86_reason(x, rs, (size_t)(re - rs), why) < 0)
		return -1;
	while (t.p != t.e) {
		if (x86_field(x, t, c, why) < 0)
			return -1;
		t = token(c);
	}
	return 0;
}

/* ---- arm64 kvm_exit, kvm_entry ---- */

/* "TRAP: HSR_EC: 0x0024 (DABT_LOW), PC: 0x..." (trace_arm.h). */
static int arm_exit(struct cur *c, struct trace_event *ev, const char **why)
{
	struct trace_arm_exit *a = &ev->u.arm;
	ev->arch = TRACE_ARCH_ARM64;
	uint64_t v;
	if (lit(c, "IRQ:"))
		a->type = TRACE_ARM_IRQ;
	else if (lit(c, "SERROR:"))
		a->type = TRACE_ARM_SERROR;
	else if (lit(c, "TRAP:"))
		a->type = TRACE_ARM_TRAP;
	else if (lit(c, "HYP_GONE:"))
		a->type = TRACE_ARM_HYP_GONE;
	else if (hexnum(c, &v) && v <= UINT32_MAX && lit(c, ":"))
		a->type = (uint32_t)v, a->unknown = !trace_arm_type_name(a->type);
	else
		FAIL("bad arm64 exit type");
	if (!lit(c, " HSR_EC: ") || !hex32(c, &a->ec) || !lit(c, " (") || !skip_to(c, "), PC: ") || !hexnum(c, &a->pc))
		FAIL("bad arm64 kvm_exit");
	if (!trace_arm_ec_name(a->ec))
		a->unknown = true;
	return 0;
}

static int exit_args(struct cur *c, struct trace_event *ev, const char **why)
{
	ev->kind = TEV_EXIT;
	struct cur t = *c;
	if (skip_to(&t, ": HSR_EC: "))
		return arm_exit(c, ev, why);
	return x86_exit(c, ev, why);
}

/* x86 "vcpu N, rip 0x.. intr_info 0x.. error_code 0x..[immediate exit]"
 * (shorter on older kernels: "vcpu N, rip 0x..", "vcpu N"); arm64 "PC: 0x..". */
static int entry_args(struct cur *c, struct trace_event *ev, const char **why)
{
	ev->kind = TEV_ENTRY;
	if (lit(c, "PC: ")) {
		ev->arch = TRACE_ARCH_ARM64;
		if (!hexnum(c, &ev->u.entry.pc))
			FAIL("bad kvm_entry PC");
		return 0;
	}
	ev->arch = TRACE_ARCH_X86;
	if (!lit(c, "vcpu ") || !dec32(c, &ev->vcpu) || ev->vcpu < 0)
		FAIL("bad kvm_entry");
	if (lit(c, ", rip ") && !hexnum(c, &ev->u.entry.pc))
		FAIL("bad kvm_entry rip");
	if (lit(c, " intr_info ") && (!hex32(c, &ev->u.entry.intr_info) || !lit(c, " error_code ") ||
				      !hex32(c, &ev->u.entry.error_code)))
		FAIL("bad kvm_entry intr_info");
	ev->u.entry.immediate_exit = lit(c, "[immediate exit]");
	return 0;
}

/* ---- x86 companions (arch/x86/kvm/trace.h) ---- */

/* "msr_write 4b564d01 = 0xe8c21[ (#GP)]" */
static int msr_args(struct cur *c, struct trace_event *ev, const char **why)
{
	bool w = lit(c, "msr_write ");
	if (!w && !lit(c, "msr_read "))
		FAIL("bad kvm_msr direction");
	ev->u.msr.write = w;
	if (!hex32(c, &ev->u.msr.index) || !lit(c, " = ") || !hexnum(c, &ev->u.msr.value))
		FAIL("bad kvm_msr");
	ev->u.msr.gp = lit(c, " (#GP)");
	return 0;
}

/* "pio_write at 0x70 size 1 count 1 val 0x8f [(...)]" (val: newer kernels) */
static int pio_args(struct cur *c, struct trace_event *ev, const char **why)
{
	bool w = lit(c, "pio_write at ");
	if (!w && !lit(c, "pio_read at "))
		FAIL("bad kvm_pio direction");
	ev->u.pio.write = w;
	if (!hex32(c, &ev->u.pio.port) || !lit(c, " size ") || !udec32(c, &ev->u.pio.size) || !lit(c, " count ") ||
	    !udec32(c, &ev->u.pio.count))
		FAIL("bad kvm_pio");
	if (lit(c, " val ") && !hex32(c, &ev->u.pio.value))
		FAIL("bad kvm_pio value");
	return 0;
}

/* "mmio write len 4 gpa 0xfee000f0 val 0x1ff" */
static int mmio_args(struct cur *c, struct trace_event *ev, const char **why)
{
	uint8_t t;
	if (lit(c, "mmio unsatisfied-read "))
		t = 0;
	else if (lit(c, "mmio read "))
		t = 1;
	else if (lit(c, "mmio write "))
		t = 2;
	else
		FAIL("bad kvm_mmio type");
	ev->u.mmio.type = t;
	if (!lit(c, "len ") || !udec32(c, &ev->u.mmio.len) || !lit(c, " gpa ") || !hexnum(c, &ev->u.mmio.gpa) ||
	    !lit(c, " val ") || !hexnum(c, &ev->u.mmio.value))
		FAIL("bad kvm_mmio");
	return 0;
}

/* "apic_write APIC_SPIV = 0x1ff" (an unnamed register prints in hex) */
static int apic_args(struct cur *c, struct trace_event *ev, const char **why)
{
	bool w = lit(c, "apic_write ");
	if (!w && !lit(c, "apic_read "))
		FAIL("bad kvm_apic direction");
	ev->u.apic.write = w;
	struct cur r = token(c);
	if (trace_apic_reg_lookup(r.p, (size_t)(r.e - r.p), &ev->u.apic.reg) < 0) {
		if (!hex32(&r, &ev->u.apic.reg) || !at_end(&r))
			FAIL("bad kvm_apic register");
		ev->u.apic.reg_unknown = true;
	}
	if (!lit(c, " = ") || !hexnum(c, &ev->u.apic.value))
		FAIL("bad kvm_apic value");
	return 0;
}

/* "(INIT|..." : the delivery mode name up to '|'. */
static bool dm_name(struct cur *c, uint32_t *dm)
{
	const char *s = c->p;
	const char *bar = memchr(s, '|', (size_t)(c->e - s));
	if (!bar || trace_apic_dm_lookup(s, (size_t)(bar - s), dm) < 0)
		return false;
	c->p = bar + 1;
	return true;
}

/* "dst 0 vec 16 (SIPI|physical|assert|edge|all-but-self)" */
static int ipi_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "dst ") || !hex32(c, &ev->u.ipi.dest) || !lit(c, " vec ") || !udec32(c, &ev->u.ipi.vector) ||
	    !lit(c, " (") || !dm_name(c, &ev->u.ipi.dm))
		FAIL("bad kvm_apic_ipi");
	ev->u.ipi.logical = lit(c, "logical|");
	if (!ev->u.ipi.logical && !lit(c, "physical|"))
		FAIL("bad kvm_apic_ipi destination mode");
	ev->u.ipi.assert = lit(c, "assert|");
	if (!ev->u.ipi.assert && !lit(c, "de-assert|"))
		FAIL("bad kvm_apic_ipi level");
	ev->u.ipi.level = lit(c, "level|");
	if (!ev->u.ipi.level && !lit(c, "edge|"))
		FAIL("bad kvm_apic_ipi trigger");
	static const char *const sh[] = { "dst)", "self)", "all)", "all-but-self)" };
	for (uint32_t i = 0; i < 4; i++)
		if (lit(c, sh[i])) {
			ev->u.ipi.shorthand = i;
			return 0;
		}
	FAIL("bad kvm_apic_ipi shorthand");
}

/* "apicid 1 vec 0 (INIT|edge)" */
static int accept_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "apicid ") || !hex32(c, &ev->u.accept.apicid) || !lit(c, " vec ") ||
	    !udec32(c, &ev->u.accept.vector) || !lit(c, " (") || !dm_name(c, &ev->u.accept.dm))
		FAIL("bad kvm_apic_accept_irq");
	ev->u.accept.level = lit(c, "level)");
	if (!ev->u.accept.level && !lit(c, "edge)"))
		FAIL("bad kvm_apic_accept_irq trigger");
	return 0;
}

/* "IRQ 0x20[ [reinjected]]", "Soft/INTn 0x80"; old kernels "irq 32". */
static int virq_args(struct cur *c, struct trace_event *ev, const char **why)
{
	bool ok;
	if (lit(c, "irq "))
		ok = udec32(c, &ev->u.virq.vector);
	else {
		ev->u.virq.soft = lit(c, "Soft/INTn ");
		ok = (ev->u.virq.soft || lit(c, "IRQ ")) && hex32(c, &ev->u.virq.vector);
		ev->u.virq.reinjected = lit(c, " [reinjected]");
	}
	if (!ok || ev->u.virq.vector > 255)
		FAIL("bad kvm_inj_virq");
	return 0;
}

/* "apicid 0 vector 34" (-1: no vector in service) */
static int eoi_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "apicid ") || !hex32(c, &ev->u.eoi.apicid) || !lit(c, " vector ") || !dec32(c, &ev->u.eoi.vector))
		FAIL("bad kvm_eoi");
	return 0;
}

/* "PI is enabled and being updated for irq 34, vcpu 1, gsi: 0x18, gvec: 0x22"
 * (older: "VT-d PI is ..." with ", pi_desc_addr: 0x..." after) */
static int irte_args(struct cur *c, struct trace_event *ev, const char **why)
{
	struct cur t = *c;
	ev->u.irte.set = skip_to(&t, "enabled");
	if (!skip_to(c, " for irq ") || !udec32(c, &ev->u.irte.host_irq) || !lit(c, ", vcpu ") ||
	    !dec32(c, &ev->u.irte.vcpu) || !lit(c, ", gsi: ") || !hex32(c, &ev->u.irte.gsi) || !lit(c, ", gvec: ") ||
	    !hex32(c, &ev->u.irte.gvec))
		FAIL("bad kvm_pi_irte_update");
	return 0;
}

/* "vcpu 0 rip 0x.. address 0x.. error_code 0x.."; old "address 7fc036d000 error_code 582". */
static int pf_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (lit(c, "vcpu ") && (!dec32(c, &ev->vcpu) || ev->vcpu < 0 || !lit(c, " ")))
		FAIL("bad kvm_page_fault vcpu");
	if (lit(c, "rip ") && (!hexnum(c, &ev->u.pf.rip) || !lit(c, " ")))
		FAIL("bad kvm_page_fault rip");
	if (!lit(c, "address ") || !hexnum(c, &ev->u.pf.address) || !lit(c, " error_code ") ||
	    !hexnum(c, &ev->u.pf.error_code))
		FAIL("bad kvm_page_fault");
	return 0;
}

/* "wait time 766732166 ns, polling valid" */
static int wakeup_args(struct cur *c, struct trace_event *ev, const char **why)
{
	int64_t ns;
	ev->u.wakeup.waited = lit(c, "wait time ");
	if ((!ev->u.wakeup.waited && !lit(c, "poll time ")) || !decnum(c, &ns) || ns < 0 || !lit(c, " ns"))
		FAIL("bad kvm_vcpu_wakeup");
	ev->u.wakeup.ns = (uint64_t)ns;
	ev->u.wakeup.valid = !lit(c, ", polling invalid");
	return 0;
}

/* "reason KVM_EXIT_IO (2)"; "reason restart (4)" / "reason error (N)":
 * KVM_RUN itself failed with -N. */
static int uexit_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "reason "))
		FAIL("bad kvm_userspace_exit");
	bool failed = lit(c, "restart (") || lit(c, "error (");
	int32_t v;
	if ((!failed && !skip_to(c, " (")) || !dec32(c, &v) || v < 0 || !lit(c, ")"))
		FAIL("bad kvm_userspace_exit");
	if (failed)
		ev->u.uexit.err = -v;
	else
		ev->u.uexit.reason = (uint32_t)v;
	return 0;
}

/* "nr 0x1 a0 0x.. a1 0x.. a2 0x.. a3 0x.." */
static int hcall_args(struct cur *c, struct trace_event *ev, const char **why)
{
	static const char *const k[] = { " a0 ", " a1 ", " a2 ", " a3 " };
	if (!lit(c, "nr ") || !hexnum(c, &ev->u.hcall.nr))
		FAIL("bad kvm_hypercall");
	for (int i = 0; i < 4; i++)
		if (!lit(c, k[i]) || !hexnum(c, &ev->u.hcall.a[i]))
			FAIL("bad kvm_hypercall argument");
	return 0;
}

/* "func 40000000 idx 6 rax 40000001 rbx .. rcx .. rdx 4d, cpuid entry found" (idx: newer kernels) */
static int cpuid_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "func ") || !hex32(c, &ev->u.cpuid.function))
		FAIL("bad kvm_cpuid");
	if (lit(c, " idx ") && !hex32(c, &ev->u.cpuid.index))
		FAIL("bad kvm_cpuid index");
	if (!lit(c, " rax ") || !hexnum(c, &ev->u.cpuid.rax) || !lit(c, " rbx ") || !hexnum(c, &ev->u.cpuid.rbx) ||
	    !lit(c, " rcx ") || !hexnum(c, &ev->u.cpuid.rcx) || !lit(c, " rdx ") || !hexnum(c, &ev->u.cpuid.rdx))
		FAIL("bad kvm_cpuid registers");
	ev->u.cpuid.found = !lit(c, ", cpuid entry not found");
	return 0;
}

/* ---- arm64 companions (arch/arm64/kvm/trace_arm.h, trace_handle_exit.h, vgic/trace.h) ---- */

/* "ipa 0x9000000, hsr 0x93c08007, hxfar 0x9000000, pc 0xffff8000081234" (%# prints 0 bare) */
static int gfault_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "ipa ") || !hexnum(c, &ev->u.gfault.ipa) || !lit(c, ", hsr ") || !hexnum(c, &ev->u.gfault.esr) ||
	    !lit(c, ", hxfar ") || !hexnum(c, &ev->u.gfault.far) || !lit(c, ", pc ") || !hexnum(c, &ev->u.gfault.pc))
		FAIL("bad kvm_guest_fault");
	return 0;
}

/* "Emulate MMIO at: 0x.. (instr: 93c08007, cpsr: 60000005)" */
static int mmio_emul_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "Emulate MMIO at: ") || !hexnum(c, &ev->u.mmio_emul.pc) || !lit(c, " (instr: ") ||
	    !hexnum(c, &ev->u.mmio_emul.instr) || !lit(c, ", cpsr: ") || !hexnum(c, &ev->u.mmio_emul.cpsr))
		FAIL("bad kvm_mmio_emulate");
	return 0;
}

/* "Inject VGIC SPI interrupt (2), vcpu->idx: 0, num: 33, level: 1" */
static int irq_line_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "Inject ") || !skip_to(c, " interrupt (") || !udec32(c, &ev->u.irq_line.type) ||
	    !lit(c, "), vcpu->idx: ") || !dec32(c, &ev->u.irq_line.vcpu_idx) || !lit(c, ", num: ") ||
	    !dec32(c, &ev->u.irq_line.irq) || !lit(c, ", level: ") || !dec32(c, &ev->u.irq_line.level))
		FAIL("bad kvm_irq_line");
	return 0;
}

/* "VCPU: 0, IRQ 27, level: 1" (vgic_update_irq_pending; old kernels "Inject
 * IRQ27 (true) to CPU 0"); kvm_timer_update_irq prints "level 1". */
static int irq_pending_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (lit(c, "Inject IRQ")) {
		if (!udec32(c, &ev->u.irq_pending.irq) || !lit(c, " ("))
			FAIL("bad vgic_update_irq_pending");
		ev->u.irq_pending.level = lit(c, "true) to CPU ");
		if ((!ev->u.irq_pending.level && !lit(c, "false) to CPU ")) || !dec32(c, &ev->vcpu) || ev->vcpu < 0)
			FAIL("bad vgic_update_irq_pending");
		return 0;
	}
	if (!lit(c, "VCPU: ") || !dec32(c, &ev->vcpu) || ev->vcpu < 0 || !lit(c, ", IRQ ") ||
	    !udec32(c, &ev->u.irq_pending.irq) || !(lit(c, ", level: ") || lit(c, ", level ")) ||
	    !dec32(c, &ev->u.irq_pending.level))
		FAIL("bad interrupt-pending event");
	return 0;
}

/* "guest executed wfi at: 0x.." */
static int wfx_args(struct cur *c, struct trace_event *ev, const char **why)
{
	ev->u.wfx.wfe = lit(c, "guest executed wfe at: ");
	if ((!ev->u.wfx.wfe && !lit(c, "guest executed wfi at: ")) || !hexnum(c, &ev->u.wfx.pc))
		FAIL("bad kvm_wfx_arm64");
	return 0;
}

static bool small_dec(struct cur *c, uint8_t *v)
{
	int64_t x;
	if (!decnum(c, &x) || x < 0 || x > 255)
		return false;
	*v = (uint8_t)x;
	return true;
}

/* "PC: ffff800008012345 CNTVCT_EL0 (3,3,14,0,2) read" */
static int sys_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "PC: ") || !hexnum(c, &ev->u.sys.pc) || !skip_to(c, " (") || !small_dec(c, &ev->u.sys.op0) ||
	    !lit(c, ",") || !small_dec(c, &ev->u.sys.op1) || !lit(c, ",") || !small_dec(c, &ev->u.sys.crn) ||
	    !lit(c, ",") || !small_dec(c, &ev->u.sys.crm) || !lit(c, ",") || !small_dec(c, &ev->u.sys.op2) ||
	    !lit(c, ") "))
		FAIL("bad kvm_sys_access");
	ev->u.sys.write = lit(c, "write");
	if (!ev->u.sys.write && !lit(c, "read"))
		FAIL("bad kvm_sys_access direction");
	return 0;
}

/* "HVC at 0x.. (r0: 0x.., imm: 0x0)" */
static int hvc_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "HVC at ") || !hexnum(c, &ev->u.hvc.pc) || !lit(c, " (r0: ") || !hexnum(c, &ev->u.hvc.r0) ||
	    !lit(c, ", imm: ") || !hexnum(c, &ev->u.hvc.imm))
		FAIL("bad kvm_hvc_arm64");
	return 0;
}

/* ---- dispatch by event name ---- */
typedef int (*args_fn)(struct cur *, struct trace_event *, const char **);

static const struct {
	const char *name;
	uint8_t kind, arch;
	args_fn fn;
} events[] = {
	{ "kvm_exit", TEV_EXIT, 0, exit_args },
	{ "kvm_entry", TEV_ENTRY, 0, entry_args },
	{ "kvm_msr", TEV_MSR, TRACE_ARCH_X86, msr_args },
	{ "kvm_pio", TEV_PIO, TRACE_ARCH_X86, pio_args },
	{ "kvm_mmio", TEV_MMIO, TRACE_ARCH_X86, mmio_args },
	{ "kvm_apic", TEV_APIC, TRACE_ARCH_X86, apic_args },
	{ "kvm_apic_ipi", TEV_APIC_IPI, TRACE_ARCH_X86, ipi_args },
	{ "kvm_apic_accept_irq", TEV_APIC_ACCEPT_IRQ, TRACE_ARCH_X86, accept_args },
	{ "kvm_inj_virq", TEV_INJ_VIRQ, TRACE_ARCH_X86, virq_args },
	{ "kvm_eoi", TEV_EOI, TRACE_ARCH_X86, eoi_args },
	{ "kvm_pi_irte_update", TEV_PI_IRTE_UPDATE, TRACE_ARCH_X86, irte_args },
	{ "kvm_page_fault", TEV_PAGE_FAULT, TRACE_ARCH_X86, pf_args },
	{ "kvm_vcpu_wakeup", TEV_VCPU_WAKEUP, TRACE_ARCH_NONE, wakeup_args },
	{ "kvm_userspace_exit", TEV_USERSPACE_EXIT, TRACE_ARCH_NONE, uexit_args },
	{ "kvm_hypercall", TEV_HYPERCALL, TRACE_ARCH_X86, hcall_args },
	{ "kvm_cpuid", TEV_CPUID, TRACE_ARCH_X86, cpuid_args },
	{ "kvm_guest_fault", TEV_GUEST_FAULT, TRACE_ARCH_ARM64, gfault_args },
	{ "kvm_mmio_emulate", TEV_MMIO_EMULATE, TRACE_ARCH_ARM64, mmio_emul_args },
	{ "kvm_irq_line", TEV_IRQ_LINE, TRACE_ARCH_ARM64, irq_line_args },
	{ "vgic_update_irq_pending", TEV_VGIC_UPDATE_IRQ_PENDING, TRACE_ARCH_ARM64, irq_pending_args },
	{ "kvm_timer_update_irq", TEV_TIMER_UPDATE_IRQ, TRACE_ARCH_ARM64, irq_pending_args },
	{ "kvm_wfx_arm64", TEV_WFX_ARM64, TRACE_ARCH_ARM64, wfx_args },
	{ "kvm_sys_access", TEV_SYS_ACCESS, TRACE_ARCH_ARM64, sys_args },
	{ "kvm_hvc_arm64", TEV_HVC_ARM64, TRACE_ARCH_ARM64, hvc_args },
};
#define NEVENTS (sizeof events / sizeof events[0])

const char *trace_kind_name(enum trace_kind k)
{
	for (size_t i = 0; i < NEVENTS; i++)
		if (events[i].kind == k)
			return events[i].name;
	return "other";
}

enum trace_kind trace_kind_lookup(const char *name, size_t n)
{
	for (size_t i = 0; i < NEVENTS; i++)
		if (strlen(events[i].name) == n && !memcmp(events[i].name, name, n))
			return (enum trace_kind)events[i].kind;
	return TEV_OTHER;
}

int trace_parse_args(const char *name, size_t nlen, const char *a, size_t n, struct trace_event *ev,
		     const char **why)
{
	for (size_t i = 0; i < NEVENTS; i++) {
		if (strlen(events[i].name) != nlen || memcmp(events[i].name, name, nlen))
			continue;
		struct cur c = { a, a + n };
		ev->kind = events[i].kind;
		ev->arch = events[i].arch;
		return events[i].fn(&c, ev, why);
	}
	ev->kind = TEV_OTHER;
	return 0;
}

/* ---- the line around the event ---- */

/* "secs.frac" (frac up to 9 digits) -> ns; a bare counter (trace_clock
 * counter, x86-tsc) is taken as it is. */
static bool timestamp(struct cur t, uint64_t *ns)
{
	int64_t s;
	if (!decnum(&t, &s) || s < 0 || (uint64_t)s > UINT64_MAX / 1000000000u)
		return false;
	uint64_t v = (uint64_t)s, frac = 0;
	if (lit(&t, ".")) {
		int digits = 0;
		for (; !at_end(&t) && *t.p >= '0' && *t.p <= '9' && digits < 9; t.p++, digits++)
			frac = frac * 10 + (uint64_t)(*t.p - '0');
		if (!digits || (!at_end(&t) && *t.p >= '0' && *t.p <= '9'))
			return false;
		for (; digits < 9; digits++)
			frac *= 10;
		v = v * 1000000000u + frac;
	}
	*ns = v;
	return at_end(&t);
}

/* The first "[digits]" followed by a blank: the CPU; NULL if none. */
static const char *cpu_field(struct cur c, int32_t *cpu)
{
	for (const char *b = c.p; (b = memchr(b, '[', (size_t)(c.e - b))); b++) {
		const char *d = b + 1;
		int64_t v = 0;
		while (d < c.e && *d >= '0' && *d <= '9' && v < 1000000)
			v = v * 10 + (*d++ - '0');
		if (d > b + 1 && d + 1 < c.e && d[0] == ']' && (d[1] == ' ' || d[1] == '\t') && v < 1000000) {
			*cpu = (int32_t)v;
			return b;
		}
	}
	return NULL;
}

/* The thread id just before the CPU field: "comm-pid", "comm pid" or "comm pid/tid". */
static int32_t pid_before(const char *start, const char *b)
{
	const char *q = b;
	while (q > start && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	const char *end = q;
	while (q > start && q[-1] >= '0' && q[-1] <= '9')
		q--;
	if (q == end || end - q > 9 || (q > start && q[-1] != '-' && q[-1] != ' ' && q[-1] != '/' && q[-1] != '\t'))
		return -1;
	int32_t v = 0;
	for (; q < end; q++)
		v = v * 10 + (*q - '0');
	return v;
}

/* A line with no event: headers of trace, trace-cmd report and perf, and
 * lost-event notes ("CPU:2 [LOST 1234 EVENTS]"). */
static int header_line(struct cur c, uint64_t *lost, const char **why)
{
	struct cur t = c;
	if (skip_to(&t, "[LOST ")) {
		int64_t n;
		if (!decnum(&t, &n) || n < 0 || !lit(&t, " EVENTS]"))
			FAIL("bad lost-events line");
		*lost += (uint64_t)n;
		return 0;
	}
	if (lit(&c, "cpus=") || lit(&c, "version = "))
		return 0;
	t = c;
	int64_t n;
	if (lit(&t, "CPU ") && decnum(&t, &n) && lit(&t, " is empty"))
		return 0;
	FAIL("not an event line");
}

/* The event name: "kvm_exit:" or perf's "kvm:kvm_exit:". */
static bool event_name(struct cur t, struct cur *name)
{
	if (t.e - t.p < 2 || t.e[-1] != ':')
		return false;
	t.e--;
	const char *colon = memchr(t.p, ':', (size_t)(t.e - t.p));
	if (colon)
		t.p = colon + 1;
	*name = t;
	return t.p < t.e;
}

int trace_parse_line(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why)
{
	struct cur c = { s, s + n };
	while (c.e > c.p && (c.e[-1] == '\r' || c.e[-1] == '\n' || c.e[-1] == ' ' || c.e[-1] == '\t'))
		c.e--;
	skip_blanks(&c);
	if (at_end(&c) || *c.p == '#')
		return 0;
	ev->cpu = ev->vcpu = ev->pid = -1;
	ev->arch = TRACE_ARCH_NONE;
	ev->kind = TEV_OTHER;
	ev->name = NULL;
	ev->name_len = 0;
	memset(&ev->u, 0, sizeof ev->u);
	const char *b = cpu_field(c, &ev->cpu);
	if (!b)
		return header_line(c, lost, why);
	ev->pid = pid_before(c.p, b);
	c.p = memchr(b, ']', (size_t)(c.e - b)) + 1;
	struct cur t = token(&c), name;
	if (t.e - t.p < 2 || t.e[-1] != ':' || !timestamp((struct cur){ t.p, t.e - 1 }, &ev->ts_ns)) {
		t = token(&c);	/* the first was the flags ("d..1.") */
		if (t.e - t.p < 2 || t.e[-1] != ':' || !timestamp((struct cur){ t.p, t.e - 1 }, &ev->ts_ns))
			FAIL("no timestamp after the CPU");
	}
	if (!event_name(token(&c), &name))
		FAIL("no event name after the timestamp");
	skip_blanks(&c);
	ev->name = name.p;
	ev->name_len = (uint32_t)(name.e - name.p);
	if (trace_parse_args(name.p, (size_t)(name.e - name.p), c.p, (size_t)(c.e - c.p), ev, why) < 0)
		return -1;
	if (ev->vcpu >= TRACE_MAX_VCPU)
		FAIL("vcpu id out of range");
	return 1;
}
