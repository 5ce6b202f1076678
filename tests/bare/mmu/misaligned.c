/* misaligned: misaligned scalar loads and stores (integer, signed and
 * unsigned, FP, compressed forms), in M-mode and under Sv39 in S- and U-mode,
 * page-crossing ones included.
 *
 * The spec (unpriv "Load and Store Instructions"; priv/machine.adoc "Machine
 * Trap Value Register") lets the execution environment either perform a
 * misaligned access or raise an address-misaligned exception. rvmmu performs
 * them by default (as QEMU does) and raises the exceptions with --misaligned
 * trap; the harness then sets HOSTCFG_MA_TRAP in the host configuration word,
 * and every case checks the exception (cause 4/6, tval = the address, rd and
 * memory unchanged) instead of the result.
 *
 * Performed, a page-crossing access is two accesses, one per page: a fault
 * on the second page reports that page's fault with tval = the address of
 * the first byte on it ("the virtual address of the portion of the access
 * that caused the fault"), and a store writes nothing at all (cases 62-64).
 *
 * Case n runs in S-mode, n + 100 the same in U-mode. */
#include "paging.h"

#define LEVELS 3
#define TEST_VA 0x100000000UL
#define SENTINEL 0x0badc0de0badc0deUL
#define CAUSE_MA_LOAD 4
#define CAUSE_MA_STORE 6

static int ma_trap;
static uint8_t buf[32] __attribute__((aligned(16)));
static uint8_t frames[2][4096] __attribute__((aligned(4096)));
#define PAGE_A ((uint64_t)frames[1]) /* behind TEST_VA: not the frame after B */
#define PAGE_B ((uint64_t)frames[0]) /* behind TEST_VA + 4096 */

/* ---- loads: rd preset to SENTINEL, so a skipped load leaves it visible ---- */
#define LOAD_FN(name, insn) \
    static long name(long va) { long r = SENTINEL; \
        __asm__ volatile(insn " %0, 0(%1)" : "+r"(r) : "r"(va) : "memory"); return r; }
LOAD_FN(lh_fn, "lh")
LOAD_FN(lhu_fn, "lhu")
LOAD_FN(lw_fn, "lw")
LOAD_FN(lwu_fn, "lwu")
LOAD_FN(ld_ma_fn, "ld")

/* compressed forms: c.lw/c.ld need x8-x15 */
#define CLOAD_FN(name, insn) \
    static long name(long va) { register long a0 __asm__("a0") = va; \
        register long a1 __asm__("a1") = SENTINEL; \
        __asm__ volatile(insn " a1, 0(a0)" : "+r"(a1) : "r"(a0) : "memory"); return a1; }
CLOAD_FN(c_lw_fn, "c.lw")
CLOAD_FN(c_ld_fn, "c.ld")

static long flw_fn(long va)
{
    long r = SENTINEL;
    __asm__ volatile("fmv.d.x ft0, %0\n flw ft0, 0(%1)\n fmv.x.d %0, ft0"
                     : "+r"(r) : "r"(va) : "ft0", "memory");
    return r;
}
static long fld_fn(long va)
{
    long r = SENTINEL;
    __asm__ volatile("fmv.d.x ft0, %0\n fld ft0, 0(%1)\n fmv.x.d %0, ft0"
                     : "+r"(r) : "r"(va) : "ft0", "memory");
    return r;
}
static long c_fld_fn(long va)
{
    register long a0 __asm__("a0") = va;
    long r = SENTINEL;
    __asm__ volatile("fmv.d.x fa0, %0\n c.fld fa0, 0(a0)\n fmv.x.d %0, fa0"
                     : "+r"(r) : "r"(a0) : "fa0", "memory");
    return r;
}

/* kind: 0 zero-extended, 1 sign-extended, 2 NaN-boxed single, 3 raw 64 bits */
struct load { const char *name; long (*fn)(long); int width, kind; };
static const struct load loads[] = {
    {"lh", lh_fn, 2, 1},     {"lhu", lhu_fn, 2, 0}, {"lw", lw_fn, 4, 1},
    {"lwu", lwu_fn, 4, 0},   {"ld", ld_ma_fn, 8, 3}, {"c.lw", c_lw_fn, 4, 1},
    {"c.ld", c_ld_fn, 8, 3}, {"flw", flw_fn, 4, 2},  {"fld", fld_fn, 8, 3},
    {"c.fld", c_fld_fn, 8, 3},
};
#define NLOADS (sizeof loads / sizeof loads[0])

/* What a load of `width` bytes at p returns (little-endian), as `kind` says. */
static uint64_t load_value(const volatile uint8_t *p, int width, int kind)
{
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; i--)
        v = v << 8 | p[i];
    if (kind == 1 && width < 8) {
        int sh = 64 - 8 * width;
        v = (uint64_t)((int64_t)(v << sh) >> sh);
    }
    if (kind == 2)
        v |= 0xffffffff00000000UL;
    return v;
}

/* ---- stores of the low `width` bytes of STORE_MAGIC ---- */
#define STORE_FN(name, insn) \
    static long name(long va) { \
        __asm__ volatile(insn " %1, 0(%0)" :: "r"(va), "r"(STORE_MAGIC) : "memory"); return 0; }
STORE_FN(sh_fn, "sh")
STORE_FN(sw_fn, "sw")
STORE_FN(sd_ma_fn, "sd")
#define CSTORE_FN(name, insn) \
    static long name(long va) { register long a0 __asm__("a0") = va; \
        register long a1 __asm__("a1") = STORE_MAGIC; \
        __asm__ volatile(insn " a1, 0(a0)" :: "r"(a0), "r"(a1) : "memory"); return 0; }
CSTORE_FN(c_sw_fn, "c.sw")
CSTORE_FN(c_sd_fn, "c.sd")
static long fsw_fn(long va)
{
    __asm__ volatile("fmv.w.x ft0, %1\n fsw ft0, 0(%0)" :: "r"(va), "r"(STORE_MAGIC) : "ft0", "memory");
    return 0;
}
static long fsd_fn(long va)
{
    __asm__ volatile("fmv.d.x ft0, %1\n fsd ft0, 0(%0)" :: "r"(va), "r"(STORE_MAGIC) : "ft0", "memory");
    return 0;
}
static long c_fsd_fn(long va)
{
    register long a0 __asm__("a0") = va;
    __asm__ volatile("fmv.d.x fa0, %1\n c.fsd fa0, 0(a0)" :: "r"(a0), "r"(STORE_MAGIC) : "fa0", "memory");
    return 0;
}

struct store { const char *name; long (*fn)(long); int width; };
static const struct store stores[] = {
    {"sh", sh_fn, 2},   {"sw", sw_fn, 4},   {"sd", sd_ma_fn, 8}, {"c.sw", c_sw_fn, 4},
    {"c.sd", c_sd_fn, 8}, {"fsw", fsw_fn, 4}, {"fsd", fsd_fn, 8}, {"c.fsd", c_fsd_fn, 8},
};
#define NSTORES (sizeof stores / sizeof stores[0])

static uint8_t pattern(unsigned i) { return (uint8_t)(0x81 + 37 * i); }

static void fill(volatile uint8_t *p, unsigned n, unsigned seed)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = pattern(i + seed);
}

static void expect_trap(int n, uint64_t cause, uint64_t tval, const char *what)
{
    if (last_trap.count != 1 || last_trap.cause != cause || last_trap.tval != tval) {
        print(what);
        print(": cause ");
        print_hex(last_trap.cause);
        print(" tval ");
        print_hex(last_trap.tval);
        print("\n");
    }
    CHECK_EQ(n, last_trap.count, 1);
    CHECK_EQ(n, last_trap.cause, cause);
    CHECK_EQ(n, last_trap.tval, tval);
}

static void expect_none(int n, const char *what)
{
    if (last_trap.count) {
        print(what);
        print(": unexpected trap, cause ");
        print_hex(last_trap.cause);
        print(" tval ");
        print_hex(last_trap.tval);
        print("\n");
    }
    CHECK_EQ(n, last_trap.count, 0);
}

/* Case 10 + i: load i at every misaligned offset 1..7 of buf, in M-mode. */
static void m_loads(void)
{
    for (unsigned i = 0; i < NLOADS; i++) {
        const struct load *l = &loads[i];
        int n = 10 + i;
        for (unsigned off = 1; off < 8; off++) {
            if (off % l->width == 0)
                continue;
            fill(buf, sizeof buf, off);
            trap_record_reset();
            uint64_t got = l->fn((long)(buf + off));
            if (ma_trap) {
                expect_trap(n, CAUSE_MA_LOAD, (uint64_t)(buf + off), l->name);
                CHECK_EQ(n, got, SENTINEL);
            } else {
                expect_none(n, l->name);
                CHECK_EQ(n, got, load_value(buf + off, l->width, l->kind));
            }
        }
    }
}

/* Checks that p[0..n) holds the pattern from `seed`, except the `width` bytes at
 * `at` (when width != 0), which hold STORE_MAGIC's low bytes. */
static void check_bytes(int t, const volatile uint8_t *p, unsigned n, unsigned seed, unsigned at,
                        unsigned width)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t want = pattern(i + seed);
        if (width && i >= at && i < at + width)
            want = (uint8_t)(STORE_MAGIC >> (8 * (i - at)));
        CHECK_EQ(t, p[i], want);
    }
}

/* Case 30 + i: store i at every misaligned offset of buf, in M-mode. */
static void m_stores(void)
{
    for (unsigned i = 0; i < NSTORES; i++) {
        const struct store *s = &stores[i];
        int n = 30 + i;
        for (unsigned off = 1; off < 8; off++) {
            if (off % s->width == 0)
                continue;
            fill(buf, sizeof buf, off);
            trap_record_reset();
            s->fn((long)(buf + off));
            if (ma_trap) {
                expect_trap(n, CAUSE_MA_STORE, (uint64_t)(buf + off), s->name);
                check_bytes(n, buf, sizeof buf, off, 0, 0);
            } else {
                expect_none(n, s->name);
                check_bytes(n, buf, sizeof buf, off, off, s->width);
            }
        }
    }
}

/* The bytes at va..va+width as seen through PAGE_A/PAGE_B (va in the two test pages). */
static volatile uint8_t *host_byte(uint64_t va)
{
    uint64_t off = va - TEST_VA;
    return (volatile uint8_t *)(off < 4096 ? PAGE_A + off : PAGE_B + off - 4096);
}

static uint64_t pair_value(uint64_t va, int width, int kind)
{
    uint8_t b[8];
    for (int i = 0; i < width; i++)
        b[i] = *host_byte(va + i);
    return load_value(b, width, kind);
}

static void fill_pages(void)
{
    fill((volatile uint8_t *)PAGE_A, 4096, 0);
    fill((volatile uint8_t *)PAGE_B, 4096, 4096);
}

/* Both pages still hold fill_pages()'s pattern, except `width` bytes at va. */
static void check_pages(int n, uint64_t va, unsigned width)
{
    for (uint64_t a = TEST_VA + 4096 - 16; a < TEST_VA + 4096 + 16; a++) {
        uint64_t off = a - TEST_VA;
        uint8_t want = pattern(off);
        if (width && a >= va && a < va + width)
            want = (uint8_t)(STORE_MAGIC >> (8 * (a - va)));
        CHECK_EQ(n, *host_byte(a), want);
    }
}

static uint64_t *pte_a, *pte_b;

static void set_pages(uint64_t flags_a, uint64_t flags_b)
{
    *pte_a = flags_a ? PTE_PPN(PAGE_A) | flags_a : 0;
    *pte_b = flags_b ? PTE_PPN(PAGE_B) | flags_b : 0;
    sfence_all();
}

static void paged_cases(long mode)
{
    int u = mode == PRV_U;
    int k = u ? 100 : 0;
    uint64_t ufl = u ? PTE_U : 0;
    uint64_t rw = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | ufl;
    uint64_t ro = PTE_V | PTE_R | PTE_A | ufl;
    pt_reset();
    uint64_t *root = new_space(u);
    pte_a = map(root, TEST_VA, PAGE_A, 0, 0);
    pte_b = map(root, TEST_VA + 4096, PAGE_B, 0, 0);
    activate(root, 0);

    /* 60: within a page, and across the page boundary at every split */
    set_pages(rw, rw);
    for (unsigned i = 0; i < NLOADS; i++) {
        const struct load *l = &loads[i];
        uint64_t vas[8] = {TEST_VA + 4096 - 64 + 3};
        unsigned nva = 1;
        for (int s = 1; s < l->width; s++)
            vas[nva++] = TEST_VA + 4096 - s;
        for (unsigned j = 0; j < nva; j++) {
            fill_pages();
            uint64_t got = run(mode, l->fn, vas[j]);
            if (ma_trap) {
                expect_trap(60 + k, CAUSE_MA_LOAD, vas[j], l->name);
                CHECK_EQ(60 + k, got, SENTINEL);
            } else {
                expect_none(60 + k, l->name);
                CHECK_EQ(60 + k, got, pair_value(vas[j], l->width, l->kind));
            }
        }
    }
    /* 61: stores, the same places */
    for (unsigned i = 0; i < NSTORES; i++) {
        const struct store *s = &stores[i];
        for (int sp = 1; sp < s->width; sp++) {
            uint64_t va = TEST_VA + 4096 - sp;
            fill_pages();
            run(mode, s->fn, va);
            if (ma_trap) {
                expect_trap(61 + k, CAUSE_MA_STORE, va, s->name);
                check_pages(61 + k, va, 0);
            } else {
                expect_none(61 + k, s->name);
                check_pages(61 + k, va, s->width);
            }
        }
    }
    /* 62: the second page unmapped: its page fault, tval = its first byte; the
     * store writes nothing on the first page */
    set_pages(rw, 0);
    uint64_t va = TEST_VA + 4096 - 3;
    fill_pages();
    uint64_t got = run(mode, ld_ma_fn, va);
    if (ma_trap) {
        expect_trap(62 + k, CAUSE_MA_LOAD, va, "ld");
    } else {
        expect_trap(62 + k, CAUSE_LOAD_PAGE, TEST_VA + 4096, "ld");
    }
    CHECK_EQ(62 + k, got, SENTINEL);
    for (unsigned i = 0; i < NSTORES; i++) {
        const struct store *s = &stores[i];
        fill_pages();
        uint64_t sva = TEST_VA + 4096 - s->width / 2;
        run(mode, s->fn, sva);
        if (ma_trap)
            expect_trap(62 + k, CAUSE_MA_STORE, sva, s->name);
        else
            expect_trap(62 + k, CAUSE_STORE_PAGE, TEST_VA + 4096, s->name);
        check_pages(62 + k, sva, 0);
    }
    /* 63: the first page unmapped, the second mapped: tval = the address */
    set_pages(0, rw);
    fill_pages();
    got = run(mode, lw_fn, TEST_VA + 4096 - 2);
    expect_trap(63 + k, ma_trap ? CAUSE_MA_LOAD : CAUSE_LOAD_PAGE, TEST_VA + 4096 - 2, "lw");
    CHECK_EQ(63 + k, got, SENTINEL);
    run(mode, sw_fn, TEST_VA + 4096 - 2);
    expect_trap(63 + k, ma_trap ? CAUSE_MA_STORE : CAUSE_STORE_PAGE, TEST_VA + 4096 - 2, "sw");
    check_pages(63 + k, 0, 0);
    /* 64: the second page read-only: loads across work, a store faults on the
     * second page and leaves the first untouched */
    set_pages(rw, ro);
    fill_pages();
    va = TEST_VA + 4096 - 5;
    got = run(mode, ld_ma_fn, va);
    if (ma_trap) {
        expect_trap(64 + k, CAUSE_MA_LOAD, va, "ld");
    } else {
        expect_none(64 + k, "ld");
        CHECK_EQ(64 + k, got, pair_value(va, 8, 3));
    }
    run(mode, sd_ma_fn, va);
    expect_trap(64 + k, ma_trap ? CAUSE_MA_STORE : CAUSE_STORE_PAGE,
                ma_trap ? va : TEST_VA + 4096, "sd");
    check_pages(64 + k, va, 0);
    deactivate();
}

int main(void)
{
    ma_trap = (*(volatile uint64_t *)HOST_CONFIG_ADDR & HOSTCFG_MA_TRAP) != 0;
    print(ma_trap ? "note: expecting misaligned accesses to trap\n"
                  : "note: expecting misaligned accesses to be performed\n");
    trap_hook = mmu_hook;
    pg_init(LEVELS);
    m_loads();
    m_stores();
    paged_cases(PRV_S);
    paged_cases(PRV_U);
    return 0;
}
