/* /proc's memory files and directories: /proc/meminfo and /proc/vmstat (format, order,
 * consistency, and that touching memory moves MemFree, AnonPages and pgfault by the pages
 * touched), /proc/self/{stat,statm,cmdline,comm,oom_score,oom_score_adj} (minflt against
 * getrusage), the files of /proc/sys/vm (Linux's defaults; argv[1], when given, is the swappiness the
 * command line set), and getdents64 over /proc and the root.
 *
 * Under qemu-riscv64, /proc is mostly the host's (meminfo, vmstat, sys/vm, and the status,
 * statm, comm, oom files of the qemu process; QEMU 7.2 makes its own /proc/self/stat with
 * 44 fields and no fault counts), so only formats are checked there (CHECK_NOT_ON_QEMU for
 * values). */
#define _GNU_SOURCE
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ON_QEMU "/proc here is the host's"
/* Why a check does not hold on the host's own Linux (tests/tests/host_linux.rs). */
#define HOST_BUSY "system-wide counters of a shared machine move with other processes"
#define HOST_NOT_INIT "many processes run on the host, this one is not its only one"

extern char **environ;

static char buf[1 << 16];

/* The whole file at `path` into buf (NUL-terminated); its length, or -1. */
static long slurp(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  long n = 0, r;
  while (n < (long)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
    n += r;
  close(fd);
  buf[n] = 0;
  return n;
}

/* The number after the line that starts with `label` and `sep` in `text`, or -1. */
static long value_of(const char *text, const char *label, const char *sep) {
  char key[64];
  snprintf(key, sizeof key, "%s%s", label, sep);
  size_t len = strlen(key);
  for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
    if (strncmp(line, key, len) == 0)
      return strtol(line + len, NULL, 10);
  return -1;
}

/* A meminfo value (kB), or -1. */
static long mem_value(const char *text, const char *label) {
  return value_of(text, label, ":");
}

/* A vmstat value, or -1. */
static long vm_value(const char *text, const char *name) {
  return value_of(text, name, " ");
}

static long meminfo(const char *label) {
  slurp("/proc/meminfo");
  return mem_value(buf, label);
}

static long vmstat(const char *name) {
  slurp("/proc/vmstat");
  return vm_value(buf, name);
}

/* On this kernel every frame in use is one of these (the root page table, 4 kB per
 * process, being outside PageTables as on Linux); Linux has more kinds of memory. */
static int all_frames_accounted(const char *text) {
  long used = mem_value(text, "MemTotal") - mem_value(text, "MemFree");
  long sum = mem_value(text, "Slab") + mem_value(text, "PageTables") +
             mem_value(text, "KernelStack") + mem_value(text, "AnonPages") +
             mem_value(text, "Cached") + 4;
  if (used != sum)
    printf("# used %ld kB, accounted %ld kB\n", used, sum);
  return used == sum;
}

/* Every meminfo line is `Label:` padded to 16 columns, then a number right-aligned in 8
 * (or longer), then ` kB` (HugePages_* counts have no unit). */
static int meminfo_lines_well_formed(char *text) {
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *colon = strchr(line, ':');
    if (!colon || colon - line > 15)
      return 0;
    size_t len = strlen(line);
    int kb = len > 3 && strcmp(line + len - 3, " kB") == 0;
    if (!kb && strncmp(line, "HugePages_", 10) != 0)
      return 0;
    size_t end = kb ? len - 3 : len, start = end;
    while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9')
      start--;
    if (start == end || (end - start < 8 && end != 24 && kb))
      return 0;
    for (char *c = colon + 1; c < line + start; c++)
      if (*c != ' ')
        return 0;
  }
  return 1;
}

/* Labels appear in this order (others may come between). */
static int in_order(const char *text, const char *const *labels, size_t n, const char *sep) {
  const char *at = text;
  for (size_t i = 0; i < n; i++) {
    char key[64];
    snprintf(key, sizeof key, "\n%s%s", labels[i], sep);
    const char *hit = strncmp(at, key + 1, strlen(key + 1)) == 0 ? at : strstr(at, key);
    if (!hit) {
      printf("# %s missing or out of order\n", labels[i]);
      return 0;
    }
    at = hit + 1;
  }
  return 1;
}

/* Touches `pages` new anonymous pages (kept mapped). */
static char *touch(long pages) {
  char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  for (long i = 0; i < pages; i++)
    p[i * 4096] = 1;
  return p;
}

/* Field `n` (1-based) of /proc/self/stat, counted after the `(comm)` field. */
static long stat_field(int n, int *fields) {
  slurp("/proc/self/stat");
  char *p = strrchr(buf, ')');
  *fields = p ? 2 : 0;
  long v = -1;
  for (char *t = p ? strtok(p + 1, " \n") : NULL; t; t = strtok(NULL, " \n")) {
    ++*fields;
    if (*fields == n)
      v = strtol(t, NULL, 10);
  }
  return v;
}

static int has_entry(const char *dir, const char *name, int type) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int found = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, name) == 0)
      found = type < 0 || e->d_type == type;
  closedir(d);
  return found;
}

static int count_entries(DIR *d) {
  int n = 0;
  while (readdir(d))
    n++;
  return n;
}

int main(int argc, char **argv) {
  int qemu = getenv("RVMMU_ON_QEMU_USER") != NULL;
  long want_swappiness = argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9' ? atol(argv[1]) : 60;

  /* /proc/meminfo */
  CHECK(slurp("/proc/meminfo") > 0, "/proc/meminfo reads");
  static char copy[sizeof buf];
  strcpy(copy, buf);
  const char *labels[] = {"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached",
                          "SwapCached", "Active", "Inactive", "Active(anon)",
                          "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable",
                          "Mlocked", "SwapTotal", "SwapFree", "Dirty", "Writeback",
                          "AnonPages", "Mapped", "Shmem", "KReclaimable", "Slab",
                          "SReclaimable", "SUnreclaim", "KernelStack", "PageTables",
                          "CommitLimit", "Committed_AS"};
  CHECK(in_order(buf, labels, sizeof labels / sizeof *labels, ":"),
        "meminfo has Linux's labels in Linux's order");
  CHECK(meminfo_lines_well_formed(copy), "every meminfo line is 'Label:' padded to 16, %%8lu, ' kB'");
  long total = mem_value(buf, "MemTotal"), memfree = mem_value(buf, "MemFree");
  CHECK(total > 0 && memfree > 0 && memfree <= total && mem_value(buf, "MemAvailable") <= total,
        "MemFree and MemAvailable are at most MemTotal");
  CHECK(mem_value(buf, "Active") ==
                mem_value(buf, "Active(anon)") + mem_value(buf, "Active(file)") &&
            mem_value(buf, "Inactive") ==
                mem_value(buf, "Inactive(anon)") + mem_value(buf, "Inactive(file)"),
        "Active and Inactive are the sums of their anon and file parts");
  CHECK(mem_value(buf, "Slab") == mem_value(buf, "SReclaimable") + mem_value(buf, "SUnreclaim"),
        "Slab = SReclaimable + SUnreclaim");
  CHECK(mem_value(buf, "SwapFree") <= mem_value(buf, "SwapTotal"), "SwapFree <= SwapTotal");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, "the host may have swap and block-device buffers",
                    mem_value(buf, "SwapTotal") == 0 && mem_value(buf, "Buffers") == 0,
                    "no swap and no buffers");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, HOST_NOT_INIT, mem_value(buf, "KernelStack") == 16 && mem_value(buf, "PageTables") > 0
                    && mem_value(buf, "Slab") > 0 && mem_value(buf, "AnonPages") > 0,
                    "one kernel stack, and page tables, slab and anonymous pages in use");

  long page_tables = 0, vm_pte = -1;
  for (int i = 0; i < 2; i++) { /* (twice: the first pass may fault code in) */
    page_tables = meminfo("PageTables");
    slurp("/proc/self/status");
    vm_pte = mem_value(buf, "VmPTE");
  }
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, HOST_NOT_INIT, page_tables == vm_pte, "PageTables is the one process's VmPTE");

  /* Touching 1024 pages: MemFree falls, AnonPages and pgfault rise, by those pages. */
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  getrusage(RUSAGE_SELF, &ru1);
  long free0 = meminfo("MemFree"), anon0 = mem_value(buf, "AnonPages");
  long fault0 = vmstat("pgfault");
  getrusage(RUSAGE_SELF, &ru0);
  char *mem = touch(1024);
  getrusage(RUSAGE_SELF, &ru1);
  long fault1 = vmstat("pgfault");
  long free1 = meminfo("MemFree"), anon1 = mem_value(buf, "AnonPages");
  CHECK(mem != NULL, "mmap and touch 4 MiB");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, HOST_BUSY, free0 - free1 >= 4096 && free0 - free1 <= 4096 + 64,
                    "MemFree falls by the 4 MiB touched (and a few page tables)");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, HOST_BUSY, anon1 - anon0 == 4096, "AnonPages rises by 4 MiB");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, "Linux has more kinds of memory use than meminfo's lines add up to", all_frames_accounted(buf),
                    "every frame in use is slab, page table, kernel stack, anonymous or file");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, HOST_BUSY, fault1 - fault0 == 1024, "pgfault counts one fault per page");
  CHECK_NOT_ON_QEMU("getrusage is the qemu process's", ru1.ru_minflt - ru0.ru_minflt == 1024,
                    "getrusage's ru_minflt counts them too");
  long freed0 = vmstat("pgfree");
  munmap(mem, 1024 * 4096);
  long freed1 = vmstat("pgfree"), free2 = meminfo("MemFree");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, HOST_BUSY, freed1 - freed0 >= 1024 && free2 - free1 >= 4096,
                    "munmap frees them: pgfree and MemFree rise by 4 MiB");

  /* /proc/vmstat */
  CHECK(slurp("/proc/vmstat") > 0, "/proc/vmstat reads");
  int lines_ok = 1;
  strcpy(copy, buf);
  for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
    char name[64];
    unsigned long v;
    char rest;
    if (sscanf(line, "%63[a-z0-9_] %lu%c", name, &v, &rest) != 2)
      lines_ok = 0;
  }
  CHECK(lines_ok, "every vmstat line is 'name value'");
  const char *counts[] = {"nr_free_pages", "nr_inactive_anon", "nr_active_anon",
                          "nr_inactive_file", "nr_active_file", "nr_anon_pages", "nr_mapped",
                          "nr_page_table_pages", "pswpin", "pswpout", "pgfault", "pgmajfault",
                          "pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd", "pgscan_direct",
                          "oom_kill"};
  CHECK(in_order(buf, counts, sizeof counts / sizeof *counts, " "),
        "vmstat has Linux's counters in Linux's order");
  const char *more[] = {"pgpgin", "pgpgout", "pgalloc_normal", "pgfree", "pgactivate", "pgdeactivate", "pageoutrun", "allocstall_normal",
                        "pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file"};
  int all = 1;
  for (size_t i = 0; i < sizeof more / sizeof *more; i++)
    all &= vm_value(buf, more[i]) >= 0;
  CHECK(all, "and the reclaim counters");
  /* Twice: the first pass faults in code it runs for the first time (the program's text is
   * paged in on demand), which changes MemFree in between. */
  long nr_free = 0, mem_free = 0;
  for (int i = 0; i < 2; i++) {
    nr_free = vmstat("nr_free_pages");
    mem_free = meminfo("MemFree");
  }
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, HOST_BUSY, nr_free * 4 == mem_free, "nr_free_pages is MemFree");
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, "the host may swap", vmstat("pswpin") == 0, "nothing swapped");

  /* /proc/self/stat and statm */
  int fields;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  getrusage(RUSAGE_SELF, &ru);
  long minflt = stat_field(10, &fields);
  CHECK(fields >= 44, "/proc/self/stat reads");
  CHECK_NOT_ON_QEMU("QEMU 7.2 writes 44 fields", fields == 52, "/proc/self/stat has 52 fields");
  CHECK_NOT_ON_QEMU("QEMU 7.2 writes no fault counts", minflt == ru.ru_minflt,
                    "stat's minflt (field 10) is getrusage's ru_minflt");
  CHECK_NOT_ON_QEMU("QEMU 7.2 writes no fault counts", stat_field(12, &fields) == ru.ru_majflt,
                    "stat's majflt (field 12) is getrusage's ru_majflt");
  long vsize = 0, rss = 0, size_kb = 0, rss_kb = 0;
  for (int i = 0; i < 2; i++) { /* (twice: see nr_free_pages) */
    vsize = stat_field(23, &fields);
    rss = stat_field(24, &fields);
    slurp("/proc/self/status");
    size_kb = mem_value(buf, "VmSize");
    rss_kb = mem_value(buf, "VmRSS");
  }
  CHECK_NOT_ON_QEMU_OR_HOST("QEMU 7.2 writes neither",
                    "Linux 6.16 and later: stat's rss is the approximate per-CPU counter, VmRSS the exact sum",
                    vsize == size_kb * 1024 && rss * 4 == rss_kb,
                    "stat's vsize (bytes) and rss (pages) are status's VmSize and VmRSS");
  slurp("/proc/self/stat");
  char comm[64], state = 0;
  sscanf(buf, "%*d (%63[^)]) %c", comm, &state);
  CHECK_NOT_ON_QEMU("QEMU 7.2 writes no state", state == 'R', "stat's state is R (running)");
  long sv = 0, sr = 0, ss, st, sl = -1, sd, sdt = -1, vm_size = 0, vm_rss = 0;
  int statm_fields = 0;
  for (int i = 0; i < 2; i++) { /* (twice: see nr_free_pages) */
    statm_fields = slurp("/proc/self/statm") > 0 &&
        sscanf(buf, "%ld %ld %ld %ld %ld %ld %ld", &sv, &sr, &ss, &st, &sl, &sd, &sdt) == 7;
    slurp("/proc/self/status");
    vm_size = mem_value(buf, "VmSize");
    vm_rss = mem_value(buf, "VmRSS");
  }
  CHECK(statm_fields, "/proc/self/statm has 7 numbers");
  CHECK_NOT_ON_QEMU(ON_QEMU, sv * 4 == vm_size && sr * 4 == vm_rss && sl == 0 && sdt == 0,
                    "statm's size and resident are VmSize and VmRSS in pages");

  /* cmdline, comm, oom_score, oom_score_adj */
  long n = slurp("/proc/self/cmdline");
  long want = 0;
  for (int i = 0; i < argc; i++)
    want += strlen(argv[i]) + 1;
  int same = n == want;
  for (long at = 0, i = 0; same && i < argc; at += strlen(argv[i]) + 1, i++)
    same = strcmp(buf + at, argv[i]) == 0;
  CHECK(same, "/proc/self/cmdline is argv, each with its NUL");
  n = slurp("/proc/self/environ");
  want = 0;
  for (char **e = environ; *e; e++)
    want += strlen(*e) + 1;
  same = n == want;
  long at = 0;
  for (char **e = environ; same && *e; at += strlen(*e) + 1, e++)
    same = strcmp(buf + at, *e) == 0;
  CHECK_NOT_ON_QEMU("it is the qemu process's", same, "/proc/self/environ is envp, each with its NUL");
  char name[32];
  const char *base = strrchr(argv[0], '/');
  snprintf(name, sizeof name, "%.15s\n", base ? base + 1 : argv[0]);
  CHECK(slurp("/proc/self/comm") > 0 && buf[strlen(buf) - 1] == '\n', "/proc/self/comm is a line");
  CHECK_NOT_ON_QEMU(ON_QEMU, strcmp(buf, name) == 0, "/proc/self/comm is the program's name");
  long adj = slurp("/proc/self/oom_score_adj") > 0 ? strtol(buf, NULL, 10) : -9999;
  CHECK(adj >= -1000 && adj <= 1000, "oom_score_adj is in [-1000, 1000]");
  CHECK_NOT_ON_QEMU(ON_QEMU, adj == 0 && strcmp(buf, "0\n") == 0, "oom_score_adj is 0");
  long score = slurp("/proc/self/oom_score") > 0 ? strtol(buf, NULL, 10) : -1;
  CHECK(score >= 0 && score <= 2000, "oom_score is in [0, 2000]");
  CHECK_NOT_ON_QEMU(ON_QEMU, getpid() != 1 || score == 0, "init's oom_score is 0 (unkillable)");

  /* /proc/sys/vm */
  const char *vm[] = {"swappiness", "overcommit_memory", "overcommit_ratio", "min_free_kbytes",
                      "watermark_scale_factor", "vfs_cache_pressure", "page-cluster",
                      "admin_reserve_kbytes", "user_reserve_kbytes"};
  long value[9];
  int numbers = 1;
  for (int i = 0; i < 9; i++) {
    char path[64], *end;
    snprintf(path, sizeof path, "/proc/sys/vm/%s", vm[i]);
    value[i] = slurp(path) > 0 ? strtol(buf, &end, 10) : -1;
    numbers &= value[i] >= 0 && strcmp(end, "\n") == 0;
  }
  CHECK(numbers, "each /proc/sys/vm file is one number and a newline");
  CHECK_NOT_ON_QEMU(ON_QEMU, value[0] == want_swappiness,
                    "swappiness is 60, or what the command line said");
  CHECK_NOT_ON_QEMU(ON_QEMU, value[1] == 0 && value[2] == 50 && value[4] == 10 && value[5] == 100
                    && value[6] == 3, "overcommit, watermark, cache-pressure and page-cluster defaults");
  long lowmem = meminfo("MemTotal"), min_free = 0;
  while ((min_free + 1) * (min_free + 1) <= lowmem * 16)
    min_free++;
  min_free = min_free < 128 ? 128 : min_free > 262144 ? 262144 : min_free;
  CHECK_NOT_ON_QEMU_OR_HOST(ON_QEMU, "Linux sums it over zones and raises it for transparent huge pages", value[3] == min_free, "min_free_kbytes = clamp(sqrt(lowmem kB x 16), 128, 262144)");
  CHECK_NOT_ON_QEMU(ON_QEMU, value[7] > 0 && value[7] <= 8192 && value[8] > 0 && value[8] <= 131072,
                    "admin and user reserves are 3%% of free memory, at most 8 MiB and 128 MiB");
  errno = 0;
  CHECK(open("/proc/sys/vm/no_such_knob", O_RDONLY) < 0 && errno == ENOENT, "an unknown sysctl: ENOENT");

  /* Directories: readdir (getdents64) */
  CHECK(has_entry("/proc", "meminfo", DT_REG) && has_entry("/proc", "vmstat", DT_REG) &&
            has_entry("/proc", "sys", DT_DIR) && has_entry("/proc", "self", DT_LNK),
        "ls /proc: meminfo, vmstat, sys, self");
  char pid[16];
  snprintf(pid, sizeof pid, "%d", getpid());
  CHECK(has_entry("/proc", pid, DT_DIR), "ls /proc: our pid, a directory");
  const char *mine[] = {"environ", "status", "stat", "statm", "maps", "cmdline", "comm", "oom_score",
                        "oom_score_adj"};
  all = has_entry("/proc/self", "exe", DT_LNK);
  for (size_t i = 0; i < sizeof mine / sizeof *mine; i++)
    all &= has_entry("/proc/self", mine[i], DT_REG);
  CHECK(all, "ls /proc/self: the files read above, and the exe link");
  struct stat st_self, st_exe, st_dir;
  CHECK(lstat("/proc/self", &st_self) == 0 && S_ISLNK(st_self.st_mode) &&
            lstat("/proc/self/exe", &st_exe) == 0 && S_ISLNK(st_exe.st_mode) &&
            stat("/proc/self", &st_dir) == 0 && S_ISDIR(st_dir.st_mode),
        "lstat sees /proc/self and /proc/self/exe as links, stat follows them");
  CHECK(has_entry("/proc/sys/vm", "swappiness", DT_REG) && has_entry("/proc/sys/vm", "min_free_kbytes", DT_REG),
        "ls /proc/sys/vm");
  CHECK(has_entry("/", "proc", -1) && has_entry("/", ".", DT_DIR) && has_entry("/", "..", DT_DIR),
        "ls /: proc, . and ..");
  CHECK_NOT_ON_QEMU_OR_HOST("the host's root", "the host's root", has_entry("/", "bin", DT_DIR) && has_entry("/bin", base ? base + 1 : argv[0], DT_REG),
                    "ls / and /bin: the initramfs's directory and this program");
  int self_fd = open("/proc/self", O_RDONLY | O_DIRECTORY);
  int stat_fd = openat(self_fd, "stat", O_RDONLY);
  int up_fd = openat(self_fd, "../meminfo", O_RDONLY);
  CHECK(self_fd >= 0 && stat_fd >= 0 && up_fd >= 0 && read(up_fd, buf, 9) == 9 &&
            memcmp(buf, "MemTotal:", 9) == 0,
        "openat relative to /proc/self: stat, and ../meminfo");
  close(up_fd);
  close(stat_fd);
  errno = 0;
  CHECK(openat(self_fd, "no_such_file", O_RDONLY) < 0 && errno == ENOENT, "and a missing name: ENOENT");
  close(self_fd);
  DIR *d = opendir("/proc/self");
  int first = d ? count_entries(d) : -1;
  if (d)
    rewinddir(d);
  CHECK(d && first > 10 && count_entries(d) == first, "rewinddir lists the same entries again");
  if (d)
    closedir(d);

  /* getdents64 itself */
  int fd = open("/proc", O_RDONLY | O_DIRECTORY);
  CHECK(fd >= 0, "open /proc with O_DIRECTORY");
  static char dents[4096] __attribute__((aligned(8)));
  errno = 0;
  CHECK(syscall(SYS_getdents64, fd, dents, 16) < 0 && errno == EINVAL, "getdents64 into 16 bytes: EINVAL");
  errno = 0;
  CHECK(syscall(SYS_getdents64, fd, (void *)8, 4096) < 0 && errno == EFAULT, "getdents64 into a bad buffer: EFAULT");
  /* (QEMU's user mode moves the position even when the copy-out fails: start again.) */
  lseek(fd, 0, SEEK_SET);
  long got = syscall(SYS_getdents64, fd, dents, 200);
  int records_ok = got > 0;
  for (long at = 0; records_ok && at < got;) {
    unsigned short reclen;
    memcpy(&reclen, dents + at + 16, 2);
    int64_t off;
    memcpy(&off, dents + at + 8, 8);
    records_ok = reclen % 8 == 0 && reclen >= 24 && off != 0 &&
                 memchr(dents + at + 19, 0, reclen - 19) != NULL;
    at += reclen;
  }
  CHECK(records_ok, "records: d_reclen a multiple of 8, d_off set, names NUL-terminated");
  CHECK(got > 0 && strcmp(dents + 19, ".") == 0, "the first entry is .");
  close(fd);
  fd = open("/proc/meminfo", O_RDONLY);
  errno = 0;
  CHECK(syscall(SYS_getdents64, fd, dents, sizeof dents) < 0 && errno == ENOTDIR, "getdents64 of a file: ENOTDIR");
  close(fd);
  errno = 0;
  CHECK(syscall(SYS_getdents64, 999, dents, sizeof dents) < 0 && errno == EBADF, "getdents64 of a bad fd: EBADF");
  errno = 0;
  CHECK(open("/proc/meminfo", O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTDIR, "O_DIRECTORY on a file: ENOTDIR");
  (void)qemu;
  return done();
}
