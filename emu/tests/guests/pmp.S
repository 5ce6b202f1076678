/* Which pmpaddr registers exist: writes an address to pmpaddr0, 15, 16 and 63 and reads each
 * back (an unimplemented entry reads 0 and ignores writes: WARL). Exits through tohost with
 * bit 0 = pmpaddr0 kept, bit 1 = pmpaddr15, bit 2 = pmpaddr16, bit 3 = pmpaddr63, so the
 * exit status is 0 with no PMP, 3 with 16 entries, 15 with 64. Used by the --pmp tests. */
#include "common.h"
.macro PROBE csr, bit
  li t1, 0x1234
  csrw \csr, t1
  csrr t2, \csr
  bne t1, t2, 1f
  ori a2, a2, \bit
1:
.endm
  .text
  .globl _start
_start:
  li a2, 0
  PROBE pmpaddr0, 1
  PROBE pmpaddr15, 2
  PROBE pmpaddr16, 4
  PROBE pmpaddr63, 8
  slli a2, a2, 1
  ori a2, a2, 1
  la t1, tohost
  sd a2, 0(t1)
99: j 99b
  TOHOST
