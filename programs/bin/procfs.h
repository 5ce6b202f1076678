/* What the tools of programs/bin share: reading /proc files, a process's fields from
 * /proc/PID/stat, status and cmdline, /proc/meminfo and /proc/vmstat values, user names,
 * and the tty names ps and top print. Plain C for glibc, musl and the host's Linux. */
#ifndef RVMMU_PROCFS_H
#define RVMMU_PROCFS_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Reads the whole file at `path` into `buf` (NUL-terminated); returns its length, or -1. */
static inline long read_text(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    return (long)len;
}

/* The number after `key` (a line's first word, e.g. "MemTotal:" or "pgfault") in `text`;
 * `found` (if given) says whether the line was there. */
static inline unsigned long long keyed_value(const char *text, const char *key, int *found)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '\t')) {
            if (found)
                *found = 1;
            return strtoull(line + klen, NULL, 10);
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (found)
        *found = 0;
    return 0;
}

/* The sum of the values of every line whose first word starts with `prefix` (e.g. the
 * pgsteal_ counters), except those starting with `except` (may be NULL). */
static inline unsigned long long prefixed_sum(const char *text, const char *prefix,
                                              const char *except)
{
    unsigned long long sum = 0;
    size_t plen = strlen(prefix);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, prefix, plen) == 0 && !(except && strncmp(line, except, strlen(except)) == 0)) {
            const char *sp = strchr(line, ' ');
            if (sp)
                sum += strtoull(sp + 1, NULL, 10);
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return sum;
}

/* /proc/meminfo's values the tools use, in kB. */
struct meminfo {
    unsigned long long total, free, available, buffers, cached, sreclaimable, shmem;
    unsigned long long swap_total, swap_free;
    int has_available;
};

static inline int read_meminfo(struct meminfo *m)
{
    static char buf[8192];
    if (read_text("/proc/meminfo", buf, sizeof buf) < 0)
        return -1;
    m->total = keyed_value(buf, "MemTotal:", NULL);
    m->free = keyed_value(buf, "MemFree:", NULL);
    m->available = keyed_value(buf, "MemAvailable:", &m->has_available);
    m->buffers = keyed_value(buf, "Buffers:", NULL);
    m->cached = keyed_value(buf, "Cached:", NULL);
    m->sreclaimable = keyed_value(buf, "SReclaimable:", NULL);
    m->shmem = keyed_value(buf, "Shmem:", NULL);
    m->swap_total = keyed_value(buf, "SwapTotal:", NULL);
    m->swap_free = keyed_value(buf, "SwapFree:", NULL);
    return 0;
}

/* buff/cache and used as procps-ng 4 (its libproc2) computes them: cache is Cached +
 * SReclaimable; used is total - MemAvailable, or without MemAvailable (kernels before 3.14)
 * total - free - buffers - cache (total - free if that goes below 0). */
static inline unsigned long long mem_cache(const struct meminfo *m)
{
    return m->cached + m->sreclaimable;
}

static inline unsigned long long mem_used(const struct meminfo *m)
{
    if (m->has_available && m->available <= m->total)
        return m->total - m->available;
    long long used = (long long)m->total - (long long)m->free - (long long)m->buffers -
                     (long long)mem_cache(m);
    if (used < 0)
        used = (long long)m->total - (long long)m->free;
    return (unsigned long long)used;
}

static inline unsigned long long mem_available(const struct meminfo *m)
{
    if (!m->has_available)
        return m->free;
    return m->available > m->total ? m->total : m->available;
}

/* A process as ps and top see it. */
struct proc {
    int pid, ppid, pgrp, session, tty_nr, tpgid;
    char state;
    char comm[64];
    unsigned long long utime, stime, start_ticks, vsize, rss_pages;
    long priority, nice, threads;
    unsigned uid;
    /* From status: procps-ng 4 takes VSZ and RSS from VmSize and VmRSS. */
    unsigned long long vm_size_kb, vm_rss_kb, vm_lck_kb, rss_file_kb, rss_shmem_kb;
    char cmdline[4096]; /* the arguments joined by spaces; empty for none */
};

/* Reads /proc/PID/{stat,status,cmdline}; -1 when the process is gone. */
static inline int read_proc(int pid, struct proc *p)
{
    char path[64], buf[4096];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (read_text(path, buf, sizeof buf) <= 0)
        return -1;
    /* comm is in parentheses and may hold anything: it ends at the last ')'. */
    char *open_paren = strchr(buf, '(');
    char *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren)
        return -1;
    size_t clen = (size_t)(close_paren - open_paren - 1);
    if (clen >= sizeof p->comm)
        clen = sizeof p->comm - 1;
    memcpy(p->comm, open_paren + 1, clen);
    p->comm[clen] = 0;
    /* Fields from 3 (state) on. */
    char *f[60];
    int n = 0;
    for (char *s = strtok(close_paren + 2, " \n"); s && n < 60; s = strtok(NULL, " \n"))
        f[n++] = s;
    if (n < 22)
        return -1;
    p->state = f[0][0];
    p->ppid = atoi(f[1]);
    p->pgrp = atoi(f[2]);
    p->session = atoi(f[3]);
    p->tty_nr = atoi(f[4]);
    p->tpgid = atoi(f[5]);
    p->utime = strtoull(f[11], NULL, 10);
    p->stime = strtoull(f[12], NULL, 10);
    p->priority = strtol(f[15], NULL, 10);
    p->nice = strtol(f[16], NULL, 10);
    p->threads = strtol(f[17], NULL, 10);
    p->start_ticks = strtoull(f[19], NULL, 10);
    p->vsize = strtoull(f[20], NULL, 10);
    p->rss_pages = strtoull(f[21], NULL, 10);

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (read_text(path, buf, sizeof buf) > 0) {
        p->uid = (unsigned)keyed_value(buf, "Uid:", NULL);
        /* Uid: real, effective, ...: ps shows the effective one. */
        const char *u = strstr(buf, "\nUid:");
        if (u) {
            char *e;
            strtoul(u + 5, &e, 10);
            p->uid = (unsigned)strtoul(e, NULL, 10);
        }
        int found;
        p->vm_size_kb = keyed_value(buf, "VmSize:", &found);
        if (!found)
            p->vm_size_kb = p->vsize / 1024;
        p->vm_rss_kb = keyed_value(buf, "VmRSS:", &found);
        if (!found)
            p->vm_rss_kb = p->rss_pages * (unsigned long long)(sysconf(_SC_PAGESIZE) / 1024);
        p->vm_lck_kb = keyed_value(buf, "VmLck:", NULL);
        p->rss_file_kb = keyed_value(buf, "RssFile:", NULL);
        p->rss_shmem_kb = keyed_value(buf, "RssShmem:", NULL);
    }

    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t len = read(fd, p->cmdline, sizeof p->cmdline - 1);
        close(fd);
        if (len < 0)
            len = 0;
        while (len > 0 && p->cmdline[len - 1] == 0)
            len--;
        for (ssize_t i = 0; i < len; i++)
            if (p->cmdline[i] == 0 || p->cmdline[i] == '\n' || p->cmdline[i] == '\t')
                p->cmdline[i] = ' ';
        p->cmdline[len] = 0;
    }
    return 0;
}

/* The pids of /proc, ascending (a directory read: /proc lists them in order). Returns how
 * many were stored in `pids` (at most `cap`). */
static inline int list_pids(int *pids, int cap)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        pids[n++] = atoi(e->d_name);
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
            int t = pids[j];
            pids[j] = pids[j - 1];
            pids[j - 1] = t;
        }
    return n;
}

/* The user name of `uid` from /etc/passwd, else the number. */
static inline const char *user_name(unsigned uid, char *buf, size_t cap)
{
    static char passwd[16384];
    static int loaded;
    if (!loaded) {
        if (read_text("/etc/passwd", passwd, sizeof passwd) < 0)
            passwd[0] = 0;
        loaded = 1;
    }
    for (const char *line = passwd; line && *line;) {
        const char *c1 = strchr(line, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && (unsigned)strtoul(c2 + 1, NULL, 10) == uid && isdigit((unsigned char)c2[1])) {
            size_t len = (size_t)(c1 - line);
            if (len >= cap)
                len = cap - 1;
            memcpy(buf, line, len);
            buf[len] = 0;
            return buf;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    snprintf(buf, cap, "%u", uid);
    return buf;
}

/* The terminal a tty_nr names, as ps shows it: "?" for none, ttyN, ttySN, pts/N, console. */
static inline const char *tty_name(int tty_nr, char *buf, size_t cap)
{
    unsigned major = ((unsigned)tty_nr >> 8) & 0xfff;
    unsigned minor = ((unsigned)tty_nr & 0xff) | (((unsigned)tty_nr >> 12) & 0xfff00);
    if (tty_nr == 0)
        snprintf(buf, cap, "?");
    else if (major == 4 && minor < 64)
        snprintf(buf, cap, "tty%u", minor);
    else if (major == 4)
        snprintf(buf, cap, "ttyS%u", minor - 64);
    else if (major >= 136 && major <= 143)
        snprintf(buf, cap, "pts/%u", (major - 136) * 256 + minor);
    else if (major == 5 && minor == 1)
        snprintf(buf, cap, "console");
    else
        snprintf(buf, cap, "%u,%u", major, minor);
    return buf;
}

/* Seconds since boot (/proc/uptime's first number). */
static inline double uptime_seconds(void)
{
    char buf[128];
    if (read_text("/proc/uptime", buf, sizeof buf) <= 0)
        return 0;
    return strtod(buf, NULL);
}

/* /proc/stat's btime: the boot time in seconds since the epoch. */
static inline long long boot_time(void)
{
    static char buf[16384];
    if (read_text("/proc/stat", buf, sizeof buf) <= 0)
        return 0;
    return (long long)keyed_value(buf, "btime", NULL);
}

/* Clock ticks per second of /proc's times. */
static inline long hertz(void)
{
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? hz : 100;
}

#endif
