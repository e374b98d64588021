/* exception: a bare x86-64 guest for tests/integration/syndromes_x86.sh.
 * RDMSR of an MSR that does not exist raises #GP(0) (SDM Vol. 2B RDMSR);
 * the hypervisor delivers it through the guest's IDT (SDM Vol. 3A 6.14).
 * The handler stores what it finds on its stack to unassigned MMIO, where
 * `--debug mmio` shows each value, then exits with the hvsim hypercall. */
    .section .text.start, "ax"
    .global _start
_start:
    mov  $0x80008, %esp         /* 8 mod 16: delivery aligns RSP down to 16 */
    lidt idtr(%rip)
    mov  $0xd0000000, %edi
    mov  $0x12345678, %ecx      /* no such MSR */
    .global gp_insn
gp_insn:
    rdmsr
1:  jmp  1b

    .org 0x40                   /* gp_handler = 0x100040: link.ld puts .text.start at 1 MiB */
gp_handler:                     /* frame: error code, RIP, CS, RFLAGS, RSP, SS */
    mov  (%rsp), %rax
    mov  %eax, 0x0(%rdi)        /* error code */
    mov  8(%rsp), %rax
    mov  %eax, 0x4(%rdi)        /* RIP: the RDMSR (a fault) */
    mov  24(%rsp), %rax
    mov  %eax, 0x8(%rdi)        /* RFLAGS */
    mov  32(%rsp), %rax
    mov  %eax, 0xc(%rdi)        /* interrupted RSP */
    mov  %rsp, %rax
    mov  %eax, 0x10(%rdi)       /* handler RSP: aligned, 6 words pushed */
    mov  $0x48560001, %eax      /* HVSIM_HC_X86_EXIT, status 0 */
    xor  %ebx, %ebx
    vmcall
2:  jmp  2b

    .balign 16
idt:
    .fill 13 * 16, 1, 0
    /* vector 13: 64-bit interrupt gate (type 0xe, P), selector 8,
     * offset gp_handler = 0x100040 */
    .word 0x0040, 8
    .byte 0, 0x8e
    .word 0x0010
    .long 0, 0
idt_end:
idtr:
    .word idt_end - idt - 1
    .quad idt
