/* pt_shapes_sv39: page-table shapes under Sv39 (see pt_shapes.h). */
#define LEVELS 3
#include "pt_shapes.h"
