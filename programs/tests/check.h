/* A tiny TAP-style checker for the project's own guest tests: each CHECK prints
 * "ok N - what" or "not ok N - what (detail)", and done() prints the plan line and returns the
 * exit status (0 when everything passed). The output must be the same on Linux
 * (qemu-riscv64) and on rvmmu's kernel, so nothing printed may depend on addresses or pids. */
#ifndef CHECK_H
#define CHECK_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks, failures;

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    int ok_ = (cond);                                                     \
    checks++;                                                             \
    printf("%s %d - ", ok_ ? "ok" : "not ok", checks);                    \
    printf(__VA_ARGS__);                                                  \
    if (!ok_) {                                                           \
      failures++;                                                         \
      printf(" (%s:%d: %s; errno %d %s)", __FILE__, __LINE__, #cond, errno, \
             strerrorname(errno));                                        \
    }                                                                     \
    printf("\n");                                                         \
    fflush(stdout);                                                       \
  } while (0)

/* The error-number name, so that failures say which error came back. */
static const char *strerrorname(int e) {
  switch (e) {
  case 0: return "0";
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case EBADF: return "EBADF";
  case ECHILD: return "ECHILD";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case EFAULT: return "EFAULT";
  case EEXIST: return "EEXIST";
  case EINVAL: return "EINVAL";
  case ENOSYS: return "ENOSYS";
  default: return "other";
  }
}

/* A check that qemu-riscv64 (user mode, QEMU 7.2), the reference these tests also run on,
 * gets wrong where Linux does not: there it is reported as skipped, with the reason. The
 * test harness sets RVMMU_ON_QEMU_USER=1 when it runs a program under qemu-riscv64. */
#define CHECK_NOT_ON_QEMU(reason, cond, ...)                              \
  do {                                                                    \
    if (getenv("RVMMU_ON_QEMU_USER")) {                                   \
      checks++;                                                           \
      printf("ok %d - ", checks);                                         \
      printf(__VA_ARGS__);                                                \
      printf(" # SKIP on qemu-user: %s\n", reason);                       \
      fflush(stdout);                                                     \
    } else {                                                              \
      CHECK(cond, __VA_ARGS__);                                           \
    }                                                                     \
  } while (0)

static int done(void) {
  printf("1..%d\n", checks);
  if (failures)
    printf("# %d of %d failed\n", failures, checks);
  fflush(stdout);
  return failures != 0;
}
#endif
