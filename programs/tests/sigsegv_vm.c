/* User-level virtual memory with SIGSEGV handlers (the classic experiments): the faulting
 * access runs again after the handler returns, so a handler that fixes the page (mprotect
 * or mmap MAP_FIXED) lets it succeed. si_addr and si_code (SEGV_MAPERR: nothing mapped,
 * SEGV_ACCERR: mapped but not allowed), the faulting pc in the ucontext, a generational
 * write barrier counting dirty pages, and a user-level page cache that maps pages on
 * demand. TAP output (check.h); nothing printed depends on addresses. */
#define _GNU_SOURCE
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGES 16
static long pg;

/* What the handler does: 0 count and unprotect, 1 write barrier, 2 page cache. */
static volatile int mode, faults, last_code;
static volatile uintptr_t last_addr, last_pc;
/* Accessed through volatile pointers only, so that no access moves across the
 * handler's effects (the counters are volatile too). */
static volatile char *volatile region;
static volatile int dirty[PAGES];
static volatile int filled[PAGES];

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  ucontext_t *uc = ctx;
  faults++;
  last_code = si->si_code;
  last_addr = (uintptr_t)si->si_addr;
#ifdef __riscv
  last_pc = uc->uc_mcontext.__gregs[REG_PC];
#else
  (void)uc;
  last_pc = 0;
#endif
  char *page = (char *)((uintptr_t)si->si_addr & ~(uintptr_t)(pg - 1));
  char *base = (char *)region;
  long i = (page - base) / pg;
  if (i < 0 || i >= PAGES)
    _exit(90); /* a fault the experiment did not expect */
  switch (mode) {
  case 0:
    mprotect(page, pg, PROT_READ | PROT_WRITE);
    break;
  case 1:
    /* The write barrier: remember the page is dirty, let the store go on. */
    dirty[i] = 1;
    mprotect(page, pg, PROT_READ | PROT_WRITE);
    break;
  case 2: {
    /* The page cache: map the page where it faulted and fill it from the "backing
     * store" (here a function of the page number). */
    char *p = mmap(page, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   -1, 0);
    if (p != page)
      _exit(91);
    for (long k = 0; k < pg; k++)
      p[k] = (char)(i * 7 + k % 13);
    filled[i]++;
    mprotect(page, pg, PROT_READ);
    break;
  }
  }
}

static volatile char sink;

static void read_at(volatile char *p) {
  sink = *p;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pg = sysconf(_SC_PAGESIZE);
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_sigaction = on_segv;
  act.sa_flags = SA_SIGINFO;
  sigemptyset(&act.sa_mask);
  CHECK(sigaction(SIGSEGV, &act, NULL) == 0, "a SIGSEGV handler");

  region = mmap(NULL, PAGES * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(region != (volatile char *)MAP_FAILED, "a PROT_NONE region of %d pages", PAGES);

  /* Unprotect and resume. */
  mode = 0;
  faults = 0;
  region[5] = 42;
  CHECK(faults == 1 && region[5] == 42,
        "a store to PROT_NONE: the handler unprotects, the store runs again");
  CHECK(last_code == SEGV_ACCERR && last_addr == (uintptr_t)&region[5],
        "si_code SEGV_ACCERR, si_addr the byte stored to");
#ifdef __riscv
  CHECK(last_pc != 0 && last_pc != (uintptr_t)on_segv, "the ucontext's pc is the faulting store");
#else
  CHECK(1, "the ucontext's pc is the faulting store");
#endif
  mprotect((char *)region + pg, pg, PROT_READ);
  faults = 0;
  read_at(region + pg + 9);
  CHECK(faults == 0, "a load from a PROT_READ page does not fault");
  region[pg + 9] = 1;
  CHECK(faults == 1 && last_code == SEGV_ACCERR && region[pg + 9] == 1,
        "a store to it does, once");

  /* SEGV_MAPERR: nothing mapped there (the handler cannot fix it: checked in a child). */
  char *hole = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(hole, pg);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    /* mprotect of nothing fails; the access runs again, faults again, and with
     * SA_RESETHAND the second fault finds SIG_DFL: it kills. */
    act.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGSEGV, &act, NULL);
    mode = 0;
    region = (volatile char *)hole;
    read_at(hole + 3);
    _exit(0);
  }
  int st;
  CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
        "a fault the handler does not fix happens again (then, SA_RESETHAND, kills)");

  /* The same, with a handler that maps the page: si_code SEGV_MAPERR. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    mode = 2;
    region = hole;
    faults = 0;
    read_at(hole + 3);
    _exit(faults == 1 && last_code == SEGV_MAPERR && last_addr == (uintptr_t)(hole + 3) ? 0 : 1);
  }
  CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "a load from an unmapped page: SEGV_MAPERR, si_addr the byte; a handler mapping it fixes it");

  /* A generational write barrier: the old generation is write-protected; stores mark
   * their pages dirty (a card table), once per page. */
  mode = 1;
  munmap((char *)region, PAGES * pg);
  region = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int round = 0; round < 2; round++) {
    mprotect((char *)region, PAGES * pg, PROT_READ);
    for (int i = 0; i < PAGES; i++)
      dirty[i] = 0;
    faults = 0;
    int stores = 0;
    for (int i = 0; i < PAGES; i += 3 + round) {
      for (int k = 0; k < 10; k++) {
        region[i * pg + k * 64] += 1;
        stores++;
      }
    }
    int ndirty = 0;
    for (int i = 0; i < PAGES; i++)
      ndirty += dirty[i];
    int want = 0;
    for (int i = 0; i < PAGES; i += 3 + round)
      want++;
    CHECK(ndirty == want && faults == want && stores == want * 10,
          "write barrier round %d: %d pages dirty, one fault each for %d stores", round, want,
          stores);
  }
  long sum = 0;
  for (long i = 0; i < PAGES * pg; i++)
    sum += region[i];
  CHECK(sum == 100, "every one of the 100 stores is there");

  /* A user-level page cache: a reserved PROT_NONE range, pages mapped (and filled) on the
   * first touch by the handler, read-only. */
  mode = 2;
  munmap((char *)region, PAGES * pg);
  region = mmap(NULL, PAGES * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < PAGES; i++)
    filled[i] = 0;
  faults = 0;
  long total = 0, want = 0;
  for (int rep = 0; rep < 3; rep++)
    for (int i = 0; i < PAGES; i += 2)
      for (long k = 0; k < pg; k += 509) {
        total += region[i * pg + k];
        want += (char)(i * 7 + k % 13);
      }
  int once = 1;
  for (int i = 0; i < PAGES; i++)
    once = once && filled[i] == (i % 2 == 0);
  CHECK(total == want, "the page cache: every byte read is the backing store's");
  CHECK(faults == PAGES / 2 && once, "each page faulted in once, on its first touch (%d faults)",
        PAGES / 2);
  return done();
}
