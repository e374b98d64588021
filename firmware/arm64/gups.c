/* gups: random read-modify-write over a footprint set by the design (see lib/gups.h). */
#include "gups.h"

int main(void)
{
    return gups_main();
}
