/* Ownership: the map's destructors run exactly once for every key and value that leaves it by
 * overwrite, delete, clear, destroy or iter_delete, never for what take hands back, never for
 * what a failed call leaves with the caller. Keys and values are heap objects with ids; the
 * destructors free them and mark the id destroyed (a second destroy fails the test, and ASan
 * would report the double free); the test frees what it gets back, marking the id released.
 * At the end every id ever created was destroyed or released exactly once, and LeakSanitizer
 * (the asan build) finds nothing. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testutil.h"

#include "ebb/strmap.h"

/* ---- Tracked objects ----------------------------------------------------------------------- */

typedef struct obj {
    uint32_t id;
    uint64_t name; /* keys: what equality compares; values: the key's name they belong to */
} obj;

enum { UNUSED, LIVE, DESTROYED, RELEASED };

static struct {
    uint8_t *state; /* per id */
    size_t ids, cap;
    size_t live;          /* created and neither destroyed nor released */
    unsigned long errors; /* destroyed or released twice, or an id never created */
    bool fail_clone;      /* make the next key clone fail */
} objs;

static obj *obj_new(uint64_t name) {
    if (objs.ids == objs.cap) {
        size_t cap = objs.cap ? objs.cap * 2 : 1024;
        uint8_t *s = realloc(objs.state, cap);
        if (!s) abort();
        memset(s + objs.cap, UNUSED, cap - objs.cap);
        objs.state = s;
        objs.cap = cap;
    }
    obj *o = malloc(sizeof *o);
    if (!o) abort();
    o->id = (uint32_t)objs.ids++;
    o->name = name;
    objs.state[o->id] = LIVE;
    objs.live++;
    return o;
}

static void obj_end(obj *o, uint8_t how) {
    if (o->id >= objs.ids || objs.state[o->id] != LIVE) {
        objs.errors++;
        fprintf(stderr, "  object %u ended twice (state %d)\n", o->id,
                o->id < objs.ids ? objs.state[o->id] : -1);
        return; /* do not free twice; ASan has already seen the use after free */
    }
    objs.state[o->id] = how;
    objs.live--;
    free(o);
}

static void obj_destroy(obj *o) {
    obj_end(o, DESTROYED);
} /* the map's destructor */
static void obj_release(obj *o) {
    obj_end(o, RELEASED);
} /* the test frees what it owns */
static void obj_destroy_void(void *o) {
    obj_destroy(o);
}

static obj *obj_clone(const obj *k) {
    if (objs.fail_clone) {
        objs.fail_clone = false;
        return NULL;
    }
    return obj_new(k->name);
}

static uint8_t state_of(const obj *o) {
    return objs.state[o->id];
}

/* Every id created has ended exactly once; returns the count still live. */
static size_t objs_unended(void) {
    size_t n = 0;
    for (size_t i = 0; i < objs.ids; i++)
        n += objs.state[i] == LIVE || objs.state[i] == UNUSED;
    return n;
}

static void objs_reset(void) {
    free(objs.state);
    memset(&objs, 0, sizeof objs);
}

/* ---- Two maps of objects: keys consumed, and keys borrowed (cloned) ------------------------ */

#define EBB_NAME        owned
#define EBB_KEY         obj *
#define EBB_VAL         obj *
#define EBB_HASH(k)     ((k)->name)
#define EBB_EQ(a, b)    ((a)->name == (b)->name)
#define EBB_KEY_DTOR(k) obj_destroy(k)
#define EBB_VAL_DTOR(v) obj_destroy(v)
#include "ebb/map.h"

#define EBB_NAME              borrowed
#define EBB_KEY               obj *
#define EBB_VAL               obj *
#define EBB_HASH(k)           ((k)->name)
#define EBB_EQ(a, b)          ((a)->name == (b)->name)
#define EBB_KEY_CLONE(dst, k) ((*(dst) = obj_clone(k)) != NULL)
#define EBB_KEY_DTOR(k)       obj_destroy(k)
#define EBB_VAL_DTOR(v)       obj_destroy(v)
#include "ebb/map.h"

/* An allocator that can be told to fail, for the failed-call cases. */
static bool alloc_fails;
static void *try_alloc(void *ctx, size_t n) {
    (void)ctx;
    return alloc_fails ? NULL : malloc(n);
}
static void plain_free(void *ctx, void *p, size_t n) {
    (void)ctx;
    (void)n;
    free(p);
}
static const ebb_allocator failing = {try_alloc, plain_free, NULL};

/* ---- Consumed keys ------------------------------------------------------------------------- */

static void test_consumed_keys(void) {
    objs_reset(); /* a failed test before this one may have left objects behind */
    owned m;
    owned_init(&m);
    obj *k1 = obj_new(1), *v1 = obj_new(1);
    CHECK_EQ_U(owned_put(&m, k1, v1), EBB_INSERTED);
    CHECK(state_of(k1) == LIVE && state_of(v1) == LIVE);

    /* Overwrite with a duplicate key: the old value and the duplicate key are destroyed. */
    obj *k1b = obj_new(1), *v2 = obj_new(1);
    uint32_t k1b_id = k1b->id, v1_id = v1->id;
    CHECK_EQ_U(owned_put(&m, k1b, v2), EBB_OK);
    CHECK(objs.state[k1b_id] == DESTROYED);
    CHECK(objs.state[v1_id] == DESTROYED);
    CHECK(state_of(k1) == LIVE && state_of(v2) == LIVE);
    CHECK(*owned_get(&m, k1) == v2);

    /* The same key and value pointers again: nothing is destroyed. */
    CHECK_EQ_U(owned_put(&m, k1, v2), EBB_OK);
    CHECK(state_of(k1) == LIVE && state_of(v2) == LIVE);
    /* A duplicate key with the same value pointer: only the duplicate key goes. */
    obj *k1c = obj_new(1);
    uint32_t k1c_id = k1c->id;
    CHECK_EQ_U(owned_put(&m, k1c, v2), EBB_OK);
    CHECK(objs.state[k1c_id] == DESTROYED);
    CHECK(state_of(v2) == LIVE && *owned_get(&m, k1) == v2);

    /* get_or_insert: a duplicate key is destroyed; a new entry's value starts NULL. */
    obj *k1d = obj_new(1), **slot = NULL;
    uint32_t k1d_id = k1d->id;
    CHECK_EQ_U(owned_get_or_insert(&m, k1d, &slot), EBB_OK);
    CHECK(objs.state[k1d_id] == DESTROYED && *slot == v2);
    obj *k2 = obj_new(2);
    CHECK_EQ_U(owned_get_or_insert(&m, k2, &slot), EBB_INSERTED);
    CHECK(*slot == NULL);
    *slot = obj_new(2);
    CHECK_EQ_U(owned_count(&m), 2);
    CHECK_EQ_U(objs.live, 4);

    /* Lookups borrow their key: a probe on the stack is fine. */
    obj probe = {UINT32_MAX, 2};
    CHECK(owned_get(&m, &probe) && (*owned_get(&m, &probe))->name == 2);
    /* take hands both back, destroying nothing. */
    obj *kout = NULL, *vout = NULL, *v2b = *owned_get(&m, &probe);
    uint32_t k2_id = k2->id, v2b_id = v2b->id;
    CHECK(owned_take(&m, &probe, &kout, &vout));
    CHECK(kout == k2 && vout == v2b);
    CHECK(objs.state[k2_id] == LIVE && objs.state[v2b_id] == LIVE);
    obj_release(kout);
    obj_release(vout);
    /* delete destroys both. */
    probe.name = 1;
    CHECK(owned_delete(&m, &probe));
    CHECK(!owned_delete(&m, &probe));
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(owned_count(&m), 0);

    /* clear, iter_delete and destroy destroy everything that is left, once. */
    for (uint64_t i = 0; i < 3000; i++)
        owned_put(&m, obj_new(i), obj_new(i));
    CHECK_EQ_U(objs.live, 6000);
    owned_clear(&m);
    CHECK_EQ_U(objs.live, 0);
    for (uint64_t i = 0; i < 3000; i++)
        owned_put(&m, obj_new(i), obj_new(i));
    size_t n = 0;
    for (owned_iter it = owned_begin(&m); !owned_iter_done(&it); owned_next(&it))
        if (n++ % 3 == 0) owned_iter_delete(&it);
    CHECK_EQ_U(objs.live, 2 * owned_count(&m));
    CHECK_EQ_U(owned_count(&m), 2000);
    owned_destroy(&m);
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(objs.errors, 0);
    CHECK_EQ_U(objs_unended(), 0);
    objs_reset();
}

/* A call that fails leaves its key and value with the caller, untouched. */
static void test_failed_put_keeps_ownership(void) {
    objs_reset(); /* a failed test before this one may have left objects behind */
    owned m;
    ebb_options o = {&failing, 0, 0};
    owned_init_with(&m, &o);
    alloc_fails = true;
    obj *k = obj_new(7), *v = obj_new(7);
    CHECK_EQ_U(owned_put(&m, k, v), EBB_ENOMEM);
    CHECK(state_of(k) == LIVE && state_of(v) == LIVE);
    obj **slot = NULL;
    CHECK_EQ_U(owned_get_or_insert(&m, k, &slot), EBB_ENOMEM);
    CHECK(state_of(k) == LIVE);
    alloc_fails = false;
    CHECK_EQ_U(owned_put(&m, k, v), EBB_INSERTED);
    /* Fill to just before a growth, then fail it. */
    uint64_t name = 100;
    ebb_stats st;
    for (owned_stats(&m, &st); st.entries < st.capacity; owned_stats(&m, &st), name++)
        owned_put(&m, obj_new(name), obj_new(name));
    alloc_fails = true;
    obj *k2 = obj_new(name), *v2 = obj_new(name);
    CHECK_EQ_U(owned_put(&m, k2, v2), EBB_ENOMEM);
    CHECK(state_of(k2) == LIVE && state_of(v2) == LIVE);
    CHECK_EQ_U(objs.live, 2 * owned_count(&m) + 2);
    alloc_fails = false;
    obj_release(k2);
    obj_release(v2);
    owned_destroy(&m);
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(objs.errors, 0);
    CHECK_EQ_U(objs_unended(), 0);
    objs_reset();
}

/* ---- Borrowed keys (EBB_KEY_CLONE) --------------------------------------------------------- */

static void test_borrowed_keys(void) {
    objs_reset(); /* a failed test before this one may have left objects behind */
    borrowed m;
    borrowed_init(&m);
    obj *probe = obj_new(1), *v1 = obj_new(1);
    CHECK_EQ_U(borrowed_put(&m, probe, v1), EBB_INSERTED);
    CHECK_EQ_U(objs.live, 3); /* the probe, the map's clone, the value */
    /* Overwriting: the old value goes; the probe is still ours (never destroyed by the map). */
    obj *v2 = obj_new(1);
    uint32_t v1_id = v1->id;
    CHECK_EQ_U(borrowed_put(&m, probe, v2), EBB_OK);
    CHECK(objs.state[v1_id] == DESTROYED);
    CHECK(state_of(probe) == LIVE && state_of(v2) == LIVE);
    CHECK_EQ_U(borrowed_put(&m, probe, v2), EBB_OK); /* same value pointer: kept */
    CHECK(state_of(v2) == LIVE);
    obj **slot = NULL;
    CHECK_EQ_U(borrowed_get_or_insert(&m, probe, &slot), EBB_OK);
    CHECK(*slot == v2 && state_of(probe) == LIVE);
    /* take hands back the map's clone, not our probe. */
    obj *kout = NULL, *vout = NULL;
    CHECK(borrowed_take(&m, probe, &kout, &vout));
    CHECK(kout != probe && kout->name == 1 && vout == v2);
    obj_release(kout);
    obj_release(vout);
    CHECK_EQ_U(objs.live, 1);
    /* A failed clone: ENOMEM, the value is still ours, nothing was destroyed. */
    objs.fail_clone = true;
    obj *v3 = obj_new(1);
    CHECK_EQ_U(borrowed_put(&m, probe, v3), EBB_ENOMEM);
    CHECK(state_of(v3) == LIVE && borrowed_count(&m) == 0);
    /* A failed table allocation after a successful clone gives the clone back (destroyed). */
    borrowed f;
    ebb_options o = {&failing, 0, 0};
    borrowed_init_with(&f, &o);
    alloc_fails = true;
    size_t ended = objs.ids - objs.live;
    CHECK_EQ_U(borrowed_put(&f, probe, v3), EBB_ENOMEM);
    CHECK(state_of(v3) == LIVE && state_of(probe) == LIVE);
    CHECK_EQ_U(objs.ids - objs.live, ended + 1); /* the clone, made and destroyed */
    alloc_fails = false;
    CHECK_EQ_U(borrowed_put(&f, probe, v3), EBB_INSERTED);
    uint32_t v3_id = v3->id;
    borrowed_destroy(&f);
    CHECK(objs.state[v3_id] == DESTROYED);
    obj_release(probe);
    for (uint64_t i = 0; i < 2000; i++) {
        obj *p = obj_new(i);
        borrowed_put(&m, p, obj_new(i));
        obj_release(p);
    }
    CHECK_EQ_U(objs.live, 4000);
    borrowed_destroy(&m);
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(objs.errors, 0);
    CHECK_EQ_U(objs_unended(), 0);
    objs_reset();
}

/* ---- ebb_strmap with val_dtor -------------------------------------------------------------- */

typedef struct counting {
    size_t outstanding, blocks;
} counting;
static void *count_alloc(void *ctx, size_t n) {
    counting *c = ctx;
    void *p = malloc(n);
    if (p) c->outstanding += n, c->blocks++;
    return p;
}
static void count_free(void *ctx, void *p, size_t n) {
    counting *c = ctx;
    c->outstanding -= n;
    c->blocks--;
    free(p);
}

static void test_strmap_val_dtor(void) {
    objs_reset(); /* a failed test before this one may have left objects behind */
    counting c = {0, 0};
    ebb_allocator a = {count_alloc, count_free, &c};
    ebb_options o = {&a, 0, 0};
    ebb_strmap m;
    ebb_strmap_init_with(&m, &o);
    m.val_dtor = obj_destroy_void;
    char key[32] = "alice";
    obj *v1 = obj_new(1), *v2 = obj_new(1);
    uint32_t v1_id = v1->id;
    CHECK_EQ_U(ebb_strmap_put(&m, key, v1), EBB_INSERTED);
    key[0] = 'X'; /* the map holds its own copy */
    CHECK(ebb_strmap_get(&m, "alice") && *ebb_strmap_get(&m, "alice") == v1);
    CHECK_EQ_U(ebb_strmap_put(&m, "alice", v2), EBB_OK);
    CHECK(objs.state[v1_id] == DESTROYED); /* on overwrite */
    CHECK_EQ_U(objs.live, 1);
    CHECK_EQ_U(ebb_strmap_put(&m, "alice", v2), EBB_OK); /* same pointer: kept */
    CHECK(state_of(v2) == LIVE);
    const char *kout = NULL;
    void *vout = NULL;
    CHECK(ebb_strmap_take(&m, "alice", &kout, &vout));
    CHECK(vout == v2 && state_of(v2) == LIVE && strcmp(kout, "alice") == 0);
    ebb_strmap_free_key(kout, &a);
    obj_release(v2);
    CHECK_EQ_U(ebb_strmap_count(&m), 0);

    char name[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "user/%d", i);
        CHECK_EQ_U(ebb_strmap_put(&m, name, obj_new((uint64_t)i)), EBB_INSERTED);
    }
    for (int i = 0; i < 3000; i += 3) {
        snprintf(name, sizeof name, "user/%d", i);
        CHECK(ebb_strmap_delete(&m, name));
    }
    CHECK_EQ_U(objs.live, 2000);
    size_t n = 0;
    for (ebb_strmap_iter it = ebb_strmap_begin(&m); !ebb_strmap_iter_done(&it);
         ebb_strmap_next(&it))
        if (n++ % 2) ebb_strmap_iter_delete(&it);
    CHECK_EQ_U(objs.live, ebb_strmap_count(&m));
    CHECK_EQ_U(objs.live, 1000);
    ebb_strmap_clear(&m);
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(c.outstanding, 0);
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "again/%d", i);
        ebb_strmap_put(&m, name, obj_new((uint64_t)i));
    }
    ebb_strmap_destroy(&m);
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(c.outstanding, 0);
    CHECK_EQ_U(c.blocks, 0);
    CHECK_EQ_U(objs.errors, 0);
    CHECK_EQ_U(objs_unended(), 0);
    objs_reset();
}

/* ---- A random workload: live objects always equal what the map holds ----------------------- */

/* One random operation on a map of either kind (`clone` says which); the test's own objects
 * are released before it returns, so afterwards the live objects are exactly the map's. */
#define RANDOM_OP(M, clone)                                                                        \
    do {                                                                                           \
        uint64_t name = rng_below(&g, universe);                                                   \
        obj probe = {UINT32_MAX, name};                                                            \
        unsigned d = (unsigned)rng_below(&g, 1000);                                                \
        bool grow = (op / 5000) % 2 == 0;                                                          \
        if (d < (grow ? 450u : 250u)) {                                                            \
            obj **cur = M##_get(&m, &probe);                                                       \
            obj *k = obj_new(name);                                                                \
            obj *v = cur && rng_below(&g, 4) == 0 ? *cur : obj_new(name); /* same-pointer put */   \
            int rc = M##_put(&m, k, v);                                                            \
            if (rc < 0) ok = false;                                                                \
            if (clone) obj_release(k);                                                             \
        } else if (d < (grow ? 600u : 400u)) {                                                     \
            obj *k = obj_new(name), **slot = NULL;                                                 \
            int rc = M##_get_or_insert(&m, k, &slot);                                              \
            if (rc == EBB_INSERTED) *slot = obj_new(name);                                         \
            if (rc < 0 || !*slot || (*slot)->name != name) ok = false;                             \
            if (clone) obj_release(k);                                                             \
        } else if (d < 850) {                                                                      \
            M##_delete(&m, &probe);                                                                \
        } else if (d < 950) {                                                                      \
            obj *kout = NULL, *vout = NULL;                                                        \
            if (M##_take(&m, &probe, &kout, &vout)) {                                              \
                if (kout->name != name || vout->name != name) ok = false;                          \
                obj_release(kout);                                                                 \
                obj_release(vout);                                                                 \
            }                                                                                      \
        } else if (d < 998) {                                                                      \
            obj **v = M##_get(&m, &probe);                                                         \
            if (v && (*v)->name != name) ok = false;                                               \
        } else if (d < 999) {                                                                      \
            size_t i = 0;                                                                          \
            for (M##_iter it = M##_begin(&m); !M##_iter_done(&it); M##_next(&it))                  \
                if (i++ % 4 == 0) M##_iter_delete(&it);                                            \
        } else if (rng_below(&g, 20) == 0) {                                                       \
            M##_clear(&m);                                                                         \
        }                                                                                          \
    } while (0)

static void test_random_workload_consumed(void) {
    objs_reset(); /* a failed test before this one may have left objects behind */
    owned m;
    owned_init(&m);
    rng g = {11};
    const uint64_t universe = 4000;
    bool ok = true;
    unsigned long ops = test_scaled(100000), op;
    for (op = 0; ok && op < ops; op++) {
        RANDOM_OP(owned, false);
        ok = ok && objs.live == 2 * owned_count(&m) && objs.errors == 0;
    }
    if (!ok) fprintf(stderr, "  diverged at op %lu\n", op);
    CHECK_EQ_U(owned_check(&m), 0);
    owned_destroy(&m);
    CHECK(ok);
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(objs.errors, 0);
    CHECK_EQ_U(objs_unended(), 0);
    objs_reset();
}

static void test_random_workload_borrowed(void) {
    objs_reset(); /* a failed test before this one may have left objects behind */
    borrowed m;
    borrowed_init(&m);
    rng g = {12};
    const uint64_t universe = 4000;
    bool ok = true;
    unsigned long ops = test_scaled(100000), op;
    for (op = 0; ok && op < ops; op++) {
        RANDOM_OP(borrowed, true);
        ok = ok && objs.live == 2 * borrowed_count(&m) && objs.errors == 0;
    }
    if (!ok) fprintf(stderr, "  diverged at op %lu\n", op);
    CHECK_EQ_U(borrowed_check(&m), 0);
    borrowed_destroy(&m);
    CHECK(ok);
    CHECK_EQ_U(objs.live, 0);
    CHECK_EQ_U(objs.errors, 0);
    CHECK_EQ_U(objs_unended(), 0);
    objs_reset();
}

int main(void) {
    RUN(test_consumed_keys);
    RUN(test_failed_put_keeps_ownership);
    RUN(test_borrowed_keys);
    RUN(test_strmap_val_dtor);
    RUN(test_random_workload_consumed);
    RUN(test_random_workload_borrowed);
    return check_summary();
}
