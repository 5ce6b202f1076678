/* /proc/self: the exe link, maps and status of this process, and the calls that change
 * what maps shows: malloc's heap, an anonymous mmap, mremap (grow in place, move, shrink,
 * MREMAP_FIXED) and madvise(MADV_DONTNEED). Prints check lines, then the maps lines
 * reduced to their shape (permissions, offset, whether a device, name) and the status
 * labels in order; the test compares both with Linux (qemu-riscv64). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fails;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "WRONG");
    if (!ok) {
        printf("  errno %d\n", errno);
        fails++;
    }
}

static char buf[65536];

/* The whole file at `path` into buf (NUL-terminated), read in small pieces. */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = 0, r;
    while ((r = read(fd, buf + n, 100)) > 0 && n < (long)sizeof buf - 200)
        n += r;
    close(fd);
    buf[n] = 0;
    return n;
}

int main(int argc, char **argv)
{
    (void)argc;
    char link[4096];
    ssize_t n = readlink("/proc/self/exe", link, sizeof link);
    check("readlink /proc/self/exe is the program", n > 0 && (size_t)n == strlen(argv[0])
          && memcmp(link, argv[0], n) == 0);
    errno = 0;
    check("readlink of a plain file: EINVAL", readlink(argv[0], link, sizeof link) < 0
          && errno == EINVAL);

    const long pg = 4096;
    const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    char *p = mmap(NULL, 4 * pg, rw, anon, -1, 0);
    memset(p, 'a', 4 * pg);
    char *q = mremap(p, 4 * pg, 64 * pg, MREMAP_MAYMOVE);
    check("mremap MAYMOVE grows", q != MAP_FAILED);
    check("the grown mapping keeps its bytes", q[0] == 'a' && q[4 * pg - 1] == 'a');
    check("and its new part is zero", q[4 * pg] == 0 && q[64 * pg - 1] == 0);
    char *r = mremap(q, 64 * pg, 2 * pg, 0);
    check("mremap shrinks in place", r == q && r[pg] == 'a');
    errno = 0;
    check("mremap of an unmapped range: EFAULT",
          mremap(q + 8 * pg, pg, 2 * pg, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);
    errno = 0;
    check("mremap with unknown flags: EINVAL",
          mremap(q, pg, 2 * pg, 0x80) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    check("MREMAP_FIXED without MAYMOVE: EINVAL",
          mremap(q, pg, 2 * pg, MREMAP_FIXED, q + 16 * pg) == MAP_FAILED && errno == EINVAL);
    char *f = mremap(q, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, q + 32 * pg);
    check("MREMAP_FIXED moves to the address given", f == q + 32 * pg && f[0] == 'a');
    check("madvise(MADV_DONTNEED)", madvise(f, 2 * pg, MADV_DONTNEED) == 0);
    check("after MADV_DONTNEED the pages read as zero", f[0] == 0 && f[2 * pg - 1] == 0);
    errno = 0;
    check("madvise of an unaligned address: EINVAL",
          madvise(f + 1, pg, MADV_DONTNEED) < 0 && errno == EINVAL);
    munmap(f, 2 * pg);

    void *small = malloc(1);
    char *big = mmap(NULL, 3 * pg, PROT_READ, anon, -1, 0);
    check("/proc/self/maps reads", slurp("/proc/self/maps") > 0);
    /* One shape line per area: permissions, whether the offset is 0, whether it has a
     * device, and the name (the program's path as "PROGRAM"). */
    int heap = 0, stack = 0, prog = 0, lines = 0;
    /* Printed after the loop in a fixed order: the layouts differ in where mmap goes. */
    char heap_line[200] = "", mmap_line[200] = "", stack_line[200] = "";
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long s, e, off;
        char perm[5];
        unsigned maj, min;
        unsigned long ino;
        int at = 0;
        if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &s, &e, perm, &off, &maj, &min,
                   &ino, &at) < 7)
            continue;
        const char *name = at && line[at] ? line + at : "";
        lines++;
        heap += strcmp(name, "[heap]") == 0;
        stack += strcmp(name, "[stack]") == 0;
        prog += strcmp(name, argv[0]) == 0;
        if ((char *)s == big)
            snprintf(mmap_line, sizeof mmap_line,
                     "the mmap area: %s, %lu pages, offset %lu, device %s, inode %lu, name '%s'\n",
                     perm, (e - s) / pg, off, maj || min ? "yes" : "no", ino, name);
        if (strcmp(name, "[heap]") == 0)
            snprintf(heap_line, sizeof heap_line,
                     "heap: %s, offset %lu, device %s, holds malloc(1): %s\n", perm, off,
                     maj || min ? "yes" : "no",
                     (char *)small >= (char *)s && (char *)small < (char *)e ? "yes" : "no");
        if (strcmp(name, "[stack]") == 0)
            snprintf(stack_line, sizeof stack_line, "stack: %s, holds a local: %s\n", perm,
                     (char *)&s >= (char *)s && (char *)&s < (char *)e ? "yes" : "no");
        /* The name column starts at 74 (1-based) when there is a name. */
        if (*name && at != 73)
            printf("name at column %d in: %s\n", at + 1, line);
    }
    printf("%s%s%s", heap_line, mmap_line, stack_line);
    check("maps has one [heap], one [stack] and the program", heap == 1 && stack == 1
          && prog >= 2);
    check("/proc/self/status reads", slurp("/proc/self/status") > 0);
    const char *want[] = {"Name:", "Pid:", "PPid:", "VmPeak:", "VmSize:", "VmHWM:", "VmRSS:",
                          "RssAnon:", "RssFile:", "RssShmem:", "VmData:", "VmStk:",
                          "VmExe:", "VmLib:", "VmPTE:", "VmSwap:"};
    const char *at = buf;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char key[32];
        snprintf(key, sizeof key, "\n%s\t", want[i]);
        const char *hit = i == 0 ? (strncmp(buf, "Name:\t", 6) == 0 ? buf : NULL)
                                 : strstr(at, key);
        if (!hit) {
            printf("status: %s missing or out of order\n", want[i]);
            fails++;
            continue;
        }
        at = hit + 1;
        if (want[i][0] == 'V' || want[i][0] == 'R') {
            const char *v = at + strlen(want[i]) + 1;
            int width = (int)(strchr(v, ' ') ? strspn(v, " ") : 0);
            unsigned long kb = strtoul(v, NULL, 10);
            const char *kbs = strstr(v, " kB\n");
            if (!kbs || kbs - v != 8)
                printf("status: %s is not %%8lu kB\n", want[i]), fails++;
            (void)width;
            (void)kb;
        }
    }
    unsigned long size = 0, rss = 0, peak = 0;
    sscanf(strstr(buf, "VmSize:"), "VmSize: %lu", &size);
    sscanf(strstr(buf, "VmRSS:"), "VmRSS: %lu", &rss);
    sscanf(strstr(buf, "VmPeak:"), "VmPeak: %lu", &peak);
    check("status: VmRSS <= VmSize <= VmPeak", rss > 0 && rss <= size && size <= peak);
    char name[64];
    const char *base = strrchr(argv[0], '/');
    snprintf(name, sizeof name, "Name:\t%.15s\n", base ? base + 1 : argv[0]);
    check("status: Name is the program's name", strncmp(buf, name, strlen(name)) == 0);
    check("status: State is R (running)", strstr(buf, "\nState:\tR (running)\n") != NULL);
    char pid[32];
    snprintf(pid, sizeof pid, "\nPid:\t%d\n", getpid());
    check("status: Pid is getpid()", strstr(buf, pid) != NULL);
    printf("%s\n", fails ? "FAIL" : "PASS");
    return fails;
}
