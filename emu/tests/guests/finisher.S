/* Writes FINISHER_VALUE (given with -D) to the test finisher with a 32-bit store. */
#include "common.h"
  .text
  .globl _start
_start:
  li t0, FINISHER_BASE
  li t1, FINISHER_VALUE
  sw t1, 0(t0)
1: j 1b
