/* The read-only file system: reads data.txt (which the test puts in the initramfs, or in
 * the working directory under Linux) with open/read/lseek/fstat/close, and checks Linux's
 * errors. One line per check and the file's contents; PASS/FAIL; exits with the failures. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fails;

static void expect(const char *what, long got, long want, int want_errno)
{
    int ok = got == want && (want != -1 || errno == want_errno);
    printf("%s: %s\n", what, ok ? "ok" : "WRONG");
    if (!ok) {
        printf("  got %ld errno %d\n", got, errno);
        fails++;
    }
}

int main(void)
{
    int fd = open("data.txt", O_RDONLY);
    expect("open data.txt", fd >= 3, 1, 0);
    struct stat st;
    expect("fstat", fstat(fd, &st), 0, 0);
    expect("a regular file", S_ISREG(st.st_mode), 1, 0);
    char buf[4096];
    long n = read(fd, buf, sizeof buf);
    expect("read it whole", n, st.st_size, 0);
    fwrite(buf, 1, n, stdout);
    expect("then end of file", read(fd, buf, sizeof buf), 0, 0);
    expect("lseek to 6", lseek(fd, 6, SEEK_SET), 6, 0);
    n = read(fd, buf, 5);
    printf("5 bytes from 6: %.*s\n", (int)n, buf);
    expect("lseek from the end", lseek(fd, -4, SEEK_END), st.st_size - 4, 0);
    expect("lseek before the start", lseek(fd, -1, SEEK_SET), -1, EINVAL);
    expect("lseek with a bad whence", lseek(fd, 0, 7), -1, EINVAL);
    expect("read to a bad buffer", read(fd, (char *)(long)fails, 4), -1, EFAULT);
    char *m = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    expect("mmap the file privately", m != MAP_FAILED, 1, 0);
    if (m != MAP_FAILED) {
        expect("it holds the file", memcmp(m, "hello world", 11) == 0, 1, 0);
        expect("past the end of the file: zeros", m[st.st_size] == 0, 1, 0);
        m[0] = 'J';
        char first;
        expect("read again from 0", pread(fd, &first, 1, 0), 1, 0);
        expect("a private write leaves the file alone", first == 'h' && m[0] == 'J', 1, 0);
        expect("munmap it", munmap(m, st.st_size), 0, 0);
    }
    errno = 0;
    expect("a shared writable map of a read-only fd",
           mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
               errno == EACCES, 1, 0);
    struct stat st2;
    expect("stat by name", stat("./data.txt", &st2), 0, 0);
    expect("same size", st2.st_size == st.st_size && st2.st_ino == st.st_ino, 1, 0);
    expect("close", close(fd), 0, 0);
    expect("close again", close(fd), -1, EBADF);
    expect("read a closed fd", read(fd, buf, 1), -1, EBADF);
    expect("open a missing file", open("no-such-file", O_RDONLY), -1, ENOENT);
    expect("stat a missing file", stat("no/such/file", &st2), -1, ENOENT);
    expect("open a file as a directory", open("data.txt", O_RDONLY | O_DIRECTORY), -1, ENOTDIR);
    expect("lseek on a closed fd", lseek(99, 0, SEEK_SET), -1, EBADF);
    puts(fails ? "FAIL" : "PASS");
    return fails;
}
