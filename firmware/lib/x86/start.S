/* x86-64 start code.  hvsim entry (hvsim-abi.h): 64-bit mode, paging off,
 * interrupts off, RSP = 0, at the ELF entry _start.  Application processors
 * enter at rt_ap_entry through the wakeup mailbox with RDI = APIC ID.
 * The RT_QEMU build adds a multiboot v1 header and a 32-bit entry that
 * switches to long mode itself, because QEMU's -kernel starts multiboot
 * kernels in 32-bit protected mode. */
#include "rt.h"

    .section .text.start, "ax"
    .code64
    .global _start
_start:
    cli
    cld
    mov  $(rt_stacks + RT_STACK_SIZE), %rsp     /* CPU 0's stack */
    mov  $__bss_start, %rdi                     /* zero .bss: boot CPU only */
    mov  $__bss_end, %rcx
    sub  %rdi, %rcx
    xor  %eax, %eax
    rep stosb
    xor  %edi, %edi
    call rt_arch_init
    call main
    mov  %eax, %edi
    call hv_exit                                /* never returns */
1:  cli
    hlt
    jmp  1b

/* AP entry: the stack comes from the APIC ID (logical index = APIC ID). */
    .text
    .global rt_ap_entry
    .type rt_ap_entry, @function
rt_ap_entry:
    cli
    cld
    cmp  $RT_MAX_CPUS, %rdi
    jae  2f
    mov  %rdi, %rax
    inc  %rax
    shl  $RT_STACK_SHIFT, %rax
    add  $rt_stacks, %rax
    mov  %rax, %rsp
    mov  rt_cpu_arg(,%rdi,8), %rsi
    call rt_secondary_main                      /* ends in cpu_off() */
2:  cli                                         /* unknown APIC ID: stop here */
    hlt
    jmp  2b

/* Per-CPU stacks, inside the RW PT_LOAD segment (link.ld). */
    .section .stack, "aw", @nobits
    .balign 16
    .global rt_stacks
rt_stacks:
    .space RT_MAX_CPUS * RT_STACK_SIZE

#ifdef RT_QEMU
/* Multiboot v1 header (Multiboot Specification 0.6.96 §3.1.1): magic,
 * flags (none needed: QEMU loads the ELF by its program headers), checksum. */
#define MB_MAGIC 0x1BADB002
#ifndef MB_AOUT
#define MB_FLAGS 0
#else   /* §3.1.3 a.out kludge, for a flat image (objcopy -O binary); and
         * page-aligned modules, memory information (flags bits 0, 1) */
#define MB_FLAGS 0x10003
#endif
    .section .multiboot, "a"
    .balign 4
mb_header:
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT
    /* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
    .long mb_header, __image_start, __data_end, __image_end, rt_mb_entry
#endif

/* Entry in 32-bit protected mode, paging off (§3.2).  Identity-map the first
 * 1 GiB with 2 MiB pages, enable PAE, EFER.LME and paging (Intel SDM Vol. 3A,
 * "Initializing IA-32e Mode"), load a 64-bit GDT and far-jump into _start. */
    .section .text.start, "ax"
    .code32
    .global rt_mb_entry
rt_mb_entry:
    cli
    cld
    mov  %eax, rt_mb_magic                      /* what the loader handed over (§3.2) */
    mov  %ebx, rt_mb_info
    mov  %cr0, %eax
    mov  %eax, rt_mb_cr0
    mov  $pml4, %edi                            /* clear PML4 and PDPT */
    xor  %eax, %eax
    mov  $2048, %ecx
    rep stosl
    movl $(pdpt + 3), pml4                      /* present | writable */
    movl $(pd + 3), pdpt
    mov  $pd, %edi
    mov  $0x83, %eax                            /* present | writable | PS (2 MiB) */
    mov  $512, %ecx
1:  mov  %eax, (%edi)
    movl $0, 4(%edi)
    add  $0x200000, %eax
    add  $8, %edi
    loop 1b
    mov  %cr4, %eax
    or   $0x20, %eax                            /* CR4.PAE */
    mov  %eax, %cr4
    mov  $pml4, %eax
    mov  %eax, %cr3
    mov  $0xc0000080, %ecx                      /* IA32_EFER */
    rdmsr
    or   $0x100, %eax                           /* EFER.LME */
    wrmsr
    mov  %cr0, %eax
    or   $0x80000001, %eax                      /* CR0.PG | CR0.PE */
    mov  %eax, %cr0
    lgdt gdt_desc
    ljmp $0x08, $2f
    .code64
2:  mov  $0x10, %ax
    mov  %ax, %ds
    mov  %ax, %es
    mov  %ax, %ss
    mov  %ax, %fs
    mov  %ax, %gs
    jmp  _start

    .data                                       /* not .bss: _start clears that */
    .balign 4
    .global rt_mb_magic, rt_mb_info, rt_mb_cr0
rt_mb_magic: .long 0                            /* EAX, EBX and CR0 at the multiboot entry */
rt_mb_info:  .long 0
rt_mb_cr0:   .long 0

    .section .rodata
    .balign 8
gdt:
    .quad 0                                     /* null */
    .quad 0x00af9a000000ffff                    /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff                    /* 0x10: data */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt

    .section .pgtable, "aw", @nobits
    .balign 4096
pml4: .space 4096
pdpt: .space 4096
pd:   .space 4096
#endif
