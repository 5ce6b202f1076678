/* The --trace translations program: builds a small Sv39 tree, drops to S-mode with satp
 * (ASID 5) pointing at it, and makes a few data accesses whose translation records the test
 * checks one by one. M-mode is not translated (no PMP entry is locked), so only the S-mode
 * part is traced.
 *   root  0x80010000: [2] 1 GiB leaf VA 0x8000_0000 -> PA 0x8000_0000, RWX G A D (code)
 *                     [0] -> level-1 table 0x80011000
 *   L1    0x80011000: [0] -> level-0 table 0x80012000
 *   L0    0x80012000: [1] VA 0x1000 -> PA 0x8003_0000 RW A D
 *                     [2] VA 0x2000 -> PA 0x8003_1000 RW, A = D = 0 (the first store sets both)
 *                     [3] V = 0 (a hole)
 * In S-mode: ld 0x1000 (miss), ld 0x1008 (hit), sd 0x2010 (miss, A/D set by the walker under
 * --ad hw), ld 0x2010 (hit), ld 0x3000 (page fault) -> the M-mode handler ends the run. */
#include "common.h"
#define PTE_PTR(pa) ((((pa) >> 12) << 10) | 1)
#define LEAF(pa, flags) ((((pa) >> 12) << 10) | (flags))
  .option norvc
  .option norelax
  .text
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  /* PMP entry 0: all memory RWX for S and U, whose rules the walker's reads follow */
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li t0, 0x80010000
  li t1, LEAF(0x80000000, 0xcf)           /* D A - - X W R V */
  sd t1, 16(t0)
  li t1, PTE_PTR(0x80011000)
  sd t1, 0(t0)
  li t0, 0x80011000
  li t1, PTE_PTR(0x80012000)
  sd t1, 0(t0)
  li t0, 0x80012000
  li t1, LEAF(0x80030000, 0xc7)           /* D A - - - W R V */
  sd t1, 8(t0)
  li t1, LEAF(0x80031000, 0x07)           /* W R V, A = D = 0 */
  sd t1, 16(t0)
  li t1, (8 << 60) | (5 << 44) | (0x80010000 >> 12)
  csrw satp, t1
  sfence.vma
  /* mret to s_code in S-mode */
  li t0, 3 << 11
  csrc mstatus, t0
  li t0, 1 << 11
  csrs mstatus, t0
  la t0, s_code
  csrw mepc, t0
  mret

  .globl s_code
s_code:
  li a0, 0x1000
  ld a1, 0(a0)
  ld a2, 8(a0)
  li a0, 0x2010
  sd a1, 0(a0)
  ld a3, 0(a0)
  li a0, 0x3000
  .globl fault_at
fault_at:
  ld a4, 0(a0)
  j fault_at

  .balign 4
handler:
  csrr t0, mcause
  li t1, 13                                /* load page fault: pass */
  bne t0, t1, fail
  EXIT_TOHOST 1
fail:
  EXIT_TOHOST 3
  TOHOST
