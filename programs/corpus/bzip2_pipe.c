/*
 * bzip2_pipe: round-trips a file through bzip2's own command-line program, connected by
 * pipes as a shell would:  BZIP2 -c -1 FILE | BZIP2 -d -c. Usage:
 *
 *     bzip2_pipe BZIP2 FILE
 *
 * Prints the sizes, a 64-bit FNV-1a digest of the compressed stream (bzip2's output does
 * not depend on the C library, so the digest can be compared with Linux's), and whether
 * the decompressed bytes are FILE's. Exits 0 when they are and both bzip2 runs exit 0.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads everything from fd into a growing buffer; returns its length, -1 on error. */
static long slurp(int fd, unsigned char **buf) {
    size_t cap = 1 << 16, len = 0;
    *buf = malloc(cap);
    if (*buf == NULL)
        return -1;
    for (;;) {
        if (len == cap) {
            cap *= 2;
            unsigned char *b = realloc(*buf, cap);
            if (b == NULL)
                return -1;
            *buf = b;
        }
        ssize_t n = read(fd, *buf + len, cap - len);
        if (n < 0)
            return -1;
        if (n == 0)
            return (long)len;
        len += (size_t)n;
    }
}

/* Forks argv[0] with argv, stdin from `in` (or inherited when -1), stdout to `out`; the
 * child closes `other1` and `other2` (when >= 0): the pipes' ends it must not hold, or the
 * reader of its stdin would never see end of file. */
static pid_t spawn(char *const argv[], int in, int out, int other1, int other2) {
    pid_t pid = fork();
    if (pid == 0) {
        if (in >= 0 && dup2(in, 0) < 0)
            _exit(126);
        if (dup2(out, 1) < 0)
            _exit(126);
        if (in >= 0)
            close(in);
        close(out);
        if (other1 >= 0)
            close(other1);
        if (other2 >= 0)
            close(other2);
        execv(argv[0], argv);
        perror("bzip2_pipe: execv");
        _exit(127);
    }
    return pid;
}

static int exited_ok(pid_t pid) {
    int status;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s BZIP2 FILE\n", argv[0]);
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    unsigned char *orig, *packed, *back;
    long n_orig = fd < 0 ? -1 : slurp(fd, &orig);
    if (n_orig < 0) {
        perror("bzip2_pipe: reading FILE");
        return 1;
    }
    close(fd);

    /* BZIP2 -c -1 FILE > pipe */
    int p1[2];
    if (pipe(p1) < 0)
        return 1;
    char *compress[] = {argv[1], "-c", "-1", argv[2], NULL};
    pid_t a = spawn(compress, -1, p1[1], p1[0], -1);
    close(p1[1]);
    long n_packed = slurp(p1[0], &packed);
    close(p1[0]);
    int a_ok = exited_ok(a);

    /* a writer child | BZIP2 -d -c > pipe */
    int p2[2], p3[2];
    if (pipe(p2) < 0 || pipe(p3) < 0)
        return 1;
    char *decompress[] = {argv[1], "-d", "-c", NULL};
    pid_t b = spawn(decompress, p2[0], p3[1], p2[1], p3[0]);
    close(p2[0]);
    close(p3[1]);
    pid_t w = fork();
    if (w == 0) {
        close(p3[0]);
        for (long off = 0; off < n_packed;) {
            ssize_t k = write(p2[1], packed + off, (size_t)(n_packed - off));
            if (k <= 0)
                _exit(1);
            off += k;
        }
        _exit(0);
    }
    close(p2[1]);
    long n_back = slurp(p3[0], &back);
    close(p3[0]);
    int b_ok = exited_ok(b), w_ok = exited_ok(w);

    uint64_t h = 0xcbf29ce484222325ull;
    for (long i = 0; i < n_packed; i++)
        h = (h ^ packed[i]) * 0x100000001b3ull;
    int same = n_back == n_orig && memcmp(back, orig, (size_t)n_orig) == 0;
    printf("bzip2: in=%ld compressed=%ld fnv=%016llx\n", n_orig, n_packed, (unsigned long long)h);
    printf("bzip2: exits %s %s %s, round trip %s\n", a_ok ? "0" : "failed", b_ok ? "0" : "failed",
           w_ok ? "0" : "failed", same ? "identical" : "DIFFERS");
    return a_ok && b_ok && w_ok && same ? 0 : 1;
}
