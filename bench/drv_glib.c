/* glib's GHashTable (Debian 12's libglib2.0-dev). u64 keys and values are stored in the
 * pointers themselves (no allocation, the usual idiom); the 56-byte value is allocated per
 * entry and freed by the table's value destructor. The hash is ebb's, folded to glib's 32 bits. */
#define TABLE_NAME "glib"
#include <glib.h>

#include "common.h"

typedef GHashTable u64_map, big_map, str_map, own_map, id_map;

static guint u64_hashfn(gconstpointer p) {
    return (guint)hash_u64((uint64_t)(uintptr_t)p);
}
static gboolean u64_eqfn(gconstpointer a, gconstpointer b) {
    return a == b;
}
static guint str_hashfn(gconstpointer p) {
    return (guint)hash_str((const char *)p, strlen((const char *)p));
}
static gboolean str_eqfn(gconstpointer a, gconstpointer b) {
    return strcmp((const char *)a, (const char *)b) == 0;
}
static guint id_hashfn(gconstpointer p) { /* g_int64_hash's folding of the key, no mixing */
    uint64_t k = (uint64_t)(uintptr_t)p;
    return (guint)(k ^ (k >> 32));
}
#define KEY(k) ((gpointer)(uintptr_t)(k))

static GHashTable *u64_new(void) {
    return g_hash_table_new(u64_hashfn, u64_eqfn);
}
static void u64_free(GHashTable *m) {
    g_hash_table_destroy(m);
}
static inline int u64_put(GHashTable *m, uint64_t k, uint64_t v) {
    return g_hash_table_insert(m, KEY(k), KEY(v));
}
static inline int u64_get(GHashTable *m, uint64_t k, uint64_t *v) {
    gpointer ok, ov;
    if (!g_hash_table_lookup_extended(m, KEY(k), &ok, &ov)) return 0;
    *v = (uint64_t)(uintptr_t)ov;
    return 1;
}
static inline int u64_del(GHashTable *m, uint64_t k) {
    return g_hash_table_remove(m, KEY(k));
}
static void u64_clear(GHashTable *m) {
    g_hash_table_remove_all(m);
}
static uint64_t u64_sum(GHashTable *m) {
    GHashTableIter it;
    gpointer k, v;
    uint64_t s = 0;
    g_hash_table_iter_init(&it, m);
    while (g_hash_table_iter_next(&it, &k, &v))
        s += (uint64_t)(uintptr_t)v;
    return s;
}

static GHashTable *big_new(void) {
    return g_hash_table_new_full(u64_hashfn, u64_eqfn, NULL, free);
}
static void big_free(GHashTable *m) {
    g_hash_table_destroy(m);
}
static inline int big_put(GHashTable *m, uint64_t k, const bench_big *v) {
    bench_big *p = malloc(sizeof *p);
    if (!p) die("out of memory");
    *p = *v;
    return g_hash_table_insert(m, KEY(k), p);
}
static inline const bench_big *big_get(GHashTable *m, uint64_t k) {
    return g_hash_table_lookup(m, KEY(k));
}
static inline int big_del(GHashTable *m, uint64_t k) {
    return g_hash_table_remove(m, KEY(k));
}
static void big_clear(GHashTable *m) {
    g_hash_table_remove_all(m);
}
static uint64_t big_sum(GHashTable *m) {
    GHashTableIter it;
    gpointer k, v;
    uint64_t s = 0;
    g_hash_table_iter_init(&it, m);
    while (g_hash_table_iter_next(&it, &k, &v))
        s += ((const bench_big *)v)->w[0];
    return s;
}

static GHashTable *str_new(void) {
    return g_hash_table_new(str_hashfn, str_eqfn);
}
static void str_free(GHashTable *m) {
    g_hash_table_destroy(m);
}
static inline int str_put(GHashTable *m, const char *k, uint64_t v) {
    return g_hash_table_insert(m, (gpointer)k, KEY(v));
}
static inline int str_get(GHashTable *m, const char *k, uint64_t *v) {
    gpointer ok, ov;
    if (!g_hash_table_lookup_extended(m, k, &ok, &ov)) return 0;
    *v = (uint64_t)(uintptr_t)ov;
    return 1;
}
static inline int str_del(GHashTable *m, const char *k) {
    return g_hash_table_remove(m, k);
}
static uint64_t str_sum(GHashTable *m) {
    return u64_sum(m);
}

static GHashTable *own_new(void) {
    return g_hash_table_new_full(str_hashfn, str_eqfn, free, free);
}
static void own_free(GHashTable *m) {
    g_hash_table_destroy(m);
}
static inline int own_put(GHashTable *m, const char *k, size_t len, void *v) {
    char *copy = malloc(len + 1);
    if (!copy) die("out of memory");
    memcpy(copy, k, len + 1);
    return g_hash_table_insert(m, copy, v);
}
static inline int own_del(GHashTable *m, const char *k, size_t len) {
    (void)len;
    return g_hash_table_remove(m, k);
}
static void own_clear(GHashTable *m) {
    g_hash_table_remove_all(m);
}

static GHashTable *id_new(void) {
    return g_hash_table_new(id_hashfn, u64_eqfn);
}
static void id_free(GHashTable *m) {
    g_hash_table_destroy(m);
}
static inline int id_put(GHashTable *m, uint64_t k, uint64_t v) {
    return u64_put(m, k, v);
}
static inline int id_get(GHashTable *m, uint64_t k, uint64_t *v) {
    return u64_get(m, k, v);
}

#include "workload.h"
