/* A malloc/realloc/calloc/free stress test: 512 slots, sizes up to 2 MiB, driven by a
 * fixed-seed generator, so that every C library and every kernel sees the same sequence of
 * requests. Each block is filled with bytes derived from its slot and a sequence number and
 * checked before every realloc (the kept prefix must survive the move) and every free.
 * Prints one summary line and a checksum of everything it checked; exit 0 when every check
 * held, 1 otherwise.
 *
 * Usage: alloc_stress [ROUNDS [SEED [MAX_SIZE]]] (defaults: 20000 rounds, seed 1, blocks up to
 * 2 MiB; a smaller MAX_SIZE makes a short run cheaper). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512
static size_t max_size = 2u << 20;

static uint64_t state;

/* splitmix64: small, and the same on every host. */
static uint64_t next(void) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Mostly small blocks, some medium, a few up to 2 MiB: what an allocator sees in practice,
 * with the large ones reaching its mmap threshold. */
static size_t pick_size(void) {
  uint64_t r = next();
  switch (r % 16) {
  case 0: return (size_t)(next() % max_size) + 1;
  case 1: case 2: return (size_t)(next() % (max_size / 8)) + 1;
  case 3: case 4: case 5: return (size_t)(next() % 16384) + 1;
  default: return (size_t)(next() % 512) + 1;
  }
}

struct slot {
  unsigned char *p;
  size_t size;
  uint32_t seq;
};

static struct slot slots[SLOTS];
static uint64_t checksum;
static unsigned long bad;

static unsigned char byte_at(unsigned s, uint32_t seq, size_t i) {
  return (unsigned char)((s * 131u) ^ (seq * 7u) ^ (unsigned)(i * 2654435761u >> 13));
}

static void fill(unsigned s, size_t from) {
  struct slot *sl = &slots[s];
  for (size_t i = from; i < sl->size; i++)
    sl->p[i] = byte_at(s, sl->seq, i);
}

/* Checks the first `n` bytes of slot s; adds them to the checksum (sampled: every 61st
 * byte, and the last). */
static void check(unsigned s, size_t n, const char *when) {
  struct slot *sl = &slots[s];
  for (size_t i = 0; i < n; i++) {
    if (sl->p[i] != byte_at(s, sl->seq, i)) {
      if (bad++ < 10)
        printf("bad byte: slot %u offset %zu of %zu (%s)\n", s, i, sl->size, when);
      return;
    }
    if (i % 61 == 0 || i + 1 == n)
      checksum = checksum * 31 + sl->p[i] + i;
  }
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 20000;
  state = argc > 2 ? strtoull(argv[2], 0, 0) : 1;
  if (argc > 3 && atol(argv[3]) >= 64)
    max_size = (size_t)atol(argv[3]);
  unsigned long mallocs = 0, callocs = 0, grows = 0, shrinks = 0, frees = 0;
  for (long r = 0; r < rounds; r++) {
    unsigned s = (unsigned)(next() % SLOTS);
    struct slot *sl = &slots[s];
    unsigned op = (unsigned)(next() % 8);
    if (!sl->p) {
      size_t n = pick_size();
      if (op == 0) {
        sl->p = calloc(n, 1);
        callocs++;
        if (sl->p)
          for (size_t i = 0; i < n; i++)
            if (sl->p[i]) {
              if (bad++ < 10)
                printf("calloc not zero: slot %u offset %zu\n", s, i);
              break;
            }
      } else {
        sl->p = malloc(n);
        mallocs++;
      }
      if (!sl->p) {
        printf("out of memory: %zu bytes\n", n);
        return 1;
      }
      sl->size = n;
      sl->seq = (uint32_t)r;
      fill(s, 0);
    } else if (op < 3) {
      check(s, sl->size, "free");
      free(sl->p);
      sl->p = 0;
      frees++;
    } else {
      size_t n = op < 6 ? sl->size + pick_size() : (sl->size / 2) + 1;
      if (n > max_size)
        n = max_size;
      check(s, sl->size, "realloc");
      unsigned char *q = realloc(sl->p, n);
      if (!q) {
        printf("realloc to %zu failed\n", n);
        return 1;
      }
      sl->p = q;
      check(s, n < sl->size ? n : sl->size, "after realloc");
      if (n > sl->size)
        grows++;
      else
        shrinks++;
      size_t old = sl->size;
      sl->size = n;
      if (n > old)
        fill(s, old);
    }
  }
  for (unsigned s = 0; s < SLOTS; s++)
    if (slots[s].p) {
      check(s, slots[s].size, "final");
      free(slots[s].p);
      frees++;
    }
  printf("alloc_stress: %ld rounds, blocks up to %zu, %lu malloc, %lu calloc, %lu grow, %lu shrink, %lu free, "
         "checksum %016llx, %lu bad\n",
         rounds, max_size, mallocs, callocs, grows, shrinks, frees, (unsigned long long)checksum, bad);
  return bad ? 1 : 0;
}
