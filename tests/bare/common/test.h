/* C-side runtime interface of the rvmmu bare-metal tests (see crt0.S, runtime.c). */
#ifndef RVMMU_TESTS_TEST_H
#define RVMMU_TESTS_TEST_H
#include <stdint.h>
#include "encoding.h"

/* Saved state of a trap, built by trap_entry (M) / strap_entry (S).
 * cause/epc/tval/status are m* or s* CSRs depending on the handler.
 * A hook may change epc and status; they are written back before xRET. */
struct trap_frame {
    uint64_t x[32];
    uint64_t cause, epc, tval, status;
};
typedef long (*trap_hook_t)(struct trap_frame *);

extern volatile uint64_t test_case;
extern volatile trap_hook_t trap_hook;  /* M-mode hook, 0 = none */
extern volatile trap_hook_t strap_hook; /* S-mode hook, 0 = none */
extern volatile uint64_t boot_hartid, boot_dtb;
extern volatile uint64_t tohost;
extern const char test_name[];
extern void trap_entry(void);
extern void strap_entry(void);

void test_exit(uint64_t code) __attribute__((noreturn));
void fail_values(uint64_t got, uint64_t want) __attribute__((noreturn));
void fail_msg(const char *what) __attribute__((noreturn));
void fail_values_msg(uint64_t got, uint64_t want, const char *what) __attribute__((noreturn));

void uart_putc(char c);
void print(const char *s);
void print_hex(uint64_t v);
void print_dec(uint64_t v);

/* Runs fn(arg) in U-mode (PRV_U) or S-mode (PRV_S) and returns its result in M-mode. */
long run_in_mode(long mode, long (*fn)(long), long arg);

/* A ready-made hook: records the trap in last_trap and, for exceptions,
 * resumes after the trapping instruction (epc += its length). Interrupts
 * are recorded and resumed at epc; the test must clear their source. */
struct trap_record {
    volatile uint64_t count, cause, epc, tval, status;
};
extern struct trap_record last_trap, last_strap;
long skip_hook(struct trap_frame *f);   /* for trap_hook */
long sskip_hook(struct trap_frame *f);  /* for strap_hook */
void trap_record_reset(void);
unsigned insn_len_at(uint64_t pc);
/* The instruction bits at pc (16 or 32 bits; read as halfwords, so a 32-bit
 * instruction at a 2-byte aligned address is fine). */
uint64_t insn_bits_at(uint64_t pc);

/* Known spec-vs-QEMU difference in the current case: returns 1 (after
 * printing "SKIP case <n> on QEMU: <reason>") when the QEMU harness flagged
 * the run via HOST_CONFIG_ADDR, else 0. */
int skip_on_qemu(const char *reason);

uint64_t mtime_read(void);
void mtimecmp_write(uint64_t v);

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

#define read_csr(reg) ({ uint64_t __v; \
    __asm__ volatile("csrr %0, " STRINGIFY(reg) : "=r"(__v) :: "memory"); __v; })
#define write_csr(reg, val) ({ \
    __asm__ volatile("csrw " STRINGIFY(reg) ", %0" :: "rK"((uint64_t)(val)) : "memory"); })
#define swap_csr(reg, val) ({ uint64_t __v; \
    __asm__ volatile("csrrw %0, " STRINGIFY(reg) ", %1" : "=r"(__v) : "rK"((uint64_t)(val)) : "memory"); __v; })
#define set_csr(reg, bits) ({ uint64_t __v; \
    __asm__ volatile("csrrs %0, " STRINGIFY(reg) ", %1" : "=r"(__v) : "rK"((uint64_t)(bits)) : "memory"); __v; })
#define clear_csr(reg, bits) ({ uint64_t __v; \
    __asm__ volatile("csrrc %0, " STRINGIFY(reg) ", %1" : "=r"(__v) : "rK"((uint64_t)(bits)) : "memory"); __v; })

/* Case bookkeeping. Every check belongs to a numbered case; a failure
 * reports "FAIL <test> case <n>" and exits with code n. */
#define CASE(n) (test_case = (n))
#define CHECK(n, cond) do { test_case = (n); \
    if (!(cond)) fail_msg(#cond); } while (0)
#define CHECK_EQ(n, got, want) do { test_case = (n); \
    uint64_t __g = (uint64_t)(got), __w = (uint64_t)(want); \
    if (__g != __w) fail_values_msg(__g, __w, #got); } while (0)

#endif
