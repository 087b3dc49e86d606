/* bench/duel_ebb.c — ebb's side of bench/duel.c: the template's u64 -> u64 map, with its own
 * seeded hash, as in bench/drv_ebb.c. */
#include <stdlib.h>

#include "duel.h"

#define EBB_NAME duel_map
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

static void *make(void) {
    duel_map *m = malloc(sizeof *m);
    if (m) duel_map_init(m);
    return m;
}

static void release(void *m) {
    duel_map_destroy(m);
    free(m);
}

static uint64_t put(void *m, const uint64_t *k, size_t n) {
    uint64_t fresh = 0;
    for (size_t i = 0; i < n; i++)
        fresh += duel_map_put(m, k[i], k[i]) == EBB_INSERTED;
    return fresh;
}

static uint64_t get(void *m, const uint64_t *k, size_t n) {
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t *v = duel_map_get(m, k[i]);
        found += v && *v == k[i];
    }
    return found;
}

static uint64_t del(void *m, const uint64_t *k, size_t n) {
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++)
        found += duel_map_delete(m, k[i]);
    return found;
}

static uint64_t churn(void *m, const uint64_t *in, const uint64_t *out, size_t n) {
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++) {
        duel_map_put(m, in[i], in[i]);
        found += duel_map_delete(m, out[i]);
    }
    return found;
}

const duel_table duel_ebb = {"ebb", make, release, put, get, del, churn};
