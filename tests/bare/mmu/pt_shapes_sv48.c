/* pt_shapes_sv48: page-table shapes under Sv48 (see pt_shapes.h), plus a 512 GiB leaf. */
#define LEVELS 4
#include "pt_shapes.h"
