/* C part of the rvmmu bare-metal test runtime: UART output, the exit
 * routine, unexpected-trap reports and the generic skip hooks. */
#include "test.h"

#define MMIO8(a)  (*(volatile uint8_t *)(uintptr_t)(a))
#define MMIO32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define MMIO64(a) (*(volatile uint64_t *)(uintptr_t)(a))

struct trap_record last_trap, last_strap;

void uart_putc(char c)
{
    while (!(MMIO8(UART0_BASE + UART_LSR) & UART_LSR_THRE))
        ;
    MMIO8(UART0_BASE + UART_THR) = (uint8_t)c;
}

void print(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void print_hex(uint64_t v)
{
    print("0x");
    for (int i = 60; i >= 0; i -= 4)
        uart_putc("0123456789abcdef"[(v >> i) & 0xf]);
}

void print_dec(uint64_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        uart_putc(buf[--n]);
}

/* The common exit routine: one verdict line on the UART, then tohost
 * (rvmmu stops there: 1 = pass, (n << 1) | 1 = fail n), then the test
 * finisher (QEMU virt stops there: 0x5555 pass, 0x3333 | n << 16 fail n). */
void test_exit(uint64_t code)
{
    if (code == 0) {
        print("PASS ");
        print(test_name);
        print("\n");
    } else {
        print("FAIL ");
        print(test_name);
        print(" case ");
        print_dec(code);
        print("\n");
    }
    tohost = code == 0 ? 1 : (code << 1) | 1;
    MMIO32(FINISHER_BASE) = code == 0 ? FINISHER_PASS
                                      : (uint32_t)(FINISHER_FAIL | ((code & 0xffff) << 16));
    for (;;)
        __asm__ volatile("wfi");
}

static uint64_t current_case(void)
{
    return test_case ? test_case : CASE_NONE;
}

void fail_values_msg(uint64_t got, uint64_t want, const char *what)
{
    print("case ");
    print_dec(current_case());
    if (what) {
        print(" (");
        print(what);
        print(")");
    }
    print(": got ");
    print_hex(got);
    print(", expected ");
    print_hex(want);
    print("\n");
    test_exit(current_case());
}

void fail_values(uint64_t got, uint64_t want)
{
    fail_values_msg(got, want, 0);
}

void fail_msg(const char *what)
{
    print("case ");
    print_dec(current_case());
    print(": check failed: ");
    print(what);
    print("\n");
    test_exit(current_case());
}

static void report_trap(const char *who, struct trap_frame *f)
{
    print("unexpected trap into ");
    print(who);
    print(": cause=");
    print_hex(f->cause);
    print(" epc=");
    print_hex(f->epc);
    print(" tval=");
    print_hex(f->tval);
    print("\n");
    test_exit(current_case());
}

void trap_unexpected(struct trap_frame *f) { report_trap("M", f); }
void strap_unexpected(struct trap_frame *f) { report_trap("S", f); }

unsigned insn_len_at(uint64_t pc)
{
    uint16_t lo = *(volatile uint16_t *)(uintptr_t)pc;
    return (lo & 3) == 3 ? 4 : 2;
}

uint64_t insn_bits_at(uint64_t pc)
{
    uint64_t lo = *(volatile uint16_t *)(uintptr_t)pc;
    if ((lo & 3) != 3)
        return lo;
    return lo | (uint64_t)*(volatile uint16_t *)(uintptr_t)(pc + 2) << 16;
}

static long record(struct trap_record *r, struct trap_frame *f)
{
    r->count++;
    r->cause = f->cause;
    r->epc = f->epc;
    r->tval = f->tval;
    r->status = f->status;
    if (!(f->cause & CAUSE_INTERRUPT))
        f->epc += insn_len_at(f->epc);
    return 0;
}

long skip_hook(struct trap_frame *f) { return record(&last_trap, f); }
long sskip_hook(struct trap_frame *f) { return record(&last_strap, f); }

void trap_record_reset(void)
{
    last_trap.count = last_trap.cause = last_trap.epc = last_trap.tval = last_trap.status = 0;
    last_strap.count = last_strap.cause = last_strap.epc = last_strap.tval = last_strap.status = 0;
}

uint64_t mtime_read(void) { return MMIO64(CLINT_MTIME); }
void mtimecmp_write(uint64_t v) { MMIO64(CLINT_MTIMECMP) = v; }

int skip_on_qemu(const char *reason)
{
    if (!(MMIO64(HOST_CONFIG_ADDR) & HOSTCFG_QEMU))
        return 0;
    print("SKIP case ");
    print_dec(current_case());
    print(" on QEMU: ");
    print(reason);
    print("\n");
    return 1;
}
