/* Page-table helpers shared by the rvmmu MMU test programs (Sv39 / Sv48).
 * Spec: priv/supervisor.adoc "Sv39: Page-Based 39-bit Virtual-Memory System",
 * "Sv48: ...", "Virtual Address Translation Process", satp.
 *
 * Tables come from a static pool in .bss (zeroed, 4 KiB aligned) and are
 * written by M-mode with physical addresses. Every address space built by
 * new_space() identity-maps GiB 0 (devices, RW, not U) and GiB 2
 * (0x8000_0000: the image, its stacks and the pool, RWX, U for a U-mode space)
 * with 1 GiB leaves, so the test code, stacks and tables stay reachable from
 * S or U mode. Test mappings use VAs at or above TEST_VA (outside both).
 * The M-mode trap hook (mmu_hook) runs untranslated. */
#ifndef RVMMU_TESTS_PAGING_H
#define RVMMU_TESTS_PAGING_H
#include "test.h"

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_RWXAD (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define PTE_PPN(pa) ((((uint64_t)(pa)) >> 12) << 10)
#define PTE_TO_PA(pte) ((((pte) >> 10) & ((1UL << 44) - 1)) << 12)

#define SATP_MODE_SV39 (8UL << 60)
#define SATP_MODE_SV48 (9UL << 60)
#define SATP_ASID_SHIFT 44

#define CAUSE_FETCH_PAGE 12
#define CAUSE_LOAD_PAGE 13
#define CAUSE_STORE_PAGE 15

#define PT_POOL_PAGES 40
#ifdef PT_POOL_PA
/* Tables at a fixed physical address (above the image), so that a snapshot of them does
 * not change when the program's code grows. */
#define pt_pool ((uint64_t (*)[512])(uintptr_t)(PT_POOL_PA))
#else
static uint64_t pt_pool[PT_POOL_PAGES][512] __attribute__((aligned(4096)));
#endif
static int pt_used;
static int pg_levels = 3;

static inline void pg_init(int levels) { pg_levels = levels; }
static inline uint64_t pg_satp_mode(void) { return pg_levels == 3 ? SATP_MODE_SV39 : SATP_MODE_SV48; }
static inline void pt_reset(void) { pt_used = 0; }

static uint64_t *pt_alloc(void)
{
    if (pt_used >= PT_POOL_PAGES)
        fail_msg("page-table pool exhausted");
    uint64_t *p = pt_pool[pt_used++];
    for (int i = 0; i < 512; i++)
        p[i] = 0;
    return p;
}

static inline unsigned vpn(uint64_t va, int level) { return (va >> (12 + 9 * level)) & 511; }

/* The PTE of `va` at `level` (0 = 4 KiB leaf level), creating the pointer
 * PTEs above it as needed. */
static uint64_t *pte_ptr(uint64_t *root, uint64_t va, int level)
{
    uint64_t *t = root;
    for (int i = pg_levels - 1; i > level; i--) {
        uint64_t *e = &t[vpn(va, i)];
        if (!(*e & PTE_V))
            *e = PTE_PPN(pt_alloc()) | PTE_V;
        t = (uint64_t *)PTE_TO_PA(*e);
    }
    return &t[vpn(va, level)];
}

/* The page table (physical address) that holds the PTE of `va` at `level`. */
static inline uint64_t table_of(uint64_t *root, uint64_t va, int level)
{
    return (uint64_t)pte_ptr(root, va, level) & ~4095UL;
}

static __attribute__((unused)) uint64_t *map(uint64_t *root, uint64_t va, uint64_t pa, int level, uint64_t flags)
{
    uint64_t *p = pte_ptr(root, va, level);
    *p = PTE_PPN(pa) | flags;
    return p;
}

static uint64_t *new_space(int user)
{
    uint64_t *root = pt_alloc();
    map(root, 0, 0, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    map(root, 0x80000000UL, 0x80000000UL, 2, PTE_RWXAD | (user ? PTE_U : 0));
    return root;
}

static inline void sfence_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }

static inline uint64_t satp_for(uint64_t *root, uint64_t asid)
{
    return pg_satp_mode() | asid << SATP_ASID_SHIFT | (uint64_t)root >> 12;
}

static inline void activate(uint64_t *root, uint64_t asid)
{
    write_csr(satp, satp_for(root, asid));
    sfence_all();
}

static inline void deactivate(void)
{
    write_csr(satp, 0);
    sfence_all();
}

/* ---- accesses run in S or U mode through run_in_mode ---- */
#define STORE_MAGIC 0x5a5a1234c3c35678UL
static __attribute__((unused)) long ld_fn(long va) { return (long)*(volatile uint64_t *)va; }
static __attribute__((unused)) long sd_fn(long va) { *(volatile uint64_t *)va = STORE_MAGIC; return 0; }
static __attribute__((unused)) long fetch_fn(long va)
{
    long r;
    __asm__ volatile("mv a0, %1\n jalr ra, 0(a0)\n mv %0, a0"
                     : "=r"(r) : "r"(va) : "a0", "ra", "memory");
    return r;
}

/* A code page: `li a0, 42; ret` at its start (position independent). */
__asm__(".section .text.codepage, \"ax\"\n"
        ".balign 4096\n"
        ".globl code_page\n"
        "code_page:\n"
        ".option push\n.option norvc\n"
        "  li a0, 42\n  ret\n"
        ".option pop\n"
        ".balign 4096\n"
        ".text\n");
extern char code_page[];

/* M-mode hook: records the trap; a fetch fault returns to ra with a0 = -1
 * (the faulting pc may be unmapped), any other exception skips the
 * instruction (its pc is identity-mapped code). */
static long mmu_hook(struct trap_frame *f)
{
    if (f->cause == CAUSE_FETCH_PAGE || f->cause == 1) {
        last_trap.count++;
        last_trap.cause = f->cause;
        last_trap.epc = f->epc;
        last_trap.tval = f->tval;
        last_trap.status = f->status;
        f->epc = f->x[1];
        f->x[10] = (uint64_t)-1;
        return 0;
    }
    return skip_hook(f);
}

static long run(long mode, long (*fn)(long), uint64_t arg)
{
    trap_record_reset();
    return run_in_mode(mode, fn, (long)arg);
}

static __attribute__((unused)) void expect_ok(int n)
{
    test_case = n;
    if (last_trap.count) {
        print("unexpected trap: cause=");
        print_hex(last_trap.cause);
        print(" tval=");
        print_hex(last_trap.tval);
        print("\n");
    }
    CHECK_EQ(n, last_trap.count, 0);
}

static __attribute__((unused)) void expect_fault(int n, uint64_t cause, uint64_t tval)
{
    CHECK_EQ(n, last_trap.count, 1);
    CHECK_EQ(n, last_trap.cause, cause);
    CHECK_EQ(n, last_trap.tval, tval);
}

/* One load, one store and one fetch at va in `mode`, each expected to fault
 * with its page-fault cause and stval = va (fetch only when `fetch`). */
static __attribute__((unused)) void expect_all_fault(int n, long mode, uint64_t va, int fetch)
{
    run(mode, ld_fn, va);
    expect_fault(n, CAUSE_LOAD_PAGE, va);
    run(mode, sd_fn, va);
    expect_fault(n, CAUSE_STORE_PAGE, va);
    if (fetch) {
        run(mode, fetch_fn, va);
        expect_fault(n, CAUSE_FETCH_PAGE, va);
    }
}
#endif
