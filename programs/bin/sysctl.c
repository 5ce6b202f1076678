/* sysctl: kernel parameters under /proc/sys, as procps-ng's sysctl shows them.
 *   sysctl NAME...        "NAME = VALUE" (NAME with dots or slashes: vm.swappiness)
 *   sysctl -n NAME...     the value only
 *   sysctl -w NAME=VALUE  writes it, then shows "NAME = VALUE"
 *   sysctl NAME=VALUE     the same (procps accepts it without -w)
 *   sysctl -a             every parameter, walking /proc/sys in directory order
 * -e ignores unknown names; -q does not show what -w wrote. */
#include <sys/stat.h>
#include "procfs.h"

static int names_only, values_only, quiet, ignore_unknown;

/* NAME (dots) to the path under /proc/sys (slashes), and back. */
static void to_path(const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "/proc/sys/%s", name);
    for (char *c = path + 10; *c; c++)
        if (*c == '.')
            *c = '/';
        else if (*c == '/')
            *c = '.';
}

static void to_name(const char *path, char *name, size_t cap)
{
    size_t n = 0;
    for (const char *c = path + 10; *c && n + 1 < cap; c++)
        name[n++] = *c == '/' ? '.' : *c == '.' ? '/' : *c;
    name[n] = 0;
}

static int show(const char *path, int from_all)
{
    char name[512], value[65536];
    to_name(path, name, sizeof name);
    long len = read_text(path, value, sizeof value);
    if (len < 0) {
        if (from_all)
            return 0; /* unreadable entries are left out of -a */
        if (errno == ENOENT) {
            if (!ignore_unknown)
                fprintf(stderr, "sysctl: cannot stat %s: No such file or directory\n", path);
            return ignore_unknown ? 0 : 1;
        }
        fprintf(stderr, "sysctl: permission denied on key '%s'\n", name);
        return 1;
    }
    while (len > 0 && value[len - 1] == '\n')
        value[--len] = 0;
    if (names_only)
        printf("%s\n", name);
    else if (values_only)
        printf("%s\n", value);
    else
        printf("%s = %s\n", name, value);
    return 0;
}

static int walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 1;
    int status = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            status |= walk(path);
        else if (strcmp(e->d_name, "stat_refresh") == 0 ||
                 strcmp(e->d_name, "base_reachable_time") == 0 ||
                 strcmp(e->d_name, "retrans_time") == 0)
            continue; /* procps leaves these (deprecated or write-only) out of -a */
        else if (st.st_mode & 0444)
            status |= show(path, 1);
    }
    closedir(d);
    return status;
}

static int write_value(const char *arg)
{
    char name[512], path[600];
    const char *eq = strchr(arg, '=');
    size_t nlen = (size_t)(eq - arg);
    if (nlen >= sizeof name)
        nlen = sizeof name - 1;
    memcpy(name, arg, nlen);
    name[nlen] = 0;
    /* Blanks around the name are dropped (procps). */
    while (nlen > 0 && name[nlen - 1] == ' ')
        name[--nlen] = 0;
    const char *value = eq + 1;
    while (*value == ' ')
        value++;
    to_path(name, path, sizeof path);
    int fd = open(path, O_WRONLY);
    if (fd < 0) {
        if (errno == ENOENT) {
            if (ignore_unknown)
                return 0;
            fprintf(stderr, "sysctl: cannot stat %s: No such file or directory\n", path);
        } else {
            fprintf(stderr, "sysctl: permission denied on key \"%s\"\n", name);
        }
        return 1;
    }
    ssize_t n = write(fd, value, strlen(value));
    int err = errno;
    close(fd);
    if (n < 0) {
        fprintf(stderr, "sysctl: setting key \"%s\": %s\n", name, strerror(err));
        return 1;
    }
    if (!quiet) {
        char shown[512];
        to_name(path, shown, sizeof shown);
        if (values_only)
            printf("%s\n", value);
        else
            printf("%s = %s\n", shown, value);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int all = 0, write_mode = 0, status = 0, any = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0)
            continue;
        if (strcmp(a, "--all") == 0) {
            all = 1;
            continue;
        }
        if (strcmp(a, "--write") == 0) {
            write_mode = 1;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            switch (*c) {
            case 'a':
            case 'A':
            case 'X': all = 1; break;
            case 'w': write_mode = 1; break;
            case 'n': values_only = 1; break;
            case 'N': names_only = 1; break;
            case 'q': quiet = 1; break;
            case 'e': ignore_unknown = 1; break;
            default:
                fprintf(stderr, "sysctl: unsupported option -%c\n"
                                "Usage: sysctl [-n] [-e] [-q] [-w] NAME[=VALUE]... | -a\n", *c);
                return 1;
            }
        }
    }
    if (all)
        return walk("/proc/sys");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1])
            continue;
        any = 1;
        if (strchr(a, '=')) {
            status |= write_value(a);
        } else if (write_mode) {
            fprintf(stderr, "sysctl: \"%s\" must be of the form name=value\n", a);
            status = 1;
        } else {
            char path[600];
            to_path(a, path, sizeof path);
            status |= show(path, 0);
        }
    }
    if (!any) {
        fprintf(stderr, "Usage: sysctl [-n] [-e] [-q] [-w] NAME[=VALUE]... | -a\n");
        return 1;
    }
    return status ? 1 : 0;
}
