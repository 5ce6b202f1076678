/* swapoff with pages in use: a parent fills A MiB (argv[1]) with a pattern and forks a child,
 * so that A's pages are shared copy-on-write; then it fills B MiB (argv[2]), more than the
 * machine has, so that pages (A's among them, each slot used by both processes) go to swap,
 * and unmaps B. swapoff of /dev/vda must then bring every page back: it succeeds, /proc/swaps
 * lists no area, SwapTotal is 0, and both processes read A intact; the child's writes after
 * that stay its own. swapon enables the area again. Needs a kernel with one swap area on
 * /dev/vda and less RAM than A + B (rvmmu's `run --swap`, or QEMU virt with a swap disk).
 * TAP output (check.h) that depends on no address. */
#define _GNU_SOURCE
#include "pressure.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>



/* The lines of /proc/swaps after its header. */
static int swap_areas(void) {
  FILE *f = fopen("/proc/swaps", "r");
  char line[256];
  int n = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) n++;
  fclose(f);
  return n;
}




int main(int argc, char **argv) {
  size_t a_pages = (argc > 1 ? strtoul(argv[1], NULL, 0) : 8) << 8;
  size_t b_pages = (argc > 2 ? strtoul(argv[2], NULL, 0) : 24) << 8;

  CHECK(swap_areas() == 1, "one swap area at the start");
  uint64_t *a = mmap(NULL, a_pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint64_t *b = mmap(NULL, b_pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED || b == MAP_FAILED) {
    CHECK(0, "mmap of A and B");
    return done();
  }
  fill(a, 0, a_pages, 1);

  /* The child waits for the parent's swapoff, then checks A, writes its own copy of a quarter
   * of it and checks that again: exit status 0 when all was well. */
  int go[2];
  if (pipe(go) != 0) return 2;
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(3);
    if (bad_pages(a, 0, a_pages, 1) != 0) _exit(1);
    /* A quarter of A: copying all of it would not fit in RAM without swap. */
    size_t own = a_pages / 4;
    fill(a, 0, own, 2);
    _exit(bad_pages(a, 0, own, 2) == 0 && bad_pages(a, own, a_pages, 1) == 0 ? 0 : 4);
  }
  close(go[0]);
  CHECK(child > 0, "fork");

  uint64_t out0 = vmstat("pswpout");
  fill(b, 0, b_pages, 3);
  CHECK(bad_pages(b, 0, b_pages, 3) == 0, "B reads back");
  CHECK(vmstat("pswpout") > out0, "pages went to swap (pswpout moved)");
  munmap(b, b_pages * PAGE);
  uint64_t used = meminfo("SwapTotal:") - meminfo("SwapFree:");
  CHECK(used > 0, "swap is in use with B unmapped (A's pages)");

  uint64_t in0 = vmstat("pswpin");
  errno = 0;
  CHECK(swapoff("/dev/vda") == 0, "swapoff of the area in use");
  CHECK(swap_areas() == 0, "/proc/swaps lists no area");
  CHECK(meminfo("SwapTotal:") == 0 && meminfo("SwapFree:") == 0, "SwapTotal and SwapFree are 0");
  CHECK(vmstat("pswpin") > in0, "swapoff read the pages back (pswpin moved)");
  CHECK(bad_pages(a, 0, a_pages, 1) == 0, "the parent reads A intact");

  int st = -1;
  CHECK(write(go[1], "g", 1) == 1 && waitpid(child, &st, 0) == child, "the child ran");
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child read A intact and wrote its own copy of a quarter (status %#x)", st);
  CHECK(bad_pages(a, 0, a_pages, 1) == 0, "the child's writes did not reach the parent");

  CHECK(swapon("/dev/vda", 0) == 0 && swap_areas() == 1, "swapon enables the area again");
  return done();
}
