/* Writes through a NULL pointer: the kernel must kill it with SIGSEGV (status 139) and
 * keep running. */
#include <stdio.h>

int main(void)
{
    puts("writing to NULL");
    fflush(stdout);
    *(volatile int *)0 = 42;
    puts("still alive: FAIL");
    return 1;
}
