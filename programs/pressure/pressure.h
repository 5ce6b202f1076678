/* What the memory-pressure checks share: reading /proc's counters, and a pattern of words
 * that depends on a seed and the page, written sparsely (a word every 256 bytes, so every
 * page is touched at little cost) and checked whole (the rest must read as zero). */
#ifndef PRESSURE_H
#define PRESSURE_H
#include "../tests/check.h"
#include <stdint.h>

#define PAGE 4096UL

/* The number after `key` on its line of a text file (/proc/vmstat's `name value`,
 * /proc/meminfo's and /proc/PID/status's `Label: value kB`, the colon part of the key);
 * 0 when absent. Lines of other shapes are passed over. */
static inline uint64_t proc_value(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  char line[256], k[64];
  unsigned long long v, out = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%63s %llu", k, &v) == 2 && strcmp(k, key) == 0) out = v;
  fclose(f);
  return out;
}

static inline uint64_t vmstat(const char *name) { return proc_value("/proc/vmstat", name); }

/* A /proc/meminfo value in kB, by its label with the colon ("SwapTotal:"). */
static inline uint64_t meminfo(const char *label) { return proc_value("/proc/meminfo", label); }

static inline uint64_t pattern_word(uint64_t seed, uint64_t page, uint64_t i) {
  uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ULL ^ (page << 24) ^ (i * 0x100000001b3ULL);
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ULL;
  return x ^ (x >> 32);
}

/* Writes the pattern into pages [from, to) of `mem`. */
static inline void fill(uint64_t *mem, size_t from, size_t to, uint64_t seed) {
  for (size_t p = from; p < to; p++)
    for (size_t i = 0; i < PAGE / 8; i += 32) mem[p * (PAGE / 8) + i] = pattern_word(seed, p, i);
}

/* Pages of [from, to) that differ from what `fill` wrote. */
static inline size_t bad_pages(const uint64_t *mem, size_t from, size_t to, uint64_t seed) {
  size_t bad = 0;
  for (size_t p = from; p < to; p++) {
    int wrong = 0;
    for (size_t i = 0; i < PAGE / 8; i++) {
      uint64_t want = i % 32 == 0 ? pattern_word(seed, p, i) : 0;
      if (mem[p * (PAGE / 8) + i] != want) wrong = 1;
    }
    bad += wrong;
  }
  return bad;
}
#endif
