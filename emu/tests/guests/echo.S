/* Echoes UART input until it has echoed a '\n', then passes. Reads poll LSR.DR (bit 0),
 * then take the byte from RBR. At end of input DR stays 0, so the poll spins forever. */
#include "common.h"
  .text
  .globl _start
_start:
  li s0, UART_BASE
  li s1, '\n'
1: lbu t0, UART_LSR(s0)
  andi t0, t0, LSR_DR
  beqz t0, 1b
  lbu t1, UART_RBR(s0)
  sb t1, UART_THR(s0)
  bne t1, s1, 1b
  EXIT_TOHOST 1
  TOHOST
