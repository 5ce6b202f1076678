/* kswapd and direct reclaim (NOTES.md: background reclaim first, which does not block the
 * process; direct reclaim when free memory falls below the min watermark): a program that
 * allocates slowly — a page, then some work — is served by kswapd alone (pgscan_kswapd and
 * pgsteal_kswapd move, allocstall_normal does not); a memset over as much again also
 * enters direct reclaim (allocstall_normal, pgscan_direct move). Run with swap and RAM
 * smaller than MIB (argv[1], default 24) MiB. Prints TAP lines that depend on no address. */
#include "pressure.h"
#include <stdint.h>
#include <sys/mman.h>


static volatile uint64_t sink;

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 24;
  size_t pages = mib * 1024 * 1024 / PAGE;
  uint64_t stall0 = vmstat("allocstall_normal"), scank0 = vmstat("pgscan_kswapd");
  uint64_t stealk0 = vmstat("pgsteal_kswapd"), scand0 = vmstat("pgscan_direct");

  char *slow = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(slow != MAP_FAILED, "%zu MiB mapped", mib);
  for (size_t i = 0; i < pages; i++) {
    slow[i * PAGE] = 1;
    for (int j = 0; j < 8000; j++) sink += j; /* work between allocations */
  }
  uint64_t stall1 = vmstat("allocstall_normal");
  CHECK(vmstat("pgscan_kswapd") > scank0 && vmstat("pgsteal_kswapd") > stealk0,
        "allocating slowly past RAM, kswapd scanned and reclaimed");
  CHECK(stall1 == stall0, "and no allocation had to reclaim directly (allocstall_normal %llu)",
        (unsigned long long)(stall1 - stall0));

  char *fast = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(fast != MAP_FAILED, "another %zu MiB mapped", mib);
  memset(fast, 2, pages * PAGE);
  CHECK(vmstat("allocstall_normal") > stall1 && vmstat("pgscan_direct") > scand0,
        "a memset as large entered direct reclaim");
  size_t bad = 0;
  for (size_t i = 0; i < pages; i++) bad += slow[i * PAGE] != 1 || fast[i * PAGE + 7] != 2;
  CHECK(bad == 0, "every page reads back what was written");
  return done();
}
