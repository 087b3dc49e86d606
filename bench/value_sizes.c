/* bench/value_sizes.c — the slowest inserts and deletes, by the size of an entry.
 *
 *     build/bench/value_sizes [MIB] [THRESHOLD_US]   (defaults 200 100)
 *
 * For entries of 16, 64, 256 and 2056 bytes (u64 keys; values of 8, 56, 248 and 2048 bytes),
 * grows a map from empty to MIB mebibytes of entries (random keys) and deletes every key again,
 * timing each operation, and reports per size and phase: ns per operation, p99.9, the slowest,
 * and how many took longer than the threshold. A resize step copies entries and faults in the
 * pages they land on, so what a step may cost depends on the bytes it moves, not on how many
 * entries: src/table.c budgets steps by entry size, and this is the check of that budget. The
 * machine's own pauses land here too (docs/design.md, "Resizing without stalls"): compare sizes
 * and builds within one run, not against 0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ebb/ebb.h"

typedef struct v8 {
    uint64_t w[1];
} v8;
typedef struct v56 {
    uint64_t w[7];
} v56;
typedef struct v248 {
    uint64_t w[31];
} v248;
typedef struct v2048 {
    uint64_t w[256];
} v2048;

#define EBB_NAME map8
#define EBB_KEY  uint64_t
#define EBB_VAL  v8
#include "ebb/map.h"
#define EBB_NAME map56
#define EBB_KEY  uint64_t
#define EBB_VAL  v56
#include "ebb/map.h"
#define EBB_NAME map248
#define EBB_KEY  uint64_t
#define EBB_VAL  v248
#include "ebb/map.h"
#define EBB_NAME map2048
#define EBB_KEY  uint64_t
#define EBB_VAL  v2048
#include "ebb/map.h"

/* Each size's map behind one interface: the value written is the key in every word. */
#define SIZED_OPS(NAME, VAL)                                                                       \
    static void *NAME##_create(void) {                                                             \
        NAME *m = malloc(sizeof *m);                                                               \
        if (m) NAME##_init(m);                                                                     \
        return m;                                                                                  \
    }                                                                                              \
    static int NAME##_insert(void *m, uint64_t k) {                                                \
        VAL v;                                                                                     \
        for (size_t i = 0; i < sizeof v.w / sizeof *v.w; i++)                                      \
            v.w[i] = k;                                                                            \
        return NAME##_put(m, k, v) == EBB_INSERTED;                                                \
    }                                                                                              \
    static int NAME##_remove(void *m, uint64_t k) {                                                \
        return NAME##_delete(m, k);                                                                \
    }                                                                                              \
    static void NAME##_free(void *m) {                                                             \
        NAME##_destroy(m);                                                                         \
        free(m);                                                                                   \
    }
SIZED_OPS(map8, v8)
SIZED_OPS(map56, v56)
SIZED_OPS(map248, v248)
SIZED_OPS(map2048, v2048)

typedef struct sized {
    size_t entry_size;
    void *(*create)(void);
    int (*insert)(void *m, uint64_t k); /* whether the key was new */
    int (*remove)(void *m, uint64_t k); /* whether it was there */
    void (*free)(void *m);
} sized;

#define SIZED(NAME)                                                                                \
    { sizeof(NAME##_entry), NAME##_create, NAME##_insert, NAME##_remove, NAME##_free }
static const sized sizes[] = {SIZED(map8), SIZED(map56), SIZED(map248), SIZED(map2048)};

#define HIST_US 1000 /* whole microseconds below this, then one bucket */

typedef struct tally {
    uint64_t ops, ns, slowest_ns, over;
    uint64_t hist[HIST_US + 1];
} tally;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t key_of(uint64_t i) {
    uint64_t x = i ^ 0x5eedull;
    x = (x ^ (x >> 31)) * 0x7fb5d329728ea185ull;
    x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
}

static void count(tally *t, uint64_t ns, uint64_t threshold_us) {
    uint64_t us = ns / 1000;
    t->ops++;
    t->ns += ns;
    if (ns > t->slowest_ns) t->slowest_ns = ns;
    t->over += us >= threshold_us;
    t->hist[us < HIST_US ? us : HIST_US]++;
}

/* The microsecond below which 99.9% of the operations took. */
static uint64_t p999_us(const tally *t) {
    uint64_t seen = 0, need = t->ops - t->ops / 1000;
    for (uint64_t us = 0; us <= HIST_US; us++)
        if ((seen += t->hist[us]) >= need) return us + 1;
    return HIST_US;
}

static void report(const char *phase, size_t entry_size, uint64_t n, const tally *t) {
    printf("%6zu  %-7s %9llu %8.0f %9llu %10.0f %8llu\n", entry_size, phase, (unsigned long long)n,
           (double)t->ns / (double)t->ops, (unsigned long long)p999_us(t),
           (double)t->slowest_ns / 1000.0, (unsigned long long)t->over);
}

static int run(const sized *s, uint64_t n, uint64_t threshold_us) {
    static tally grow, shrink;
    memset(&grow, 0, sizeof grow);
    memset(&shrink, 0, sizeof shrink);
    void *m = s->create();
    if (!m) return 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = key_of(i), t0 = now_ns();
        int ok = s->insert(m, k);
        count(&grow, now_ns() - t0, threshold_us);
        if (!ok) return 0;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = key_of(i), t0 = now_ns();
        int ok = s->remove(m, k);
        count(&shrink, now_ns() - t0, threshold_us);
        if (!ok) return 0;
    }
    s->free(m);
    report("insert", s->entry_size, n, &grow);
    report("delete", s->entry_size, n, &shrink);
    return 1;
}

/* A whole decimal number in [1, most], or 0. */
static unsigned long whole_arg(const char *s, unsigned long most) {
    char *end = NULL;
    if (*s < '0' || *s > '9') return 0;
    unsigned long v = strtoul(s, &end, 10);
    return *end || v > most ? 0 : v;
}

int main(int argc, char **argv) {
    unsigned long mib = argc > 1 ? whole_arg(argv[1], 16384) : 200;
    unsigned long threshold = argc > 2 ? whole_arg(argv[2], 1000000) : 100;
    if (argc > 3 || mib == 0 || threshold == 0) {
        fprintf(stderr, "usage: value_sizes [MIB 1..16384] [THRESHOLD_US 1..1000000]\n");
        return 2;
    }
    printf("# grow to %lu MiB of entries, then delete every key; operations over %lu us\n", mib,
           threshold);
    printf("%6s  %-7s %9s %8s %9s %10s %8s\n", "entry", "phase", "ops", "ns/op", "p99.9_us",
           "slowest_us", "over");
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        if (!run(&sizes[i], (uint64_t)mib * 1024 * 1024 / sizes[i].entry_size, threshold)) {
            fprintf(stderr, "value_sizes: an insert or delete failed (out of memory?)\n");
            return 1;
        }
    return 0;
}
