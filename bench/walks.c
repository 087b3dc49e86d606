/* bench/walks.c — the walks over a table in address order, by entry size: iteration, and the
 * migration of a map that drains to empty (every delete at random, shrinking as it goes).
 *
 *     build/bench/walks [N] [ROUNDS]      (defaults 1000000 and 5; `make bench-walks`)
 *
 * For each entry size (16 to 256 bytes: a u64 key and a value of 1 to 31 more words), each round
 * builds a map of N random keys, iterates over it once and then deletes every key in random
 * order. Sizes take turns within a round, so the machine's drift spreads over all of them alike.
 * Each line: the median over the rounds of ns per entry iterated and ns per delete, and the
 * entries a drain moved per delete (shrinking). The values read while iterating are summed and
 * checked, so a walk that skipped or repeated an entry fails. To compare two builds, build this
 * at each and alternate the runs: differences under ~5% are within this VM's spread. */
#define TABLE_NAME "walks"
#include "common.h"
#include "entry_maps.h"

typedef struct walk {
    double iterate, drain, moves; /* ns per entry, ns per delete, moves per delete */
} walk;

/* One round at one size: build, iterate, drain. The keys are key_of(0..n), deleted in the order
 * of `order` (a permutation). */
#define WALK_ROUND(name, words)                                                                    \
    static walk round_##name(size_t n, const uint64_t *order) {                                    \
        name m;                                                                                    \
        fill_##name(&m, n);                                                                        \
        walk w;                                                                                    \
        uint64_t sum = 0, seen = 0;                                                                \
        double t0 = now_ns();                                                                      \
        for (name##_iter it = name##_begin(&m); !name##_iter_done(&it); name##_next(&it)) {        \
            sum += it.val->w[0];                                                                   \
            seen++;                                                                                \
        }                                                                                          \
        w.iterate = (now_ns() - t0) / (double)n;                                                   \
        if (seen != n || sum != (uint64_t)n * (n - 1) / 2) die("iteration missed entries");        \
        ebb_stats st;                                                                              \
        name##_stats(&m, &st);                                                                     \
        uint64_t moved = st.moved;                                                                 \
        t0 = now_ns();                                                                             \
        for (size_t i = 0; i < n; i++)                                                             \
            if (!name##_delete(&m, key_of(order[i]))) die("delete missed a key");                  \
        w.drain = (now_ns() - t0) / (double)n;                                                     \
        name##_stats(&m, &st);                                                                     \
        w.moves = (double)(st.moved - moved) / (double)n;                                          \
        name##_destroy(&m);                                                                        \
        return w;                                                                                  \
    }
ENTRY_MAPS(WALK_ROUND)

enum { MAX_ROUNDS = 99 };
#define ROUND_FN(name, words) round_##name,
static walk (*const rounds[ENTRY_SIZES])(size_t, const uint64_t *) = {ENTRY_MAPS(ROUND_FN)};

int main(int argc, char **argv) {
    if (argc > 3) die("usage: walks [N] [ROUNDS]");
    size_t n = (size_t)bench_arg(argc, argv, 1, 1000000, 100000000, "N");
    int nrounds = (int)bench_arg(argc, argv, 2, 5, MAX_ROUNDS, "ROUNDS");
    uint64_t *order = shuffled(n);
    if (!order) die("out of memory");
    static double iter[ENTRY_SIZES][MAX_ROUNDS], drain[ENTRY_SIZES][MAX_ROUNDS], moves[ENTRY_SIZES];
    for (int r = 0; r < nrounds; r++)
        for (int s = 0; s < ENTRY_SIZES; s++) {
            walk w = rounds[s](n, order);
            iter[s][r] = w.iterate;
            drain[s][r] = w.drain;
            moves[s] = w.moves;
        }
    printf("walks: %zu entries, median of %d rounds\n", n, nrounds);
    printf("%-11s %14s %14s %16s\n", "entry", "iterate ns", "drain ns", "moves/delete");
    for (int s = 0; s < ENTRY_SIZES; s++)
        printf("%4u bytes  %14.2f %14.2f %16.3f\n", entry_bytes[s],
               quantile(iter[s], (size_t)nrounds, 0.5), quantile(drain[s], (size_t)nrounds, 0.5),
               moves[s]);
    free(order);
    return 0;
}
