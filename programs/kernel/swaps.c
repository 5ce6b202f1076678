/* Swap areas as a program sees them, on a machine with two virtio disks: /dev/vda carrying
 * a 16 MiB swap area (mkswap's header: 4095 usable pages, 16380 kB) that the kernel enabled
 * at boot, /dev/vdb without a swap header. Checks the block-device nodes, /proc/swaps (the
 * exact text of Linux 6.1's swap_show), meminfo's SwapTotal and SwapFree, swapon and
 * swapoff with their errors, priorities, reading a disk, and /proc's listing. TAP output
 * (check.h); run by tests/tests/kernel_swap.rs on QEMU virt (not under qemu-riscv64: it needs
 * the kernel's disks). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../tests/check.h"

static char buf[8192];

/* The whole file at `path` into buf (NUL-terminated); its length, or -1. */
static long slurp(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  long n = 0, r;
  while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
    n += r;
  close(fd);
  buf[n] = 0;
  return n;
}

/* meminfo's value for `label` (with its colon), in kB; -1 when missing. */
static long meminfo(const char *label) {
  if (slurp("/proc/meminfo") < 0)
    return -1;
  char *at = strstr(buf, label);
  return at ? atol(at + strlen(label)) : -1;
}

static const char HEADER[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

static int swaps_are(const char *rows) {
  char want[512];
  snprintf(want, sizeof want, "%s%s", HEADER, rows);
  slurp("/proc/swaps");
  if (strcmp(buf, want) != 0) {
    printf("# /proc/swaps is:\n%s# want:\n%s", buf, want);
    return 0;
  }
  return 1;
}

static const char VDA[] = "/dev/vda                                partition\t16380\t\t0\t\t";

int main(void) {
  struct stat st;
  CHECK(stat("/dev/vda", &st) == 0 && S_ISBLK(st.st_mode) && major(st.st_rdev) == 254 &&
            minor(st.st_rdev) == 0,
        "/dev/vda is block device 254:0");
  CHECK(stat("/dev/vdb", &st) == 0 && S_ISBLK(st.st_mode) && major(st.st_rdev) == 254 &&
            minor(st.st_rdev) == 16,
        "/dev/vdb is block device 254:16");
  errno = 0;
  CHECK(stat("/dev/vdc", &st) == -1 && errno == ENOENT, "no /dev/vdc");

  char row[128];
  snprintf(row, sizeof row, "%s-2\n", VDA);
  CHECK(swaps_are(row), "/proc/swaps lists /dev/vda, enabled at boot with priority -2");
  CHECK(meminfo("SwapTotal:") == 16380, "SwapTotal is 16380 kB");
  CHECK(meminfo("SwapFree:") == 16380, "SwapFree is 16380 kB");

  errno = 0;
  CHECK(swapon("/dev/vda", 0) == -1 && errno == EBUSY, "swapon of an active area: EBUSY");
  errno = 0;
  CHECK(swapon("/dev/vdb", 0) == -1 && errno == EINVAL, "swapon of a disk without a swap header: EINVAL");
  errno = 0;
  CHECK(swapon("/dev/nothing", 0) == -1 && errno == ENOENT, "swapon of a missing path: ENOENT");
  errno = 0;
  CHECK(swapon("/init", 0) == -1 && errno == EINVAL, "swapon of a regular file: EINVAL");
  errno = 0;
  CHECK(swapon("/dev/vda", 0x80000) == -1 && errno == EINVAL, "swapon with unknown flags: EINVAL");
  errno = 0;
  CHECK(swapoff("/dev/vdb") == -1 && errno == EINVAL, "swapoff of a disk that is no swap area: EINVAL");
  errno = 0;
  CHECK(swapoff("/dev/nothing") == -1 && errno == ENOENT, "swapoff of a missing path: ENOENT");

  CHECK(swapoff("/dev/vda") == 0, "swapoff of the unused area");
  CHECK(swaps_are(""), "/proc/swaps has only its header");
  CHECK(meminfo("SwapTotal:") == 0 && meminfo("SwapFree:") == 0, "SwapTotal and SwapFree are 0");
  errno = 0;
  CHECK(swapoff("/dev/vda") == -1 && errno == EINVAL, "swapoff again: EINVAL");

  CHECK(swapon("/dev/vda", SWAP_FLAG_PREFER | 5) == 0, "swapon with priority 5");
  snprintf(row, sizeof row, "%s5\n", VDA);
  CHECK(swaps_are(row), "/proc/swaps shows priority 5");
  CHECK(swapoff("/dev/vda") == 0, "swapoff");
  CHECK(swapon("/dev/vda", 0) == 0, "swapon without a priority");
  snprintf(row, sizeof row, "%s-2\n", VDA);
  CHECK(swaps_are(row), "the default priority is -2 again (swapoff gave it back)");
  CHECK(meminfo("SwapTotal:") == 16380 && meminfo("SwapFree:") == 16380, "SwapTotal and SwapFree are back");

  int fd = open("/dev/vda", O_RDONLY);
  char sig[11] = {0};
  CHECK(fd >= 0 && pread(fd, sig, 10, 4086) == 10 && strcmp(sig, "SWAPSPACE2") == 0,
        "the disk reads: SWAPSPACE2 at the end of its first page");
  CHECK(fd >= 0 && lseek(fd, 0, SEEK_END) == 16 << 20, "lseek to the end: 16 MiB");
  close(fd);
  errno = 0;
  CHECK(open("/dev/vda", O_RDWR) == -1 && errno == EROFS, "disks open read-only");

  /* /proc's own entries in Linux's order (by name length, then name). */
  DIR *d = opendir("/proc");
  char names[256] = "";
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
      break;
    strcat(names, e->d_name);
    strcat(names, " ");
  }
  if (d)
    closedir(d);
  /* By name length, then name: procfs's order for its own entries. */
  CHECK(strcmp(names, "sys stat swaps uptime vmstat loadavg meminfo version zoneinfo segmentinfo self ") == 0,
        "/proc lists swaps after sys (%s)", names);
  return done();
}
