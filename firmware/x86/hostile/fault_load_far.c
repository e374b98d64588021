/* hostile fault_load_far: a load from 1 << 39, beyond the 39-bit physical address space (faults.h). */
#define FAULT_NAME "fault_load_far"
#define FAULT_ADDR (1ULL << 39)
#define FAULT_ASM "movq (%%rax), %%rax"
#include "faults.h"
