/* A static musl program (built with `zig cc -target riscv64-linux-musl -static`): musl's
 * start-up (it needs AT_PAGESZ and the program headers in auxv), its mallocng allocator (brk,
 * then mmap; it maps a PROT_NONE guard page with MAP_FIXED inside the brk range), stdio and
 * argv. Self-checking, TAP-style, like programs/tests/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static int checks, failures;

static void check(int ok, const char *what) {
  checks++;
  if (!ok)
    failures++;
  printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
}

static __thread int tls_word = 7;

int main(int argc, char **argv) {
  check(argc == 3 && strcmp(argv[1], "one") == 0 && strcmp(argv[2], "two words") == 0,
        "argv is as given");
  check(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ is 4096");
  check(tls_word == 7, "thread-local storage is initialised");
  tls_word = 8;
  check(tls_word == 8, "and writable");

  /* Many small allocations (brk), then large ones (mmap), all zero where calloc says so. */
  char *small[200];
  int ok = 1;
  for (int i = 0; i < 200; i++) {
    small[i] = malloc(24 + i);
    ok &= small[i] != NULL;
    if (small[i])
      memset(small[i], i, 24 + i);
  }
  for (int i = 0; i < 200; i++)
    ok &= small[i] && small[i][23 + i] == (char)i;
  check(ok, "200 small allocations keep their contents");
  for (int i = 0; i < 200; i += 2)
    free(small[i]);
  char *big = calloc(1, 1 << 20);
  check(big != NULL && big[0] == 0 && big[(1 << 20) - 1] == 0, "a 1 MiB calloc is zero");
  memset(big, 0x11, 1 << 20);
  char *bigger = realloc(big, 4 << 20);
  check(bigger != NULL && bigger[(1 << 20) - 1] == 0x11, "realloc to 4 MiB keeps the data");
  free(bigger);
  printf("1..%d\n", checks);
  return failures != 0;
}
