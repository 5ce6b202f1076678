/* Pipes between processes: pipe2, blocking reads and writes, end of file, EPIPE and
 * SIGPIPE, dup2 onto standard input, close-on-exec flags, FIONREAD. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

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
  sched_yield();
  close(s[1]);
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "a sleeping reader sees end of file when the last writer closes");
  return done();
}
