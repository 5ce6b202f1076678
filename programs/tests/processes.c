/* Several processes: fork + execve of another program, wait4's statuses (exit, SIGSEGV),
 * WNOHANG, ECHILD, orphans going to init, the kernel's process limit against a fork bomb,
 * and preemption (a child spinning in a loop does not stop its parent).
 *
 * On rvmmu this program is init (pid 1) and the harness puts /bin/exit_code (exits with
 * argv[1]), /bin/not_elf (executable text) and /etc/data (not executable) in the
 * initramfs. qemu-riscv64 runs execve on the host (no initramfs, no binfmt_misc), has no
 * process limit below the host's and no init to reparent to: those checks are skipped
 * there. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "blocked.h"

/* Why the execve checks do not run on the host's own Linux (tests/tests/host_linux.rs):
 * /bin/exit_code, /bin/not_elf and /etc/data are the test initramfs's files. */
#define HOST_FILES "the host's /bin and /etc are not the test's initramfs"

/* The kernel's documented process limit (docs/KERNEL.md, "Processes"). */
#define MAX_PROCS 64

static char *const envp[] = {"HOME=/", NULL};

static long ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Spins (no system call but the clock) for `ms` milliseconds. */
static void spin(long ms) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (ms_since(&t0) < ms)
    ;
}

/* Work in user mode until this process's CPU clock has advanced by `ms` (reading it
 * rarely, so that the system calls are a small share); 0 if the clock never got there. */
static int burn_cpu(long ms) {
  struct timespec t0, t;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0) != 0)
    return 0;
  volatile long x = 0;
  for (long round = 0; round < 100000; round++) {
    for (long i = 0; i < 100000; i++)
      x += i;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
      return 1;
  }
  return 0;
}

static long tv_us(struct timeval tv) { return tv.tv_sec * 1000000 + tv.tv_usec; }

/* CPU time (user + system) of a struct rusage, in microseconds. */
static long cpu_us(const struct rusage *r) { return tv_us(r->ru_utime) + tv_us(r->ru_stime); }

/* A word shared (MAP_SHARED) with the children forked after it is made: through it the
 * parent tells a spinning child to stop, so that no check depends on how soon a loaded
 * host's scheduler runs either process. NULL if mmap failed. */
static volatile int *shared_word(void) {
  static volatile int *word;
  if (!word) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    word = p == MAP_FAILED ? NULL : p;
  }
  if (word)
    *word = 0;
  return word;
}

/* Spins in user mode, with no system call, until *stop becomes nonzero. */
static void spin_until(volatile int *stop) {
  while (!*stop)
    ;
}

/* The 14th and 15th fields of /proc/self/stat: user plus system time in clock ticks. */
static long stat_cputime(void) {
  char buf[1024];
  int fd = open("/proc/self/stat", O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  char *s = strrchr(buf, ')');
  long v = 0;
  int seen = 0;
  for (int field = 2; s && field <= 14; field++) {
    s = strchr(s + 1, ' ');
    if (s && field >= 13) {
      v += strtol(s + 1, NULL, 10);
      seen++;
    }
  }
  return seen == 2 ? v : -1;
}

/* A child that sleeps (10 s: it is signalled long before). */
static pid_t sleeper(void) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct timespec ts = {10, 0};
    nanosleep(&ts, NULL);
    _exit(0);
  }
  return c;
}

/* How child `c` ended: its signal, or 100 + its exit status, or -1. */
static int ending_of(pid_t c) {
  int st;
  if (waitpid(c, &st, 0) != c)
    return -1;
  return WIFSIGNALED(st) ? WTERMSIG(st) : WIFEXITED(st) ? 100 + WEXITSTATUS(st) : -1;
}

/* Floating-point work across preemption: `a` and `b` live in FP registers through the
 * loop (callee-saved across the clock calls), while another process does the same with
 * other values; a switch that lost FP state would show in the sums. */
static int fp_spin(double seed, long ms) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  double a = seed, b = seed * 2;
  long n = 0;
  do {
    a += 1.0;
    b += 2.0;
    n++;
  } while (ms_since(&t0) < ms);
  return n > 0 && a == seed + n && b == seed * 2 + 2.0 * n;
}

static int fp_survives_switches(void) {
  pid_t c = fork();
  if (c == 0)
    _exit(fp_spin(3.0, 60) ? 0 : 1);
  int ok = fp_spin(1000.5, 60);
  int st = 0;
  return waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0 && ok;
}

/* nanosleep: the sleeper gives the hart to a spinning child, which ends meanwhile. The
 * parent only sleeps (100 ms, then up to 50 more times while the child has not ended, for
 * a loaded host whose scheduler runs the child late): the child ends while it sleeps. */
static int sleep_lets_a_child_run(void) {
  pid_t c = fork();
  if (c == 0) {
    spin(30);
    _exit(4);
  }
  struct timespec t0, d = {0, 100 * 1000000};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int r = nanosleep(&d, NULL);
  long slept = ms_since(&t0);
  int st = 0;
  pid_t w = waitpid(c, &st, WNOHANG);
  for (int i = 0; i < 50 && w == 0 && r == 0; i++) {
    r = nanosleep(&d, NULL);
    w = waitpid(c, &st, WNOHANG);
  }
  return r == 0 && slept >= 100 && w == c && WIFEXITED(st) && WEXITSTATUS(st) == 4;
}

/* A child moves (mremap) pages it shares copy-on-write with its parent and writes them:
 * the parent's stay as they were. */
static int mremap_keeps_cow(void) {
  size_t pg = 4096;
  char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED)
    return 0;
  memset(a, 'p', 2 * pg);
  /* Something right after the area, so that growing it must move it. */
  char *block = mmap(a + 2 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                     -1, 0);
  pid_t c = fork();
  if (c == 0) {
    char *b = mremap(a, 2 * pg, 8 * pg, MREMAP_MAYMOVE);
    if (b == MAP_FAILED)
      _exit(1);
    memset(b, 'c', 2 * pg);
    _exit(b[0] == 'c' ? 0 : 2);
  }
  int st = 0;
  int ok = waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
  ok = ok && a[0] == 'p' && a[2 * pg - 1] == 'p';
  munmap(a, 2 * pg);
  if (block != MAP_FAILED)
    munmap(block, pg);
  return ok;
}

/* wait4 with a bad status pointer: EFAULT, and the child is reaped all the same. */
static int wait_efault_reaps(void) {
  pid_t c = fork();
  if (c == 0)
    _exit(0);
  errno = 0;
  int r = wait4(c, (int *)8, 0, NULL);
  int e = errno;
  int st;
  errno = 0;
  int again = waitpid(c, &st, 0);
  return r == -1 && e == EFAULT && again == -1 && errno == ECHILD;
}

/* Reads a /proc file of process `pid` into buf (NUL-terminated); 0 on failure. */
static int read_proc(pid_t pid, const char *file, char *buf, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return 0;
  size_t n = 0;
  ssize_t r;
  while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
    n += r;
  buf[n] = 0;
  close(fd);
  return n > 0;
}

/* Another process's /proc/PID files, as the notes read them from a second shell. */
static int proc_of_a_child(void) {
  static char buf[16384];
  volatile int *stop = shared_word();
  if (!stop)
    return 0;
  pid_t c = fork();
  if (c == 0) {
    spin_until(stop);   /* running until its files have been read */
    _exit(0);
  }
  char ppid[32];
  snprintf(ppid, sizeof ppid, "\nPPid:\t%d\n", (int)getpid());
  int ok = read_proc(c, "status", buf, sizeof buf) && strstr(buf, ppid) != NULL;
  ok = ok && read_proc(c, "maps", buf, sizeof buf) && strstr(buf, "[stack]") != NULL;
  *stop = 1;
  int st = 0;
  return waitpid(c, &st, 0) == c && ok;
}

/* fork + execve("/bin/exit_code", "7"): the child becomes the other program. */
static int exec_child_status(void) {
  pid_t c = fork();
  if (c == 0) {
    char *const argv[] = {"exit_code", "7", NULL};
    execve("/bin/exit_code", argv, envp);
    _exit(100 + errno);
  }
  int st = 0;
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
    return -1;
  return WEXITSTATUS(st);
}

static int exec_errno(const char *path, char *const *argv) {
  errno = 0;
  int r = execve(path, argv, envp);
  return r == -1 ? errno : 0;
}

/* execve's argument limits: one string over 128 KiB (MAX_ARG_STRLEN), or all of them over
 * a quarter of RLIMIT_STACK but never below 128 KiB (ARG_MAX): in a child whose
 * RLIMIT_STACK is 256 KiB, 2 x 100 KiB of arguments are too many, 2 x 60 KiB are not. */
static int exec_e2big(int one_long, size_t each) {
  static char big[200 << 10];
  size_t len = one_long ? sizeof big - 1 : each;
  memset(big, 'a', len);
  big[len] = 0;
  char *const argv[] = {"exit_code", big, one_long ? NULL : big, NULL};
  if (one_long)
    return exec_errno("/bin/exit_code", argv) == E2BIG;
  pid_t c = fork();
  if (c == 0) {
    struct rlimit r = {256 << 10, 256 << 10};
    setrlimit(RLIMIT_STACK, &r);
    _exit(exec_errno("/bin/exit_code", argv) == E2BIG ? 100 : 101);
  }
  int st = 0;
  waitpid(c, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* An orphan goes to init: on rvmmu that is this process, which then reaps it. The orphan
 * waits (up to 5 s, in 1 ms sleeps) for its parent to have ended, however late a loaded
 * host runs that parent, before it looks at its new parent. */
static int orphan_reaped_by_init(void) {
  pid_t c = fork();
  if (c == 0) {
    pid_t mid = getpid();
    pid_t g = fork();
    if (g == 0) {
      struct timespec ms1 = {0, 1000000};
      for (int i = 0; i < 5000 && getppid() == mid; i++)
        nanosleep(&ms1, NULL);
      _exit(getppid() == 1 ? 9 : 8);
    }
    _exit(g > 0 ? 0 : 1);
  }
  int st = 0;
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return 0;
  pid_t g = waitpid(-1, &st, 0);
  return g > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 9;
}

/* Forks until fork fails; every child exits at once (zombies count until reaped). Returns
 * the number of children made; *err gets fork's errno; *reaped how many wait4 returned. */
static int fork_bomb(int *err, int *reaped) {
  int n = 0;
  for (;;) {
    errno = 0;
    pid_t c = fork();
    if (c == 0)
      _exit(0);
    if (c < 0) {
      *err = errno;
      break;
    }
    if (++n > 4 * MAX_PROCS)
      break;
  }
  int st;
  *reaped = 0;
  while (waitpid(-1, &st, 0) > 0)
    (*reaped)++;
  return n;
}

static int bomb_bounded(void) {
  int err = 0, reaped = 0;
  int n = fork_bomb(&err, &reaped);
  /* This process plus n children fill the table. */
  return n == MAX_PROCS - 1 && err == EAGAIN && reaped == n && errno == ECHILD;
}

static int fork_works_again(void) {
  pid_t c = fork();
  if (c == 0)
    _exit(3);
  int st = 0;
  return c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3;
}

int main(void) {
  int st = 0;
  pid_t me = getpid();

  /* Exit statuses, and the child's view of its parent. */
  pid_t c = fork();
  if (c == 0)
    _exit(getppid() == me ? 42 : 1);
  CHECK(c > 0, "fork returns a pid to the parent");
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  CHECK(wait4(c, &st, 0, &ru) == c, "wait4 returns that child");
  CHECK(WIFEXITED(st) && !WIFSIGNALED(st) && WEXITSTATUS(st) == 42,
        "the child's exit status arrives, and it saw its parent's pid");
  CHECK(ru.ru_minflt > 0 && ru.ru_majflt >= 0, "wait4's rusage counts the child's faults");
  CHECK_NOT_ON_QEMU_OR_HOST("the qemu process's major faults depend on the host's page cache",
                            "major faults depend on the host's page cache", ru.ru_majflt == 0,
                            "no major fault without swap or files to read");
  struct rusage self, children;
  CHECK(getrusage(RUSAGE_SELF, &self) == 0 && getrusage(RUSAGE_CHILDREN, &children) == 0 &&
            self.ru_minflt > 0 && self.ru_maxrss > 0 && children.ru_minflt >= ru.ru_minflt,
        "getrusage: this process's faults and peak size, and the reaped child's faults");

  /* A child killed by a signal. */
  c = fork();
  if (c == 0) {
    volatile uintptr_t addr = 16;
    *(volatile int *)addr = 1;
    _exit(0);
  }
  CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && !WIFEXITED(st) && WTERMSIG(st) == SIGSEGV,
        "a child storing to address 16 ends by SIGSEGV");

  /* execve of another program from the initramfs, in a forked child. */
  CHECK_NOT_ON_QEMU_OR_HOST("execve runs on the host", HOST_FILES, exec_child_status() == 7,
                    "fork + execve(/bin/exit_code 7) gives exit status 7");
  char *const noargs[] = {"x", NULL};
  CHECK(exec_errno("/bin/no_such_program", noargs) == ENOENT, "execve of a missing file: ENOENT");
  CHECK_NOT_ON_QEMU_OR_HOST("execve runs on the host", HOST_FILES, exec_errno("/etc/data", noargs) == EACCES,
                    "execve of a file without execute permission: EACCES");
  CHECK_NOT_ON_QEMU_OR_HOST("execve runs on the host", HOST_FILES, exec_errno("/bin/not_elf", noargs) == ENOEXEC,
                    "execve of an executable that is not ELF: ENOEXEC");
  CHECK_NOT_ON_QEMU_OR_HOST("execve runs on the host", HOST_FILES,
                    exec_errno("/bin/exit_code", (char *const *)8) == EFAULT,
                    "execve with a bad argv: EFAULT");

  CHECK_NOT_ON_QEMU_OR_HOST("execve runs on the host", HOST_FILES, exec_e2big(1, 0) == 1,
                    "execve with a 200 KiB argument: E2BIG");
  CHECK_NOT_ON_QEMU_OR_HOST("execve runs on the host", HOST_FILES,
                    exec_e2big(0, 100 << 10) == 100 && exec_e2big(0, 60 << 10) == 0,
                    "with RLIMIT_STACK 256 KiB, 200 KiB of arguments: E2BIG; 120 KiB: no");

  /* Preemption: the child spins until told to stop through shared memory; this process
   * still runs (and sees it running). */
  volatile int *stop = shared_word();
  CHECK(stop != NULL, "a shared anonymous word to stop a spinning child");
  c = fork();
  if (c == 0) {
    if (stop)
      spin_until(stop);
    _exit(5);
  }
  sched_yield();
  CHECK(waitpid(c, &st, WNOHANG) == 0, "WNOHANG with a child still spinning: 0");
  if (stop)
    *stop = 1;
  CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 5,
        "the spinning child ends and is reaped");

  CHECK(mremap_keeps_cow(), "a child's mremap of copy-on-write pages leaves the parent's alone");
  CHECK(wait_efault_reaps(), "wait4 with a bad status pointer: EFAULT, the child reaped");
  CHECK(proc_of_a_child(), "/proc/PID/status and maps of a running child");
  CHECK(sleep_lets_a_child_run(), "nanosleep sleeps 100 ms while a child runs to its end");
  CHECK(fp_survives_switches(), "two processes computing with FP registers both get their sums");

  errno = 0;
  CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "no children: ECHILD");
  errno = 0;
  CHECK(wait4(-1, &st, 0, NULL) == -1 && errno == ECHILD, "no children, blocking: ECHILD");

  CHECK_NOT_ON_QEMU_OR_HOST("the host's init adopts orphans", "this program is not the host's init", orphan_reaped_by_init(),
                    "an orphan goes to init, which reaps it");
  CHECK_NOT_ON_QEMU_OR_HOST("the host has no such process limit", "the host has no such process limit", bomb_bounded(),
                    "a fork bomb stops at the process limit with EAGAIN; all are reaped");
  CHECK(fork_works_again(), "fork works again afterwards");

  /* CPU time, checked through relations that hold however busy the host is. The process's
   * CPU clock (CLOCK_PROCESS_CPUTIME_ID) is the sum getrusage, times and /proc/PID/stat
   * split into user and system time (Linux: utime + stime = the runtime, however the
   * tick samples divided it; rvmmu: the precise account); how a loaded host's scheduler
   * divided it is not checked, only that user-mode work left some user time. */
  struct rusage r0, r1;
  struct tms tm0, tm1;
  long ticks = sysconf(_SC_CLK_TCK);
  long st0 = stat_cputime();
  getrusage(RUSAGE_SELF, &r0);
  times(&tm0);
  CHECK(burn_cpu(50), "CLOCK_PROCESS_CPUTIME_ID advances while the process computes");
  getrusage(RUSAGE_SELF, &r1);
  times(&tm1);
  /* 50 ms on the CPU clock between the two getrusage calls; each timeval is truncated to
   * the microsecond. */
  CHECK(cpu_us(&r1) - cpu_us(&r0) >= 50000 - 4 && tv_us(r1.ru_utime) > tv_us(r0.ru_utime),
        "getrusage: the computing shows as CPU time, user time among it");
  /* Each of the four clock_t values is truncated to a whole tick. */
  CHECK((tm1.tms_utime + tm1.tms_stime - tm0.tms_utime - tm0.tms_stime + 2) * 1000 / ticks >= 50,
        "times: the same in clock ticks");
  CHECK_NOT_ON_QEMU("qemu-user's /proc/self/stat has no CPU times",
                    st0 >= 0 && (stat_cputime() - st0 + 2) * 1000 / ticks >= 50,
                    "/proc/self/stat's utime + stime too");
  getrusage(RUSAGE_CHILDREN, &r0);
  times(&tm0);
  fflush(stdout);
  c = fork();
  if (c == 0)
    _exit(burn_cpu(50) ? 0 : 1);
  struct rusage rc;
  CHECK(wait4(c, &st, 0, &rc) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
            cpu_us(&rc) >= 50000 - 2 && tv_us(rc.ru_utime) > 0,
        "wait4's rusage: the 50 ms the child's own CPU clock counted, user time among it");
  getrusage(RUSAGE_CHILDREN, &r1);
  times(&tm1);
  long du = tv_us(r1.ru_utime) - tv_us(r0.ru_utime), ds = tv_us(r1.ru_stime) - tv_us(r0.ru_stime);
  CHECK(labs(du - tv_us(rc.ru_utime)) <= 1 && labs(ds - tv_us(rc.ru_stime)) <= 1,
        "RUSAGE_CHILDREN grew by wait4's rusage of the reaped child");
  /* Four clock_t values, each truncated to a whole tick: within two ticks either way. */
  long dticks = tm1.tms_cutime + tm1.tms_cstime - tm0.tms_cutime - tm0.tms_cstime;
  CHECK(dticks * 1000 / ticks <= (du + ds) / 1000 + 1 + 2000 / ticks &&
            (dticks + 2) * 1000 / ticks >= (du + ds) / 1000,
        "times' cutime + cstime grew by the same, in clock ticks");

  /* Signals with their default actions (no handlers). */
  c = sleeper();
  wait_blocked(c); /* asleep in its nanosleep (blocked.h), 10 s at most */
  CHECK(kill(c, 0) == 0, "kill(pid, 0): the process exists");
  CHECK(kill(c, SIGTERM) == 0 && ending_of(c) == SIGTERM, "SIGTERM ends a sleeping child");
  errno = 0;
  CHECK(kill(c, 0) == -1 && errno == ESRCH, "once reaped, kill(pid, 0): ESRCH");
  c = sleeper();
  errno = 0;
  CHECK(kill(c, 65) == -1 && errno == EINVAL, "signal 65: EINVAL");
  CHECK(kill(c, SIGCHLD) == 0 && kill(c, SIGCONT) == 0 && kill(c, 0) == 0,
        "SIGCHLD and SIGCONT (ignored by default) leave it alone");
  CHECK(kill(c, SIGKILL) == 0 && ending_of(c) == SIGKILL, "SIGKILL ends it");
  int ended[2];
  char eof;
  CHECK(pipe(ended) == 0, "a pipe to see a child end");
  fflush(stdout);
  c = fork();
  if (c == 0)
    _exit(7);
  close(ended[1]);
  /* End of file once the child's descriptors are closed: it has ended. */
  CHECK(read(ended[0], &eof, 1) == 0 && kill(c, SIGKILL) == 0 && ending_of(c) == 107,
        "an ended child not yet reaped can be signalled, to no effect: its exit status stays");
  close(ended[0]);
  fflush(stdout);
  c = fork();
  if (c == 0) {
    raise(SIGUSR1);
    _exit(0);
  }
  CHECK(ending_of(c) == SIGUSR1, "raise(SIGUSR1) (tgkill) ends the caller");
  fflush(stdout);
  c = fork();
  if (c == 0)
    abort();
  CHECK(ending_of(c) == SIGABRT, "abort() ends the caller with SIGABRT");
  return done();
}
