/* A program that retries an unimplemented system call in a loop (as musl's pause() once
 * spun on ppoll): syscall 500, which no Linux has, 3695 times, then again after sleeping
 * 6 s. The kernel's warnings about it are rate-limited (10 per 5 s, then "N callbacks
 * suppressed"); tests/real_programs.rs counts them. The same for a warning of another
 * kind, an fcntl command the kernel lacks (1000 times; EINVAL). Prints PASS when every call
 * failed with ENOSYS, and every fcntl with EINVAL. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  int wrong = 0;
  for (int i = 0; i < 3695; i++) {
    errno = 0;
    if (syscall(500) != -1 || errno != ENOSYS)
      wrong++;
  }
  for (int i = 0; i < 1000; i++) {
    errno = 0;
    if (fcntl(1, 12345) != -1 || errno != EINVAL)
      wrong++;
  }
  struct timespec t = {6, 0};
  nanosleep(&t, NULL);
  errno = 0;
  if (syscall(500) != -1 || errno != ENOSYS)
    wrong++;
  errno = 0;
  if (fcntl(1, 12345) != -1 || errno != EINVAL)
    wrong++;
  printf("%s\n", wrong ? "FAIL" : "PASS");
  return wrong != 0;
}
