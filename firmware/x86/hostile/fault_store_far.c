/* hostile fault_store_far: a store to 1 << 39, beyond the 39-bit physical address space (faults.h). */
#define FAULT_NAME "fault_store_far"
#define FAULT_ADDR (1ULL << 39)
#define FAULT_ASM "movq $1, (%%rax)"
#include "faults.h"
