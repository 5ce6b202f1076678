/* The calls nearly every program makes at start-up and that this kernel answers as Linux
 * does: the user and group ids (init is root) and their set* rules, getgroups, umask
 * (inherited by fork), faccessat/faccessat2, uname, sysinfo, and socket in a kernel
 * without networking (EAFNOSUPPORT). TAP-style (check.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

static long faccessat2_raw(int dirfd, const char *path, int mode, int flags) {
  return syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

/* Runs `body` in a child and returns its exit status (0: all its checks passed). The
 * child's checks are counted and printed by the child, so they are passed back. */
static int in_child(int (*body)(void)) {
  fflush(stdout);
  int before = checks;
  pid_t pid = fork();
  if (pid == 0) {
    int r = body();
    fflush(stdout);
    _exit(r | ((checks - before) << 1));
  }
  int st = 0;
  waitpid(pid, &st, 0);
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
  checks += code >> 1;
  return code & 1;
}

static int umask_child(void) {
  int f = failures;
  CHECK(umask(0) == 077, "a child inherits its parent's umask");
  return failures != f;
}

static int drop_root_child(void) {
  int f = failures;
  CHECK(setuid(1000) == 0, "root may setuid to another user");
  uid_t r, e, s;
  CHECK(getresuid(&r, &e, &s) == 0 && r == 1000 && e == 1000 && s == 1000,
        "which sets the real, effective and saved uids");
  errno = 0;
  CHECK(setuid(0) == -1 && errno == EPERM, "and root cannot be taken back (EPERM)");
  errno = 0;
  CHECK(setresuid(-1, 0, -1) == -1 && errno == EPERM, "nor through setresuid");
  CHECK(setuid(1000) == 0, "setuid to its own uid is allowed");
  errno = 0;
  CHECK(setgid(5) == -1 && errno == EPERM, "an unprivileged setgid to another group: EPERM");
  errno = 0;
  CHECK(setgroups(0, NULL) == -1 && errno == EPERM, "and setgroups: EPERM");
  CHECK(access("/proc/self/status", R_OK) == 0, "it may still read a 0444 file");
  errno = 0;
  CHECK(access("/proc/self/status", W_OK) == -1 && errno == EACCES,
        "but not write it (EACCES)");
  return failures != f;
}

static int seteuid_child(void) {
  int f = failures;
  CHECK(setreuid(-1, 1000) == 0 && geteuid() == 1000 && getuid() == 0,
        "setreuid(-1, 1000): effective uid 1000, real uid still 0");
  uid_t r, e, s;
  CHECK(getresuid(&r, &e, &s) == 0 && s == 1000, "the saved uid follows the new effective one");
  CHECK(seteuid(0) == 0 && geteuid() == 0, "the real uid may be taken back as effective uid");
  return failures != f;
}

int main(int argc, char **argv) {
  (void)argc;
  static char outbuf[4096];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

  CHECK(getuid() == 0 && geteuid() == 0, "init runs as root: uid and euid 0");
  CHECK(getgid() == 0 && getegid() == 0, "gid and egid 0");
  uid_t r = 1, e = 1, s = 1;
  CHECK(getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0, "getresuid: 0, 0, 0");
  gid_t rg = 1, eg = 1, sg = 1;
  CHECK(getresgid(&rg, &eg, &sg) == 0 && rg == 0 && eg == 0 && sg == 0, "getresgid: 0, 0, 0");
  errno = 0;
  CHECK(syscall(SYS_getresuid, (void *)8, &e, &s) == -1 && errno == EFAULT,
        "getresuid to a bad pointer: EFAULT");
  int n = getgroups(0, NULL);
  CHECK(n >= 0, "getgroups(0, NULL) counts the supplementary groups");
  errno = 0;
  CHECK(syscall(SYS_getgroups, -1, NULL) == -1 && errno == EINVAL,
        "getgroups with a negative size: EINVAL");
  gid_t two[2] = {7, 9};
  CHECK(setgroups(2, two) == 0, "root may setgroups");
  gid_t got[4] = {0};
  CHECK(getgroups(0, NULL) == 2 && getgroups(4, got) == 2 && got[0] == 7 && got[1] == 9,
        "getgroups returns them");
  errno = 0;
  CHECK(getgroups(1, got) == -1 && errno == EINVAL, "into a list too small: EINVAL");
  CHECK(setgroups(0, NULL) == 0 && getgroups(0, NULL) == 0, "and setgroups(0) clears them");

  mode_t old = umask(077);
  CHECK_NOT_ON_QEMU("the host's umask is inherited", old == 022, "the default umask is 022");
  CHECK(in_child(umask_child) == 0, "(umask child)");
  CHECK(umask(0777 | 07000) == 077, "umask returns the previous mask");
  CHECK(umask(old) == 0777, "and keeps only the permission bits");

  CHECK(in_child(drop_root_child) == 0, "(setuid child)");
  CHECK(in_child(seteuid_child) == 0, "(setreuid child)");
  CHECK(getuid() == 0 && geteuid() == 0, "the parent is still root");

  CHECK(access("/proc/self/status", F_OK) == 0, "access F_OK of an existing file");
  CHECK(access("/proc/self/status", R_OK) == 0, "R_OK");
  errno = 0;
  CHECK(access("/proc/meminfo", W_OK) == 0, "W_OK of a 0444 /proc file, for root");
  CHECK(access("/proc/self/status", X_OK) == -1 && errno == EACCES,
        "X_OK of a file without x bits, even for root: EACCES");
  CHECK(access("/", X_OK) == 0, "X_OK of a directory, for root");
  CHECK(access(argv[0], X_OK) == 0, "X_OK of the program");
  errno = 0;
  CHECK(access("/no/such/file", F_OK) == -1 && errno == ENOENT, "a missing file: ENOENT");
  errno = 0;
  char below[4200];
  snprintf(below, sizeof below, "%s/x", argv[0]);
  CHECK(access(below, F_OK) == -1 && errno == ENOTDIR,
        "a file used as a directory: ENOTDIR");
  errno = 0;
  CHECK(access("/", 8) == -1 && errno == EINVAL, "a mode beyond R|W|X: EINVAL");
  errno = 0;
  CHECK(syscall(SYS_faccessat, AT_FDCWD, (void *)8, F_OK) == -1 && errno == EFAULT,
        "a bad path pointer: EFAULT");
  CHECK(faccessat2_raw(AT_FDCWD, "/proc/self/status", R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) == 0,
        "faccessat2 with AT_EACCESS | AT_SYMLINK_NOFOLLOW");
  errno = 0;
  CHECK(faccessat2_raw(AT_FDCWD, "/", F_OK, 0x4) == -1 && errno == EINVAL,
        "faccessat2 with an unknown flag: EINVAL");
  int fd = open("/proc/self/status", O_RDONLY);
  CHECK(faccessat2_raw(fd, "", R_OK, AT_EMPTY_PATH) == 0, "AT_EMPTY_PATH checks the descriptor");
  close(fd);
  errno = 0;
  CHECK_NOT_ON_QEMU_OR_HOST("the host's files are writable", "the host's files are writable",
                            access(argv[0], W_OK) == -1 && errno == EROFS,
                            "W_OK of an initramfs file: EROFS (it cannot be written)");

  struct utsname u;
  CHECK(uname(&u) == 0, "uname");
  CHECK(strcmp(u.sysname, "Linux") == 0, "sysname Linux");
  CHECK_NOT_ON_HOST("a native build runs on the host's architecture",
                    strcmp(u.machine, "riscv64") == 0, "machine riscv64");
  int major = 0, minor = 0;
  CHECK(sscanf(u.release, "%d.%d", &major, &minor) == 2 && major >= 3,
        "a release glibc accepts (3.0 or later)");
  CHECK_NOT_ON_QEMU_OR_HOST("the host's names", "the host's names",
                            strcmp(u.nodename, "rvmmu") == 0 && strcmp(u.domainname, "(none)") == 0,
                            "nodename rvmmu, domainname (none)");
  errno = 0;
  CHECK(syscall(SYS_uname, (void *)8) == -1 && errno == EFAULT, "uname to a bad pointer: EFAULT");
  /* /proc/sys/kernel and /proc/version say the same (the host's, under qemu-riscv64). */
  char line[200] = "", want[200];
  FILE *f = fopen("/proc/sys/kernel/osrelease", "r");
  snprintf(want, sizeof want, "%s\n", u.release);
  CHECK(f && fgets(line, sizeof line, f) && strcmp(line, want) == 0,
        "/proc/sys/kernel/osrelease is uname's release");
  if (f)
    fclose(f);
  f = fopen("/proc/sys/kernel/ostype", "r");
  CHECK(f && fgets(line, sizeof line, f) && strcmp(line, "Linux\n") == 0,
        "/proc/sys/kernel/ostype is Linux");
  if (f)
    fclose(f);
  f = fopen("/proc/sys/kernel/hostname", "r");
  snprintf(want, sizeof want, "%s\n", u.nodename);
  CHECK(f && fgets(line, sizeof line, f) && strcmp(line, want) == 0,
        "/proc/sys/kernel/hostname is uname's nodename");
  if (f)
    fclose(f);
  f = fopen("/proc/version", "r");
  snprintf(want, sizeof want, "Linux version %s ", u.release);
  CHECK(f && fgets(line, sizeof line, f) && strncmp(line, want, strlen(want)) == 0,
        "/proc/version starts with Linux version and the release");
  if (f)
    fclose(f);

  struct sysinfo si;
  CHECK(sysinfo(&si) == 0, "sysinfo");
  CHECK(si.totalram > 0 && si.freeram <= si.totalram && si.freeswap <= si.totalswap &&
            si.procs >= 1 && si.mem_unit >= 1 && si.uptime >= 1,
        "sysinfo's sizes and counts are consistent");

  errno = 0;
  CHECK_NOT_ON_QEMU_OR_HOST("the host has networking", "the host has networking",
                            socket(AF_INET, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT,
                            "socket(AF_INET): EAFNOSUPPORT (no networking)");
  errno = 0;
  int sv[2];
  CHECK_NOT_ON_QEMU_OR_HOST("the host has AF_UNIX", "the host has AF_UNIX",
                            socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 && errno == EAFNOSUPPORT,
                            "socketpair(AF_UNIX): EAFNOSUPPORT");
  errno = 0;
  CHECK(socket(46, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT,
        "a family beyond AF_MAX: EAFNOSUPPORT");
  errno = 0;
  CHECK(socket(AF_UNIX, 11, 0) == -1 && errno == EINVAL, "a type beyond SOCK_PACKET: EINVAL");
  errno = 0;
  CHECK_NOT_ON_QEMU("QEMU 7.2 drops unknown type flags",
                    socket(AF_UNIX, SOCK_STREAM | 0x100, 0) == -1 && errno == EINVAL,
                    "an unknown type flag: EINVAL");
  return done();
}
