/* dirty: page-dirtying rounds over a footprint set by the design (see lib/dirty.h). */
#include "dirty.h"

int main(void)
{
    return dirty_main();
}
