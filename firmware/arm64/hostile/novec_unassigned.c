/* hostile novec_unassigned: VBAR_EL1 = 0x1000, an unassigned address (novec.h). */
#define NOVEC_NAME "novec_unassigned"
#define NOVEC_VBAR 0x1000
#include "novec.h"
