/* Process groups, sessions, the controlling terminal's job control, the working directory
 * and writable files, as Linux defines them: setpgid's rules, kill and waitpid on groups,
 * setsid, SIGTTIN for a background read of the terminal (EIO when SIGTTIN is ignored),
 * tcsetpgrp (SIGTTOU from the background unless ignored), chdir/fchdir/getcwd with
 * relative paths, files created under /tmp (O_CREAT, O_TRUNC, O_APPEND, O_EXCL, unlink,
 * mkdir, rmdir, ftruncate) and /dev/null.
 *
 * The terminal checks need standard input to be a terminal, as the console is on the rvmmu
 * kernel; under qemu-riscv64 and on the host's Linux the harness gives a pipe or nothing,
 * so they are skipped there. */
#define _GNU_SOURCE
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define NO_TTY_Q "stdin is not a terminal under the harness"
#define NO_TTY_H "stdin is not a terminal under the harness"
#define NO_EXEC "a riscv64 program cannot execve another without binfmt_misc for qemu-riscv64"

static char self_exe[4096];

/* A child that waits in pause() (until a signal ends it) after putting itself in group
 * `pgid` (-1: stays in the parent's). */
static pid_t pausing_child(pid_t pgid) {
  pid_t pid = fork();
  if (pid == 0) {
    if (pgid >= 0)
      setpgid(0, pgid);
    for (;;)
      pause();
  }
  if (pgid >= 0)
    setpgid(pid, pgid == 0 ? pid : pgid);
  return pid;
}

static int ended_by(pid_t pid, int sig) {
  int st;
  return waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

static void groups(void) {
  CHECK(getpgid(0) == getpgrp(), "getpgid(0) is getpgrp()");
  CHECK(getsid(0) == getsid(getpid()), "getsid(0) is getsid(getpid())");
  CHECK(getpgid(-5) == -1 && errno == ESRCH, "getpgid of a negative pid: ESRCH");

  /* A child starts in its parent's group and session. */
  pid_t c = pausing_child(-1);
  CHECK(getpgid(c) == getpgrp(), "a child starts in its parent's process group");
  CHECK(getsid(c) == getsid(0), "a child starts in its parent's session");
  CHECK(setpgid(c, 0) == 0 && getpgid(c) == c, "setpgid(child, 0) makes it a group leader");
  CHECK(setpgid(c, getpgrp()) == 0 && getpgid(c) == getpgrp(),
        "setpgid moves it back into the parent's group");
  CHECK(setpgid(c, 999999) == -1 && errno == EPERM, "setpgid to a group that does not exist: EPERM");
  CHECK(setpgid(c, -1) == -1 && errno == EINVAL, "setpgid to a negative group: EINVAL");
  CHECK(setpgid(getppid() > 1 ? getppid() : 1, 0) == -1 && (errno == ESRCH || errno == EPERM),
        "setpgid of a process that is not a child: ESRCH (EPERM for init itself)");
  kill(c, SIGKILL);
  CHECK(ended_by(c, SIGKILL), "the child ends by SIGKILL");

  /* After the child's execve, its parent may not move it. */
  int p[2];
  CHECK(pipe(p) == 0, "a pipe for the exec check");
  c = fork();
  if (c == 0) {
    close(p[0]);
    dup2(p[1], 3);
    execl(self_exe, "jobs", "--exec-pause", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  char b;
  int execed = read(p[0], &b, 1) == 1;
  close(p[0]);
  CHECK_NOT_ON_QEMU(NO_EXEC, execed, "the child has called execve");
  int r = setpgid(c, 0);
  CHECK_NOT_ON_QEMU(NO_EXEC, r == -1 && errno == EACCES,
                    "setpgid of a child after its execve: EACCES");
  kill(c, SIGKILL);
  int ended = ended_by(c, SIGKILL);
  CHECK_NOT_ON_QEMU(NO_EXEC, ended, "the exec'd child ends by SIGKILL");

  /* kill(-pgid) reaches every member; waitpid(-pgid) reaps only members. */
  pid_t a = pausing_child(0);
  pid_t a2 = pausing_child(a);
  pid_t other = pausing_child(0);
  CHECK(getpgid(a2) == a && getpgid(other) == other, "two groups: {a, a2} and {other}");
  CHECK(kill(-a, SIGTERM) == 0, "kill(-pgid, SIGTERM)");
  int st, reaped = 0;
  pid_t w;
  while ((w = waitpid(-a, &st, 0)) > 0)
    reaped += (w == a || w == a2) && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
  CHECK(reaped == 2 && errno == ECHILD, "waitpid(-pgid) reaps both members, then ECHILD");
  CHECK(waitpid(other, &st, WNOHANG) == 0, "the other group's child is untouched");
  CHECK(kill(-a, 0) == -1 && errno == ESRCH, "kill of an empty group: ESRCH");
  kill(other, SIGKILL);
  CHECK(ended_by(other, SIGKILL), "the other child ends by SIGKILL");

  /* kill(0) and waitpid(0) act on the caller's own group (done in a child that leads a new
   * group, so that nothing else is hit). */
  c = fork();
  if (c == 0) {
    setpgid(0, 0);
    pid_t g = pausing_child(-1);
    pid_t away = pausing_child(0);
    signal(SIGTERM, SIG_IGN);
    int ok = kill(0, SIGTERM) == 0;
    int st2;
    ok &= waitpid(0, &st2, 0) == g && WIFSIGNALED(st2) && WTERMSIG(st2) == SIGTERM;
    ok &= waitpid(0, &st2, WNOHANG) == -1 && errno == ECHILD;
    ok &= waitpid(away, &st2, WNOHANG) == 0;
    kill(away, SIGKILL);
    waitpid(away, &st2, 0);
    _exit(ok ? 0 : 1);
  }
  CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "kill(0) reaches the caller's group; waitpid(0) waits for it alone");

  /* setsid. */
  c = fork();
  if (c == 0) {
    int ok = setsid() == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
    ok &= setsid() == -1 && errno == EPERM;
    _exit(ok ? 0 : 1);
  }
  CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "setsid makes a new session and group led by the caller; again: EPERM");
  c = fork();
  if (c == 0) {
    setpgid(0, 0);
    _exit(setsid() == -1 && errno == EPERM ? 0 : 1);
  }
  CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "setsid by a group leader: EPERM");
}

static void terminal(void) {
  int tty = isatty(0);
  CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H, tty && tcgetpgrp(0) == getpgrp(),
                            "the console's foreground group is ours");
  CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H, tty && tcgetsid(0) == getsid(0),
                            "the console is our session's controlling terminal");

  /* A background child reading the terminal is stopped by SIGTTIN. */
  int st = 0;
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    char b;
    ssize_t n = read(0, &b, 1);
    _exit(n < 0 && errno == EIO ? 3 : 4);
  }
  setpgid(c, c);
  pid_t w = waitpid(c, &st, WUNTRACED);
  CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H,
                            w == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN,
                            "a background read of the terminal stops the reader by SIGTTIN");
  kill(c, SIGKILL);
  waitpid(c, &st, 0);

  /* ... and fails with EIO when SIGTTIN is ignored. */
  c = fork();
  if (c == 0) {
    setpgid(0, 0);
    signal(SIGTTIN, SIG_IGN);
    char b;
    ssize_t n = read(0, &b, 1);
    _exit(n < 0 && errno == EIO ? 3 : 4);
  }
  setpgid(c, c);
  w = waitpid(c, &st, 0);
  CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H, w == c && WIFEXITED(st) && WEXITSTATUS(st) == 3,
                            "with SIGTTIN ignored the background read fails with EIO");

  /* tcsetpgrp from the background: SIGTTOU stops the caller, unless it ignores it. */
  c = fork();
  if (c == 0) {
    setpgid(0, 0);
    int r = tcsetpgrp(0, getpgrp());
    _exit(r == 0 ? 5 : 6);
  }
  setpgid(c, c);
  w = waitpid(c, &st, WUNTRACED);
  CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H,
                            w == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU,
                            "tcsetpgrp from a background group: stopped by SIGTTOU");
  kill(c, SIGKILL);
  waitpid(c, &st, 0);

  c = pausing_child(0);
  if (tty) {
    signal(SIGTTOU, SIG_IGN);
    int moved = tcsetpgrp(0, c) == 0 && tcgetpgrp(0) == c;
    /* Now in the background, with SIGTTOU ignored: taking the terminal back is allowed. */
    int back = tcsetpgrp(0, getpgrp()) == 0 && tcgetpgrp(0) == getpgrp();
    signal(SIGTTOU, SIG_DFL);
    CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H, moved && back,
                              "tcsetpgrp gives the terminal to a group and, SIGTTOU ignored, takes it back");
    CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H,
                              tcsetpgrp(0, 999999) == -1 && errno == ESRCH,
                              "tcsetpgrp to a group that does not exist: ESRCH");
  } else {
    CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H, 0,
                              "tcsetpgrp gives the terminal to a group and, SIGTTOU ignored, takes it back");
    CHECK_NOT_ON_QEMU_OR_HOST(NO_TTY_Q, NO_TTY_H, 0,
                              "tcsetpgrp to a group that does not exist: ESRCH");
  }
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  /* A terminal call on something else: ENOTTY. */
  int p[2];
  CHECK(pipe(p) == 0 && tcgetpgrp(p[0]) == -1 && errno == ENOTTY, "tcgetpgrp of a pipe: ENOTTY");
  close(p[0]);
  close(p[1]);
}

static void directories(void) {
  char buf[4096];
  CHECK(chdir("/proc") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/proc") == 0,
        "chdir(\"/proc\"); getcwd says /proc");
  int fd = open("self/stat", O_RDONLY);
  CHECK(fd >= 0, "a relative path opens from the working directory");
  close(fd);
  struct stat s;
  CHECK(stat("self", &s) == 0 && S_ISDIR(s.st_mode), "stat of a relative path");
  CHECK(chdir("..") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0,
        "chdir(\"..\") goes up to /");
  CHECK(chdir("..") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0,
        "the root's .. is the root");
  CHECK(chdir("/proc/./self/..") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/proc") == 0,
        "chdir resolves . and ..");
  CHECK(chdir("/nonexistent") == -1 && errno == ENOENT, "chdir to nothing: ENOENT");
  CHECK(chdir("/proc/self/stat") == -1 && errno == ENOTDIR, "chdir to a file: ENOTDIR");
  CHECK(getcwd(buf, 3) == NULL && errno == ERANGE, "getcwd into a buffer too small: ERANGE");
  int d = open("/proc", O_RDONLY | O_DIRECTORY);
  CHECK(chdir("/") == 0 && fchdir(d) == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/proc") == 0,
        "fchdir to an open directory");
  close(d);
  pid_t c = fork();
  if (c == 0) {
    _exit(getcwd(buf, sizeof buf) && strcmp(buf, "/proc") == 0 ? 0 : 1);
  }
  int st;
  CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "a child inherits the working directory");
  CHECK(chdir("/") == 0, "back to /");
}

static void files(void) {
  char path[64], buf[64];
  snprintf(path, sizeof path, "/tmp/jobs-test-%d", (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0, "open(O_CREAT) makes a file under /tmp");
  CHECK(write(fd, "hello", 5) == 5, "write to it");
  close(fd);
  fd = open(path, O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, " world", 6) == 6,
        "O_APPEND writes at the end whatever the offset");
  close(fd);
  fd = open(path, O_RDONLY);
  memset(buf, 0, sizeof buf);
  CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 11 && strcmp(buf, "hello world") == 0,
        "read it back");
  struct stat s;
  CHECK(fstat(fd, &s) == 0 && S_ISREG(s.st_mode) && s.st_size == 11, "fstat: a regular file of 11 bytes");
  CHECK(write(fd, "x", 1) == -1 && errno == EBADF, "write to a read-only descriptor: EBADF");
  CHECK(open(path, O_WRONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST,
        "O_CREAT|O_EXCL of an existing file: EEXIST");
  CHECK(unlink(path) == 0, "unlink it");
  CHECK(open(path, O_RDONLY) == -1 && errno == ENOENT, "gone from its directory");
  CHECK(lseek(fd, 0, SEEK_SET) == 0 && read(fd, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0,
        "still readable through a descriptor open before the unlink");
  close(fd);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && write(fd, "abcdef", 6) == 6 && ftruncate(fd, 2) == 0 && fstat(fd, &s) == 0 &&
            s.st_size == 2,
        "ftruncate shortens it");
  close(fd);
  fd = open(path, O_WRONLY | O_TRUNC);
  CHECK(fd >= 0 && fstat(fd, &s) == 0 && s.st_size == 0, "O_TRUNC empties it");
  close(fd);
  CHECK(unlink(path) == 0, "unlink again");

  char dir[80], inner[96];
  snprintf(dir, sizeof dir, "/tmp/jobs-dir-%d", (int)getpid());
  snprintf(inner, sizeof inner, "%s/f", dir);
  CHECK(mkdir(dir, 0755) == 0, "mkdir under /tmp");
  CHECK(mkdir(dir, 0755) == -1 && errno == EEXIST, "mkdir of an existing path: EEXIST");
  fd = open(inner, O_WRONLY | O_CREAT, 0644);
  CHECK(fd >= 0, "a file in the new directory");
  close(fd);
  CHECK(chdir(dir) == 0 && open("f", O_RDONLY) >= 0, "chdir into it and open the file by a relative name");
  chdir("/");
  CHECK(rmdir(dir) == -1 && errno == ENOTEMPTY, "rmdir of a directory with a file: ENOTEMPTY");
  CHECK(unlink(dir) == -1 && errno == EISDIR, "unlink of a directory: EISDIR");
  CHECK(unlink(inner) == 0 && rmdir(dir) == 0, "unlink the file, rmdir the directory");
  CHECK(open("/tmp/no-such-dir/f", O_WRONLY | O_CREAT, 0644) == -1 && errno == ENOENT,
        "O_CREAT in a directory that does not exist: ENOENT");

  fd = open("/dev/null", O_RDWR);
  CHECK(fd >= 0 && write(fd, "abc", 3) == 3 && read(fd, buf, sizeof buf) == 0,
        "/dev/null swallows writes and reads as empty");
  close(fd);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--exec-pause") == 0) {
    if (write(3, "x", 1) != 1)
      return 1;
    for (;;)
      pause();
  }
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
  if (n > 0)
    self_exe[n] = 0;
  groups();
  terminal();
  directories();
  files();
  return done();
}
