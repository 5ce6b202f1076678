/* A process whose pages go to swap while it waits, for the page-table snapshot tests
 * (tests/tests/lab_snapshots.rs). It forks a helper first (so that its own pages are
 * mapped once: a page mapped twice is kept active by reclaim), then maps PAGES pages
 * (argv[1], default 64) of anonymous memory, writes a pattern into each and waits in
 * getchar(): its pages are resident. Then it wakes the helper through a pipe; the helper
 * fills MIB MiB (argv[2], default 48), more than the machine has free, which pushes the
 * waiting parent's idle pages out to swap, and exits. The parent waits in getchar() again,
 * its pages in swap, and finally reads them all back and checks them (TAP lines). On a
 * machine with enough memory nothing goes out: the program still passes. */
#include "../pressure/pressure.h"
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  size_t pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
  size_t mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 48;
  int go[2];
  CHECK(pipe(go) == 0, "a pipe for the helper");
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(3);
    size_t n = mib * 1024 * 1024 / PAGE;
    uint64_t *big = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (big == MAP_FAILED) _exit(2);
    fill(big, 0, n, 9);
    _exit(0);
  }
  close(go[0]);
  uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(mem != MAP_FAILED, "mapped %zu pages", pages);
  if (mem == MAP_FAILED) return done();
  fill(mem, 0, pages, 5);
  printf("# resident, waiting\n");
  fflush(stdout);
  getchar();

  CHECK(write(go[1], "g", 1) == 1, "the helper is told to go");
  int st = 0;
  CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "the helper filled %zu MiB and exited", mib);
  printf("# after the pressure, waiting\n");
  fflush(stdout);
  getchar();

  CHECK(bad_pages(mem, 0, pages, 5) == 0, "all %zu pages read back as written", pages);
  return done();
}
