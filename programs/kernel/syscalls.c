/* System-call error paths the kernel must get right without crashing: bad user pointers
 * (EFAULT), bad descriptors (EBADF), unknown calls (ENOSYS), brk growth and shrink,
 * mprotect arguments. Prints one line per check and PASS/FAIL; exits with the failures.
 * The same output is expected under Linux (qemu-riscv64). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void expect(const char *what, long got, long want_ret, int want_errno)
{
    int ok = got == want_ret && (want_ret != -1 || errno == want_errno);
    printf("%s: %s\n", what, ok ? "ok" : "WRONG");
    if (!ok) {
        printf("  got %ld errno %d\n", got, errno);
        fails++;
    }
}

int main(void)
{
    const void *volatile null = 0; /* hidden from the compiler's nonnull check */
    errno = 0;
    expect("write from a NULL buffer", write(1, null, 10), -1, EFAULT);
    expect("write from a kernel address",
           write(1, (void *)0xffffffc080000000UL, 8), -1, EFAULT);
    expect("write to fd 7", write(7, "x", 1), -1, EBADF);
    expect("unknown syscall 1234", syscall(1234), -1, ENOSYS);
    expect("write of 0 bytes", write(1, "", 0), 0, 0);

    char *start = sbrk(0);
    char *grown = sbrk(3 * 4096);
    expect("sbrk grows from the old break", grown == start, 1, 0);
    int zero = 1;
    for (int i = 0; i < 3 * 4096; i++)
        zero &= grown[i] == 0;
    memset(grown, 0x5a, 3 * 4096);
    expect("new heap memory is zero and writable", zero, 1, 0);
    expect("sbrk shrinks", sbrk(-2 * 4096) == start + 3 * 4096, 1, 0);
    expect("brk below the start is refused", brk(start - 4096 * 1000), -1, ENOMEM);

    char *page = (char *)(((unsigned long)start + 4095) & ~4095UL);
    expect("mprotect misaligned", mprotect(page + 1, 4096, PROT_READ), -1, EINVAL);
    expect("mprotect bad prot", mprotect(page, 4096, 0x80), -1, EINVAL);
    expect("mprotect unmapped", mprotect((void *)0x1000, 4096, PROT_READ), -1, ENOMEM);
    expect("mprotect read-only", mprotect(page, 4096, PROT_READ), 0, 0);
    expect("still readable", page[0] == 0x5a, 1, 0);
    expect("mprotect back to read-write", mprotect(page, 4096, PROT_READ | PROT_WRITE), 0, 0);
    page[0] = 1;
    expect("mprotect PROT_NONE", mprotect(page, 4096, PROT_NONE), 0, 0);
    expect("and back", mprotect(page, 4096, PROT_READ), 0, 0);
    expect("the data survived", page[0] == 1 && page[1] == 0x5a, 1, 0);
    struct iovec iov[3] = {{"writev ", 7}, {"in three ", 9}, {"parts\n", 6}};
    fflush(stdout);
    expect("writev returned the total", writev(1, iov, 3), 22, 0);
    struct iovec bad[2] = {{"first part only\n", 16}, {(void *)null, 5}};
    fflush(stdout);
    expect("writev stops at a bad buffer", writev(1, bad, 2), 16, 0);
    struct timespec t1, t2;
    expect("clock_gettime MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &t1), 0, 0);
    expect("clock_gettime again", clock_gettime(CLOCK_MONOTONIC, &t2), 0, 0);
    expect("monotonic", t2.tv_sec > t1.tv_sec ||
                            (t2.tv_sec == t1.tv_sec && t2.tv_nsec >= t1.tv_nsec), 1, 0);
    expect("nanoseconds below a second", t1.tv_nsec >= 0 && t1.tv_nsec < 1000000000, 1, 0);
    expect("clock_gettime to a bad pointer",
           syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)null), -1, EFAULT);
    expect("clock_gettime of a bad clock", clock_gettime((clockid_t)99, &t1), -1, EINVAL);
    unsigned char rnd[300];
    memset(rnd, 0, sizeof rnd);
    expect("getrandom 300 bytes", getrandom(rnd, sizeof rnd, 0), 300, 0);
    int nonzero = 0;
    for (int i = 0; i < 300; i++)
        nonzero += rnd[i] != 0;
    expect("they are not all zero", nonzero > 200, 1, 0);
    expect("getrandom GRND_NONBLOCK", getrandom(rnd, 8, GRND_NONBLOCK), 8, 0);
    expect("getrandom bad flags", getrandom(rnd, 8, 0x80), -1, EINVAL);
    expect("getrandom to NULL", getrandom((void *)null, 8, 0), -1, EFAULT);
    struct winsize ws;
    int pfd[2];
    expect("pipe", pipe(pfd), 0, 0);
    expect("TIOCGWINSZ on a non-terminal (a pipe)", ioctl(pfd[0], TIOCGWINSZ, &ws), -1, ENOTTY);
    puts(fails ? "FAIL" : "PASS");
    return fails;
}
