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
#include <time.h>

#include "common.h"

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

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct walk {
    double iterate, drain, moves; /* ns per entry, ns per delete, moves per delete */
} walk;

/* One round at one size: build, iterate, drain. The keys are key_of(0..n), deleted in the order
 * of `order` (a permutation). */
#define WALK_ROUND(name, words)                                                                    \
    static walk round_##name(size_t n, const uint64_t *order) {                                    \
        name m;                                                                                    \
        name##_init(&m);                                                                           \
        for (size_t i = 0; i < n; i++) {                                                           \
            val##words v = {{i}};                                                                  \
            if (name##_put(&m, key_of(i), v) != EBB_INSERTED) die("insert failed");                \
        }                                                                                          \
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
WALK_ROUND(map1, 1)
WALK_ROUND(map3, 3)
WALK_ROUND(map7, 7)
WALK_ROUND(map15, 15)
WALK_ROUND(map31, 31)

enum { SIZES = 5, MAX_ROUNDS = 99 };
static walk (*const rounds[SIZES])(size_t, const uint64_t *) = {round_map1, round_map3, round_map7,
                                                                round_map15, round_map31};
static const unsigned entry_bytes[SIZES] = {16, 32, 64, 128, 256};

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    if (argc > 3) die("usage: walks [N] [ROUNDS]");
    size_t n = (size_t)bench_arg(argc, argv, 1, 1000000, 100000000, "N");
    int nrounds = (int)bench_arg(argc, argv, 2, 5, MAX_ROUNDS, "ROUNDS");
    uint64_t *order = malloc(n * sizeof *order);
    if (!order) die("out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates, xorshift */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = (size_t)(x % (i + 1));
        uint64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    static double iter[SIZES][MAX_ROUNDS], drain[SIZES][MAX_ROUNDS], moves[SIZES];
    for (int r = 0; r < nrounds; r++)
        for (int s = 0; s < SIZES; s++) {
            walk w = rounds[s](n, order);
            iter[s][r] = w.iterate;
            drain[s][r] = w.drain;
            moves[s] = w.moves;
        }
    printf("walks: %zu entries, median of %d rounds\n", n, nrounds);
    printf("%-11s %14s %14s %16s\n", "entry", "iterate ns", "drain ns", "moves/delete");
    for (int s = 0; s < SIZES; s++)
        printf("%4u bytes  %14.2f %14.2f %16.3f\n", entry_bytes[s], median(iter[s], nrounds),
               median(drain[s], nrounds), moves[s]);
    free(order);
    return 0;
}
