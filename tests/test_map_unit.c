/* Unit tests of the generated map API (<ebb/map.h>): each call's contract on its own, the
 * hooks, other entry sizes and key types, statistics output, seeds, and an adversarial hash
 * under which every key collides. The randomized differential test is tests/test_map_diff.c. */
#include <ctype.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysinfo.h>

#include "check.h"
#include "testutil.h"

#include "ebb/strmap.h"
#include "ebb/u64map.h"

#define EBB_NAME umap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

/* ---- Helpers ------------------------------------------------------------------------------ */

static ebb_stats stats_of(const umap *m) {
    ebb_stats st;
    umap_stats(m, &st);
    return st;
}

static uint64_t key_of(size_t i) {
    return scramble(i, 0x5eed);
}
static size_t index_of(uint64_t k) {
    return (size_t)unscramble(k, 0x5eed);
}

static umap fixed_map(uint64_t seed) {
    umap m;
    ebb_options o = {NULL, seed, EBB_FIXED_SEED};
    umap_init_with(&m, &o);
    return m;
}

/* Insert key_of(i) -> i * 3 + 1 for i in [from, to). */
static bool fill(umap *m, size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
        if (umap_put(m, key_of(i), i * 3 + 1) != EBB_INSERTED) return false;
    return true;
}

/* Every key_of(i), i in [from, to), is present with its value. */
static bool all_present(const umap *m, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
        const uint64_t *v = umap_get(m, key_of(i));
        if (!v || *v != i * 3 + 1) return false;
    }
    return true;
}

/* ---- The basic calls ---------------------------------------------------------------------- */

static void test_empty_map(void) {
    umap m;
    umap_init(&m);
    CHECK_EQ_U(umap_count(&m), 0);
    CHECK(umap_get(&m, 0) == NULL);
    CHECK(umap_get(&m, 42) == NULL);
    CHECK(!umap_delete(&m, 42));
    uint64_t k = 7, v = 9;
    CHECK(!umap_take(&m, 42, &k, &v));
    CHECK(k == 7 && v == 9); /* untouched */
    umap_iter it = umap_begin(&m);
    CHECK(umap_iter_done(&it));
    umap_iter_delete(&it); /* no-op on a finished iterator */
    umap_next(&it);
    CHECK(umap_iter_done(&it));
    ebb_stats st = stats_of(&m);
    CHECK_EQ_U(st.entries, 0);
    CHECK_EQ_U(st.bytes, 0);
    CHECK_EQ_U(st.slots, 0);
    CHECK_EQ_U(st.migrating, 0);
    CHECK_EQ_U(st.longest_probe, 0);
    CHECK(st.mean_probe == 0.0 && st.load == 0.0);
    CHECK_EQ_U(umap_check(&m), 0);
    umap_clear(&m);
    CHECK_EQ_U(stats_of(&m).bytes, 0);
    CHECK_EQ_U(umap_shrink_to_fit(&m), EBB_OK);
    CHECK_EQ_U(stats_of(&m).bytes, 0);
    umap_destroy(&m);
    CHECK_EQ_U(stats_of(&m).bytes, 0);
    umap_destroy(&m); /* destroying an empty (destroyed) map again is harmless */
}

static void test_put_return_codes(void) {
    umap m;
    umap_init(&m);
    CHECK_EQ_U(umap_put(&m, 1, 10), EBB_INSERTED);
    CHECK_EQ_U(umap_put(&m, 2, 20), EBB_INSERTED);
    CHECK_EQ_U(umap_put(&m, 1, 11), EBB_OK);
    CHECK_EQ_U(umap_count(&m), 2);
    CHECK(umap_get(&m, 1) && *umap_get(&m, 1) == 11);
    CHECK(umap_get(&m, 2) && *umap_get(&m, 2) == 20);
    CHECK_EQ_U(umap_put(&m, 0, 5), EBB_INSERTED); /* key 0 is an ordinary key */
    CHECK(umap_get(&m, 0) && *umap_get(&m, 0) == 5);
    /* Through growth: overwriting any entry says OK and replaces its value. */
    CHECK(fill(&m, 10, 5010));
    for (size_t i = 10; i < 5010; i++)
        CHECK_EQ_U(umap_put(&m, key_of(i), i), EBB_OK);
    for (size_t i = 10; i < 5010; i++)
        CHECK(*umap_get(&m, key_of(i)) == i);
    CHECK_EQ_U(umap_count(&m), 5003);
    CHECK_EQ_U(umap_check(&m), 0);
    umap_destroy(&m);
}

static void test_get_or_insert(void) {
    umap m;
    umap_init(&m);
    /* Dirty the slots first, so a zeroed value is the map's doing, not fresh memory's. */
    for (size_t i = 0; i < 2000; i++)
        umap_put(&m, key_of(i), ~(uint64_t)0);
    for (size_t i = 0; i < 2000; i += 2)
        umap_delete(&m, key_of(i));
    for (size_t i = 0; i < 2000; i += 2) {
        uint64_t *v = NULL;
        CHECK_EQ_U(umap_get_or_insert(&m, key_of(i), &v), EBB_INSERTED);
        CHECK(v != NULL);
        CHECK_EQ_U(*v, 0);
        *v = i;
    }
    for (size_t i = 0; i < 2000; i++) {
        uint64_t *v = NULL;
        CHECK_EQ_U(umap_get_or_insert(&m, key_of(i), &v), EBB_OK);
        CHECK(v == umap_get(&m, key_of(i)));
        CHECK_EQ_U(*v, i % 2 ? ~(uint64_t)0 : i);
        (*v)++;
        CHECK_EQ_U(*umap_get(&m, key_of(i)), i % 2 ? 0 : i + 1);
    }
    CHECK_EQ_U(umap_count(&m), 2000);
    umap_destroy(&m);
}

static void test_take(void) {
    umap m;
    umap_init(&m);
    CHECK(fill(&m, 0, 1000));
    for (size_t i = 0; i < 1000; i += 3) {
        uint64_t k = 0, v = 0;
        CHECK(umap_take(&m, key_of(i), &k, &v));
        CHECK_EQ_U(k, key_of(i));
        CHECK_EQ_U(v, i * 3 + 1);
        CHECK(umap_get(&m, key_of(i)) == NULL);
        CHECK(!umap_take(&m, key_of(i), &k, &v));
    }
    CHECK_EQ_U(umap_count(&m), 1000 - 334);
    for (size_t i = 0; i < 1000; i++)
        CHECK((umap_get(&m, key_of(i)) != NULL) == (i % 3 != 0));
    /* Either half alone: the other may be NULL (a mutant that tested kout for vout passed). */
    uint64_t k = 0, v = 0;
    CHECK(umap_take(&m, key_of(1), &k, NULL));
    CHECK_EQ_U(k, key_of(1));
    CHECK(umap_take(&m, key_of(2), NULL, &v));
    CHECK_EQ_U(v, 2 * 3 + 1);
    CHECK(umap_take(&m, key_of(4), NULL, NULL));
    CHECK(umap_get(&m, key_of(1)) == NULL && umap_get(&m, key_of(2)) == NULL);
    CHECK_EQ_U(umap_count(&m), 1000 - 334 - 3);
    CHECK_EQ_U(umap_check(&m), 0);
    umap_destroy(&m);
}

static void test_count(void) {
    umap m;
    umap_init(&m);
    rng g = {1};
    size_t n = 4096, count = 0;
    uint8_t *present = calloc(n, 1);
    CHECK(present);
    for (int op = 0; op < 40000; op++) {
        size_t i = rng_below(&g, n);
        if (rng_below(&g, 2)) {
            umap_put(&m, key_of(i), i);
            count += !present[i];
            present[i] = 1;
        } else {
            if (umap_delete(&m, key_of(i)) != (bool)present[i]) break;
            count -= present[i];
            present[i] = 0;
        }
        if (umap_count(&m) != count) break;
    }
    free(present);
    CHECK_EQ_U(umap_count(&m), count);
    CHECK_EQ_U(stats_of(&m).entries, count);
    umap_destroy(&m);
}

/* The map never holds more entries than its current table's limit (7/8 of its slots): the
 * insert that would pass it starts a growth, also when its key's home group has a free slot and
 * nothing else stands in the way (the insertion's inline common case). Through several growths,
 * by put and by get_or_insert (the first insert allocates a table, which is not a growth). */
static void test_growth_at_limit(void) {
    umap m;
    umap_init(&m);
    bool ok = true;
    size_t growths_seen = 0;
    for (size_t i = 0; ok && i < 200000; i++) {
        bool due = m.core.cur.limit && !m.core.old.ctrl && m.core.cur.count == m.core.cur.limit;
        uint32_t grows = m.core.grows;
        if (i & 1) {
            uint64_t *v;
            ok = umap_get_or_insert(&m, key_of(i), &v) == EBB_INSERTED;
        } else {
            ok = umap_put(&m, key_of(i), i) == EBB_INSERTED;
        }
        ok = ok && ebb_core_count(&m.core) <= m.core.cur.limit;
        if (due) {
            ok = ok && m.core.grows == grows + 1;
            growths_seen++;
        }
    }
    CHECK(ok);
    CHECK(growths_seen >= 10);
    CHECK(umap_check(&m) == 0);
    umap_destroy(&m);
}

/* A value type so large that a group of 15 entries has more bytes than size_t counts: its size
 * once wrapped, and reserve(1) made a table of 395 bytes that the first insert wrote far past. */
typedef struct {
    char bytes[0x1111111111111110u]; /* 15 entries of it wrap to 104 bytes */
} huge_value;
#define EBB_NAME hugemap
#define EBB_KEY  uint64_t
#define EBB_VAL  huge_value
#include "ebb/map.h"

static void test_type_too_large(void) {
    hugemap m;
    hugemap_init(&m);
    CHECK_EQ_U(hugemap_reserve(&m, 1), EBB_ENOMEM);
    huge_value *v = NULL;
    CHECK_EQ_U(hugemap_get_or_insert(&m, 7, &v), EBB_ENOMEM);
    CHECK(v == NULL);
    CHECK_EQ_U(hugemap_count(&m), 0);
    CHECK_EQ_U(hugemap_check(&m), 0);
    hugemap_destroy(&m);
}

/* reserve(n): n inserts cause no growth, and deleting them all does not shrink the table. */
static void test_reserve(void) {
    const size_t n = 10000;
    umap m;
    umap_init(&m);
    CHECK_EQ_U(umap_reserve(&m, n), EBB_OK);
    ebb_stats st = stats_of(&m);
    CHECK(st.capacity >= n);
    size_t slots = st.slots;
    uint64_t grows = st.grows, shrinks = st.shrinks;
    CHECK(fill(&m, 0, n));
    st = stats_of(&m);
    CHECK_EQ_U(st.grows, grows);
    CHECK_EQ_U(st.slots, slots);
    CHECK_EQ_U(st.migrating, 0);
    for (size_t i = 0; i < n; i++)
        CHECK(umap_delete(&m, key_of(i)));
    st = stats_of(&m);
    CHECK_EQ_U(st.entries, 0);
    CHECK_EQ_U(st.shrinks, shrinks);
    CHECK_EQ_U(st.slots, slots);
    CHECK(st.capacity >= n);
    /* Reserving on a populated map keeps its entries; a smaller reserve changes nothing. */
    CHECK(fill(&m, 0, 300));
    CHECK_EQ_U(umap_reserve(&m, 4 * n), EBB_OK);
    CHECK(stats_of(&m).capacity >= 4 * n);
    CHECK(all_present(&m, 0, 300));
    slots = stats_of(&m).slots;
    CHECK_EQ_U(umap_reserve(&m, 10), EBB_OK);
    CHECK_EQ_U(stats_of(&m).slots, slots);
    CHECK_EQ_U(umap_reserve(&m, SIZE_MAX), EBB_EINVAL);
    CHECK(all_present(&m, 0, 300));
    CHECK_EQ_U(umap_check(&m), 0);
    /* Room for 2^40 entries takes about 20 TB. Under the kernel's default overcommit policy a
     * mapping larger than memory and swap is refused up front: the call must say so. */
    struct sysinfo si;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int policy = -1;
    if (f && fscanf(f, "%d", &policy) != 1) policy = -1;
    if (f) fclose(f);
    if (policy == 0 && sysinfo(&si) == 0 &&
        ((double)si.totalram + (double)si.totalswap) * si.mem_unit < 1e13) {
        CHECK_EQ_U(umap_reserve(&m, (size_t)1 << 40), EBB_ENOMEM);
        CHECK_EQ_U(umap_count(&m), 300);
        CHECK(all_present(&m, 0, 300));
        CHECK_EQ_U(stats_of(&m).slots, slots);
    } else {
        printf("  overcommit policy %d, or 10 TB of memory: reserve(2^40) not tried\n", policy);
    }
    umap_destroy(&m);
}

/* The floor is the largest reserve: a smaller one later does not lower it, and a map that grew
 * past its floor shrinks back to exactly the floor's table, not to one twice its size. */
static void test_reserve_floor(void) {
    const size_t n = 10000;
    umap m;
    umap_init(&m);
    CHECK_EQ_U(umap_reserve(&m, n), EBB_OK);
    CHECK_EQ_U(umap_reserve(&m, 10), EBB_OK);
    size_t floor_slots = stats_of(&m).slots;
    CHECK(fill(&m, 0, 4 * n));
    ebb_stats st = stats_of(&m);
    CHECK(st.grows >= 2 && st.slots >= 4 * floor_slots);
    for (size_t i = 0; i < 4 * n; i++)
        CHECK(umap_delete(&m, key_of(i)));
    for (int i = 0; i < 1000 && stats_of(&m).migrating; i++) { /* finish a resize under way */
        umap_put(&m, key_of(0), 0);
        umap_delete(&m, key_of(0));
    }
    st = stats_of(&m);
    CHECK_EQ_U(st.entries, 0);
    CHECK(st.shrinks >= 1);
    CHECK_EQ_U(st.slots, floor_slots);
    CHECK_EQ_U(umap_check(&m), 0);
    umap_destroy(&m);
}

/* The smallest table that takes `entries` has slots such that one group fewer would not. */
static bool is_minimal(const ebb_stats *st) {
    size_t groups = st->slots / EBB_GROUP_SLOTS;
    if (st->capacity < st->entries) return false;
    return groups == 1 || (groups - 1) * EBB_GROUP_SLOTS * 7 / 8 < st->entries;
}

static void test_shrink_to_fit(void) {
    umap m;
    umap_init(&m);
    CHECK(fill(&m, 0, 20000));
    for (size_t i = 1000; i < 20000; i++)
        CHECK(umap_delete(&m, key_of(i)));
    CHECK_EQ_U(umap_shrink_to_fit(&m), EBB_OK);
    ebb_stats st = stats_of(&m);
    CHECK_EQ_U(st.entries, 1000);
    CHECK_EQ_U(st.migrating, 0);
    CHECK(is_minimal(&st));
    CHECK(all_present(&m, 0, 1000));
    CHECK_EQ_U(umap_check(&m), 0);
    /* Undoes a reservation too. */
    CHECK_EQ_U(umap_reserve(&m, 50000), EBB_OK);
    CHECK(stats_of(&m).capacity >= 50000);
    CHECK_EQ_U(umap_shrink_to_fit(&m), EBB_OK);
    st = stats_of(&m);
    CHECK(is_minimal(&st));
    CHECK(all_present(&m, 0, 1000));
    /* Every size from 1 to 300 lands on its minimal table. */
    for (size_t i = 1000; i > 1; i--) {
        CHECK(umap_delete(&m, key_of(i - 1)));
        if (i - 1 > 300) continue;
        CHECK_EQ_U(umap_shrink_to_fit(&m), EBB_OK);
        st = stats_of(&m);
        CHECK(is_minimal(&st));
    }
    CHECK(umap_delete(&m, key_of(0)));
    CHECK_EQ_U(umap_shrink_to_fit(&m), EBB_OK);
    CHECK_EQ_U(stats_of(&m).bytes, 0);
    umap_destroy(&m);
}

static void test_clear_and_reuse(void) {
    umap m;
    umap_init(&m);
    for (int round = 0; round < 3; round++) {
        CHECK(fill(&m, 0, 5000));
        CHECK(stats_of(&m).bytes > 0);
        umap_clear(&m);
        ebb_stats st = stats_of(&m);
        CHECK_EQ_U(st.entries, 0);
        CHECK_EQ_U(st.bytes, 0);
        CHECK_EQ_U(st.slots, 0);
        CHECK(umap_get(&m, key_of(17)) == NULL);
        umap_iter it = umap_begin(&m);
        CHECK(umap_iter_done(&it));
    }
    /* A reservation ends with clear. */
    CHECK_EQ_U(umap_reserve(&m, 10000), EBB_OK);
    umap_clear(&m);
    CHECK(fill(&m, 0, 10));
    CHECK(stats_of(&m).capacity < 10000);
    CHECK(all_present(&m, 0, 10));
    umap_destroy(&m);
}

/* Iterate, marking each index seen; every present index exactly once. */
static bool iterate_once(umap *m, size_t n, size_t expect) {
    uint8_t *seen = calloc(n, 1);
    size_t visited = 0;
    bool ok = seen != NULL;
    for (umap_iter it = umap_begin(m); ok && !umap_iter_done(&it); umap_next(&it)) {
        size_t i = index_of(*it.key);
        ok = i < n && !seen[i] && *it.val == i * 3 + 1;
        if (ok) seen[i] = 1;
        visited++;
    }
    free(seen);
    return ok && visited == expect;
}

/* Insert until a growth has just started (migrating > 0); return how many were inserted. */
static size_t fill_into_growth(umap *m, size_t from, size_t limit) {
    uint64_t grows = stats_of(m).grows;
    for (size_t i = from; i < limit; i++) {
        if (umap_put(m, key_of(i), i * 3 + 1) != EBB_INSERTED) return 0;
        ebb_stats st = stats_of(m);
        if (st.grows > grows && st.migrating > 0) return i + 1;
    }
    return 0;
}

static void test_iterate_during_resize(void) {
    umap m;
    umap_init(&m);
    for (int round = 0; round < 4; round++) {
        size_t n = fill_into_growth(&m, umap_count(&m), 1u << 20);
        CHECK(n > 0);
        CHECK(stats_of(&m).migrating > 0);
        CHECK(iterate_once(&m, n, n));
        CHECK(all_present(&m, 0, n));
    }
    umap_destroy(&m);

    /* Deleting through the iterator during a resize: the rest are still visited once. Each
     * deletion is asked for twice; the second must do nothing (it once counted the entry out
     * again and ran its destructors twice). */
    umap_init(&m);
    size_t n = fill_into_growth(&m, 0, 1u << 20);
    CHECK(n > 0 && stats_of(&m).migrating > 0);
    uint8_t *seen = calloc(n, 1);
    CHECK(seen);
    size_t visited = 0;
    for (umap_iter it = umap_begin(&m); !umap_iter_done(&it); umap_next(&it)) {
        size_t i = index_of(*it.key);
        if (i >= n || seen[i]) break;
        seen[i] = 1;
        visited++;
        if (i % 2) {
            umap_iter_delete(&it);
            umap_iter_delete(&it);
        }
    }
    free(seen);
    CHECK_EQ_U(visited, n);
    CHECK_EQ_U(umap_count(&m), (n + 1) / 2);
    for (size_t i = 0; i < n; i++)
        CHECK((umap_get(&m, key_of(i)) != NULL) == (i % 2 == 0));
    CHECK_EQ_U(umap_check(&m), 0);
    umap_destroy(&m);
}

/* A retiring table over 32 MiB is unmapped over several steps once empty: meanwhile the map
 * keeps it as a retired table (empty, every group migrated). Every call must work in that state,
 * and the table must go within a few steps. */
static bool is_retired_now(const umap *m) {
    return m->core.old.ctrl != NULL && m->core.old.count == 0;
}

static void test_retired_table(void) {
    umap m = fixed_map(7);
    size_t n = 0, retired_seen = 0;
    /* Grow past 131072 groups (a 33.5 MiB table), then shrink back below it. */
    while (n < 2000000 && retired_seen == 0) {
        CHECK(umap_put(&m, key_of(n), n * 3 + 1) == EBB_INSERTED);
        n++;
        if (is_retired_now(&m)) retired_seen++;
    }
    CHECK(retired_seen > 0);
    CHECK_EQ_U(stats_of(&m).migrating, 0);
    CHECK_EQ_U(umap_check(&m), 0);
    CHECK(all_present(&m, 0, n));
    CHECK(iterate_once(&m, n, n));
    /* Inserts and deletes go on while it is unmapped, a piece per call. */
    size_t steps = 0;
    while (is_retired_now(&m) && steps < 100) {
        CHECK(umap_put(&m, key_of(n), n * 3 + 1) == EBB_INSERTED);
        n++;
        CHECK(umap_delete(&m, key_of(n - 1)));
        n--;
        CHECK_EQ_U(umap_check(&m), 0);
        steps++;
    }
    CHECK(!is_retired_now(&m) && m.core.old.ctrl == NULL);
    CHECK(steps >= 1 && steps < 100); /* in pieces, and soon */
    CHECK(all_present(&m, 0, n));

    /* The same on the way down: shrinking from the 33.5 MiB table retires it too. */
    retired_seen = 0;
    while (n > 1000) {
        CHECK(umap_delete(&m, key_of(n - 1)));
        n--;
        if (is_retired_now(&m)) {
            retired_seen++;
            if (retired_seen == 1) {
                CHECK_EQ_U(umap_check(&m), 0);
                CHECK(umap_get(&m, key_of(n)) == NULL);
                CHECK(all_present(&m, 0, n));
            }
        }
    }
    CHECK(retired_seen > 0);
    CHECK_EQ_U(umap_count(&m), 1000);
    CHECK(all_present(&m, 0, n));
    CHECK_EQ_U(umap_check(&m), 0);
    umap_clear(&m);
    CHECK(m.core.old.ctrl == NULL);
    umap_destroy(&m);
}

static void test_iter_delete_everything(void) {
    size_t sizes[] = {1, 15, 16, 1000, 30000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        umap m;
        umap_init(&m);
        CHECK(fill(&m, 0, sizes[s]));
        size_t visited = 0;
        for (umap_iter it = umap_begin(&m); !umap_iter_done(&it); umap_next(&it)) {
            umap_iter_delete(&it);
            visited++;
        }
        CHECK_EQ_U(visited, sizes[s]);
        CHECK_EQ_U(umap_count(&m), 0);
        CHECK_EQ_U(umap_check(&m), 0);
        for (size_t i = 0; i < sizes[s]; i++)
            CHECK(umap_get(&m, key_of(i)) == NULL);
        umap_iter it = umap_begin(&m);
        CHECK(umap_iter_done(&it));
        CHECK(fill(&m, 0, sizes[s])); /* still usable */
        CHECK(all_present(&m, 0, sizes[s]));
        umap_destroy(&m);
    }
}

/* ---- Other entry sizes and key types, against a simple reference --------------------------- */

typedef struct big {
    uint64_t w[7]; /* 56 bytes: 64-byte entries */
} big;

#define EBB_NAME bigmap
#define EBB_KEY  uint64_t
#define EBB_VAL  big
#include "ebb/map.h"

static big big_of(uint64_t key, uint64_t version) {
    big b;
    for (int j = 0; j < 7; j++)
        b.w[j] = key * (uint64_t)(j + 1) ^ version << j;
    return b;
}

static bool big_eq(const big *a, const big *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

static void test_big_values(void) {
    _Static_assert(sizeof(bigmap_entry) == 64, "a different entry size");
    const size_t n = 3000;
    uint64_t *version = calloc(n, sizeof *version); /* 0: absent */
    CHECK(version);
    bigmap m;
    bigmap_init(&m);
    rng g = {2};
    size_t count = 0;
    bool ok = true;
    for (unsigned long op = 0; ok && op < test_scaled(60000); op++) {
        size_t i = rng_below(&g, n);
        uint64_t k = key_of(i);
        unsigned dice = (unsigned)rng_below(&g, 10);
        unsigned target_high = (op / 5000) % 2 == 0; /* swing between growing and shrinking */
        if (dice < (target_high ? 6u : 3u)) {
            uint64_t ver = op + 1;
            big b = big_of(k, ver);
            ok = bigmap_put(&m, k, b) == (version[i] ? EBB_OK : EBB_INSERTED);
            count += !version[i];
            version[i] = ver;
        } else if (dice < 8) {
            big out;
            uint64_t kout;
            bool had = version[i] != 0;
            if (dice & 1) {
                ok = bigmap_delete(&m, k) == had;
            } else {
                ok = bigmap_take(&m, k, &kout, &out) == had;
                if (ok && had) {
                    big want = big_of(k, version[i]);
                    ok = kout == k && big_eq(&out, &want);
                }
            }
            count -= had;
            version[i] = 0;
        } else {
            big *p = bigmap_get(&m, k);
            ok = (p != NULL) == (version[i] != 0);
            if (ok && p) {
                big want = big_of(k, version[i]);
                ok = big_eq(p, &want);
            }
        }
        ok = ok && bigmap_count(&m) == count;
        if (op % 4096 == 0) ok = ok && bigmap_check(&m) == 0;
    }
    CHECK(ok);
    CHECK_EQ_U(bigmap_check(&m), 0);
    size_t visited = 0;
    for (bigmap_iter it = bigmap_begin(&m); !bigmap_iter_done(&it); bigmap_next(&it)) {
        size_t i = index_of(*it.key);
        CHECK(i < n && version[i]);
        big want = big_of(*it.key, version[i]);
        CHECK(big_eq(it.val, &want));
        visited++;
    }
    CHECK_EQ_U(visited, count);
    bigmap_destroy(&m);
    free(version);
}

/* Slots start on a cache line, so that no 64-byte entry straddles two: in calloc'd, mapped and
 * user-allocated tables alike, the retiring one too, whatever the block's own alignment (the
 * allocator below hands out blocks 16 bytes past a line, as glibc's large blocks are). */
static void *off_line_alloc(void *ctx, size_t size) {
    (void)ctx;
    unsigned char *p = aligned_alloc(64, (size + 16 + 63) / 64 * 64);
    return p ? p + 16 : NULL;
}
static void off_line_free(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    (void)size;
    free((unsigned char *)ptr - 16);
}

static bool slots_on_lines(const bigmap *m) {
    const ebb_core *c = &m->core;
    bool cur = c->cur.count == 0 || (uintptr_t)c->cur.slots % 64 == 0;
    return cur && (c->old.count == 0 || (uintptr_t)c->old.slots % 64 == 0);
}

static void test_slots_on_cache_lines(void) {
    ebb_allocator a = {off_line_alloc, off_line_free, NULL};
    for (int user = 0; user < 2; user++) {
        ebb_options o = {user ? &a : NULL, 3, EBB_FIXED_SEED};
        bigmap m;
        bigmap_init_with(&m, &o);
        const size_t n = 20000; /* past 64 KiB: the last tables are mapped unless user-allocated */
        size_t misaligned = 0;
        for (size_t i = 0; i < n; i++) {
            CHECK_EQ_U(bigmap_put(&m, key_of(i), big_of(key_of(i), 1)), EBB_INSERTED);
            misaligned += !slots_on_lines(&m);
        }
        for (size_t i = 0; i < n - 10; i++) {
            CHECK(bigmap_delete(&m, key_of(i)));
            misaligned += !slots_on_lines(&m);
        }
        CHECK_EQ_U(misaligned, 0);
        CHECK(m.core.grows >= 5 && m.core.shrinks >= 3);
        CHECK_EQ_U(bigmap_check(&m), 0);
        for (size_t i = n - 10; i < n; i++) {
            big want = big_of(key_of(i), 1), *p = bigmap_get(&m, key_of(i));
            CHECK(p && big_eq(p, &want));
        }
        bigmap_destroy(&m);
    }
}

#define EBB_NAME u32map
#define EBB_KEY  uint32_t
#define EBB_VAL  uint32_t
#include "ebb/map.h"

/* Entries of 3 bytes: with an odd group count the overflow counts start at an odd address, and
 * the away bits after them were read 1 byte off their 2-byte alignment (UBSan: "load of
 * misaligned address"). Odd group counts come from reserve() and from shrinks of such tables. */
typedef struct {
    uint8_t b[2];
} two_bytes;
#define EBB_NAME oddmap
#define EBB_KEY  uint8_t
#define EBB_VAL  two_bytes
#include "ebb/map.h"

static void test_odd_entry_size(void) {
    _Static_assert(sizeof(oddmap_entry) == 3, "a different entry size");
    for (size_t want = 1; want <= 256; want += 5) {
        oddmap m;
        oddmap_init(&m);
        CHECK_EQ_U(oddmap_reserve(&m, want), EBB_OK);
        CHECK_EQ_U(oddmap_check(&m), 0);
        for (unsigned k = 0; k < 256; k++)
            CHECK(oddmap_put(&m, (uint8_t)k, (two_bytes){{(uint8_t)k, (uint8_t)~k}}) ==
                  EBB_INSERTED);
        for (unsigned k = 0; k < 256; k += 3)
            CHECK(oddmap_delete(&m, (uint8_t)k));
        CHECK_EQ_U(oddmap_shrink_to_fit(&m), EBB_OK);
        CHECK_EQ_U(oddmap_check(&m), 0);
        for (unsigned k = 0; k < 256; k++) {
            two_bytes *v = oddmap_get(&m, (uint8_t)k);
            CHECK((v != NULL) == (k % 3 != 0));
            if (v) CHECK(v->b[0] == (uint8_t)k && v->b[1] == (uint8_t)~k);
        }
        oddmap_destroy(&m);
    }
}

static uint32_t u32_inverse(uint32_t a) { /* a odd: Newton's iteration for a^-1 mod 2^32 */
    uint32_t x = a;
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

static void test_u32_keys(void) {
    _Static_assert(sizeof(u32map_entry) == 8, "a different entry size");
    const uint32_t mul = 0x9e3779b1u, inv = u32_inverse(mul);
    CHECK_EQ_U((uint32_t)(mul * inv), 1);
    const size_t n = 5000;
    uint32_t *val = calloc(n, sizeof *val); /* 0: absent */
    CHECK(val);
    u32map m;
    u32map_init(&m);
    rng g = {3};
    size_t count = 0;
    bool ok = true;
    for (unsigned long op = 0; ok && op < test_scaled(80000); op++) {
        size_t i = rng_below(&g, n);
        uint32_t k = (uint32_t)i * mul;
        unsigned dice = (unsigned)rng_below(&g, 10);
        unsigned grow = (op / 7000) % 2 == 0;
        if (dice < (grow ? 6u : 3u)) {
            uint32_t v = (uint32_t)rng_next(&g) | 1;
            if (dice & 1) {
                ok = u32map_put(&m, k, v) == (val[i] ? EBB_OK : EBB_INSERTED);
            } else {
                uint32_t *p = NULL;
                int rc = u32map_get_or_insert(&m, k, &p);
                ok = rc == (val[i] ? EBB_OK : EBB_INSERTED) && p && *p == val[i];
                if (ok) *p = v;
            }
            count += !val[i];
            val[i] = v;
        } else if (dice < 8) {
            ok = u32map_delete(&m, k) == (val[i] != 0);
            count -= val[i] != 0;
            val[i] = 0;
        } else {
            uint32_t *p = u32map_get(&m, k);
            ok = p ? *p == val[i] : val[i] == 0;
        }
        ok = ok && u32map_count(&m) == count;
        if (op % 4096 == 0) ok = ok && u32map_check(&m) == 0;
    }
    CHECK(ok);
    CHECK_EQ_U(u32map_check(&m), 0);
    size_t visited = 0;
    for (u32map_iter it = u32map_begin(&m); !u32map_iter_done(&it); u32map_next(&it)) {
        size_t i = (uint32_t)(*it.key * inv);
        CHECK(i < n && val[i] && *it.val == val[i]);
        visited++;
    }
    CHECK_EQ_U(visited, count);
    u32map_destroy(&m);
    free(val);
}

/* ---- Hooks -------------------------------------------------------------------------------- */

/* Keys that are equal when their low 32 bits are (the high bits are, say, a generation). */
static unsigned long seeded_calls, eq_calls;
static uint64_t last_seed;
static uint64_t low_hash(uint64_t k, uint64_t s) {
    seeded_calls++;
    last_seed = s;
    return ebb_mix((uint32_t)k ^ s, 0x2545f4914f6cdd1dull);
}
static bool low_eq(uint64_t a, uint64_t b) {
    eq_calls++;
    return (uint32_t)a == (uint32_t)b;
}

#define EBB_NAME              lowmap
#define EBB_KEY               uint64_t
#define EBB_VAL               uint64_t
#define EBB_HASH_SEEDED(k, s) low_hash((k), (s))
#define EBB_EQ(a, b)          low_eq((a), (b))
#include "ebb/map.h"

static void test_seeded_hash_and_eq_hooks(void) {
    lowmap m;
    ebb_options o = {NULL, 0xabcdef, EBB_FIXED_SEED};
    lowmap_init_with(&m, &o);
    seeded_calls = eq_calls = 0;
    CHECK_EQ_U(lowmap_put(&m, 0x100000005ull, 1), EBB_INSERTED);
    CHECK(seeded_calls > 0);
    CHECK_EQ_U(last_seed, 0xabcdef); /* the map's seed reaches the hook */
    /* The hash is used as it is: the entry's tag and home group come from it directly. */
    uint64_t h = ebb_mix(5 ^ 0xabcdef, 0x2545f4914f6cdd1dull);
    const ebb_table *t = &m.core.cur;
    unsigned tags = ebb_match(ebb_group(t, ebb_home(h, t->ngroups)), ebb_tag(h));
    CHECK(tags != 0);
    /* Equality is the hook's: another generation of the same key is the same key. */
    CHECK(lowmap_get(&m, 0x200000005ull) && *lowmap_get(&m, 0x200000005ull) == 1);
    CHECK(eq_calls > 0);
    CHECK_EQ_U(lowmap_put(&m, 0x300000005ull, 2), EBB_OK);
    CHECK_EQ_U(lowmap_count(&m), 1);
    CHECK(lowmap_get(&m, 6) == NULL);
    for (uint64_t i = 0; i < 5000; i++)
        lowmap_put(&m, i << 32 | i, i);
    CHECK_EQ_U(lowmap_count(&m), 5000);
    for (uint64_t i = 0; i < 5000; i++) {
        uint64_t *v = lowmap_get(&m, (i + 7) << 32 | i);
        CHECK(v && *v == i);
    }
    CHECK_EQ_U(lowmap_check(&m), 0);
    for (uint64_t i = 0; i < 5000; i += 2)
        CHECK(lowmap_delete(&m, 0xffull << 32 | i));
    CHECK_EQ_U(lowmap_count(&m), 2500);
    CHECK_EQ_U(lowmap_check(&m), 0);
    lowmap_destroy(&m);
}

/* C-string keys with the user's hooks: every operation, deletes and takes included, must hash
 * and compare with them, not with the built-in string hash. Case-blind keys (the seeded hook and
 * EBB_EQ), and a weak integer hash of the string (EBB_HASH, which ebb mixes). */
static uint64_t caseless_hash(const char *k, uint64_t seed) {
    char low[64];
    size_t n = 0;
    for (; k[n] && n < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)k[n]);
    return ebb_hash_bytes(low, n, seed);
}

static bool caseless_eq(const char *a, const char *b) {
    return strcasecmp(a, b) == 0;
}

static uint64_t length_and_ends(const char *k) {
    size_t n = strlen(k);
    return (uint64_t)n << 16 | (uint64_t)(unsigned char)k[0] << 8 | (unsigned char)k[n ? n - 1 : 0];
}

#define EBB_NAME caseless_map
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#define EBB_HASH_SEEDED(k, s) caseless_hash((k), (s))
#define EBB_EQ(a, b)          caseless_eq((a), (b))
#include "ebb/map.h"

#define EBB_NAME weak_cstr_map
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#define EBB_HASH(k) length_and_ends(k)
#include "ebb/map.h"

static void test_string_keys_with_hooks(void) {
    enum { N = 3000 };
    static char lower[N][24], upper[N][24];
    caseless_map c;
    weak_cstr_map w;
    caseless_map_init(&c);
    weak_cstr_map_init(&w);
    for (size_t i = 0; i < N; i++) {
        snprintf(lower[i], sizeof lower[i], "user-%zx", i * 7919);
        for (size_t j = 0; j < sizeof lower[i]; j++)
            upper[i][j] = (char)toupper((unsigned char)lower[i][j]);
        CHECK_EQ_U(caseless_map_put(&c, lower[i], i), EBB_INSERTED);
        CHECK_EQ_U(weak_cstr_map_put(&w, lower[i], i), EBB_INSERTED);
    }
    for (size_t i = 0; i < N; i++) {
        uint64_t *v = caseless_map_get(&c, upper[i]);
        CHECK(v && *v == i);
        CHECK_EQ_U(caseless_map_put(&c, upper[i], i + 1), EBB_OK); /* the same key */
    }
    CHECK_EQ_U(caseless_map_count(&c), N);
    for (size_t i = 0; i < N; i += 2) {
        CHECK(caseless_map_delete(&c, upper[i]));
        CHECK(weak_cstr_map_delete(&w, lower[i]));
    }
    for (size_t i = 1; i < N; i += 2) {
        const char *k = NULL;
        uint64_t v = 0;
        CHECK(caseless_map_take(&c, upper[i], &k, &v));
        CHECK(k == lower[i] && v == i + 1);
        CHECK(weak_cstr_map_take(&w, lower[i], &k, &v));
        CHECK(k == lower[i] && v == i);
    }
    CHECK_EQ_U(caseless_map_count(&c), 0);
    CHECK_EQ_U(weak_cstr_map_count(&w), 0);
    CHECK_EQ_U(caseless_map_check(&c), 0);
    CHECK_EQ_U(weak_cstr_map_check(&w), 0);
    caseless_map_destroy(&c);
    weak_cstr_map_destroy(&w);
}

/* The maps hash strings inline, deletes and callers through the library: the two must agree, at
 * every length either side of the hash's branches (0, 1-3, 4-7, 8-16 bytes, then 16 a step). */
static void test_string_hash_inline_matches(void) {
    char buf[80];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)('a' + (i * 7) % 26);
    for (size_t len = 0; len < sizeof buf; len++) {
        for (uint64_t seed = 0; seed < 3; seed++)
            CHECK_EQ_U(ebb_hash_bytes_inline(buf, len, seed), ebb_hash_bytes(buf, len, seed));
        char c = buf[len];
        buf[len] = '\0';
        CHECK_EQ_U(ebb_hash_bytes_inline(buf, len, 9), ebb_hash_str(buf, 9));
        buf[len] = c;
    }
}

/* The string hash has no word that wipes its state. Its steps multiply pairs of words; when a
 * factor was a data word xor a public constant, the word equal to that constant made the product
 * zero whatever the seed, and every string with it at a block's start hashed alike (80 us an
 * insert for 20,000 such strings, against 0.3 us). Strings here carry each of its constants
 * (EBB_HK0_ to EBB_HK3_, ebb/ebb.h), and random words, at each block start of lengths 9 to 64, then
 * 8 varying bytes: their hashes must all differ, and differ between two seeds. */
static void test_string_hash_has_no_zero_word(void) {
    static const uint64_t words[] = {
        EBB_HK0_, EBB_HK1_, EBB_HK2_, EBB_HK3_, 0x9e3779b97f4a7c15ull, 0x0123456789abcdefull};
    enum { VARIANTS = 64 };
    unsigned char buf[64];
    uint64_t h[VARIANTS];
    int collapsed = 0, seed_blind = 0;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        for (size_t len = 9; len <= 64; len++) {
            for (size_t at = 0; at + 16 <= len || (at == 0 && len >= 8); at += 16) {
                size_t distinct = 0;
                for (unsigned v = 0; v < VARIANTS; v++) {
                    memset(buf, 'x', sizeof buf);
                    memcpy(buf + at, &words[w], 8);
                    uint64_t var = scramble(v, len);
                    memcpy(buf + (at + 16 <= len ? at + 8 : len - 8), &var, 8);
                    h[v] = ebb_hash_bytes(buf, len, 1);
                    bool seen = false;
                    for (unsigned u = 0; u < v; u++)
                        seen |= h[u] == h[v];
                    distinct += !seen;
                    seed_blind += h[v] == ebb_hash_bytes(buf, len, 2);
                }
                collapsed += distinct != VARIANTS;
            }
        }
    }
    CHECK_EQ_U(collapsed, 0);
    CHECK_EQ_U(seed_blind, 0);
}

/* Every byte of a short string counts: for each length 1..32 and each position, 256 values of
 * that byte give 256 hashes. Strings of up to 16 bytes take paths of their own (a mutant that
 * read the first byte for the middle one of a 3-byte string, or the head word for the tail of
 * a 5-7-byte one, passed every other test). */
static void test_string_hash_reads_every_byte(void) {
    unsigned char buf[32];
    uint64_t h[256];
    int blind = 0;
    for (size_t len = 1; len <= sizeof buf; len++)
        for (size_t at = 0; at < len; at++) {
            size_t distinct = 0;
            for (unsigned v = 0; v < 256; v++) {
                memset(buf, 0x5a, sizeof buf);
                buf[at] = (unsigned char)v;
                h[v] = ebb_hash_bytes(buf, len, 7);
                bool seen = false;
                for (unsigned u = 0; u < v && !seen; u++)
                    seen = h[u] == h[v];
                distinct += !seen;
            }
            if (distinct != 256) {
                if (blind < 5)
                    fprintf(stderr, "  length %zu, byte %zu: %zu hashes\n", len, at, distinct);
                blind++;
            }
        }
    CHECK_EQ_U(blind, 0);
}

/* A struct key with padding: the default byte comparison would be wrong, the hooks are right. */
typedef struct point {
    int32_t x;
    int16_t y; /* then 2 bytes of padding */
} point;

static uint64_t point_hash(point p) {
    return (uint64_t)(uint32_t)p.x << 16 ^ (uint16_t)p.y;
}
static bool point_eq(point a, point b) {
    return a.x == b.x && a.y == b.y;
}

#define EBB_NAME     pointmap
#define EBB_KEY      point
#define EBB_VAL      uint32_t
#define EBB_HASH(k)  point_hash(k)
#define EBB_EQ(a, b) point_eq((a), (b))
#include "ebb/map.h"

static point point_at(int x, int y, rng *g) {
    point p;
    uint64_t junk = rng_next(g);
    memcpy(&p, &junk, sizeof p); /* padding holds whatever */
    p.x = x - 50;
    p.y = (int16_t)(y - 50);
    return p;
}

static void test_struct_key(void) {
    _Static_assert(sizeof(point) == 8, "point has padding");
    enum { W = 100 };
    static uint32_t val[W][W]; /* 0: absent */
    memset(val, 0, sizeof val);
    pointmap m;
    pointmap_init(&m);
    rng g = {4};
    size_t count = 0;
    bool ok = true;
    for (unsigned long op = 0; ok && op < test_scaled(60000); op++) {
        int x = (int)rng_below(&g, W), y = (int)rng_below(&g, W);
        point p = point_at(x, y, &g);
        unsigned dice = (unsigned)rng_below(&g, 10);
        if (dice < ((op / 6000) % 2 ? 3u : 6u)) {
            uint32_t v = (uint32_t)op + 1;
            ok = pointmap_put(&m, p, v) == (val[x][y] ? EBB_OK : EBB_INSERTED);
            count += !val[x][y];
            val[x][y] = v;
        } else if (dice < 8) {
            ok = pointmap_delete(&m, p) == (val[x][y] != 0);
            count -= val[x][y] != 0;
            val[x][y] = 0;
        } else {
            uint32_t *v = pointmap_get(&m, p);
            ok = v ? *v == val[x][y] : val[x][y] == 0;
        }
        ok = ok && pointmap_count(&m) == count;
    }
    CHECK(ok);
    CHECK_EQ_U(pointmap_check(&m), 0);
    for (int x = 0; x < W; x++)
        for (int y = 0; y < W; y++) {
            uint32_t *v = pointmap_get(&m, point_at(x, y, &g));
            CHECK(v ? *v == val[x][y] : val[x][y] == 0);
        }
    pointmap_destroy(&m);
}

/* ---- The library's map and a template map agree ------------------------------------------- */

static void test_library_map_matches_template(void) {
    ebb_u64map a;
    umap b;
    ebb_u64map_init(&a);
    umap_init(&b);
    rng g = {5};
    bool ok = true;
    for (unsigned long op = 0; ok && op < test_scaled(200000); op++) {
        uint64_t k = key_of(rng_below(&g, 20000)), v = rng_next(&g);
        unsigned dice = (unsigned)rng_below(&g, 10);
        if (dice < ((op / 30000) % 2 ? 3u : 6u)) {
            ok = ebb_u64map_put(&a, k, v) == umap_put(&b, k, v);
        } else if (dice < 8) {
            ok = ebb_u64map_delete(&a, k) == umap_delete(&b, k);
        } else {
            uint64_t *x = ebb_u64map_get(&a, k), *y = umap_get(&b, k);
            ok = (x == NULL) == (y == NULL) && (!x || *x == *y);
        }
    }
    CHECK(ok);
    CHECK_EQ_U(ebb_u64map_count(&a), umap_count(&b));
    CHECK_EQ_U(ebb_u64map_check(&a), 0);
    for (ebb_u64map_iter it = ebb_u64map_begin(&a); !ebb_u64map_iter_done(&it);
         ebb_u64map_next(&it)) {
        uint64_t *v = umap_get(&b, *it.key);
        CHECK(v && *v == *it.val);
    }
    for (umap_iter it = umap_begin(&b); !umap_iter_done(&it); umap_next(&it)) {
        uint64_t *v = ebb_u64map_get(&a, *it.key);
        CHECK(v && *v == *it.val);
    }
    ebb_u64map_destroy(&a);
    umap_destroy(&b);
}

/* ---- Statistics output, status strings, seeds --------------------------------------------- */

static bool balanced(const char *s) {
    int curly = 0, square = 0;
    bool in_string = false;
    for (; *s; s++) {
        if (*s == '"') in_string = !in_string;
        if (in_string) continue;
        curly += (*s == '{') - (*s == '}');
        square += (*s == '[') - (*s == ']');
        if (curly < 0 || square < 0) return false;
    }
    return curly == 0 && square == 0 && !in_string;
}

static void test_stats_output(void) {
    umap m;
    umap_init(&m);
    CHECK(fill(&m, 0, 1234));
    ebb_stats st = stats_of(&m);
    CHECK_EQ_U(st.entries, 1234);
    char buf[2048];
    int n = ebb_stats_json(&st, buf, sizeof buf);
    CHECK(n > 0 && (size_t)n < sizeof buf);
    CHECK_EQ_U(strlen(buf), (size_t)n);
    CHECK(buf[0] == '{' && buf[n - 1] == '}');
    CHECK(balanced(buf));
    const char *e = strstr(buf, "\"entries\":");
    CHECK(e != NULL);
    char *end;
    CHECK_EQ_U(strtoull(e + strlen("\"entries\":"), &end, 10), 1234);
    CHECK(*end == ',' || *end == '}');
    CHECK(strstr(buf, "\"probe_hist\":[") != NULL);
    CHECK(strstr(buf, "\"repaired\":0}") != NULL); /* nothing deleted */
    /* Truncation: still a terminated string, and the full length is reported. */
    char small[16];
    CHECK_EQ_U(ebb_stats_json(&st, small, sizeof small), (size_t)n);
    CHECK_EQ_U(strlen(small), sizeof small - 1);
    CHECK(memcmp(small, buf, sizeof small - 1) == 0);
    CHECK_EQ_U(ebb_stats_json(&st, NULL, 0), (size_t)n);

    n = ebb_stats_text(&st, buf, sizeof buf);
    CHECK(n > 0 && (size_t)n < sizeof buf);
    CHECK_EQ_U(strlen(buf), (size_t)n);
    e = strstr(buf, "entries");
    CHECK(e != NULL);
    e += strlen("entries");
    while (*e == ' ')
        e++;
    CHECK_EQ_U(strtoull(e, NULL, 10), 1234);
    CHECK_EQ_U(ebb_stats_text(&st, NULL, 0), (size_t)n);

    /* An empty map's statistics print too. */
    umap_clear(&m);
    st = stats_of(&m);
    n = ebb_stats_json(&st, buf, sizeof buf);
    CHECK(n > 0 && balanced(buf) && strstr(buf, "\"entries\":0,") != NULL);
    umap_destroy(&m);
}

/* A locale whose decimal separator is a comma, or NULL: an installed one, else one built with
 * localedef (from Debian's `locales` package) in a scratch directory found through LOCPATH. */
static char locale_dir[] = "/tmp/ebb-locale-XXXXXX";
static const char *comma_locale(void) {
    static const char *const names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (setlocale(LC_NUMERIC, names[i])) return names[i];
    char *dir = locale_dir, cmd[256];
    if (!mkdtemp(dir)) return NULL;
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
    if (system(cmd) != 0) return NULL;
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") ? "de_DE.UTF-8 (built)" : NULL;
}

/* The number after "key": in json, read in the C locale; -1 when it is not a plain number. */
static double json_number(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(json, pattern);
    if (!p) return -1;
    p += strlen(pattern);
    char *end;
    double v = strtod(p, &end);
    return end > p && (*end == ',' || *end == '}') ? v : -1;
}

/* JSON numbers keep their point in a locale whose separator is a comma ("load":0,52 was
 * printed), and text agrees; the values round-trip within the printed precision. */
/* What write() makes of st must be exactly want, and its return value the length. */
static void check_output(int (*write)(const ebb_stats *, char *, size_t), const ebb_stats *st,
                         const char *want) {
    char got[1024];
    CHECK_EQ_U(write(st, got, sizeof got), strlen(want));
    CHECK(strcmp(got, want) == 0);
    if (strcmp(got, want) != 0) fprintf(stderr, "  got  %s\n  want %s\n", got, want);
}

/* The resize counters do not wrap at 2^32: a small map swinging across its thresholds makes
 * millions of resizes a second. The count is set just short of 2^32 to get there at once. */
static void test_resize_counts_are_64_bit(void) {
    umap m;
    umap_init(&m);
    m.core.grows = UINT32_MAX;
    m.core.shrinks = UINT32_MAX;
    size_t n = 0;
    while (stats_of(&m).grows == UINT32_MAX)
        CHECK_EQ_U(umap_put(&m, key_of(n++), 1), EBB_INSERTED);
    for (size_t i = 0; i < n; i++)
        CHECK(umap_delete(&m, key_of(i)));
    ebb_stats st = stats_of(&m);
    CHECK_EQ_U(st.grows, (uint64_t)UINT32_MAX + 1);
    CHECK(st.shrinks > UINT32_MAX);
    umap_destroy(&m);
}

/* Every field lands under its own name, in both forms: a distinct value per field, the output
 * compared whole with what it must be (a mutant that swapped grows and shrinks in the JSON, or
 * printed saturated as migrating, passed the tests that parse a few fields). */
static void test_stats_every_field(void) {
    ebb_stats st = {.entries = 101,
                    .slots = 102,
                    .bytes = 103,
                    .load = 0.25,
                    .capacity = 104,
                    .longest_probe = 7,
                    .mean_probe = 0.5,
                    .tombstones = 105,
                    .migrating = 106,
                    .saturated = 107,
                    .grows = 108,
                    .shrinks = 109,
                    .moved = 110,
                    .repaired = 111};
    char hist_text[256] = "", hist_json[256] = "", want[1024];
    size_t ht = 0, hj = 0;
    for (int b = 0; b < EBB_PROBE_BUCKETS; b++) {
        st.probe_hist[b] = 200 + (size_t)b;
        ht += (size_t)snprintf(hist_text + ht, sizeof hist_text - ht, " %d", 200 + b);
        hj +=
            (size_t)snprintf(hist_json + hj, sizeof hist_json - hj, "%s%d", b ? "," : "", 200 + b);
    }
    snprintf(want, sizeof want,
             "entries        101\nslots          102\nbytes          103\nload           0.250\n"
             "capacity       104\nlongest_probe  7\nmean_probe     0.5000\nprobe_hist    %s\n"
             "tombstones     105\nmigrating      106\nsaturated      107\ngrows          108\n"
             "shrinks        109\nmoved          110\nrepaired       111\n",
             hist_text);
    check_output(ebb_stats_text, &st, want);
    snprintf(want, sizeof want,
             "{\"entries\":101,\"slots\":102,\"bytes\":103,\"load\":0.250000,\"capacity\":104,"
             "\"longest_probe\":7,\"mean_probe\":0.500000,\"probe_hist\":[%s],\"tombstones\":105,"
             "\"migrating\":106,\"saturated\":107,\"grows\":108,\"shrinks\":109,\"moved\":110,"
             "\"repaired\":111}",
             hist_json);
    check_output(ebb_stats_json, &st, want);
}

static void test_stats_in_comma_locale(void) {
    umap m;
    umap_init(&m);
    CHECK(fill(&m, 0, 1000));
    ebb_stats st = stats_of(&m);
    umap_destroy(&m);
    const char *name = comma_locale();
    if (!name) {
        fprintf(stderr, "  no locale with a decimal comma could be had: skipped\n");
        CHECK(getenv("CI") == NULL || strcmp(getenv("CI"), "true") != 0);
        return;
    }
    fprintf(stderr, "  locale %s: decimal point '%s'\n", name, localeconv()->decimal_point);
    CHECK(strcmp(localeconv()->decimal_point, ",") == 0);
    char json[2048], text[2048];
    ebb_stats_json(&st, json, sizeof json);
    ebb_stats_text(&st, text, sizeof text);
    setlocale(LC_NUMERIC, "C");
    CHECK(balanced(json));
    double load = json_number(json, "load"), mean = json_number(json, "mean_probe");
    CHECK(load > 0 && load - st.load < 1e-6 && st.load - load < 1e-6);
    CHECK(mean >= 0 && mean - st.mean_probe < 1e-6 && st.mean_probe - mean < 1e-6);
    const char *t = strstr(text, "load");
    CHECK(t != NULL && strchr(t, ',') == NULL); /* no comma anywhere after the counts */
    if (strchr(locale_dir, 'X') == NULL) {      /* made by comma_locale */
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", locale_dir);
        CHECK(system(cmd) == 0);
    }
}

static void test_strerror(void) {
    const int codes[] = {EBB_OK, EBB_INSERTED, EBB_ENOMEM, EBB_EINVAL};
    const char *unknown = ebb_strerror(12345);
    CHECK(unknown != NULL && unknown[0] != '\0');
    for (size_t i = 0; i < 4; i++) {
        const char *s = ebb_strerror(codes[i]);
        CHECK(s != NULL && s[0] != '\0');
        CHECK(strcmp(s, unknown) != 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(s, ebb_strerror(codes[j])) != 0);
    }
    CHECK(strstr(ebb_strerror(EBB_ENOMEM), "memory") != NULL);
}

static void test_seeds(void) {
    /* A fixed seed makes the layout reproducible: same operations, same iteration order. */
    umap a = fixed_map(0x1234), b = fixed_map(0x1234), c = fixed_map(0x4321);
    umap *maps[] = {&a, &b, &c};
    for (int j = 0; j < 3; j++) {
        CHECK(fill(maps[j], 0, 3000));
        for (size_t i = 0; i < 3000; i += 7)
            umap_delete(maps[j], key_of(i));
    }
    CHECK_EQ_U(a.core.seed, 0x1234);
    umap_iter x = umap_begin(&a), y = umap_begin(&b), z = umap_begin(&c);
    size_t same_as_c = 0, n = 0;
    for (; !umap_iter_done(&x); umap_next(&x), umap_next(&y), umap_next(&z), n++) {
        CHECK(!umap_iter_done(&y) && !umap_iter_done(&z));
        CHECK_EQ_U(*x.key, *y.key);
        same_as_c += *x.key == *z.key;
    }
    CHECK(umap_iter_done(&y) && umap_iter_done(&z));
    CHECK(same_as_c < n / 10); /* another seed, another order */
    for (int j = 0; j < 3; j++)
        umap_destroy(maps[j]);

    /* Default maps draw different seeds. */
    umap d, e;
    umap_init(&d);
    umap_init(&e);
    CHECK(d.core.seed != e.core.seed);
    ebb_u64map f;
    ebb_u64map_init(&f);
    CHECK(f.core.seed != d.core.seed && f.core.seed != e.core.seed);
    umap_destroy(&d);
    umap_destroy(&e);
    ebb_u64map_destroy(&f);
}

/* ---- Kept hashes (EBB_STORE_HASH; string keys by default) ---------------------------------- */

/* A hash hook that counts its calls: with the hash kept in the slot, a key is hashed once per
 * call that names it, and resizes, repairs and iterator deletes never hash again. */
static size_t kept_hash_calls;
static uint64_t counted_hash(uint64_t k, uint64_t seed) {
    kept_hash_calls++;
    return ebb_hash_u64(k, seed);
}

#define EBB_NAME keptmap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#define EBB_STORE_HASH
#define EBB_HASH_SEEDED(k, s) counted_hash((k), (s))
#include "ebb/map.h"

#define EBB_NAME              unkeptmap
#define EBB_KEY               uint64_t
#define EBB_VAL               uint64_t
#define EBB_HASH_SEEDED(k, s) counted_hash((k), (s))
#include "ebb/map.h"

#define EBB_NAME cstrmap
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#include "ebb/map.h"

#define EBB_NAME lean_cstrmap
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#define EBB_NO_STORE_HASH
#include "ebb/map.h"

static void test_kept_hash_layout(void) {
    CHECK_EQ_U(sizeof(keptmap_entry), 24);
    CHECK_EQ_U(sizeof(unkeptmap_entry), 16);
    CHECK_EQ_U(sizeof(cstrmap_entry), 24);
    CHECK_EQ_U(sizeof(lean_cstrmap_entry), 16);
    CHECK_EQ_U(sizeof(ebb_strmap_entry), 24);
}

/* Put keys 0..n-1, delete the even ones, then the odd ones whose value is 1 mod 4 through the
 * iterator; the number of hash calls it took. */
#define GROW_AND_THIN(T, m, n) (kept_hash_calls = 0, T##_grow_and_thin(&(m), (n)), kept_hash_calls)
#define DEFINE_GROW_AND_THIN(T)                                                                    \
    static void T##_grow_and_thin(T *m, uint64_t n) {                                              \
        for (uint64_t i = 0; i < n; i++)                                                           \
            T##_put(m, key_of(i), i);                                                              \
        for (uint64_t i = 0; i < n; i += 2)                                                        \
            T##_delete(m, key_of(i));                                                              \
        for (T##_iter it = T##_begin(m); !T##_iter_done(&it); T##_next(&it))                       \
            if (*it.val % 4 == 1) T##_iter_delete(&it);                                            \
    }
DEFINE_GROW_AND_THIN(keptmap)
DEFINE_GROW_AND_THIN(unkeptmap)

/* Grow to N and shrink back through deletes and iterator deletes: the kept map hashes exactly
 * once per put and delete; the same workload on a map without kept hashes hashes more
 * (every entry again at each growth). Both stay sound and agree. */
static void test_kept_hash_never_rehashes(void) {
    enum { N = 200000 };
    keptmap k;
    unkeptmap u;
    keptmap_init(&k);
    unkeptmap_init(&u);
    size_t calls_kept = GROW_AND_THIN(keptmap, k, N);
    size_t calls_unkept = GROW_AND_THIN(unkeptmap, u, N);
    CHECK_EQ_U(calls_kept, N + N / 2);
    CHECK(calls_unkept > calls_kept + N); /* every growth rehashed what it moved */
    CHECK_EQ_U(keptmap_count(&k), N / 4);
    CHECK_EQ_U(unkeptmap_count(&u), N / 4);
    ebb_stats st;
    keptmap_stats(&k, &st);
    CHECK(st.grows > 5 && st.shrinks > 0);
    for (uint64_t i = 0; i < N; i++) {
        uint64_t *v = keptmap_get(&k, key_of(i));
        CHECK_EQ_U(v != NULL, i % 4 == 3);
        CHECK_EQ_U(v != NULL, unkeptmap_get(&u, key_of(i)) != NULL);
    }
    CHECK_EQ_U(keptmap_check(&k), 0);
    CHECK_EQ_U(unkeptmap_check(&u), 0);
    keptmap_destroy(&k);
    unkeptmap_destroy(&u);
}

/* String keys keep their hash; check() notices a kept hash that is not the key's, and lookups
 * compare the kept hash before the string (a wrong one hides the entry). */
static void test_kept_hash_strings(void) {
    enum { N = 50000 };
    char(*keys)[24] = malloc(sizeof *keys * N);
    CHECK(keys != NULL);
    if (!keys) return;
    cstrmap m;
    lean_cstrmap lean;
    cstrmap_init(&m);
    lean_cstrmap_init(&lean);
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "user:%zu", i * 7919);
        CHECK_EQ_U(cstrmap_put(&m, keys[i], i), EBB_INSERTED);
        CHECK_EQ_U(lean_cstrmap_put(&lean, keys[i], i), EBB_INSERTED);
    }
    char probe[24];
    for (size_t i = 0; i < N; i++) {
        snprintf(probe, sizeof probe, "user:%zu", i * 7919); /* another copy of the key */
        uint64_t *v = cstrmap_get(&m, probe);
        CHECK(v && *v == i);
        CHECK(lean_cstrmap_get(&lean, probe) && *lean_cstrmap_get(&lean, probe) == i);
        snprintf(probe, sizeof probe, "user:%zu", i * 7919 + 1);
        CHECK(cstrmap_get(&m, probe) == NULL);
    }
    CHECK_EQ_U(cstrmap_check(&m), 0);
    CHECK_EQ_U(lean_cstrmap_check(&lean), 0);
    cstrmap_iter it = cstrmap_begin(&m);
    cstrmap_entry *e = (cstrmap_entry *)(void *)it.key;
    uint64_t kept = e->hash_;
    e->hash_ ^= 1u << 20; /* same tag and home group, wrong hash */
    CHECK_EQ_U(cstrmap_check(&m), -9);
    CHECK(cstrmap_get(&m, e->key) == NULL);
    e->hash_ = kept;
    CHECK_EQ_U(cstrmap_check(&m), 0);
    CHECK(cstrmap_get(&m, e->key) != NULL);
    for (size_t i = 0; i < N; i += 3) {
        CHECK(cstrmap_delete(&m, keys[i]));
        CHECK(lean_cstrmap_delete(&lean, keys[i]));
    }
    CHECK_EQ_U(cstrmap_count(&m), lean_cstrmap_count(&lean));
    CHECK_EQ_U(cstrmap_check(&m), 0);
    CHECK_EQ_U(lean_cstrmap_check(&lean), 0);
    cstrmap_destroy(&m);
    lean_cstrmap_destroy(&lean);
    free(keys);
}

/* ---- Adversarial: every key collides ------------------------------------------------------ */

/* A constant hash: one home group, one tag, one probe chain holding every entry. Its home sits
 * at 0.62 of the table, so the chain wraps, and in a retiring table it straddles the migrated
 * prefix (probes start at max(home, skip) and wrap to skip). */
#define EBB_NAME              collide
#define EBB_KEY               uint64_t
#define EBB_VAL               uint64_t
#define EBB_HASH_SEEDED(k, s) ((void)(k), (void)(s), 0x9e3779b97f4a7c15ull)
#include "ebb/map.h"

static bool collide_all_found(const collide *m, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
        const uint64_t *v = collide_get(m, key_of(i));
        if (!v || *v != i) return false;
    }
    return true;
}

static void test_adversarial_constant_hash(void) {
    /* A retiring table releases its pages in 64 KiB steps, which needs tables of 1024 groups
     * and more: 14,000 keys. Scaled-down runs (sanitizers) check the rest. */
    size_t n = test_scaled(20000);
    collide m;
    collide_init(&m);
    unsigned resizes_checked = 0, with_released_pages = 0;
    uint64_t resize_seen = 0; /* grows + shrinks of the last resize checked */
    bool ok = true;
/* Called after each operation: once per resize, midway through, look every key up. */
#define COLLIDE_DURING_RESIZE(lo, hi)                                                              \
    do {                                                                                           \
        ebb_stats st_;                                                                             \
        collide_stats(&m, &st_);                                                                   \
        const ebb_table *old_ = &m.core.old;                                                       \
        if (st_.migrating > 0 && st_.grows + st_.shrinks != resize_seen &&                         \
            old_->skip * 2 >= old_->ngroups) {                                                     \
            resize_seen = st_.grows + st_.shrinks;                                                 \
            resizes_checked++;                                                                     \
            with_released_pages += ebb_head(old_)->released > 0;                                   \
            ok = ok && collide_all_found(&m, (lo), (hi)) && collide_check(&m) == 0;                \
        }                                                                                          \
    } while (0)

    for (size_t i = 0; ok && i < n; i++) {
        ok = collide_put(&m, key_of(i), i) == EBB_INSERTED;
        COLLIDE_DURING_RESIZE(0, i + 1);
    }
    CHECK(ok);
    CHECK_EQ_U(collide_count(&m), n);
    CHECK(collide_all_found(&m, 0, n));
    CHECK_EQ_U(collide_check(&m), 0);
    ebb_stats st;
    collide_stats(&m, &st);
    CHECK_EQ_U(st.longest_probe, EBB_PROBE_BUCKETS - 1);
    CHECK(st.saturated > 0);
    CHECK(collide_get(&m, key_of(n)) == NULL);

    /* Down to 100 (shrinking through every size), then back up. */
    for (size_t i = n; ok && i > 100; i--) {
        ok = collide_delete(&m, key_of(i - 1));
        COLLIDE_DURING_RESIZE(0, i - 1);
    }
    CHECK(ok);
    CHECK_EQ_U(collide_count(&m), 100);
    CHECK(collide_all_found(&m, 0, 100));
    CHECK_EQ_U(collide_check(&m), 0);
    collide_stats(&m, &st);
    CHECK(st.shrinks > 0);
    for (size_t i = 100; ok && i < n; i++) {
        ok = collide_put(&m, key_of(i), i) == EBB_INSERTED;
        COLLIDE_DURING_RESIZE(0, i + 1);
    }
    CHECK(ok);
    CHECK(collide_all_found(&m, 0, n));
    CHECK_EQ_U(collide_check(&m), 0);
#undef COLLIDE_DURING_RESIZE
    fprintf(stderr,
            "  constant hash, %zu keys: %u resizes checked midway, %u with pages released\n", n,
            resizes_checked, with_released_pages);
    CHECK(resizes_checked >= 5);
    if (n >= 14000) CHECK(with_released_pages >= 2);
    collide_destroy(&m);
}

/* ---- Where entries sit in a group, and what a repair reads ---------------------------------- */

/* A hash hook that is the key itself, counting its calls: a test then chooses each entry's home
 * group (the key's high bits) and tag (its low byte). */
static size_t placed_calls;
static uint64_t placed_hash(uint64_t k) {
    placed_calls++;
    return k;
}

#define EBB_NAME              placed
#define EBB_KEY               uint64_t
#define EBB_VAL               uint64_t
#define EBB_HASH_SEEDED(k, s) ((void)(s), placed_hash(k))
#include "ebb/map.h"

/* The j-th key (j >= 1) whose home is group g of a table of n groups. */
static uint64_t key_homed_at(size_t g, size_t n, uint64_t j) {
    return (uint64_t)g * (UINT64_MAX / n + 1) + j;
}

/* Bit i set when slot i of group g holds an entry. */
static unsigned taken_slots(const placed *m, size_t g) {
    return ebb_match_full(ebb_group(&m->core.cur, g));
}

/* An entry takes the lowest free slot of its home group, and the highest of a group it was
 * displaced into. A repair after a delete reads only the next group's entries that are away from
 * home (the away bits), so it hashes the one it can pull back and none of the group's own. */
static void test_displaced_entries_sit_on_top(void) {
    placed m;
    placed_init(&m);
    CHECK_EQ_U(placed_reserve(&m, 1000), EBB_OK);
    size_t n = m.core.cur.ngroups;
    CHECK(n >= 4);
    for (uint64_t j = 1; j <= 15; j++) /* group 1: full of its own */
        CHECK_EQ_U(placed_put(&m, key_homed_at(1, n, j), j), EBB_INSERTED);
    for (uint64_t j = 1; j <= 5; j++) /* group 2: five of its own */
        CHECK_EQ_U(placed_put(&m, key_homed_at(2, n, j), j), EBB_INSERTED);
    for (uint64_t j = 16; j <= 17; j++) /* two more for group 1, displaced into group 2 */
        CHECK_EQ_U(placed_put(&m, key_homed_at(1, n, j), j), EBB_INSERTED);
    CHECK_EQ_U(taken_slots(&m, 1), 0x7fffu);
    CHECK_EQ_U(taken_slots(&m, 2), 0x601fu); /* slots 0-4 at home, 13-14 displaced */
    CHECK_EQ_U(m.core.cur.counts[1], 2);
    CHECK_EQ_U(placed_check(&m), 0);

    placed_calls = 0;
    CHECK(placed_delete(&m, key_homed_at(1, n, 3))); /* leaves a hole in slot 2 of group 1 */
    CHECK_EQ_U(placed_calls, 2); /* the delete's own hash, and one entry read by the repair */
    CHECK_EQ_U(taken_slots(&m, 1), 0x7fffu); /* the hole is filled from group 2's top... */
    CHECK_EQ_U(taken_slots(&m, 2), 0x201fu); /* ...and group 2's own entries did not move */
    CHECK_EQ_U(m.core.cur.counts[1], 1);
    CHECK_EQ_U(placed_check(&m), 0);
    for (uint64_t j = 1; j <= 17; j++) {
        const uint64_t *v = placed_get(&m, key_homed_at(1, n, j));
        CHECK_EQ_U(v ? *v : 0, j == 3 ? 0 : j);
    }
    ebb_stats st;
    placed_stats(&m, &st);
    CHECK_EQ_U(st.probe_hist[0], 20);
    CHECK_EQ_U(st.probe_hist[1], 1);
    CHECK_EQ_U(st.shrinks + st.grows, 0);
    CHECK_EQ_U(st.repaired, 1);
    placed_destroy(&m);
}

/* Under churn a displaced entry can land in any slot, below its group's own entries: the away
 * bits still name it, and the repair reads it first (from the top, it read the 12 own entries
 * above it first; their classes, 1 to 7 and 0, pass the mask's filter). */
static void test_repair_reads_away_entries_only(void) {
    placed m;
    placed_init(&m);
    CHECK_EQ_U(placed_reserve(&m, 1000), EBB_OK);
    size_t n = m.core.cur.ngroups;
    const uint16_t *away = ebb_away(&m.core.cur);
    for (uint64_t j = 1; j <= 15; j++) /* group 1: full of its own */
        CHECK_EQ_U(placed_put(&m, key_homed_at(1, n, j), j), EBB_INSERTED);
    for (uint64_t j = 1; j <= 13; j++) /* group 2: slots 0-12 its own */
        CHECK_EQ_U(placed_put(&m, key_homed_at(2, n, j), j), EBB_INSERTED);
    uint64_t x = key_homed_at(1, n, 16), y = key_homed_at(1, n, 17), z = key_homed_at(1, n, 18);
    CHECK_EQ_U(placed_put(&m, x, 16), EBB_INSERTED); /* displaced into slot 14 of group 2 */
    CHECK_EQ_U(placed_put(&m, y, 17), EBB_INSERTED); /* and slot 13 */
    CHECK_EQ_U(away[2], 0x6000u);
    CHECK(placed_delete(&m, key_homed_at(2, n, 1))); /* frees slot 0 of group 2 */
    CHECK_EQ_U(placed_put(&m, z, 18), EBB_INSERTED); /* the only free slot: 0 */
    CHECK(placed_delete(&m, x) && placed_delete(&m, y));
    CHECK_EQ_U(taken_slots(&m, 2), 0x1fffu);
    CHECK_EQ_U(away[1], 0);
    CHECK_EQ_U(away[2], 0x0001u); /* z alone, below the group's own entries */
    CHECK_EQ_U(m.core.cur.counts[1], 1);
    CHECK_EQ_U(placed_check(&m), 0);
    ebb_stats st;
    placed_stats(&m, &st);
    CHECK_EQ_U(st.repaired, 0); /* no delete so far left a hole that anything had passed */

    placed_calls = 0;
    CHECK(placed_delete(&m, key_homed_at(1, n, 3))); /* a hole in group 1 */
    CHECK_EQ_U(placed_calls, 2);                     /* the delete's own hash, and z's */
    CHECK_EQ_U(taken_slots(&m, 1), 0x7fffu);
    CHECK_EQ_U(taken_slots(&m, 2), 0x1ffeu);
    CHECK_EQ_U(away[1], 0); /* z is home */
    CHECK_EQ_U(away[2], 0);
    CHECK_EQ_U(m.core.cur.counts[1], 0);
    CHECK_EQ_U(placed_check(&m), 0);
    const uint64_t *v = placed_get(&m, z);
    CHECK_EQ_U(v ? *v : 0, 18);
    placed_stats(&m, &st);
    CHECK_EQ_U(st.repaired, 1);
    placed_destroy(&m);
}

/* A key homed at group g whose overflow class is `bit`, past the first `from` candidates. */
static uint64_t key_of_class(size_t g, size_t n, unsigned bit, uint64_t from) {
    uint64_t j = from;
    while (ebb_overflow_bit(key_homed_at(g, n, j)) != bit)
        j++;
    return key_homed_at(g, n, j);
}

/* Group g's overflow mask holds the class (ebb_overflow_bit) of every entry displaced past it,
 * and its overflow count how many there are; a bit stays until the count is back to zero. */
static void test_overflow_mask(void) {
    placed m;
    placed_init(&m);
    CHECK_EQ_U(placed_reserve(&m, 1000), EBB_OK);
    size_t n = m.core.cur.ngroups;
    for (uint64_t j = 1; j <= 15; j++) /* group 1: full of its own */
        CHECK_EQ_U(placed_put(&m, key_homed_at(1, n, j), j), EBB_INSERTED);
    CHECK_EQ_U(ebb_group(&m.core.cur, 1)[EBB_OVERFLOW], 0);
    uint64_t a = key_of_class(1, n, 1u << 3, 16), b = key_of_class(1, n, 1u << 5, 16);
    CHECK_EQ_U(placed_put(&m, a, 100), EBB_INSERTED); /* displaced into group 2 */
    CHECK_EQ_U(ebb_group(&m.core.cur, 1)[EBB_OVERFLOW], 1u << 3);
    CHECK_EQ_U(placed_put(&m, b, 200), EBB_INSERTED);
    CHECK_EQ_U(ebb_group(&m.core.cur, 1)[EBB_OVERFLOW], 1u << 3 | 1u << 5);
    CHECK_EQ_U(m.core.cur.counts[1], 2);
    CHECK_EQ_U(ebb_group(&m.core.cur, 2)[EBB_OVERFLOW], 0);
    CHECK(placed_get(&m, key_of_class(1, n, 1u << 6, 16)) == NULL); /* a class not in the mask */
    CHECK(placed_get(&m, key_of_class(1, n, 1u << 5, b - key_homed_at(1, n, 0) + 1)) == NULL);
    CHECK_EQ_U(placed_check(&m), 0);

    CHECK(placed_delete(&m, a));
    CHECK_EQ_U(m.core.cur.counts[1], 1);
    CHECK_EQ_U(ebb_group(&m.core.cur, 1)[EBB_OVERFLOW], 1u << 3 | 1u << 5); /* a's bit stays */
    CHECK_EQ_U(placed_check(&m), 0);
    CHECK(placed_delete(&m, b));
    CHECK_EQ_U(m.core.cur.counts[1], 0);
    CHECK_EQ_U(ebb_group(&m.core.cur, 1)[EBB_OVERFLOW], 0); /* cleared with the count */
    CHECK_EQ_U(placed_check(&m), 0);
    CHECK(placed_get(&m, a) == NULL && placed_get(&m, b) == NULL);
    for (uint64_t j = 1; j <= 15; j++) {
        const uint64_t *v = placed_get(&m, key_homed_at(1, n, j));
        CHECK_EQ_U(v ? *v : 0, j);
    }
    placed_destroy(&m);
}

int main(void) {
    RUN(test_empty_map);
    RUN(test_put_return_codes);
    RUN(test_get_or_insert);
    RUN(test_take);
    RUN(test_count);
    RUN(test_growth_at_limit);
    RUN(test_reserve);
    RUN(test_type_too_large);
    RUN(test_reserve_floor);
    RUN(test_shrink_to_fit);
    RUN(test_clear_and_reuse);
    RUN(test_iterate_during_resize);
    RUN(test_iter_delete_everything);
    RUN(test_retired_table);
    RUN(test_big_values);
    RUN(test_slots_on_cache_lines);
    RUN(test_u32_keys);
    RUN(test_seeded_hash_and_eq_hooks);
    RUN(test_string_keys_with_hooks);
    RUN(test_odd_entry_size);
    RUN(test_string_hash_inline_matches);
    RUN(test_string_hash_has_no_zero_word);
    RUN(test_string_hash_reads_every_byte);
    RUN(test_struct_key);
    RUN(test_library_map_matches_template);
    RUN(test_stats_output);
    RUN(test_stats_every_field);
    RUN(test_resize_counts_are_64_bit);
    RUN(test_stats_in_comma_locale);
    RUN(test_strerror);
    RUN(test_seeds);
    RUN(test_kept_hash_layout);
    RUN(test_kept_hash_never_rehashes);
    RUN(test_kept_hash_strings);
    RUN(test_adversarial_constant_hash);
    RUN(test_displaced_entries_sit_on_top);
    RUN(test_repair_reads_away_entries_only);
    RUN(test_overflow_mask);
    return check_summary();
}
