/* ebb/strmap.h — ready-made map from owned C strings to pointers, compiled into libebb.
 *
 *   ebb_strmap m;
 *   ebb_strmap_init(&m);
 *   m.val_dtor = free;                 // optional: run on every value that leaves the map
 *   ebb_strmap_put(&m, "alice", p);    // the key is copied; the map owns the copy
 *
 * Keys are borrowed by every call and copied (through the map's allocator) only when a new
 * entry is made; the map frees its copies. Values are destroyed with val_dtor, when set, on
 * overwrite, delete, clear and destroy, never when handed back by ebb_strmap_take (which also
 * hands back the map's copy of the key when kout is given: free it with ebb_strmap_free_key). */
#ifndef EBB_STRMAP_H
#define EBB_STRMAP_H

#include "ebb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Copy a string through an allocator (NULL: malloc); NULL when out of memory. */
char *ebb_strmap_copy_key(const char *s, const ebb_allocator *a);
void ebb_strmap_free_key(const char *s, const ebb_allocator *a);

#ifdef __cplusplus
}
#endif

#define EBB_NAME ebb_strmap
#define EBB_KEY  const char *
#define EBB_VAL  void *
#define EBB_CSTR_KEY
#define EBB_MAP_FIELDS        void (*val_dtor)(void *);
#define EBB_KEY_CLONE(dst, k) ((*(dst) = ebb_strmap_copy_key((k), EBB_MAP->core.alloc)) != NULL)
#define EBB_KEY_DTOR(k)       ebb_strmap_free_key((k), EBB_MAP->core.alloc)
#define EBB_VAL_DTOR(v)       (EBB_MAP->val_dtor ? EBB_MAP->val_dtor(v) : (void)0)
#ifndef EBB_IMPL
#define EBB_HEADER
#endif
#include "map.h"

#endif
