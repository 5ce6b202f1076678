/* mmu_sfence_sv48: the cases of mmu_sfence.h under Sv48. */
#define LEVELS 4
#include "mmu_sfence.h"
