/* segrun PROG [ARGS...]: runs PROG as a segmented process. It sets the personality bit
 * PER_SEGMENTS (0x10000000, a bit Linux does not define) on top of the current persona and
 * then executes PROG (searched in PATH as a shell does); the rvmmu kernel loads a program
 * execve'd with that bit into contiguous physical segments, reached with satp = Bare and
 * guarded by PMP entries, instead of paging it. Linux accepts the bit and ignores it, so
 * under Linux (or qemu-riscv64) PROG simply runs paged.
 *
 * Exit status as a shell reports a command it could not run: 127 when PROG is not found,
 * 126 when it was found but could not be executed (ENOEXEC: the kernel runs only
 * static-pie executables segmented; EACCES; ...), with `segrun: PROG: reason` on stderr.
 * Without arguments: a usage line and status 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

#define PER_SEGMENTS 0x10000000UL

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: segrun PROG [ARGS...]\n"
                        "runs PROG with its memory in contiguous segments guarded by PMP\n");
        return 1;
    }
    /* 0xffffffff asks for the current persona without changing it. */
    int current = personality(0xffffffff);
    if (current == -1 || personality((unsigned long)current | PER_SEGMENTS) == -1) {
        fprintf(stderr, "segrun: personality: %s\n", strerror(errno));
        return 1;
    }
    /* PATH searched as execvp does, but without its fallback of running a file the kernel
     * refused (ENOEXEC) as a shell script: a program that cannot run segmented must fail
     * with ENOEXEC, not start /bin/sh (which cannot run segmented either). */
    int e = ENOENT;
    if (strchr(argv[1], '/')) {
        execv(argv[1], argv + 1);
        e = errno;
    } else {
        const char *path = getenv("PATH");
        if (!path || !*path)
            path = "/bin:/usr/bin";
        int seen = 0;
        while (*path) {
            size_t n = strcspn(path, ":");
            char file[4096];
            if (snprintf(file, sizeof file, "%.*s/%s", (int)n, n ? path : ".", argv[1]) <
                (int)sizeof file) {
                execv(file, argv + 1);
                /* Not there: try the next directory; anything else is the answer unless a
                 * later directory has it, as a shell reports. */
                if (errno != ENOENT && errno != ENOTDIR && !seen) {
                    e = errno;
                    seen = 1;
                }
            }
            path += n + (path[n] == ':');
        }
    }
    fprintf(stderr, "segrun: %s: %s\n", argv[1], strerror(e));
    return e == ENOENT ? 127 : 126;
}
