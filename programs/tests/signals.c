/* Signal handlers as Linux runs them: rt_sigaction's flags (SA_SIGINFO, SA_RESETHAND,
 * SA_NODEFER, SA_RESTART, SA_ONSTACK, SA_NOCLDSTOP, SA_NOCLDWAIT), the siginfo of kill,
 * tgkill and SIGCHLD, the mask while a handler runs, registers and FP state in the
 * ucontext and kept across a handler, pending and blocked signals, sigaltstack, EINTR
 * versus restarting (pipe read, waitpid), sigsuspend, pause, nanosleep's time left,
 * sigtimedwait, ppoll/select as sleeps and on a pipe, stop and continue with wait4's
 * WUNTRACED and WCONTINUED, SIGCHLD ignored, the /proc signal fields, [vdso], and the
 * SIGSEGV of a bad rt_sigreturn or a frame that cannot be written. TAP output (check.h);
 * nothing printed depends on addresses or pids. */
#define _GNU_SOURCE
#include "check.h"
#include "blocked.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31) /* linux/signal.h's, which glibc 2.36 does not export */
#endif

static volatile sig_atomic_t hits, depth, max_depth, raises;
static volatile int last_sig, last_code, last_pid, last_status;
static volatile int mask_has_self, mask_has_other, uc_mask_has_hup;
static volatile uintptr_t handler_sp;

static void ms_sleep(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

static void on_info(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  sigset_t now;
  sigprocmask(SIG_SETMASK, NULL, &now);
  hits++;
  last_sig = si->si_signo;
  last_code = si->si_code;
  last_pid = si->si_pid;
  last_status = si->si_status;
  mask_has_self = sigismember(&now, sig);
  mask_has_other = sigismember(&now, SIGUSR2);
  uc_mask_has_hup = sigismember(&uc->uc_sigmask, SIGHUP);
  int local;
  handler_sp = (uintptr_t)&local;
}

/* The write end of a pipe `count` writes a byte to each time it runs (when >= 0), and its
 * non-blocking read end: how a helper child learns that the parent's handler has run, and
 * so that the system call it interrupted has already been decided (Linux decides EINTR or
 * a restart before it builds the handler's frame). */
static int told = -1, told_rd = -1;

static void count(int sig) {
  (void)sig;
  int e = errno;
  hits++;
  if (told >= 0 && write(told, "h", 1) != 1)
    hits += 100; /* seen as a wrong count */
  errno = e;
}

static void nested(int sig) {
  depth++;
  if (depth > max_depth)
    max_depth = depth;
  hits++;
  if (raises < 2) {
    raises++;
    raise(sig);
  }
  depth--;
}

static int install(int sig, void (*h)(int), void (*sa)(int, siginfo_t *, void *), int flags) {
  struct sigaction act;
  memset(&act, 0, sizeof act);
  sigemptyset(&act.sa_mask);
  if (sa) {
    act.sa_sigaction = sa;
    flags |= SA_SIGINFO;
  } else {
    act.sa_handler = h;
  }
  act.sa_flags = flags;
  return sigaction(sig, &act, NULL);
}

/* A child that waits until its parent is asleep in the system call under test (blocked.h),
 * sends it `sig` (nothing when 0), then writes a byte to `fd` (when >= 0) and exits. With
 * a signal, the byte is written only once the parent's `count` handler has run (it writes
 * to `told`): the byte cannot decide the interrupted call, only a restarted one reads it.
 * Each wait gives up after seconds, so that a wrong kernel fails a check, never hangs.
 * Without a signal (the byte a ppoll or select waits for) the wait is 100 ms at most: the
 * checks' answers do not depend on it (a byte there before the call is found at once),
 * and rvmmu's kernel wakes a process polling descriptors at every scheduling pass while
 * console input is at its end (os/src/proc/sched.rs), so that one rarely shows 'S'. */
static pid_t sender(int sig, int fd) {
  drain(told_rd);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    pid_t parent = getppid();
    wait_blocked_for(parent, sig ? 10000 : 100);
    if (sig)
      kill(parent, sig);
    if (fd >= 0) {
      if (sig)
        wait_byte(told_rd, 10000);
      if (write(fd, "x", 1) != 1)
        _exit(1);
    }
    _exit(0);
  }
  return c;
}

/* Linux sends the SIGCHLD of a stop or a continue from the child as it stops or next runs,
 * which may come after the parent's waitpid has seen the change, and a SIGCHLD still
 * pending absorbs the next one (standard signals do not queue): on a loaded machine
 * counting handler runs is not reliable. Waits (5 s at most) for a handler run with
 * si_code `code`; says whether one came. */
static int chld_seen(int code) {
  for (int ms = 0; last_code != code && ms < 5000; ms++)
    ms_sleep(1);
  return last_code == code;
}

/* The start of the file `path` (size - 1 bytes at most) in `buf`, as a string; empty when
 * it cannot be read. */
static void read_text(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, size - 1, f) : 0;
  if (f)
    fclose(f);
  buf[n] = 0;
}

/* The 16 hex digits of /proc/PID/status's line `name` (all ones when missing). */
static unsigned long status_hex(const char *status, const char *name) {
  char key[16];
  snprintf(key, sizeof key, "\n%s:\t", name);
  const char *at = strstr(status, key);
  return at ? strtoul(at + strlen(key), NULL, 16) : ~0UL;
}

/* A child that waits in pause() until a signal ends it. */
static pid_t pausing_child(void) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    for (;;)
      pause();
  }
  return c;
}

static int reap(pid_t c) {
  int st;
  while (waitpid(c, &st, 0) == -1 && errno == EINTR) {
  }
  return st;
}

/* Temporaries and an FP register across a handler that clobbers them: the signal is sent
 * by an inline tgkill, so nothing is saved around it but what the kernel saves. */
static volatile int uc_regs_seen;

static void clobber(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
#ifdef __riscv
  /* The ucontext holds the interrupted registers where Linux puts them: __gregs[n] is
   * xn (t3 = x28), __fpregs.__d.__f[0] is ft0 (f0). */
  ucontext_t *uc = ctx;
  uc_regs_seen = uc->uc_mcontext.__gregs[28] == 0x1234567 &&
                 uc->uc_mcontext.__fpregs.__d.__f[0] == 0x4009UL << 48;
  __asm__ volatile("li t3, 0\n li t6, 0\n fmv.d.x ft0, zero\n fsflags t4, %0" ::"r"(0x1f)
                   : "t3", "t4", "t6", "ft0");
#else
  (void)ctx;
  uc_regs_seen = 1;
#endif
}

static int regs_survive(void) {
#ifndef __riscv
  return raise(SIGUSR1) == 0; /* a host build, to compare with Linux itself */
#else
  pid_t pid = getpid();
  unsigned long t3, t6, f, flags;
  register long a0 __asm__("a0") = pid;
  register long a1 __asm__("a1") = pid;
  register long a2 __asm__("a2") = SIGUSR1;
  register long a7 __asm__("a7") = SYS_tgkill;
  __asm__ volatile("li t3, 0x1234567\n"
                   "li t6, -77\n"
                   "li t4, 0x4009\n"
                   "slli t4, t4, 48\n"
                   "fmv.d.x ft0, t4\n"
                   "csrwi fflags, 0\n"
                   "ecall\n"
                   "mv %[t3], t3\n"
                   "mv %[t6], t6\n"
                   "fmv.x.d %[f], ft0\n"
                   "frflags %[fl]\n"
                   : [t3] "=&r"(t3), [t6] "=&r"(t6), [f] "=&r"(f), [fl] "=&r"(flags), "+r"(a0)
                   : "r"(a1), "r"(a2), "r"(a7)
                   : "t3", "t4", "t6", "ft0", "memory");
  return a0 == 0 && t3 == 0x1234567 && (long)t6 == -77 && f == 0x4009UL << 48 && flags == 0;
#endif
}

static char altstack[64 * 1024];

static void on_alt(int sig) {
  (void)sig;
  int local;
  handler_sp = (uintptr_t)&local;
  stack_t now, other = {.ss_sp = altstack, .ss_size = sizeof altstack};
  mask_has_self = sigaltstack(NULL, &now) == 0 && (now.ss_flags & SS_ONSTACK);
  errno = 0;
  mask_has_other = sigaltstack(&other, NULL) == -1 && errno == EPERM;
}

static void on_disarmed(int sig) {
  (void)sig;
  int local;
  handler_sp = (uintptr_t)&local;
  stack_t now;
  mask_has_self = sigaltstack(NULL, &now) == 0 && (now.ss_flags & SS_DISABLE);
}

static void proc_fields(void) {
  /* A child with a handler for SIGUSR1, SIGUSR2 ignored, SIGHUP blocked and pending;
   * /proc/PID/status and stat show them. */
  int ready[2];
  if (pipe(ready) != 0)
    return;
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    install(SIGUSR1, count, NULL, 0);
    signal(SIGUSR2, SIG_IGN);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGHUP);
    sigprocmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGHUP);
    if (write(ready[1], "r", 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  char b;
  close(ready[1]);
  CHECK(read(ready[0], &b, 1) == 1, "a child sets up its signals");
  close(ready[0]);
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", c);
  read_text(path, buf, sizeof buf);
  const int on_qemu = getenv("RVMMU_ON_QEMU_USER") != NULL;
  const char *why = "qemu-user's /proc shows the host process, with QEMU's own handlers";
  /* Ignored dispositions survive execve, so what started this program may have left some
   * real-time signals ignored (glibc's own 32 and 33, on a host): SigIgn and sigignore are
   * checked on the standard signals, 1 to 31. */
  const unsigned long std = 0x7fffffffUL;
  CHECK_NOT_ON_QEMU(why,
                    strstr(buf, "\nShdPnd:\t0000000000000001\n") &&
                        strstr(buf, "\nSigBlk:\t0000000000000001\n") &&
                        (status_hex(buf, "SigIgn") & std) == 0x800 &&
                        strstr(buf, "\nSigCgt:\t0000000000000200\n") &&
                        strstr(buf, "\nSigPnd:\t0000000000000000\n") && strstr(buf, "\nSigQ:\t"),
                    "/proc/PID/status: SigQ, SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt");
  snprintf(path, sizeof path, "/proc/%d/stat", c);
  read_text(path, buf, sizeof buf);
  /* Fields 31..34: signal (the thread's pending), blocked, sigignore, sigcatch. */
  unsigned long v[4] = {0};
  char *p = strrchr(buf, ')');
  for (int field = 2; p && *p && field < 34; p++)
    if (*p == ' ' && ++field >= 31)
      v[field - 31] = strtoul(p + 1, NULL, 10);
  CHECK_NOT_ON_QEMU(why, v[0] == 0 && v[1] == 1 && (v[2] & std) == 2048 && v[3] == 512,
                    "/proc/PID/stat: signal, blocked, sigignore, sigcatch");
  CHECK(kill(c, SIGSTOP) == 0, "SIGSTOP to it");
  int st;
  CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
        "waitpid(WUNTRACED) reports it stopped by SIGSTOP");
  snprintf(path, sizeof path, "/proc/%d/status", c);
  read_text(path, buf, sizeof buf);
  CHECK(strstr(buf, "\nState:\tT (stopped)\n") != NULL, "its State is T (stopped)");
  (void)on_qemu;
  kill(c, SIGKILL);
  st = reap(c);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL ends the stopped child");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction old;
  sigset_t set, now;

  /* A handler with SA_SIGINFO: raise (tgkill) and kill. */
  CHECK(install(SIGUSR1, NULL, on_info, 0) == 0, "sigaction installs a SA_SIGINFO handler");
  CHECK(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_sigaction == on_info &&
            (old.sa_flags & SA_SIGINFO),
        "sigaction reads it back");
  hits = 0;
  CHECK(raise(SIGUSR1) == 0 && hits == 1, "raise runs the handler once");
  CHECK(last_sig == SIGUSR1 && last_code == SI_TKILL && last_pid == getpid(),
        "raise: si_signo, si_code SI_TKILL, si_pid");
  CHECK(mask_has_self && !mask_has_other, "the signal is blocked while its handler runs");
  sigprocmask(SIG_SETMASK, NULL, &now);
  CHECK(!sigismember(&now, SIGUSR1), "and unblocked after it returns");
  hits = 0;
  CHECK(kill(getpid(), SIGUSR1) == 0 && hits == 1 && last_code == SI_USER &&
            last_pid == getpid(),
        "kill: si_code SI_USER, si_pid the sender");

  /* sa_mask, and the ucontext's saved mask. */
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_sigaction = on_info;
  act.sa_flags = SA_SIGINFO;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &act, NULL);
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR1);
  CHECK(mask_has_self && uc_mask_has_hup,
        "uc_sigmask is the mask before the handler, the handler's has its signal");
  CHECK_NOT_ON_QEMU("QEMU 7.2's user mode leaves sa_mask out of the handler's mask",
                    mask_has_other, "sa_mask is added while the handler runs");
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  /* Blocked: pending until unblocked. */
  hits = 0;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  raise(SIGUSR1);
  raise(SIGUSR1);
  sigpending(&now);
  CHECK(hits == 0 && sigismember(&now, SIGUSR1), "a blocked signal stays pending");
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  CHECK(hits == 1, "unblocking delivers it, once (standard signals do not queue)");

  /* SA_RESETHAND and SA_NODEFER. */
  hits = 0;
  install(SIGUSR2, count, NULL, SA_RESETHAND);
  raise(SIGUSR2);
  CHECK(hits == 1 && sigaction(SIGUSR2, NULL, &old) == 0 && old.sa_handler == SIG_DFL,
        "SA_RESETHAND: back to SIG_DFL after one delivery");
  install(SIGUSR2, nested, NULL, SA_NODEFER);
  max_depth = raises = 0;
  raise(SIGUSR2);
  CHECK(max_depth == 3, "SA_NODEFER: the handler is interrupted by its own signal");
  install(SIGUSR2, nested, NULL, 0);
  max_depth = raises = hits = 0;
  raise(SIGUSR2);
  CHECK(max_depth == 1 && hits == 3,
        "without it, a raise in the handler waits for the handler's return");

  /* SIG_IGN. */
  signal(SIGUSR2, SIG_IGN);
  CHECK(raise(SIGUSR2) == 0, "an ignored signal does nothing");
  errno = 0;
  CHECK(sigaction(SIGKILL, &act, NULL) == -1 && errno == EINVAL,
        "SIGKILL's disposition cannot change");
  errno = 0;
  CHECK(sigaction(65, &act, NULL) == -1 && errno == EINVAL, "signal 65: EINVAL");

  /* Registers and FP state across a handler. */
  install(SIGUSR1, NULL, clobber, 0);
  CHECK(regs_survive(), "integer temporaries, FP registers and fflags survive a handler");
  CHECK(uc_regs_seen, "the handler's ucontext holds them (__gregs, __fpregs.__d)");

  /* sigaltstack and SA_ONSTACK. */
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack}, os;
  errno = 0;
  stack_t tiny = {.ss_sp = altstack, .ss_size = 1024};
  CHECK(sigaltstack(&tiny, NULL) == -1 && errno == ENOMEM, "sigaltstack below MINSIGSTKSZ: ENOMEM");
  CHECK(sigaltstack(NULL, &os) == 0 && (os.ss_flags & SS_DISABLE), "no alternate stack at first");
  CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack sets one");
  install(SIGUSR1, on_alt, NULL, SA_ONSTACK);
  handler_sp = 0;
  raise(SIGUSR1);
  CHECK(handler_sp > (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack,
        "SA_ONSTACK: the handler runs on the alternate stack");
  CHECK(mask_has_self, "sigaltstack there reports SS_ONSTACK");
  CHECK(mask_has_other, "changing it there: EPERM");
  CHECK(sigaltstack(NULL, &os) == 0 && os.ss_flags == 0 && os.ss_sp == altstack,
        "after the handler, not on it");
  install(SIGUSR1, on_alt, NULL, 0);
  raise(SIGUSR1);
  CHECK(!(handler_sp > (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack),
        "without SA_ONSTACK the handler runs on the normal stack");
  stack_t disarm = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = (int)SS_AUTODISARM};
  const char *no_disarm = "QEMU 7.2's user mode refuses SS_AUTODISARM (EINVAL)";
  int set_ok = sigaltstack(&disarm, NULL) == 0;
  CHECK_NOT_ON_QEMU(no_disarm, set_ok, "sigaltstack with SS_AUTODISARM");
  install(SIGUSR1, on_disarmed, NULL, SA_ONSTACK);
  handler_sp = 0;
  raise(SIGUSR1);
  CHECK_NOT_ON_QEMU(no_disarm,
                    handler_sp > (uintptr_t)altstack &&
                        handler_sp < (uintptr_t)altstack + sizeof altstack && mask_has_self,
                    "SS_AUTODISARM: the handler runs on it, with no alternate stack meanwhile");
  int back = sigaltstack(NULL, &os) == 0 && os.ss_sp == altstack &&
             (os.ss_flags & (int)SS_AUTODISARM);
  CHECK_NOT_ON_QEMU(no_disarm, back, "rt_sigreturn puts it back");
  stack_t off = {.ss_flags = SS_DISABLE};
  CHECK(sigaltstack(&off, NULL) == 0 && sigaltstack(NULL, &os) == 0 &&
            (os.ss_flags & SS_DISABLE),
        "SS_DISABLE removes it");

  /* EINTR versus SA_RESTART, on a pipe read. */
  int fds[2], tell[2];
  char b;
  CHECK(pipe(fds) == 0 && pipe2(tell, O_NONBLOCK | O_CLOEXEC) == 0, "a pipe");
  told = tell[1];
  told_rd = tell[0];
  hits = 0;
  install(SIGUSR1, count, NULL, 0);
  pid_t c = sender(SIGUSR1, fds[1]);
  errno = 0;
  CHECK(read(fds[0], &b, 1) == -1 && errno == EINTR && hits == 1,
        "a handled signal interrupts a blocked read: EINTR");
  CHECK(read(fds[0], &b, 1) == 1, "the byte sent later is read");
  reap(c);
  hits = 0;
  install(SIGUSR1, count, NULL, SA_RESTART);
  c = sender(SIGUSR1, fds[1]);
  CHECK(read(fds[0], &b, 1) == 1 && hits == 1,
        "with SA_RESTART the read goes on after the handler and gets the byte");
  reap(c);
  close(fds[0]);
  close(fds[1]);

  /* wait4 for a child that takes its time, interrupted by another child's signal: the slow
   * child ends only once the parent's handler has run (10 s at most). */
  for (int restart = 0; restart < 2; restart++) {
    install(SIGUSR1, count, NULL, restart ? SA_RESTART : 0);
    hits = 0;
    drain(told_rd);
    fflush(stdout);
    pid_t slow = fork();
    if (slow == 0) {
      wait_byte(told_rd, 10000);
      _exit(3);
    }
    c = sender(SIGUSR1, -1);
    int st = 0;
    errno = 0;
    pid_t w = waitpid(slow, &st, 0);
    if (restart)
      CHECK(w == slow && WIFEXITED(st) && WEXITSTATUS(st) == 3 && hits == 1,
            "SA_RESTART: waitpid goes on after the handler and reaps the child");
    else
      CHECK(w == -1 && errno == EINTR && hits == 1 && reap(slow) == 3 << 8,
            "a handled signal interrupts waitpid: EINTR");
    reap(c);
  }

  /* nanosleep: EINTR with the time left, whatever SA_RESTART says. */
  c = sender(SIGUSR1, -1);
  struct timespec req = {10, 0}, rem = {0, 0};
  errno = 0;
  CHECK(nanosleep(&req, &rem) == -1 && errno == EINTR && rem.tv_sec >= 8 && rem.tv_sec < 10,
        "nanosleep is interrupted, EINTR, with the time left");
  reap(c);

  /* pause and sigsuspend. */
  hits = 0;
  c = sender(SIGUSR1, -1);
  errno = 0;
  CHECK(pause() == -1 && errno == EINTR && hits == 1, "pause returns EINTR after a handler ran");
  reap(c);
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  hits = 0;
  c = sender(SIGUSR1, -1);
  sigemptyset(&now);
  errno = 0;
  CHECK(sigsuspend(&now) == -1 && errno == EINTR && hits == 1,
        "sigsuspend waits with its mask for a blocked signal: EINTR after the handler");
  sigprocmask(SIG_SETMASK, NULL, &now);
  CHECK(sigismember(&now, SIGUSR1), "and the old mask is back");
  reap(c);

  /* sigtimedwait. */
  kill(getpid(), SIGUSR1);
  siginfo_t si;
  struct timespec zero = {0, 0}, short_wait = {0, 20000000};
  CHECK(sigtimedwait(&set, &si, &zero) == SIGUSR1 && si.si_code == SI_USER &&
            si.si_pid == getpid(),
        "sigtimedwait takes a pending blocked signal with its siginfo");
  errno = 0;
  CHECK(sigtimedwait(&set, &si, &short_wait) == -1 && errno == EAGAIN,
        "with none pending it times out: EAGAIN");
  c = sender(SIGUSR1, -1);
  CHECK(sigwaitinfo(&set, &si) == SIGUSR1 && si.si_code == SI_USER && si.si_pid == c,
        "sigwaitinfo sleeps until one comes");
  reap(c);
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  /* ppoll and select with no descriptors: sleeps. */
  struct timespec t20 = {0, 20000000};
  CHECK(ppoll(NULL, 0, &t20, NULL) == 0, "ppoll(NULL, 0, 20 ms) times out: 0");
  struct timeval tv = {0, 20000};
  CHECK(select(0, NULL, NULL, NULL, &tv) == 0, "select(0, ..., 20 ms) times out: 0");
  tv.tv_usec = 20000;

  /* ppoll and select on a pipe. */
  CHECK(pipe(fds) == 0, "another pipe");
  struct pollfd pf[3] = {{fds[0], POLLIN, 0}, {fds[1], POLLOUT, 0}, {-1, POLLIN, 0}};
  CHECK(ppoll(pf, 3, &t20, NULL) == 1 && pf[0].revents == 0 && pf[1].revents == POLLOUT &&
            pf[2].revents == 0,
        "ppoll: an empty pipe's write end is writable, its read end not");
  CHECK(ppoll(pf, 1, &t20, NULL) == 0 && pf[0].revents == 0,
        "ppoll on the empty read end times out: 0");
  c = sender(0, fds[1]);
  CHECK(ppoll(pf, 1, NULL, NULL) == 1 && pf[0].revents == POLLIN,
        "ppoll sleeps until a child writes: POLLIN");
  CHECK(read(fds[0], &b, 1) == 1, "the byte is there");
  reap(c);
  c = sender(0, fds[1]);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(fds[0], &rd);
  CHECK(select(fds[0] + 1, &rd, NULL, NULL, NULL) == 1 && FD_ISSET(fds[0], &rd),
        "select sleeps until a child writes: readable");
  CHECK(read(fds[0], &b, 1) == 1, "the byte is there");
  reap(c);
  close(fds[1]);
  CHECK(poll(pf, 1, 0) == 1 && (pf[0].revents & POLLHUP), "no write end left: POLLHUP");
  close(fds[0]);
  pf[0].fd = fds[0];
  CHECK(poll(pf, 1, 0) == 1 && pf[0].revents == POLLNVAL, "a closed descriptor: POLLNVAL");
  FD_ZERO(&rd);
  FD_SET(fds[0], &rd);
  errno = 0;
  CHECK(select(fds[0] + 1, &rd, NULL, NULL, &tv) == -1 && errno == EBADF,
        "select on a closed descriptor: EBADF");

  told = -1;
  close(tell[0]);
  close(tell[1]);

  /* SIGCHLD. */
  struct sigaction chld;
  memset(&chld, 0, sizeof chld);
  chld.sa_sigaction = on_info;
  chld.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&chld.sa_mask);
  sigaction(SIGCHLD, &chld, NULL);
  hits = 0;
  fflush(stdout);
  c = fork();
  if (c == 0)
    _exit(7);
  int st = reap(c);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "the child exits with 7");
  CHECK(hits == 1 && last_sig == SIGCHLD && last_code == CLD_EXITED && last_status == 7 &&
            last_pid == c,
        "SIGCHLD: CLD_EXITED, si_pid the child, si_status 7");
  hits = 0;
  c = pausing_child();
  kill(c, SIGKILL);
  st = reap(c);
  CHECK(WIFSIGNALED(st) && hits == 1 && last_code == CLD_KILLED && last_status == SIGKILL,
        "SIGCHLD: CLD_KILLED, si_status the signal");

  /* Stop and continue. */
  hits = 0;
  c = pausing_child();
  CHECK(kill(c, SIGTSTP) == 0, "SIGTSTP to a child");
  CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
        "waitpid(WUNTRACED): stopped by SIGTSTP (status 0x7f | sig << 8)");
  CHECK(chld_seen(CLD_STOPPED) && last_status == SIGTSTP && last_pid == c,
        "SIGCHLD: CLD_STOPPED");
  CHECK(waitpid(c, &st, WUNTRACED | WNOHANG) == 0, "reported once");
  CHECK(kill(c, SIGCONT) == 0, "SIGCONT to it");
  CHECK(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st),
        "waitpid(WCONTINUED): continued (status 0xffff)");
  CHECK(chld_seen(CLD_CONTINUED) && last_status == SIGCONT && last_pid == c,
        "SIGCHLD: CLD_CONTINUED");
  chld.sa_flags |= SA_NOCLDSTOP;
  sigaction(SIGCHLD, &chld, NULL);
  const int before_stop = hits;
  kill(c, SIGSTOP);
  CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st), "waitpid reports the next stop");
  CHECK_NOT_ON_QEMU("QEMU 7.2's user mode does not pass SA_NOCLDSTOP on", hits == before_stop,
                    "SA_NOCLDSTOP: no SIGCHLD for it");
  kill(c, SIGKILL);
  st = reap(c);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL ends it");
  /* SIGCHLD ignored: no zombies; wait4 waits for the children, then ECHILD. The child
   * ends once its parent is asleep in waitpid. */
  signal(SIGCHLD, SIG_IGN);
  fflush(stdout);
  c = fork();
  if (c == 0) {
    wait_blocked(getppid());
    _exit(1);
  }
  errno = 0;
  CHECK(waitpid(-1, &st, 0) == -1 && errno == ECHILD,
        "SIGCHLD ignored: the child is reaped when it ends, waitpid then says ECHILD");
  chld.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
  sigaction(SIGCHLD, &chld, NULL);
  hits = 0;
  fflush(stdout);
  c = fork();
  if (c == 0)
    _exit(1);
  errno = 0;
  int r = waitpid(-1, &st, 0), e = errno;
  CHECK_NOT_ON_QEMU("QEMU 7.2's user mode does not pass SA_NOCLDWAIT on",
                    r == -1 && e == ECHILD && hits == 1 && last_code == CLD_EXITED,
                    "SA_NOCLDWAIT: the same, and the handler still gets SIGCHLD");
  signal(SIGCHLD, SIG_DFL);

  proc_fields();

  /* The signal trampoline's page, as Linux shows its vDSO. */
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[256];
  int vdso = 0;
  while (maps && fgets(line, sizeof line, maps))
    if (strstr(line, " r-xp ") && strstr(line, "[vdso]\n"))
      vdso++;
  if (maps)
    fclose(maps);
  CHECK_NOT_ON_QEMU("QEMU 7.2's user mode maps no vDSO for riscv64", vdso == 1,
                    "/proc/self/maps shows one r-xp [vdso]");

  /* rt_sigreturn with no frame at sp: SIGSEGV ends the process. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
#ifdef __riscv
    __asm__ volatile("li sp, 16\n li a7, 139\n ecall" ::: "memory");
#endif
    kill(getpid(), SIGSEGV);
    _exit(0);
  }
  st = reap(c);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "rt_sigreturn without a frame: SIGSEGV");

  /* A frame that cannot be written: SIGSEGV ends the process. */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    void *gone = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t bad = {.ss_sp = gone, .ss_size = 65536};
    sigaltstack(&bad, NULL);
    munmap(gone, 65536);
    install(SIGUSR1, count, NULL, SA_ONSTACK);
    raise(SIGUSR1);
    _exit(0);
  }
  st = reap(c);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
        "a handler whose frame cannot be written: SIGSEGV ends the process");
  return done();
}
