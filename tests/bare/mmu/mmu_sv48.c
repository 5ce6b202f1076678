/* mmu_sv48: Sv48 translation cases (see mmu_vm.h), incl. the 4th level and 512 GiB leaves. */
#define LEVELS 4
#include "mmu_vm.h"
