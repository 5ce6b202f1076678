/* A memory-pressure run that ends by printing the kernel's own counters: NPROC processes
 * (argv[1]) at once each fill MIB MiB (argv[2]) of anonymous memory with a pattern and read
 * it back; with more than the machine has, pages go to swap and come back, or (no swap) the
 * OOM killer ends some of them. The parent waits for them all, checks that each either
 * read back what it wrote or was killed by SIGKILL, then prints /proc/vmstat whole as its
 * last act, after its TAP lines and a "# /proc/vmstat" line. Nothing faults after the read
 * (the buffer is touched before it), so a count of the run's events at its end matches
 * what the file said: rvmmu's --stats is compared with it. */
#include "pressure.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int worker(size_t pages, uint64_t seed) {
  uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 2;
  fill(mem, 0, pages, seed);
  return bad_pages(mem, 0, pages, seed) == 0 ? 0 : 1;
}

static char text[16384];

/* write(1, buf, n) then exit_group(status), as system calls made right here: glibc's write
 * and exit code may lie on pages not touched yet, whose first use would fault after the
 * read (riscv64 Linux: write is 64, exit_group 94). */
static void __attribute__((noreturn)) sys_write_exit(const char *buf, long n, int status) {
  register long a0 __asm__("a0") = 1;
  register long a1 __asm__("a1") = (long)buf;
  register long a2 __asm__("a2") = n;
  register long a7 __asm__("a7") = 64;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  register long b0 __asm__("a0") = status;
  register long b7 __asm__("a7") = 94;
  __asm__ volatile("ecall" : : "r"(b0), "r"(b7) : "memory");
  __builtin_unreachable();
}

int main(int argc, char **argv) {
  int nproc = argc > 1 ? atoi(argv[1]) : 2;
  size_t mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 8;
  size_t pages = mib * 1024 * 1024 / PAGE;
  pid_t pids[32];
  if (nproc > 32) nproc = 32;
  for (int i = 0; i < nproc; i++) {
    pids[i] = fork();
    if (pids[i] == 0) _exit(worker(pages, 77 + i));
  }
  int intact = 0, killed = 0;
  for (int i = 0; i < nproc; i++) {
    int st = 0;
    if (waitpid(pids[i], &st, 0) != pids[i]) continue;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) intact++;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) killed++;
  }
  CHECK(intact + killed == nproc, "each of %d workers read back its %zu MiB or was killed by SIGKILL",
        nproc, mib);
  printf("# intact %d killed %d\n", intact, killed);
  int status = done();
  printf("# /proc/vmstat\n");
  fflush(stdout);
  /* The last act: read the file into memory that is present already, write it out, end. */
  memset(text, 0, sizeof text);
  int fd = open("/proc/vmstat", O_RDONLY);
  ssize_t n = 0, got;
  while (fd >= 0 && n < (ssize_t)sizeof text && (got = read(fd, text + n, sizeof text - n)) > 0)
    n += got;
  sys_write_exit(text, n, status);
}
