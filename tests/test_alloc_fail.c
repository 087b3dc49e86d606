/* Allocation failure, the SQLite way: before every operation of a long random workload, arm an
 * allocator hook to fail; each failure it injects must leave the map exactly as it was (same
 * entries, every invariant intact) and be reported as EBB_ENOMEM by calls that allocate, or be
 * survived by calls that cannot fail (a delete whose shrink cannot allocate postpones it). The
 * same operation then succeeds once the allocator works again. Every allocation point is hit
 * many times: first table, growth, shrink, key copies, reserve, shrink_to_fit. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fault_alloc.h"
#include "testutil.h"

#include "ebb/strmap.h"

#define EBB_NAME tmap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

/* ---- The reference: indices [0, n), present or not, each with a value ---------------------- */

typedef struct ref {
    uint8_t *present;
    uint64_t *value;
    size_t *live, *slot_of; /* present indices, densely, so deletes can aim at entries */
    size_t n, count;
} ref;

static bool ref_init(ref *r, size_t n) {
    *r = (ref){
        calloc(n, 1), calloc(n, 8), calloc(n, sizeof(size_t)), calloc(n, sizeof(size_t)), n, 0};
    return r->present && r->value && r->live && r->slot_of;
}

static void ref_free(ref *r) {
    free(r->present);
    free(r->value);
    free(r->live);
    free(r->slot_of);
}

static void ref_set(ref *r, size_t i, uint64_t v) {
    if (!r->present[i]) {
        r->present[i] = 1;
        r->slot_of[i] = r->count;
        r->live[r->count++] = i;
    }
    r->value[i] = v;
}

static void ref_unset(ref *r, size_t i) {
    if (!r->present[i]) return;
    size_t last = r->live[--r->count];
    r->live[r->slot_of[i]] = last;
    r->slot_of[last] = r->slot_of[i];
    r->present[i] = 0;
}

static void ref_clear(ref *r) {
    while (r->count)
        ref_unset(r, r->live[r->count - 1]);
}

/* A size the workload drifts towards, alternately high and low, so that the map keeps growing
 * and shrinking through several sizes; it changes once reached. */
static size_t next_target(rng *g, size_t n, size_t count) {
    if (count < n / 8) return n / 8 + rng_below(g, n * 3 / 4);
    return rng_below(g, 2) ? rng_below(g, 20) : rng_below(g, n / 10);
}

/* Index of an operation's key: mostly a present one for removals, a random one otherwise. */
static size_t pick(const ref *r, rng *g, bool present) {
    if (present && r->count && rng_below(g, 100) < 85) return r->live[rng_below(g, r->count)];
    return rng_below(g, r->n);
}

enum op { OP_PUT, OP_GET_OR_INSERT, OP_DELETE, OP_TAKE, OP_GET, OP_RESERVE, OP_SHRINK, OP_CLEAR };

static enum op pick_op(rng *g, size_t count, size_t target) {
    unsigned d = (unsigned)rng_below(g, 10000);
    /* Rare: reserve() sets a floor the map does not shrink below until shrink_to_fit(), and
     * shrink_to_fit() leaves a full table; either would leave few automatic shrinks to fail.
     * Clearing (then the first allocation again) waits until the map is nearly empty anyway. */
    if (d < 6) return OP_RESERVE;
    if (d < 12) return OP_SHRINK;
    if (d < 500 && count < 50 && target < 20) return OP_CLEAR;
    if (d < 1000) return OP_GET;
    unsigned insert_pct = count < target ? 90 : count > target ? 10 : 50;
    if (rng_below(g, 100) < insert_pct) return d & 1 ? OP_PUT : OP_GET_OR_INSERT;
    return d & 1 ? OP_DELETE : OP_TAKE;
}

/* Where the injected failures landed. */
typedef struct tally {
    unsigned long first, grow, key_copy, shrink, reserve, shrink_to_fit, total;
} tally;

static void tally_print(const char *name, const tally *t) {
    fprintf(stderr,
            "  %s: %lu failures injected: first table %lu, growth %lu, key copy %lu, shrink %lu, "
            "reserve %lu, shrink_to_fit %lu\n",
            name, t->total, t->first, t->grow, t->key_copy, t->shrink, t->reserve,
            t->shrink_to_fit);
}

#define KEY_COPY_MAX 64 /* failed allocations this small are key copies; tables are larger */

static void tally_add(tally *t, enum op op, bool had_table, size_t failed_size) {
    t->total++;
    if (failed_size <= KEY_COPY_MAX)
        t->key_copy++;
    else if (op == OP_RESERVE)
        t->reserve++;
    else if (op == OP_SHRINK)
        t->shrink_to_fit++;
    else if (op == OP_DELETE || op == OP_TAKE)
        t->shrink++;
    else if (had_table)
        t->grow++;
    else
        t->first++;
}

/* ---- u64 template map ---------------------------------------------------------------------- */

static uint64_t ukey(size_t i) {
    return scramble(i, 77);
}

static bool tmap_equals(const tmap *m, const ref *r) {
    if (tmap_check(m) != 0 || tmap_count(m) != r->count) return false;
    for (size_t j = 0; j < r->count; j++) {
        size_t i = r->live[j];
        const uint64_t *v = tmap_get(m, ukey(i));
        if (!v || *v != r->value[i]) return false;
    }
    return true;
}

/* One operation; `armed` says whether the next allocation fails. Returns false on any
 * disagreement with the contract (after printing why). */
static bool tmap_step(tmap *m, ref *r, rng *g, fault_alloc *fa, tally *t, size_t target,
                      unsigned long opno) {
    enum op op = pick_op(g, r->count, target);
    bool armed = rng_below(g, 8) != 0; /* some operations run unhindered, so shrinks happen */
    size_t i = pick(r, g, op == OP_DELETE || op == OP_TAKE || op == OP_GET);
    uint64_t k = ukey(i), v = rng_next(g);
    size_t n = rng_below(g, r->n);
    ebb_stats st;
    tmap_stats(m, &st);
    bool had_table = st.bytes != 0;
    int expect = r->present[i] ? EBB_OK : EBB_INSERTED;
    const char *why = NULL;
    for (int attempt = 0; attempt < 2 && !why; attempt++) {
        fa_arm(fa, attempt == 0 && armed ? 1 : 0);
        int rc = EBB_OK;
        uint64_t *p = NULL, kout = 0, vout = 0;
        bool found = false;
        switch (op) {
        case OP_PUT:
            rc = tmap_put(m, k, v);
            break;
        case OP_GET_OR_INSERT:
            rc = tmap_get_or_insert(m, k, &p);
            if (rc == EBB_INSERTED && *p != 0) why = "new value not zeroed";
            if (rc == EBB_OK && *p != r->value[i]) why = "get_or_insert: wrong value";
            if (rc >= 0) *p = v;
            break;
        case OP_DELETE:
            found = tmap_delete(m, k);
            break;
        case OP_TAKE:
            found = tmap_take(m, k, &kout, &vout);
            if (found && (kout != k || vout != r->value[i])) why = "take: wrong key or value";
            break;
        case OP_GET:
            p = tmap_get(m, k);
            if ((p != NULL) != (bool)r->present[i] || (p && *p != r->value[i])) why = "get";
            break;
        case OP_RESERVE:
            rc = tmap_reserve(m, n);
            break;
        case OP_SHRINK:
            rc = tmap_shrink_to_fit(m);
            break;
        case OP_CLEAR:
            tmap_clear(m);
            break;
        }
        bool injected = fa->failed;
        fa_arm(fa, 0);
        if ((op == OP_DELETE || op == OP_TAKE) && found != (bool)r->present[i]) why = "found";
        if (why) break;
        if (injected) {
            tally_add(t, op, had_table, fa->failed_size);
            if (op == OP_DELETE || op == OP_TAKE) {
                ref_unset(r, i); /* cannot fail: it happened, and the shrink waits */
                if (!tmap_equals(m, r)) why = "map differs after a delete with a failed shrink";
                break;
            }
            if (rc != EBB_ENOMEM)
                why = "a failed allocation not reported as EBB_ENOMEM";
            else if (!tmap_equals(m, r))
                why = "map differs after a failed allocation";
            continue; /* and again, with a working allocator */
        }
        if (op == OP_PUT || op == OP_GET_OR_INSERT) {
            if (rc != expect)
                why = "insert status";
            else
                ref_set(r, i, v);
        } else if (op == OP_RESERVE || op == OP_SHRINK) {
            if (rc != EBB_OK) why = "reserve/shrink_to_fit status";
        } else if (op == OP_DELETE || op == OP_TAKE) {
            ref_unset(r, i);
        } else if (op == OP_CLEAR) {
            ref_clear(r);
        }
        break;
    }
    if (!why && tmap_count(m) != r->count) why = "count";
    if (why) fprintf(stderr, "  op %lu (kind %d): %s\n", opno, (int)op, why);
    return why == NULL;
}

static void test_template_map(void) {
    fault_alloc fa = {0};
    ebb_allocator a = {fa_alloc, fa_free, &fa};
    ebb_options o = {&a, 1, EBB_FIXED_SEED};
    ref r;
    CHECK(ref_init(&r, 3000));
    tmap m;
    tmap_init_with(&m, &o);
    rng g = {42};
    tally t = {0};
    size_t target = 0;
    bool ok = true;
    unsigned long ops = test_scaled(1000000);
    for (unsigned long op = 0; ok && op < ops; op++) {
        if (r.count == target || op % 20000 == 0) target = next_target(&g, r.n, r.count);
        ok = tmap_step(&m, &r, &g, &fa, &t, target, op);
        if (ok && op % 5000 == 0) ok = tmap_equals(&m, &r);
    }
    ok = ok && tmap_equals(&m, &r);
    tmap_destroy(&m);
    ref_free(&r);
    tally_print("template map", &t);
    CHECK(ok);
    CHECK_EQ_U(fa.outstanding, 0);
    CHECK_EQ_U(fa.blocks, 0);
    CHECK_EQ_U(fa.bad_frees, 0);
    /* Every allocation point, many times (the counts scale with the workload). */
    unsigned long many = test_scaled(30);
    CHECK(t.first >= many);
    CHECK(t.grow >= many);
    CHECK(t.shrink >= many);
    CHECK(t.reserve >= many);
    CHECK(t.shrink_to_fit >= many);
}

/* ---- ebb_strmap: key copies go through the allocator too ----------------------------------- */

#define KEY_LEN 24
static void skey(char *buf, size_t i) {
    snprintf(buf, KEY_LEN, "session/%zu", i * 7919);
}

static void *as_val(uint64_t v) {
    return (void *)(uintptr_t)(v | 1);
}

static bool strmap_equals(const ebb_strmap *m, const ref *r) {
    if (ebb_strmap_check(m) != 0 || ebb_strmap_count(m) != r->count) return false;
    char k[KEY_LEN];
    for (size_t j = 0; j < r->count; j++) {
        size_t i = r->live[j];
        skey(k, i);
        void **v = ebb_strmap_get(m, k);
        if (!v || *v != as_val(r->value[i])) return false;
    }
    return true;
}

static bool strmap_step(ebb_strmap *m, ref *r, rng *g, fault_alloc *fa, const ebb_allocator *a,
                        tally *t, size_t target, unsigned long opno) {
    enum op op = pick_op(g, r->count, target);
    /* Fail the first allocation (a key copy, or a table) or, more often, the second (a table
     * growth after the key was copied: the copy must be given back). Key copies are made by
     * every new entry: failing a few of them suffices. */
    bool insert = op == OP_PUT || op == OP_GET_OR_INSERT;
    unsigned d = (unsigned)rng_below(g, 16);
    unsigned fail_at = d < 2 ? 0 : d < 3 || !insert ? 1 : 2;
    size_t i = pick(r, g, op == OP_DELETE || op == OP_TAKE || op == OP_GET);
    uint64_t v = rng_next(g);
    size_t n = rng_below(g, r->n);
    char k[KEY_LEN];
    skey(k, i);
    ebb_stats st;
    ebb_strmap_stats(m, &st);
    bool had_table = st.bytes != 0;
    int expect = r->present[i] ? EBB_OK : EBB_INSERTED;
    const char *why = NULL;
    for (int attempt = 0; attempt < 2 && !why; attempt++) {
        fa_arm(fa, attempt == 0 ? fail_at : 0);
        int rc = EBB_OK;
        void **p = NULL, *vout = NULL;
        const char *kout = NULL;
        bool found = false;
        switch (op) {
        case OP_PUT:
            rc = ebb_strmap_put(m, k, as_val(v));
            break;
        case OP_GET_OR_INSERT:
            rc = ebb_strmap_get_or_insert(m, k, &p);
            if (rc == EBB_INSERTED && *p != NULL) why = "new value not zeroed";
            if (rc == EBB_OK && *p != as_val(r->value[i])) why = "get_or_insert: wrong value";
            if (rc >= 0) *p = as_val(v);
            break;
        case OP_DELETE:
            found = ebb_strmap_delete(m, k);
            break;
        case OP_TAKE:
            found = ebb_strmap_take(m, k, &kout, &vout);
            if (found && (strcmp(kout, k) != 0 || kout == k || vout != as_val(r->value[i])))
                why = "take: wrong key or value";
            if (found) ebb_strmap_free_key(kout, a); /* the map's copy is now ours */
            break;
        case OP_GET:
            p = ebb_strmap_get(m, k);
            if ((p != NULL) != (bool)r->present[i] || (p && *p != as_val(r->value[i]))) why = "get";
            break;
        case OP_RESERVE:
            rc = ebb_strmap_reserve(m, n);
            break;
        case OP_SHRINK:
            rc = ebb_strmap_shrink_to_fit(m);
            break;
        case OP_CLEAR:
            ebb_strmap_clear(m);
            break;
        }
        bool injected = fa->failed;
        fa_arm(fa, 0);
        if ((op == OP_DELETE || op == OP_TAKE) && found != (bool)r->present[i]) why = "found";
        if (why) break;
        if (injected) {
            tally_add(t, op, had_table, fa->failed_size);
            if (op == OP_DELETE || op == OP_TAKE) {
                ref_unset(r, i);
                if (!strmap_equals(m, r)) why = "map differs after a delete with a failed shrink";
                break;
            }
            if (rc != EBB_ENOMEM)
                why = "a failed allocation not reported as EBB_ENOMEM";
            else if (!strmap_equals(m, r))
                why = "map differs after a failed allocation";
            continue;
        }
        if (op == OP_PUT || op == OP_GET_OR_INSERT) {
            if (rc != expect)
                why = "insert status";
            else
                ref_set(r, i, v);
        } else if (op == OP_RESERVE || op == OP_SHRINK) {
            if (rc != EBB_OK) why = "reserve/shrink_to_fit status";
        } else if (op == OP_DELETE || op == OP_TAKE) {
            ref_unset(r, i);
        } else if (op == OP_CLEAR) {
            ref_clear(r);
        }
        break;
    }
    if (!why && ebb_strmap_count(m) != r->count) why = "count";
    if (why) fprintf(stderr, "  op %lu (kind %d): %s\n", opno, (int)op, why);
    return why == NULL;
}

static void test_strmap(void) {
    fault_alloc fa = {0};
    ebb_allocator a = {fa_alloc, fa_free, &fa};
    ebb_options o = {&a, 2, EBB_FIXED_SEED};
    ref r;
    CHECK(ref_init(&r, 3000));
    ebb_strmap m;
    ebb_strmap_init_with(&m, &o);
    CHECK(m.val_dtor == NULL);
    rng g = {43};
    tally t = {0};
    size_t target = 0;
    bool ok = true;
    unsigned long ops = test_scaled(400000);
    for (unsigned long op = 0; ok && op < ops; op++) {
        if (r.count == target || op % 20000 == 0) target = next_target(&g, r.n, r.count);
        ok = strmap_step(&m, &r, &g, &fa, &a, &t, target, op);
        if (ok && op % 5000 == 0) ok = strmap_equals(&m, &r);
        /* The map's allocations: its tables and one key copy per entry. */
        if (ok && fa.blocks < r.count) ok = false;
    }
    ok = ok && strmap_equals(&m, &r);
    ebb_strmap_destroy(&m);
    ref_free(&r);
    tally_print("ebb_strmap", &t);
    CHECK(ok);
    CHECK_EQ_U(fa.outstanding, 0);
    CHECK_EQ_U(fa.blocks, 0);
    CHECK_EQ_U(fa.bad_frees, 0);
    unsigned long many = test_scaled(30);
    CHECK(t.key_copy >= many);
    CHECK(t.first >= many);
    CHECK(t.grow >= many); /* after the key copy succeeded: the copy went back */
    CHECK(t.shrink >= many);
    CHECK(t.reserve >= many);
    CHECK(t.shrink_to_fit >= many);
}

/* ---- Failures that must leave no trace ----------------------------------------------------- */

/* A reserve that fails must not leave its size behind: the map still grows normally, by
 * doubling, when memory for the reserved size is not there. */
static void test_failed_reserve_leaves_no_trace(void) {
    fault_alloc fa = {0};
    ebb_allocator a = {fa_alloc, fa_free, &fa};
    ebb_options o = {&a, 3, EBB_FIXED_SEED};
    tmap m;
    tmap_init_with(&m, &o);
    for (uint64_t i = 0; i < 10; i++)
        CHECK_EQ_U(tmap_put(&m, ukey(i), i), EBB_INSERTED);
    fa.fail_above = 1u << 20; /* no table above 1 MiB */
    CHECK_EQ_U(tmap_reserve(&m, 1000000), EBB_ENOMEM);
    CHECK_EQ_U(tmap_check(&m), 0);
    CHECK_EQ_U(tmap_count(&m), 10);
    size_t inserted = 10;
    while (inserted < 5000 && tmap_put(&m, ukey(inserted), inserted) == EBB_INSERTED)
        inserted++;
    ebb_stats st;
    tmap_stats(&m, &st);
    tmap_destroy(&m);
    CHECK_EQ_U(fa.outstanding, 0);
    if (inserted < 5000)
        fprintf(stderr, "  after reserve(1000000) failed: insert %zu failed, capacity %zu\n",
                inserted, st.capacity);
    CHECK_EQ_U(inserted, 5000);
    CHECK(st.bytes < fa.fail_above);
}

/* A shrink_to_fit that fails leaves reserve()'s floor in place: the map still does not shrink
 * below the reserved size as entries leave, as it would after a shrink_to_fit that succeeded. */
static void test_failed_shrink_to_fit_keeps_reserve(void) {
    fault_alloc fa = {0};
    ebb_allocator a = {fa_alloc, fa_free, &fa};
    ebb_options o = {&a, 5, EBB_FIXED_SEED};
    tmap m;
    tmap_init_with(&m, &o);
    const uint64_t n = 20000;
    CHECK_EQ_U(tmap_reserve(&m, n), EBB_OK);
    for (uint64_t i = 0; i < n; i++)
        CHECK_EQ_U(tmap_put(&m, ukey(i), i), EBB_INSERTED);
    ebb_stats before, after;
    tmap_stats(&m, &before);
    for (uint64_t i = 0; i < n * 9 / 10; i++)
        CHECK(tmap_delete(&m, ukey(i)));
    fa_arm(&fa, 1);
    CHECK_EQ_U(tmap_shrink_to_fit(&m), EBB_ENOMEM);
    CHECK(fa.failed);
    for (uint64_t i = n * 9 / 10; i < n - 10; i++)
        CHECK(tmap_delete(&m, ukey(i)));
    tmap_stats(&m, &after);
    CHECK_EQ_U(after.shrinks, before.shrinks);
    CHECK_EQ_U(after.slots, before.slots);
    CHECK_EQ_U(tmap_check(&m), 0);
    CHECK_EQ_U(tmap_shrink_to_fit(&m), EBB_OK); /* and once it works, the floor goes */
    tmap_stats(&m, &after);
    CHECK(after.slots < before.slots / 100);
    tmap_destroy(&m);
    CHECK_EQ_U(fa.outstanding, 0);
}

/* A failed insert into an empty map leaves it empty and holding nothing. */
static void test_failed_first_insert(void) {
    fault_alloc fa = {0};
    ebb_allocator a = {fa_alloc, fa_free, &fa};
    ebb_options o = {&a, 4, EBB_FIXED_SEED};
    ebb_strmap m;
    ebb_strmap_init_with(&m, &o);
    for (unsigned k = 1; k <= 2; k++) { /* the key copy fails; then the table does */
        fa_arm(&fa, k);
        CHECK_EQ_U(ebb_strmap_put(&m, "alpha", as_val(1)), EBB_ENOMEM);
        CHECK(fa.failed);
        CHECK_EQ_U(ebb_strmap_count(&m), 0);
        CHECK_EQ_U(fa.outstanding, 0);
        CHECK(ebb_strmap_get(&m, "alpha") == NULL);
    }
    fa_arm(&fa, 0);
    CHECK_EQ_U(ebb_strmap_put(&m, "alpha", as_val(1)), EBB_INSERTED);
    CHECK(fa.outstanding > 0);
    ebb_strmap_destroy(&m);
    CHECK_EQ_U(fa.outstanding, 0);
}

int main(void) {
    RUN(test_failed_first_insert);
    RUN(test_failed_reserve_leaves_no_trace);
    RUN(test_failed_shrink_to_fit_keeps_reserve);
    RUN(test_template_map);
    RUN(test_strmap);
    return check_summary();
}
