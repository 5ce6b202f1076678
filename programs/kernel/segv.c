/* Misbehaves as argv[1] says; the kernel must kill it with the signal Linux sends and keep
 * running: "null" writes to NULL (SIGSEGV), "kernel" reads a kernel address (SIGSEGV),
 * "text" writes to its own code (SIGSEGV), "stack-exec" jumps into its stack (SIGSEGV:
 * not executable), "csr" reads a machine CSR (SIGILL). Default: "null". */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "null";
    printf("misbehaving: %s\n", what);
    fflush(stdout);
    if (strcmp(what, "null") == 0) {
        *(volatile int *)0 = 42;
    } else if (strcmp(what, "kernel") == 0) {
        printf("%d\n", *(volatile int *)0xffffffc080000000UL);
    } else if (strcmp(what, "text") == 0) {
        *(volatile unsigned char *)(void *)main = 0;
    } else if (strcmp(what, "stack-exec") == 0) {
        unsigned int code[2] = {0x00008067, 0}; /* ret */
        ((void (*)(void))(void *)code)();
    } else if (strcmp(what, "csr") == 0) {
        unsigned long v;
        __asm__ volatile("csrr %0, mstatus" : "=r"(v));
        printf("%lu\n", v);
    }
    puts("still alive: FAIL");
    return 1;
}
