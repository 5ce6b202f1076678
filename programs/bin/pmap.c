/* pmap [-x] PID...: a process's memory areas from /proc/PID/maps, in procps-ng 4's layout:
 * "PID:   command line", then per area the address (16 hex digits), its size in kB, the mode
 * (r w x, s for shared, and - ) and the mapping (a file's base name, [ stack ], or
 * [ anon ]), and a total. With -x, also each area's RSS and dirty kB from /proc/PID/smaps
 * (Rss; Shared_Dirty + Private_Dirty), "Address Kbytes RSS Dirty Mode Mapping" and a
 * "total kB" line. */
#include "procfs.h"

struct area_counts {
    unsigned long long rss, dirty;
};

/* Reads the Rss and dirty kB of each area of /proc/PID/smaps, in order; returns how many
 * (-1 without smaps). */
static int read_smaps(int pid, struct area_counts *out, int cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4200];
    int n = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        /* An area's line starts with its range "start-end"; its fields are "Name: value". */
        char *colon = strchr(line, ':');
        char *sp = strchr(line, ' ');
        if (!colon || (sp && sp < colon)) {
            if (n + 1 < cap) {
                n++;
                out[n].rss = out[n].dirty = 0;
            }
            continue;
        }
        if (n < 0)
            continue;
        if (sscanf(line, "Rss: %llu", &v) == 1)
            out[n].rss = v;
        else if (sscanf(line, "Shared_Dirty: %llu", &v) == 1 || sscanf(line, "Private_Dirty: %llu", &v) == 1)
            out[n].dirty += v;
    }
    fclose(f);
    return n + 1;
}

static int show(int pid, int extended)
{
    char path[64];
    struct proc p;
    if (read_proc(pid, &p) < 0)
        return 1;
    printf("%d:   %s\n", pid, p.cmdline[0] ? p.cmdline : p.comm);
    static struct area_counts counts[4096];
    int ncounts = extended ? read_smaps(pid, counts, 4096) : 0;
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    if (extended)
        printf("Address           Kbytes     RSS   Dirty Mode  Mapping\n");
    char line[4200];
    unsigned long long total = 0, total_rss = 0, total_dirty = 0;
    int i = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long start, end, offset, inode;
        char perms[8], dev[16];
        int name_at = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &start, &end, perms, &offset, dev,
                   &inode, &name_at) < 6)
            continue;
        char *name = line + name_at;
        name[strcspn(name, "\n")] = 0;
        const char *shown;
        if (strcmp(name, "[stack]") == 0)
            shown = "  [ stack ]";
        else if (name[0] == '/') {
            const char *slash = strrchr(name, '/');
            shown = slash + 1;
            /* "(deleted)" files keep their name with the suffix. */
        } else
            shown = "  [ anon ]";
        char mode[6] = {perms[0], perms[1], perms[2], perms[3] == 's' ? 's' : '-', '-', 0};
        unsigned long long kb = (end - start) / 1024;
        total += kb;
        if (extended) {
            unsigned long long rss = 0, dirty = 0;
            if (i < ncounts) {
                rss = counts[i].rss;
                dirty = counts[i].dirty;
            }
            total_rss += rss;
            total_dirty += dirty;
            printf("%016llx %7llu %7llu %7llu %s %s\n", start, kb, rss, dirty, mode, shown);
        } else {
            printf("%016llx %6lluK %s %s\n", start, kb, mode, shown);
        }
        i++;
    }
    fclose(f);
    if (extended) {
        printf("---------------- ------- ------- ------- \n");
        printf("total kB %15llu %7llu %7llu\n", total, total_rss, total_dirty);
    } else {
        printf(" total %16lluK\n", total);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int extended = 0, status = 0, any = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-x") == 0 || strcmp(argv[i], "--extended") == 0) {
            extended = 1;
            continue;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "pmap: unsupported option %s\nUsage: pmap [-x] PID...\n", argv[i]);
            return 1;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        any = 1;
        status |= show(atoi(argv[i]), extended);
    }
    if (!any) {
        fprintf(stderr, "Usage: pmap [-x] PID...\n");
        return 1;
    }
    return status ? 42 : 0;
}
