/* Concurrent readers: a map that no thread modifies may be read by any number of threads at once
 * (ebb/map.h, "Threads"). Four threads look up every key and as many absent ones, count, read
 * the statistics, run the structural check and iterate, all at once, on:
 *   - a u64 map at rest, one in the middle of a growth and one in the middle of a shrink (its
 *     lookups then search two tables);
 *   - a string map (ebb_strmap) in the middle of a growth.
 * Each thread checks every answer against what was inserted. Under TSan (`make test` builds this
 * file in build/tsan too) any write that a read makes to the map is a reported race, and the
 * run fails. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ebb/strmap.h"
#include "ebb/u64map.h"
#include "testutil.h"

#define READERS 4

static const uint64_t SEED = 0x2eade25;

/* Key i of the map (present for i < n), and key i of the absent set (never inserted). */
static uint64_t key_at(uint64_t i) {
    return scramble(2 * i, SEED);
}

static uint64_t absent_at(uint64_t i) {
    return scramble(2 * i + 1, SEED);
}

typedef struct u64_job {
    const ebb_u64map *m;
    uint64_t first, n; /* the map holds keys first..n-1 (first > 0 once a shrink deleted some) */
} u64_job;

/* Everything a reader may do, checked; returns the number of wrong answers. */
static void *read_u64(void *arg) {
    const u64_job *j = arg;
    uintptr_t wrong = 0;
    for (uint64_t i = j->first; i < j->n; i++) {
        const uint64_t *v = ebb_u64map_get(j->m, key_at(i));
        wrong += v == NULL || *v != i;
        wrong += ebb_u64map_get(j->m, absent_at(i)) != NULL;
    }
    wrong += ebb_u64map_count(j->m) != j->n - j->first;
    ebb_stats st;
    ebb_u64map_stats(j->m, &st);
    wrong += st.entries != j->n - j->first;
    wrong += ebb_u64map_check(j->m) != 0;
    uint64_t seen = 0, sum = 0;
    for (ebb_u64map_iter it = ebb_u64map_begin((ebb_u64map *)j->m); !ebb_u64map_iter_done(&it);
         ebb_u64map_next(&it)) {
        seen++;
        sum += *it.val;
    }
    uint64_t want = (j->n - 1 + j->first) * (j->n - j->first) / 2; /* first + ... + n-1 */
    wrong += seen != j->n - j->first || sum != want;
    return (void *)wrong;
}

/* Run READERS threads of fn on arg at once; the wrong answers they found in all. */
static uintptr_t run_readers(void *(*fn)(void *), void *arg) {
    pthread_t t[READERS];
    int started = 0;
    for (; started < READERS; started++)
        if (pthread_create(&t[started], NULL, fn, arg) != 0) break;
    uintptr_t wrong = started == READERS ? 0 : 1;
    for (int k = 0; k < started; k++) {
        void *w;
        pthread_join(t[k], &w);
        wrong += (uintptr_t)w;
    }
    return wrong;
}

/* Insert keys from *n on until a growth has started, or until *n reaches `until` when
 * mid_growth is false. Whether every insert was new. */
static bool grow_u64(ebb_u64map *m, uint64_t *n, uint64_t until, bool mid_growth) {
    ebb_stats st;
    ebb_u64map_stats(m, &st);
    uint64_t grows = st.grows;
    bool ok = true;
    while (mid_growth ? st.grows == grows : *n < until) {
        ok &= ebb_u64map_put(m, key_at(*n), *n) == EBB_INSERTED;
        ++*n;
        ebb_u64map_stats(m, &st);
    }
    return ok;
}

static void test_u64_at_rest(void) {
    ebb_u64map m;
    ebb_u64map_init(&m);
    u64_job j = {&m, 0, 0};
    CHECK(grow_u64(&m, &j.n, test_scaled(150000), false));
    ebb_stats st;
    ebb_u64map_stats(&m, &st);
    for (; st.migrating; ebb_u64map_stats(&m, &st)) /* finish a growth under way */
        CHECK(grow_u64(&m, &j.n, j.n + 1, false));
    CHECK_EQ_U(run_readers(read_u64, &j), 0);
    ebb_u64map_destroy(&m);
}

static void test_u64_mid_growth(void) {
    ebb_u64map m;
    ebb_u64map_init(&m);
    u64_job j = {&m, 0, 0};
    CHECK(grow_u64(&m, &j.n, test_scaled(100000), false));
    CHECK(grow_u64(&m, &j.n, 0, true));
    ebb_stats st;
    ebb_u64map_stats(&m, &st);
    CHECK(st.migrating > 0); /* the readers search two tables */
    CHECK_EQ_U(run_readers(read_u64, &j), 0);
    ebb_u64map_destroy(&m);
}

static void test_u64_mid_shrink(void) {
    ebb_u64map m;
    ebb_u64map_init(&m);
    u64_job j = {&m, 0, 0};
    CHECK(grow_u64(&m, &j.n, test_scaled(200000), false));
    ebb_stats st;
    ebb_u64map_stats(&m, &st);
    uint64_t shrinks = st.shrinks;
    /* Delete the oldest keys until a shrink has started. */
    while (st.shrinks == shrinks && j.first < j.n) {
        CHECK(ebb_u64map_delete(&m, key_at(j.first)));
        j.first++;
        ebb_u64map_stats(&m, &st);
    }
    CHECK(st.migrating > 0);
    CHECK_EQ_U(run_readers(read_u64, &j), 0);
    ebb_u64map_destroy(&m);
}

/* String keys "key-<i>" mapped to the address of counter i. */
typedef struct str_job {
    const ebb_strmap *m;
    uint64_t n;
    uint64_t *counters;
} str_job;

static void str_key(char *buf, size_t len, uint64_t i, bool absent) {
    snprintf(buf, len, "%s-%llu", absent ? "absent" : "key", (unsigned long long)i);
}

static void *read_str(void *arg) {
    const str_job *j = arg;
    uintptr_t wrong = 0;
    char buf[32];
    for (uint64_t i = 0; i < j->n; i++) {
        str_key(buf, sizeof buf, i, false);
        void **v = ebb_strmap_get(j->m, buf);
        wrong += v == NULL || *v != &j->counters[i];
        str_key(buf, sizeof buf, i, true);
        wrong += ebb_strmap_get(j->m, buf) != NULL;
    }
    wrong += ebb_strmap_count(j->m) != j->n;
    wrong += ebb_strmap_check(j->m) != 0;
    uint64_t seen = 0;
    for (ebb_strmap_iter it = ebb_strmap_begin((ebb_strmap *)j->m); !ebb_strmap_iter_done(&it);
         ebb_strmap_next(&it)) {
        uint64_t *c = *it.val;
        str_key(buf, sizeof buf, (uint64_t)(c - j->counters), false);
        wrong += strcmp(*it.key, buf) != 0;
        seen++;
    }
    wrong += seen != j->n;
    return (void *)wrong;
}

static void test_strmap_mid_growth(void) {
    /* From `half` entries the next growth comes before twice as many. */
    uint64_t half = test_scaled(60000), cap = 3 * half;
    uint64_t *counters = calloc(cap, sizeof *counters);
    CHECK(counters != NULL);
    ebb_strmap m;
    ebb_strmap_init(&m);
    str_job j = {&m, 0, counters};
    char buf[32];
    ebb_stats st;
    bool ok = true;
    uint64_t grows = 0;
    /* Past `half`, on to the next growth, and stop while it is under way. */
    for (; j.n < cap; j.n++) {
        ebb_strmap_stats(&m, &st);
        if (j.n == half) grows = st.grows;
        if (j.n > half && st.grows != grows) break;
        str_key(buf, sizeof buf, j.n, false);
        ok &= ebb_strmap_put(&m, buf, &counters[j.n]) == EBB_INSERTED;
    }
    CHECK(ok);
    CHECK(st.migrating > 0);
    CHECK_EQ_U(run_readers(read_str, &j), 0);
    ebb_strmap_destroy(&m);
    free(counters);
}

int main(void) {
    RUN(test_u64_at_rest);
    RUN(test_u64_mid_growth);
    RUN(test_u64_mid_shrink);
    RUN(test_strmap_mid_growth);
    return check_summary();
}
