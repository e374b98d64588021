/* x86-64 exception stubs for exc.c: vectors 0..31.  Each pushes a zero
 * error code where the CPU pushes none (SDM Vol. 3A Table 6-1: 8, 10-14,
 * 17, 21, 29, 30 have one), then the vector, saves the general registers in
 * struct x86_frame order and calls x86_exception(frame). */
.macro stub vec
    .balign 16
stub_\vec:
    .if !(\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
    pushq $0
    .endif
    pushq $\vec
    jmp  exc_common
.endm

    .text
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    stub \v
    .endr

exc_common:
    push %rax
    push %rcx
    push %rdx
    push %rbx
    push %rbp
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov  %rsp, %rdi
    mov  %rsp, %rbx                     /* callee-saved: the frame */
    and  $-16, %rsp                     /* SysV call alignment */
    call x86_exception                  /* returns only if handled */
    mov  %rbx, %rsp
    pop  %r15
    pop  %r14
    pop  %r13
    pop  %r12
    pop  %r11
    pop  %r10
    pop  %r9
    pop  %r8
    pop  %rdi
    pop  %rsi
    pop  %rbp
    pop  %rbx
    pop  %rdx
    pop  %rcx
    pop  %rax
    add  $16, %rsp                      /* vector, error code */
    iretq

    .section .rodata
    .balign 8
    .global x86_exc_stubs
x86_exc_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad stub_\v
    .endr
