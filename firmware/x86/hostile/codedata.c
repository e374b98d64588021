/* hostile codedata: a hot loop whose counter lives in the page of its own
 * code.  Every store to it reaches a page holding decoded code; hvsim must
 * neither miss a rewrite there nor decode the loop again for each store
 * (the test checks the count of decoded blocks: hvsim opens such a page,
 * docs/architecture.md "Code pages").  Exit status 0 when every check held
 * (hostile.h). */
#include "hostile.h"

extern volatile uint64_t counter;
__asm__(".text\n.balign 8\ncounter:\t.quad 0\n");

int main(void)
{
    for (unsigned i = 0; i < 1000000; i++)
        counter++;
    CHECK(counter == 1000000, "1000000 increments of a counter in the code's page: %lu", (unsigned long)counter);
    return hostile_done("codedata");
}
