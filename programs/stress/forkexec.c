/* A fork/exec loop: N times, fork a child that execve()s a program (by default this one,
 * in its child role), wait for it, and check its exit status and what it wrote on a pipe.
 * Each child gets its iteration number as an argument, adds up the numbers 1..(i % 1000),
 * writes the sum as text on stdout (a pipe to the parent), and exits with i % 251. The
 * parent checks both, and prints one summary line with a checksum of every sum it read;
 * exit 0 when every check held, 1 otherwise.
 *
 * Usage: forkexec [N [RUNNER]] (default 1000 iterations). With RUNNER, each child runs
 * RUNNER SELF --child I instead of SELF --child I: under qemu-riscv64 (user mode) with no
 * binfmt_misc entry for riscv64, RUNNER is qemu-riscv64 itself, as binfmt_misc would have
 * started it. SELF is /proc/self/exe read at start (argv[0] when that fails). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(long i) {
  uint64_t sum = 0;
  for (long k = 1; k <= i % 1000; k++)
    sum += (uint64_t)k;
  printf("%llu\n", (unsigned long long)sum);
  return (int)(i % 251);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--child") == 0)
    return child(strtol(argv[2], NULL, 10));
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
  const char *runner = argc > 2 ? argv[2] : NULL;
  static char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len > 0)
    self[len] = 0;
  else
    snprintf(self, sizeof self, "%s", argv[0]);
  uint64_t checksum = 0;
  long bad = 0;
  for (long i = 0; i < n; i++) {
    int fds[2];
    if (pipe(fds) != 0) {
      perror("pipe");
      return 1;
    }
    char arg[32];
    snprintf(arg, sizeof arg, "%ld", i);
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      if (runner) {
        char *args[] = {(char *)runner, self, "--child", arg, NULL};
        execv(runner, args);
      } else {
        char *args[] = {self, "--child", arg, NULL};
        execv(self, args);
      }
      perror("execv");
      _exit(127);
    }
    close(fds[1]);
    char buf[64];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
      got += (size_t)r;
    buf[got] = 0;
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid) {
      perror("waitpid");
      return 1;
    }
    uint64_t m = (uint64_t)(i % 1000);
    uint64_t want = m * (m + 1) / 2;
    uint64_t sum = strtoull(buf, NULL, 10);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != i % 251 || sum != want) {
      if (bad++ < 5)
        fprintf(stderr, "forkexec: child %ld: status %#x, wrote '%s', expected exit %ld and %llu\n",
                i, status, buf, i % 251, (unsigned long long)want);
    }
    checksum = checksum * 31 + sum;
  }
  printf("forkexec: %ld children, %ld bad, checksum %016llx\n", n, bad,
         (unsigned long long)checksum);
  return bad != 0;
}
