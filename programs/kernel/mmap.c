/* Anonymous mmap/munmap: fresh mappings are zero, malloc's large blocks, MAP_FIXED into a
 * hole and over existing pages, and Linux's errors. One line per check, then PASS/FAIL;
 * exits with the failures. Same output expected under Linux. With the argument
 * "noreplace" it also checks MAP_FIXED_NOREPLACE (EEXIST over a mapping), which
 * qemu-riscv64 7.2, the Linux reference of the tests, does not enforce. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int fails;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "WRONG");
    if (!ok) {
        printf("  errno %d\n", errno);
        fails++;
    }
}

static int all(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    const size_t mib = 1 << 20;
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    unsigned char *p = mmap(NULL, mib, rw, anon, -1, 0);
    check("mmap 1 MiB", p != MAP_FAILED);
    check("page-aligned", ((unsigned long)p & 4095) == 0);
    check("zero-filled", all(p, mib, 0));
    memset(p, 7, mib);
    check("writable", all(p, mib, 7));

    check("munmap a middle page", munmap(p + 4096, 4096) == 0);
    unsigned char *q = mmap(p + 4096, 4096, rw, anon | MAP_FIXED, -1, 0);
    check("MAP_FIXED into the hole", q == p + 4096);
    check("the new page is zero", all(q, 4096, 0));
    check("its neighbours kept their data", p[4095] == 7 && p[8192] == 7);
    q = mmap(p, 8192, rw, anon | MAP_FIXED, -1, 0);
    check("MAP_FIXED over mapped pages replaces them", q == p && all(p, 8192, 0));
    if (argc > 1 && strcmp(argv[1], "noreplace") == 0) {
        errno = 0;
        q = mmap(p, 4096, rw, anon | MAP_FIXED_NOREPLACE, -1, 0);
        check("MAP_FIXED_NOREPLACE over a mapping fails", q == MAP_FAILED && errno == EEXIST);
    }
    check("munmap the rest", munmap(p, mib) == 0);
    check("munmap nothing mapped", munmap(p, mib) == 0);

    errno = 0;
    check("len 0: EINVAL", mmap(NULL, 0, rw, anon, -1, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    check("neither shared nor private: EINVAL",
          mmap(NULL, 4096, rw, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    check("a file mapping of fd -1: EBADF",
          mmap(NULL, 4096, rw, MAP_PRIVATE, -1, 0) == MAP_FAILED && errno == EBADF);
    errno = 0;
    check("munmap misaligned: EINVAL", munmap((char *)p + 1, 4096) == -1 && errno == EINVAL);

    /* glibc serves requests of 128 KiB and more with mmap, and frees them with munmap. */
    unsigned char *big = malloc(256 * 1024);
    check("malloc 256 KiB", big != NULL);
    memset(big, 1, 256 * 1024);
    check("its memory works", all(big, 256 * 1024, 1));
    free(big);

    unsigned char *pop = mmap(NULL, 64 * 1024, rw, anon | MAP_POPULATE, -1, 0);
    check("MAP_POPULATE", pop != MAP_FAILED && all(pop, 64 * 1024, 0));
    check("mprotect an mmap'd area", mprotect(pop, 4096, PROT_READ) == 0 && pop[0] == 0);
    puts(fails ? "FAIL" : "PASS");
    return fails;
}
