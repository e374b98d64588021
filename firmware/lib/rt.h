/* Tiny freestanding runtime shared by the AArch64 and x86-64 guests.
 * A guest defines `int main(void)`; the start code zeroes .bss on the boot CPU,
 * calls rt_arch_init() then main(), and passes main's result to hv_exit().
 *
 * Build variants: the default build talks to hvsim (hypercalls from
 * hvsim-abi.h); -DRT_QEMU builds for plain QEMU (no hvsim hypercalls, exit via
 * PSCI SYSTEM_OFF on ARM and isa-debug-exit on x86). */
#ifndef RT_H
#define RT_H

/* Shared with the start code (.S files include this header). */
#define RT_MAX_CPUS   8
#define RT_STACK_SHIFT 14
#define RT_STACK_SIZE (1 << RT_STACK_SHIFT)   /* 16 KiB per CPU */

#ifndef __ASSEMBLER__
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "hvsim-abi.h"

/* ---- console (arch layer provides arch_putc) ---- */
void putc(int c);
void puts(const char *s);                 /* like C puts: appends '\n' */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
/* Bytes written to the console so far: integration tests derive UART exit
 * counts from it (each byte costs one status poll plus one data write). */
extern uint64_t rt_console_bytes;

/* ---- strings (the compiler may emit memset/memcpy calls itself) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- spin lock and atomics ---- */
typedef struct { volatile uint32_t locked; } spinlock_t;
#define SPINLOCK_INIT { 0 }
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
static inline uint64_t atomic_load(const volatile uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void atomic_store(volatile uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t atomic_add(volatile uint64_t *p, uint64_t v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }

/* ---- machine services (per-arch) ---- */
/* Stop the machine with status 0..255 (others become 255).  hvsim: exit
 * hypercall; RT_QEMU: PSCI SYSTEM_OFF (ARM) or isa-debug-exit (x86). */
__attribute__((noreturn)) void hv_exit(int status);
#ifndef RT_QEMU  /* QEMU builds must not contain hvsim hypercalls */
uint64_t hv_ping(uint64_t x);                         /* hvsim returns x + 1 */
uint64_t hv_cycles(void);                             /* calling vCPU's simulated cycles */
#endif
/* Guest parameter i (< HVSIM_GUEST_ARGS): the design value guest.arg<i>
 * (ARG hypercall); 0, "use the guest's default", when unset and in RT_QEMU
 * builds, which contain no hvsim hypercalls. */
uint64_t hv_arg(unsigned i);
unsigned cpu_count(void);                             /* CPUs the machine reports */
unsigned cpu_id(void);                                /* this CPU's index, 0 = boot CPU */
typedef void (*cpu_entry_t)(uint64_t arg);
/* Start CPU `id` at fn(arg) on its own stack; when fn returns the CPU turns
 * itself off.  Returns 0 once the machine accepted the request, else < 0
 * (ARM: the PSCI error code). */
int cpu_start(unsigned id, cpu_entry_t fn, uint64_t arg);
__attribute__((noreturn)) void cpu_off(void);         /* stop the calling CPU */
void cpu_relax(void);                                 /* spin-wait hint */
void cpu_wait_event(void);                            /* low-power wait (wfe / pause) */
void cpu_send_event(void);                            /* wake cpu_wait_event spinners */

/* ---- called by the start code ---- */
int main(void);
void rt_arch_init(uint64_t boot_arg);                 /* ARM: DTB address in x0 */
void rt_secondary_main(unsigned id, uint64_t arg);    /* secondary CPU, own stack ready */
extern cpu_entry_t rt_cpu_fn[RT_MAX_CPUS];            /* set by cpu_start, read by the new CPU */

void arch_putc(int c);                                /* raw console byte */

#if defined(__aarch64__)
#include "arm64/arch.h"
#elif defined(__x86_64__)
#include "x86/arch.h"
#else
#error "unsupported architecture"
#endif

#endif /* __ASSEMBLER__ */
#endif /* RT_H */
