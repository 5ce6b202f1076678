/* sleep NUMBER[SUFFIX]...: pauses for the sum of its arguments, each a number of seconds
 * (fractions allowed) with an optional suffix s, m, h or d, as coreutils' sleep does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse(const char *arg, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || v < 0)
        return -1;
    double unit = 1;
    if (*end) {
        switch (*end) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return -1;
        }
        if (end[1])
            return -1;
    }
    *out = v * unit;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "sleep: missing operand\n");
        return 1;
    }
    double total = 0;
    for (int i = 1; i < argc; i++) {
        double v;
        if (parse(argv[i], &v) < 0) {
            fprintf(stderr, "sleep: invalid time interval '%s'\n", argv[i]);
            return 1;
        }
        total += v;
    }
    struct timespec ts;
    ts.tv_sec = (time_t)total;
    ts.tv_nsec = (long)((total - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0) {
        if (errno != EINTR) {
            perror("sleep");
            return 1;
        }
    }
    return 0;
}
