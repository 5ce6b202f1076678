/* rvmmu-build: static-pie (see seg_hello.c).
 *
 * seg_faults MODE [catch]: makes one forbidden access, which must end in SIGSEGV whether
 * the program runs segmented (PMP refuses the access: an access fault) or paged (no PTE,
 * or a PTE without the permission: a page fault):
 *
 *   null-write   store to address 0 (below every segment; unmapped when paged)
 *   null-read    load from address 0
 *   text-write   store into its own code (the text segment is R-X)
 *   exec-data    jump into a data array holding a `ret` (the data segment is RW-)
 *   kernel-read  load from physical 0x8000_0000, the kernel's image (segmented processes
 *                run with satp = Bare, so the address is physical; paged, it is an
 *                address nothing maps)
 *   kernel-write store there
 *   device-read  load from 0x1000_0000, the UART's registers on the virt machine
 *
 * Without `catch` the signal's default action kills it (a shell reports status 139). With
 * `catch` a SA_SIGINFO handler prints what it was told — the signal, si_code, whether
 * si_addr is the address touched — and the program exits 0. The lines name no address, so
 * the output compares between runs. If the access does not fault, it says so and exits 1. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile uintptr_t target;

static const char *code_name(int code) {
  switch (code) {
  case SEGV_MAPERR: return "SEGV_MAPERR";
  case SEGV_ACCERR: return "SEGV_ACCERR";
  case SI_USER: return "SI_USER";
  case SI_KERNEL: return "SI_KERNEL";
  default: return "other";
  }
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  /* printf is not async-signal-safe in general, but the program does nothing else: the
   * fault interrupted no stdio call (stdout was flushed before it). */
  printf("caught %s: si_code %s, si_addr %s the address touched\n",
         sig == SIGSEGV ? "SIGSEGV" : "another signal", code_name(si->si_code),
         (uintptr_t)si->si_addr == target ? "is" : "is not");
  fflush(stdout);
  _exit(0);
}

/* `ret` (c.jr ra, then jalr x0, 0(ra)): what the data array holds. */
static uint32_t code_in_data[4] = {0x00008067, 0x00008067, 0, 0};

static int usage(void) {
  fprintf(stderr, "usage: seg_faults null-write|null-read|text-write|exec-data|kernel-read|"
                  "kernel-write|device-read [catch]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2 || (argc == 3 && strcmp(argv[2], "catch") != 0) || argc > 3)
    return usage();
  const char *mode = argv[1];
  int write = 0, exec = 0;
  if (strcmp(mode, "null-write") == 0) {
    target = 0;
    write = 1;
  } else if (strcmp(mode, "null-read") == 0) {
    target = 0;
  } else if (strcmp(mode, "text-write") == 0) {
    target = (uintptr_t)&main;
    write = 1;
  } else if (strcmp(mode, "exec-data") == 0) {
    target = (uintptr_t)code_in_data;
    exec = 1;
  } else if (strcmp(mode, "kernel-read") == 0) {
    target = 0x80000000;
  } else if (strcmp(mode, "kernel-write") == 0) {
    target = 0x80000000;
    write = 1;
  } else if (strcmp(mode, "device-read") == 0) {
    target = 0x10000000;
  } else {
    return usage();
  }
  if (argc == 3) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
  }
  printf("seg_faults: %s\n", mode);
  fflush(stdout);
  if (exec) {
    void (*f)(void) = (void (*)(void))target;
    f();
  } else if (write) {
    *(volatile uint8_t *)target = 0x5a;
  } else {
    uint8_t v = *(volatile uint8_t *)target;
    printf("seg_faults: %s read %u without a fault\n", mode, v);
  }
  printf("seg_faults: %s did not fault\n", mode);
  return 1;
}
