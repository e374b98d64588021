/* hostile fault_jmp_pastram: a jump to the first byte past 128 MiB of RAM (faults.h). */
#define FAULT_NAME "fault_jmp_pastram"
#define FAULT_ADDR 0x8000000ULL
#define FAULT_ASM "jmp *%%rax"
#include "faults.h"
