/* System calls with fixed arguments, made on the host under the host's strace by
 * tests/tests/strace_host.rs, which renders the same calls with rvmmu's decoder (riscv64
 * constants, a fake guest memory holding the same data) and compares the lines. Raw
 * syscall() so that glibc adds and changes nothing. The order of the calls here is the
 * order of the cases in the test. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* The kernel's struct sigaction: riscv64 and loongarch64 have no sa_restorer; the other
 * 64-bit architectures (x86-64, arm64, ...) have it before the mask. */
struct ksigaction {
    uintptr_t handler;
    unsigned long flags;
#if !defined(__riscv) && !defined(__loongarch__)
    uintptr_t restorer;
#endif
    uint64_t mask;
};

int main(void) {
    int fds[2];
    char buf[100];
    /* the marker: the test reads the lines after this one */
    syscall(SYS_chdir, "/nonexistent/rvmmu-strace-begin");
    syscall(SYS_openat, AT_FDCWD, "/nonexistent/rvmmu-strace", O_RDONLY | O_CLOEXEC);
    syscall(SYS_openat, AT_FDCWD, "/nonexistent/x", O_WRONLY | O_CREAT | O_TRUNC, 0640);
    syscall(SYS_pipe2, fds, O_CLOEXEC);
    syscall(SYS_write, fds[1], "hello\tworld\n\0\33x\177\377" "0123456789012345678901234567890123", 50);
    syscall(SYS_read, fds[0], buf, 100);
    struct iovec iov[2] = {{"ab", 2}, {"cde\n", 4}};
    syscall(SYS_writev, fds[1], iov, 2);
    syscall(SYS_read, fds[0], buf, 6);
    syscall(SYS_mmap, 0, 1UL << 50, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    syscall(SYS_madvise, 0, 0, MADV_DONTNEED);
    syscall(SYS_mprotect, 0, 0, PROT_READ | PROT_WRITE);
    syscall(SYS_munmap, 0, 0);
    syscall(SYS_mremap, 0, 0, 4096, MREMAP_MAYMOVE);
    syscall(SYS_msync, 0, 0, MS_SYNC | MS_INVALIDATE);
    syscall(SYS_kill, 0x7ffffff0, SIGKILL);
    uint64_t set = (1UL << (SIGINT - 1)) | (1UL << (SIGTERM - 1));
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8);
    struct ksigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.handler = (uintptr_t)SIG_IGN;
    sa.flags = SA_RESTART | SA_SIGINFO;
    sa.mask = 1UL << (SIGUSR1 - 1);
    syscall(SYS_rt_sigaction, SIGUSR2, &sa, NULL, 8);
    struct rlimit rl = {2048, 2048};
    syscall(SYS_prlimit64, 0, RLIMIT_CORE, &rl, NULL);
    syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &rl);
    syscall(SYS_umask, 022);
    syscall(SYS_umask, 077);
    syscall(SYS_lseek, fds[0], 0, SEEK_CUR);
    syscall(SYS_fcntl, fds[1], F_GETFD);
    syscall(SYS_fcntl, fds[1], F_SETFL, O_NONBLOCK | O_APPEND);
    syscall(SYS_chdir, "/");
    syscall(SYS_getcwd, buf, sizeof buf);
    struct pollfd p = {fds[0], POLLIN, 0};
    struct timespec zero = {0, 0};
    syscall(SYS_ppoll, &p, 1, &zero, NULL, 8);
    struct timespec us = {0, 1000};
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &us, NULL);
    syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    syscall(SYS_getrandom, buf, 0, GRND_NONBLOCK);
    syscall(SYS_ioctl, fds[0], TCGETS, NULL);
    syscall(SYS_dup3, fds[1], 10, O_CLOEXEC);
    syscall(SYS_faccessat, AT_FDCWD, "/", R_OK | X_OK);
    syscall(SYS_unlinkat, AT_FDCWD, "/nonexistent/d", AT_REMOVEDIR);
    syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/d", 0755);
    int sv[2];
    syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
    syscall(SYS_getgroups, 0, NULL);
    stack_t old;
    syscall(SYS_sigaltstack, NULL, &old);
    /* a pty master: set a known termios (a terminal's cooked mode), read it back */
    int ptm = syscall(SYS_openat, AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY);
    struct termios t;
    memset(&t, 0, sizeof t);
    t.c_iflag = ICRNL | IXON;
    t.c_oflag = OPOST | ONLCR;
    t.c_cflag = B38400 | CS8 | CREAD;
    t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE;
    syscall(SYS_ioctl, ptm, TCSETS, &t);
    syscall(SYS_ioctl, ptm, TCGETS, &t);
    struct winsize ws;
    syscall(SYS_ioctl, ptm, TIOCGWINSZ, &ws);
    static uint32_t futex_word = 0;
    syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL,
            NULL, FUTEX_BITSET_MATCH_ANY);
    syscall(SYS_futex, &futex_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &futex_word, 0);
    syscall(SYS_futex, &futex_word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    /* vfork through clone3: the child only exits */
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_VM | CLONE_VFORK;
    ca.exit_signal = SIGCHLD;
    if (syscall(SYS_clone3, &ca, sizeof ca) == 0)
        syscall(SYS_exit, 0);
    char *argv[] = {"prog", "a b", "very-long-argument-0123456789012345678901234567890", NULL};
    char *envp[] = {"A=1", "B=2", NULL};
    syscall(SYS_execve, "/nonexistent/prog", argv, envp);
    syscall(SYS_exit_group, 0);
    return 0;
}
