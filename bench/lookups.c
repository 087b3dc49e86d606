/* bench/lookups.c — lookups by entry size: hits, misses, and the two mixed at random.
 *
 *     build/bench/lookups [N] [ROUNDS]     (defaults 1000000 and 5; `make bench-lookups`)
 *
 * For each entry size (16 to 256 bytes, bench/entry_maps.h), each round builds a map of N random
 * keys and looks up N keys three times: every key in random order (hits), N keys never inserted
 * (misses), and a random half of each (mixed: the processor cannot predict which lookup finds
 * its key, so a fetch that waits on a predicted branch is tested too). Sizes take turns within a
 * round, and every size looks up the same keys. Each line: the median over the rounds of ns per
 * lookup for the three streams. What each stream finds is counted and checked, so a lookup
 * that misses a key it should find, or finds one it should not, fails the run. To compare two
 * builds, build this at each and alternate the runs. */
#define TABLE_NAME "lookups"
#include "common.h"
#include "entry_maps.h"

enum { HITS, MISSES, MIXED, STREAMS, MAX_ROUNDS = 99 };
static const char *const stream_name[STREAMS] = {"hit ns", "miss ns", "mixed ns"};

/* The keys each stream looks up, and how many of them are in the map (keys key_of(0..n)). */
typedef struct streams {
    uint64_t *keys[STREAMS];
    size_t present[STREAMS];
} streams;

static streams make_streams(size_t n) {
    streams s = {{NULL}, {0}};
    uint64_t *order = shuffled(n);
    for (int k = 0; k < STREAMS; k++)
        if (!(s.keys[k] = malloc(n * sizeof(uint64_t)))) die("out of memory");
    if (!order) die("out of memory");
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        s.keys[HITS][i] = key_of(order[i]);
        s.keys[MISSES][i] = key_of(n + i);
        s.keys[MIXED][i] = x >> 63 ? s.keys[HITS][i] : s.keys[MISSES][i];
        s.present[MIXED] += x >> 63;
    }
    s.present[HITS] = n;
    free(order);
    return s;
}

/* One round at one size: build, then time each stream into ns[], per lookup. A key found must
 * carry its own value (key_of(i) holds i). */
#define LOOKUP_ROUND(name, words)                                                                  \
    static void round_##name(size_t n, const streams *s, double ns[STREAMS]) {                     \
        name m;                                                                                    \
        fill_##name(&m, n);                                                                        \
        for (int k = 0; k < STREAMS; k++) {                                                        \
            const uint64_t *keys = s->keys[k];                                                     \
            size_t found = 0;                                                                      \
            double t0 = now_ns();                                                                  \
            for (size_t i = 0; i < n; i++) {                                                       \
                const val##words *v = name##_get(&m, keys[i]);                                     \
                found += v && key_of(v->w[0]) == keys[i];                                          \
            }                                                                                      \
            ns[k] = (now_ns() - t0) / (double)n;                                                   \
            if (found != s->present[k])                                                            \
                die("%zu-byte entries, %s: found %zu keys of %zu", sizeof(name##_entry),           \
                    stream_name[k], found, s->present[k]);                                         \
        }                                                                                          \
        name##_destroy(&m);                                                                        \
    }
ENTRY_MAPS(LOOKUP_ROUND)

#define ROUND_FN(name, words) round_##name,
static void (*const rounds[ENTRY_SIZES])(size_t, const streams *,
                                         double *) = {ENTRY_MAPS(ROUND_FN)};

int main(int argc, char **argv) {
    if (argc > 3) die("usage: lookups [N] [ROUNDS]");
    size_t n = (size_t)bench_arg(argc, argv, 1, 1000000, 100000000, "N");
    int nrounds = (int)bench_arg(argc, argv, 2, 5, MAX_ROUNDS, "ROUNDS");
    streams s = make_streams(n);
    static double ns[ENTRY_SIZES][STREAMS][MAX_ROUNDS];
    for (int r = 0; r < nrounds; r++)
        for (int z = 0; z < ENTRY_SIZES; z++) {
            double round_ns[STREAMS];
            rounds[z](n, &s, round_ns);
            for (int k = 0; k < STREAMS; k++)
                ns[z][k][r] = round_ns[k];
        }
    printf("lookups: %zu entries, median of %d rounds\n", n, nrounds);
    printf("%-11s %12s %12s %12s\n", "entry", stream_name[HITS], stream_name[MISSES],
           stream_name[MIXED]);
    for (int z = 0; z < ENTRY_SIZES; z++)
        printf("%4u bytes  %12.2f %12.2f %12.2f\n", entry_bytes[z],
               quantile(ns[z][HITS], (size_t)nrounds, 0.5),
               quantile(ns[z][MISSES], (size_t)nrounds, 0.5),
               quantile(ns[z][MIXED], (size_t)nrounds, 0.5));
    for (int k = 0; k < STREAMS; k++)
        free(s.keys[k]);
    return 0;
}
