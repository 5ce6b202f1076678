/* Takes TICKS machine timer interrupts, sleeping in WFI between them, with some arithmetic
 * in between; then passes. Exercises virtual time, so its counts must be reproducible. */
#include "common.h"
#define TICKS 5
#define PERIOD 1000
  .text
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li s0, CLINT_MTIMECMP
  li s1, CLINT_MTIME
  ld t0, 0(s1)
  addi t0, t0, PERIOD
  sd t0, 0(s0)
  li s2, 0                /* interrupts taken */
  li s3, 0                /* busy work */
  li t0, 0x80             /* mie.MTIE */
  csrw mie, t0
  csrsi mstatus, 8        /* mstatus.MIE */
1: li t1, 300
2: addi s3, s3, 3
  addi t1, t1, -1
  bnez t1, 2b
  wfi
  li t0, TICKS
  blt s2, t0, 1b
  EXIT_TOHOST 1

  .balign 4
handler:
  addi s2, s2, 1
  ld t2, 0(s0)
  addi t2, t2, PERIOD
  sd t2, 0(s0)
  mret
  TOHOST
