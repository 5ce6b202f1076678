/* Demand paging: sbrk reserves 48 MiB at once, then the program touches argv[1] of those
 * pages (one per MiB). Only the touched pages should cost a frame and a (minor) fault. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 0;
    char *p = sbrk(48 << 20);
    if (p == (void *)-1) {
        puts("sbrk failed");
        return 1;
    }
    for (int i = 0; i < n && i < 48; i++)
        p[(long)i << 20] = 1;
    printf("reserved 48 MiB, touched %d pages\n", n);
    return 0;
}
