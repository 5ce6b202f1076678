/* Interrupt-driven echo: the UART's receive interrupt (IER bit 0) raises PLIC source 10, the
 * PLIC raises MEIP for context 0 (hart 0, M-mode), and the hart sleeps in WFI until then.
 * The handler claims the source, echoes every byte the FIFO holds, completes the claim and
 * returns to WFI; after echoing '\n' it passes. Counts its interrupts in s2 and writes the
 * count as one digit before the verdict, so the test sees how many wake-ups it took. */
#include "common.h"
#define PLIC_PRIORITY  0x0c000000
#define PLIC_ENABLE0   0x0c002000
#define PLIC_THRESH0   0x0c200000
#define PLIC_CLAIM0    0x0c200004
#define UART_IER       1
  .text
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li s2, 0
  li t0, PLIC_PRIORITY + 4 * 10   /* source 10 priority 1 */
  li t1, 1
  sw t1, 0(t0)
  li t0, PLIC_ENABLE0             /* context 0 enables source 10 */
  li t1, 1 << 10
  sw t1, 0(t0)
  li t0, PLIC_THRESH0             /* threshold 0 */
  sw zero, 0(t0)
  li s0, UART_BASE
  li t1, 1                        /* IER: receive data available */
  sb t1, UART_IER(s0)
  li t1, 1 << 11                  /* mie.MEIE */
  csrs mie, t1
  csrsi mstatus, 8                /* mstatus.MIE */
sleep:
  wfi
  j sleep

  .balign 4
handler:
  addi s2, s2, 1
  li t0, PLIC_CLAIM0
  lw t2, 0(t0)                    /* claim: the source number */
  li t3, 10
  bne t2, t3, fail
1: lbu t4, UART_LSR(s0)
  andi t4, t4, LSR_DR
  beqz t4, 2f
  lbu t5, UART_RBR(s0)
  sb t5, UART_THR(s0)
  li t6, '\n'
  beq t5, t6, done
  j 1b
2: sw t2, 0(t0)                    /* complete */
  mret
done:
  addi t4, s2, '0'
  sb t4, UART_THR(s0)
  EXIT_TOHOST 1
fail:
  EXIT_TOHOST 3
  TOHOST
