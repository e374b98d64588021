/* hostile fault_push_rsp0: a push with RSP = 0: the store goes to 0xfffffffffffffff8 (faults.h). */
#define FAULT_NAME "fault_push_rsp0"
#define FAULT_ADDR 0xfffffffffffffff8ULL
#define FAULT_ASM "xor %%esp, %%esp; push %%rax"
#include "faults.h"
