/* mmu_sv39: Sv39 translation cases (see mmu_vm.h). */
#define LEVELS 3
#include "mmu_vm.h"
