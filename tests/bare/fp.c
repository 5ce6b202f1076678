/* fp: the F and D extensions: rounding, exception flags, NaN handling,
 * conversions, comparisons, classification, fused multiply-add, and the
 * mstatus.FS state machine.
 * Spec: unpriv/f-st-ext.adoc ("Floating-Point Control and Status Register":
 * rounding modes, fflags; "NaN Generation and Propagation": canonical NaN
 * 0x7fc00000; "Subnormal Arithmetic": tininess detected after rounding;
 * "Single-Precision ... Conversion and Move" with the table of fcvt results
 * for out-of-range inputs and NaN; FMIN/FMAX; "Compare": FEQ quiet, FLT/FLE
 * signaling; FCLASS bit table), unpriv/d-st-ext.adoc ("NaN Boxing of Narrower
 * Values"), priv/machine.adoc ("Extension Context Status in mstatus").
 * Expected values are derived from IEEE 754 arithmetic by hand (see the
 * comments) and match QEMU's softfloat.
 *
 * Operands and results travel as raw bit patterns (fmv.d.x / fmv.x.d); a
 * single-precision value is written NaN-boxed (S(x)) and every single result
 * is compared as a 64-bit pattern, so each check also verifies the boxing. */
#include "test.h"

#define NX 1
#define UF 2
#define OF 4
#define DZ 8
#define NV 16

#define S(x) (0xffffffff00000000UL | (uint32_t)(x))
/* single-precision constants */
#define ONE   0x3f800000u
#define TWO   0x40000000u
#define THREE 0x40400000u
#define HALF  0x3f000000u
#define MONE  0xbf800000u
#define PINF  0x7f800000u
#define NINF  0xff800000u
#define CNAN  0x7fc00000u   /* canonical NaN */
#define SNAN  0x7f800001u
#define QNANP 0x7fc12345u   /* quiet NaN with a payload */
#define MAXF  0x7f7fffffu
#define MINN  0x00800000u   /* smallest normal */
#define MINS  0x00000001u   /* smallest subnormal */
#define PZ    0x00000000u
#define NZ    0x80000000u
/* double-precision constants */
#define D_ONE  0x3ff0000000000000UL
#define D_MONE 0xbff0000000000000UL
#define D_THREE 0x4008000000000000UL
#define D_ZERO 0x0000000000000000UL
#define D_INF  0x7ff0000000000000UL
#define D_CNAN 0x7ff8000000000000UL
#define D_SNAN 0x7ff0000000000001UL
#define D_MAX  0x7fefffffffffffffUL

struct fres { uint64_t v, fl; };

/* fp := op(fp, fp) */
#define FOP2(insn, a, b) ({ uint64_t __r, __f; __asm__ volatile( \
    "fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n csrw fflags, zero\n" insn "\n" \
    "fmv.x.d %0, ft2\n csrr %1, fflags" : "=r"(__r), "=r"(__f) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) \
    : "ft0", "ft1", "ft2", "memory"); (struct fres){__r, __f}; })
/* fp := op(fp) */
#define FOP1(insn, a) FOP2(insn, a, 0)
/* fp := op(fp, fp, fp) */
#define FOP3(insn, a, b, c) ({ uint64_t __r, __f; __asm__ volatile( \
    "fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fmv.d.x ft3, %4\n csrw fflags, zero\n" insn "\n" \
    "fmv.x.d %0, ft2\n csrr %1, fflags" : "=r"(__r), "=r"(__f) \
    : "r"((uint64_t)(a)), "r"((uint64_t)(b)), "r"((uint64_t)(c)) \
    : "ft0", "ft1", "ft2", "ft3", "memory"); (struct fres){__r, __f}; })
/* int (t0) := op(fp ft0, fp ft1) */
#define FOPX(insn, a, b) ({ uint64_t __r, __f; __asm__ volatile( \
    "fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n csrw fflags, zero\n" insn "\n" \
    "mv %0, t0\n csrr %1, fflags" : "=r"(__r), "=r"(__f) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) \
    : "t0", "ft0", "ft1", "memory"); (struct fres){__r, __f}; })
/* fp ft2 := op(int t1) */
#define FOPI(insn, a) ({ uint64_t __r, __f; __asm__ volatile( \
    "mv t1, %2\n csrw fflags, zero\n" insn "\n" \
    "fmv.x.d %0, ft2\n csrr %1, fflags" : "=r"(__r), "=r"(__f) : "r"((uint64_t)(a)) \
    : "t1", "ft2", "memory"); (struct fres){__r, __f}; })

#define CHECK_F(n, res, want, flags) do { struct fres __x = (res); \
    CHECK_EQ(n, __x.v, want); CHECK_EQ(n, __x.fl, flags); } while (0)

static void fs_set(uint64_t fs)
{
    clear_csr(mstatus, MSTATUS_FS);
    set_csr(mstatus, fs);
}

static void rounding(void)
{
    /* 1/3 = 0x3eaaaaaa + 2/3 ulp: RNE/RUP/RMM round up, RTZ/RDN truncate */
    CHECK_F(1, FOP2("fdiv.s ft2, ft0, ft1, rne", S(ONE), S(THREE)), S(0x3eaaaaab), NX);
    CHECK_F(2, FOP2("fdiv.s ft2, ft0, ft1, rtz", S(ONE), S(THREE)), S(0x3eaaaaaa), NX);
    CHECK_F(3, FOP2("fdiv.s ft2, ft0, ft1, rdn", S(ONE), S(THREE)), S(0x3eaaaaaa), NX);
    CHECK_F(4, FOP2("fdiv.s ft2, ft0, ft1, rup", S(ONE), S(THREE)), S(0x3eaaaaab), NX);
    CHECK_F(5, FOP2("fdiv.s ft2, ft0, ft1, rmm", S(ONE), S(THREE)), S(0x3eaaaaab), NX);
    /* -1/3: directed modes swap */
    CHECK_F(6, FOP2("fdiv.s ft2, ft0, ft1, rne", S(MONE), S(THREE)), S(0xbeaaaaab), NX);
    CHECK_F(7, FOP2("fdiv.s ft2, ft0, ft1, rtz", S(MONE), S(THREE)), S(0xbeaaaaaa), NX);
    CHECK_F(8, FOP2("fdiv.s ft2, ft0, ft1, rdn", S(MONE), S(THREE)), S(0xbeaaaaab), NX);
    CHECK_F(9, FOP2("fdiv.s ft2, ft0, ft1, rup", S(MONE), S(THREE)), S(0xbeaaaaaa), NX);
    CHECK_F(10, FOP2("fdiv.s ft2, ft0, ft1, rmm", S(MONE), S(THREE)), S(0xbeaaaaab), NX);
    /* 1 + 2^-24: exactly half an ulp above 1.0: RNE -> even (1.0), RMM -> away */
    CHECK_F(11, FOP2("fadd.s ft2, ft0, ft1, rne", S(ONE), S(0x33800000)), S(0x3f800000), NX);
    CHECK_F(12, FOP2("fadd.s ft2, ft0, ft1, rmm", S(ONE), S(0x33800000)), S(0x3f800001), NX);
    CHECK_F(13, FOP2("fadd.s ft2, ft0, ft1, rtz", S(ONE), S(0x33800000)), S(0x3f800000), NX);
    CHECK_F(14, FOP2("fadd.s ft2, ft0, ft1, rup", S(ONE), S(0x33800000)), S(0x3f800001), NX);
    CHECK_F(15, FOP2("fadd.s ft2, ft0, ft1, rdn", S(MONE), S(0xb3800000)), S(0xbf800001), NX);
    CHECK_F(16, FOP2("fadd.s ft2, ft0, ft1, rmm", S(MONE), S(0xb3800000)), S(0xbf800001), NX);
    CHECK_F(17, FOP2("fadd.s ft2, ft0, ft1, rne", S(MONE), S(0xb3800000)), S(0xbf800000), NX);
    /* 1 + 3*2^-24: tie between odd 0x3f800001 and even 0x3f800002 */
    CHECK_F(18, FOP2("fadd.s ft2, ft0, ft1, rne", S(ONE), S(0x34400000)), S(0x3f800002), NX);
    /* double: 1/3 = 0x3fd5555555555555 + 1/3 ulp */
    CHECK_F(19, FOP2("fdiv.d ft2, ft0, ft1, rne", D_ONE, D_THREE), 0x3fd5555555555555UL, NX);
    CHECK_F(20, FOP2("fdiv.d ft2, ft0, ft1, rup", D_ONE, D_THREE), 0x3fd5555555555556UL, NX);
    CHECK_F(21, FOP2("fdiv.d ft2, ft0, ft1, rdn", D_MONE, D_THREE), 0xbfd5555555555556UL, NX);
    CHECK_F(22, FOP2("fdiv.d ft2, ft0, ft1, rtz", D_MONE, D_THREE), 0xbfd5555555555555UL, NX);
    /* dynamic rounding mode from frm; a static rm overrides frm */
    write_csr(frm, 1);                                       /* RTZ */
    CHECK_EQ(23, read_csr(frm), 1);
    CHECK_F(23, FOP2("fdiv.s ft2, ft0, ft1, dyn", S(ONE), S(THREE)), S(0x3eaaaaaa), NX);
    write_csr(frm, 3);                                       /* RUP */
    CHECK_F(24, FOP2("fdiv.s ft2, ft0, ft1, dyn", S(MONE), S(THREE)), S(0xbeaaaaaa), NX);
    CHECK_F(25, FOP2("fdiv.s ft2, ft0, ft1, rne", S(MONE), S(THREE)), S(0xbeaaaaab), NX);
    write_csr(frm, 4);                                       /* RMM */
    CHECK_F(26, FOP2("fadd.s ft2, ft0, ft1, dyn", S(ONE), S(0x33800000)), S(0x3f800001), NX);
    write_csr(frm, 2);                                       /* RDN */
    CHECK_F(27, FOP2("fdiv.d ft2, ft0, ft1, dyn", D_MONE, D_THREE), 0xbfd5555555555556UL, NX);
    CHECK_F(28, FOP2("fsub.s ft2, ft0, ft1, dyn", S(ONE), S(ONE)), S(NZ), 0); /* x - x = -0 in RDN */
    write_csr(frm, 0);
    CHECK_F(29, FOP2("fsub.s ft2, ft0, ft1, dyn", S(ONE), S(ONE)), S(PZ), 0); /* +0 otherwise */
}

static void flags(void)
{
    /* DZ: finite non-zero / 0 */
    CHECK_F(30, FOP2("fdiv.s ft2, ft0, ft1", S(ONE), S(PZ)), S(PINF), DZ);
    CHECK_F(31, FOP2("fdiv.s ft2, ft0, ft1", S(MONE), S(PZ)), S(NINF), DZ);
    CHECK_F(32, FOP2("fdiv.s ft2, ft0, ft1", S(ONE), S(NZ)), S(NINF), DZ);
    CHECK_F(33, FOP2("fdiv.d ft2, ft0, ft1", D_ONE, D_ZERO), D_INF, DZ);
    /* NV: invalid operations produce the canonical NaN */
    CHECK_F(34, FOP2("fdiv.s ft2, ft0, ft1", S(PZ), S(PZ)), S(CNAN), NV);
    CHECK_F(35, FOP2("fmul.s ft2, ft0, ft1", S(PZ), S(PINF)), S(CNAN), NV);
    CHECK_F(36, FOP2("fsub.s ft2, ft0, ft1", S(PINF), S(PINF)), S(CNAN), NV);
    CHECK_F(37, FOP2("fadd.s ft2, ft0, ft1", S(PINF), S(NINF)), S(CNAN), NV);
    CHECK_F(38, FOP1("fsqrt.s ft2, ft0", S(MONE)), S(CNAN), NV);
    CHECK_F(39, FOP2("fmul.d ft2, ft0, ft1", D_ZERO, D_INF), D_CNAN, NV);
    CHECK_F(40, FOP2("fdiv.s ft2, ft0, ft1", S(PINF), S(PINF)), S(CNAN), NV);
    /* NaN inputs: signaling -> NV; quiet -> no flag; result is the canonical NaN (no payload) */
    CHECK_F(41, FOP2("fadd.s ft2, ft0, ft1", S(SNAN), S(ONE)), S(CNAN), NV);
    CHECK_F(42, FOP2("fadd.s ft2, ft0, ft1", S(QNANP), S(ONE)), S(CNAN), 0);
    CHECK_F(43, FOP2("fmul.d ft2, ft0, ft1", 0x7ff8000000012345UL, D_ONE), D_CNAN, 0);
    CHECK_F(44, FOP2("fadd.d ft2, ft0, ft1", D_ONE, D_SNAN), D_CNAN, NV);
    CHECK_F(45, FOP2("fadd.s ft2, ft0, ft1", S(0xffc00000), S(ONE)), S(CNAN), 0); /* negative NaN in, positive out */
    /* exact results raise nothing */
    CHECK_F(46, FOP1("fsqrt.s ft2, ft0", S(0x40800000)), S(TWO), 0);   /* sqrt 4 = 2 */
    CHECK_F(47, FOP1("fsqrt.s ft2, ft0", S(NZ)), S(NZ), 0);           /* sqrt -0 = -0 */
    CHECK_F(48, FOP1("fsqrt.s ft2, ft0", S(TWO)), S(0x3fb504f3), NX);  /* sqrt 2 */
    CHECK_F(49, FOP1("fsqrt.d ft2, ft0", 0x4000000000000000UL), 0x3ff6a09e667f3bcdUL, NX);
    /* OF (always with NX); the result depends on the rounding direction */
    CHECK_F(50, FOP2("fmul.s ft2, ft0, ft1, rne", S(MAXF), S(TWO)), S(PINF), OF | NX);
    CHECK_F(51, FOP2("fmul.s ft2, ft0, ft1, rtz", S(MAXF), S(TWO)), S(MAXF), OF | NX);
    CHECK_F(52, FOP2("fmul.s ft2, ft0, ft1, rdn", S(MAXF), S(TWO)), S(MAXF), OF | NX);
    CHECK_F(53, FOP2("fmul.s ft2, ft0, ft1, rup", S(MAXF), S(TWO)), S(PINF), OF | NX);
    CHECK_F(54, FOP2("fmul.s ft2, ft0, ft1, rdn", S(MAXF), S(0xc0000000)), S(NINF), OF | NX);
    CHECK_F(55, FOP2("fmul.s ft2, ft0, ft1, rup", S(MAXF), S(0xc0000000)), S(0xff7fffff), OF | NX);
    CHECK_F(56, FOP2("fadd.d ft2, ft0, ft1, rne", D_MAX, D_MAX), D_INF, OF | NX);
    CHECK_F(57, FOP1("fcvt.s.d ft2, ft0, rne", D_MAX), S(PINF), OF | NX);
    /* UF: tiny and inexact; an exact tiny result raises nothing */
    CHECK_F(60, FOP2("fmul.s ft2, ft0, ft1, rne", S(MINS), S(HALF)), S(PZ), UF | NX);   /* tie -> even 0 */
    CHECK_F(61, FOP2("fmul.s ft2, ft0, ft1, rup", S(MINS), S(HALF)), S(MINS), UF | NX);
    CHECK_F(62, FOP2("fmul.s ft2, ft0, ft1", S(MINN), S(HALF)), S(0x00400000), 0);     /* exact subnormal */
    CHECK_F(63, FOP2("fmul.s ft2, ft0, ft1", S(0x00000003), S(HALF)), S(0x00000002), UF | NX); /* 1.5 -> 2 */
    /* tininess after rounding: 2^-126 * (1 - 2^-25) rounds (unbounded exponent) to 2^-126: not tiny */
    CHECK_F(64, FOP1("fcvt.s.d ft2, ft0, rne", 0x380ffffff0000000UL), S(MINN), NX);
    /* 2^-126 * (1 - 2^-24) stays below 2^-126 with unbounded exponent: tiny, inexact */
    CHECK_F(65, FOP1("fcvt.s.d ft2, ft0, rne", 0x380fffffe0000000UL), S(MINN), UF | NX);
    /* NX alone */
    CHECK_F(66, FOP2("fdiv.s ft2, ft0, ft1", S(ONE), S(THREE)), S(0x3eaaaaab), NX);
    /* flags accumulate until cleared */
    uint64_t fl;
    __asm__ volatile("csrw fflags, zero\n"
                     "fmv.w.x ft0, %1\n fmv.w.x ft1, zero\n fdiv.s ft2, ft0, ft1\n"  /* DZ */
                     "fmv.w.x ft1, %2\n fdiv.s ft2, ft0, ft1\n"                     /* NX */
                     "csrr %0, fflags" : "=r"(fl) : "r"(ONE), "r"(THREE) : "ft0", "ft1", "ft2");
    CHECK_EQ(67, fl, DZ | NX);
    /* fcsr = frm << 5 | fflags; reserved bits 31:8 ignored */
    write_csr(fcsr, 0xffffffffUL);
    CHECK_EQ(68, read_csr(fcsr), 0xff);
    CHECK_EQ(68, read_csr(fflags), 0x1f);
    CHECK_EQ(68, read_csr(frm), 7);
    write_csr(fcsr, 0);
    write_csr(fflags, 0xff);
    CHECK_EQ(69, read_csr(fcsr), 0x1f);
    write_csr(frm, 2);
    CHECK_EQ(69, read_csr(fcsr), 0x5f);
    __asm__ volatile("fsflags x0, x0");
    CHECK_EQ(69, read_csr(fcsr), 0x40);
    write_csr(fcsr, 0);
}

static void nan_boxing(void)
{
    /* an improperly boxed single reads as the canonical NaN (quiet: no NV) */
    CHECK_F(70, FOP2("fadd.s ft2, ft0, ft1", 0x000000003f800000UL, S(ONE)), S(CNAN), 0);
    CHECK_F(71, FOP2("fadd.s ft2, ft0, ft1", S(ONE), 0xfffffffe3f800000UL), S(CNAN), 0);
    CHECK_F(72, FOPX("fclass.s t0, ft0", 0x123456783f800000UL, 0), 0x200, 0);
    CHECK_F(73, FOPX("feq.s t0, ft0, ft1", 0x3f800000UL, 0x3f800000UL), 0, 0);   /* NaN != NaN, quiet */
    CHECK_F(74, FOP2("fsgnj.s ft2, ft0, ft1", 0x3f800000UL, S(MONE)), S(0xffc00000), 0);
    CHECK_F(75, FOP1("fcvt.d.s ft2, ft0", 0x3f800000UL), D_CNAN, 0);
    /* transfers do not check: fmv.x.w / fsw take the low 32 bits as they are */
    CHECK_F(76, FOPX("fmv.x.w t0, ft0", 0x123456783f800000UL, 0), 0x3f800000, 0);
    CHECK_F(77, FOPX("fmv.x.w t0, ft0", 0x00000000bf800000UL, 0), 0xffffffffbf800000UL, 0); /* sign-extended */
    uint32_t w;
    __asm__ volatile("fmv.d.x ft0, %1\n fsw ft0, 0(%2)\n lwu %0, 0(%2)"
                     : "=r"(w) : "r"(0x00000000c0490fdbUL), "r"(&w) : "ft0", "memory");
    CHECK_EQ(78, w, 0xc0490fdb);
    /* writes of singles box them: fmv.w.x, flw, arithmetic (all results above) */
    CHECK_F(79, FOPI("fmv.w.x ft2, t1", 0x123456783f800000UL), S(ONE), 0);
    uint64_t d;
    w = 0x40490fdb;
    __asm__ volatile("flw ft0, 0(%1)\n fmv.x.d %0, ft0" : "=r"(d) : "r"(&w) : "ft0", "memory");
    CHECK_EQ(80, d, S(0x40490fdb));
    /* a double operation sees the whole register: a boxed single is a NaN to it */
    CHECK_F(81, FOP2("fadd.d ft2, ft0, ft1", S(ONE), D_ONE), D_CNAN, 0);
    /* sign injection never canonicalises a NaN (it is not arithmetic) */
    CHECK_F(82, FOP2("fsgnj.s ft2, ft0, ft1", S(SNAN), S(ONE)), S(SNAN), 0);
    CHECK_F(83, FOP2("fsgnjn.s ft2, ft0, ft1", S(QNANP), S(ONE)), S(0xffc12345), 0);
    CHECK_F(84, FOPX("fmv.x.w t0, ft0", S(SNAN), 0), SNAN, 0);
    CHECK_F(85, FOP2("fsgnj.s ft2, ft0, ft1", S(ONE), S(MONE)), S(MONE), 0);
    CHECK_F(86, FOP2("fsgnjn.s ft2, ft0, ft1", S(ONE), S(MONE)), S(ONE), 0);
    CHECK_F(87, FOP2("fsgnjx.s ft2, ft0, ft1", S(MONE), S(MONE)), S(ONE), 0);
    CHECK_F(88, FOP2("fsgnjx.d ft2, ft0, ft1", D_ONE, D_MONE), D_MONE, 0);
    /* conversions between formats: NaNs become canonical, sNaN raises NV */
    CHECK_F(89, FOP1("fcvt.d.s ft2, ft0", S(QNANP)), D_CNAN, 0);
    CHECK_F(90, FOP1("fcvt.d.s ft2, ft0", S(SNAN)), D_CNAN, NV);
    CHECK_F(91, FOP1("fcvt.s.d ft2, ft0", 0x7ff8000000012345UL), S(CNAN), 0);
    CHECK_F(92, FOP1("fcvt.d.s ft2, ft0", S(0x40490fdb)), 0x400921fb60000000UL, 0);
    CHECK_F(93, FOP1("fcvt.s.d ft2, ft0", 0x400921fb54442d18UL), S(0x40490fdb), NX); /* pi */
}

static void conversions(void)
{
    /* fcvt.w.s: out of range and NaN saturate, NV only (never NX) */
    CHECK_F(100, FOPX("fcvt.w.s t0, ft0, rtz", S(CNAN), 0), 0x7fffffff, NV);
    CHECK_F(101, FOPX("fcvt.w.s t0, ft0, rtz", S(SNAN), 0), 0x7fffffff, NV);
    CHECK_F(102, FOPX("fcvt.w.s t0, ft0, rtz", S(0xffc00000), 0), 0x7fffffff, NV); /* -NaN too */
    CHECK_F(103, FOPX("fcvt.w.s t0, ft0, rtz", S(PINF), 0), 0x7fffffff, NV);
    CHECK_F(104, FOPX("fcvt.w.s t0, ft0, rtz", S(NINF), 0), 0xffffffff80000000UL, NV);
    CHECK_F(105, FOPX("fcvt.w.s t0, ft0, rtz", S(0x4f32d05e), 0), 0x7fffffff, NV);         /* 3e9 */
    CHECK_F(106, FOPX("fcvt.w.s t0, ft0, rtz", S(0xcf32d05e), 0), 0xffffffff80000000UL, NV); /* -3e9 */
    CHECK_F(107, FOPX("fcvt.w.s t0, ft0, rtz", S(0x4f000000), 0), 0x7fffffff, NV);         /* 2^31 */
    CHECK_F(108, FOPX("fcvt.w.s t0, ft0, rtz", S(0xcf000000), 0), 0xffffffff80000000UL, 0); /* -2^31 exact */
    /* fcvt.wu.s: result sign-extended from 32 bits */
    CHECK_F(110, FOPX("fcvt.wu.s t0, ft0, rtz", S(CNAN), 0), 0xffffffffffffffffUL, NV);
    CHECK_F(111, FOPX("fcvt.wu.s t0, ft0, rtz", S(PINF), 0), 0xffffffffffffffffUL, NV);
    CHECK_F(112, FOPX("fcvt.wu.s t0, ft0, rtz", S(NINF), 0), 0, NV);
    CHECK_F(113, FOPX("fcvt.wu.s t0, ft0, rtz", S(MONE), 0), 0, NV);
    CHECK_F(114, FOPX("fcvt.wu.s t0, ft0, rtz", S(0xbf000000), 0), 0, NX);           /* -0.5 -> 0: representable */
    CHECK_F(115, FOPX("fcvt.wu.s t0, ft0, rtz", S(0x4f800000), 0), 0xffffffffffffffffUL, NV); /* 2^32 */
    CHECK_F(116, FOPX("fcvt.wu.s t0, ft0, rtz", S(0x4f32d05e), 0), 0xffffffffb2d05e00UL, 0);   /* 3e9 */
    /* fcvt.l.s / fcvt.lu.s */
    CHECK_F(117, FOPX("fcvt.l.s t0, ft0, rtz", S(CNAN), 0), 0x7fffffffffffffffUL, NV);
    CHECK_F(118, FOPX("fcvt.l.s t0, ft0, rtz", S(NINF), 0), 0x8000000000000000UL, NV);
    CHECK_F(119, FOPX("fcvt.l.s t0, ft0, rtz", S(0x5f000000), 0), 0x7fffffffffffffffUL, NV); /* 2^63 */
    CHECK_F(120, FOPX("fcvt.l.s t0, ft0, rtz", S(0xdf000000), 0), 0x8000000000000000UL, 0);  /* -2^63 */
    CHECK_F(121, FOPX("fcvt.lu.s t0, ft0, rtz", S(CNAN), 0), 0xffffffffffffffffUL, NV);
    CHECK_F(122, FOPX("fcvt.lu.s t0, ft0, rtz", S(NINF), 0), 0, NV);
    CHECK_F(123, FOPX("fcvt.lu.s t0, ft0, rtz", S(MONE), 0), 0, NV);
    CHECK_F(124, FOPX("fcvt.lu.s t0, ft0, rtz", S(0x5f800000), 0), 0xffffffffffffffffUL, NV); /* 2^64 */
    /* fcvt.*.d */
    CHECK_F(125, FOPX("fcvt.w.d t0, ft0, rne", 0x41dfffffffe00000UL, 0), 0x7fffffff, NV); /* 2^31-0.5 -> 2^31 */
    CHECK_F(126, FOPX("fcvt.w.d t0, ft0, rtz", 0x41dfffffffe00000UL, 0), 0x7fffffff, NX);
    CHECK_F(127, FOPX("fcvt.w.d t0, ft0, rne", 0xc1e0000000100000UL, 0), 0xffffffff80000000UL, NX); /* -2^31-0.5 */
    CHECK_F(128, FOPX("fcvt.w.d t0, ft0, rdn", 0xc1e0000000100000UL, 0), 0xffffffff80000000UL, NV);
    CHECK_F(129, FOPX("fcvt.l.d t0, ft0, rtz", D_CNAN, 0), 0x7fffffffffffffffUL, NV);
    CHECK_F(130, FOPX("fcvt.lu.d t0, ft0, rtz", D_MONE, 0), 0, NV);
    CHECK_F(131, FOPX("fcvt.l.d t0, ft0, rtz", 0xc3e0000000000000UL, 0), 0x8000000000000000UL, 0);
    /* rounding of float -> int */
    CHECK_F(132, FOPX("fcvt.w.s t0, ft0, rne", S(0x3fc00000), 0), 2, NX);             /* 1.5 */
    CHECK_F(133, FOPX("fcvt.w.s t0, ft0, rne", S(0x40200000), 0), 2, NX);             /* 2.5 -> even */
    CHECK_F(134, FOPX("fcvt.w.s t0, ft0, rmm", S(0x40200000), 0), 3, NX);
    CHECK_F(135, FOPX("fcvt.w.s t0, ft0, rdn", S(0xbfc00000), 0), (uint64_t)-2, NX);  /* -1.5 */
    CHECK_F(136, FOPX("fcvt.w.s t0, ft0, rup", S(0xbfc00000), 0), (uint64_t)-1, NX);
    CHECK_F(137, FOPX("fcvt.w.s t0, ft0, rtz", S(0xbfc00000), 0), (uint64_t)-1, NX);
    CHECK_F(138, FOPX("fcvt.l.d t0, ft0, rne", 0x4008000000000000UL, 0), 3, 0);       /* exact: no NX */
    /* int -> float */
    CHECK_F(140, FOPI("fcvt.s.w ft2, t1, rne", 16777217), S(0x4b800000), NX);         /* 2^24+1 */
    CHECK_F(141, FOPI("fcvt.s.w ft2, t1, rup", 16777217), S(0x4b800001), NX);
    CHECK_F(142, FOPI("fcvt.s.w ft2, t1", -1), S(MONE), 0);
    CHECK_F(143, FOPI("fcvt.s.w ft2, t1", 0x1234567800000005UL), S(0x40a00000), 0);   /* low 32 bits */
    CHECK_F(144, FOPI("fcvt.s.wu ft2, t1, rne", 0xffffffffUL), S(0x4f800000), NX);    /* 2^32-1 */
    CHECK_F(145, FOPI("fcvt.d.l ft2, t1", 0x8000000000000000UL), 0xc3e0000000000000UL, 0);
    CHECK_F(146, FOPI("fcvt.d.lu ft2, t1, rne", -1), 0x43f0000000000000UL, NX);
    CHECK_F(147, FOPI("fcvt.s.l ft2, t1, rne", 0x7fffffffffffffffUL), S(0x5f000000), NX);
    CHECK_F(148, FOPI("fcvt.d.w ft2, t1", 0x80000000UL), 0xc1e0000000000000UL, 0);   /* -2^31 */
    CHECK_F(149, FOPI("fcvt.d.wu ft2, t1", 0xffffffff80000000UL), 0x41e0000000000000UL, 0); /* 2^31 */
}

static void minmax_compare_class(void)
{
    /* fmin/fmax: -0 < +0; one NaN -> the other operand; two NaNs -> canonical NaN; sNaN -> NV */
    CHECK_F(150, FOP2("fmin.s ft2, ft0, ft1", S(NZ), S(PZ)), S(NZ), 0);
    CHECK_F(151, FOP2("fmin.s ft2, ft0, ft1", S(PZ), S(NZ)), S(NZ), 0);
    CHECK_F(152, FOP2("fmax.s ft2, ft0, ft1", S(NZ), S(PZ)), S(PZ), 0);
    CHECK_F(153, FOP2("fmax.s ft2, ft0, ft1", S(PZ), S(NZ)), S(PZ), 0);
    CHECK_F(154, FOP2("fmin.s ft2, ft0, ft1", S(CNAN), S(ONE)), S(ONE), 0);
    CHECK_F(155, FOP2("fmax.s ft2, ft0, ft1", S(MONE), S(QNANP)), S(MONE), 0);
    CHECK_F(156, FOP2("fmax.s ft2, ft0, ft1", S(SNAN), S(ONE)), S(ONE), NV);
    CHECK_F(157, FOP2("fmin.s ft2, ft0, ft1", S(CNAN), S(CNAN)), S(CNAN), 0);
    CHECK_F(158, FOP2("fmax.s ft2, ft0, ft1", S(SNAN), S(QNANP)), S(CNAN), NV);
    CHECK_F(159, FOP2("fmin.s ft2, ft0, ft1", S(MONE), S(ONE)), S(MONE), 0);
    CHECK_F(160, FOP2("fmax.s ft2, ft0, ft1", S(MINS), S(PZ)), S(MINS), 0);
    CHECK_F(161, FOP2("fmin.d ft2, ft0, ft1", 0x8000000000000000UL, D_ZERO), 0x8000000000000000UL, 0);
    CHECK_F(162, FOP2("fmax.d ft2, ft0, ft1", D_SNAN, D_ONE), D_ONE, NV);
    CHECK_F(163, FOP2("fmin.d ft2, ft0, ft1", D_CNAN, 0x7ff8000000012345UL), D_CNAN, 0);
    /* FEQ is quiet (NV only for sNaN); FLT/FLE are signaling (NV for any NaN) */
    CHECK_F(170, FOPX("feq.s t0, ft0, ft1", S(CNAN), S(CNAN)), 0, 0);
    CHECK_F(171, FOPX("feq.s t0, ft0, ft1", S(SNAN), S(ONE)), 0, NV);
    CHECK_F(172, FOPX("feq.s t0, ft0, ft1", S(NZ), S(PZ)), 1, 0);
    CHECK_F(173, FOPX("feq.s t0, ft0, ft1", S(ONE), S(ONE)), 1, 0);
    CHECK_F(174, FOPX("flt.s t0, ft0, ft1", S(CNAN), S(ONE)), 0, NV);
    CHECK_F(175, FOPX("fle.s t0, ft0, ft1", S(ONE), S(QNANP)), 0, NV);
    CHECK_F(176, FOPX("flt.s t0, ft0, ft1", S(NZ), S(PZ)), 0, 0);
    CHECK_F(177, FOPX("fle.s t0, ft0, ft1", S(NZ), S(PZ)), 1, 0);
    CHECK_F(178, FOPX("flt.s t0, ft0, ft1", S(MONE), S(ONE)), 1, 0);
    CHECK_F(179, FOPX("fle.s t0, ft0, ft1", S(ONE), S(MONE)), 0, 0);
    CHECK_F(180, FOPX("flt.s t0, ft0, ft1", S(NINF), S(PINF)), 1, 0);
    CHECK_F(181, FOPX("feq.d t0, ft0, ft1", D_CNAN, D_CNAN), 0, 0);
    CHECK_F(182, FOPX("flt.d t0, ft0, ft1", D_SNAN, D_ONE), 0, NV);
    CHECK_F(183, FOPX("fle.d t0, ft0, ft1", D_ONE, D_ONE), 1, 0);
    /* FCLASS: one bit per class, never flags */
    CHECK_F(190, FOPX("fclass.s t0, ft0", S(NINF), 0), 1 << 0, 0);
    CHECK_F(191, FOPX("fclass.s t0, ft0", S(MONE), 0), 1 << 1, 0);
    CHECK_F(192, FOPX("fclass.s t0, ft0", S(0x80000001), 0), 1 << 2, 0);
    CHECK_F(193, FOPX("fclass.s t0, ft0", S(NZ), 0), 1 << 3, 0);
    CHECK_F(194, FOPX("fclass.s t0, ft0", S(PZ), 0), 1 << 4, 0);
    CHECK_F(195, FOPX("fclass.s t0, ft0", S(MINS), 0), 1 << 5, 0);
    CHECK_F(196, FOPX("fclass.s t0, ft0", S(ONE), 0), 1 << 6, 0);
    CHECK_F(197, FOPX("fclass.s t0, ft0", S(PINF), 0), 1 << 7, 0);
    CHECK_F(198, FOPX("fclass.s t0, ft0", S(SNAN), 0), 1 << 8, 0);
    CHECK_F(199, FOPX("fclass.s t0, ft0", S(CNAN), 0), 1 << 9, 0);
    CHECK_F(200, FOPX("fclass.d t0, ft0", 0xfff0000000000000UL, 0), 1 << 0, 0);
    CHECK_F(201, FOPX("fclass.d t0, ft0", 0x800fffffffffffffUL, 0), 1 << 2, 0);
    CHECK_F(202, FOPX("fclass.d t0, ft0", 0x8000000000000000UL, 0), 1 << 3, 0);
    CHECK_F(203, FOPX("fclass.d t0, ft0", 0x0000000000000001UL, 0), 1 << 5, 0);
    CHECK_F(204, FOPX("fclass.d t0, ft0", D_MAX, 0), 1 << 6, 0);
    CHECK_F(205, FOPX("fclass.d t0, ft0", D_SNAN, 0), 1 << 8, 0);
    CHECK_F(206, FOPX("fclass.d t0, ft0", 0xfff8000000000000UL, 0), 1 << 9, 0);
    CHECK_F(207, FOPX("fclass.d t0, ft0", S(ONE), 0), 1 << 9, 0);     /* boxed single = qNaN */
}

static void fused(void)
{
    /* single rounding: (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly; a separate
     * multiply would round the product to 1.0 and give 0 */
    const uint64_t a = 0x3ff0000000400000UL, b = 0x3fefffffff800000UL;
    CHECK_F(210, FOP3("fmadd.d ft2, ft0, ft1, ft3", a, b, D_MONE), 0xbc30000000000000UL, 0);
    CHECK_F(211, FOP3("fmsub.d ft2, ft0, ft1, ft3", a, b, D_ONE), 0xbc30000000000000UL, 0);  /* a*b - c */
    CHECK_F(212, FOP3("fnmsub.d ft2, ft0, ft1, ft3", a, b, D_ONE), 0x3c30000000000000UL, 0); /* -(a*b) + c */
    CHECK_F(213, FOP3("fnmadd.d ft2, ft0, ft1, ft3", a, b, D_MONE), 0x3c30000000000000UL, 0); /* -(a*b) - c */
    CHECK_F(214, FOP2("fmul.d ft2, ft0, ft1", a, b), D_ONE, NX);                              /* unfused */
    /* single precision: (1 + 2^-12)(1 - 2^-12) - 1 = -2^-24 */
    CHECK_F(215, FOP3("fmadd.s ft2, ft0, ft1, ft3", S(0x3f800800), S(0x3f7ff000), S(MONE)), S(0xb3800000), 0);
    CHECK_F(216, FOP3("fnmadd.s ft2, ft0, ft1, ft3", S(TWO), S(THREE), S(ONE)), S(0xc0e00000), 0); /* -(6) - 1 */
    CHECK_F(217, FOP3("fnmsub.s ft2, ft0, ft1, ft3", S(TWO), S(THREE), S(ONE)), S(0xc0a00000), 0); /* -(6) + 1 */
    /* invalid: 0 * inf even with a quiet-NaN addend raises NV */
    CHECK_F(218, FOP3("fmadd.s ft2, ft0, ft1, ft3", S(PZ), S(PINF), S(CNAN)), S(CNAN), NV);
    CHECK_F(219, FOP3("fmadd.s ft2, ft0, ft1, ft3", S(ONE), S(ONE), S(SNAN)), S(CNAN), NV);
    CHECK_F(220, FOP3("fmadd.s ft2, ft0, ft1, ft3", S(PINF), S(ONE), S(NINF)), S(CNAN), NV);
    CHECK_F(221, FOP3("fmadd.d ft2, ft0, ft1, ft3", D_ONE, D_ONE, 0x7ff8000000012345UL), D_CNAN, 0);
    /* rounding mode applies once, to the final result */
    CHECK_F(222, FOP3("fmadd.s ft2, ft0, ft1, ft3, rup", S(ONE), S(ONE), S(0x33800000)), S(0x3f800001), NX);
    CHECK_F(223, FOP3("fmadd.s ft2, ft0, ft1, ft3, rne", S(ONE), S(ONE), S(0x33800000)), S(0x3f800000), NX);
    /* exact zero sum: +0 except in RDN */
    CHECK_F(224, FOP3("fmadd.s ft2, ft0, ft1, ft3, rne", S(ONE), S(ONE), S(MONE)), S(PZ), 0);
    CHECK_F(225, FOP3("fmadd.s ft2, ft0, ft1, ft3, rdn", S(ONE), S(ONE), S(MONE)), S(NZ), 0);
}

/* mstatus.FS: Off makes every FP instruction and FP CSR access illegal; a
 * write to FP state makes it Dirty, and SD reflects Dirty. */
static void fs_state(void)
{
    trap_hook = skip_hook;
    fs_set(0);
    trap_record_reset();
    __asm__ volatile("fadd.s ft0, ft0, ft0" ::: "ft0");
    CHECK_EQ(230, last_trap.count, 1);
    CHECK_EQ(230, last_trap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(230, last_trap.tval, insn_bits_at(last_trap.epc));
    uint64_t v = 0;
    trap_record_reset();
    __asm__ volatile("fmv.x.d %0, ft0" : "+r"(v));
    CHECK_EQ(231, last_trap.count, 1);
    trap_record_reset();
    __asm__ volatile("fld ft0, 0(%0)" :: "r"(&v) : "ft0");
    CHECK_EQ(232, last_trap.count, 1);
    trap_record_reset();
    __asm__ volatile(".option push\n.option norvc\n fsd ft0, 0(%0)\n.option pop" :: "r"(&v) : "memory");
    CHECK_EQ(233, last_trap.count, 1);
    trap_record_reset();
    __asm__ volatile("csrr %0, fcsr" : "=r"(v));
    CHECK_EQ(234, last_trap.count, 1);
    trap_record_reset();
    __asm__ volatile("csrw fflags, zero");
    CHECK_EQ(235, last_trap.count, 1);
    trap_record_reset();
    __asm__ volatile("csrr %0, frm" : "=r"(v));
    CHECK_EQ(236, last_trap.count, 1);
    trap_record_reset();
    __asm__ volatile("c.fldsp ft0, 0(sp)" ::: "ft0");    /* compressed FP load too */
    CHECK_EQ(237, last_trap.count, 1);
    CHECK_EQ(237, last_trap.cause, CAUSE_ILLEGAL_INSN);
    CHECK_EQ(238, read_csr(mstatus) & (MSTATUS_FS | MSTATUS_SD), 0);
    /* Clean -> Dirty on an FP register write */
    fs_set(MSTATUS_FS_CLEAN);
    CHECK_EQ(240, read_csr(mstatus) & (MSTATUS_FS | MSTATUS_SD), MSTATUS_FS_CLEAN);
    __asm__ volatile("fadd.s ft0, ft0, ft0" ::: "ft0");
    CHECK_EQ(241, read_csr(mstatus) & MSTATUS_FS, MSTATUS_FS_DIRTY);
    CHECK_EQ(242, read_csr(mstatus) & MSTATUS_SD, MSTATUS_SD);
    CHECK_EQ(242, read_csr(sstatus) & MSTATUS_SD, MSTATUS_SD);  /* SD visible in sstatus */
    fs_set(MSTATUS_FS_CLEAN);
    __asm__ volatile("csrw fflags, zero");                   /* FP CSR write */
    CHECK_EQ(243, read_csr(mstatus) & (MSTATUS_FS | MSTATUS_SD), MSTATUS_FS_DIRTY | MSTATUS_SD);
    fs_set(MSTATUS_FS_INITIAL);
    __asm__ volatile("fld ft0, 0(%0)" :: "r"(&v) : "ft0"); /* FP load */
    CHECK_EQ(244, read_csr(mstatus) & (MSTATUS_FS | MSTATUS_SD), MSTATUS_FS_DIRTY | MSTATUS_SD);
    fs_set(MSTATUS_FS_CLEAN);
    __asm__ volatile("fmv.d.x ft0, zero" ::: "ft0");
    CHECK_EQ(245, read_csr(mstatus) & MSTATUS_FS, MSTATUS_FS_DIRTY);
    fs_set(MSTATUS_FS_INITIAL);
    trap_hook = 0;
}

int main(void)
{
    write_csr(fcsr, 0);
    rounding();
    flags();
    nan_boxing();
    conversions();
    minmax_compare_class();
    fused();
    fs_state();
    return 0;
}
