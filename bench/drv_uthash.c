/* uthash (Debian 12's uthash-dev): an intrusive chained table, one malloc'd entry per key, with
 * ebb's hash (folded to uthash's 32 bits) through HASH_FUNCTION, and the identity for the
 * patterned workload. */
#define TABLE_NAME "uthash"
#include "common.h"

static inline unsigned ut_hash(const void *key, size_t len) {
    if (len == 8) {
        uint64_t k;
        memcpy(&k, key, 8);
        return (unsigned)hash_u64(k);
    }
    return (unsigned)hash_str((const char *)key, len);
}
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = ut_hash((keyptr), (size_t)(keylen)))
#include <uthash.h>

typedef struct u64_ent {
    uint64_t key, val;
    UT_hash_handle hh;
} u64_ent;
typedef struct big_ent {
    uint64_t key;
    bench_big val;
    UT_hash_handle hh;
} big_ent;
typedef struct str_ent {
    const char *key;
    uint64_t val;
    UT_hash_handle hh;
} str_ent;
typedef struct own_ent {
    char *key;
    void *val;
    UT_hash_handle hh;
} own_ent;
typedef struct u64_map {
    u64_ent *head;
} u64_map;
typedef struct big_map {
    big_ent *head;
} big_map;
typedef struct str_map {
    str_ent *head;
} str_map;
typedef struct own_map {
    own_ent *head;
} own_map;
typedef struct id_map {
    u64_ent *head;
} id_map;

static void *new_map(void) {
    void *m = calloc(1, sizeof(void *));
    if (!m) die("out of memory");
    return m;
}
static void *new_ent(size_t size) {
    void *e = malloc(size);
    if (!e) die("out of memory");
    return e;
}

#define CLEAR(m, T)                                                                                \
    do {                                                                                           \
        T *e_, *t_;                                                                                \
        HASH_ITER(hh, (m)->head, e_, t_) {                                                         \
            HASH_DEL((m)->head, e_);                                                               \
            free(e_);                                                                              \
        }                                                                                          \
    } while (0)

static u64_map *u64_new(void) {
    return new_map();
}
static void u64_clear(u64_map *m) {
    CLEAR(m, u64_ent);
}
static void u64_free(u64_map *m) {
    u64_clear(m), free(m);
}
static inline int u64_put(u64_map *m, uint64_t k, uint64_t v) {
    u64_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    if (e) return e->val = v, 0;
    e = new_ent(sizeof *e);
    e->key = k, e->val = v;
    HASH_ADD(hh, m->head, key, sizeof k, e);
    return 1;
}
static inline int u64_get(u64_map *m, uint64_t k, uint64_t *v) {
    u64_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    if (e) *v = e->val;
    return e != NULL;
}
static inline int u64_del(u64_map *m, uint64_t k) {
    u64_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    if (!e) return 0;
    HASH_DEL(m->head, e);
    free(e);
    return 1;
}
static uint64_t u64_sum(u64_map *m) {
    uint64_t s = 0;
    for (u64_ent *e = m->head; e; e = e->hh.next)
        s += e->val;
    return s;
}

static big_map *big_new(void) {
    return new_map();
}
static void big_clear(big_map *m) {
    CLEAR(m, big_ent);
}
static void big_free(big_map *m) {
    big_clear(m), free(m);
}
static inline int big_put(big_map *m, uint64_t k, const bench_big *v) {
    big_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    if (e) return e->val = *v, 0;
    e = new_ent(sizeof *e);
    e->key = k, e->val = *v;
    HASH_ADD(hh, m->head, key, sizeof k, e);
    return 1;
}
static inline const bench_big *big_get(big_map *m, uint64_t k) {
    big_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    return e ? &e->val : NULL;
}
static inline int big_del(big_map *m, uint64_t k) {
    big_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    if (!e) return 0;
    HASH_DEL(m->head, e);
    free(e);
    return 1;
}
static uint64_t big_sum(big_map *m) {
    uint64_t s = 0;
    for (big_ent *e = m->head; e; e = e->hh.next)
        s += e->val.w[0];
    return s;
}

static str_map *str_new(void) {
    return new_map();
}
static void str_free(str_map *m) {
    CLEAR(m, str_ent);
    free(m);
}
static inline int str_put(str_map *m, const char *k, uint64_t v) {
    str_ent *e;
    size_t len = strlen(k);
    HASH_FIND(hh, m->head, k, len, e);
    if (e) return e->val = v, 0;
    e = new_ent(sizeof *e);
    e->key = k, e->val = v;
    HASH_ADD_KEYPTR(hh, m->head, e->key, len, e);
    return 1;
}
static inline int str_get(str_map *m, const char *k, uint64_t *v) {
    str_ent *e;
    HASH_FIND(hh, m->head, k, strlen(k), e);
    if (e) *v = e->val;
    return e != NULL;
}
static inline int str_del(str_map *m, const char *k) {
    str_ent *e;
    HASH_FIND(hh, m->head, k, strlen(k), e);
    if (!e) return 0;
    HASH_DEL(m->head, e);
    free(e);
    return 1;
}
static uint64_t str_sum(str_map *m) {
    uint64_t s = 0;
    for (str_ent *e = m->head; e; e = e->hh.next)
        s += e->val;
    return s;
}

static own_map *own_new(void) {
    return new_map();
}
static void own_drop(own_ent *e) {
    free(e->key);
    free(e->val);
    free(e);
}
static void own_clear(own_map *m) {
    own_ent *e, *t;
    HASH_ITER(hh, m->head, e, t) {
        HASH_DEL(m->head, e);
        own_drop(e);
    }
}
static void own_free(own_map *m) {
    own_clear(m), free(m);
}
static inline int own_put(own_map *m, const char *k, size_t len, void *v) {
    own_ent *e;
    HASH_FIND(hh, m->head, k, len, e);
    if (e) return free(e->val), e->val = v, 0;
    e = new_ent(sizeof *e);
    e->key = new_ent(len + 1);
    memcpy(e->key, k, len + 1);
    e->val = v;
    HASH_ADD_KEYPTR(hh, m->head, e->key, len, e);
    return 1;
}
static inline int own_del(own_map *m, const char *k, size_t len) {
    own_ent *e;
    HASH_FIND(hh, m->head, k, len, e);
    if (!e) return 0;
    HASH_DEL(m->head, e);
    own_drop(e);
    return 1;
}

/* The identity map: from here on, HASH_FUNCTION is the identity folded to 32 bits. */
#undef HASH_FUNCTION
#define HASH_FUNCTION(keyptr, keylen, hashv)                                                       \
    do {                                                                                           \
        uint64_t k_;                                                                               \
        memcpy(&k_, (keyptr), 8);                                                                  \
        (hashv) = (unsigned)(k_ ^ (k_ >> 32));                                                     \
    } while (0)
static id_map *id_new(void) {
    return new_map();
}
static void id_free(id_map *m) {
    CLEAR(m, u64_ent);
    free(m);
}
static inline int id_put(id_map *m, uint64_t k, uint64_t v) {
    u64_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    if (e) return e->val = v, 0;
    e = new_ent(sizeof *e);
    e->key = k, e->val = v;
    HASH_ADD(hh, m->head, key, sizeof k, e);
    return 1;
}
static inline int id_get(id_map *m, uint64_t k, uint64_t *v) {
    u64_ent *e;
    HASH_FIND(hh, m->head, &k, sizeof k, e);
    if (e) *v = e->val;
    return e != NULL;
}

#include "workload.h"
