/* Constants shared by the C and assembly parts of the rvmmu bare-metal tests.
 * Bit positions from priv/machine.adoc and priv/supervisor.adoc. Only
 * preprocessor definitions: usable from .S and .c files. */
#ifndef RVMMU_TESTS_ENCODING_H
#define RVMMU_TESTS_ENCODING_H

/* Machine devices (QEMU virt layout) */
#define UART0_BASE          0x10000000
#define UART_THR            0
#define UART_LSR            5
#define UART_LSR_THRE       0x20
#define CLINT_BASE          0x02000000
#define CLINT_MSIP          (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP      (CLINT_BASE + 0x4000)
#define CLINT_MTIME         (CLINT_BASE + 0xbff8)
#define FINISHER_BASE       0x100000
#define FINISHER_PASS       0x5555
#define FINISHER_FAIL       0x3333

/* mstatus (machine.adoc "Machine Status Registers") */
#define MSTATUS_SIE         (1UL << 1)
#define MSTATUS_MIE         (1UL << 3)
#define MSTATUS_SPIE        (1UL << 5)
#define MSTATUS_UBE         (1UL << 6)
#define MSTATUS_MPIE        (1UL << 7)
#define MSTATUS_SPP         (1UL << 8)
#define MSTATUS_VS          (3UL << 9)
#define MSTATUS_MPP         (3UL << 11)
#define MSTATUS_MPP_S       (1UL << 11)
#define MSTATUS_MPP_M       (3UL << 11)
#define MSTATUS_FS          (3UL << 13)
#define MSTATUS_FS_INITIAL  (1UL << 13)
#define MSTATUS_FS_CLEAN    (2UL << 13)
#define MSTATUS_FS_DIRTY    (3UL << 13)
#define MSTATUS_XS          (3UL << 15)
#define MSTATUS_MPRV        (1UL << 17)
#define MSTATUS_SUM         (1UL << 18)
#define MSTATUS_MXR         (1UL << 19)
#define MSTATUS_TVM         (1UL << 20)
#define MSTATUS_TW          (1UL << 21)
#define MSTATUS_TSR         (1UL << 22)
#define MSTATUS_UXL         (3UL << 32)
#define MSTATUS_SXL         (3UL << 34)
#define MSTATUS_SD          (1UL << 63)

/* mip / mie bits (machine.adoc "Machine Interrupt Registers") */
#define IRQ_S_SOFT          1
#define IRQ_M_SOFT          3
#define IRQ_S_TIMER         5
#define IRQ_M_TIMER         7
#define IRQ_S_EXT           9
#define IRQ_M_EXT           11
#define MIP_SSIP            (1UL << IRQ_S_SOFT)
#define MIP_MSIP            (1UL << IRQ_M_SOFT)
#define MIP_STIP            (1UL << IRQ_S_TIMER)
#define MIP_MTIP            (1UL << IRQ_M_TIMER)
#define MIP_SEIP            (1UL << IRQ_S_EXT)
#define MIP_MEIP            (1UL << IRQ_M_EXT)

/* mcause exception codes (machine.adoc table "Machine cause register values") */
#define CAUSE_MISALIGNED_FETCH  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL_INSN      2
#define CAUSE_BREAKPOINT        3
#define CAUSE_MISALIGNED_LOAD   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_MISALIGNED_STORE  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_U           8
#define CAUSE_ECALL_S           9
#define CAUSE_ECALL_M           11
#define CAUSE_INTERRUPT         (1UL << 63)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* CSR numbers not known to every assembler */
#define CSR_MCONFIGPTR      0xf15

/* run_in_mode() return ECALL marker (in a7) */
#define RUN_MAGIC           0x52554e4d

/* struct trap_frame layout (see test.h) */
#define FRAME_CAUSE         256
#define FRAME_EPC           264
#define FRAME_TVAL          272
#define FRAME_STATUS        280
#define FRAME_SIZE          288

/* Host configuration word, outside every test image, zero in a fresh RAM.
 * The QEMU harness sets it with `-device loader,addr=0x80f00000,data=1,data-len=8`
 * (a loader writing inside the ELF image would be overwritten by the ELF load).
 * Bit 0: running on QEMU -- skip the cases where QEMU 7.2 is known to differ
 * from the spec (see skip_on_qemu()). rvmmu leaves it 0: every case is checked. */
#define HOST_CONFIG_ADDR    0x80f00000
#define HOSTCFG_QEMU        1
/* Bit 1: the machine raises address-misaligned exceptions for misaligned
 * loads and stores (rvmmu --misaligned trap; the rvmmu harness sets it when it
 * runs mmu/misaligned that way). Clear: they are performed. */
#define HOSTCFG_MA_TRAP     2

/* Failure code used when no case has started yet (test_case == 0). */
#define CASE_NONE           4095

#ifndef TEST_NAME_STR
#define TEST_NAME_STR "unnamed"
#endif

#endif
