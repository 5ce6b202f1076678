/* No data lost under memory pressure: NPROC processes (argv[1]) each fill MIB MiB (argv[2])
 * of anonymous memory with a pattern that depends on the process and the page, then read it
 * all back twice; with more memory in use than the machine has, pages must go to swap and
 * come back (pswpout and pswpin move, the processes take major faults). A child forked
 * while its parent's pages are in swap reads them too (the swap entries are shared), then
 * writes its own copy, which must not reach the parent. Runs only on a kernel with swap
 * (rvmmu's, or Linux with a swap area); prints TAP lines that depend on no address. */
#include "pressure.h"
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>





/* One worker: fill, read back twice; exit status 0 when nothing was lost. */
static int worker(size_t pages, uint64_t seed) {
  uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 2;
  fill(mem, 0, pages, seed);
  sched_yield();
  size_t bad = bad_pages(mem, 0, pages, seed) + bad_pages(mem, 0, pages, seed);
  return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  int nproc = argc > 1 ? atoi(argv[1]) : 3;
  size_t mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 16;
  size_t pages = mib * 1024 * 1024 / PAGE;
  uint64_t out0 = vmstat("pswpout"), in0 = vmstat("pswpin");

  int ok_workers = 0, last_status = 0;
  pid_t pids[64];
  for (int i = 0; i < nproc && i < 64; i++) {
    pids[i] = fork();
    if (pids[i] == 0) _exit(worker(pages, 1000 + i));
  }
  for (int i = 0; i < nproc && i < 64; i++) {
    int st = 0;
    if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
      ok_workers++;
    else
      last_status = st;
  }
  CHECK(ok_workers == nproc, "%d processes of %zu MiB each read back every page they wrote, twice",
        nproc, mib);
  if (ok_workers != nproc) printf("# a worker's wait status: %#x\n", last_status);
  CHECK(vmstat("pswpout") > out0, "pages went out to swap (pswpout moved)");
  CHECK(vmstat("pswpin") > in0, "pages came back from swap (pswpin moved)");

  /* Pages in swap shared with a child: both read them, the child's writes stay its own. */
  uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(mem != MAP_FAILED, "the parent maps %zu MiB", mib);
  fill(mem, 0, pages, 7);
  /* Push the parent's pages out: three times as much again, touched. */
  uint64_t *push = mmap(NULL, 3 * pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  fill(push, 0, 3 * pages, 8);
  CHECK(proc_value("/proc/self/status", "VmSwap:") > 0,
        "with its pages pushed out, /proc/self/status shows VmSwap");
  /* A child's first touch of every 64th page (most in swap, shared with the parent) is
   * a write by the kernel (getrandom's copy-out): each must land in a copy of the child's
   * own, not in the frame the parent will read back. */
  pid_t writer = fork();
  if (writer == 0) {
    size_t bad = 0;
    for (size_t p = 0; p < pages; p += 64) {
      uint64_t *w = mem + p * (PAGE / 8) + 1;
      bad += getrandom(w, 8, 0) == 8 && *w != 0 ? 0 : 1;
    }
    _exit(bad == 0 ? 0 : 1);
  }
  int wst = 0;
  waitpid(writer, &wst, 0);
  CHECK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0 && bad_pages(mem, 0, pages, 7) == 0,
        "a child's kernel writes into pages in swap did not reach its parent's");
  pid_t child = fork();
  if (child == 0) {
    size_t bad = bad_pages(mem, 0, pages, 7);
    fill(mem, 0, pages, 9); /* copy-on-write: the parent must keep seed 7 */
    bad += bad_pages(mem, 0, pages, 9);
    _exit(bad == 0 ? 0 : 1);
  }
  int st = 0;
  waitpid(child, &st, 0);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child read its parent's pages (some in swap) and wrote its own copies");
  CHECK(bad_pages(mem, 0, pages, 7) == 0 && bad_pages(push, 0, 3 * pages, 8) == 0, "the parent's pages are unchanged");
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  CHECK(ru.ru_majflt > 0, "the parent took major faults (pages read back from swap)");
  return done();
}
