/* Waiting for signals with musl (built with `zig cc -target riscv64-linux-musl -static`):
 * musl's pause() is ppoll(NULL, 0, NULL, NULL), its sigsuspend rt_sigsuspend, its sleep
 * nanosleep; a child wakes the parent with kill. Also musl's sigaction (its own
 * struct layout, no restorer on riscv64) and a SIGSEGV handler that unprotects the page.
 * Self-checking, TAP-style, like programs/tests/. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/blocked.h"

static int checks, failures;

static void check(int ok, const char *what) {
  checks++;
  if (!ok)
    failures++;
  printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
  fflush(stdout);
}

static volatile sig_atomic_t hits, segv;
static volatile char *volatile page;

static void on_usr1(int sig) {
  (void)sig;
  hits++;
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)ctx;
  segv++;
  if ((char *)si->si_addr == (char *)page + 1)
    mprotect((void *)page, 4096, PROT_READ | PROT_WRITE);
}

/* A child that kills its parent with SIGUSR1 once the parent is asleep in pause or
 * sigsuspend (its /proc/PID/stat state: ../tests/blocked.h), 10 s at most. */
static pid_t waker(void) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    pid_t parent = getppid();
    wait_blocked(parent);
    kill(parent, SIGUSR1);
    _exit(0);
  }
  return c;
}

int main(void) {
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_handler = on_usr1;
  sigemptyset(&act.sa_mask);
  check(sigaction(SIGUSR1, &act, NULL) == 0, "sigaction (musl's struct)");
  pid_t c = waker();
  errno = 0;
  int r = pause();
  check(r == -1 && errno == EINTR && hits == 1, "pause (ppoll) sleeps until the signal: EINTR");
  int st;
  check(waitpid(c, &st, 0) == c && WIFEXITED(st), "the waker exits");

  sigset_t block, empty, now;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, NULL);
  c = waker();
  errno = 0;
  r = sigsuspend(&empty);
  check(r == -1 && errno == EINTR && hits == 2, "sigsuspend: EINTR after the handler");
  sigprocmask(SIG_SETMASK, NULL, &now);
  check(sigismember(&now, SIGUSR1), "the blocked mask is back");
  waitpid(c, &st, 0);
  sigprocmask(SIG_UNBLOCK, &block, NULL);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[1] = 5;
  check(segv == 1 && page[1] == 5, "a SIGSEGV handler unprotects the page; the store goes on");
  printf("1..%d\n", checks);
  return failures != 0;
}
