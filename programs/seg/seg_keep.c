/* rvmmu-build: static-pie (segmented mode needs one: docs/KERNEL.md, "Segment memory").
 *
 * seg_keep [-s] NAME MIB SECONDS: with -s, first asks for segmented mode (personality bit
 * PER_SEGMENTS = 0x10000000, which Linux keeps and ignores) and executes itself again (as
 * /bin/segrun would); then holds MIB MiB of anonymous memory (one contiguous segment when
 * run segmented), fills it with a pattern that depends on NAME and on each word's offset,
 * prints `NAME: MIB MiB filled`, sleeps SECONDS (the kernel may swap its segments out
 * whole meanwhile, when another segmented program needs the room), then checks every word
 * and prints `NAME: MIB MiB intact` (exit 0) or `NAME: word N differs` (exit 1). Nothing
 * printed depends on an address: the lines are the same segmented, paged and under
 * qemu-riscv64. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <time.h>
#include <unistd.h>

static uint64_t pattern(uint64_t i, uint64_t seed) {
  return (i ^ seed) * 0x9e3779b97f4a7c15ull;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "-s") == 0) {
    personality(0x10000000);
    argv[1] = argv[0];
    execv(argv[0], argv + 1);
    perror("seg_keep: execv");
    return 127;
  }
  if (argc != 4) {
    fprintf(stderr, "usage: seg_keep [-s] NAME MIB SECONDS\n");
    return 2;
  }
  const char *name = argv[1];
  unsigned long mib = strtoul(argv[2], NULL, 10);
  long seconds = strtol(argv[3], NULL, 10);
  if (mib == 0 || mib > 4096 || seconds < 0) {
    fprintf(stderr, "seg_keep: bad MIB or SECONDS\n");
    return 2;
  }
  size_t words = (mib << 20) / sizeof(uint64_t);
  uint64_t *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    printf("%s: cannot allocate %lu MiB\n", name, mib);
    return 1;
  }
  uint64_t seed = 0;
  for (const char *c = name; *c; c++)
    seed = seed * 131 + (unsigned char)*c;
  for (size_t i = 0; i < words; i++)
    p[i] = pattern(i, seed);
  printf("%s: %lu MiB filled\n", name, mib);
  fflush(stdout);
  struct timespec ts = {seconds, 0};
  while (nanosleep(&ts, &ts) != 0) {
  }
  for (size_t i = 0; i < words; i++) {
    if (p[i] != pattern(i, seed)) {
      printf("%s: word %zu differs\n", name, i);
      return 1;
    }
  }
  printf("%s: %lu MiB intact\n", name, mib);
  return 0;
}
