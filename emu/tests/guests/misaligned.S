/* A misaligned 8-byte store and load in M-mode. Performed (rvmmu's default): exit 0 when the
 * load returns the bytes stored (else 1). Trapped (--misaligned trap): the handler exits with
 * the cause as the status, 6 (store address-misaligned) from the store. */
#include "common.h"
  .option norelax /* no gp-relative la: gp is not set up */
  TOHOST
  .text
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  la s0, buf
  li t1, 0x1122334455667788
  sd t1, 3(s0)
  ld t2, 3(s0)
  bne t1, t2, bad
  EXIT_TOHOST 1
bad:
  EXIT_TOHOST 0x3
  .balign 4
handler:
  csrr t0, mcause
  slli t0, t0, 1
  ori t0, t0, 1
  la t1, tohost
  sd t0, 0(t1)
1: j 1b
  .data
  .balign 8
buf: .zero 16
