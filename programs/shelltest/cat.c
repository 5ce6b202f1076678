/* cat [FILE...]: copies the files (or standard input) to standard output. A helper for the
 * shell's tests (tests/tests/shell.rs), which run programs/bin/sh.c on the rvmmu kernel
 * with this as /bin/cat. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(1, buf + done, n - done);
      if (w <= 0)
        return 1;
      done += w;
    }
  }
  return n < 0;
}

int main(int argc, char **argv) {
  if (argc == 1)
    return copy(0);
  int ret = 0;
  for (int i = 1; i < argc; i++) {
    int fd = strcmp(argv[i], "-") == 0 ? 0 : open(argv[i], O_RDONLY);
    if (fd < 0) {
      perror(argv[i]);
      ret = 1;
      continue;
    }
    ret |= copy(fd);
    if (fd != 0)
      close(fd);
  }
  return ret;
}
