/* tools_check TOOLDIR PROGRAM: checks the /proc tools of programs/bin on a process of the
 * notes. It starts PROGRAM (malloc_1: it allocates, prints, and waits in getchar()) with a
 * pipe on its standard input, waits until it is asleep in that read, then runs TOOLDIR/ps,
 * pmap, free and top on it and checks, TAP style, each output's header and layout and that
 * the numbers it shows for the process are the ones /proc/PID/status and /proc/meminfo give
 * (VSZ = VmSize, RSS = VmRSS, STAT S, the command; free's total = MemTotal). Then it
 * writes a newline to PROGRAM, which ends, and checks its exit status.
 *
 * The environment variable TOOLS_EXEC, when set, is a program every tool and PROGRAM are run
 * through (its first argument the program's path): under qemu-riscv64 the riscv64 tools run
 * through qemu-riscv64 again, since the host cannot execute them directly. The lines
 * printed do not depend on pids or sizes, so that runs compare. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../tests/blocked.h"
#include "../tests/check.h"

static const char *tooldir;

/* Starts `argv` (argv[0] a path), through TOOLS_EXEC if set, with `in` (if >= 0) as its
 * stdin and `out` (if >= 0) as its stdout. */
static pid_t start(char *const argv[], int in, int out)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (in >= 0)
        dup2(in, 0);
    if (out >= 0)
        dup2(out, 1);
    /* Nothing else of ours: the program must see the end of its input when we close it. */
    for (int fd = 3; fd < 256; fd++)
        close(fd);
    const char *wrap = getenv("TOOLS_EXEC");
    if (wrap && *wrap) {
        char *args[64];
        int n = 0;
        args[n++] = (char *)wrap;
        for (int i = 0; argv[i] && n < 63; i++)
            args[n++] = argv[i];
        args[n] = NULL;
        execv(wrap, args);
    } else {
        execv(argv[0], argv);
    }
    _exit(127);
}

/* Runs TOOLDIR/NAME with the arguments (NULL-terminated) and returns its output (static). */
static char *run_tool(const char *name, ...)
{
    static char out[262144];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tooldir, name);
    char *argv[32];
    int n = 0;
    argv[n++] = path;
    va_list ap;
    va_start(ap, name);
    for (char *a; n < 31 && (a = va_arg(ap, char *));)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    int fds[2];
    if (pipe(fds) < 0)
        return NULL;
    pid_t pid = start(argv, -1, fds[1]);
    close(fds[1]);
    size_t len = 0;
    for (ssize_t r; len + 1 < sizeof out && (r = read(fds[0], out + len, sizeof out - 1 - len)) != 0;) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += (size_t)r;
    }
    out[len] = 0;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : NULL;
}

/* The line of `text` whose field number `field` (from 0, blank-separated) is `value`. */
static const char *line_with(const char *text, int field, const char *value, char *buf, size_t cap)
{
    for (const char *l = text; l && *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (len < cap) {
            memcpy(buf, l, len);
            buf[len] = 0;
            char copy[4096];
            snprintf(copy, sizeof copy, "%s", buf);
            int i = 0;
            for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "), i++)
                if (i == field && strcmp(w, value) == 0)
                    return buf;
        }
        l = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Field `i` of `line` (blank-separated) into `out`. */
static const char *field(const char *line, int i, char *out, size_t cap)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", line);
    int k = 0;
    out[0] = 0;
    for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "), k++)
        if (k == i) {
            snprintf(out, cap, "%s", w);
            break;
        }
    return out;
}

static int fields(const char *line)
{
    int n = 0;
    for (const char *c = line; *c;) {
        while (*c == ' ')
            c++;
        if (!*c)
            break;
        n++;
        while (*c && *c != ' ')
            c++;
    }
    return n;
}

static unsigned long long status_kb(int pid, const char *key)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    const char *l = strstr(buf, key);
    return l ? strtoull(l + strlen(key), NULL, 10) : 0;
}

static unsigned long long meminfo_kb(const char *key)
{
    char buf[8192];
    int fd = open("/proc/meminfo", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    const char *l = strstr(buf, key);
    return l ? strtoull(l + strlen(key), NULL, 10) : 0;
}

/* The sizes of the areas of /proc/PID/maps, in kB. */
static unsigned long long maps_kb(int pid)
{
    char path[64], line[4200];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "r");
    unsigned long long kb = 0, a, b;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%llx-%llx", &a, &b) == 2)
            kb += (b - a) / 1024;
    fclose(f);
    return kb;
}

static int num_is(const char *text, unsigned long long want)
{
    return strtoull(text, NULL, 10) == want;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tools_check TOOLDIR PROGRAM\n");
        return 2;
    }
    tooldir = argv[1];
    int in[2], out[2];
    if (pipe(in) < 0 || pipe(out) < 0)
        return 2;
    char *prog_argv[] = {argv[2], NULL};
    pid_t child = start(prog_argv, in[0], out[1]);
    close(in[0]);
    close(out[1]);
    CHECK(child > 0, "the program starts");
    CHECK(wait_blocked(child), "it waits for input");

    char pid[16], buf[4096], w[256];
    snprintf(pid, sizeof pid, "%d", (int)child);
    unsigned long long vmsize = status_kb(child, "VmSize:");
    unsigned long long vmrss = status_kb(child, "VmRSS:");
    const char *base = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];

    char *o = run_tool("ps", "aux", NULL);
    CHECK(o != NULL, "ps aux runs");
    if (o) {
        CHECK(strncmp(o, "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n",
                      73) == 0,
              "ps aux: procps's header");
        const char *l = line_with(o, 1, pid, buf, sizeof buf);
        CHECK(l != NULL, "ps aux: a line for the process");
        if (l) {
            CHECK(fields(l) >= 11, "ps aux: 11 columns");
            CHECK(num_is(field(l, 4, w, sizeof w), vmsize), "ps aux: VSZ is VmSize");
            CHECK(num_is(field(l, 5, w, sizeof w), vmrss), "ps aux: RSS is VmRSS");
            CHECK(field(l, 7, w, sizeof w)[0] == 'S', "ps aux: STAT is S (sleeping)");
            CHECK(strstr(l + 65, base) != NULL, "ps aux: COMMAND is the program");
            /* The PID column ends at column 14 (USER 8, a blank, PID right-aligned in 5). */
            CHECK(strlen(l) > 14 && l[13] == pid[strlen(pid) - 1] && l[14] == ' ',
                  "ps aux: PID right-aligned at column 14");
        }
    }

    o = run_tool("ps", "-o", "pid,vsz,rss,stat,comm", "-p", pid, NULL);
    CHECK(o != NULL, "ps -o -p runs");
    if (o) {
        CHECK(strncmp(o, "  PID    VSZ   RSS STAT COMMAND\n", 32) == 0, "ps -o: the header");
        const char *l = line_with(o, 0, pid, buf, sizeof buf);
        CHECK(l && fields(l) == 5, "ps -o: one line of 5 fields");
        if (l) {
            CHECK(num_is(field(l, 1, w, sizeof w), vmsize), "ps -o: VSZ is VmSize");
            CHECK(num_is(field(l, 2, w, sizeof w), vmrss), "ps -o: RSS is VmRSS");
            CHECK_NOT_ON_QEMU("the process is QEMU's, comm qemu-riscv64",
                              strncmp(field(l, 4, w, sizeof w), base, 15) == 0, "ps -o: comm");
        }
    }

    o = run_tool("pmap", "-x", pid, NULL);
    CHECK(o != NULL, "pmap -x runs");
    if (o) {
        char first[64];
        snprintf(first, sizeof first, "%s:   ", pid);
        CHECK(strncmp(o, first, strlen(first)) == 0, "pmap -x: PID and command line first");
        CHECK(strstr(o, "\nAddress           Kbytes     RSS   Dirty Mode  Mapping\n") != NULL,
              "pmap -x: the header");
        const char *t = strstr(o, "\ntotal kB ");
        CHECK(t != NULL, "pmap -x: the total line");
        if (t) {
            unsigned long long kb, rss, dirty;
            CHECK(sscanf(t, "\ntotal kB %llu %llu %llu", &kb, &rss, &dirty) == 3,
                  "pmap -x: three totals");
            CHECK(kb == maps_kb(child), "pmap -x: total Kbytes is the areas' of /proc/PID/maps");
            CHECK(rss == vmrss, "pmap -x: total RSS is VmRSS");
            CHECK(dirty <= rss, "pmap -x: dirty within RSS");
        }
        CHECK(strstr(o, "  [ stack ]\n") != NULL, "pmap -x: the stack");
    }

    o = run_tool("free", NULL);
    CHECK(o != NULL, "free runs");
    if (o) {
        CHECK(strncmp(o, "               total        used        free      shared  buff/cache   available\n", 81) == 0,
              "free: procps's header");
        const char *l = line_with(o, 0, "Mem:", buf, sizeof buf);
        CHECK(l && fields(l) == 7, "free: Mem: has 6 numbers");
        if (l)
            CHECK(num_is(field(l, 1, w, sizeof w), meminfo_kb("MemTotal:")), "free: total is MemTotal");
        l = line_with(o, 0, "Swap:", buf, sizeof buf);
        CHECK(l && fields(l) == 4, "free: Swap: has 3 numbers");
        if (l)
            CHECK(num_is(field(l, 1, w, sizeof w), meminfo_kb("SwapTotal:")), "free: total is SwapTotal");
    }

    o = run_tool("top", "-b", "-n", "1", "-p", pid, NULL);
    CHECK(o != NULL, "top -b -n 1 runs");
    if (o) {
        CHECK(strncmp(o, "top - ", 6) == 0, "top: the uptime line");
        CHECK(strstr(o, "\nTasks:") && strstr(o, "\n%Cpu(s):") && strstr(o, "\nMiB Mem :") &&
                  strstr(o, "\nMiB Swap:"),
              "top: the summary lines");
        CHECK(strstr(o, "\n  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n") != NULL,
              "top: the process table's header");
        const char *l = line_with(o, 0, pid, buf, sizeof buf);
        CHECK(l && fields(l) == 12, "top: the process's line, 12 columns");
        if (l) {
            CHECK(num_is(field(l, 4, w, sizeof w), vmsize), "top: VIRT is VmSize");
            CHECK(num_is(field(l, 5, w, sizeof w), vmrss), "top: RES is VmRSS");
            CHECK(strcmp(field(l, 7, w, sizeof w), "S") == 0, "top: S is S");
            CHECK_NOT_ON_QEMU("the process is QEMU's, comm qemu-riscv64",
                              strncmp(field(l, 11, w, sizeof w), base, 7) == 0, "top: COMMAND");
        }
    }

    CHECK(write(in[1], "\n", 1) == 1, "the program gets its line");
    close(in[1]);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the program ends with status 0");
    char drain[4096];
    while (read(out[0], drain, sizeof drain) > 0)
        ;
    return done();
}
