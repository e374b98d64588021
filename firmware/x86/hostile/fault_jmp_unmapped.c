/* hostile fault_jmp_unmapped: a jump to 1 << 39, beyond the 39-bit physical address space (faults.h). */
#define FAULT_NAME "fault_jmp_unmapped"
#define FAULT_ADDR (1ULL << 39)
#define FAULT_ASM "jmp *%%rax"
#include "faults.h"
