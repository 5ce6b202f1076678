/* Kernel bugs the system-call fuzzer (programs/fuzz/) found, each checked against what
 * Linux does. TAP-style (check.h). */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

static int global_data = 42;

int main(void) {
  static char outbuf[4096];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  int on_stack = 7;
  char *heap = malloc(100);
  strcpy(heap, "kept");

  /* Seed 6: madvise(0, -1, MADV_FREE) rounded its end up to the top of the address space
   * and dropped every page of the process (its globals, heap and stack read back as zero).
   * Linux: EINVAL (the length rounds up past 2^64). */
  errno = 0;
  CHECK(syscall(SYS_madvise, 0, (size_t)-1, MADV_FREE) == -1 && errno == EINVAL,
        "madvise(0, -1, MADV_FREE): EINVAL");
  errno = 0;
  CHECK(syscall(SYS_madvise, 0, (size_t)-1, MADV_DONTNEED) == -1 && errno == EINVAL,
        "madvise(0, -1, MADV_DONTNEED): EINVAL");
  errno = 0;
  CHECK(syscall(SYS_madvise, 4096, (size_t)-4096, MADV_DONTNEED) == -1 && errno == EINVAL,
        "a range that wraps past 2^64: EINVAL");
  CHECK(global_data == 42 && on_stack == 7 && strcmp(heap, "kept") == 0,
        "the process's data, stack and heap are untouched");

  /* MADV_FREE is for private anonymous memory: on the program's data (a private file
   * mapping) Linux answers EINVAL and keeps the page. */
  global_data = 43;
  uintptr_t page = (uintptr_t)&global_data & ~(uintptr_t)4095;
  errno = 0;
  CHECK_NOT_ON_QEMU("QEMU 7.2 accepts MADV_FREE anywhere",
                    madvise((void *)page, 4096, MADV_FREE) == -1 && errno == EINVAL,
                    "MADV_FREE on a private file mapping: EINVAL (checked on Linux 6.18)");
  CHECK(global_data == 43, "and its page is kept");
  char *anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(anon != MAP_FAILED && madvise(anon, 8192, MADV_FREE) == 0,
        "MADV_FREE on anonymous memory is accepted");
  char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  shared[0] = 5;
  errno = 0;
  CHECK_NOT_ON_QEMU("QEMU 7.2 accepts MADV_FREE anywhere",
                    madvise(shared, 4096, MADV_FREE) == -1 && errno == EINVAL,
                    "MADV_FREE on shared memory: EINVAL");
  CHECK(shared[0] == 5, "and the data stays");
  free(heap);
  return done();
}
