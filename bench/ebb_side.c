/* The ebb side of bench/vs_boost.cpp: the same workloads on maps generated from the template,
 * compiled as C (the way an ebb user builds them) and called from the C++ driver. */
#include <stdint.h>
#include <stdlib.h>

#include "bench_sides.h"

#define EBB_NAME bmap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

#define EBB_NAME bsmap
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#include "ebb/map.h"

void *ebb_u64_new(void) {
    bmap *m = malloc(sizeof *m);
    if (m) bmap_init(m);
    return m;
}

void ebb_u64_free(void *p) {
    bmap_destroy(p);
    free(p);
}

uint64_t ebb_u64_insert(void *p, const uint64_t *keys, size_t n) {
    for (size_t i = 0; i < n; i++) bmap_put(p, keys[i], i);
    return bmap_count(p);
}

uint64_t ebb_u64_lookup(void *p, const uint64_t *keys, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *v = bmap_get(p, keys[i]);
        sum += v ? *v : 1;
    }
    return sum;
}

uint64_t ebb_u64_erase(void *p, const uint64_t *keys, size_t n) {
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++) found += bmap_delete(p, keys[i]);
    return found;
}

size_t ebb_u64_bytes(void *p) {
    ebb_stats st;
    bmap_stats(p, &st);
    return st.bytes;
}

void *ebb_str_new(void) {
    bsmap *m = malloc(sizeof *m);
    if (m) bsmap_init(m);
    return m;
}

void ebb_str_free(void *p) {
    bsmap_destroy(p);
    free(p);
}

uint64_t ebb_str_insert(void *p, const char *const *keys, size_t n) {
    for (size_t i = 0; i < n; i++) bsmap_put(p, keys[i], i);
    return bsmap_count(p);
}

uint64_t ebb_str_lookup(void *p, const char *const *keys, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *v = bsmap_get(p, keys[i]);
        sum += v ? *v : 1;
    }
    return sum;
}

uint64_t ebb_str_erase(void *p, const char *const *keys, size_t n) {
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++) found += bsmap_delete(p, keys[i]);
    return found;
}
