/* Stack growth: recurses through argv[1] KiB of stack (default 1024), touching every frame.
 * Within RLIMIT_STACK (8 MiB) the stack grows on demand; past it the process gets SIGSEGV.
 * argv[2], if given, first sets RLIMIT_STACK's soft limit to that many KiB (qemu-riscv64
 * gives its guest a fixed stack and ignores this; a Linux kernel does not). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

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
    if (argc > 2) {
        struct rlimit r;
        if (getrlimit(RLIMIT_STACK, &r) != 0 || r.rlim_cur != 8 << 20) {
            puts("unexpected RLIMIT_STACK");
            return 1;
        }
        r.rlim_cur = atol(argv[2]) * 1024;
        if (setrlimit(RLIMIT_STACK, &r) != 0) {
            puts("setrlimit failed");
            return 1;
        }
        printf("RLIMIT_STACK lowered to %s KiB\n", argv[2]);
    }
    printf("recursing through %ld KiB of stack\n", kib);
    fflush(stdout);
    printf("depth sum %ld\n", depth(kib));
    return 0;
}
