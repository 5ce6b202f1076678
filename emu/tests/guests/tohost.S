/* Writes TOHOST_VALUE (given with -D) to tohost. With -DBIG_BSS it also has a 4 MiB .bss,
 * so that its image does not fit a 1 MiB RAM. */
#include "common.h"
  .text
  .globl _start
_start:
  EXIT_TOHOST TOHOST_VALUE
  TOHOST
#ifdef BIG_BSS
  .bss
  .space 4 << 20
#endif
