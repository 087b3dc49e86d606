/* ebb's driver: maps generated from the template, compiled as C, each with ebb's own seeded
 * hash (ebb_hash_u64 / ebb_hash_bytes_inline: the hash the peers are given). */
#define TABLE_NAME "ebb"
#include "common.h"

#define EBB_NAME u64_map
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

#define EBB_NAME big_map
#define EBB_KEY  uint64_t
#define EBB_VAL  bench_big
#include "ebb/map.h"

#define EBB_NAME str_map
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#include "ebb/map.h"

/* The incident's map: owned string keys (copied on insert), owned heap values. */
static int own_clone(const char **dst, const char *k) {
    size_t len = strlen(k) + 1;
    char *p = malloc(len);
    if (!p) return 0;
    memcpy(p, k, len);
    *dst = p;
    return 1;
}
#define EBB_NAME own_map
#define EBB_KEY  const char *
#define EBB_VAL  void *
#define EBB_CSTR_KEY
#define EBB_KEY_CLONE(dst, k) own_clone((dst), (k))
#define EBB_KEY_DTOR(k)       free((void *)(k))
#define EBB_VAL_DTOR(v)       free(v)
#include "ebb/map.h"

/* Identity hash: ebb mixes it with the map's seed (EBB_HASH). */
#define EBB_NAME    id_map
#define EBB_KEY     uint64_t
#define EBB_VAL     uint64_t
#define EBB_HASH(k) (k)
#include "ebb/map.h"

#define NEW(T)                                                                                     \
    static T *T##_create(void) {                                                                   \
        T *m = malloc(sizeof *m);                                                                  \
        if (!m) die("out of memory");                                                              \
        T##_init(m);                                                                               \
        return m;                                                                                  \
    }                                                                                              \
    static void T##_release(T *m) {                                                                \
        T##_destroy(m);                                                                            \
        free(m);                                                                                   \
    }
NEW(u64_map)
NEW(big_map)
NEW(str_map)
NEW(own_map)
NEW(id_map)

static inline int put_rc(int rc) {
    if (rc < 0) die("out of memory");
    return rc == EBB_INSERTED;
}

static u64_map *u64_new(void) {
    return u64_map_create();
}
static void u64_free(u64_map *m) {
    u64_map_release(m);
}
static inline int u64_put(u64_map *m, uint64_t k, uint64_t v) {
    return put_rc(u64_map_put(m, k, v));
}
static inline int u64_get(u64_map *m, uint64_t k, uint64_t *v) {
    uint64_t *p = u64_map_get(m, k);
    if (p) *v = *p;
    return p != NULL;
}
static inline int u64_del(u64_map *m, uint64_t k) {
    return u64_map_delete(m, k);
}
static void u64_clear(u64_map *m) {
    u64_map_clear(m);
}
static uint64_t u64_sum(u64_map *m) {
    uint64_t s = 0;
    for (u64_map_iter it = u64_map_begin(m); !u64_map_iter_done(&it); u64_map_next(&it))
        s += *it.val;
    return s;
}

static big_map *big_new(void) {
    return big_map_create();
}
static void big_free(big_map *m) {
    big_map_release(m);
}
static inline int big_put(big_map *m, uint64_t k, const bench_big *v) {
    return put_rc(big_map_put(m, k, *v));
}
static inline const bench_big *big_get(big_map *m, uint64_t k) {
    return big_map_get(m, k);
}
static inline int big_del(big_map *m, uint64_t k) {
    return big_map_delete(m, k);
}
static void big_clear(big_map *m) {
    big_map_clear(m);
}
static uint64_t big_sum(big_map *m) {
    uint64_t s = 0;
    for (big_map_iter it = big_map_begin(m); !big_map_iter_done(&it); big_map_next(&it))
        s += it.val->w[0];
    return s;
}

static str_map *str_new(void) {
    return str_map_create();
}
static void str_free(str_map *m) {
    str_map_release(m);
}
static inline int str_put(str_map *m, const char *k, uint64_t v) {
    return put_rc(str_map_put(m, k, v));
}
static inline int str_get(str_map *m, const char *k, uint64_t *v) {
    uint64_t *p = str_map_get(m, k);
    if (p) *v = *p;
    return p != NULL;
}
static inline int str_del(str_map *m, const char *k) {
    return str_map_delete(m, k);
}
static uint64_t str_sum(str_map *m) {
    uint64_t s = 0;
    for (str_map_iter it = str_map_begin(m); !str_map_iter_done(&it); str_map_next(&it))
        s += *it.val;
    return s;
}

static own_map *own_new(void) {
    return own_map_create();
}
static void own_free(own_map *m) {
    own_map_release(m);
}
static inline int own_put(own_map *m, const char *k, size_t len, void *v) {
    (void)len;
    return put_rc(own_map_put(m, k, v));
}
static inline int own_del(own_map *m, const char *k, size_t len) {
    (void)len;
    return own_map_delete(m, k);
}
static void own_clear(own_map *m) {
    own_map_clear(m);
}

static id_map *id_new(void) {
    return id_map_create();
}
static void id_free(id_map *m) {
    id_map_release(m);
}
static inline int id_put(id_map *m, uint64_t k, uint64_t v) {
    return put_rc(id_map_put(m, k, v));
}
static inline int id_get(id_map *m, uint64_t k, uint64_t *v) {
    uint64_t *p = id_map_get(m, k);
    if (p) *v = *p;
    return p != NULL;
}

#include "workload.h"
