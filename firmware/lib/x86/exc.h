/* x86-64 exception handling for guests that want to see their faults (the
 * default runtime has no IDT, so any exception triple-faults).  exc_init()
 * loads a flat 64-bit GDT (IRETQ needs a non-null CS selector) and an IDT
 * for vectors 0..31; each exception saves the registers in a struct
 * x86_frame and calls the registered handler. */
#ifndef RT_X86_EXC_H
#define RT_X86_EXC_H
#include "rt.h"

struct x86_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
    uint64_t vector, error;                  /* error = 0 if the vector has none */
    uint64_t rip, cs, rflags, rsp, ss;       /* pushed by the CPU (SDM Vol. 3A 6.14.2) */
};
#define X86_VEC_DE 0
#define X86_VEC_BP 3
#define X86_VEC_UD 6
#define X86_VEC_GP 13
#define X86_VEC_PF 14
/* Returns nonzero when it handled the exception (execution resumes at
 * f->rip with the saved registers, which it may change); zero makes the
 * runtime print the frame and exit with status 99. */
typedef int (*x86_exc_handler_t)(struct x86_frame *f);
void exc_init(void);
void exc_set_handler(x86_exc_handler_t h);
void x86_exception(struct x86_frame *f);      /* called by the stubs (exc.S) */
extern const uint64_t x86_exc_stubs[32];      /* stub addresses, by vector */

/* RDMSR/WRMSR that report a #GP instead of faulting: with exc_msr_gp
 * installed (exc_set_handler), a #GP at a RDMSR/WRMSR is counted in
 * exc_gp_count, its error code kept in exc_gp_error, and the instruction
 * skipped.  rdmsr_gp/wrmsr_gp return 1 if the access raised #GP. */
extern volatile unsigned exc_gp_count;
extern volatile uint64_t exc_gp_error;
int exc_msr_gp(struct x86_frame *f);
int rdmsr_gp(uint32_t msr, uint64_t *val);
int wrmsr_gp(uint32_t msr, uint64_t val);

#endif
