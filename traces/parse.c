/* One line of ftrace text or `perf script` output -> struct trace_event.
 *
 * A hand-rolled tokenizer over the line (no sscanf, no regex: a trace has
 * tens of millions of lines).  Line layouts:
 *   ftrace, trace_pipe:   "  comm-pid  [cpu] flags  secs.usecs: event: args"
 *   trace-cmd report:     "  comm-pid  [cpu]  secs.usecs: event:  args"
 *   perf script:          "  comm  tid [cpu] secs.usecs: kvm:event: args"
 * The comm may hold blanks ("CPU 0/KVM"); the first "[digits]" is the CPU. */
#define _GNU_SOURCE	/* memrchr */
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

static inline uint64_t load8(const char *s)
{
	uint64_t v;
	memcpy(&v, s, 8);
	return v;
}

/* The literal s at the cursor: consumed.  Always inlined, so that n and the
 * literal's words are constants: a compare of one or two words. */
static inline __attribute__((always_inline)) bool lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->e - c->p) < n)
		return false;
	if (n >= 8) {
		if (load8(c->p) != load8(s) || load8(c->p + n - 8) != load8(s + n - 8) ||
		    (n > 16 && memcmp(c->p + 8, s + 8, n - 16)))
			return false;
	} else if (n >= 4) {
		uint32_t a, b, x, y;
		memcpy(&a, c->p, 4), memcpy(&x, s, 4), memcpy(&b, c->p + n - 4, 4), memcpy(&y, s + n - 4, 4);
		if (a != x || b != y)
			return false;
	} else {
		for (size_t i = 0; i < n; i++)
			if (c->p[i] != s[i])
				return false;
	}
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

/* Eight hex digits at s (all of them digits or letters a-f/A-F) -> *v; the
 * bytes are checked and converted eight at a time (a kvm_exit line has some
 * eighty hex digits). */
static inline __attribute__((always_inline)) bool hex8(const char *s, uint64_t *v)
{
	uint64_t x, ones = 0x0101010101010101ull, high = 0x80 * ones;
	memcpy(&x, s, 8);
	if (x == 0x30 * ones) {	/* "00000000": most info2, intr_info, error_code, requests */
		*v = 0;
		return true;
	}
	uint64_t lower = x | 0x20 * ones;	/* letters to lower case, digits unchanged */
	uint64_t digit = (x + 0x50 * ones) & ~(x + 0x46 * ones);	/* 0x30 <= b < 0x3a */
	uint64_t alpha = (lower + 0x1f * ones) & ~(lower + 0x19 * ones);	/* 0x61 <= b|0x20 < 0x67 */
	if ((x & high) || ((digit | alpha) & high) != high)
		return false;
	x = (x & 0x0f * ones) + 9 * ((x >> 6) & ones);	/* one nibble per byte */
	x = __builtin_bswap64(x);	/* first digit most significant */
	x = (x | x >> 4) & 0x00ff00ff00ff00ffull;
	x = (x | x >> 8) & 0x0000ffff0000ffffull;
	*v = (x | x >> 16) & 0xffffffffull;
	return true;
}

#define ONES 0x0101010101010101ull
#define HIGH (0x80 * ONES)

static const uint64_t pow10[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000 };

/* The eight bytes at s, or fewer at the end of the line (the rest 0, which
 * no digit test accepts). */
static inline uint64_t word_at(const char *s, const char *e)
{
	if (e - s >= 8)
		return load8(s);
	uint64_t x = 0;	/* a byte at a time: no call for a short copy */
	for (unsigned i = 0; s + i < e; i++)
		x |= (uint64_t)(unsigned char)s[i] << 8 * i;
	return x;
}

/* How many of the bytes of x, from the first, are hex digits (0-8), and
 * their value.  Bytes with the top bit set are masked before the adds, so
 * no carry crosses a byte. */
static inline unsigned hexrun8(uint64_t x, uint64_t *v)
{
	uint64_t y = x & ~HIGH, lower = y | 0x20 * ONES;
	uint64_t digit = (y + 0x50 * ONES) & ~(y + 0x46 * ONES);	/* 0x30 <= b < 0x3a */
	uint64_t alpha = (lower + 0x1f * ONES) & ~(lower + 0x19 * ONES);	/* 0x61 <= b|0x20 < 0x67 */
	uint64_t bad = (~(digit | alpha) | x) & HIGH;	/* x: a top bit set is no digit either */
	unsigned n = bad ? (unsigned)__builtin_ctzll(bad) / 8 : 8;
	*v = 0;
	if (!n)
		return 0;
	y = (y & 0x0f * ONES) + 9 * ((y >> 6) & ONES);	/* one nibble per byte */
	y <<= 8 * (8 - n);		/* the n digits to the top, zeros before them */
	y = __builtin_bswap64(y);	/* first digit most significant */
	y = (y | y >> 4) & 0x00ff00ff00ff00ffull;
	y = (y | y >> 8) & 0x0000ffff0000ffffull;
	*v = (y | y >> 16) & 0xffffffffull;
	return n;
}

/* The same for decimal digits. */
static inline unsigned decrun8(uint64_t x, uint64_t *v)
{
	uint64_t y = x & ~HIGH;
	uint64_t bad = (~((y + 0x50 * ONES) & ~(y + 0x46 * ONES)) | x) & HIGH;
	unsigned n = bad ? (unsigned)__builtin_ctzll(bad) / 8 : 8;
	*v = 0;
	if (!n)
		return 0;
	y = (y - 0x30 * ONES) << 8 * (8 - n);	/* leading zeros, then the n digits (the last in the top byte) */
	y = y * 10 + (y >> 8);
	y = (((y & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
	     (((y >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >> 32;
	*v = y;
	return n;
}

/* A hexadecimal number, "0x" optional; at most 64 bits (16 digits, leading
 * zeros beyond those refused), eight digits at a time. */
static bool hexnum(struct cur *c, uint64_t *v)
{
	const char *s = c->p;
	if (c->e - s > 2 && s[0] == '0' && (s[1] | 0x20) == 'x' && hexval[(unsigned char)s[2]])
		s += 2;
	uint64_t x = 0, part;
	unsigned n, total = 0;
	do {
		n = hexrun8(word_at(s, c->e), &part);
		if (total + n > 16)
			return false;
		x = n == 8 ? x << 32 | part : (x << (4 * n)) | part;
		s += n;
		total += n;
	} while (n == 8);
	if (!total)
		return false;
	c->p = s;
	*v = x;
	return true;
}

/* "0x" and exactly 8 or 16 digits then a blank or the end, as the kernel
 * prints %016llx and %08x fields: inlined; anything else takes hexnum(). */
static inline __attribute__((always_inline)) bool fixhex(struct cur *c, long digits, uint64_t *v)
{
	const char *s = c->p, *end = s + 2 + digits;
	uint64_t hi = 0, lo;
	if (c->e - s >= 2 + digits && s[0] == '0' && s[1] == 'x' && hex8(end - 8, &lo) &&
	    (digits == 8 || hex8(s + 2, &hi)) && (end == c->e || *end == ' ')) {
		*v = hi << 32 | lo;
		c->p = end;
		return true;
	}
	return hexnum(c, v);
}

static bool hex32(struct cur *c, uint32_t *v)
{
	uint64_t x;
	if (!hexnum(c, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* A decimal number, optionally negative; fits in int64 (at most 18
 * digits), eight digits at a time. */
static bool decnum(struct cur *c, int64_t *v)
{
	const char *s = c->p;
	if (c->e - s >= 2 && (unsigned)(s[0] - '0') < 10 && (unsigned)(s[1] - '0') >= 10) {
		*v = s[0] - '0';	/* one digit: a vCPU id, a size */
		c->p = s + 1;
		return true;
	}
	bool neg = s < c->e && *s == '-';
	s += neg;
	uint64_t x = 0, part;
	unsigned n, total = 0;
	do {
		n = decrun8(word_at(s, c->e), &part);
		if (total + n > 18)
			return false;
		x = x * pow10[n] + part;
		s += n;
		total += n;
	} while (n == 8);
	if (!total)
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

/* The kernel's form with a one-word name, which is nearly every line of a
 * real trace: "NAME rip 0x.. info1 0x.. info2 0x.. intr_info 0x..
 * error_code 0x..[ requests 0x..]".  -1 (cursor untouched) for any other. */
static int x86_exit_kernel(struct cur *c, struct trace_event *ev)
{
	struct trace_x86_exit *x = &ev->u.x86;
	struct cur k = *c;
	const char *sp = k.p;
	while (sp < k.e && *sp != ' ')
		sp++;
	if (sp == k.e || trace_x86_reason_lookup(k.p, (size_t)(sp - k.p), &x->reason, &x->svm) < 0)
		return -1;
	k.p = sp;
	uint64_t ii, ec;
	if (!lit(&k, " rip ") || !hexnum(&k, &x->rip) || !lit(&k, " info1 ") || !fixhex(&k, 16, &x->info1) ||
	    !lit(&k, " info2 ") || !fixhex(&k, 16, &x->info2) || !lit(&k, " intr_info ") || !fixhex(&k, 8, &ii) ||
	    ii > UINT32_MAX || !lit(&k, " error_code ") || !fixhex(&k, 8, &ec) || ec > UINT32_MAX ||
	    (lit(&k, " requests ") && !(fixhex(&k, 16, &x->requests) && (x->have |= TX_REQUESTS))) || !at_end(&k)) {
		*x = (struct trace_x86_exit){ .have = x->have & TX_VCPU };
		return -1;
	}
	x->have |= TX_RIP | TX_INFO | TX_INTR_INFO | TX_ERROR_CODE;
	x->intr_info = (uint32_t)ii;
	x->error_code = (uint32_t)ec;
	*c = k;
	return 0;
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
	if (x86_exit_kernel(c, ev) == 0)
		return 0;
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
	if (a->ec > 0x3f)	/* ESR_EL2.EC is bits [31:26] */
		FAIL("arm64 EC out of range");
	if (!trace_arm_ec_name(a->ec))
		a->unknown = true;
	return 0;
}

static int exit_args(struct cur *c, struct trace_event *ev, const char **why)
{
	ev->kind = TEV_EXIT;
	/* x86 lines start "vcpu " or "reason ", arm64 ones "TRAP: HSR_EC: ..." */
	if (c->e - c->p >= 4 && (!memcmp(c->p, "vcpu", 4) || !memcmp(c->p, "reas", 4)))
		return x86_exit(c, ev, why);
	return arm_exit(c, ev, why);
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

/* Any text; hvsim's export writes "hvsim: vgic lrs N" after an arm64 exit:
 * the list registers in use while the guest ran (saved at the exit), which
 * the world switch's cost depends on and no KVM event prints. */
static int mark_args(struct cur *c, struct trace_event *ev, const char **why)
{
	(void)why;
	if (lit(c, "hvsim: vgic lrs ") && udec32(c, &ev->u.mark.lrs) && ev->u.mark.lrs <= 16) {
		ev->u.mark.has_lrs = true;
		if (lit(c, " device ") && (!udec32(c, &ev->u.mark.device_lrs) || ev->u.mark.device_lrs > ev->u.mark.lrs))
			ev->u.mark.device_lrs = 0;
	}
	return 0;
}

/* "irq=42 name=vfio-msix[0](0000:01:00.0)" (include/trace/events/irq.h) */
static int irqh_args(struct cur *c, struct trace_event *ev, const char **why)
{
	if (!lit(c, "irq=") || !udec32(c, &ev->u.irqh.irq) || !lit(c, " name="))
		FAIL("bad irq_handler_entry");
	ev->u.irqh.vfio = lit(c, "vfio-msi");	/* vfio-msi[n] and vfio-msix[n]: vfio_msi_set_vector_signal */
	return 0;
}

/* kvmmmu:fast_page_fault (arch/x86/kvm/mmu/mmutrace.h): "vcpu 0 gva 40001000
 * error_code P|W sptep 00000000a1b2c3d4 old 0x6000000012345975 new
 * 6000000012345977 spurious 0 fixed 1".  error_code is __print_flags
 * (kvm_mmu_trace_pferr_flags): empty, names joined by '|', unnamed bits
 * last as 0x...; sptep is a hashed %p. */
static bool pferr_flags(struct cur t, uint32_t *v)
{
	static const struct { const char *name; uint32_t bit; } f[] = {
		{ "P", 1 }, { "W", 2 }, { "U", 4 }, { "RSVD", 8 }, { "F", 16 },
	};
	*v = 0;
	while (t.p < t.e) {
		const char *bar = memchr(t.p, '|', (size_t)(t.e - t.p));
		struct cur one = { t.p, bar ? bar : t.e };
		unsigned i = 0;
		while (i < sizeof f / sizeof f[0] && !tok_is(one, f[i].name))
			i++;
		if (i < sizeof f / sizeof f[0])
			*v |= f[i].bit;
		else if (!(one.e - one.p > 2 && one.p[0] == '0' && one.p[1] == 'x'))
			return false;	/* bits above 31 (PFERR_GUEST_*) are not kept */
		t.p = bar ? bar + 1 : t.e;
	}
	return true;
}

static bool nonblank(struct cur t) { return t.p < t.e; }

static int fpf_args(struct cur *c, struct trace_event *ev, const char **why)
{
	int32_t sp, fx;
	if (!lit(c, "vcpu ") || !dec32(c, &ev->vcpu) || ev->vcpu < 0 || !lit(c, " gva ") || !hexnum(c, &ev->u.fpf.gpa) ||
	    !lit(c, " error_code "))
		FAIL("bad fast_page_fault");
	struct cur flags = { c->p, c->p };
	while (flags.e < c->e && *flags.e != ' ')
		flags.e++;
	c->p = flags.e;
	if (!pferr_flags(flags, &ev->u.fpf.error_code) || !lit(c, " sptep ") || !nonblank(token(c)) || !lit(c, " old ") ||
	    !hexnum(c, &ev->u.fpf.old_spte) || !lit(c, " new ") || !hexnum(c, &ev->u.fpf.new_spte) ||
	    !lit(c, " spurious ") || !dec32(c, &sp) || !lit(c, " fixed ") || !dec32(c, &fx))
		FAIL("bad fast_page_fault");
	ev->u.fpf.spurious = sp != 0;
	ev->u.fpf.fixed = fx != 0;
	return 0;
}

/* kvm:kvm_dirty_ring_push (include/trace/events/kvm.h): "ring 0: dirty 0x1
 * reset 0x0 slot 0 offset 0x201 (used 1)" */
static int ring_args(struct cur *c, struct trace_event *ev, const char **why)
{
	int32_t idx;
	if (!lit(c, "ring ") || !dec32(c, &idx) || idx < 0 || !lit(c, ": dirty ") || !hex32(c, &ev->u.ring.dirty) ||
	    !lit(c, " reset ") || !hex32(c, &ev->u.ring.reset) || !lit(c, " slot ") || !udec32(c, &ev->u.ring.slot) ||
	    !lit(c, " offset ") || !hexnum(c, &ev->u.ring.offset))
		FAIL("bad kvm_dirty_ring_push");
	ev->u.ring.index = (uint32_t)idx;
	return 0;
}

/* ---- dispatch by event name ---- */
typedef int (*args_fn)(struct cur *, struct trace_event *, const char **);

static const struct {
	const char *name;
	uint8_t kind, arch;
	args_fn fn;
	size_t len;
} events[] = {
	{ "kvm_exit", TEV_EXIT, 0, exit_args, sizeof "kvm_exit" - 1 },
	{ "kvm_entry", TEV_ENTRY, 0, entry_args, sizeof "kvm_entry" - 1 },
	{ "kvm_msr", TEV_MSR, TRACE_ARCH_X86, msr_args, sizeof "kvm_msr" - 1 },
	{ "kvm_pio", TEV_PIO, TRACE_ARCH_X86, pio_args, sizeof "kvm_pio" - 1 },
	{ "kvm_mmio", TEV_MMIO, TRACE_ARCH_X86, mmio_args, sizeof "kvm_mmio" - 1 },
	{ "kvm_apic", TEV_APIC, TRACE_ARCH_X86, apic_args, sizeof "kvm_apic" - 1 },
	{ "kvm_apic_ipi", TEV_APIC_IPI, TRACE_ARCH_X86, ipi_args, sizeof "kvm_apic_ipi" - 1 },
	{ "kvm_apic_accept_irq", TEV_APIC_ACCEPT_IRQ, TRACE_ARCH_X86, accept_args, sizeof "kvm_apic_accept_irq" - 1 },
	{ "kvm_inj_virq", TEV_INJ_VIRQ, TRACE_ARCH_X86, virq_args, sizeof "kvm_inj_virq" - 1 },
	{ "kvm_eoi", TEV_EOI, TRACE_ARCH_X86, eoi_args, sizeof "kvm_eoi" - 1 },
	{ "kvm_pi_irte_update", TEV_PI_IRTE_UPDATE, TRACE_ARCH_X86, irte_args, sizeof "kvm_pi_irte_update" - 1 },
	{ "kvm_page_fault", TEV_PAGE_FAULT, TRACE_ARCH_X86, pf_args, sizeof "kvm_page_fault" - 1 },
	{ "kvm_vcpu_wakeup", TEV_VCPU_WAKEUP, TRACE_ARCH_NONE, wakeup_args, sizeof "kvm_vcpu_wakeup" - 1 },
	{ "kvm_userspace_exit", TEV_USERSPACE_EXIT, TRACE_ARCH_NONE, uexit_args, sizeof "kvm_userspace_exit" - 1 },
	{ "kvm_hypercall", TEV_HYPERCALL, TRACE_ARCH_X86, hcall_args, sizeof "kvm_hypercall" - 1 },
	{ "kvm_cpuid", TEV_CPUID, TRACE_ARCH_X86, cpuid_args, sizeof "kvm_cpuid" - 1 },
	{ "kvm_guest_fault", TEV_GUEST_FAULT, TRACE_ARCH_ARM64, gfault_args, sizeof "kvm_guest_fault" - 1 },
	{ "kvm_mmio_emulate", TEV_MMIO_EMULATE, TRACE_ARCH_ARM64, mmio_emul_args, sizeof "kvm_mmio_emulate" - 1 },
	{ "kvm_irq_line", TEV_IRQ_LINE, TRACE_ARCH_ARM64, irq_line_args, sizeof "kvm_irq_line" - 1 },
	{ "vgic_update_irq_pending", TEV_VGIC_UPDATE_IRQ_PENDING, TRACE_ARCH_ARM64, irq_pending_args, sizeof "vgic_update_irq_pending" - 1 },
	{ "kvm_timer_update_irq", TEV_TIMER_UPDATE_IRQ, TRACE_ARCH_ARM64, irq_pending_args, sizeof "kvm_timer_update_irq" - 1 },
	{ "kvm_wfx_arm64", TEV_WFX_ARM64, TRACE_ARCH_ARM64, wfx_args, sizeof "kvm_wfx_arm64" - 1 },
	{ "kvm_sys_access", TEV_SYS_ACCESS, TRACE_ARCH_ARM64, sys_args, sizeof "kvm_sys_access" - 1 },
	{ "kvm_hvc_arm64", TEV_HVC_ARM64, TRACE_ARCH_ARM64, hvc_args, sizeof "kvm_hvc_arm64" - 1 },
	{ "tracing_mark_write", TEV_MARK, TRACE_ARCH_NONE, mark_args, sizeof "tracing_mark_write" - 1 },
	{ "irq_handler_entry", TEV_IRQ_HANDLER, TRACE_ARCH_NONE, irqh_args, sizeof "irq_handler_entry" - 1 },
	{ "fast_page_fault", TEV_FAST_PAGE_FAULT, TRACE_ARCH_X86, fpf_args, sizeof "fast_page_fault" - 1 },
	{ "kvm_dirty_ring_push", TEV_DIRTY_RING_PUSH, TRACE_ARCH_NONE, ring_args, sizeof "kvm_dirty_ring_push" - 1 },
};
#define NEVENTS (sizeof events / sizeof events[0])

const char *trace_kind_name(enum trace_kind k)
{
	for (size_t i = 0; i < NEVENTS; i++)
		if (events[i].kind == k)
			return events[i].name;
	return "other";
}

/* a[0..n) == b[0..n), both at least seven bytes (every name here is): two
 * overlapping words, no call. */
static inline bool same_name(const char *a, const char *b, size_t n)
{
	if (n < 8) {
		uint32_t x, y, z, w;
		memcpy(&x, a, 4), memcpy(&y, b, 4), memcpy(&z, a + n - 4, 4), memcpy(&w, b + n - 4, 4);
		return x == y && z == w;
	}
	return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8) &&
	       (n <= 16 || !memcmp(a + 8, b + 8, n - 16));
}

/* The events[] entry of a name, or -1.  Prefix dispatch: kvm_exit and
 * kvm_entry (two lines in three of a real trace) by one or two word
 * compares, every other name by its length first. */
static int event_index(const char *name, size_t n)
{
	if (n == 8 && load8(name) == load8("kvm_exit"))
		return 0;
	if (n == 9 && load8(name) == load8("kvm_entr") && name[8] == 'y')
		return 1;
	for (size_t i = 2; i < NEVENTS; i++)
		if (events[i].len == n && same_name(events[i].name, name, n))
			return (int)i;
	return -1;
}

enum trace_kind trace_kind_lookup(const char *name, size_t n)
{
	int i = event_index(name, n);
	return i < 0 ? TEV_OTHER : (enum trace_kind)events[i].kind;
}

int trace_parse_args(const char *name, size_t nlen, const char *a, size_t n, struct trace_event *ev,
		     const char **why)
{
	int i = event_index(name, nlen);
	if (i < 0) {
		ev->kind = TEV_OTHER;
		return 0;
	}
	struct cur c = { a, a + n };
	ev->kind = events[i].kind;
	ev->arch = events[i].arch;
	return events[i].fn(&c, ev, why);
}

/* ---- the line around the event ---- */

/* Up to max decimal digits at *p (eight at a time) -> *v; the count.
 * Inlined: a timestamp's two numbers are each one word, nearly always. */
static inline __attribute__((always_inline)) unsigned digits(const char **p, const char *e, unsigned max,
							      uint64_t *v)
{
	uint64_t x = 0, part;
	unsigned n, total = 0;
	if (e - *p > 8 && max >= 8 && (n = decrun8(load8(*p), &part)) < 8) {
		*p += n;	/* fewer than eight: the number ends in this word */
		*v = part;
		return n;
	}
	do {
		n = decrun8(word_at(*p, e), &part);
		if (total + n > max) {	/* only the first digits wanted */
			part /= pow10[total + n - max];
			n = max - total;
		}
		x = x * pow10[n] + part;
		*p += n;
		total += n;
	} while (n == 8 && total < max);
	*v = x;
	return total;
}

/* "secs.frac:" (frac up to 9 digits) -> ns, the cursor after the colon; a
 * bare counter (trace_clock counter, x86-tsc) is taken as it is. */
static bool timestamp(struct cur *c, uint64_t *ns, bool *raw)
{
	const char *t = c->p, *e = c->e;
	uint64_t v, frac;
	if (!digits(&t, e, 19, &v) || (t < e && (unsigned)(*t - '0') < 10))	/* 19 digits never wrap */
		return false;
	*raw = t == e || *t != '.';
	if (!*raw) {
		const char *f = ++t;
		if (v > UINT64_MAX / 1000000000u || !digits(&t, e, 9, &frac))
			return false;
		v = v * 1000000000u + frac * pow10[9 - (t - f)];
	}
	if (t == e || *t != ':')
		return false;
	*ns = v;
	c->p = t + 1;
	return true;
}

/* The first "[digits]" followed by a blank: the CPU; NULL if none, else
 * the '[' (*close: the ']'). */
static const char *cpu_field(struct cur c, int32_t *cpu, const char **close)
{
	for (const char *b = c.p; (b = memchr(b, '[', (size_t)(c.e - b))); b++) {
		uint64_t v;
		unsigned n = decrun8(word_at(b + 1, c.e), &v);
		const char *d = b + 1 + n;
		if (n && n <= 6 && d + 1 < c.e && d[0] == ']' && (d[1] == ' ' || d[1] == '\t')) {
			*cpu = (int32_t)v;
			*close = d;
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

/* The event name: "kvm_exit:" or perf's "kvm:kvm_exit:" (the system
 * dropped), then a blank or the end. */
/* 0x80 in each byte of x equal to b, exactly (no borrow between bytes). */
static inline uint64_t bytes_eq(uint64_t x, unsigned char b)
{
	uint64_t v = x ^ (b * ONES);
	return ~(((v & ~HIGH) + ~HIGH) | v | ~HIGH);
}

/* The first blank-delimited word ends in ':'; the name is after any ':'
 * inside it (perf's "kvm:kvm_exit:").  Eight bytes at a time: blanks and
 * colons found in one word by bytes_eq. */
static bool event_name(struct cur *c, struct cur *name)
{
	skip_blanks(c);
	const char *w = c->p, *q = w, *colon = NULL, *prev = NULL;
	while (q < c->e) {
		uint64_t x = word_at(q, c->e), blank = bytes_eq(x, ' ') | bytes_eq(x, '\t'), col = bytes_eq(x, ':');
		unsigned n = (unsigned)(c->e - q) < 8 ? (unsigned)(c->e - q) : 8;
		unsigned stop = blank ? (unsigned)__builtin_ctzll(blank) / 8 : n;
		stop = stop < n ? stop : n;
		col &= stop < 8 ? (1ull << 8 * stop) - 1 : ~0ull;	/* colons before the blank */
		if (col) {
			unsigned hi = 63 - (unsigned)__builtin_clzll(col);
			unsigned lo = (unsigned)__builtin_ctzll(col);
			prev = lo != hi ? q + (63 - __builtin_clzll(col & ((1ull << hi) - 1))) / 8 : colon;
			colon = q + hi / 8;
		}
		q += stop;
		if (stop < 8)
			break;
	}
	if (!colon || colon != q - 1 || colon == (prev ? prev + 1 : w))
		return false;
	name->p = prev ? prev + 1 : w;
	name->e = colon;
	c->p = q;
	return true;
}

/* Trailing blanks, CR and LF are no part of the line. */
static inline size_t trimmed(const char *s, size_t n)
{
	static const bool trail[256] = { ['\r'] = true, ['\n'] = true, [' '] = true, ['\t'] = true };
	while (n && trail[(unsigned char)s[n - 1]])
		n--;
	return n;
}

static void event_init(struct trace_event *ev)
{
	ev->cpu = ev->vcpu = ev->pid = -1;
	ev->arch = TRACE_ARCH_NONE;
	ev->kind = TEV_OTHER;
	ev->name = NULL;
	ev->name_len = 0;
	memset(&ev->u, 0, sizeof ev->u);
}

/* The general parser: every layout, every malformed line with why. */
static int parse_line(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why)
{
	struct cur c = { s, s + trimmed(s, n) };
	skip_blanks(&c);
	if (at_end(&c) || *c.p == '#')
		return 0;
	event_init(ev);
	const char *close;
	const char *b = cpu_field(c, &ev->cpu, &close);
	if (!b)
		return header_line(c, lost, why);
	ev->pid = pid_before(c.p, b);
	c.p = close + 1;
	skip_blanks(&c);
	if (!at_end(&c) && (*c.p < '0' || *c.p > '9'))
		token(&c);	/* the flags ("d..1.") */
	skip_blanks(&c);
	if (!timestamp(&c, &ev->ts_ns, &ev->ts_raw))
		FAIL("no timestamp after the CPU");
	struct cur name;
	if (!event_name(&c, &name))
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

/* ---- the common lines on a fast path ----
 * A real trace is nearly all kvm_exit and kvm_entry lines in the kernel's
 * layout.  Their head ("comm-pid [cpu] flags secs.frac: name: ") is found
 * from bit masks of the first WIN bytes (blanks, '[', ':', digits: sixteen
 * bytes per SSE2 compare), the x86 kvm_exit and kvm_entry arguments by their
 * fixed-width tail, sixteen hex digits checked and converted at a time.
 * The fast path takes only lines that parse_line() reads the same way and
 * gives up (-2) on anything else, which parse_line() then reads or reports:
 * the two must agree, which tests/fuzz/trace_line.c checks. */
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>

#define WIN 64
#define GIVE_UP (-2)

/* Position of the lowest set bit, WIN if none. */
static inline unsigned low_bit(uint64_t x) { return x ? (unsigned)__builtin_ctzll(x) : WIN; }

/* Bit i of each mask: byte i of w[0..WIN) is a blank, '[', ':', a digit. */
struct masks {
	uint64_t blank, lbr, colon, digit;
};

static inline __attribute__((always_inline)) void masks_of(const char *w, uint64_t valid, struct masks *m,
							    bool lbr)
{
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), lb = _mm_set1_epi8('['),
		      co = _mm_set1_epi8(':'), zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	uint64_t b = 0, l = 0, c = 0, d = 0;
	for (unsigned i = 0; i < WIN / 16; i++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(w + 16 * i));
		__m128i dd = _mm_sub_epi8(x, zero);
		b |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, tab)))
		     << 16 * i;
		if (lbr)
			l |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, lb)) << 16 * i;
		c |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, co)) << 16 * i;
		d |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(dd, nine), dd)) << 16 * i;
	}
	m->blank = b & valid;
	m->lbr = l & valid;
	m->colon = c & valid;
	m->digit = d & valid;
}

/* len (1-8) decimal digits at p (eight bytes readable): decrun8() without
 * the search for the digits' end. */
static inline uint64_t dec_len(const char *p, unsigned len)
{
	uint64_t y = (load8(p) - 0x30 * ONES) << 8 * (8 - len);	/* no borrow out of a digit */
	y = y * 10 + (y >> 8);
	return (((y & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
		(((y >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >> 32;
}

/* len (1-19) decimal digits at p (readable eight bytes past them). */
static inline uint64_t dec_known(const char *p, unsigned len)
{
	if (len <= 8)	/* nearly every number: one word */
		return dec_len(p, len);
	uint64_t v = 0;
	for (; len > 8; len -= 8, p += 8)
		v = v * 100000000u + dec_len(p, 8);
	return v * pow10[len] + dec_len(p, len);
}

/* pid_before() from the masks: the digits before the blanks before b. */
static inline int32_t fast_pid(const char *w, const struct masks *m, unsigned start, unsigned b)
{
	uint64_t below = (1ull << b) - (1ull << start);
	uint64_t nb = ~m->blank & below;
	if (!nb)
		return -1;
	unsigned end = 64 - (unsigned)__builtin_clzll(nb);
	uint64_t nd = ~m->digit & below & ((1ull << end) - 1);
	unsigned q = nd ? 64 - (unsigned)__builtin_clzll(nd) : start;
	if (q == end || end - q > 9 || (q > start && w[q - 1] != '-' && w[q - 1] != ' ' && w[q - 1] != '/' && w[q - 1] != '\t'))
		return -1;
	return (int32_t)dec_known(w + q, end - q);
}

/* The part of the head before the timestamp's fraction ("comm-pid [cpu]
 * flags secs.") is the same on every line of a thread for a second:
 * remembered for HEADS prefixes (by their first sixteen bytes), a line that
 * starts with one is read from its fraction on.  (A counter clock's
 * timestamp has no fraction: its prefix stops before the timestamp.)  One
 * table for the process, as rcache's. */
#define HEADS 64
#define HEAD_MAX 48	/* longest prefix remembered */
static struct head_slot {
	__m128i b[3];	/* the prefix, zeros after it */
	uint32_t k;	/* its length (0: an empty slot) */
	uint32_t q;	/* where the timestamp starts (k > q: the prefix ends in "secs.") */
	int32_t cpu, pid;
	uint64_t secs_ns;	/* those seconds, in ns */
} heads[HEADS];

static inline struct head_slot *head_slot(const char *w)
{
	uint64_t a = load8(w), b = load8(w + 8);
	return &heads[((a ^ b * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull) >> 58];
}

/* The first bytes (up to HEAD_MAX, zeros after them) of w. */
static const unsigned char upto[2 * HEAD_MAX] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static inline __m128i prefix16(const char *w, unsigned k, unsigned i)
{
	return _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(w + 16 * i)),
			     _mm_loadu_si128((const __m128i *)(const void *)(upto + HEAD_MAX - k + 16 * i)));
}

/* w (HEAD_MAX bytes readable) starts with the slot's prefix. */
static inline bool head_hit(const struct head_slot *h, const char *w)
{
	unsigned k = h->k;
	__m128i eq = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(prefix16(w, k, 0), h->b[0]),
						 _mm_cmpeq_epi8(prefix16(w, k, 1), h->b[1])),
				   _mm_cmpeq_epi8(prefix16(w, k, 2), h->b[2]));
	return k && _mm_movemask_epi8(eq) == 0xffff;
}

/* cpu_field(), pid_before() and the flags from the masks: the offset of
 * the timestamp, or GIVE_UP. */
static inline int head_prefix(const char *w, unsigned lim, const struct masks *m, struct trace_event *ev)
{
	unsigned p = low_bit(~m->blank);	/* skip_blanks */
	if (p >= lim || w[p] == '#' || !m->lbr)
		return GIVE_UP;
	/* the first '[' must be the CPU's (else the general parser looks on) */
	unsigned b = low_bit(m->lbr), nd = b + 1 < WIN ? low_bit(~(m->digit >> (b + 1))) : 0, d = b + 1 + nd;
	if (!nd || nd > 6 || d + 1 >= lim || w[d] != ']' || !(m->blank >> (d + 1) & 1))
		return GIVE_UP;
	ev->cpu = (int32_t)dec_len(w + b + 1, nd);
	ev->pid = fast_pid(w, m, p, b);
	unsigned q = d + 1 + low_bit(~(m->blank >> (d + 1)));
	if (q < lim && !(m->digit >> q & 1)) {	/* the flags */
		q += low_bit(m->blank >> q);
		q = q < lim ? q + low_bit(~(m->blank >> q)) : q;
	}
	return q < lim ? (int)q : GIVE_UP;
}

/* event_name()'s rule for the word at bits [q, we) of a window at base,
 * its colons at the bits of col: it ends in ':', the name is after any other
 * ':' in it.  The name's and the arguments' offsets, or GIVE_UP. */
static inline int word_name(uint64_t col, unsigned q, unsigned we, unsigned base, unsigned *name,
			    unsigned *name_len, unsigned *args)
{
	col &= (we < 64 ? (1ull << we) : 0) - (1ull << q);
	if (!(col >> (we - 1) & 1))
		return GIVE_UP;
	col &= ~(1ull << (we - 1));
	unsigned start = col ? 64 - (unsigned)__builtin_clzll(col) : q;
	if (start >= we - 1)
		return GIVE_UP;
	*name = base + start;
	*name_len = we - 1 - start;
	*args = base + we;
	return 0;
}

/* The bits of the sixteen bytes at p that lie before e. */
static inline unsigned before(const char *p, const char *e)
{
	return e - p >= 16 ? 0xffff : e > p ? (1u << (e - p)) - 1 : 0;
}

static inline unsigned movemask_eq(__m128i x, char c) { return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c))); }

static inline unsigned blanks16(__m128i x) { return movemask_eq(x, ' ') | movemask_eq(x, '\t'); }

/* The event name after the timestamp's colon at t, as event_name() reads
 * it: kvm_exit and kvm_entry by a compare, any other in the 32 bytes after
 * the colon (fewer at the line's end); GIVE_UP if it does not fit. */
static inline __attribute__((always_inline)) int name_after(const char *w, size_t n, unsigned t, unsigned *name,
							     unsigned *name_len, unsigned *args)
{
	const char *p = w + t + 1, *e = w + n;
	uint64_t x = load8(p);
	unsigned len = x == load8(" kvm_exi") && p[8] == 't' ? 8 : x == load8(" kvm_ent") && !memcmp(p + 8, "ry", 2) ? 9 : 0;
	if (len && p + len + 1 < e && p[len + 1] == ':' && (p + len + 2 == e || p[len + 2] == ' ' || p[len + 2] == '\t')) {
		*name = t + 2;
		*name_len = len;
		*args = t + 3 + len + (p + len + 2 < e);	/* past the blank */
		return 0;
	}
	unsigned left = (unsigned)(e - p) < 32 ? (unsigned)(e - p) : 32;
	uint64_t valid = (1ull << left) - 1;
	__m128i y0 = _mm_loadu_si128((const __m128i *)(const void *)p),
		y1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	uint64_t bl = (blanks16(y0) | (uint64_t)blanks16(y1) << 16) & valid,
		 col = (movemask_eq(y0, ':') | (uint64_t)movemask_eq(y1, ':') << 16) & valid;
	unsigned q = (unsigned)__builtin_ctzll(~bl), we;
	if (q >= left)
		return GIVE_UP;
	if (bl >> q)
		we = q + (unsigned)__builtin_ctzll(bl >> q);
	else if (left < 32 || p + 32 == e)
		we = left;	/* the word ends the line */
	else
		return GIVE_UP;
	return word_name(col, q, we, t + 1, name, name_len, args);
}

/* After a remembered prefix ending in "secs." (w[0..k), n > k): the fraction
 * in the sixteen bytes at k, then the name; GIVE_UP if they do not fit. */
static inline __attribute__((always_inline)) int frac_rest(const char *w, size_t n, const struct head_slot *h,
							    struct trace_event *ev, unsigned *name, unsigned *name_len,
							    unsigned *args)
{
	unsigned k = h->k;
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(w + k)), dd = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(dd, _mm_set1_epi8(9)), dd)) &
		       before(w + k, w + n);
	unsigned r = (unsigned)__builtin_ctz(~dig), t = k + r;
	if (!r || r > 9 || t >= n || w[t] != ':')
		return GIVE_UP;
	ev->ts_raw = false;
	ev->ts_ns = h->secs_ns + dec_known(w + k, r) * pow10[9 - r];
	return name_after(w, n, t, name, name_len, args);
}

/* After a remembered prefix (w[0..k) and n >= k + 48): the timestamp in the
 * sixteen bytes at k, the event name in the 32 after it, as fast_head()
 * reads them from its masks; GIVE_UP if they do not fit. */
static inline int head_rest(const char *w, size_t n, unsigned k, struct trace_event *ev, unsigned *name,
			    unsigned *name_len, unsigned *args)
{
	const char *e = w + n;
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(w + k)), dd = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(dd, _mm_set1_epi8(9)), dd)) &
		       before(w + k, e);
	unsigned r = (unsigned)__builtin_ctz(~dig), t = k + r;
	if (!r || r > 14 || t >= n)
		return GIVE_UP;
	uint64_t ts = dec_known(w + k, r);
	ev->ts_raw = w[t] != '.';
	if (!ev->ts_raw) {
		unsigned r2 = (unsigned)__builtin_ctz(~(dig >> (r + 1)));
		if (!r2 || r2 > 9 || r + 1 + r2 >= 16 || ts > UINT64_MAX / 1000000000u)
			return GIVE_UP;
		ts = ts * 1000000000u + dec_known(w + t + 1, r2) * pow10[9 - r2];
		t += 1 + r2;
		if (t >= n)
			return GIVE_UP;
	}
	if (w[t] != ':')
		return GIVE_UP;
	ev->ts_ns = ts;
	return name_after(w, n, t, name, name_len, args);
}

/* The head of the line w[0..n) (n trimmed; TRACE_PAD bytes more readable): ev's
 * cpu, pid and timestamp, the name's offset and length, the offset of the
 * arguments; GIVE_UP unless parse_line() would read the head the same way. */
static inline __attribute__((always_inline)) int fast_head(const char *w, size_t n, struct trace_event *ev,
							    unsigned *name, unsigned *name_len, unsigned *args)
{
	unsigned lim = n < WIN ? (unsigned)n : WIN;
	uint64_t valid = n < WIN ? (1ull << n) - 1 : ~0ull;
	struct masks m;
	struct head_slot *h = head_slot(w);
	unsigned q;
	if (head_hit(h, w) && h->k < n) {
		/* the same bytes before the fraction (or timestamp): the same cpu,
		 * pid, flags (and seconds) */
		ev->cpu = h->cpu;
		ev->pid = h->pid;
		if ((h->k > h->q ? frac_rest(w, n, h, ev, name, name_len, args)
			    : head_rest(w, n, h->k, ev, name, name_len, args)) == 0)
			return 0;
		masks_of(w, valid, &m, false);
		q = h->q;
	} else {
		masks_of(w, valid, &m, true);
		int k = head_prefix(w, lim, &m, ev);
		if (k < 0)
			return GIVE_UP;
		q = (unsigned)k;
	}
	/* timestamp(): 1-19 digits, then '.' and 1-9 digits, then ':' */
	unsigned r = low_bit(~(m.digit >> q)), t = q + r, f = 0;
	if (!r || r > 19 || t >= lim)
		return GIVE_UP;
	uint64_t ts = dec_known(w + q, r), secs_ns = 0;
	ev->ts_raw = w[t] != '.';
	if (!ev->ts_raw) {
		f = t + 1;
		r = f < lim ? low_bit(~(m.digit >> f)) : 0;
		t = f + r;
		if (!r || r > 9 || t >= lim || ts > UINT64_MAX / 1000000000u)
			return GIVE_UP;
		secs_ns = ts * 1000000000u;
		ts = secs_ns + dec_known(w + f, r) * pow10[9 - r];
	}
	if (w[t] != ':' || t + 1 >= lim)
		return GIVE_UP;
	ev->ts_ns = ts;
	/* remember the prefix up to the fraction, or to the timestamp */
	unsigned k = f ? f : q;
	if (k >= 16 && k <= HEAD_MAX) {
		for (unsigned i = 0; i < 3; i++)
			h->b[i] = prefix16(w, k, i);
		h->k = k;
		h->q = q;
		h->secs_ns = secs_ns;
		h->cpu = ev->cpu;
		h->pid = ev->pid;
	}
	/* event_name(): the first word, ending in ':', the name after any ':' in it */
	q = t + 1 + low_bit(~(m.blank >> (t + 1)));
	if (q >= lim)
		return GIVE_UP;
	unsigned we = q + low_bit(m.blank >> q);
	if (we >= lim) {
		if (lim < n)
			return GIVE_UP;
		we = lim;
	}
	return word_name(m.colon, q, we, 0, name, name_len, args);
}

/* The hex digits of x: bit i of the result says byte i is one (0-9, a-f,
 * A-F), *nib holds their values (the other bytes' are garbage). */
static inline unsigned hex_lanes(__m128i x, __m128i *nib)
{
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	__m128i isd = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
	__m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
	__m128i isa = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);
	*nib = _mm_or_si128(_mm_and_si128(isd, d), _mm_andnot_si128(isd, _mm_add_epi8(l, _mm_set1_epi8(10))));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(isd, isa));
}

/* Sixteen nibbles (one per byte, the first most significant) -> a number. */
static inline uint64_t nibbles(__m128i nib)
{
	__m128i pairs = _mm_or_si128(_mm_and_si128(_mm_slli_epi16(nib, 4), _mm_set1_epi16(0xf0)), _mm_srli_epi16(nib, 8));
	return __builtin_bswap64((uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(pairs, pairs)));
}

/* Sixteen hex digits in x -> *v, the first most significant. */
static inline bool hex16v(__m128i x, uint64_t *v)
{
	if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('0'))) == 0xffff) {	/* most info2, intr_info, ... */
		*v = 0;
		return true;
	}
	__m128i nib;
	if (hex_lanes(x, &nib) != 0xffff)
		return false;
	*v = nibbles(nib);
	return true;
}

static inline bool hex16_at(const char *s, uint64_t *v)
{
	return hex16v(_mm_loadu_si128((const __m128i *)(const void *)s), v);
}

/* Two eight-digit fields: a << 32 | b. */
static inline bool hex8x2_at(const char *a, const char *b, uint64_t *v)
{
	return hex16v(_mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)a),
					 _mm_loadl_epi64((const __m128i *)(const void *)b)), v);
}

/* The len (1-16) hex digits ending at end (sixteen bytes before it readable). */
static inline bool hexn_before(const char *end, unsigned len, uint64_t *v)
{
	static const unsigned char keep[32] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	__m128i k = _mm_loadu_si128((const __m128i *)(const void *)(keep + len));
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
	return hex16v(_mm_or_si128(_mm_and_si128(k, x), _mm_andnot_si128(k, _mm_set1_epi8('0'))), v);
}

/* The eight bytes at p differ from the literal s (its first eight). */
#define DIFF8(p, s) (load8(p) ^ load8(s))

/* "vcpu N" (1-5 digits, below TRACE_MAX_VCPU) then the eight bytes sep at
 * p (p[0..21) readable): the position after sep, or NULL. */
static inline const char *fast_vcpu(const char *p, const char *sep, int32_t *vcpu)
{
	uint64_t v;
	unsigned nd;
	if ((unsigned)(p[5] - '0') < 10 && (unsigned)(p[6] - '0') >= 10)	/* one digit, as most are */
		nd = 1, v = (unsigned)(p[5] - '0');
	else
		nd = decrun8(load8(p + 5), &v);
	if ((DIFF8(p, "vcpu    ") & 0xffffffffffull) || !nd || nd > 5 || DIFF8(p + 5 + nd, sep))
		return NULL;
	if (v >= TRACE_MAX_VCPU)
		return NULL;
	*vcpu = (int32_t)v;
	return p + 5 + nd + 8;
}

/* Reason names met, by their first bytes and length: a kvm_exit's name
 * costs two vector compares, not a hash and a memcmp (trace_x86_reason_lookup
 * fills it).  One table for the process, as names.c's. */
#define RCACHE 256
static struct {
	__m128i lo, hi;		/* the name, zeros after it */
	uint32_t reason, len;
	bool svm;
} rcache[RCACHE];

/* The x86 reason named p[0..n) (n <= 32, p[0..32) readable): 0, or -1. */
static inline int fast_reason(const char *p, unsigned n, struct trace_x86_exit *x)
{
	static const unsigned char first[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	if (n > 32)
		return -1;
	__m128i lo = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)p),
				   _mm_loadu_si128((const __m128i *)(const void *)(first + 32 - n)));
	__m128i hi = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)),
				   _mm_loadu_si128((const __m128i *)(const void *)(first + 48 - n)));
	unsigned h = (unsigned)(((uint64_t)_mm_cvtsi128_si64(lo) * 0x9e3779b97f4a7c15ull) >> 56 ^ n) & (RCACHE - 1);
	if (rcache[h].len == n &&
	    _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(lo, rcache[h].lo), _mm_cmpeq_epi8(hi, rcache[h].hi))) == 0xffff) {
		x->reason = rcache[h].reason;
		x->svm = rcache[h].svm;
		return 0;
	}
	if (trace_x86_reason_lookup(p, n, &x->reason, &x->svm) < 0)
		return -1;
	rcache[h].lo = lo;
	rcache[h].hi = hi;
	rcache[h].len = n;
	rcache[h].reason = x->reason;
	rcache[h].svm = x->svm;
	return 0;
}

/* The kernel's x86 kvm_exit, a[0..e): "[vcpu N ]reason NAME rip 0x.. info1
 * 0x%016llx info2 0x%016llx intr_info 0x%08x error_code 0x%08x[ requests
 * 0x%016llx]", as x86_exit_kernel() reads it. */
static int fast_exit(const char *a, const char *e, struct trace_event *ev)
{
	struct trace_x86_exit *x = &ev->u.x86;
	if (e - a < 109)	/* "reason ", a name, " rip 0x", a digit and the shorter tail */
		return GIVE_UP;
	const char *p = a;
	if (*p == 'v') {
		if (!(p = fast_vcpu(p, " reason ", &ev->vcpu)))
			return GIVE_UP;
		x->have = TX_VCPU;
	} else if (DIFF8(p, "reason  ") << 8) {
		return GIVE_UP;
	} else {
		p += 7;
	}
	bool req = !(DIFF8(e - 28, " request") | DIFF8(e - 24, "uests 0x"));
	long need = req ? 121 : 93;
	if (e - p < need + 16)	/* the name (16 bytes read) and " rip 0x" */
		return GIVE_UP;
	const char *tail = e - need;
	unsigned spaces = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), _mm_set1_epi8(' ')));
	unsigned nlen = spaces ? (unsigned)__builtin_ctz(spaces) : 16;
	if (nlen == 16 && p + 32 <= tail) {
		spaces = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), _mm_set1_epi8(' ')));
		nlen = spaces ? 16 + (unsigned)__builtin_ctz(spaces) : 32;
	}
	const char *rip = p + nlen + 7;
	if (!nlen || rip >= tail || tail - rip > 16 || ((DIFF8(p + nlen, " rip 0x ")) << 8) ||
	    fast_reason(p, nlen, x) < 0)
		return GIVE_UP;
	uint64_t acc = DIFF8(tail, " info1 0") | DIFF8(tail + 1, "info1 0x") | DIFF8(tail + 25, " info2 0") |
		       DIFF8(tail + 26, "info2 0x") | DIFF8(tail + 50, " intr_in") | DIFF8(tail + 55, "_info 0x") |
		       DIFF8(tail + 71, " error_c") | DIFF8(tail + 77, "_code 0x");
	uint64_t ie;
	if (acc || !hexn_before(tail, (unsigned)(tail - rip), &x->rip) || !hex16_at(tail + 9, &x->info1) ||
	    !hex16_at(tail + 34, &x->info2) || !hex8x2_at(tail + 63, tail + 85, &ie) ||
	    (req && !hex16_at(tail + 105, &x->requests)))
		return GIVE_UP;
	x->intr_info = (uint32_t)(ie >> 32);
	x->error_code = (uint32_t)ie;
	x->have |= TX_RIP | TX_INFO | TX_INTR_INFO | TX_ERROR_CODE | (req ? TX_REQUESTS : 0);
	ev->kind = TEV_EXIT;
	ev->arch = TRACE_ARCH_X86;
	return 1;
}

/* The x86 kvm_entry of 5.x and later kernels, a[0..e): "vcpu N, rip 0x..
 * intr_info 0x%08x error_code 0x%08x[[immediate exit]]", as entry_args()
 * reads it. */
static int fast_entry(const char *a, const char *e, struct trace_event *ev)
{
	if (e - a < 58)	/* "vcpu N, rip 0x", a digit and the tail */
		return GIVE_UP;
	bool imm = !(DIFF8(e - 16, "[immedia") | DIFF8(e - 8, "te exit]"));
	if (imm && e - a < 74)
		return GIVE_UP;
	const char *tail = e - 43 - (imm ? 16 : 0);
	int32_t vcpu;
	const char *rip = fast_vcpu(a, ", rip 0x", &vcpu);
	if (!rip || rip >= tail || tail - rip > 16 ||
	    (DIFF8(tail, " intr_in") | DIFF8(tail + 5, "_info 0x") | DIFF8(tail + 21, " error_c") |
	     DIFF8(tail + 27, "_code 0x")))
		return GIVE_UP;
	uint64_t ie;
	if (!hexn_before(tail, (unsigned)(tail - rip), &ev->u.entry.pc) || !hex8x2_at(tail + 13, tail + 35, &ie))
		return GIVE_UP;
	ev->u.entry.intr_info = (uint32_t)(ie >> 32);
	ev->u.entry.error_code = (uint32_t)ie;
	ev->u.entry.immediate_exit = imm;
	ev->vcpu = vcpu;
	ev->kind = TEV_ENTRY;
	ev->arch = TRACE_ARCH_X86;
	return 1;
}

/* ---- companions: kvm_msr, kvm_pio, kvm_mmio (a third of the other lines) ---- */

/* hexnum() at p, bounded by e (sixteen bytes at p readable): the end of the
 * number and *v, or NULL where hexnum() fails.  The helpers here take NULL
 * (a failed step before) and give NULL, so that a chain needs one test. */
static inline const char *fast_hexnum(const char *p, const char *e, uint64_t *v)
{
	if (!p)
		return NULL;
	if (e - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x' && hexval[(unsigned char)p[2]])
		p += 2;
	__m128i nib;
	unsigned n = (unsigned)__builtin_ctz(~(hex_lanes(_mm_loadu_si128((const __m128i *)(const void *)p), &nib) &
					       before(p, e)));
	if (!n || (n == 16 && p + 16 < e && hexval[(unsigned char)p[16]]))	/* none, or over 16 */
		return NULL;
	/* the n digits, then zeros: the value times 16^(16 - n) */
	nib = _mm_and_si128(nib, _mm_loadu_si128((const __m128i *)(const void *)(upto + HEAD_MAX - n)));
	*v = nibbles(nib) >> 4 * (16 - n);
	return p + n;
}

static inline const char *fast_hex32(const char *p, const char *e, uint32_t *v)
{
	uint64_t x;
	if (!(p = fast_hexnum(p, e, &x)) || x > UINT32_MAX)
		return NULL;
	*v = (uint32_t)x;
	return p;
}

/* udec32() at p of 1-9 digits (sixteen bytes at p readable), else NULL
 * (the general parser decides). */
static inline const char *fast_udec(const char *p, const char *e, uint32_t *v)
{
	if (!p)
		return NULL;
	__m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), _mm_set1_epi8('0'));
	unsigned dig = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
	unsigned n = (unsigned)__builtin_ctz(~(dig & before(p, e)));
	if (!n || n > 9)
		return NULL;
	*v = (uint32_t)dec_known(p, n);
	return p + n;
}

/* The literal s (at most 16 bytes) at p, bounded by e: the position after it, or NULL. */
static inline __attribute__((always_inline)) const char *fast_lit(const char *p, const char *e, const char *s)
{
	size_t n = strlen(s);
	if (!p || (size_t)(e - p) < n || memcmp(p, s, n))
		return NULL;
	return p + n;
}

/* msr_args(): "msr_write 830 = 0x..[ (#GP)]" */
static int fast_msr(const char *p, const char *e, struct trace_event *ev)
{
	const char *q = fast_lit(p, e, "msr_write ");
	ev->u.msr.write = q != NULL;
	if (!q)
		q = fast_lit(p, e, "msr_read ");
	if (!q || !(q = fast_lit(fast_hex32(q, e, &ev->u.msr.index), e, " = ")) || !(q = fast_hexnum(q, e, &ev->u.msr.value)))
		return GIVE_UP;
	ev->u.msr.gp = fast_lit(q, e, " (#GP)") != NULL;
	return 1;
}

/* pio_args(): "pio_write at 0x3f8 size 1 count 1 val 0x41" */
static int fast_pio(const char *p, const char *e, struct trace_event *ev)
{
	const char *q = fast_lit(p, e, "pio_write at ");
	ev->u.pio.write = q != NULL;
	if (!q)
		q = fast_lit(p, e, "pio_read at ");
	if (!q || !(q = fast_lit(fast_hex32(q, e, &ev->u.pio.port), e, " size ")) ||
	    !(q = fast_lit(fast_udec(q, e, &ev->u.pio.size), e, " count ")) || !(q = fast_udec(q, e, &ev->u.pio.count)))
		return GIVE_UP;
	if ((q = fast_lit(q, e, " val ")) && !fast_hex32(q, e, &ev->u.pio.value))
		return GIVE_UP;
	return 1;
}

/* mmio_args(): "mmio write len 4 gpa 0x.. val 0x.." */
static int fast_mmio(const char *p, const char *e, struct trace_event *ev)
{
	const char *q;
	if ((q = fast_lit(p, e, "mmio write ")))
		ev->u.mmio.type = 2;
	else if ((q = fast_lit(p, e, "mmio read ")))
		ev->u.mmio.type = 1;
	else if (!(q = fast_lit(p, e, "mmio unsatisfied-read ")))
		return GIVE_UP;
	if (!(q = fast_lit(fast_udec(fast_lit(q, e, "len "), e, &ev->u.mmio.len), e, " gpa ")) ||
	    !(q = fast_lit(fast_hexnum(q, e, &ev->u.mmio.gpa), e, " val ")) || !fast_hexnum(q, e, &ev->u.mmio.value))
		return GIVE_UP;
	return 1;
}

/* The companion fast paths by name: kind, architecture, reader. */
static int fast_companion(const char *name, unsigned nlen, const char *a, const char *e, struct trace_event *ev)
{
	int (*fn)(const char *, const char *, struct trace_event *);
	uint64_t w = load8(name) & 0xffffffffffffffull;
	if (nlen == 7 && w == (load8("kvm_msr:") & 0xffffffffffffffull))
		ev->kind = TEV_MSR, fn = fast_msr;
	else if (nlen == 7 && w == (load8("kvm_pio:") & 0xffffffffffffffull))
		ev->kind = TEV_PIO, fn = fast_pio;
	else if (nlen == 8 && load8(name) == load8("kvm_mmio"))
		ev->kind = TEV_MMIO, fn = fast_mmio;
	else
		return GIVE_UP;
	ev->arch = TRACE_ARCH_X86;
	if (fn(a, e, ev) == 1)
		return 1;
	memset(&ev->u, 0, sizeof ev->u);
	return GIVE_UP;
}

/* 1 with the event, -1 malformed (in its arguments: *why), GIVE_UP.  w
 * holds the line's n bytes (trimmed) and TRACE_PAD more that are read,
 * never trusted; s is the caller's copy, which the name points into. */
static inline __attribute__((always_inline)) int fast_line(const char *s, const char *w, size_t n,
							    struct trace_event *ev, const char **why)
{
	unsigned name, nlen, args;
	event_init(ev);
	if (fast_head(w, n, ev, &name, &nlen, &args) < 0)
		return GIVE_UP;
	ev->name = s + name;
	ev->name_len = nlen;
	const char *a = w + args, *e = w + n;
	while (a < e && (*a == ' ' || *a == '\t'))
		a++;
	if (nlen == 8 && load8(w + name) == load8("kvm_exit")) {
		if (fast_exit(a, e, ev) == 1)
			return 1;
		event_init(ev);	/* read again by the general parser */
		return GIVE_UP;
	}
	if (nlen == 9 && load8(w + name) == load8("kvm_entr") && w[name + 8] == 'y') {
		if (fast_entry(a, e, ev) == 1)
			return 1;
		event_init(ev);
		return GIVE_UP;
	}
	if (fast_companion(w + name, nlen, a, e, ev) == 1)
		return 1;
	a = s + (a - w);
	if (trace_parse_args(ev->name, nlen, a, (size_t)(s + n - a), ev, why) < 0)
		return -1;
	if (ev->vcpu >= TRACE_MAX_VCPU) {
		*why = "vcpu id out of range";
		return -1;
	}
	return 1;
}

int trace_parse_line_padded(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why)
{
	int rc = fast_line(s, s, trimmed(s, n), ev, why);
	return rc != GIVE_UP ? rc : parse_line(s, n, ev, lost, why);
}

/* Lines up to this long are copied for the fast path (longer ones take the
 * general parser). */
#define COPY_MAX 512

int trace_parse_line(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why)
{
	size_t t = trimmed(s, n);
	int rc = GIVE_UP;
	if (t <= COPY_MAX) {
		/* the padding: digits, hex letters, separators, which the fast
		 * path must not take for the line's (the fuzz target would see it) */
		static const char junk[] = "0x9aF: [1] 7.5 ";
		char w[COPY_MAX + TRACE_PAD];
		memcpy(w, s, t);
		for (size_t i = 0; i < TRACE_PAD; i += 16)
			memcpy(w + t + i, junk, 16);
		rc = fast_line(s, w, t, ev, why);
	}
	return rc != GIVE_UP ? rc : parse_line(s, n, ev, lost, why);
}
#else
int trace_parse_line_padded(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why)
{
	return parse_line(s, n, ev, lost, why);
}

int trace_parse_line(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why)
{
	return parse_line(s, n, ev, lost, why);
}
#endif

int trace_parse_line_slow(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why)
{
	return parse_line(s, n, ev, lost, why);
}
