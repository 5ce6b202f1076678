/* Stack growth: recurses through argv[1] KiB of stack (default 1024), touching every frame.
 * Within RLIMIT_STACK (8 MiB) the stack grows on demand; past it the process gets SIGSEGV. */
#include <stdio.h>
#include <stdlib.h>

static long depth(long kib)
{
    volatile char frame[1000];
    frame[0] = (char)kib;
    frame[999] = 1;
    if (kib <= 1)
        return frame[0] + frame[999];
    return depth(kib - 1) + frame[999];
}

int main(int argc, char **argv)
{
    long kib = argc > 1 ? atol(argv[1]) : 1024;
    printf("recursing through %ld KiB of stack\n", kib);
    fflush(stdout);
    printf("depth sum %ld\n", depth(kib));
    return 0;
}
