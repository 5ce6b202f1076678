/* Shared anonymous memory (mmap MAP_SHARED | MAP_ANONYMOUS) across fork: parent and child
 * map the same pages, touched before or after the fork; a private mapping stays private;
 * unmapping or dropping (MADV_DONTNEED) pages in one process leaves the other's alone. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

#define PG 4096UL
#define CHILDREN 4
#define ROUNDS 1000

/* Forks a child running `f(arg)`, whose return value is its exit status; returns that status
 * (or -1). */
static int in_child(int (*f)(char *), char *arg) {
  pid_t c = fork();
  if (c == 0)
    _exit(f(arg));
  int status = 0;
  if (c < 0 || waitpid(c, &status, 0) != c || !WIFEXITED(status))
    return -1;
  return WEXITSTATUS(status);
}

static int child_writes(char *sh) {
  int bad = sh[0] != 'p';      /* the parent's store before the fork */
  sh[1] = 'c';                 /* a page the parent touched */
  sh[2 * PG] = 'c';            /* a page nobody touched yet */
  return bad ? 1 : 7;
}

static int child_reads_late(char *sh) { return sh[3 * PG] == 'l' ? 0 : 1; }

static int child_unmaps(char *sh) {
  if (munmap(sh, 4 * PG) != 0)
    return 1;
  return 0;
}

static int child_drops(char *sh) {
  if (madvise(sh, 4 * PG, MADV_DONTNEED) != 0)
    return 1;
  /* The mapping is gone from this process, the data stays in the shared object. */
  return sh[0] == 'p' && sh[2 * PG] == 'c' ? 0 : 2;
}

static int child_writes_split(char *sh) {
  sh[2 * PG] = 's';
  return 0;
}

/* The shared area's line in /proc/self/maps: perms and name. */
static int maps_line_is_shared(char *sh) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f)
    return 0;
  char line[512];
  int ok = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo = strtoul(line, NULL, 16);
    if (lo != (uintptr_t)sh)
      continue;
    char *name = strchr(line, '/');
    ok = strncmp(line + strcspn(line, " ") + 1, "rw-s ", 5) == 0 && name &&
         strcmp(name, "/dev/zero (deleted)\n") == 0;
  }
  fclose(f);
  return ok;
}

/* RssShmem from /proc/self/status, in kB (-1 if missing). */
static long rss_shmem(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "RssShmem:", 9) == 0)
      kb = strtol(line + 9, NULL, 10);
  fclose(f);
  return kb;
}

/* A /proc/meminfo value (label with its colon), in kB. */
static long meminfo(const char *label) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f)
    return -1;
  char line[256];
  long kb = -1;
  size_t n = strlen(label);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, label, n) == 0)
      kb = strtol(line + n, NULL, 10);
  fclose(f);
  return kb;
}

/* A family of processes sharing 64 pages, then gone: every frame comes back. */
static int sharing_family(char *unused) {
  (void)unused;
  char *m = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return 1;
  for (unsigned long i = 0; i < 32; i++)
    m[i * PG] = 1;
  pid_t c = fork();
  if (c == 0) {
    for (unsigned long i = 0; i < 64; i++)
      m[i * PG] = 2;
    munmap(m + 8 * PG, 8 * PG);
    _exit(0);
  }
  int status = 0;
  if (c < 0 || waitpid(c, &status, 0) != c)
    return 2;
  return m[63 * PG] == 2 ? 0 : 3;
}

int main(void) {
  char *sh = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char *priv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(sh != MAP_FAILED && priv != MAP_FAILED, "a shared and a private anonymous mapping");
  sh[0] = 'p';
  priv[0] = 'p';
  CHECK(maps_line_is_shared(sh), "/proc/self/maps shows the shared area rw-s /dev/zero (deleted)");
  CHECK_NOT_ON_QEMU("status is the host's", rss_shmem() == 4, "RssShmem counts its present page");

  CHECK(in_child(child_writes, sh) == 7, "the child sees the parent's store to a shared page");
  CHECK(sh[1] == 'c', "the parent sees the child's store to a page touched before the fork");
  CHECK(sh[2 * PG] == 'c', "and to a page first touched by the child");
  CHECK_NOT_ON_QEMU("status is the host's", rss_shmem() == 8,
                    "RssShmem counts the page the child brought in once the parent maps it");

  sh[3 * PG] = 'l';
  CHECK(in_child(child_reads_late, sh) == 0,
        "a child sees a page the parent first touched after an earlier fork");

  CHECK(in_child(child_unmaps, sh) == 0, "munmap of the shared area in a child");
  CHECK(sh[0] == 'p' && sh[1] == 'c' && sh[2 * PG] == 'c', "leaves the parent's mapping and data");

  CHECK(in_child(child_drops, sh) == 0,
        "MADV_DONTNEED in a child drops its mapping, the shared data stays");
  CHECK(sh[0] == 'p' && sh[2 * PG] == 'c', "and the parent's pages are untouched");
  CHECK(madvise(sh, PG, MADV_DONTNEED) == 0 && sh[0] == 'p',
        "MADV_DONTNEED in the parent: the page comes back from the shared object");

  /* A private mapping next to it stays private. */
  pid_t c = fork();
  if (c == 0) {
    priv[0] = 'c';
    _exit(priv[0] == 'c' ? 0 : 1);
  }
  int status = 0;
  CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "a child writes its private copy");
  CHECK(priv[0] == 'p', "the private mapping stays the parent's own");

  /* Several children increment one shared counter. */
  long *counter = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(counter != MAP_FAILED, "a shared counter");
  *counter = 0;
  int forked = 0;
  for (int i = 0; i < CHILDREN; i++) {
    pid_t k = fork();
    if (k == 0) {
      for (int r = 0; r < ROUNDS; r++)
        __atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);
      _exit(0);
    }
    forked += k > 0;
  }
  int reaped = 0;
  while (wait(&status) > 0)
    reaped += WIFEXITED(status) && WEXITSTATUS(status) == 0;
  CHECK(forked == CHILDREN && reaped == CHILDREN, "%d children incremented it", CHILDREN);
  CHECK(*counter == CHILDREN * ROUNDS, "the counter is %d", CHILDREN * ROUNDS);
  CHECK(munmap(counter, PG) == 0, "munmap of the counter");

  /* A split area keeps its object with an offset: the third page is still shared. */
  CHECK(munmap(sh + PG, PG) == 0, "munmap of a page inside the shared area");
  CHECK(in_child(child_writes_split, sh) == 0 && sh[2 * PG] == 's',
        "the part after the hole is still shared, at the right offset");
  CHECK(mprotect(sh, PG, PROT_READ) == 0 && sh[0] == 'p', "mprotect of a shared page");
  CHECK(munmap(sh, 4 * PG) == 0 && munmap(priv, PG) == 0, "munmap of everything");

  /* mremap moves a shared area with its object: it stays shared with later children. */
  char *a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char *to = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a[0] = 'm';
  char *moved = mremap(a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  CHECK(moved == to && moved[0] == 'm', "mremap moves a shared area with its data");
  CHECK(in_child(child_writes_split, moved - PG) == 0 && moved[PG] == 's',
        "the moved area is still shared");
  /* old_len 0 maps the same shared pages a second time; a private area refuses it. */
#define NO_DUP "QEMU 7.2's mremap cannot duplicate a mapping"
  char *dup = getenv("RVMMU_ON_QEMU_USER") ? MAP_FAILED : mremap(moved, 0, 2 * PG, MREMAP_MAYMOVE);
  int dup_ok = dup != MAP_FAILED && dup != moved;
  CHECK_NOT_ON_QEMU(NO_DUP, dup_ok && dup[0] == 'm' && dup[PG] == 's',
                    "mremap with old_len 0 maps a shared area a second time");
  if (dup_ok)
    dup[1] = 'd';
  CHECK_NOT_ON_QEMU(NO_DUP, moved[1] == 'd', "both mappings are the same pages");
  CHECK_NOT_ON_QEMU(NO_DUP, dup_ok && munmap(dup, 2 * PG) == 0 && moved[1] == 'd',
                    "munmap of the second mapping");
  char *pv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = 0;
  void *r = mremap(pv, 0, PG, MREMAP_MAYMOVE);
  CHECK_NOT_ON_QEMU(NO_DUP, r == MAP_FAILED && errno == EINVAL,
                    "old_len 0 on a private area: EINVAL");
  munmap(pv, PG);
  CHECK(munmap(moved, 2 * PG) == 0, "munmap of the moved area");

  /* meminfo's Shmem counts each shared page once, while its object lives. */
  long shmem0 = meminfo("Shmem:");
  char *s8 = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  for (unsigned long i = 0; i < 8; i++)
    s8[i * PG] = 1;
  long shmem1 = meminfo("Shmem:");
  CHECK(in_child(child_writes_split, s8) == 0, "a child writes to them too");
  long shmem2 = meminfo("Shmem:");
  munmap(s8, 8 * PG);
  long shmem3 = meminfo("Shmem:");
  CHECK_NOT_ON_QEMU_OR_HOST("meminfo is the host's",
                    "system-wide counters of a shared machine move with other processes",
                    shmem1 - shmem0 == 32 && shmem2 == shmem1 && shmem3 == shmem0,
                    "meminfo's Shmem counts 8 shared pages once, until the munmap");

  errno = 0;
  void *huge = getenv("RVMMU_ON_QEMU_USER") || getenv("RVMMU_ON_HOST_LINUX")
                   ? MAP_FAILED
                   : mmap(NULL, 64UL << 30, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK_NOT_ON_QEMU_OR_HOST("the host's RAM and overcommit settings decide",
                            "the host's RAM and overcommit settings decide",
                            huge == MAP_FAILED && errno == ENOMEM,
                            "a shared mapping larger than RAM: ENOMEM");

  long before = meminfo("MemFree:");
  CHECK(in_child(sharing_family, NULL) == 0, "two processes share 64 pages, then end");
  long after = meminfo("MemFree:");
  CHECK_NOT_ON_QEMU_OR_HOST("meminfo is the host's",
                            "system-wide counters of a shared machine move with other processes",
                            after == before, "every frame of theirs is free again");
  return done();
}
