/* mmu_sfence: SFENCE.VMA, ASID and TLB staleness cases under Sv39 (see mmu_sfence.h). */
#define LEVELS 3
#include "mmu_sfence.h"
