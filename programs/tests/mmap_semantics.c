/* mmap, munmap, mprotect, mremap, madvise: what Linux does, including its errors. Mappings
 * are probed without touching them: msync() of an unmapped range fails with ENOMEM. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "check.h"

#define PG 4096UL

static int mapped(void *p, size_t len) { return msync(p, len, MS_ASYNC) == 0; }

static int all_zero(const char *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (p[i])
      return 0;
  return 1;
}

int main(void) {
  /* Anonymous private memory is zero-filled and writable. */
  char *a = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(a != MAP_FAILED, "mmap 8 anonymous pages");
  CHECK(((uintptr_t)a & (PG - 1)) == 0, "the address is page aligned");
  CHECK(all_zero(a, 8 * PG), "anonymous pages read as zero");
  memset(a, 0x5a, 8 * PG);
  CHECK(a[0] == 0x5a && a[8 * PG - 1] == 0x5a, "and keep what is written");

  /* munmap of the middle splits the area in two. */
  CHECK(munmap(a + 3 * PG, 2 * PG) == 0, "munmap pages 3-4");
  CHECK(!mapped(a + 3 * PG, PG) && !mapped(a + 4 * PG, PG), "pages 3-4 are gone");
  CHECK(mapped(a, 3 * PG) && mapped(a + 5 * PG, 3 * PG), "pages 0-2 and 5-7 stay");
  CHECK(a[2 * PG] == 0x5a && a[5 * PG] == 0x5a, "with their contents");
  CHECK(munmap(a + 3 * PG, 2 * PG) == 0, "munmap of a hole succeeds");

  /* MAP_FIXED over part of an area replaces those pages with fresh zero pages. */
  char *f = mmap(a + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
  CHECK(f == a + PG, "MAP_FIXED returns the address asked for");
  CHECK(all_zero(f, PG) && a[0] == 0x5a && a[2 * PG] == 0x5a,
        "the replaced page is zero, its neighbours kept");
  char *nr = mmap(a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  CHECK_NOT_ON_QEMU("QEMU 7.2 answers ENOMEM", nr == MAP_FAILED && errno == EEXIST,
                    "MAP_FIXED_NOREPLACE over a mapping: EEXIST");

  /* mprotect splits too, and is checked against the range. */
  CHECK(mprotect(a + 5 * PG, PG, PROT_READ) == 0, "mprotect one page read-only");
  CHECK(a[5 * PG] == 0x5a, "it can still be read");
  errno = 0;
  CHECK(mprotect(a + 2 * PG, 2 * PG, PROT_READ) == -1 && errno == ENOMEM,
        "mprotect over a hole: ENOMEM");
  errno = 0;
  CHECK(mprotect(a + 1, PG, PROT_READ) == -1 && errno == EINVAL,
        "mprotect of an unaligned address: EINVAL");

  /* madvise(MADV_DONTNEED) on private anonymous memory: the next read sees zero. */
  a[6 * PG] = 7;
  CHECK(madvise(a + 6 * PG, PG, MADV_DONTNEED) == 0, "madvise DONTNEED");
  CHECK(a[6 * PG] == 0, "the page reads as zero afterwards");

  /* mremap: growing in place or by moving keeps the contents. */
  char *r = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(r != MAP_FAILED, "mmap 2 pages for mremap");
  r[0] = 1;
  r[2 * PG - 1] = 2;
  char *g = mremap(r, 2 * PG, 64 * PG, MREMAP_MAYMOVE);
  CHECK(g != MAP_FAILED && g[0] == 1 && g[2 * PG - 1] == 2, "mremap MAYMOVE to 64 pages keeps the data");
  CHECK(all_zero(g + 2 * PG, 62 * PG), "and the new pages are zero");
  char *s = mremap(g, 64 * PG, PG, 0);
  CHECK(s == g && !mapped(g + PG, 63 * PG), "mremap shrinks in place, unmapping the tail");

  /* Errors Linux gives for bad arguments. */
  errno = 0;
  CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
            errno == EINVAL,
        "mmap of length 0: EINVAL");
  errno = 0;
  CHECK(mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
        "mmap without MAP_PRIVATE or MAP_SHARED: EINVAL");
  errno = 0;
  CHECK(mmap((void *)(a + 1), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
                MAP_FAILED &&
            errno == EINVAL,
        "MAP_FIXED at an unaligned address: EINVAL");
  errno = 0;
  CHECK(munmap(a + 1, PG) == -1 && errno == EINVAL, "munmap of an unaligned address: EINVAL");
  errno = 0;
  CHECK(munmap(a, 0) == -1 && errno == EINVAL, "munmap of length 0: EINVAL");
  errno = 0;
  CHECK(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 12345, 0) == MAP_FAILED && errno == EBADF,
        "mmap of a bad file descriptor: EBADF");
  errno = 0;
  CHECK(mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
             0) == MAP_FAILED &&
            errno == ENOMEM,
        "mmap larger than the address space: ENOMEM");
  errno = 0;
  volatile uintptr_t bad = 16;
  CHECK(write(1, (const void *)bad, 8) == -1 && errno == EFAULT,
        "write from a bad pointer: EFAULT");
  return done();
}
