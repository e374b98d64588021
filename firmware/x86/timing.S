/* timing: a bare x86-64 guest (no runtime) whose every instruction is known,
 * for tests/integration/timing_x86.sh: an exiting RDMSR and a non-exiting
 * RDTSC in the middle of a block (hvsim resumes after each as a new block),
 * the RDTSC value stored to an unassigned MMIO address (--debug mmio shows
 * it), then the hvsim exit hypercall. */
    .section .text.start, "ax"
    .global _start
_start:
    mov  $0xd0000000, %edi
    mov  $0x1a0, %ecx           /* IA32_MISC_ENABLE: RDMSR exits (MSR bitmap) */
    rdmsr
    add  $1, %esi
    add  $1, %esi
    rdtsc                       /* RDTSC exiting is off: no exit */
    mov  %eax, (%rdi)           /* unassigned MMIO: EPT violation, write */
    mov  $0x48560001, %eax      /* HVSIM_HC_X86_EXIT */
    xor  %ebx, %ebx             /* status 0 */
    vmcall
1:  jmp  1b
