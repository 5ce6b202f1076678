/* The first user program: checks what the kernel hands a static program at its start
 * (LINUX-FACTS.md, "Starting a static program") and that brk-backed malloc works.
 * Prints its arguments and environment, one CHECK line per failure, then PASS or FAIL,
 * and exits with the number of failures. Runs unchanged under qemu-riscv64 (Linux). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern char _start[];
static int fails;

#define CHECK(cond)                                               \
    do {                                                          \
        if (!(cond)) {                                            \
            printf("CHECK failed, line %d: %s\n", __LINE__, #cond); \
            fails++;                                              \
        }                                                         \
    } while (0)

int main(int argc, char **argv, char **envp)
{
    const char *base = strrchr(argv[0], '/');
    printf("hello from %s, argc %d\n", base ? base + 1 : argv[0], argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    CHECK(argv[argc] == NULL);
    CHECK(envp == argv + argc + 1);

    CHECK(getauxval(AT_PAGESZ) == 4096);
    CHECK(getauxval(AT_HWCAP) & (1 << ('i' - 'a')));
    CHECK(getauxval(AT_ENTRY) == (unsigned long)_start);
    CHECK(getauxval(AT_PHENT) == 56);
    CHECK(getauxval(AT_PHNUM) > 0);
    CHECK(getauxval(AT_RANDOM) != 0);
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    CHECK(execfn && strcmp(execfn, argv[0]) == 0);
    CHECK(((unsigned long)__builtin_frame_address(0) & 15) == 0);

    /* Small requests come from the heap glibc grows with brk. */
    unsigned char *p = malloc(50000);
    CHECK(p != NULL);
    if (p) {
        memset(p, 0xa5, 50000);
        CHECK(p[0] == 0xa5 && p[49999] == 0xa5);
        free(p);
    }
    puts(fails ? "FAIL" : "PASS");
    return fails;
}
