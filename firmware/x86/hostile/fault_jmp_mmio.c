/* hostile fault_jmp_mmio: a jump into the wakeup-mailbox MMIO page (faults.h). */
#define FAULT_NAME "fault_jmp_mmio"
#define FAULT_ADDR 0xfeb00000ULL
#define FAULT_ASM "jmp *%%rax"
#include "faults.h"
