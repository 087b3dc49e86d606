/* Memory as the process sees it: resident set size (RSS, /proc/self/statm) and the map's own
 * accounting. A map's memory follows its contents: after most entries leave, the process holds
 * about what a fresh map of the survivors would; after clear, nothing; under churn at a steady
 * size, no creep. And no single operation does more than a bounded share of a resize.
 *
 * RSS is measured as growth over a baseline taken just before each map is built, with every
 * other buffer of the test allocated and touched beforehand. Under AddressSanitizer RSS also
 * counts shadow memory and quarantined blocks, so the RSS checks only run in the optimised
 * build (and under other allocators: tests/memory_allocators.sh); the map's own figures
 * (stats.bytes, stats.moved) are checked in every build. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testutil.h"

#define EBB_NAME umap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

typedef struct big { /* a 2 KiB value: entries of 2056 bytes */
    uint64_t word[256];
} big;

#define EBB_NAME bmap
#define EBB_KEY  uint64_t
#define EBB_VAL  big
#include "ebb/map.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define MB (1024.0 * 1024.0)
/* Keys are a bijection of i + 1, so the image of 0 is never one of them. */
static uint64_t key_of(size_t i) {
    return scramble(i + 1, 0xa11ce);
}
#define SPARE_KEY scramble(0, 0xa11ce)

static ebb_stats stats_of(const umap *m) {
    ebb_stats st;
    umap_stats(m, &st);
    return st;
}

/* Finish a resize under way: a put and a delete of an absent key each advance it. */
static void settle(umap *m) {
    while (stats_of(m).migrating) {
        umap_put(m, SPARE_KEY, 0);
        umap_delete(m, SPARE_KEY);
    }
}

static size_t rss_since(size_t base) {
    size_t now = rss_bytes();
    return now > base ? now - base : 0;
}

/* Table bytes for n 16-byte entries: ebb holds at most this many times n * 16 once a shrink has
 * done its work. The first shrink after a growth comes at 3/8 of the limit, which is 7/8 of the
 * slots, and each slot costs 16 + 16/15 bytes with its control byte: 1 / (3/8 * 7/8) * 16/15. */
#define SPARSE_FACTOR 3.26

static bool bytes_follow_entries(const ebb_stats *st) {
    double need = (double)st->entries * 16;
    return (double)st->bytes <= need * SPARSE_FACTOR + 4096;
}

/* (a), (b), (c): insert N, delete 90% at random; the survivors' RSS compared with a fresh map of
 * them; clear returns everything; stats.bytes follows the entries all the way down. */
static void test_delete_most_then_fresh(void) {
    size_t n = test_scaled(2000000), keep = n / 10;
    uint64_t *keys = malloc(n * sizeof *keys);
    CHECK(keys);
    rng g = {2024};
    for (size_t i = 0; i < n; i++)
        keys[i] = key_of(i);
    for (size_t i = n - 1; i > 0; i--) { /* shuffle: the first n - keep are deleted */
        size_t j = rng_below(&g, i + 1);
        uint64_t t = keys[i];
        keys[i] = keys[j];
        keys[j] = t;
    }
    bool ok = true;

    size_t base = rss_bytes();
    umap m;
    umap_init(&m);
    for (size_t i = 0; ok && i < n; i++)
        ok = umap_put(&m, keys[i], i) == EBB_INSERTED;
    size_t rss_full = rss_since(base);
    for (size_t i = 0; ok && i < n - keep; i++) {
        ok = umap_delete(&m, keys[i]);
        if (ok && (i + 1) % (n / 10) == 0) { /* at every tenth: bytes follow the entries */
            settle(&m);
            ebb_stats st = stats_of(&m);
            if (!bytes_follow_entries(&st)) {
                fprintf(stderr, "  %zu entries hold %zu bytes\n", st.entries, st.bytes);
                ok = false;
            }
        }
    }
    CHECK(ok);
    settle(&m);
    size_t rss_after = rss_since(base);
    ebb_stats st = stats_of(&m);
    CHECK_EQ_U(st.entries, keep);
    CHECK(bytes_follow_entries(&st));
    umap_clear(&m);
    size_t rss_cleared = rss_since(base);
    umap_destroy(&m);

    base = rss_bytes();
    umap_init(&m);
    for (size_t i = n - keep; ok && i < n; i++)
        ok = umap_put(&m, keys[i], i) == EBB_INSERTED;
    settle(&m);
    size_t rss_fresh = rss_since(base);
    ebb_stats fresh = stats_of(&m);
    /* The fresh map's table, shrunk to fit: the map's own floor. */
    CHECK_EQ_U(umap_shrink_to_fit(&m), EBB_OK);
    ebb_stats fit = stats_of(&m);
    umap_destroy(&m);
    free(keys);

    double ratio = (double)rss_after / (double)(rss_fresh ? rss_fresh : 1);
    fprintf(stderr,
            "  %zu inserted: RSS +%.1f MB; 90%% deleted: +%.2f MB (table %.2f MB); fresh map of "
            "the %zu survivors: +%.2f MB (table %.2f MB); ratio %.2f; after clear: +%.2f MB\n",
            n, rss_full / MB, rss_after / MB, st.bytes / MB, keep, rss_fresh / MB, fresh.bytes / MB,
            ratio, rss_cleared / MB);
    fprintf(stderr, "  survivors' table %.2fx entries*16; after shrink_to_fit %.2fx\n",
            (double)st.bytes / (double)(keep * 16), (double)fit.bytes / (double)(keep * 16));
    CHECK(ok);
    CHECK(st.bytes <= fresh.bytes * 13 / 10); /* the map's own view of (a) */
    CHECK((double)fit.bytes <= (double)keep * 16 * 1.25 + 512);
    if (UNDER_ASAN) return;
    CHECK(rss_full > n * 16);               /* the measurement sees the table */
    CHECK(ratio <= 1.3);                    /* (a) */
    CHECK((double)rss_cleared <= 1.0 * MB); /* (b) */
}

/* Deletes that stop just after a shrink began leave both tables until the next write: lookups
 * move nothing (readers share the map), and shrink_to_fit() ends the migration and hands the old
 * table back (docs/design.md, "Resizing without stalls"). */
static void test_shrink_to_fit_ends_a_shrink(void) {
    size_t n = test_scaled(1000000), deleted = 0;
    size_t base = rss_bytes();
    umap m;
    umap_init(&m);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = umap_put(&m, key_of(i), i) == EBB_INSERTED;
    CHECK(ok);
    /* Delete (the keys are scrambled, so in any order) until a shrink is under way. */
    uint64_t shrinks = stats_of(&m).shrinks;
    for (; ok && deleted < n && stats_of(&m).shrinks == shrinks; deleted++)
        ok = umap_delete(&m, key_of(deleted));
    ebb_stats mid = stats_of(&m);
    CHECK(ok && mid.shrinks == shrinks + 1 && mid.migrating > 0);
    size_t rss_mid = rss_since(base);
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        found += umap_get(&m, key_of(i)) != NULL && i >= deleted;
    CHECK_EQ_U(found, n - deleted);
    CHECK_EQ_U(stats_of(&m).migrating, mid.migrating); /* reading moved nothing */
    CHECK_EQ_U(umap_shrink_to_fit(&m), EBB_OK);
    ebb_stats fit = stats_of(&m);
    size_t rss_fit = rss_since(base);
    fprintf(stderr,
            "  %zu of %zu deleted, a shrink under way (%zu to move): table %.2f MB, RSS +%.2f MB; "
            "after shrink_to_fit: table %.2f MB, RSS +%.2f MB\n",
            deleted, n, mid.migrating, mid.bytes / MB, rss_mid / MB, fit.bytes / MB, rss_fit / MB);
    CHECK_EQ_U(fit.migrating, 0);
    CHECK_EQ_U(fit.entries, n - deleted);
    CHECK(bytes_follow_entries(&fit));
    CHECK(fit.bytes * 3 < mid.bytes * 2); /* the old table, twice the new, is gone */
    CHECK_EQ_U(umap_check(&m), 0);
    umap_destroy(&m);
    if (UNDER_ASAN) return;
    CHECK(rss_fit * 3 < rss_mid * 2);
}

/* (d) No operation moves more than a bounded number of entries: growing to N, then deleting
 * everything, track stats.moved around each insert and delete. The bounds are those of the
 * design (src/table.c): a growth step stops once it has moved 24 entries, after finishing the
 * group it is in (up to 14 more); a shrink step, driven by deletes, moves up to 256 + 14. Large
 * entries stop at 16 KiB of them instead, but at least 2 growing and 16 shrinking: for entries
 * of 2056 bytes, 7 + 14 and 16 + 14. */
typedef struct moves_map { /* the maps under test behind one interface */
    const char *name;
    size_t entry_size, keys, most_growing, most_shrinking;
    void *(*create)(void);
    bool (*put)(void *m, uint64_t key); /* whether the key was new */
    bool (*del)(void *m, uint64_t key);
    ebb_stats (*stats)(const void *m);
    void (*destroy)(void *m);
} moves_map;

static void *u_create(void) {
    umap *m = malloc(sizeof *m);
    if (m) umap_init(m);
    return m;
}
static bool u_put(void *m, uint64_t key) {
    return umap_put(m, key, key) == EBB_INSERTED;
}
static bool u_del(void *m, uint64_t key) {
    return umap_delete(m, key);
}
static ebb_stats u_stats(const void *m) {
    return stats_of(m);
}
static void u_destroy(void *m) {
    umap_destroy(m);
    free(m);
}

static void *b_create(void) {
    bmap *m = malloc(sizeof *m);
    if (m) bmap_init(m);
    return m;
}
static bool b_put(void *m, uint64_t key) {
    big v = {{key}};
    return bmap_put(m, key, v) == EBB_INSERTED;
}
static bool b_del(void *m, uint64_t key) {
    return bmap_delete(m, key);
}
static ebb_stats b_stats(const void *m) {
    ebb_stats st;
    bmap_stats(m, &st);
    return st;
}
static void b_destroy(void *m) {
    bmap_destroy(m);
    free(m);
}

static const moves_map moves_maps[] = {
    {"16-byte entries", sizeof(umap_entry), 1000000, 38, 270, u_create, u_put, u_del, u_stats,
     u_destroy},
    {"2 KiB entries", sizeof(bmap_entry), 60000, 21, 30, b_create, b_put, b_del, b_stats,
     b_destroy},
};

static void bounded_moves(const moves_map *mm) {
    size_t n = test_scaled(mm->keys);
    void *m = mm->create();
    CHECK(m);
    if (!m) return;
    uint64_t max_insert = 0, max_delete = 0, before = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        ok = mm->put(m, key_of(i));
        uint64_t after = mm->stats(m).moved;
        if (after - before > max_insert) max_insert = after - before;
        before = after;
    }
    ebb_stats st = mm->stats(m);
    uint64_t grown = st.moved, grows = st.grows;
    for (size_t i = 0; ok && i < n; i++) {
        ok = mm->del(m, key_of(i));
        uint64_t after = mm->stats(m).moved;
        if (after - before > max_delete) max_delete = after - before;
        before = after;
    }
    st = mm->stats(m);
    mm->destroy(m);
    fprintf(stderr,
            "  %s, growing to %zu: %llu grows moved %llu entries, at most %llu in one insert; "
            "deleting all: %llu shrinks moved %llu, at most %llu in one delete\n",
            mm->name, n, (unsigned long long)grows, (unsigned long long)grown,
            (unsigned long long)max_insert, (unsigned long long)st.shrinks,
            (unsigned long long)(st.moved - grown), (unsigned long long)max_delete);
    CHECK(ok);
    CHECK(grown >= n / 2);   /* the counter counts: resizes did move entries */
    CHECK(st.moved > grown); /* and so did the shrinks */
    CHECK(max_insert <= mm->most_growing);
    CHECK(max_delete <= mm->most_shrinking);
}

static void test_bounded_moves(void) {
    for (size_t i = 0; i < sizeof moves_maps / sizeof *moves_maps; i++)
        bounded_moves(&moves_maps[i]);
}

/* (d') However few entries a step moves, a resize finishes before the next is due. The tightest
 * case: a shrink that follows a shrink (at 15/32 of the limit, so the most entries to move),
 * then inserts only. A migration still under way when the growth came would be finished in one
 * call (src/table.c keeps that as a guard): every entry must have left the retiring table by
 * the insert that starts the growth. */
static void shrink_done_before_growth(const moves_map *mm) {
    size_t n = test_scaled(mm->keys);
    void *m = mm->create();
    CHECK(m);
    if (!m) return;
    bool ok = true;
    size_t first = 0, next = 0;
    while (ok && next < n)
        ok = mm->put(m, key_of(next++));
    uint32_t shrinks = mm->stats(m).shrinks;
    while (ok && first < next && mm->stats(m).shrinks < shrinks + 2)
        ok = mm->del(m, key_of(first++));
    ebb_stats st = mm->stats(m);
    size_t at_shrink = st.entries, left_to_move = 0, inserts = 0;
    while (ok && st.grows == mm->stats(m).grows) {
        left_to_move = mm->stats(m).migrating;
        ok = mm->put(m, key_of(next++));
        inserts++;
    }
    mm->destroy(m);
    fprintf(stderr,
            "  %s: a second shrink at %zu entries, then %zu inserts to the next growth, with %zu "
            "entries still to move before it\n",
            mm->name, at_shrink, inserts, left_to_move);
    CHECK(ok);
    CHECK(st.shrinks == shrinks + 2 && st.migrating > 0); /* the shrink had begun, not ended */
    CHECK_EQ_U(left_to_move, 0);
}

static void test_shrink_done_before_growth(void) {
    for (size_t i = 0; i < sizeof moves_maps / sizeof *moves_maps; i++)
        shrink_done_before_growth(&moves_maps[i]);
}

/* (e) Steady churn at a fixed size does not creep. */
static void test_churn_rss(void) {
    size_t n = test_scaled(200000);
    unsigned long ops = test_scaled(2000000);
    uint64_t *live = malloc(n * sizeof *live);
    CHECK(live);
    memset(live, 0, n * sizeof *live);
    rng g = {7};
    bool ok = true;
    size_t base = rss_bytes();
    umap m;
    umap_init(&m);
    size_t next = 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = umap_put(&m, live[i] = key_of(next++), i) == EBB_INSERTED;
    settle(&m);
    size_t rss_before = rss_since(base);
    ebb_stats st0 = stats_of(&m);
    for (unsigned long j = 0; ok && j < ops / 2; j++) { /* one insert and one delete */
        ok = umap_put(&m, key_of(next++), j) == EBB_INSERTED;
        size_t victim = rng_below(&g, n);
        ok = ok && umap_delete(&m, live[victim]);
        live[victim] = key_of(next - 1);
    }
    settle(&m);
    size_t rss_after = rss_since(base);
    ebb_stats st1 = stats_of(&m);
    umap_destroy(&m);
    free(live);
    fprintf(stderr,
            "  churn at %zu entries, %lu ops: RSS +%.2f MB before, +%.2f MB after (%.3fx); "
            "table %zu -> %zu bytes\n",
            n, ops, rss_before / MB, rss_after / MB,
            (double)rss_after / (double)(rss_before ? rss_before : 1), st0.bytes, st1.bytes);
    CHECK(ok);
    CHECK_EQ_U(st1.entries, n);
    CHECK_EQ_U(st1.bytes, st0.bytes);
    if (UNDER_ASAN) return;
    CHECK(rss_before >= st0.bytes / 2);
    CHECK((double)rss_after <= (double)rss_before * 1.10);
}

int main(void) {
    if (UNDER_ASAN) fprintf(stderr, "  AddressSanitizer build: RSS figures printed, not checked\n");
    RUN(test_delete_most_then_fresh);
    RUN(test_shrink_to_fit_ends_a_shrink);
    RUN(test_bounded_moves);
    RUN(test_shrink_done_before_growth);
    RUN(test_churn_rss);
    return check_summary();
}
