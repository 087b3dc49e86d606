/* bench/duel.c — ebb against boost::unordered_flat_map in one process, batch by batch.
 *
 *     build/bench/duel [u64|str|big] [N] [ROUNDS] [BATCH]
 *                                  (defaults u64, 1000000, 5, 4096; `make bench-duel`)
 *
 * The side-by-side drivers (bench/run.sh) time each table in a process of its own and interleave
 * rounds; on a shared VM the machine's speed drifts by more than the differences being measured
 * within a round's few seconds. Here both maps live in one process and take turns every BATCH
 * operations (a fraction of a millisecond), on the same keys, which table goes first alternating
 * from batch to batch; every batch pair gives one ratio, ebb's time over boost's, and the median
 * of those ratios is the figure. Drift slower than a batch pair cancels out of each ratio, a pause
 * inside one batch moves one ratio, not the median. What both maps share instead is the cache:
 * each batch starts where the other map's has evicted some of its lines, alike for both.
 *
 * Workloads, u64 -> u64 with keys key_of(i), borrowed C string -> u64 with keys str_key(i)
 * (11 to 40 bytes; bench/common.h), or u64 -> 56 bytes ("big": 64-byte entries, keys key_of(i)),
 * N entries:
 *   insert    both grow from empty to N, BATCH inserts at a time
 *   hit       ROUNDS passes over the N keys
 *   miss      ROUNDS passes over N keys that are absent
 *   churn     ROUNDS x N pairs: insert a new key, delete the oldest (the size stays at N)
 *   delete    every key deleted, the maps drain to empty
 * Each line: batch pairs, each table's median ns/op over its batches, the median ratio and the
 * quartiles of the ratios, and the ratio of the two totals (which counts boost's rehashes, which
 * fall in a few batches, where the median does not; and pauses of the machine too). Values are
 * checked (keys found, counts), so a broken table fails. */
#define TABLE_NAME "duel"
#include <inttypes.h>
#include <time.h>

#include "common.h"
#include "duel.h"

typedef struct sample {
    double *ebb, *boost; /* ns per operation, one per batch */
    size_t n;
} sample;

/* Which batch operation a turn runs, on which keys. */
typedef struct turn {
    enum { PUT, GET, DEL, CHURN } op;
    const void *keys, *out; /* out: the keys a churn deletes */
    size_t n;
    uint64_t expect; /* what the batch must return */
} turn;

/* The two sides: ebb's table first, boost's second. */
static const duel_table *side[2];

static uint64_t run_turn(const duel_table *t, void *m, const turn *u) {
    switch (u->op) {
    case PUT:
        return t->put(m, u->keys, u->n);
    case GET:
        return t->get(m, u->keys, u->n);
    case DEL:
        return t->del(m, u->keys, u->n);
    default:
        return t->churn(m, u->keys, u->out, u->n);
    }
}

/* One batch on each table, in the order batch number b says; records ns per operation. */
static void duel_batch(void *me, void *mb, const turn *u, size_t b, sample *s, const char *what) {
    void *maps[2] = {me, mb};
    double ns[2];
    for (int k = 0; k < 2; k++) {
        int w = (int)((b + (size_t)k) & 1u); /* ebb first on even batches, boost first on odd */
        double t0 = now_ns();
        uint64_t got = run_turn(side[w], maps[w], u);
        ns[w] = (now_ns() - t0) / (double)u->n;
        if (got != u->expect)
            die("%s: %s returned %" PRIu64 " for a batch, not %" PRIu64, what, side[w]->name, got,
                u->expect);
    }
    s->ebb[s->n] = ns[0];
    s->boost[s->n] = ns[1];
    s->n++;
}

static void report(const char *what, sample *s) {
    double *ratio = malloc(s->n * sizeof *ratio);
    if (!ratio) die("out of memory");
    double total_ebb = 0, total_boost = 0;
    for (size_t i = 0; i < s->n; i++) {
        ratio[i] = s->ebb[i] / s->boost[i];
        total_ebb += s->ebb[i];
        total_boost += s->boost[i];
    }
    double q1 = quantile(ratio, s->n, 0.25), med = quantile(ratio, s->n, 0.5),
           q3 = quantile(ratio, s->n, 0.75);
    printf("%-8s %8zu %11.1f %13.1f %14.3f   [%.3f, %.3f] %12.3f\n", what, s->n,
           quantile(s->ebb, s->n, 0.5), quantile(s->boost, s->n, 0.5), med, q1, q3,
           total_ebb / total_boost);
    free(ratio);
    s->n = 0;
}

/* The keys of one kind: n of them, from index `first` on, into keys (8-byte elements: uint64_t,
 * or pointers into text, STR_KEY_MAX + 1 bytes a key). */
typedef struct keyset {
    void *keys;
    char *text; /* str: where the strings are */
} keyset;

/* The kinds of map, named as on the command line; the string maps' keys are C strings. */
static const struct kind {
    const char *arg, *what;
    const duel_table *ebb, *boost;
    int strings;
} kinds[] = {{"u64", "u64 -> u64", &duel_ebb, &duel_boost, 0},
             {"str", "string -> u64", &duel_ebb_str, &duel_boost_str, 1},
             {"big", "u64 -> 56 bytes", &duel_ebb_big, &duel_boost_big, 0}};

static int strings; /* 1: string keys */

static void make_keys(keyset *k, uint64_t first, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        if (strings) {
            char *p = k->text + i * (STR_KEY_MAX + 1);
            str_key(first + i, p);
            ((const char **)k->keys)[i] = p;
        } else {
            ((uint64_t *)k->keys)[i] = key_of(first + i);
        }
    }
}

static keyset new_keyset(uint64_t n) {
    keyset k = {malloc(n * 8), strings ? malloc(n * (STR_KEY_MAX + 1)) : NULL};
    if (!k.keys || (strings && !k.text)) die("out of memory");
    return k;
}

static const void *at(const keyset *k, uint64_t i) {
    return (const char *)k->keys + i * 8;
}

/* One pass of op over all n keys (and, for a churn, the n keys it deletes), a batch at a time;
 * every batch must find all its keys, or none (found == 0). b numbers the batches. */
static void pass(void *me, void *mb, int op, const keyset *in, const keyset *out, uint64_t n,
                 uint64_t batch, int found, size_t *b, sample *s, const char *what) {
    for (uint64_t i = 0; i < n; i += batch, (*b)++) {
        size_t len = (size_t)(n - i < batch ? n - i : batch);
        turn u = {op, at(in, i), out ? at(out, i) : NULL, len, found ? len : 0};
        duel_batch(me, mb, &u, *b, s, what);
    }
}

int main(int argc, char **argv) {
    int a = 1;
    const struct kind *kind = &kinds[0];
    for (size_t i = 0; a < argc && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(argv[a], kinds[i].arg) == 0) {
            kind = &kinds[i];
            a++;
            break;
        }
    }
    strings = kind->strings;
    if (argc - a > 3) die("usage: duel [u64|str|big] [N] [ROUNDS] [BATCH]");
    uint64_t n = bench_arg(argc, argv, a, 1000000, 1ull << 32, "N");
    uint64_t rounds = bench_arg(argc, argv, a + 1, 5, 1000, "ROUNDS");
    uint64_t batch = bench_arg(argc, argv, a + 2, 4096, 1u << 20, "BATCH");
    if (batch > n) batch = n;
    side[0] = kind->ebb;
    side[1] = kind->boost;
    size_t pairs = (size_t)((n + batch - 1) / batch * rounds);
    keyset keys = new_keyset(n), fresh = new_keyset(n);
    sample s = {malloc(pairs * sizeof(double)), malloc(pairs * sizeof(double)), 0};
    if (!s.ebb || !s.boost) die("out of memory");
    void *me = side[0]->make(), *mb = side[1]->make();
    if (!me || !mb) die("out of memory");
    printf("duel: ebb / boost::unordered_flat_map, %s, %" PRIu64 " entries, batches of %" PRIu64
           ", %" PRIu64 " rounds\n",
           kind->what, n, batch, rounds);
    printf("%-8s %8s %11s %13s %14s   %-14s %12s\n", "op", "batches", "ebb ns/op", "boost ns/op",
           "ratio median", "[q1, q3]", "total ratio");
    make_keys(&keys, 0, n);
    size_t b = 0;
    pass(me, mb, PUT, &keys, NULL, n, batch, 1, &b, &s, "insert");
    report("insert", &s);
    for (uint64_t r = 0; r < rounds; r++)
        pass(me, mb, GET, &keys, NULL, n, batch, 1, &b, &s, "hit");
    report("hit", &s);
    make_keys(&fresh, n, n);
    for (uint64_t r = 0; r < rounds; r++)
        pass(me, mb, GET, &fresh, NULL, n, batch, 0, &b, &s, "miss");
    report("miss", &s);
    /* Churn: round r inserts the keys of index n(r+1) .. n(r+2) and deletes those of the round
     * before, so each key lives N pairs; the strings of the keys deleted are then free for the
     * next round's new ones. */
    for (uint64_t r = 0; r < rounds; r++) {
        make_keys(&fresh, n * (r + 1), n);
        pass(me, mb, CHURN, &fresh, &keys, n, batch, 1, &b, &s, "churn");
        keyset t = keys;
        keys = fresh;
        fresh = t;
    }
    report("churn", &s);
    pass(me, mb, DEL, &keys, NULL, n, batch, 1, &b, &s, "delete");
    report("delete", &s);
    printf(
        "ratio: ebb's time / boost's on the same batch of keys, below 1 when ebb is faster; total\n"
        "ratio: over every batch, so it counts the batches where a table resized (the median\n"
        "does not), and a pause of the machine too\n");
    side[0]->release(me);
    side[1]->release(mb);
    free(keys.keys);
    free(keys.text);
    free(fresh.keys);
    free(fresh.text);
    free(s.ebb);
    free(s.boost);
    return 0;
}
