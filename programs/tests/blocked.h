/* Ordering between processes by what they are doing, never by how long they take: a test
 * that needs a process to be asleep in a system call (a blocked read, waitpid, nanosleep,
 * pause, sigsuspend, ppoll ...) before something happens to it waits until /proc/PID/stat
 * says so, and a helper that must act only after a signal handler ran waits for a byte the
 * handler writes. Delays here are only upper bounds (seconds) so that a broken kernel makes
 * a check fail instead of the program hanging.
 *
 * /proc/PID/stat's third field is the state letter on Linux (fs/proc/array.c), on rvmmu's
 * kernel (os/src/fs/proc_pid.rs) and under qemu-riscv64, whose /proc is the host's: a
 * guest process there is a QEMU process whose main thread runs the guest and makes its
 * blocking system calls, so it shows 'S' exactly while the guest sleeps in one. Included
 * by programs/tests/ and programs/musl/ sources; everything is static inline so that a
 * program using part of it builds with -Wall -Werror. */
#ifndef BLOCKED_H
#define BLOCKED_H
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The state letter of process `pid` ('R', 'S', 'T', 'Z' ...), '?' when it cannot be read. */
static inline char proc_state(pid_t pid) {
  char path[48], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return '?';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return '?';
  buf[n] = 0;
  /* "pid (comm) S ...": comm may hold spaces and parentheses, so the last ')'. */
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

/* Waits until `pid` is asleep ('S') on BLOCKED_POLLS polls in a row, 1 ms apart (a process
 * on its way to the blocking call may sleep for a moment elsewhere, e.g. QEMU's main thread
 * on a lock; a process blocked in the call stays asleep until something wakes it). Gives
 * up after about `max_ms` ms. Returns 1 when it saw the process asleep. */
#define BLOCKED_POLLS 3
static inline int wait_blocked_for(pid_t pid, int max_ms) {
  struct timespec ms1 = {0, 1000000};
  int run = 0;
  for (int i = 0; i < max_ms; i++) {
    run = proc_state(pid) == 'S' ? run + 1 : 0;
    if (run >= BLOCKED_POLLS)
      return 1;
    nanosleep(&ms1, NULL);
  }
  return 0;
}

/* wait_blocked_for, 10 s at most. */
static inline int wait_blocked(pid_t pid) {
  return wait_blocked_for(pid, 10000);
}

/* Reads one byte from `fd`, waiting `ms` milliseconds at most. Returns 1 when one came. */
static inline int wait_byte(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  char b;
  for (;;) {
    int r = poll(&p, 1, ms);
    if (r == -1 && errno == EINTR)
      continue;
    return r == 1 && read(fd, &b, 1) == 1;
  }
}

/* Reads and drops whatever a non-blocking `fd` holds. */
static inline void drain(int fd) {
  char b[64];
  while (read(fd, b, sizeof b) > 0) {
  }
}
#endif
