/* Prints "hello\n" on the UART (waiting for THRE before each byte), then passes. */
#include "common.h"
  .text
  .globl _start
_start:
  li s0, UART_BASE
  la s1, msg
1: lbu t1, 0(s1)
  beqz t1, 3f
2: lbu t0, UART_LSR(s0)
  andi t0, t0, LSR_THRE
  beqz t0, 2b
  sb t1, UART_THR(s0)
  addi s1, s1, 1
  j 1b
3: EXIT_TOHOST 1
  .section .rodata
msg: .asciz "hello\n"
  TOHOST
