/* A static-pie (rvmmu-build: static-pie): ET_DYN without an interpreter, which relocates
 * itself at start-up, built with `zig cc -target riscv64-linux-musl -static -fPIE -pie`.
 * The kernel chooses where it goes; the program checks what Linux guarantees: the auxv
 * entries point at the loaded image (AT_PHDR, AT_ENTRY biased, AT_BASE 0: no interpreter),
 * its pointers were relocated, its code is mapped r-x, and malloc works. TAP output, the
 * same wherever it is loaded. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

extern const Elf64_Ehdr __ehdr_start;

static int checks, failures;

static void check(int ok, const char *what) {
  checks++;
  if (!ok)
    failures++;
  printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
}

static int twice(int x) { return 2 * x; }
static int square(int x) { return x * x; }

/* Data holding addresses: relocated by the program itself (R_RISCV_RELATIVE). */
static int (*const ops[])(int) = {twice, square};
static const char *const words[] = {"static", "pie"};
static int target = 41;
static int *pointer = &target;

static char maps[1 << 16];

int main(void) {
  unsigned long base = (unsigned long)&__ehdr_start;
  check(__ehdr_start.e_type == ET_DYN, "the program is ET_DYN");
  check(base != 0 && base % 4096 == 0, "it was loaded at a non-zero, page-aligned address");
  check(getauxval(AT_BASE) == 0, "AT_BASE is 0 (no interpreter)");
  check(getauxval(AT_PHDR) == base + __ehdr_start.e_phoff,
        "AT_PHDR is the loaded program headers' address");
  check(getauxval(AT_PHNUM) == __ehdr_start.e_phnum && getauxval(AT_PHENT) == sizeof(Elf64_Phdr),
        "AT_PHNUM and AT_PHENT");
  check(getauxval(AT_ENTRY) == base + __ehdr_start.e_entry, "AT_ENTRY is the biased entry point");
  check(ops[0](21) == 42 && ops[1](7) == 49, "relocated function pointers work");
  check(strcmp(words[0], "static") == 0 && strcmp(words[1], "pie") == 0,
        "relocated string pointers work");
  *pointer += 1;
  check(target == 42, "a relocated data pointer reaches its variable");
  char *p = malloc(100000), *q = malloc(10);
  check(p && q, "malloc works");
  memset(p, 1, 100000);
  free(p);
  free(q);

  /* The break starts right after the bss and grows: Linux without brk randomisation leaves
     it there, in the mmap region where the program itself was placed, and it may grow up to
     the stack's guard gap. */
  /* (musl's sbrk refuses any increment, so the system call itself.) */
  char *cur = (char *)syscall(SYS_brk, 0);
  char *grown = (char *)syscall(SYS_brk, cur + 65536);
  if (getenv("RVMMU_ON_QEMU_USER") && grown != cur + 65536)
    printf("ok %d - the break grows # SKIP on qemu-user: QEMU 7.2 keeps a static-pie's break "
           "from growing\n", ++checks);
  else
    check(grown == cur + 65536, "the break grows by 64 KiB");
  if (grown == cur + 65536) {
    memset(cur, 7, 65536);
    syscall(SYS_brk, cur);
  }

  int fd = open("/proc/self/maps", O_RDONLY);
  long n = 0, r;
  while (fd >= 0 && n < (long)sizeof maps - 1 && (r = read(fd, maps + n, sizeof maps - 1 - n)) > 0)
    n += r;
  maps[n] = 0;
  if (fd >= 0)
    close(fd);
  unsigned long code = (unsigned long)&main;
  int exec_area = 0;
  for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
    unsigned long s, e;
    char perm[5];
    if (sscanf(line, "%lx-%lx %4s", &s, &e, perm) == 3 && s <= code && code < e)
      exec_area = strcmp(perm, "r-xp") == 0;
  }
  check(exec_area, "main is in an r-x area of /proc/self/maps");
  printf("1..%d\n", checks);
  return failures != 0;
}
