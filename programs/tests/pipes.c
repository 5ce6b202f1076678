/* Pipes between processes: pipe2, blocking reads and writes, end of file, EPIPE and
 * SIGPIPE, dup2 onto standard input, close-on-exec flags, FIONREAD, O_NONBLOCK. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "blocked.h"

#define BIG (200 * 1024) /* more than a pipe holds (64 KiB): the writer must wait */

static char buf[BIG];

int main(void) {
  int p[2];
  CHECK(pipe2(p, 0) == 0, "pipe2 makes a pipe");
  CHECK(write(p[1], "hello", 5) == 5, "a write into the pipe");
  int queued = -1;
  CHECK(ioctl(p[0], FIONREAD, &queued) == 0 && queued == 5, "FIONREAD counts the bytes queued");
  char got[16] = {0};
  CHECK(read(p[0], got, sizeof got) == 5 && memcmp(got, "hello", 5) == 0,
        "a read takes what is there, no more");
  CHECK(read(p[1], got, 1) == -1 && errno == EBADF, "the write end cannot be read");
  CHECK(write(p[0], "x", 1) == -1 && errno == EBADF, "the read end cannot be written");
  CHECK(lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE, "a pipe cannot seek");
  CHECK(fcntl(p[0], F_GETFD) == 0, "no close-on-exec without O_CLOEXEC");
  close(p[1]);
  CHECK(read(p[0], got, sizeof got) == 0, "end of file once no write end is open");
  close(p[0]);

  int q[2];
  CHECK(pipe2(q, O_CLOEXEC) == 0 && fcntl(q[0], F_GETFD) == FD_CLOEXEC &&
            fcntl(q[1], F_GETFD) == FD_CLOEXEC,
        "pipe2(O_CLOEXEC) marks both ends close-on-exec");
  int d = dup(q[0]);
  CHECK(d > q[1] && fcntl(d, F_GETFD) == 0, "dup takes the lowest free descriptor, flag clear");
  CHECK(dup3(q[0], d, O_CLOEXEC) == d && fcntl(d, F_GETFD) == FD_CLOEXEC,
        "dup3(O_CLOEXEC) replaces the target and sets the flag");
  CHECK(dup3(d, d, 0) == -1 && errno == EINVAL, "dup3 onto itself is EINVAL");
  close(d);

  /* A child reads the parent's writes through its standard input, sleeping while the
   * pipe is empty; the parent sleeps while the pipe is full. */
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(q[1]);
    if (dup2(q[0], 0) != 0)
      _exit(2);
    close(q[0]);
    long total = 0, sum = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; i++)
        sum += (unsigned char)buf[i];
      total += n;
    }
    _exit(total == BIG && sum == (long)BIG * 'z' ? 0 : 1);
  }
  close(q[0]);
  memset(buf, 'z', sizeof buf);
  size_t sent = 0;
  while (sent < BIG) {
    ssize_t n = write(q[1], buf + sent, BIG - sent);
    if (n <= 0)
      break;
    sent += (size_t)n;
  }
  CHECK(sent == BIG, "the parent writes 200 KiB into a 64 KiB pipe as the child reads");
  close(q[1]);
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "the child read every byte, then end of file");

  /* Writing with no reader: EPIPE and SIGPIPE, which kills by default. */
  int r[2];
  CHECK(pipe2(r, 0) == 0, "another pipe");
  close(r[0]);
  fflush(stdout);
  child = fork();
  if (child == 0) {
    (void)write(r[1], "x", 1);
    _exit(0);
  }
  CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
        "a write with no reader is killed by SIGPIPE");
  close(r[1]);

  /* A reader whose writer goes away while it sleeps wakes with end of file. */
  int s[2];
  CHECK(pipe2(s, 0) == 0, "a third pipe");
  fflush(stdout);
  child = fork();
  if (child == 0) {
    close(s[1]);
    _exit(read(s[0], got, 1) == 0 ? 0 : 1);
  }
  close(s[0]);
  wait_blocked(child); /* asleep in its read (blocked.h), 10 s at most */
  close(s[1]);
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "a sleeping reader sees end of file when the last writer closes");

  /* O_NONBLOCK: what would sleep fails with EAGAIN; small writes are all or nothing. */
  int n[2];
  CHECK(pipe2(n, O_NONBLOCK) == 0, "pipe2(O_NONBLOCK)");
  CHECK(fcntl(n[0], F_GETFL) == (O_RDONLY | O_NONBLOCK) &&
            fcntl(n[1], F_GETFL) == (O_WRONLY | O_NONBLOCK),
        "F_GETFL shows O_NONBLOCK on both ends");
  CHECK(read(n[0], got, 1) == -1 && errno == EAGAIN, "reading an empty nonblocking pipe: EAGAIN");
  memset(buf, 'n', BIG);
  CHECK(write(n[1], buf, 100000) == 65536, "a long nonblocking write writes what fits (64 KiB)");
  CHECK(write(n[1], "x", 1) == -1 && errno == EAGAIN, "writing a full nonblocking pipe: EAGAIN");
  CHECK(read(n[0], buf, 4096) == 4096 && write(n[1], buf, 4096) == 4096,
        "a page read makes room for a page written");
  CHECK(read(n[0], buf, BIG) == 65536 && read(n[0], got, 1) == -1 && errno == EAGAIN,
        "draining it, then EAGAIN again");
  CHECK(write(n[1], buf, 65536 - 50) == 65536 - 50, "filled to 50 bytes short");
  CHECK(write(n[1], buf, 100) == -1 && errno == EAGAIN,
        "a write of at most PIPE_BUF bytes that does not fit whole: EAGAIN, nothing written");
  CHECK(write(n[1], buf, 50) == 50, "a write that fits whole goes in");
  close(n[0]);
  close(n[1]);

  int m[2];
  CHECK(pipe2(m, 0) == 0 && fcntl(m[0], F_GETFL) == O_RDONLY, "a blocking pipe");
  int md = dup(m[0]);
  CHECK(fcntl(m[0], F_SETFL, O_NONBLOCK) == 0 && fcntl(md, F_GETFL) == (O_RDONLY | O_NONBLOCK),
        "F_SETFL(O_NONBLOCK) is seen through a dup (one open file description)");
  CHECK(read(md, got, 1) == -1 && errno == EAGAIN, "and then reads do not sleep");
  CHECK(fcntl(md, F_SETFL, O_WRONLY) == 0 && fcntl(m[0], F_GETFL) == O_RDONLY,
        "F_SETFL clears O_NONBLOCK and leaves the access mode alone");
  close(md);
  close(m[0]);
  close(m[1]);
  return done();
}
