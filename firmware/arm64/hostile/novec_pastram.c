/* hostile novec_pastram: VBAR_EL1 = the first address past RAM (novec.h). */
#define NOVEC_NAME "novec_pastram"
#define NOVEC_VBAR (rt_fdt.mem_base + rt_fdt.mem_size)
#include "novec.h"
