/* ebb/u64map.h — ready-made map from uint64_t to uint64_t, compiled into libebb.
 * Its functions are those of <ebb/map.h> with the prefix ebb_u64map. */
#ifndef EBB_U64MAP_H
#define EBB_U64MAP_H

#include <stdint.h>

#define EBB_NAME ebb_u64map
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#ifndef EBB_IMPL
#define EBB_HEADER
#endif
#include "map.h"

#endif
