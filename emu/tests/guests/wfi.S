/* Waits for an interrupt with none enabled: nothing can ever wake the hart. */
  .text
  .globl _start
_start:
  csrw mie, zero
  wfi
1: j 1b
