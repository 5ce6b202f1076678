/* swapoff when memory runs out: the parent fills MIB MiB (argv[1]), more than RAM, so that
 * much of it is in swap; a child that maps nothing of it calls swapoff, which brings pages
 * back until no frame is left. The OOM killer then chooses the child (init, the parent, is
 * exempt), so its swapoff fails with ENOMEM and it ends by SIGKILL; the area must stay
 * enabled with the rest of the parent's pages in it, and the parent must read all of its
 * memory intact. Needs a kernel with one swap area on /dev/vda (rvmmu's `run --swap`).
 * TAP output (check.h). */
#define _GNU_SOURCE
#include "pressure.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>


static uint64_t word(size_t i) { return i * 0x9e3779b97f4a7c15ULL + 7; }

int main(int argc, char **argv) {
  size_t words = (argc > 1 ? strtoul(argv[1], NULL, 0) : 24) << 17;
  uint64_t *m = mmap(NULL, words * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    CHECK(0, "mmap");
    return done();
  }
  for (size_t i = 0; i < words; i += 512) m[i] = word(i);
  uint64_t used = meminfo("SwapTotal:") - meminfo("SwapFree:");
  CHECK(used > 0, "swap is in use");

  /* kswapd may go on writing pages out after the fill, so what swapoff started from is
   * measured by the child just before it calls it, and handed back through a shared page. */
  volatile uint64_t *before = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(before != MAP_FAILED, "a shared page for the child's measure");
  if (before == MAP_FAILED) return done();
  pid_t child = fork();
  if (child == 0) {
    munmap(m, words * 8);
    *before = meminfo("SwapTotal:") - meminfo("SwapFree:");
    _exit(swapoff("/dev/vda") == 0 ? 0 : errno);
  }
  int st = 0;
  CHECK(waitpid(child, &st, 0) == child, "the child ended");
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the OOM killer ended the child in its swapoff");
  uint64_t left = meminfo("SwapTotal:") - meminfo("SwapFree:");
  CHECK(meminfo("SwapTotal:") > 0, "the area is still enabled");
  printf("# swap in use: %llu kB after the fill, %llu kB as swapoff began, %llu kB after it\n",
         (unsigned long long)used, (unsigned long long)*before, (unsigned long long)left);
  CHECK(left > 0 && left < *before, "some pages came back, the rest is still in swap");
  size_t bad = 0;
  for (size_t i = 0; i < words; i += 512) bad += m[i] != word(i);
  CHECK(bad == 0, "the parent reads all of its memory intact");
  return done();
}
