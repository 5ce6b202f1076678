/* vmstat [INTERVAL [COUNT]]: procps-ng 4.0.2's virtual memory report. The first line is
 * averages since boot (rates per second over the CPU time /proc/stat has counted); each
 * further line, every INTERVAL seconds, the changes over the interval. Columns: processes
 * runnable and blocked; swap used, free, buffers, cache (kB); swapped in and out (kB/s);
 * blocks in and out (pgpgin, pgpgout: kB/s); interrupts and context switches a second; CPU
 * time in user (with nice), system (with irq and softirq), idle, iowait and steal (%). */
#include "procfs.h"

struct sample {
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
    unsigned long long intr, ctxt, running, blocked;
    unsigned long long pswpin, pswpout, pgpgin, pgpgout;
};

static int read_sample(struct sample *s)
{
    static char buf[65536];
    memset(s, 0, sizeof *s);
    if (read_text("/proc/stat", buf, sizeof buf) <= 0)
        return -1;
    const char *cpu = strstr(buf, "cpu ");
    if (cpu)
        sscanf(cpu + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &s->user, &s->nice, &s->sys,
               &s->idle, &s->iowait, &s->irq, &s->softirq, &s->steal);
    s->intr = keyed_value(buf, "intr", NULL);
    s->ctxt = keyed_value(buf, "ctxt", NULL);
    s->running = keyed_value(buf, "procs_running", NULL);
    s->blocked = keyed_value(buf, "procs_blocked", NULL);
    if (read_text("/proc/vmstat", buf, sizeof buf) <= 0)
        return -1;
    s->pswpin = keyed_value(buf, "pswpin", NULL);
    s->pswpout = keyed_value(buf, "pswpout", NULL);
    s->pgpgin = keyed_value(buf, "pgpgin", NULL);
    s->pgpgout = keyed_value(buf, "pgpgout", NULL);
    return 0;
}

static unsigned long long total(const struct sample *s)
{
    return s->user + s->nice + s->sys + s->idle + s->iowait + s->irq + s->softirq + s->steal;
}

/* One line from `a` to `b` (a zeroed `a`: since boot). `secs` is the interval, 0 for the
 * first line (rates over the CPU ticks counted). */
static void line(const struct sample *a, const struct sample *b, long secs)
{
    struct meminfo m;
    if (read_meminfo(&m) < 0)
        memset(&m, 0, sizeof m);
    unsigned long long ticks = total(b) - total(a);
    if (ticks == 0)
        ticks = 1;
    unsigned long long half = ticks / 2;
    long hz = hertz();
    unsigned long long kb_per_page = (unsigned long long)sysconf(_SC_PAGESIZE) / 1024;
    unsigned long long si, so, bi, bo, in, cs;
    if (secs == 0) {
        /* Since boot: per second of the ticks counted. */
        si = ((b->pswpin * kb_per_page) * (unsigned long long)hz + half) / ticks;
        so = ((b->pswpout * kb_per_page) * (unsigned long long)hz + half) / ticks;
        bi = (b->pgpgin * (unsigned long long)hz + half) / ticks;
        bo = (b->pgpgout * (unsigned long long)hz + half) / ticks;
        in = (b->intr * (unsigned long long)hz + half) / ticks;
        cs = (b->ctxt * (unsigned long long)hz + half) / ticks;
    } else {
        unsigned long long h = (unsigned long long)secs / 2, n = (unsigned long long)secs;
        si = ((b->pswpin - a->pswpin) * kb_per_page + h) / n;
        so = ((b->pswpout - a->pswpout) * kb_per_page + h) / n;
        bi = (b->pgpgin - a->pgpgin + h) / n;
        bo = (b->pgpgout - a->pgpgout + h) / n;
        in = (b->intr - a->intr + h) / n;
        cs = (b->ctxt - a->ctxt + h) / n;
    }
    unsigned long long us = (100 * (b->user + b->nice - a->user - a->nice) + half) / ticks;
    unsigned long long sy = (100 * (b->sys + b->irq + b->softirq - a->sys - a->irq - a->softirq) + half) / ticks;
    unsigned long long id = (100 * (b->idle - a->idle) + half) / ticks;
    unsigned long long wa = (100 * (b->iowait - a->iowait) + half) / ticks;
    unsigned long long st = (100 * (b->steal - a->steal) + half) / ticks;
    printf("%2llu %2llu %6llu %6llu %6llu %6llu %4llu %4llu %5llu %5llu %4llu %4llu %2llu %2llu %2llu %2llu %2llu\n",
           b->running, b->blocked, m.swap_total - m.swap_free, m.free, m.buffers, mem_cache(&m), si,
           so, bi, bo, in, cs, us, sy, id, wa, st);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    long interval = 0, count = -1;
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (!isdigit((unsigned char)argv[i][0])) {
            fprintf(stderr, "vmstat: unsupported option %s\nUsage: vmstat [INTERVAL [COUNT]]\n", argv[i]);
            return 1;
        }
        if (nargs++ == 0)
            interval = atol(argv[i]);
        else
            count = atol(argv[i]);
    }
    if (nargs == 1 && interval == 0) {
        fprintf(stderr, "vmstat: Delay must be > 0\n");
        return 1;
    }
    if (interval == 0)
        count = 1;
    printf("procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n");
    printf(" r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n");
    struct sample zero, prev, cur;
    memset(&zero, 0, sizeof zero);
    if (read_sample(&prev) < 0) {
        perror("vmstat: /proc");
        return 1;
    }
    line(&zero, &prev, 0);
    for (long i = 1; count < 0 || i < count; i++) {
        sleep((unsigned)interval);
        if (read_sample(&cur) < 0)
            return 1;
        line(&prev, &cur, interval);
        prev = cur;
    }
    return 0;
}
