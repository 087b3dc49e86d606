/* bench/entry_maps.h — maps of u64 keys whose entries are 16 to 256 bytes, for the benchmarks
 * that compare entry sizes within one run (bench/walks.c, bench/lookups.c). Map mapW holds a
 * u64 key and a value valW of W words, so an entry is 8 * (W + 1) bytes.
 * ENTRY_MAPS(X) expands X(map, words) once per size, smallest first. Include after
 * bench/common.h. */
#ifndef EBB_BENCH_ENTRY_MAPS_H
#define EBB_BENCH_ENTRY_MAPS_H

#include <stdint.h>

#define ENTRY_MAPS(X)            X(map1, 1) X(map3, 3) X(map7, 7) X(map15, 15) X(map31, 31)
#define ENTRY_BYTES(name, words) 8u * ((words) + 1u),
static const unsigned entry_bytes[] = {ENTRY_MAPS(ENTRY_BYTES)};
enum { ENTRY_SIZES = sizeof entry_bytes / sizeof entry_bytes[0] };

typedef struct val1 {
    uint64_t w[1];
} val1;
#define EBB_NAME map1
#define EBB_KEY  uint64_t
#define EBB_VAL  val1
#include "ebb/map.h"

typedef struct val3 {
    uint64_t w[3];
} val3;
#define EBB_NAME map3
#define EBB_KEY  uint64_t
#define EBB_VAL  val3
#include "ebb/map.h"

typedef struct val7 {
    uint64_t w[7];
} val7;
#define EBB_NAME map7
#define EBB_KEY  uint64_t
#define EBB_VAL  val7
#include "ebb/map.h"

typedef struct val15 {
    uint64_t w[15];
} val15;
#define EBB_NAME map15
#define EBB_KEY  uint64_t
#define EBB_VAL  val15
#include "ebb/map.h"

typedef struct val31 {
    uint64_t w[31];
} val31;
#define EBB_NAME map31
#define EBB_KEY  uint64_t
#define EBB_VAL  val31
#include "ebb/map.h"

/* Fill m with keys key_of(0..n), key_of(i) holding i in its value's first word. */
#define ENTRY_FILL(name, words)                                                                    \
    static void fill_##name(name *m, size_t n) {                                                   \
        name##_init(m);                                                                            \
        for (size_t i = 0; i < n; i++) {                                                           \
            val##words v = {{i}};                                                                  \
            if (name##_put(m, key_of(i), v) != EBB_INSERTED) die("insert failed");                 \
        }                                                                                          \
    }
ENTRY_MAPS(ENTRY_FILL)

/* A random permutation of 0..n-1 (Fisher-Yates driven by xorshift), or NULL without memory. */
static uint64_t *shuffled(size_t n) {
    uint64_t *order = malloc(n * sizeof *order);
    if (!order) return NULL;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = (size_t)(x % (i + 1));
        uint64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    return order;
}

#endif
