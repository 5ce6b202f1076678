/* Open file descriptions: the descriptors made by dup, fcntl(F_DUPFD), dup3 and fork share
 * one file position (a read or lseek through one moves the others'); a fresh open of the
 * same file has its own; close-on-exec is per descriptor; a directory's getdents64
 * position is shared too; a pipe's end closes with the last descriptor of its
 * description. The file read is the program itself (argv[0]), which qemu-riscv64 and the
 * kernel both have; nothing printed depends on its bytes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static char whole[64];
static char dents[256];

static int same(const char *got, size_t at, size_t n) { return memcmp(got, whole + at, n) == 0; }

static long getdents(int fd) { return syscall(SYS_getdents64, fd, dents, sizeof dents); }

int main(int argc, char **argv) {
  (void)argc;
  char a[16], b[16];
  int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0, "open the program's own file, close-on-exec");
  CHECK(pread(fd, whole, sizeof whole, 0) == (ssize_t)sizeof whole, "pread its first 64 bytes");
  CHECK(lseek(fd, 0, SEEK_CUR) == 0, "pread leaves the position alone");

  int d = dup(fd);
  CHECK(d > fd && fcntl(fd, F_GETFD) == FD_CLOEXEC && fcntl(d, F_GETFD) == 0,
        "close-on-exec is per descriptor: the dup's flag is clear, the original's set");
  CHECK(fcntl(d, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd, F_SETFD, 0) == 0 &&
            fcntl(d, F_GETFD) == FD_CLOEXEC && fcntl(fd, F_GETFD) == 0,
        "F_SETFD on one descriptor leaves the other's flag alone");
  CHECK(read(fd, a, 8) == 8 && same(a, 0, 8), "a read through the original");
  CHECK(lseek(d, 0, SEEK_CUR) == 8, "moves the dup's position");
  CHECK(read(d, b, 8) == 8 && same(b, 8, 8), "a read through the dup continues where the original left off");
  CHECK(lseek(fd, 0, SEEK_CUR) == 16, "and moves the original's position");
  CHECK(lseek(d, 4, SEEK_SET) == 4 && lseek(fd, 0, SEEK_CUR) == 4, "lseek through the dup is seen by the original");
  CHECK(read(fd, a, 4) == 4 && same(a, 4, 4), "the original reads from where the dup's lseek put it");
  CHECK(lseek(fd, 0, SEEK_END) > 64 && lseek(d, 0, SEEK_CUR) == lseek(fd, 0, SEEK_CUR),
        "SEEK_END through one, the same position through the other");
  CHECK(pread(d, a, 4, 0) == 4 && same(a, 0, 4) && lseek(fd, 20, SEEK_SET) == 20 &&
            lseek(d, 0, SEEK_CUR) == 20,
        "pread through one moves neither");

  int e = fcntl(fd, F_DUPFD, 10);
  CHECK(e >= 10 && fcntl(e, F_GETFD) == 0, "F_DUPFD gives a descriptor at or above its argument");
  CHECK(read(e, a, 4) == 4 && same(a, 20, 4) && lseek(d, 0, SEEK_CUR) == 24,
        "F_DUPFD's descriptor shares the position");
  int c = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  CHECK(c >= 0 && fcntl(c, F_GETFD) == FD_CLOEXEC && lseek(c, 0, SEEK_CUR) == 24,
        "F_DUPFD_CLOEXEC's descriptor: its own flag set, the same position");
  close(c);
  CHECK(dup3(fd, 20, O_CLOEXEC) == 20 && fcntl(20, F_GETFD) == FD_CLOEXEC && fcntl(fd, F_GETFD) == 0,
        "dup3(O_CLOEXEC) sets the new descriptor's flag only");
  CHECK(read(20, a, 4) == 4 && same(a, 24, 4) && lseek(fd, 0, SEEK_CUR) == 28,
        "dup3's descriptor shares the position");
  close(20);
  close(e);
  close(fd);
  CHECK(lseek(d, 0, SEEK_CUR) == 28 && read(d, a, 4) == 4 && same(a, 28, 4),
        "closing the others leaves the dup open at the shared position");

  int f = open(argv[0], O_RDONLY);
  CHECK(f >= 0 && lseek(f, 0, SEEK_CUR) == 0 && read(f, a, 8) == 8 && same(a, 0, 8),
        "a fresh open of the same file starts at 0");
  CHECK(lseek(d, 0, SEEK_CUR) == 32 && lseek(f, 0, SEEK_CUR) == 8,
        "and has its own position");
  close(f);

  /* fork: the child's descriptors share the parent's descriptions. */
  CHECK(lseek(d, 0, SEEK_SET) == 0, "rewind before fork");
  fflush(stdout);
  pid_t child = fork();
  if (child == 0)
    _exit(read(d, a, 8) == 8 && same(a, 0, 8) ? 0 : 1);
  int status = -1;
  CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0,
        "the child reads through the descriptor it inherited");
  CHECK(lseek(d, 0, SEEK_CUR) == 8, "the parent's position moved with the child's read");
  CHECK(read(d, b, 8) == 8 && same(b, 8, 8), "the parent's next read continues after the child's");
  fflush(stdout);
  child = fork();
  if (child == 0)
    _exit(lseek(d, 40, SEEK_SET) == 40 ? 0 : 1);
  CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0 && lseek(d, 0, SEEK_CUR) == 40,
        "the child's lseek moves the parent's position");
  CHECK(read(d, a, 8) == 8 && same(a, 40, 8), "and the parent reads from there");
  close(d);

  /* Directories: getdents64's position is shared too. */
  int dd = open("/", O_RDONLY | O_DIRECTORY);
  int dd2 = dup(dd);
  CHECK(dd >= 0 && dd2 >= 0, "open / and dup it");
  long n, total = 0, calls = 0;
  while ((n = getdents(dd)) > 0) {
    total += n;
    calls++;
  }
  CHECK(n == 0 && total > 0 && calls > 0, "getdents64 through one descriptor to the end");
  CHECK(getdents(dd2) == 0, "the dup is at the end too");
  int fresh = open("/", O_RDONLY | O_DIRECTORY);
  CHECK(fresh >= 0 && getdents(fresh) > 0, "a fresh open of the directory starts at its first entry");
  close(fresh);
  CHECK(lseek(dd2, 0, SEEK_SET) == 0 && getdents(dd) > 0, "rewinding through the dup rewinds the original");
  close(dd);
  close(dd2);

  /* A pipe's write end stays open while any descriptor of its description does. */
  int p[2];
  CHECK(pipe(p) == 0, "pipe");
  int w = dup(p[1]);
  close(p[1]);
  CHECK(write(w, "x", 1) == 1 && read(p[0], a, sizeof a) == 1, "the dup'd write end still writes");
  fflush(stdout);
  child = fork();
  if (child == 0)
    _exit(write(w, "yz", 2) == 2 ? 0 : 1);
  close(w);
  CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0,
        "a child writes through its copy after the parent closed its own");
  CHECK(read(p[0], a, sizeof a) == 2 && memcmp(a, "yz", 2) == 0, "its bytes arrive");
  CHECK(read(p[0], a, sizeof a) == 0, "end of file: the last descriptor of the write end is closed");
  close(p[0]);
  return done();
}
