/* Shared anonymous memory under pressure: a parent maps S MiB (argv[1]) MAP_SHARED |
 * MAP_ANONYMOUS, fills it with a pattern and forks a child; then it fills P MiB (argv[2]) of
 * private memory, more than the machine has beside S, so that shared pages must go to swap
 * (Shmem falls, pswpout moves) and no process is killed. The child reads the shared area back
 * intact (major faults), writes a new pattern into its first half and exits; the parent reads
 * the child's half and its own other half, pushes everything out again with P more MiB, and
 * reads both halves once more: the pages stayed shared through swap. Last, with the shared
 * pages pushed out once more, swapoff of /dev/vda must bring them back into the object
 * (Shmem whole again, the area intact), and swapon enables the area again. Needs less RAM
 * than S + P and one swap area on /dev/vda for the rest (rvmmu's `run --mem 16M --swap 64M`,
 * or QEMU virt with a swap disk). TAP output (check.h) that depends on no address; the
 * counters' totals as `#` lines. */
#define _GNU_SOURCE
#include "pressure.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fills then checks P pages of new private memory, and gives them back. */
static int push(size_t pages, uint64_t seed) {
  uint64_t *b = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (b == MAP_FAILED) return 0;
  fill(b, 0, pages, seed);
  int ok = bad_pages(b, 0, pages, seed) == 0;
  munmap(b, pages * PAGE);
  return ok;
}

int main(int argc, char **argv) {
  size_t s_pages = (argc > 1 ? strtoul(argv[1], NULL, 0) : 10) << 8;
  size_t p_pages = (argc > 2 ? strtoul(argv[2], NULL, 0) : 24) << 8;
  size_t half = s_pages / 2;

  uint64_t *s = mmap(NULL, s_pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) {
    CHECK(0, "mmap of the shared area");
    return done();
  }
  fill(s, 0, s_pages, 1);
  uint64_t shmem0 = meminfo("Shmem:");
  CHECK(shmem0 >= s_pages * 4, "Shmem counts the shared area (%llu kB)", (unsigned long long)shmem0);

  /* The child waits for the parent's push, then checks the area and writes its first half:
   * exit status 0 when all was well. */
  int go[2];
  if (pipe(go) != 0) return 2;
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(3);
    uint64_t maj0 = vmstat("pgmajfault");
    if (bad_pages(s, 0, s_pages, 1) != 0) _exit(1);
    if (vmstat("pgmajfault") == maj0) _exit(5);
    fill(s, 0, half, 2);
    _exit(bad_pages(s, 0, half, 2) == 0 ? 0 : 4);
  }
  close(go[0]);
  CHECK(child > 0, "fork");

  uint64_t out0 = vmstat("pswpout");
  CHECK(push(p_pages, 3), "the private memory reads back");
  CHECK(vmstat("pswpout") > out0, "pages went to swap (pswpout moved)");
  uint64_t shmem1 = meminfo("Shmem:");
  CHECK(shmem1 < shmem0 / 2, "most shared pages left memory (Shmem %llu kB, was %llu kB)",
        (unsigned long long)shmem1, (unsigned long long)shmem0);

  int st = -1;
  CHECK(write(go[1], "g", 1) == 1 && waitpid(child, &st, 0) == child, "the child ran");
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "the child read the shared area back intact (major faults) and wrote its first half (status %#x)", st);
  CHECK(bad_pages(s, 0, half, 2) == 0, "the parent sees the child's writes");
  CHECK(bad_pages(s, half, s_pages, 1) == 0, "the parent reads its other half intact");

  out0 = vmstat("pswpout");
  uint64_t maj0 = vmstat("pgmajfault");
  CHECK(push(p_pages, 4), "the private memory reads back a second time");
  CHECK(vmstat("pswpout") > out0, "pages went to swap again");
  CHECK(bad_pages(s, 0, half, 2) == 0 && bad_pages(s, half, s_pages, 1) == 0,
        "the shared area reads back intact a second time");
  CHECK(vmstat("pgmajfault") > maj0, "it came back from swap (pgmajfault moved)");

  CHECK(push(p_pages, 5), "the private memory reads back a third time");
  uint64_t shmem2 = meminfo("Shmem:");
  uint64_t in0 = vmstat("pswpin");
  CHECK(swapoff("/dev/vda") == 0, "swapoff with shared pages in swap (errno %d)", errno);
  CHECK(meminfo("SwapTotal:") == 0, "SwapTotal is 0");
  CHECK(meminfo("Shmem:") >= s_pages * 4, "swapoff brought the shared pages back (Shmem %llu kB, was %llu kB)",
        (unsigned long long)meminfo("Shmem:"), (unsigned long long)shmem2);
  CHECK(vmstat("pswpin") > in0, "swapoff read them (pswpin moved)");
  CHECK(bad_pages(s, 0, half, 2) == 0 && bad_pages(s, half, s_pages, 1) == 0,
        "the shared area reads back intact after swapoff");
  CHECK(swapon("/dev/vda", 0) == 0, "swapon enables the area again");
  CHECK(munmap(s, s_pages * PAGE) == 0, "munmap of the shared area");
  printf("# pswpout %llu pswpin %llu pgmajfault %llu\n", (unsigned long long)vmstat("pswpout"),
         (unsigned long long)vmstat("pswpin"), (unsigned long long)vmstat("pgmajfault"));
  return done();
}
