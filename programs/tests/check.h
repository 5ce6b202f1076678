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

/* Skipping a check where a reference cannot answer it: the check still counts and prints
 * "ok N - what # SKIP on WHERE: reason", so that every run prints the same numbered lines
 * (the harness compares them without the " # SKIP ..." remark). `env` names the variable
 * the harness sets for that reference. Used as `SKIP_IF_(...) else { ... }`. */
#define SKIP_IF_(env, where, reason, ...)                                 \
  if (getenv(env)) {                                                      \
    checks++;                                                             \
    printf("ok %d - ", checks);                                           \
    printf(__VA_ARGS__);                                                  \
    printf(" # SKIP on " where ": %s\n", reason);                         \
    fflush(stdout);                                                       \
  }

/* A check that qemu-riscv64 (user mode, QEMU 7.2), the reference these tests also run on,
 * gets wrong where Linux does not: there it is reported as skipped, with the reason. The
 * test harness sets RVMMU_ON_QEMU_USER=1 when it runs a program under qemu-riscv64. */
#define CHECK_NOT_ON_QEMU(reason, cond, ...)                              \
  do {                                                                    \
    SKIP_IF_("RVMMU_ON_QEMU_USER", "qemu-user", reason, __VA_ARGS__)      \
    else CHECK(cond, __VA_ARGS__);                                        \
  } while (0)

/* A check where the host's own Linux (the program built with the host's cc and run there
 * by tests/tests/host_linux.rs, which sets RVMMU_ON_HOST_LINUX=1) legitimately differs
 * from the rvmmu kernel: a shared, busy machine, not an initramfs with this program as
 * init. The reason says which difference. */
#define CHECK_NOT_ON_HOST(reason, cond, ...)                              \
  do {                                                                    \
    SKIP_IF_("RVMMU_ON_HOST_LINUX", "host Linux", reason, __VA_ARGS__)    \
    else CHECK(cond, __VA_ARGS__);                                        \
  } while (0)

/* Both: skipped on qemu-user for `qreason`, on the host's Linux for `hreason`. */
#define CHECK_NOT_ON_QEMU_OR_HOST(qreason, hreason, cond, ...)            \
  do {                                                                    \
    SKIP_IF_("RVMMU_ON_QEMU_USER", "qemu-user", qreason, __VA_ARGS__)     \
    else SKIP_IF_("RVMMU_ON_HOST_LINUX", "host Linux", hreason, __VA_ARGS__) \
    else CHECK(cond, __VA_ARGS__);                                        \
  } while (0)

static int done(void) {
  printf("1..%d\n", checks);
  if (failures)
    printf("# %d of %d failed\n", failures, checks);
  fflush(stdout);
  return failures != 0;
}
#endif
