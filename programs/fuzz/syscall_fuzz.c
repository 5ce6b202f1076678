/* A system-call fuzzer for the kernel: random calls with random and boundary arguments
 * from a fixed seed, in several processes.
 *
 * Usage: syscall_fuzz [CALLS [SEED [CHILDREN [ROUNDS]]]] (defaults 500, 1, 4, 3). Each of CHILDREN
 * children (seed SEED * 1000 + i) issues CALLS calls; every answer must be >= 0 or a Linux
 * error number, -1..-133 (never -134..-4095: an errno Linux does not have, or the kernel's
 * internal ERESTARTSYS escaping). The children are run ROUNDS times, with the same seeds;
 * the frames free or in the kernel heap (/proc/meminfo's MemFree + Slab) are counted before
 * the first round and after each, and must be the same after every later round as after
 * the first: what the first round left allocated (measured: 4 kB) is reused, not grown
 * again, unless something leaks. (MemFree alone moves by a page or two between rounds: the
 * heap's slabs are left partly used by frees in another order.)
 * Prints one summary line and PASS or FAIL; exit 0 on PASS.
 *
 * Only for the kernel: it is never run on the host (qemu-riscv64 passes system calls to
 * the host kernel, as root in CI: random unlinkat, mount or sethostname calls are not to be
 * made there).
 *
 * Left out (the deny list), and why:
 *  - calls that end or replace the process: exit (93), exit_group (94), execve (221),
 *    execveat (281); clone3 (435). clone (220) is made, but always as a plain fork
 *    (flags SIGCHLD, no new stack), whose child ends at once: so fork and exit run with
 *    whatever the fuzzing did to the address space, and the reaping with wait4 (the main
 *    process reaps what its children leave);
 *  - signals to others or to itself, and signal state that would jump to garbage: kill
 *    (129), tkill (130), tgkill (131), rt_sigqueueinfo (138), rt_tgsigqueueinfo (240),
 *    pidfd_send_signal (424), rt_sigaction (134), rt_sigreturn (139), sigaltstack (132);
 *  - calls that wait for something that never comes (no other thread, nobody writes its
 *    pipes, its console input never comes): read (63), readv (65), pread64 (67) and preadv
 *    (69) are made only on descriptors that fstat says are neither pipes nor terminals
 *    (else on -1); write (64), writev (66), pwrite64 (68), pwritev (70) are not made (a
 *    full pipe waits, the console would get garbage, a /proc/sys/vm tunable would take
 *    it), nor sendfile (71), pselect6
 *    (72), ppoll (73), splice (76), tee (77), nanosleep (101), clock_nanosleep (115),
 *    futex (98), rt_sigsuspend (133), rt_sigtimedwait (137), wait4/waitid only when it has
 *    children (it has none: they are allowed), pause-like epoll_pwait (22), recvfrom (207),
 *    recvmsg (212), accept (202), accept4 (242), connect (203), msgrcv (188), semop (193),
 *    semtimedop (192), mq_timedreceive (183), io_getevents (4), flock (32);
 *  - calls that change the whole machine or its clock: reboot (142), clock_settime (112),
 *    settimeofday (170), adjtimex (171), clock_adjtime (266), mount (40), umount2 (39),
 *    pivot_root (41), chroot (51), swapon (224), swapoff (225), sethostname (161),
 *    setdomainname (162), init_module (105), finit_module (273), delete_module (106),
 *    kexec_load (104), acct (89), quotactl (60), syslog (116);
 *  - calls that reach into other processes or restrict this one: ptrace (117),
 *    process_vm_readv (270), process_vm_writev (271), seccomp (277), prctl (167), setrlimit
 *    (164), and prlimit64 (261) is called with no new limit.
 * Pointer arguments are either inside the fuzzer's own arena (a mapping nothing else uses,
 * holding a few real paths) or bad on purpose (0, 1, unmapped, kernel-half, non-canonical,
 * just below the stack's limit, just past the arena); so the memory calls (mmap, munmap,
 * mremap, mprotect, madvise, brk...) can only change the arena, never its code, stack or
 * heap. brk only gets 0 or bad addresses (glibc's malloc heap is there). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARENA_SIZE (64 * 4096)
#define REPORT_FD 777
#define MAX_NR 463

static const int denied[] = {
    93, 94, 221, 281, 435, 129, 130, 131, 138, 240, 424, 134, 139, 132,
    64, 66, 68, 70, 71, 72, 73, 76, 77, 101, 115, 98, 133, 137,
    22, 207, 212, 202, 242, 203, 188, 193, 192, 183, 4, 32,
    142, 112, 170, 171, 266, 40, 39, 41, 51, 224, 225, 161, 162, 105, 273, 106, 104, 89, 60,
    116, 117, 270, 271, 277, 167, 164,
};

/* Calls the kernel implements (or Linux programs make most), drawn 11 times in 16; any
 * number below MAX_NR 4 in 16, and any below 5000 (mostly not calls at all) 1 in 16. */
static const int common[] = {
    17, 23, 24, 25, 29, 35, 46, 48, 49, 50, 53, 56, 57, 59, 61, 62, 63, 65, 67, 78, 79, 80,
    96, 99,
    113, 123, 124, 135, 143, 144, 145, 146, 147, 148, 149, 150, 153, 155, 157, 158, 159,
    160, 165, 166, 172, 173, 174, 175, 176, 177, 178, 179, 198, 199, 214, 215, 216, 222,
    220, 226, 227, 232, 233, 260, 261, 278, 291, 439,
};

static uint64_t state;
static uint64_t next(void) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static long raw_syscall(long n, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long x10 __asm__("a0") = a0;
  register long x11 __asm__("a1") = a1;
  register long x12 __asm__("a2") = a2;
  register long x13 __asm__("a3") = a3;
  register long x14 __asm__("a4") = a4;
  register long x15 __asm__("a5") = a5;
  register long x17 __asm__("a7") = n;
  __asm__ volatile("ecall"
                   : "+r"(x10)
                   : "r"(x11), "r"(x12), "r"(x13), "r"(x14), "r"(x15), "r"(x17)
                   : "memory");
  return x10;
}

static char *arena;
static uint64_t stack_below;

static void report(const char *fmt, long a, long b) {
  char line[160];
  int n = snprintf(line, sizeof line, fmt, a, b);
  if (n > 0)
    raw_syscall(64, REPORT_FD, (long)line, n, 0, 0, 0);
}

/* One argument: boundary values, flag bits, descriptors, arena pointers, bad pointers. */
static uint64_t arg(void) {
  uint64_t r = next();
  switch (r % 12) {
  case 0: return 0;
  case 1: return next() % 17;
  case 2: return (uint64_t) - (int64_t)(next() % 5 + 1);
  case 3: return (uint64_t)arena + (next() % ARENA_SIZE & ~7ull);
  case 4: return (uint64_t)arena + (next() % 4) * 64; /* one of the paths */
  case 5: {
    static const uint64_t bad[] = {1, 0x1000, 0xffffffc000000000ull, 0xffffffff80000000ull,
                                   0x0000800000000000ull, 0x0000004000000000ull,
                                   (uint64_t)-4096, 0x8000000000000000ull};
    uint64_t v = bad[next() % 8];
    return next() % 3 ? v : (next() % 2 ? stack_below : (uint64_t)arena + ARENA_SIZE);
  }
  case 6: {
    static const uint64_t huge[] = {1ull << 62, 1ull << 31, 0x7fffffffffffffffull, ~0ull,
                                    0xffffffffull, 1ull << 40};
    return huge[next() % 6];
  }
  case 7: return 1ull << (next() % 64);
  case 8: return next() % 2 ? ~0ull : next();
  case 9: {
    static const uint64_t fds[] = {(uint64_t)-1, 0, 1, 2, 3, 4, 5, 6, 1023, 1024,
                                   0x7fffffff, (uint64_t)-100};
    return fds[next() % 12];
  }
  case 10: return 4096 * (next() % 20);
  default: return next() & 0xffff;
  }
}

/* A pointer argument for the memory calls' address: the arena's pages or bad ones only. */
static uint64_t mem_addr(void) {
  uint64_t r = next() % 4;
  if (r == 0) {
    static const uint64_t bad[] = {0, 1, 0xffffffc000000000ull, (uint64_t)-4096,
                                   0x0000800000000000ull};
    return bad[next() % 5];
  }
  return (uint64_t)arena + 4096 * (next() % (ARENA_SIZE / 4096)) + (r == 1 ? next() % 4096 : 0);
}

/* A length for a memory call at `addr`: when `addr` is in the arena, at most what is left
 * of the arena from there; when it is 0 (which root may map, as on Linux), at most 64 KiB
 * (the program starts above) or -1, which every memory call refuses (madvise(0, 2^62,
 * MADV_DONTNEED) is accepted by Linux and drops every page of the process). So
 * MAP_FIXED, munmap or mremap never reach the fuzzer's own code, heap or stack. Other
 * (bad) addresses keep any length: the range is outside the user half anyway. */
static uint64_t mem_len(uint64_t addr, uint64_t len) {
  uint64_t lo = (uint64_t)arena, hi = lo + ARENA_SIZE;
  if (addr >= lo && addr < hi) {
    uint64_t room = hi - (addr & ~4095ull);
    return len % (room + 1);
  }
  if (addr < 0x10000 && len > 0x10000 - addr)
    return next() % 2 ? 0x10000 - addr : ~0ull;
  return len;
}

static int is_denied(long nr) {
  for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
    if (denied[i] == nr)
      return 1;
  return 0;
}

static int child(long calls, uint64_t seed) {
  state = seed;
  /* Its own descriptor for reports, out of the fuzzed range. */
  dup2(1, REPORT_FD);
  int bad = 0;
  long ok = 0, enosys = 0;
  for (long i = 0; i < calls; i++) {
    long nr;
    do {
      uint64_t r = next() % 16;
      if (r == 0)
        nr = (long)(next() % 5000);
      else if (r < 5)
        nr = (long)(next() % MAX_NR);
      else
        nr = common[next() % (sizeof common / sizeof common[0])];
    } while (is_denied(nr));
    uint64_t a[6];
    for (int k = 0; k < 6; k++)
      a[k] = arg();
    switch (nr) {
    case 214: /* brk: never move glibc's heap */
      a[0] = next() % 2 ? 0 : 0xffffffc000000000ull;
      break;
    case 215: case 216: case 226: case 227: case 232: case 233: case 228: case 229:
    case 230: case 231: case 283: case 447:
      /* munmap, mremap, mprotect, msync, mincore, madvise, mlock, munlock, mlockall,
       * munlockall, mlock2... on the arena */
    case 222: /* mmap: MAP_FIXED only in the arena */
      a[0] = mem_addr();
      a[1] = mem_len(a[0], a[1]);
      if (nr == 216) { /* mremap(old, old_len, new_len, flags, new_addr) */
        a[4] = mem_addr();
        a[2] = mem_len(a[4] == 0 ? a[0] : a[4], a[2]);
        a[2] = mem_len(a[0], a[2]);
      }
      break;
    case 220: /* clone: a fork whose child ends at once */
      a[0] = 17;
      a[1] = 0;
      break;
    case 63: case 65: case 67: case 69: { /* reads: not from a pipe or the console */
      unsigned char st[128];
      if (raw_syscall(80, (long)a[0], (long)st, 0, 0, 0, 0) != 0)
        break; /* a bad descriptor: EBADF */
      unsigned mode;
      memcpy(&mode, st + 16, 4);
      if ((mode & 0170000) == 0010000 || (mode & 0170000) == 0020000 || a[0] == REPORT_FD)
        a[0] = (uint64_t)-1;
      break;
    }
    case 261: /* prlimit64: read only */
      a[2] = 0;
      break;
    case 23: case 24: case 25: case 57: case 436: /* dup, dup3, fcntl, close, close_range */
      if (a[0] == REPORT_FD || a[1] == REPORT_FD)
        a[0] = (uint64_t)-1;
      if (nr == 436)
        a[1] = a[0] < REPORT_FD ? a[0] + 1 : a[0];
      break;
    }
    long r = raw_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (nr == 220 && r == 0)
      raw_syscall(94, 0, 0, 0, 0, 0, 0);
    if (r >= 0)
      ok++;
    else if (r == -38)
      enosys++;
    if (r < 0 && r >= -4095 && r < -133) {
      if (bad++ < 5)
        report("violation: syscall %ld returned %ld\n", nr, r);
    }
  }
  report("child: %ld calls succeeded, %ld ENOSYS", ok, enosys);
  report(", %ld other errors\n", calls - ok - enosys, 0);
  return bad != 0;
}

/* /proc/meminfo's MemFree plus Slab, in kB: the frames that are free or hold the kernel
 * heap's objects. The heap keeps slabs that frees in another order leave partly used (the
 * children's interleaving differs from round to round once they fork), so MemFree alone
 * moves by a few pages; the sum only moves when frames are lost. */
static long mem_free_kb(void) {
  int fd = open("/proc/meminfo", O_RDONLY);
  if (fd < 0)
    return -1;
  char buf[4096];
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  char *free = strstr(buf, "MemFree:"), *slab = strstr(buf, "Slab:");
  return free && slab ? strtol(free + 8, NULL, 10) + strtol(slab + 5, NULL, 10) : -1;
}

/* Runs the children once; returns how many failed (violations, or killed). */
static int round_of(long calls, uint64_t seed, int children) {
  int failed = 0;
  pid_t pids[64];
  if (children > 64)
    children = 64;
  fflush(stdout);
  for (int i = 0; i < children; i++) {
    pid_t pid = fork();
    pids[i] = pid;
    if (pid == 0) {
      arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (arena == MAP_FAILED)
        _exit(2);
      static const char *paths[] = {"/proc/self/status", "/", "/proc/meminfo", "/init"};
      for (int k = 0; k < 4; k++)
        strcpy(arena + 64 * k, paths[k]);
      int local;
      stack_below = (((uint64_t)&local) & ~4095ull) - (8u << 20) - 4096;
      _exit(child(calls, seed * 1000 + (uint64_t)i));
    }
    if (pid < 0) {
      printf("fork failed\n");
      return children;
    }
  }
  for (int i = 0; i < children; i++) {
    int st = 0;
    if (waitpid(pids[i], &st, 0) < 0)
      break;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      failed++;
      if (WIFSIGNALED(st))
        printf("a child was killed by signal %d\n", WTERMSIG(st));
      else
        printf("a child exited with %d\n", WEXITSTATUS(st));
    }
  }
  /* The children's own children, orphaned to init (this process), when they did not reap
   * them. */
  while (wait(NULL) > 0)
    ;
  return failed;
}

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 500;
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
  int children = argc > 3 ? atoi(argv[3]) : 4;
  int rounds = argc > 4 && atoi(argv[4]) >= 2 ? atoi(argv[4]) : 3;
  printf("fuzz: %ld calls in each of %d children, seed %llu\n", calls, children,
         (unsigned long long)seed);
  fflush(stdout);
  long before = mem_free_kb();
  int failed = round_of(calls, seed, children);
  long after1 = mem_free_kb(), last = after1;
  printf("fuzz: MemFree+Slab %ld kB before, %ld kB after round 1\n", before, after1);
  for (int r = 2; r <= rounds; r++) {
    failed += round_of(calls, seed, children);
    last = mem_free_kb();
    printf("fuzz: MemFree+Slab %ld kB after round %d\n", last, r);
  }
  int leak = last != after1 || before < 0;
  if (leak)
    printf("fuzz: the later rounds changed MemFree+Slab by %ld kB\n", last - after1);
  printf("fuzz: %d failed children\n%s\n", failed, failed || leak ? "FAIL" : "PASS");
  return failed || leak;
}
