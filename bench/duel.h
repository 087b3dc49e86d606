/* bench/duel.h — two tables in one process, timed batch by batch (bench/duel.c).
 *
 * Each table is a set of batch operations on a u64 -> u64 map: the loop over a batch runs
 * inside the table's own code, so each operation is inlined there as in the drivers, and only
 * one indirect call is paid per batch. */
#ifndef EBB_BENCH_DUEL_H
#define EBB_BENCH_DUEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct duel_table {
    const char *name;
    void *(*make)(void);                                   /* NULL when out of memory */
    void (*release)(void *m);                              /* frees the map */
    uint64_t (*put)(void *m, const uint64_t *k, size_t n); /* value = key; new keys */
    uint64_t (*get)(void *m, const uint64_t *k, size_t n); /* keys found */
    uint64_t (*del)(void *m, const uint64_t *k, size_t n); /* keys found */
    uint64_t (*churn)(void *m, const uint64_t *in, const uint64_t *out, size_t n);
    /* put in[i], then delete out[i], for each i: deletes that found their key */
} duel_table;

extern const duel_table duel_ebb, duel_boost;

#ifdef __cplusplus
}
#endif

#endif
