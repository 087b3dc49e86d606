/* maps.c — the ready-made instantiations shipped in libebb (<ebb/u64map.h>, <ebb/strmap.h>). */
#include <stdlib.h>
#include <string.h>

#define EBB_IMPL
#include "ebb/u64map.h"
#define EBB_IMPL
#include "ebb/strmap.h"

char *ebb_strmap_copy_key(const char *s, const ebb_allocator *a) {
    size_t n = strlen(s) + 1;
    char *p = a ? a->alloc(a->ctx, n) : malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

void ebb_strmap_free_key(const char *s, const ebb_allocator *a) {
    if (a)
        a->free(a->ctx, (void *)(uintptr_t)s, strlen(s) + 1);
    else
        free((void *)(uintptr_t)s);
}
