/* Builds a small Sv39 tree at fixed addresses and turns paging on (M-mode is not translated,
 * so the run goes on unchanged), then ends through tohost. Used by the --dump-pt tests.
 *   root  0x80010000: [2] 1 GiB leaf VA 0x8000_0000 -> PA 0x8000_0000, RWX G A D
 *                     [0] -> level-1 table 0x80011000
 *   L1    0x80011000: [0] -> level-0 table 0x80012000; [1] 2 MiB leaf 0x20_0000 -> 0x8020_0000 R U
 *   L0    0x80012000: [1], [2] 4 KiB VA 0x1000, 0x2000 -> PA 0x8003_0000, 0x8003_1000 RW U A D
 *                     [3] V=0 (a hole), [4] W without R (malformed)
 * `satp_on` labels the satp write: the dump after it shows the tree, before it Bare. */
#include "common.h"
#define PTE_PTR(pa) ((((pa) >> 12) << 10) | 1)
#define LEAF(pa, flags) ((((pa) >> 12) << 10) | (flags))
  .text
  .globl _start
_start:
  /* PMP entry 0: all memory RWX for S and U, whose rules the walker's reads follow */
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  li t0, 0x80010000
  li t1, LEAF(0x80000000, 0xef)           /* D A G - X W R V */
  sd t1, 16(t0)
  li t1, PTE_PTR(0x80011000)
  sd t1, 0(t0)
  li t0, 0x80011000
  li t1, PTE_PTR(0x80012000)
  sd t1, 0(t0)
  li t1, LEAF(0x80200000, 0x13)           /* U R V */
  sd t1, 8(t0)
  li t0, 0x80012000
  li t1, LEAF(0x80030000, 0xd7)           /* D A U W R V */
  sd t1, 8(t0)
  li t1, LEAF(0x80031000, 0xd7)
  sd t1, 16(t0)
  li t1, LEAF(0x80032000, 0xd6)           /* V = 0 */
  sd t1, 24(t0)
  li t1, LEAF(0x80033000, 0x05)           /* W without R */
  sd t1, 32(t0)
  li t1, (8 << 60) | (7 << 44) | (0x80010000 >> 12)
  .globl satp_on
satp_on:
  csrw satp, t1
  EXIT_TOHOST 1
  TOHOST
