/* Readers of KVM exit traces: the front end under replay (issue 9).
 *
 * Every input — ftrace text (/sys/kernel/tracing/trace, trace_pipe,
 * `trace-cmd report [-N]`), `perf script` output and binary trace.dat (through
 * libtracecmd) — becomes one stream of normalized, architecture-tagged
 * records (struct trace_event), read one at a time in bounded memory.
 *
 * traces/ is a front end: it may include model headers, models never include
 * it.  Its reason and EC name tables (traces/names.c) are KVM's, keyed by
 * number; they should be merged with cpu/vmx's and cpu/el2's later.
 *
 * Never silent: a line that cannot be read is counted as malformed (its
 * number and why kept for the first TRACE_KEEP_MALFORMED); an exit reason or
 * EC that no table names is kept, marked unknown and counted; a strict reader
 * stops at the first malformed line with an error naming file:line. */
#ifndef HVSIM_TRACES_TRACE_H
#define HVSIM_TRACES_TRACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum trace_format {
	TRACE_FMT_AUTO,		/* detect from the content (trace_sniff) */
	TRACE_FMT_FTRACE,	/* ftrace text: trace, trace_pipe, trace-cmd report */
	TRACE_FMT_PERF,		/* perf script output of kvm:* tracepoints */
	TRACE_FMT_TRACEDAT,	/* binary trace.dat, read through libtracecmd */
	TRACE_FMT_UNKNOWN,	/* sniffing found nothing it knows */
};

enum trace_arch { TRACE_ARCH_NONE, TRACE_ARCH_X86, TRACE_ARCH_ARM64 };

/* The events a replay uses; every other event is TEV_OTHER (counted by name,
 * never malformed). */
enum trace_kind {
	TEV_OTHER,
	TEV_EXIT,		/* kvm_exit */
	TEV_ENTRY,		/* kvm_entry */
	/* x86 */
	TEV_MSR, TEV_PIO, TEV_MMIO, TEV_APIC, TEV_APIC_IPI, TEV_APIC_ACCEPT_IRQ, TEV_INJ_VIRQ, TEV_EOI,
	TEV_PI_IRTE_UPDATE, TEV_PAGE_FAULT, TEV_VCPU_WAKEUP, TEV_USERSPACE_EXIT, TEV_HYPERCALL, TEV_CPUID,
	/* arm64 */
	TEV_GUEST_FAULT, TEV_MMIO_EMULATE, TEV_IRQ_LINE, TEV_VGIC_UPDATE_IRQ_PENDING, TEV_TIMER_UPDATE_IRQ,
	TEV_WFX_ARM64, TEV_SYS_ACCESS, TEV_HVC_ARM64,
	/* trace_marker writes; hvsim's export notes there what no KVM event says */
	TEV_MARK,
	/* irq:irq_handler_entry: which host handler a physical interrupt ran */
	TEV_IRQ_HANDLER,
	/* kvmmmu:fast_page_fault (x86): KVM's lockless fix of a fault */
	TEV_FAST_PAGE_FAULT,
	/* kvm:kvm_dirty_ring_push: a page pushed to a vCPU's dirty ring */
	TEV_DIRTY_RING_PUSH,
	TEV_NKINDS,
};

/* Which fields of an x86 kvm_exit the line carried (the three text forms
 * differ: the plugin and old forms have no vcpu, intr_info or error_code). */
enum {
	TX_VCPU = 1 << 0, TX_RIP = 1 << 1, TX_INFO = 1 << 2, TX_INTR_INFO = 1 << 3, TX_ERROR_CODE = 1 << 4,
	TX_REQUESTS = 1 << 5,
};

/* kvm_arm_exception_type (arch/arm64/include/asm/kvm_asm.h). */
enum { TRACE_ARM_IRQ = 0, TRACE_ARM_SERROR = 1, TRACE_ARM_TRAP = 2, TRACE_ARM_IL = 3, TRACE_ARM_HYP_GONE = 0xbadca11 };

struct trace_x86_exit {
	uint32_t reason;	/* VMX: basic reason (bits 15:0); SVM: exit code */
	bool svm;		/* reason is an SVM exit code (its own table) */
	bool failed_vmentry;	/* VMX exit reason bit 31 */
	bool unknown;		/* no table names reason */
	uint8_t have;		/* TX_* */
	uint64_t rip, info1, info2, requests;
	uint32_t intr_info, error_code;
};

struct trace_arm_exit {
	uint32_t type;		/* TRACE_ARM_* */
	uint32_t ec;		/* ESR_EL2.EC (0 unless a TRAP) */
	bool unknown;		/* no table names ec (or type) */
	bool have_esr;		/* esr holds the whole ESR_EL2 (never in kvm_exit itself) */
	uint64_t esr, pc;
};

/* One record.  Fields a form does not print stay 0. */
struct trace_event {
	uint64_t ts_ns;		/* trace timestamp in ns, or a bare counter (ts_raw) */
	bool ts_raw;		/* the line's timestamp had no fraction: a counter clock (x86-tsc, counter) */
	uint64_t line;		/* input line (text) or record number (trace.dat), from 1 */
	int32_t cpu;		/* host CPU, -1 if not given */
	int32_t vcpu;		/* vCPU id: from the event, else from the thread's last kvm_exit/kvm_entry; -1 unknown */
	int32_t pid;		/* host thread, -1 if not given */
	uint8_t arch;		/* enum trace_arch */
	uint8_t kind;		/* enum trace_kind */
	const char *name;	/* the event name (not NUL-terminated), valid until the next trace_next() */
	uint32_t name_len;
	union {
		struct trace_x86_exit x86;	/* TEV_EXIT, arch x86 */
		struct trace_arm_exit arm;	/* TEV_EXIT, arch arm64 */
		struct { uint64_t pc; uint32_t intr_info, error_code; bool immediate_exit; } entry;
		struct { uint32_t index; uint64_t value; bool write, gp; } msr;
		struct { uint32_t port, size, count, value; bool write; } pio;
		struct { uint64_t gpa, value; uint32_t len; uint8_t type; } mmio;	/* type 0 unsatisfied read, 1 read, 2 write */
		struct { uint32_t reg; uint64_t value; bool write, reg_unknown; } apic;
		struct { uint32_t dest, vector, dm, shorthand; bool logical, assert, level; } ipi;	/* dm: ICR[10:8] */
		struct { uint32_t apicid, vector, dm; bool level; } accept;
		struct { uint32_t vector; bool soft, reinjected; } virq;
		struct { uint32_t apicid; int32_t vector; } eoi;
		struct { uint32_t host_irq, gsi, gvec; int32_t vcpu; bool set; } irte;
		struct { uint64_t rip, address, error_code; } pf;
		struct { uint64_t ns; bool waited, valid; } wakeup;
		struct { uint32_t reason; int32_t err; } uexit;	/* err: -errno of KVM_RUN, else 0 */
		struct { uint64_t nr, a[4]; } hcall;
		struct { uint32_t function, index; uint64_t rax, rbx, rcx, rdx; bool found; } cpuid;
		struct { uint64_t ipa, esr, far, pc; } gfault;
		struct { uint64_t pc, instr, cpsr; } mmio_emul;
		struct { uint32_t type; int32_t vcpu_idx, irq, level; } irq_line;
		struct { uint32_t irq; int32_t level; } irq_pending;	/* vgic_update_irq_pending, kvm_timer_update_irq */
		struct { uint64_t pc; bool wfe; } wfx;
		struct { uint64_t pc; uint8_t op0, op1, crn, crm, op2; bool write; } sys;
		struct { uint64_t pc, r0, imm; } hvc;
		/* "hvsim: vgic lrs N[ device M]": list registers in use at the exit, M of
		 * them holding a passed-through device's LPIs */
		struct { uint32_t lrs, device_lrs; bool has_lrs; } mark;
		struct { uint32_t irq; bool vfio; } irqh;	/* vfio: a VFIO MSI handler ("vfio-msi[x]...") */
		/* error_code: the #PF-style flags KVM made of the fault (P 1, W 2, U 4, RSVD 8, F 16) */
		struct { uint64_t gpa, old_spte, new_spte; uint32_t error_code; bool spurious, fixed; } fpf;
		struct { uint32_t index, dirty, reset, slot; uint64_t offset; } ring;
	} u;
};

/* Malformed lines: how many, and the first few with why. */
#define TRACE_KEEP_MALFORMED 8
/* Lines longer than this are malformed (and skipped whole): no real event
 * line comes close; the bound keeps memory flat on any input. */
#define TRACE_MAX_LINE 65536
/* vCPU ids at or above this are malformed (KVM_MAX_VCPU_IDS is 4096 * 4 on x86). */
#define TRACE_MAX_VCPU 16384

struct trace_malformed {
	uint64_t line;
	char why[96];
};

struct trace_counts {
	uint64_t lines;		/* input lines (text) or records (trace.dat) */
	uint64_t events;	/* records returned */
	uint64_t skipped;	/* headers, comments, blank lines */
	uint64_t lost;		/* events the tracer said it lost ("[LOST n EVENTS]") */
	uint64_t malformed;
	uint64_t unknown;	/* exits with a reason or EC no table names */
	unsigned nkept;
	struct trace_malformed kept[TRACE_KEEP_MALFORMED];
};

struct trace_reader;

/* Opens path ("-" for standard input) as fmt (TRACE_FMT_AUTO: detected).
 * NULL with err_msg() on failure (cannot open, unknown format, trace.dat
 * without libtracecmd, trace.dat on standard input). */
struct trace_reader *trace_open(const char *path, enum trace_format fmt, bool strict);
/* The same over an open stream (not closed by trace_close); name is used in
 * messages.  Text formats only. */
struct trace_reader *trace_open_stream(FILE *f, const char *name, enum trace_format fmt, bool strict);
/* The next record: 1, 0 at the end, -1 on an error (read error; in strict
 * mode the first malformed line: "file:line: why"). */
int trace_next(struct trace_reader *r, struct trace_event *ev);
enum trace_format trace_reader_format(const struct trace_reader *r);
const struct trace_counts *trace_reader_counts(const struct trace_reader *r);
/* Bytes read so far (text formats; 0 for trace.dat): for a progress bar. */
uint64_t trace_reader_bytes(const struct trace_reader *r);
void trace_close(struct trace_reader *r);

/* The format of a trace whose first bytes are buf[0..n). */
enum trace_format trace_sniff(const char *buf, size_t n);
const char *trace_format_name(enum trace_format f);
/* "ftrace", "perf", "trace.dat" (or "trace-dat"), "auto" -> format; -1 if none. */
int trace_format_parse(const char *s, enum trace_format *f);
/* Whether this hvsim can read trace.dat (built with libtracecmd). */
bool trace_have_tracedat(void);

/* ---- one line, for the readers, the tests and the fuzz targets ---- */
/* Parses one text line (no newline; need not be NUL-terminated).  Returns 1
 * and fills ev (ev->line is left alone), 0 if the line is no event (header,
 * comment, blank: *lost gets a "[LOST n EVENTS]" count), -1 if malformed
 * (*why says why). */
int trace_parse_line(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why);
/* Readable bytes that must follow a line given to trace_parse_line_padded. */
#define TRACE_PAD 128
/* The same over a line followed by TRACE_PAD readable bytes (the reader's
 * buffer), which spares trace_parse_line's copy: the fast path reads past
 * the line's end, never taking those bytes for the line's. */
int trace_parse_line_padded(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why);
/* The same without the fast path for the commonest lines (for the tests and
 * fuzz targets, which check that both read every line alike). */
int trace_parse_line_slow(const char *s, size_t n, struct trace_event *ev, uint64_t *lost, const char **why);
/* Parses the arguments of the named event (the text after "name: ").  Sets
 * ev->kind, ev->arch and the decoded fields; returns 0, or -1 with *why. */
int trace_parse_args(const char *name, size_t nlen, const char *a, size_t n, struct trace_event *ev,
		     const char **why);
const char *trace_kind_name(enum trace_kind k);
/* The kind of the named event (TEV_OTHER for any other name). */
enum trace_kind trace_kind_lookup(const char *name, size_t n);

/* ---- names (traces/names.c): KVM's tables, keyed by number ---- */
/* Reason name of an x86 exit (NULL if none). */
const char *trace_x86_reason_name(uint32_t reason, bool svm);
/* Looks up an x86 reason name (VMX upper case, SVM lower case): 0 and
 * *reason, *svm set; -1 if neither table has it. */
int trace_x86_reason_lookup(const char *name, size_t n, uint32_t *reason, bool *svm);
/* kvm_arm_exception_class name of an EC (NULL if none). */
const char *trace_arm_ec_name(uint32_t ec);
/* kvm_arm_exception_type name ("IRQ", "SERROR", "TRAP", "HYP_GONE"; NULL otherwise). */
const char *trace_arm_type_name(uint32_t type);
/* The name a stat table shows for an exit ("EPT_VIOLATION", "TRAP DABT_LOW",
 * "unknown 0x5a", ...) into buf. */
const char *trace_exit_name(const struct trace_event *ev, char *buf, size_t n);
/* kvm_apic register names (APIC_ID ... APIC_ECTRL) -> offset; -1 if none. */
int trace_apic_reg_lookup(const char *name, size_t n, uint32_t *reg);
/* Delivery-mode names of kvm_apic_ipi / kvm_apic_accept_irq -> ICR[10:8]. */
int trace_apic_dm_lookup(const char *name, size_t n, uint32_t *dm);

#endif
