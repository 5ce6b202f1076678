/* rvmmu-build: static-pie (tests/build.rs and emu/build.rs link programs/seg/ with zig cc
 * -target riscv64-linux-musl -static -fPIE -pie: only static-pie programs run segmented).
 *
 * seg_hello [ARGS...]: a program that prints the same whether it runs segmented (`segrun
 * seg_hello`, `rvmmu run --segments seg_hello`), paged, or under qemu-riscv64: TAP lines
 * (programs/tests/check.h) that depend on no address. It exercises what a segmented process
 * has: stdio, malloc of small blocks and of large ones (musl's mallocng takes both from
 * mmap, its meta areas from brk), brk itself, a relocated string table, argv, the
 * environment and some computation in text, data, bss, heap and stack. */
#include "../tests/check.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

/* A string table: pointers in data, relocated at start-up (R_RISCV_RELATIVE). */
static const char *const planets[] = {"mercury", "venus", "earth", "mars",
                                      "jupiter", "saturn", "uranus", "neptune"};
static const int moons[] = {0, 0, 1, 2, 95, 146, 28, 16};

/* bss, written and read back. */
static uint32_t sieve_bits[(1 << 16) / 32];

static int primes_below(uint32_t n) {
  int count = 0;
  for (uint32_t i = 2; i < n; i++) {
    if (sieve_bits[i / 32] & (1u << (i % 32)))
      continue;
    count++;
    for (uint64_t j = (uint64_t)i * i; j < n; j += i)
      sieve_bits[j / 32] |= 1u << (j % 32);
  }
  return count;
}

static uint32_t crc32(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xedb88320u & -(c & 1));
  }
  return ~c;
}

/* Recursion: stack frames. */
static uint64_t fib(int n) { return n < 2 ? (uint64_t)n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
  printf("# seg_hello: %d argument(s)\n", argc - 1);
  for (int i = 1; i < argc; i++)
    printf("# argv[%d] = %s\n", i, argv[i]);

  /* The string table. */
  int total = 0;
  size_t letters = 0;
  for (size_t i = 0; i < sizeof planets / sizeof planets[0]; i++) {
    total += moons[i];
    letters += strlen(planets[i]);
  }
  CHECK(strcmp(planets[2], "earth") == 0 && total == 288 && letters == 47,
        "a relocated string table: 8 planets, 47 letters, 288 moons");

  /* Small blocks, of four sizes. (mallocng takes a group of slots per size class from
   * mmap, and a segmented process has a segment per mapping and a PMP entry or two per
   * segment, 16 in all: a few size classes, not dozens.) */
  enum { SMALL = 400 };
  char **blocks = malloc(SMALL * sizeof *blocks);
  int small_ok = blocks != NULL;
  for (int i = 0; small_ok && i < SMALL; i++) {
    int size = 16 + (i % 4) * 40;
    blocks[i] = malloc(size);
    if (!blocks[i]) {
      small_ok = 0;
      break;
    }
    memset(blocks[i], i & 0xff, size);
  }
  for (int i = 0; small_ok && i < SMALL; i++) {
    for (int k = 0; k < 16 + (i % 4) * 40; k++)
      if ((unsigned char)blocks[i][k] != (i & 0xff))
        small_ok = 0;
    free(blocks[i]);
  }
  free(blocks);
  CHECK(small_ok, "%d small blocks of 4 sizes allocated, filled, checked and freed", SMALL);

  /* A large block, through mmap: 2 MiB, a word written every 64 bytes and summed. */
  size_t big = 2u << 20;
  uint64_t *large = malloc(big);
  int large_ok = large != NULL;
  if (large_ok) {
    uint64_t sum = 0, want = 0;
    for (size_t i = 0; i < big / 8; i += 8) {
      large[i] = i * 7 + 3;
      want += i * 7 + 3;
    }
    for (size_t i = 0; i < big / 8; i += 8)
      sum += large[i];
    large_ok = sum == want && large[big / 8 - 8] == (big / 8 - 8) * 7 + 3;
    printf("# crc32 of the 2 MiB block's first page: %08x\n", crc32((unsigned char *)large, 4096));
    free(large);
  }
  CHECK(large_ok, "a 2 MiB block (mmap) filled and checked");

  /* realloc keeps the contents. */
  char *grow = malloc(100);
  int grow_ok = grow != NULL;
  if (grow_ok) {
    strcpy(grow, "segments");
    grow = realloc(grow, 1 << 20);
    grow_ok = grow && strcmp(grow, "segments") == 0;
    free(grow);
  }
  CHECK(grow_ok, "realloc from 100 bytes to 1 MiB keeps the contents");

  /* brk itself (musl's sbrk refuses to move it: the system call directly). brk answers
   * with the new break, or with the old one when it cannot move it; either is allowed
   * here (the rvmmu kernel puts a static-pie's break right below its [vdso] page, where it
   * cannot grow, when Linux lets it grow; a segmented break grows only if its segment can).
   * When it moved, the memory must be usable and the break must go back. */
  uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
  uintptr_t want = start + (64 << 10);
  uintptr_t now = (uintptr_t)syscall(SYS_brk, want);
  int brk_ok = now == want || now == start;
  if (now == want) {
    volatile unsigned char *p = (unsigned char *)start;
    for (size_t i = 0; i < (64 << 10); i += 512)
      p[i] = (unsigned char)i;
    for (size_t i = 0; i < (64 << 10); i += 512)
      if (p[i] != (unsigned char)i)
        brk_ok = 0;
    brk_ok = brk_ok && (uintptr_t)syscall(SYS_brk, start) == start;
  }
  CHECK(brk_ok, "brk(+64 KiB) returns the new or the old break; memory below a new one is "
                "usable and the break goes back");

  /* An anonymous mapping of its own, and munmap. */
  char *m = mmap(NULL, 256 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int map_ok = m != MAP_FAILED;
  if (map_ok) {
    for (size_t i = 0; i < (256 << 10); i += 4096)
      map_ok &= m[i] == 0;
    memset(m, 'x', 256 << 10);
    map_ok &= m[(256 << 10) - 1] == 'x' && munmap(m, 256 << 10) == 0;
  }
  CHECK(map_ok, "mmap of 256 KiB gives zeroed, writable memory; munmap");

  /* The environment. */
  CHECK(environ != NULL && setenv("SEG_HELLO", "segmented or not", 1) == 0 &&
            strcmp(getenv("SEG_HELLO"), "segmented or not") == 0,
        "setenv and getenv");

  /* Computation: bss, stack. */
  int primes = primes_below(1 << 16);
  CHECK(primes == 6542, "6542 primes below 2^16 (the sieve in bss): %d", primes);
  uint64_t f = fib(20);
  CHECK(f == 6765, "fib(20) = 6765 by recursion: %llu", (unsigned long long)f);
  const char *text = "The quick brown fox jumps over the lazy dog";
  uint32_t c = crc32((const unsigned char *)text, strlen(text));
  CHECK(c == 0x414fa339u, "crc32 of the fox sentence: %08x", c);

  /* Arguments: the vector ends with a null pointer; the words are joined back. */
  size_t joined = 0;
  for (int i = 1; i < argc; i++)
    joined += strlen(argv[i]);
  CHECK(argv[argc] == NULL, "argv[%d] is NULL; the arguments have %zu characters", argc, joined);
  return done();
}
