/* rvmmu-build: static-pie (see seg_hello.c).
 *
 * memhog NAME MIB: the notes' "game", "browser" and "music" — a program that holds MIB MiB.
 * It maps MIB MiB of anonymous memory (segmented: one contiguous physical segment) with
 * MAP_POPULATE, so that paged every page is present at once, as a store to each would make
 * it (without a page fault per page: a run of many hundreds of MiB stays quick), writes to
 * every page, prints `NAME: MIB MiB ready` and waits for a signal that ends it (pause()). When the memory cannot be had it prints
 * `NAME: cannot allocate MIB MiB` on stderr and exits 1. Nothing printed depends on an
 * address, so the lines are the same segmented, paged and under qemu-riscv64. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char *end = NULL;
  unsigned long mib = argc == 3 ? strtoul(argv[2], &end, 10) : 0;
  if (argc != 3 || *argv[2] == '\0' || *end != '\0' || mib == 0 || mib > (1ul << 20)) {
    fprintf(stderr, "usage: memhog NAME MIB (MIB a number of MiB, 1 to 1048576)\n");
    return 2;
  }
  const char *name = argv[1];
  size_t bytes = mib << 20;
  volatile char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) {
    fprintf(stderr, "%s: cannot allocate %lu MiB\n", name, mib);
    return 1;
  }
  /* One store a page: every page written, none left to lazy allocation. */
  long page = sysconf(_SC_PAGESIZE);
  for (size_t off = 0; off < bytes; off += (size_t)page)
    p[off] = (char)(off >> 12);
  p[bytes - 1] = 1;
  printf("%s: %lu MiB ready\n", name, mib);
  fflush(stdout);
  for (;;)
    pause();
}
