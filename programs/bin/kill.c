/* kill: sends signals, as procps-ng's kill.
 *   kill PID...            SIGTERM
 *   kill -SIG PID...       SIG by number (-9) or name (-KILL, -SIGKILL)
 *   kill -s SIG PID...     the same
 *   kill -l [SIG]          the signal names (or the name of number SIG, the number of name SIG)
 *   kill -L                a table of numbers and names
 * A negative PID (after `--` or a signal) names a process group. */
#include <signal.h>
#include "procfs.h"

static const char *const NAMES[] = {
    NULL,    "HUP",  "INT",    "QUIT", "ILL",  "TRAP", "ABRT", "BUS",  "FPE",  "KILL",  "USR1",
    "SEGV",  "USR2", "PIPE",   "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
    "TTOU",  "URG",  "XCPU",   "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR", "SYS",
};
#define NSIG_NAMED 32

/* A signal by number or name (with or without SIG, any case); -1 if none. */
static int signal_of(const char *s)
{
    if (isdigit((unsigned char)s[0])) {
        char *end;
        long v = strtol(s, &end, 10);
        return *end || v < 0 || v > 64 ? -1 : (int)v;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 1; i < NSIG_NAMED; i++)
        if (strcasecmp(s, NAMES[i]) == 0)
            return i;
    if (strcasecmp(s, "IOT") == 0)
        return 6;
    if (strcasecmp(s, "IO") == 0)
        return 29;
    if (strcasecmp(s, "CLD") == 0)
        return 17;
    if (strncasecmp(s, "RTMIN", 5) == 0)
        return 34 + atoi(s + 5 + (s[5] == '+'));
    return -1;
}

static int list(const char *which)
{
    if (which) {
        int sig = signal_of(which);
        if (sig < 0) {
            fprintf(stderr, "kill: unknown signal name %s\n", which);
            return 1;
        }
        /* A number gives its name, a name its number. The number may carry 128 (a shell's
         * status of a killed process). */
        if (isdigit((unsigned char)which[0])) {
            int n = atoi(which) & 127;
            if (n > 0 && n < NSIG_NAMED)
                printf("%s\n", NAMES[n]);
            else
                printf("%d\n", n);
        } else {
            printf("%d\n", sig);
        }
        return 0;
    }
    for (int i = 1; i < NSIG_NAMED; i++)
        printf("%s%s", NAMES[i], i == 16 || i == NSIG_NAMED - 1 ? "\n" : " ");
    return 0;
}

static int table(void)
{
    for (int i = 1; i < NSIG_NAMED; i++)
        if (i == NSIG_NAMED - 1)
            printf("%2d %-8s\n", i, NAMES[i]); /* procps pads the last one too */
        else if (i % 7 == 0)
            printf("%2d %s\n", i, NAMES[i]);
        else
            printf("%2d %-8s", i, NAMES[i]);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "Usage: kill [-s SIG | -SIG] PID... | -l [SIG] | -L\n");
    return 1;
}

int main(int argc, char **argv)
{
    int sig = SIGTERM;
    int i = 1;
    if (i < argc && (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--list") == 0))
        return list(i + 1 < argc ? argv[i + 1] : NULL);
    if (i < argc && (strcmp(argv[i], "-L") == 0 || strcmp(argv[i], "--table") == 0))
        return table();
    if (i < argc && strcmp(argv[i], "-s") == 0) {
        if (i + 1 >= argc)
            return usage();
        sig = signal_of(argv[i + 1]);
        if (sig < 0) {
            fprintf(stderr, "kill: unknown signal name %s\n", argv[i + 1]);
            return 1;
        }
        i += 2;
    } else if (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") != 0 &&
               !isdigit((unsigned char)argv[i][1]) ) {
        sig = signal_of(argv[i] + 1);
        if (sig < 0) {
            fprintf(stderr, "kill: unknown signal name %s\n", argv[i] + 1);
            return 1;
        }
        i++;
    } else if (i < argc && argv[i][0] == '-' && isdigit((unsigned char)argv[i][1])) {
        sig = signal_of(argv[i] + 1);
        if (sig < 0) {
            fprintf(stderr, "kill: unknown signal %s\n", argv[i] + 1);
            return 1;
        }
        i++;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc)
        return usage();
    int status = 0;
    for (; i < argc; i++) {
        char *end;
        long pid = strtol(argv[i], &end, 10);
        if (*end || end == argv[i]) {
            fprintf(stderr, "kill: cannot find process \"%s\"\n", argv[i]);
            status = 1;
            continue;
        }
        if (kill((pid_t)pid, sig) < 0) {
            fprintf(stderr, "kill: (%ld): %s\n", pid, strerror(errno));
            status = 1;
        }
    }
    return status;
}
