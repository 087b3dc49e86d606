/* bench/duel_ebb.c — ebb's side of bench/duel.c: the template's maps with their own seeded
 * hashes, as in bench/drv_ebb.c: u64 -> u64, borrowed C string -> u64, and u64 -> 56 bytes. */
#include <stdlib.h>

#include "duel.h"

#define EBB_NAME duel_map
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

#define EBB_NAME duel_smap
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#include "ebb/map.h"

#define EBB_NAME duel_bmap
#define EBB_KEY  uint64_t
#define EBB_VAL  duel_big
#include "ebb/map.h"

/* Whether v is the value stored with key k (bench/duel.h): the whole of a small value. */
#define SAME_VALUE(v, k, V)     ((v) == V(k))
#define SAME_BIG_VALUE(v, k, V) duel_big_is(&(v), (k))

/* One batch function per operation and key type: T the map's prefix, K the key type (a single
 * name, for the macro's declarations), V(k) the value stored with key k, SAME(v, k, V) whether
 * value v is key k's. */
typedef const char *duel_str;
#define DUEL_OPS(T, K, V, SAME)                                                                    \
    static void *T##_make(void) {                                                                  \
        T *m = malloc(sizeof *m);                                                                  \
        if (m) T##_init(m);                                                                        \
        return m;                                                                                  \
    }                                                                                              \
    static void T##_release(void *m) {                                                             \
        T##_destroy(m);                                                                            \
        free(m);                                                                                   \
    }                                                                                              \
    static uint64_t T##_put_batch(void *m, const void *keys, size_t n) {                           \
        const K *k = keys;                                                                         \
        uint64_t fresh = 0;                                                                        \
        for (size_t i = 0; i < n; i++)                                                             \
            fresh += T##_put(m, k[i], V(k[i])) == EBB_INSERTED;                                    \
        return fresh;                                                                              \
    }                                                                                              \
    static uint64_t T##_get_batch(void *m, const void *keys, size_t n) {                           \
        const K *k = keys;                                                                         \
        uint64_t found = 0;                                                                        \
        for (size_t i = 0; i < n; i++) {                                                           \
            const T##_val *v = T##_get(m, k[i]);                                                   \
            found += v && SAME(*v, k[i], V);                                                       \
        }                                                                                          \
        return found;                                                                              \
    }                                                                                              \
    static uint64_t T##_del_batch(void *m, const void *keys, size_t n) {                           \
        const K *k = keys;                                                                         \
        uint64_t found = 0;                                                                        \
        for (size_t i = 0; i < n; i++)                                                             \
            found += T##_delete(m, k[i]);                                                          \
        return found;                                                                              \
    }                                                                                              \
    static uint64_t T##_churn_batch(void *m, const void *in, const void *out, size_t n) {          \
        const K *a = in;                                                                           \
        const K *b = out;                                                                          \
        uint64_t found = 0;                                                                        \
        for (size_t i = 0; i < n; i++) {                                                           \
            T##_put(m, a[i], V(a[i]));                                                             \
            found += T##_delete(m, b[i]);                                                          \
        }                                                                                          \
        return found;                                                                              \
    }

#define U64_VALUE(k) (k)
DUEL_OPS(duel_map, uint64_t, U64_VALUE, SAME_VALUE)
DUEL_OPS(duel_smap, duel_str, duel_str_value, SAME_VALUE)
DUEL_OPS(duel_bmap, uint64_t, duel_big_value, SAME_BIG_VALUE)

const duel_table duel_ebb = {"ebb",
                             duel_map_make,
                             duel_map_release,
                             duel_map_put_batch,
                             duel_map_get_batch,
                             duel_map_del_batch,
                             duel_map_churn_batch};
const duel_table duel_ebb_str = {"ebb",
                                 duel_smap_make,
                                 duel_smap_release,
                                 duel_smap_put_batch,
                                 duel_smap_get_batch,
                                 duel_smap_del_batch,
                                 duel_smap_churn_batch};
const duel_table duel_ebb_big = {"ebb",
                                 duel_bmap_make,
                                 duel_bmap_release,
                                 duel_bmap_put_batch,
                                 duel_bmap_get_batch,
                                 duel_bmap_del_batch,
                                 duel_bmap_churn_batch};
