/* bench/duel.h — two tables in one process, timed batch by batch (bench/duel.c).
 *
 * Each table is a set of batch operations on one map: the loop over a batch runs inside the
 * table's own code, so each operation is inlined there as in the drivers, and only one indirect
 * call is paid per batch. Keys come as an array of n elements of the table's key type: uint64_t
 * for the u64 -> u64 maps and the u64 -> 56-byte maps, const char * (NUL-terminated, borrowed:
 * the map keeps the pointer) for the string -> u64 maps. A value is derived from its key, so a
 * lookup can check it. */
#ifndef EBB_BENCH_DUEL_H
#define EBB_BENCH_DUEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct duel_table {
    const char *name;
    void *(*make)(void);                               /* NULL when out of memory */
    void (*release)(void *m);                          /* frees the map */
    uint64_t (*put)(void *m, const void *k, size_t n); /* new keys */
    uint64_t (*get)(void *m, const void *k, size_t n); /* keys found with their value */
    uint64_t (*del)(void *m, const void *k, size_t n); /* keys found */
    uint64_t (*churn)(void *m, const void *in, const void *out, size_t n);
    /* put in[i], then delete out[i], for each i: deletes that found their key */
} duel_table;

extern const duel_table duel_ebb, duel_boost, duel_ebb_str, duel_boost_str, duel_ebb_big,
    duel_boost_big;

/* The large value: 56 bytes (bench/common.h's bench_big), word j of key k's being k + j. */
typedef struct duel_big {
    uint64_t w[7];
} duel_big;

/* The values stored with a key, the same on both sides (C and C++), and whether a large value v
 * is key k's: its first and last words (a lookup reads the entry's line either way). A u64 key
 * is stored with itself. */
static inline uint64_t duel_str_value(const char *k) { /* its length and first byte */
    return (uint64_t)strlen(k) << 8 | (unsigned char)k[0];
}

/* Written out, not as a loop: GCC at -O2 kept the loop in the C side, which stored the words one
 * by one at computed addresses just before copying them into the call, and ebb's side of the
 * big churn took 1.11-1.21x boost's time against 0.85-0.88x written out, and inserts 0.91-0.92x
 * against 0.71-0.72x (`build/bench/duel big 1000000 3`, two runs each with the loop, at fcbf827,
 * and without it). The C++ side, which takes the value by reference, was not slowed. */
static inline duel_big duel_big_value(uint64_t k) {
    duel_big v = {{k, k + 1, k + 2, k + 3, k + 4, k + 5, k + 6}};
    return v;
}

static inline int duel_big_is(const duel_big *v, uint64_t k) {
    return v->w[0] == k && v->w[6] == k + 6;
}

#ifdef __cplusplus
}
#endif

#endif
