/* mmu_pmp: PMP cases, the paging ones under Sv39 (see mmu_pmp.h). */
#define LEVELS 3
#include "mmu_pmp.h"
