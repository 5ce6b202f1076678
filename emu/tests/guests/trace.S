/* The --trace insns snapshot program: a counted loop with a branch, a compressed
 * instruction, an ecall and an illegal instruction trapping into an M-mode handler that
 * skips them and returns with mret. Assembled with fixed encodings (no automatic
 * compression, no relaxation), so the trace does not depend on the assembler's choices. */
#include "common.h"
  .option norvc
  .option norelax
  .text
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li a0, 0
  li a1, 3
loop:
  .option push
  .option rvc
  c.addi a0, 1
  .option pop
  bne a0, a1, loop
  .globl ecall_at
ecall_at:
  ecall
  .globl illegal_at
illegal_at:
  csrw cycle, zero        /* cycle is read-only: illegal instruction */
  addi a2, a0, 10
  EXIT_TOHOST 1

  /* (gas pads an odd half-word only where compressed instructions are allowed) */
  .option push
  .option rvc
  .balign 4
  .option pop
handler:
  csrr t3, mepc
  addi t3, t3, 4
  csrw mepc, t3
  mret
  TOHOST
