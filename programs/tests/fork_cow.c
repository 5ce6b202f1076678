/* fork with copy-on-write, wait4 and exit statuses: parent and child see their own copies of
 * every private page from the moment of the fork. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define PG 4096UL
static int data_word = 1;

int main(void) {
  char *heap = malloc(3 * PG);
  char *anon = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(heap && anon != MAP_FAILED, "heap and mmap memory");
  memset(heap, 'p', 3 * PG);
  memset(anon, 'p', 2 * PG);
  data_word = 10;
  char stack_buf[64];
  memset(stack_buf, 'p', sizeof stack_buf);

  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    /* The child changes everything it was given; its exit status says what it saw. */
    int bad = 0;
    bad |= getppid() != parent;
    bad |= heap[0] != 'p' || anon[PG] != 'p' || data_word != 10 || stack_buf[5] != 'p';
    memset(heap, 'c', 3 * PG);
    memset(anon, 'c', 2 * PG);
    data_word = 20;
    memset(stack_buf, 'c', sizeof stack_buf);
    bad |= heap[PG] != 'c' || data_word != 20;
    _exit(bad ? 1 : 42);
  }
  CHECK(child > 0, "fork returns the child's pid to the parent");
  int status = 0;
  pid_t got = wait4(child, &status, 0, NULL);
  CHECK(got == child, "wait4 returns the child");
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42,
        "the child saw the parent's data, and its own writes");
  CHECK(heap[0] == 'p' && heap[3 * PG - 1] == 'p', "the child's heap writes are its own");
  CHECK(anon[0] == 'p' && anon[2 * PG - 1] == 'p', "so are its mmap writes");
  CHECK(data_word == 10, "and its .data writes");
  CHECK(stack_buf[0] == 'p', "and its stack writes");

  /* The parent writes after the fork: a second child sees the new values. */
  heap[0] = 'q';
  child = fork();
  if (child == 0)
    _exit(heap[0] == 'q' ? 0 : 1);
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "a later child sees the parent's later writes");

  /* A child killed by SIGSEGV: the parent learns the signal. */
  child = fork();
  if (child == 0) {
    volatile uintptr_t addr = 8;
    *(volatile int *)addr = 1;
    _exit(0);
  }
  CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status) && WTERMSIG(status) == 11,
        "a child writing to address 8 dies of SIGSEGV");

  errno = 0;
  CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD, "no children left: ECHILD");
  return done();
}
