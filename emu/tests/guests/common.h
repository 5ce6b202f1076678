/* Shared definitions for the guests of emu/tests/cli.rs (C preprocessor, then GNU as).
 * Every guest is linked with its .text at 0x80000000 (the start of RAM) and enters at _start
 * in M-mode, with a0 = hartid and a1 = the device tree as the boot ROM leaves them. */

#define UART_BASE     0x10000000
#define UART_RBR      0
#define UART_THR      0
#define UART_LSR      5
#define LSR_DR        0x01
#define LSR_THRE      0x20
#define FINISHER_BASE 0x100000
#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME   0x200bff8

/* The HTIF words rvmmu watches: a write to tohost ends the run. */
.macro TOHOST
  .pushsection .tohost, "aw", @progbits
  .balign 8
  .globl tohost
tohost: .dword 0
  .globl fromhost
fromhost: .dword 0
  .popsection
.endm

/* Ends the run through tohost with value \v (1 = pass, (n << 1) | 1 = exit n). */
.macro EXIT_TOHOST v
  li t0, \v
  la t1, tohost
  sd t0, 0(t1)
99: j 99b
.endm
