/* top -b [-n N] [-d SECS] [-p PID,...] [-w COLS]: procps-ng 4's top in batch mode: the
 * summary (time, uptime, users, load average; tasks by state; CPU use; MiB Mem and MiB Swap)
 * and the process table PID USER PR NI VIRT RES SHR S %CPU %MEM TIME+ COMMAND, sorted by
 * %CPU. %CPU (of the summary and of each process) is measured over a short interval before
 * the first frame (0.1 s, about what top's startup takes), then over each delay (-d,
 * default 3 s). Lines fit 80 columns (or -w COLS) less the last, the command cut and marked
 * with `+`, or left out when narrower than its header, as top does when its output is not a
 * terminal. VIRT, RES and SHR are in KiB, scaled
 * to m or g (one decimal) when they do not fit their columns. */
#include <utmp.h>
#include "procfs.h"

struct cpu {
    unsigned long long v[8];
};

static int read_cpu(struct cpu *c)
{
    static char buf[65536];
    memset(c, 0, sizeof *c);
    if (read_text("/proc/stat", buf, sizeof buf) <= 0)
        return -1;
    const char *l = strstr(buf, "cpu ");
    if (!l)
        return -1;
    sscanf(l + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &c->v[0], &c->v[1], &c->v[2],
           &c->v[3], &c->v[4], &c->v[5], &c->v[6], &c->v[7]);
    return 0;
}

#define MAX_PROCS 4096
struct task {
    struct proc p;
    unsigned long long ticks; /* utime + stime */
    double pcpu;
};

static struct task tasks[MAX_PROCS];
static int ntasks;
static int columns = 80;

/* CPU ticks of every process now, for the %CPU of the next frame. */
static int prev_pids[MAX_PROCS];
static unsigned long long prev_ticks[MAX_PROCS];
static int nprev;

static void snapshot_ticks(void)
{
    int pids[MAX_PROCS];
    int n = list_pids(pids, MAX_PROCS);
    nprev = 0;
    for (int i = 0; i < n; i++) {
        struct proc p;
        if (read_proc(pids[i], &p) < 0)
            continue;
        prev_pids[nprev] = p.pid;
        prev_ticks[nprev++] = p.utime + p.stime;
    }
}

static unsigned long long ticks_before(int pid, unsigned long long now)
{
    for (int i = 0; i < nprev; i++)
        if (prev_pids[i] == pid)
            return prev_ticks[i];
    return now; /* new since: nothing measured */
}

/* A memory size in KiB in `width` columns: the number if it fits, else m or g with one
 * decimal (top's scale_mem). */
static const char *scale_kb(unsigned long long kb, int width, char *buf, size_t cap)
{
    double v = (double)kb;
    static const char suffix[] = "kmgtpe";
    if (snprintf(buf, cap, "%llu", kb) <= width)
        return buf;
    for (int i = 1; i < 6; i++) {
        v /= 1024.0;
        if (snprintf(buf, cap, "%.1f%c", v, suffix[i]) <= width)
            return buf;
    }
    snprintf(buf, cap, "?");
    return buf;
}

static int by_cpu(const void *a, const void *b)
{
    const struct task *x = a, *y = b;
    if (x->pcpu != y->pcpu)
        return x->pcpu < y->pcpu ? 1 : -1;
    return x->p.pid - y->p.pid;
}

static int users(void)
{
    int n = 0;
    setutent();
    struct utmp *u;
    while ((u = getutent()))
        if (u->ut_type == USER_PROCESS)
            n++;
    endutent();
    return n;
}

static void print_cut(const char *line)
{
    printf("%.*s\n", columns, line);
}

static void frame(const struct cpu *c0, const struct cpu *c1, double secs, const int *only, int nonly)
{
    char line[8192];
    long hz = hertz();
    struct meminfo m;
    if (read_meminfo(&m) < 0)
        memset(&m, 0, sizeof m);

    /* top - HH:MM:SS up ..., N users, load average: a, b, c */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char clock[16];
    strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    double up = uptime_seconds();
    long upmins = (long)(up / 60);
    long days = upmins / 1440, hours = upmins / 60 % 24, mins = upmins % 60;
    char upbuf[64];
    int n = 0;
    if (days)
        n = snprintf(upbuf, sizeof upbuf, "%ld day%s, ", days, days > 1 ? "s" : "");
    if (hours)
        snprintf(upbuf + n, sizeof upbuf - (size_t)n, "%2ld:%02ld", hours, mins);
    else
        snprintf(upbuf + n, sizeof upbuf - (size_t)n, "%ld min", mins);
    char loadavg[128] = "0.00 0.00 0.00";
    double l1 = 0, l5 = 0, l15 = 0;
    if (read_text("/proc/loadavg", loadavg, sizeof loadavg) > 0)
        sscanf(loadavg, "%lf %lf %lf", &l1, &l5, &l15);
    int nu = users();
    snprintf(line, sizeof line, "top - %s up %s, %2d user%s,  load average: %.2f, %.2f, %.2f", clock,
             upbuf, nu, nu > 1 ? "s" : "", l1, l5, l15);
    print_cut(line);

    /* The tasks, their states and %CPU. */
    int pids[MAX_PROCS];
    int np = list_pids(pids, MAX_PROCS);
    int running = 0, sleeping = 0, stopped = 0, zombie = 0;
    ntasks = 0;
    for (int i = 0; i < np && ntasks < MAX_PROCS; i++) {
        struct task *t = &tasks[ntasks];
        if (read_proc(pids[i], &t->p) < 0)
            continue;
        switch (t->p.state) {
        case 'R': running++; break;
        case 'T':
        case 't': stopped++; break;
        case 'Z': zombie++; break;
        default: sleeping++; break;
        }
        if (nonly) {
            int pick = 0;
            for (int j = 0; j < nonly; j++)
                pick |= only[j] == t->p.pid;
            if (!pick)
                continue;
        }
        t->ticks = t->p.utime + t->p.stime;
        unsigned long long before = ticks_before(t->p.pid, t->ticks);
        t->pcpu = secs > 0 ? (double)(t->ticks - before) * 100.0 / (double)hz / secs : 0;
        ntasks++;
    }
    printf("Tasks:%4d total,%4d running,%4d sleeping,%4d stopped,%4d zombie\n",
           running + sleeping + stopped + zombie, running, sleeping, stopped, zombie);

    unsigned long long d[8], sum = 0;
    for (int i = 0; i < 8; i++) {
        d[i] = c1->v[i] - c0->v[i];
        sum += d[i];
    }
    double scale = sum ? 100.0 / (double)sum : 0;
    /* us, sy, ni, id, wa, hi, si, st from /proc/stat's user nice system idle iowait irq
     * softirq steal; with no ticks counted, all idle. */
    printf("%%Cpu(s):%5.1f us,%5.1f sy,%5.1f ni,%5.1f id,%5.1f wa,%5.1f hi,%5.1f si,%5.1f st \n",
           (double)d[0] * scale, (double)d[2] * scale, (double)d[1] * scale,
           sum ? (double)d[3] * scale : 100.0, (double)d[4] * scale, (double)d[5] * scale,
           (double)d[6] * scale, (double)d[7] * scale);
    double mib = 1024.0;
    printf("MiB Mem : %8.1f total, %8.1f free, %8.1f used, %8.1f buff/cache     \n",
           (double)m.total / mib, (double)m.free / mib, (double)mem_used(&m) / mib,
           (double)(m.buffers + mem_cache(&m)) / mib);
    printf("MiB Swap: %8.1f total, %8.1f free, %8.1f used. %8.1f avail Mem \n",
           (double)m.swap_total / mib, (double)m.swap_free / mib,
           (double)(m.swap_total - m.swap_free) / mib, (double)mem_available(&m) / mib);
    printf("\n");
    printf("%s\n", columns - 1 - 70 >= 7
                        ? "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND"
                        : "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+");

    qsort(tasks, (size_t)ntasks, sizeof tasks[0], by_cpu);
    for (int i = 0; i < ntasks; i++) {
        const struct proc *p = &tasks[i].p;
        char user[64], virt[32], res[32], shr[32], pr[32];
        user_name(p->uid, user, sizeof user);
        if (strlen(user) > 8) {
            user[7] = '+';
            user[8] = 0;
        }
        if (p->priority < -99)
            snprintf(pr, sizeof pr, "rt");
        else
            snprintf(pr, sizeof pr, "%ld", p->priority);
        unsigned long long cs = (p->utime + p->stime) * 100 / (unsigned long long)hz;
        double pmem = m.total ? (double)p->vm_rss_kb * 100.0 / (double)m.total : 0;
        /* TIME+ is right-aligned in 9 columns as M:SS.hh. */
        char timeplus[32];
        snprintf(timeplus, sizeof timeplus, "%llu:%02llu.%02llu", cs / 6000, cs / 100 % 60, cs % 100);
        int len = snprintf(line, sizeof line, "%5d %-8s %3s %3ld %7s %6s %6s %c %5.1f %5.1f %9s ",
                       p->pid, user, pr, p->nice, scale_kb(p->vm_size_kb, 7, virt, sizeof virt),
                       scale_kb(p->vm_rss_kb, 6, res, sizeof res),
                       scale_kb(p->rss_file_kb + p->rss_shmem_kb, 6, shr, sizeof shr), p->state,
                       tasks[i].pcpu, pmem, timeplus);
        /* top leaves the last screen column empty; a COMMAND column narrower than its
         * header is left out. */
        int room = columns - 1 - len;
        if (room >= 7) {
            if ((int)strlen(p->comm) > room)
                snprintf(line + len, sizeof line - (size_t)len, "%.*s+", room - 1, p->comm);
            else
                snprintf(line + len, sizeof line - (size_t)len, "%s", p->comm);
        }
        while (len > 0 && line[strlen(line) - 1] == ' ' && room < 7) {
            line[strlen(line) - 1] = 0;
            len--;
        }
        print_cut(line);
    }
}

static int usage(void)
{
    fprintf(stderr, "Usage: top -b [-n N] [-d SECS] [-p PID,...] [-w COLS]\n");
    return 1;
}

int main(int argc, char **argv)
{
    long iterations = -1;
    double delay = 3.0;
    int only[64], nonly = 0, batch = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-')
            return usage();
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'b') {
                batch = 1;
                continue;
            }
            if (!strchr("ndpw", *c))
                return usage();
            const char *v = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v)
                return usage();
            if (*c == 'n')
                iterations = atol(v);
            else if (*c == 'd')
                delay = atof(v);
            else if (*c == 'w')
                columns = atoi(v);
            else {
                char *copy = strdup(v);
                for (char *s = strtok(copy, ","); s && nonly < 64; s = strtok(NULL, ","))
                    only[nonly++] = atoi(s);
            }
            break;
        }
    }
    if (!batch) {
        fprintf(stderr, "top: only batch mode (-b) is supported\n");
        return usage();
    }
    if (columns < 40)
        columns = 40;
    if (columns > 8000)
        columns = 8000;
    struct cpu c0, c1;
    read_cpu(&c0);
    double t0 = uptime_seconds();
    snapshot_ticks();
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    for (long it = 0; iterations < 0 || it < iterations; it++) {
        if (it > 0) {
            printf("\n");
            c0 = c1;
            t0 = uptime_seconds();
            snapshot_ticks();
            struct timespec d = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
            nanosleep(&d, NULL);
        }
        read_cpu(&c1);
        frame(&c0, &c1, uptime_seconds() - t0, only, nonly);
        fflush(stdout);
    }
    return 0;
}
