/* hostile novec_vbar0: VBAR_EL1 = 0, its reset value (novec.h). */
#define NOVEC_NAME "novec_vbar0"
#define NOVEC_VBAR 0
#include "novec.h"
