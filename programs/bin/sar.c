/* sar -B INTERVAL [COUNT]: paging statistics in sysstat 12.6's layout, from /proc/vmstat
 * deltas over each INTERVAL seconds: pgpgin/s pgpgout/s (kB paged in and out), fault/s,
 * majflt/s, pgfree/s, pgscank/s and pgscand/s (pages scanned by kswapd and by direct
 * reclaim), pgsteal/s (pages reclaimed) and %vmeff (pgsteal over pages scanned), then an
 * Average: line. Without COUNT it runs until interrupted. There is no sadc data file to
 * report from: an INTERVAL is required. Times are printed as the C locale's %X (24-hour). */
#include <signal.h>
#include <sys/utsname.h>
#include "procfs.h"

struct paging {
    double uptime;
    unsigned long long pgpgin, pgpgout, fault, majflt, pgfree, scank, scand, steal;
};

static int read_paging(struct paging *p)
{
    static char buf[65536];
    if (read_text("/proc/vmstat", buf, sizeof buf) <= 0)
        return -1;
    p->uptime = uptime_seconds();
    p->pgpgin = keyed_value(buf, "pgpgin", NULL);
    p->pgpgout = keyed_value(buf, "pgpgout", NULL);
    p->fault = keyed_value(buf, "pgfault", NULL);
    p->majflt = keyed_value(buf, "pgmajfault", NULL);
    p->pgfree = keyed_value(buf, "pgfree", NULL);
    /* Older kernels split these per zone (pgscan_kswapd_normal...): sum by prefix. */
    p->scank = prefixed_sum(buf, "pgscan_kswapd", NULL);
    p->scand = prefixed_sum(buf, "pgscan_direct", "pgscan_direct_throttle");
    /* Pages reclaimed, by who reclaimed them (not the per-type pgsteal_anon and
     * pgsteal_file, which count the same pages again). */
    p->steal = prefixed_sum(buf, "pgsteal_kswapd", NULL) + prefixed_sum(buf, "pgsteal_direct", NULL) +
               prefixed_sum(buf, "pgsteal_khugepaged", NULL);
    return 0;
}

static void stamp(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, cap, "%X", &tm);
}

static void row(const char *label, const struct paging *a, const struct paging *b, double secs)
{
    double d[8] = {
        (double)(b->pgpgin - a->pgpgin),   (double)(b->pgpgout - a->pgpgout),
        (double)(b->fault - a->fault),     (double)(b->majflt - a->majflt),
        (double)(b->pgfree - a->pgfree),   (double)(b->scank - a->scank),
        (double)(b->scand - a->scand),     (double)(b->steal - a->steal),
    };
    printf("%-11s", label);
    for (int i = 0; i < 8; i++)
        printf(" %9.2f", secs > 0 ? d[i] / secs : 0.0);
    double scanned = d[5] + d[6];
    printf(" %9.2f\n", scanned > 0 ? d[7] / scanned * 100.0 : 0.0);
    fflush(stdout);
}

static int cpus(void)
{
    static char buf[65536];
    int n = 0;
    if (read_text("/proc/stat", buf, sizeof buf) > 0)
        for (const char *l = buf; (l = strstr(l, "\ncpu")); l++)
            if (isdigit((unsigned char)l[4]))
                n++;
    return n ? n : 1;
}

static volatile sig_atomic_t stop;

static void on_int(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "Usage: sar -B INTERVAL [COUNT]\n");
    return 1;
}

int main(int argc, char **argv)
{
    int paging = 0;
    long interval = -1, count = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-B") == 0)
            paging = 1;
        else if (isdigit((unsigned char)argv[i][0]) && interval < 0)
            interval = atol(argv[i]);
        else if (isdigit((unsigned char)argv[i][0]) && count < 0)
            count = atol(argv[i]);
        else
            return usage();
    }
    if (!paging) {
        fprintf(stderr, "sar: only -B (paging statistics) is supported\n");
        return usage();
    }
    if (interval <= 0) {
        fprintf(stderr, "sar: no data file to report from (there is no sadc): give an INTERVAL\n");
        return usage();
    }
    struct utsname u;
    uname(&u);
    char date[64], now[64];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(date, sizeof date, "%x", &tm);
    printf("%s %s (%s) \t%s \t_%s_\t(%d CPU)\n\n", u.sysname, u.release, u.nodename, date,
           u.machine, cpus());
    struct paging first, prev, cur;
    if (read_paging(&first) < 0) {
        perror("sar: /proc/vmstat");
        return 1;
    }
    stamp(now, sizeof now);
    printf("%-11s  pgpgin/s pgpgout/s   fault/s  majflt/s  pgfree/s pgscank/s pgscand/s pgsteal/s    %%vmeff\n", now);
    signal(SIGINT, on_int);
    prev = first;
    long done = 0;
    while (!stop && (count < 0 || done < count)) {
        struct timespec ts = {interval, 0};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
            ;
        if (read_paging(&cur) < 0)
            break;
        stamp(now, sizeof now);
        row(now, &prev, &cur, cur.uptime - prev.uptime);
        prev = cur;
        done++;
    }
    if (done > 0)
        row("Average:", &first, &prev, prev.uptime - first.uptime);
    return 0;
}
