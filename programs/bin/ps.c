/* ps: processes from /proc in procps-ng 4's formats. Supports `ps` (this terminal's and
 * user's processes: PID TTY TIME CMD), `ps aux` (every process, BSD user format: USER PID
 * %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND), `ps -e`/`-A`, `ps -f`/`-ef` (UID PID PPID C
 * STIME TTY TIME CMD), `-o FIELD,...` (pid ppid pgid sid tty tpgid user uid ni pri vsz rss
 * stat s comm args cmd command %cpu %mem c time etime start stime; `FIELD=HEADER` renames)
 * and `-p PID,...`. Columns are procps's widths, right- or left-aligned as procps aligns
 * them; a value wider than its column pushes the rest of the line right. */
#include "procfs.h"

struct field {
    const char *name;
    const char *header;
    int width;
    int left; /* left-aligned */
    int kind;
};

enum {
    F_PID, F_PPID, F_PGID, F_SID, F_TTY, F_TPGID, F_USER, F_UID, F_NI, F_PRI, F_VSZ, F_RSS,
    F_STAT, F_S, F_COMM, F_ARGS, F_PCPU, F_PMEM, F_C, F_TIME, F_BSDTIME, F_ETIME, F_START,
    F_BSDSTART, F_STIME,
};

static const struct field FIELDS[] = {
    {"pid", "PID", 5, 0, F_PID},          {"ppid", "PPID", 5, 0, F_PPID},
    {"pgid", "PGID", 5, 0, F_PGID},       {"pgrp", "PGRP", 5, 0, F_PGID},
    {"sid", "SID", 5, 0, F_SID},          {"sess", "SESS", 5, 0, F_SID},
    {"tty", "TT", 8, 1, F_TTY},           {"tt", "TT", 8, 1, F_TTY},
    {"tname", "TTY", 8, 1, F_TTY},        {"tpgid", "TPGID", 5, 0, F_TPGID},
    {"user", "USER", 8, 1, F_USER},       {"euser", "EUSER", 8, 1, F_USER},
    {"uid", "UID", 5, 0, F_UID},          {"ni", "NI", 3, 0, F_NI},
    {"nice", "NI", 3, 0, F_NI},           {"pri", "PRI", 3, 0, F_PRI},
    {"vsz", "VSZ", 6, 0, F_VSZ},          {"vsize", "VSZ", 6, 0, F_VSZ},
    {"rss", "RSS", 5, 0, F_RSS},          {"rssize", "RSS", 5, 0, F_RSS},
    {"stat", "STAT", 4, 1, F_STAT},       {"s", "S", 1, 1, F_S},
    {"state", "S", 1, 1, F_S},            {"comm", "COMMAND", 15, 1, F_COMM},
    {"ucmd", "CMD", 15, 1, F_COMM},       {"args", "COMMAND", 27, 1, F_ARGS},
    {"cmd", "CMD", 27, 1, F_ARGS},        {"command", "COMMAND", 27, 1, F_ARGS},
    {"%cpu", "%CPU", 4, 0, F_PCPU},       {"pcpu", "%CPU", 4, 0, F_PCPU},
    {"%mem", "%MEM", 4, 0, F_PMEM},       {"pmem", "%MEM", 4, 0, F_PMEM},
    {"c", "C", 2, 0, F_C},                {"time", "TIME", 8, 0, F_TIME},
    {"cputime", "TIME", 8, 0, F_TIME},    {"bsdtime", "TIME", 6, 0, F_BSDTIME},
    {"etime", "ELAPSED", 11, 0, F_ETIME}, {"start", "STARTED", 8, 0, F_START},
    {"bsdstart", "START", 6, 0, F_BSDSTART}, {"stime", "STIME", 5, 0, F_STIME},
};

#define MAX_COLS 32
static struct field cols[MAX_COLS];
static int ncols;

static int add_field(const char *spec)
{
    char name[64];
    const char *eq = strchr(spec, '=');
    size_t len = eq ? (size_t)(eq - spec) : strlen(spec);
    if (len >= sizeof name || ncols == MAX_COLS)
        return -1;
    memcpy(name, spec, len);
    name[len] = 0;
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        if (strcmp(FIELDS[i].name, name) == 0) {
            cols[ncols] = FIELDS[i];
            if (eq)
                cols[ncols].header = strdup(eq + 1);
            ncols++;
            return 0;
        }
    }
    return -1;
}

static void add_fields(const char *list, const char **headers)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    int i = 0;
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","), i++) {
        if (add_field(s) < 0) {
            fprintf(stderr, "error: unknown user-defined format specifier \"%s\"\n", s);
            exit(1);
        }
        if (headers && headers[i])
            cols[ncols - 1].header = headers[i];
    }
}

static double uptime_now;
static long long boot_secs;
static long hz;
static unsigned long long mem_total_kb;

/* Seconds the process has existed. */
static double elapsed(const struct proc *p)
{
    double e = uptime_now - (double)p->start_ticks / (double)hz;
    return e < 0 ? 0 : e;
}

/* procps's %CPU in tenths of a percent: CPU time over elapsed time. */
static unsigned pcpu_tenths(const struct proc *p)
{
    double secs = elapsed(p);
    if (secs <= 0)
        return 0;
    unsigned long long total = p->utime + p->stime;
    return (unsigned)((double)total * 1000.0 / (double)hz / secs);
}

static void fmt_start(const struct proc *p, char *buf, size_t cap, int kind)
{
    time_t start = (time_t)(boot_secs + (long long)(p->start_ticks / (unsigned long long)hz));
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&start, &tm);
    const char *fmt;
    if (kind == F_START)
        fmt = now - start < 24 * 3600 ? "%H:%M:%S" : "%b %d";
    else if (now - start < 24 * 3600)
        fmt = "%H:%M";
    else if (now - start < 365 * 24 * 3600)
        fmt = "%b%d";
    else
        fmt = "%Y";
    strftime(buf, cap, fmt, &tm);
}

static void format_value(const struct proc *p, const struct field *f, char *buf, size_t cap)
{
    unsigned long long secs = (p->utime + p->stime) / (unsigned long long)hz;
    char tmp[64];
    switch (f->kind) {
    case F_PID: snprintf(buf, cap, "%d", p->pid); break;
    case F_PPID: snprintf(buf, cap, "%d", p->ppid); break;
    case F_PGID: snprintf(buf, cap, "%d", p->pgrp); break;
    case F_SID: snprintf(buf, cap, "%d", p->session); break;
    case F_TTY: tty_name(p->tty_nr, buf, cap); break;
    case F_TPGID: snprintf(buf, cap, "%d", p->tpgid); break;
    case F_USER: {
        const char *name = user_name(p->uid, tmp, sizeof tmp);
        /* A name longer than the column is shown as the number (procps). */
        if (strlen(name) > 8)
            snprintf(buf, cap, "%u", p->uid);
        else
            snprintf(buf, cap, "%s", name);
        break;
    }
    case F_UID: snprintf(buf, cap, "%u", p->uid); break;
    case F_NI: snprintf(buf, cap, "%ld", p->nice); break;
    case F_PRI: snprintf(buf, cap, "%ld", 39 - p->priority); break;
    case F_VSZ: snprintf(buf, cap, "%llu", p->vm_size_kb); break;
    case F_RSS: snprintf(buf, cap, "%llu", p->vm_rss_kb); break;
    case F_STAT: {
        size_t n = 0;
        buf[n++] = p->state;
        if (p->nice < 0)
            buf[n++] = '<';
        else if (p->nice > 0)
            buf[n++] = 'N';
        if (p->vm_lck_kb)
            buf[n++] = 'L';
        if (p->session == p->pid)
            buf[n++] = 's';
        if (p->threads > 1)
            buf[n++] = 'l';
        if (p->tpgid != -1 && p->pgrp == p->tpgid)
            buf[n++] = '+';
        buf[n] = 0;
        break;
    }
    case F_S: snprintf(buf, cap, "%c", p->state); break;
    case F_COMM: snprintf(buf, cap, "%s", p->comm); break;
    case F_ARGS:
        if (p->cmdline[0])
            snprintf(buf, cap, "%s", p->cmdline);
        else
            snprintf(buf, cap, "[%s]", p->comm);
        break;
    case F_PCPU: {
        unsigned t = pcpu_tenths(p);
        if (t > 999)
            snprintf(buf, cap, "%u", t / 10);
        else
            snprintf(buf, cap, "%u.%u", t / 10, t % 10);
        break;
    }
    case F_PMEM: {
        unsigned long long kb = p->vm_rss_kb;
        unsigned t = mem_total_kb ? (unsigned)(kb * 1000 / mem_total_kb) : 0;
        snprintf(buf, cap, "%u.%u", t / 10, t % 10);
        break;
    }
    case F_C: {
        unsigned t = pcpu_tenths(p) / 10;
        snprintf(buf, cap, "%u", t > 99 ? 99 : t);
        break;
    }
    case F_TIME:
        if (secs >= 86400)
            snprintf(buf, cap, "%llu-%02llu:%02llu:%02llu", secs / 86400, secs / 3600 % 24,
                     secs / 60 % 60, secs % 60);
        else
            snprintf(buf, cap, "%02llu:%02llu:%02llu", secs / 3600, secs / 60 % 60, secs % 60);
        break;
    case F_BSDTIME: snprintf(buf, cap, "%llu:%02llu", secs / 60, secs % 60); break;
    case F_ETIME: {
        unsigned long long e = (unsigned long long)elapsed(p);
        if (e >= 86400)
            snprintf(buf, cap, "%llu-%02llu:%02llu:%02llu", e / 86400, e / 3600 % 24, e / 60 % 60, e % 60);
        else if (e >= 3600)
            snprintf(buf, cap, "%02llu:%02llu:%02llu", e / 3600, e / 60 % 60, e % 60);
        else
            snprintf(buf, cap, "%02llu:%02llu", e / 60, e % 60);
        break;
    }
    case F_START:
    case F_BSDSTART:
    case F_STIME: fmt_start(p, buf, cap, f->kind); break;
    default: buf[0] = 0;
    }
}

/* Prints one line: header (p NULL) or a process. A left-aligned last column is not
 * padded; a value wider than its column takes the room it needs. */
static void print_line(const struct proc *p)
{
    char line[8192];
    size_t len = 0;
    for (int i = 0; i < ncols; i++) {
        char val[4200];
        const struct field *f = &cols[i];
        if (p)
            format_value(p, f, val, sizeof val);
        else
            snprintf(val, sizeof val, "%s", f->header);
        int last = i == ncols - 1;
        int w = f->width;
        if (i > 0 && len < sizeof line - 1)
            line[len++] = ' ';
        int n;
        if (f->left)
            n = snprintf(line + len, sizeof line - len, "%-*s", last ? 0 : w, val);
        else
            n = snprintf(line + len, sizeof line - len, "%*s", w, val);
        if (n > 0)
            len += (size_t)n < sizeof line - len ? (size_t)n : sizeof line - len - 1;
    }
    while (len > 0 && line[len - 1] == ' ')
        len--;
    line[len] = 0;
    puts(line);
}

static int in_list(const int *list, int n, int pid)
{
    for (int i = 0; i < n; i++)
        if (list[i] == pid)
            return 1;
    return 0;
}

static int usage(const char *why)
{
    fprintf(stderr, "ps: %s\nUsage: ps [aux] [-e] [-f] [-o FIELD,...] [-p PID,...]\n", why);
    return 1;
}

int main(int argc, char **argv)
{
    int all = 0, bsd_all = 0, full = 0, user_fmt = 0;
    int pid_list[256], npids = 0;
    const char *olist = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            /* BSD options: a, u, x (aux), and any pid list digits. */
            if (isdigit((unsigned char)a[0])) {
                for (char *s = strtok(strdup(a), ","); s && npids < 256; s = strtok(NULL, ","))
                    pid_list[npids++] = atoi(s);
                continue;
            }
            for (const char *c = a; *c; c++) {
                if (*c == 'a' || *c == 'x')
                    bsd_all = 1;
                else if (*c == 'u')
                    user_fmt = 1;
                else
                    return usage("unsupported BSD option");
            }
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            switch (*c) {
            case 'e':
            case 'A': all = 1; break;
            case 'f': full = 1; break;
            case 'a': bsd_all = 1; break;
            case 'u': user_fmt = 1; break;
            case 'x': bsd_all = 1; break;
            case 'o':
            case 'p': {
                const char *v = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v)
                    return usage("option needs an argument");
                if (*c == 'o') {
                    olist = v;
                } else {
                    char *copy = strdup(v);
                    for (char *s = strtok(copy, ", "); s && npids < 256; s = strtok(NULL, ", "))
                        pid_list[npids++] = atoi(s);
                }
                goto next_word; /* the rest of the word was the argument */
            }
            default: return usage("unsupported option");
            }
        }
    next_word:;
    }
    hz = hertz();
    uptime_now = uptime_seconds();
    boot_secs = boot_time();
    struct meminfo m;
    if (read_meminfo(&m) == 0)
        mem_total_kb = m.total;

    if (olist) {
        add_fields(olist, NULL);
    } else if (user_fmt) {
        add_fields("user,pid,%cpu,%mem,vsz,rss,tname,stat,bsdstart,bsdtime,args", NULL);
        cols[8].header = "START";
        cols[8].width = 5;
    } else if (full) {
        static const char *h[] = {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"};
        add_fields("user,pid,ppid,c,stime,tname,time,args", h);
    } else {
        static const char *h[] = {"PID", "TTY", "TIME", "CMD"};
        add_fields("pid,tname,time,ucmd", h);
    }

    struct proc self;
    int have_self = read_proc(getpid(), &self) == 0;
    int pids[4096];
    int n = list_pids(pids, 4096);
    if (n < 0) {
        perror("ps: /proc");
        return 1;
    }
    print_line(NULL);
    int shown = 0;
    static struct proc p;
    for (int i = 0; i < n; i++) {
        if (read_proc(pids[i], &p) < 0)
            continue;
        int pick;
        if (npids)
            pick = in_list(pid_list, npids, p.pid);
        else if (all || bsd_all)
            pick = 1;
        else
            pick = have_self && p.uid == self.uid && p.tty_nr == self.tty_nr;
        if (!pick)
            continue;
        print_line(&p);
        shown++;
    }
    return npids && !shown ? 1 : 0;
}
