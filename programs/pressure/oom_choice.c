/* Which process the OOM killer chooses (NOTES.md's game, browser and music): three
 * processes holding memory in the proportion 4:1:2 wait while this one (init, which the
 * OOM killer passes over) allocates until memory runs out. The largest, "game", must be
 * the one killed (SIGKILL); with its oom_score_adj at -1000 it is never chosen, and
 * "music", the next largest, is killed instead. The three are this program under the
 * names /bin/game, /bin/browser and /bin/music (the OOM killer reports a process by its
 * name), run as `NAME hog UNITS_OF_PAGES`. Needs a kernel with no swap and a small RAM
 * (rvmmu's, or a Linux VM); prints TAP lines that depend on no address or pid. */
#include "pressure.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>



/* A hog: touches `pages` pages, says so on its stdout (a pipe), then waits on its stdin (a
 * pipe nobody writes) until it is killed. */
static int hog(size_t pages) {
  char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 2;
  for (size_t i = 0; i < pages; i++) m[i * PAGE] = 1;
  write(1, "r", 1);
  char c;
  while (read(0, &c, 1) != 0) {
  }
  return 0;
}

struct hog {
  const char *name;
  int units;
  pid_t pid;
};

/* The write end of the pipe the hogs wait on (kept open: they wait until killed). */
static int hold[2] = {-1, -1};

static pid_t start(const char *name, size_t pages) {
  int fd[2];
  char path[32], arg[32];
  if (hold[0] < 0) pipe(hold);
  pipe(fd);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    dup2(hold[0], 0);
    close(fd[0]);
    snprintf(path, sizeof path, "/bin/%s", name);
    snprintf(arg, sizeof arg, "%zu", pages);
    execl(path, name, "hog", arg, (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  char c;
  int ok = read(fd[0], &c, 1) == 1;
  close(fd[0]);
  return ok ? pid : -1;
}

/* What one round saw: the index of the hog killed by SIGKILL (or -1); with game_adj,
 * whether the write took and game's oom_score after it. */
struct result {
  int killed, adj_written, game_score;
};

/* Starts the three hogs (game's oom_score_adj set to `game_adj`), then allocates until one
 * of them dies. */
static struct result round_(struct hog *h, size_t unit, int game_adj) {
  struct result r = {-1, 0, -1};
  for (int i = 0; i < 3; i++) h[i].pid = start(h[i].name, h[i].units * unit);
  /* The allocating process itself is never chosen (set after the hogs started, which
   * would inherit it). */
  int self = open("/proc/self/oom_score_adj", O_WRONLY);
  write(self, "-1000\n", 6);
  close(self);
  if (game_adj) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", h[0].pid);
    int fd = open(path, O_WRONLY);
    char text[16];
    int n = snprintf(text, sizeof text, "%d\n", game_adj);
    r.adj_written = fd >= 0 && write(fd, text, n) == n;
    close(fd);
    snprintf(path, sizeof path, "/proc/%d/oom_score", h[0].pid);
    FILE *f = fopen(path, "r");
    if (f) {
      fscanf(f, "%d", &r.game_score);
      fclose(f);
    }
  }
  int killed = -1;
  size_t step = 256; /* pages per allocation */
  for (int rounds = 0; killed < 0 && rounds < 100000; rounds++) {
    char *m = mmap(NULL, step * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) break;
    for (size_t i = 0; i < step; i++) m[i * PAGE] = 1;
    for (int i = 0; i < 3; i++) {
      int st;
      if (h[i].pid > 0 && waitpid(h[i].pid, &st, WNOHANG) == h[i].pid) {
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) killed = i;
        h[i].pid = -1;
      }
    }
  }
  for (int i = 0; i < 3; i++)
    if (h[i].pid > 0) {
      kill(h[i].pid, SIGKILL);
      waitpid(h[i].pid, NULL, 0);
    }
  r.killed = killed;
  return r;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "hog") == 0) return hog(strtoul(argv[2], NULL, 0));
  long total_kb = meminfo("MemTotal:");
  size_t unit = total_kb / 4 / 10; /* a tenth of RAM, in pages */
  struct hog h[3] = {{"game", 4, 0}, {"browser", 1, 0}, {"music", 2, 0}};
  uint64_t kills = vmstat("oom_kill");
  uint64_t steal_file0 = vmstat("pgsteal_file"), steal_anon0 = vmstat("pgsteal_anon");

  /* Each round runs in a child, so that its memory is all given back at its end. */
  struct result first = {-1, 0, -1}, second = {-1, 0, -1};
  int fd[2];
  pipe(fd);
  if (fork() == 0) {
    struct result r = round_(h, unit, 0);
    write(fd[1], &r, sizeof r);
    _exit(0);
  }
  wait(NULL);
  read(fd[0], &first, sizeof first);
  CHECK(first.killed == 0, "with game:browser:music at 4:1:2, the OOM killer killed game (got %s)",
        first.killed >= 0 ? h[first.killed].name : "none");
  if (fork() == 0) {
    struct result r = round_(h, unit, -1000);
    write(fd[1], &r, sizeof r);
    _exit(0);
  }
  wait(NULL);
  read(fd[0], &second, sizeof second);
  CHECK(second.adj_written, "game's oom_score_adj written through /proc/PID/oom_score_adj");
  CHECK(second.game_score == 0, "game's oom_score is 0 with oom_score_adj -1000 (got %d)",
        second.game_score);
  CHECK(second.killed == 2, "with game's oom_score_adj at -1000, it killed music (got %s)",
        second.killed >= 0 ? h[second.killed].name : "none");
  CHECK(vmstat("oom_kill") >= kills + 2, "oom_kill counted the kills");
  /* With no swap, reclaim could only drop file pages (the programs' text, read again from
   * the file on the next touch) before the OOM killer was called. */
  CHECK(vmstat("pgsteal_file") > steal_file0 && vmstat("pgsteal_anon") == steal_anon0,
        "before killing, reclaim dropped file pages and, with no swap, no anonymous ones");
  return done();
}
