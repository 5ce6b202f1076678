/* The program break, through the raw system call (glibc's brk()/sbrk() hide its answers):
 * brk(addr) returns the new break, or the old one when it refuses. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

#define PG 4096UL

static uintptr_t sys_brk(uintptr_t addr) { return (uintptr_t)syscall(SYS_brk, addr); }

int main(void) {
  /* stdio must not take its buffer from malloc, which would move the break under the test. */
  static char outbuf[4096];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  uintptr_t start = sys_brk(0);
  CHECK(start != 0, "brk(0) returns the current break");
  CHECK(sys_brk(0) == start, "and asking again gives the same");

  uintptr_t want = start + 100 * PG + 123;
  CHECK(sys_brk(want) == want, "growing by 100 pages and a bit returns the new break");
  char *p = (char *)start;
  int zero = 1;
  for (uintptr_t i = 0; i < want - start; i += 512)
    zero &= p[i] == 0;
  CHECK(zero, "the new memory reads as zero");
  memset(p, 0x33, want - start);
  CHECK(p[want - start - 1] == 0x33, "and can be written up to the break");

  CHECK(sys_brk(start + PG) == start + PG, "shrinking returns the lower break");
  CHECK(sys_brk(start + 2 * PG) == start + 2 * PG, "growing again");
  CHECK(p[PG] == 0, "memory given back and taken again is zero");
  CHECK(p[0] == 0x33, "memory never given back is kept");

  static int below_the_heap;
  CHECK_NOT_ON_QEMU("QEMU 7.2 moves the break below where it started",
                    sys_brk((uintptr_t)&below_the_heap) == start + 2 * PG,
                    "a break below the heap's start is refused (the old break comes back)");
  CHECK(sys_brk((uintptr_t)1 << 62) == start + 2 * PG,
        "a break beyond the address space is refused");
  CHECK(sys_brk(start) == start, "back to the start");

  /* glibc's view agrees. */
  void *cur = sbrk(0);
  CHECK((uintptr_t)cur == start, "sbrk(0) agrees");
  CHECK(sbrk(PG) == cur && sbrk(0) == (char *)cur + PG, "sbrk(4096) moves it by a page");
  return done();
}
