/* mmu_pmp_sv48: the cases of mmu_pmp.h, the paging ones under Sv48. */
#define LEVELS 4
#include "mmu_pmp.h"
