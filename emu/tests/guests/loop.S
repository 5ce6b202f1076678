/* Spins forever: only --max-insns ends the run. */
  .text
  .globl _start
_start:
  j _start
