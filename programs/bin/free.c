/* free [-b|-k|-m|-g|-h] [-w] [--si]: the machine's memory from /proc/meminfo, in procps-ng
 * 4's layout: a header, then Mem: (total used free shared buff/cache available) and Swap:
 * (total used free). used = total - available, as procps-ng 4 has it (see procfs.h). */
#include "procfs.h"

enum { HUMAN = 1, SI = 2, WIDE = 4 };

static int flags;
/* 0: kB (the default); 1: bytes; 2: kB; 3: MB; 4: GB (procps's exponents). */
static int exponent;

/* A value in kB as the options ask: an integer in the chosen unit, or (-h) the shortest
 * of "%.1f" or integer with a unit that fits 4 characters (5 with an `i` suffix). */
static const char *scale(unsigned long long kb, char *buf, size_t cap)
{
    static const char units[] = {'B', 'K', 'M', 'G', 'T', 'P'};
    double base = (flags & SI) ? 1000.0 : 1024.0;
    unsigned long long bytes = kb * 1024ULL;
    if (!(flags & HUMAN)) {
        if (exponent == 0)
            snprintf(buf, cap, "%llu", (unsigned long long)(bytes / (unsigned long long)base));
        else if (exponent == 1)
            snprintf(buf, cap, "%llu", bytes);
        else {
            double div = 1;
            for (int i = 1; i < exponent; i++)
                div *= base;
            snprintf(buf, cap, "%llu", (unsigned long long)((double)bytes / div));
        }
        return buf;
    }
    if (snprintf(buf, cap, "%lluB", bytes) <= 4)
        return buf;
    double div = 1;
    for (int i = 1; i < 6; i++) {
        div *= base;
        double v = (double)bytes / div;
        if (flags & SI) {
            if (snprintf(buf, cap, "%.1f%c", v, units[i]) <= 4)
                return buf;
            if (snprintf(buf, cap, "%ld%c", (long)v, units[i]) <= 4)
                return buf;
        } else {
            if (snprintf(buf, cap, "%.1f%ci", v, units[i]) <= 5)
                return buf;
            if (snprintf(buf, cap, "%ld%ci", (long)v, units[i]) <= 5)
                return buf;
        }
    }
    return buf;
}

/* The first column follows the 9-column label directly, the others after a space. */
static int first_column;

static void column(unsigned long long kb)
{
    char buf[64];
    printf(first_column ? "%11s" : " %11s", scale(kb, buf, sizeof buf));
    first_column = 0;
}

static int usage(void)
{
    fprintf(stderr, "Usage: free [-b|-k|-m|-g|-h] [-w] [--si]\n");
    return 1;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--si") == 0) {
            flags |= SI;
            continue;
        }
        if (strcmp(a, "--human") == 0 || strcmp(a, "--wide") == 0) {
            flags |= a[2] == 'h' ? HUMAN : WIDE;
            continue;
        }
        if (a[0] != '-' || a[1] == 0)
            return usage();
        for (const char *c = a + 1; *c; c++) {
            switch (*c) {
            case 'b': exponent = 1; break;
            case 'k': exponent = 2; break;
            case 'm': exponent = 3; break;
            case 'g': exponent = 4; break;
            case 'h': flags |= HUMAN; break;
            case 'w': flags |= WIDE; break;
            default: return usage();
            }
        }
    }
    struct meminfo m;
    if (read_meminfo(&m) < 0) {
        perror("free: /proc/meminfo");
        return 1;
    }
    if (flags & WIDE)
        printf("               total        used        free      shared     buffers       cache   available\n");
    else
        printf("               total        used        free      shared  buff/cache   available\n");
    printf("%-9s", "Mem:");
    first_column = 1;
    column(m.total);
    column(mem_used(&m));
    column(m.free);
    column(m.shmem);
    if (flags & WIDE) {
        column(m.buffers);
        column(mem_cache(&m));
    } else {
        column(m.buffers + mem_cache(&m));
    }
    column(mem_available(&m));
    printf("\n%-9s", "Swap:");
    first_column = 1;
    column(m.swap_total);
    column(m.swap_total - m.swap_free);
    column(m.swap_free);
    printf("\n");
    return 0;
}
