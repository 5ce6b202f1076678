/* procwatch PROGRAM [ARGS...]: the notes' "second shell". It runs PROGRAM as a child whose
 * standard input is a pipe and, each time the child waits for input, prints the child's
 * /proc/PID/maps and /proc/PID/status; then it gives the child the next line of its own
 * input. At the end of its input it closes the pipe, waits for the child and exits with
 * the child's status (128 + the signal if a signal killed it, as a shell reports it).
 *
 * "The child waits for input" is: the pipe is empty (FIONREAD on procwatch's own copy of
 * the read end says 0 bytes) and the child's state in /proc/PID/stat is S (sleeping). Both
 * are needed: right after a line is written the child may still be asleep, and a running
 * child may have the line in its buffer without having read it yet.
 *
 * Each dump is framed by lines `--- procwatch: /proc/PID/FILE (wait N) ---`, with PID
 * replaced by the word "child" so that runs compare; the dumps themselves are copied as
 * they are. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "procwatch: %s: %s\n", what, strerror(errno));
  exit(125);
}

/* Writes all of buf to fd (the console or the pipe). */
static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      die("write");
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* The state letter from /proc/PID/stat ("PID (COMM) S ..."; COMM may hold spaces and
 * parentheses, so the state is after the last ')'); 0 if it cannot be read. */
static char child_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* Copies /proc/PID/FILE to standard output between frame lines. */
static void dump(pid_t pid, const char *file, int wait_no) {
  char path[64], head[96], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  int len = snprintf(head, sizeof head, "--- procwatch: /proc/child/%s (wait %d) ---\n", file,
                     wait_no);
  write_all(1, head, (size_t)len);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    die(path);
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    write_all(1, buf, (size_t)n);
  if (n < 0)
    die(path);
  close(fd);
}

/* Waits until the child sleeps with the pipe drained; returns 0 then, or -1 if the child
 * ended first (it is then reaped by the caller). */
static int wait_for_reader(pid_t pid, int pipe_read_end) {
  for (;;) {
    int queued = 0;
    if (ioctl(pipe_read_end, FIONREAD, &queued) < 0)
      die("ioctl FIONREAD");
    char s = child_state(pid);
    if (s == 0 || s == 'Z' || s == 'X')
      return -1;
    if (queued == 0 && s == 'S')
      return 0;
    sched_yield();
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: procwatch PROGRAM [ARGS...]\n");
    return 2;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    die("pipe2");
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    if (dup2(p[0], 0) < 0)
      die("dup2");
    execv(argv[1], argv + 1);
    fprintf(stderr, "procwatch: cannot run %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  int waits = 0;
  char line[4096];
  for (;;) {
    if (wait_for_reader(pid, p[0]) < 0)
      break;
    waits++;
    dump(pid, "maps", waits);
    dump(pid, "status", waits);
    /* The next line of input, read a byte at a time so that nothing past it is taken. */
    size_t n = 0;
    while (n < sizeof line) {
      ssize_t got = read(0, line + n, 1);
      if (got <= 0)
        break;
      if (line[n++] == '\n')
        break;
    }
    if (n == 0)
      break;
    write_all(p[1], line, n);
  }
  close(p[1]);
  close(p[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) < 0)
    die("waitpid");
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
