/* rvmmu-build: static-pie (see seg_hello.c).
 *
 * Isolation between segmented processes, in two roles:
 *
 *   seg_isolation secret FILE   fills a 64 KiB anonymous mapping with a known pattern,
 *                               writes the mapping's address in hexadecimal to FILE (a
 *                               segmented process runs with satp = Bare: the address is
 *                               physical), prints `secret: ready` and waits. On SIGUSR1 it
 *                               checks the whole buffer and prints `secret: buffer
 *                               unchanged` (exit 0) or `secret: buffer changed` (exit 1).
 *   seg_isolation probe FILE read|write
 *                               reads the address from FILE and loads from (or stores
 *                               to) it. Segmented, that is another process's segment: no
 *                               PMP entry of the prober matches, so the access faults and
 *                               SIGSEGV kills the prober (status 139). If it does not fault
 *                               it prints what it found (`probe: no fault, the secret is
 *                               visible` or `... not visible`) and exits 1 or 3.
 *
 * Paged, the address is virtual and means something else in the prober's own address
 * space (often the prober's own mapping at the same place): the access may succeed, but
 * never shows the secret (exit 3). The lines name no address. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define WORDS (64 * 1024 / 8)

static uint64_t pattern(size_t i) { return 0x5345475345435245ull ^ (i * 0x9e3779b97f4a7c15ull); }

static volatile uint64_t *buffer;
static volatile sig_atomic_t check_now;

static void on_usr1(int sig) {
  (void)sig;
  check_now = 1;
}

static int secret(const char *file) {
  buffer = mmap(NULL, WORDS * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buffer == MAP_FAILED) {
    perror("secret: mmap");
    return 2;
  }
  for (size_t i = 0; i < WORDS; i++)
    buffer[i] = pattern(i);
  signal(SIGUSR1, on_usr1);
  FILE *f = fopen(file, "w");
  if (!f || fprintf(f, "%lx\n", (unsigned long)(uintptr_t)buffer) < 0 || fclose(f) != 0) {
    perror(file);
    return 2;
  }
  printf("secret: ready\n");
  fflush(stdout);
  while (!check_now)
    pause();
  for (size_t i = 0; i < WORDS; i++) {
    if (buffer[i] != pattern(i)) {
      printf("secret: buffer changed\n");
      return 1;
    }
  }
  printf("secret: buffer unchanged\n");
  return 0;
}

static int probe(const char *file, const char *how) {
  FILE *f = fopen(file, "r");
  unsigned long addr;
  if (!f || fscanf(f, "%lx", &addr) != 1) {
    perror(file);
    return 2;
  }
  fclose(f);
  volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
  int write = strcmp(how, "write") == 0;
  printf("probe: %s the other process's buffer\n", write ? "writing to" : "reading");
  fflush(stdout);
  uint64_t seen = write ? (p[0] = 0, p[1]) : p[0];
  int visible = seen == pattern(write ? 1 : 0);
  printf("probe: no fault, the secret is %s\n", visible ? "visible" : "not visible");
  return visible ? 1 : 3;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "secret") == 0)
    return secret(argv[2]);
  if (argc == 4 && strcmp(argv[1], "probe") == 0 &&
      (strcmp(argv[3], "read") == 0 || strcmp(argv[3], "write") == 0))
    return probe(argv[2], argv[3]);
  fprintf(stderr, "usage: seg_isolation secret FILE | seg_isolation probe FILE read|write\n");
  return 2;
}
