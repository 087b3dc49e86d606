/* ebb/map.h — generate a typed hash map. Include once per map type, after defining:
 *
 *   #define EBB_NAME  users        prefix of the generated type and functions   (required)
 *   #define EBB_KEY   uint64_t     key type                                     (required)
 *   #define EBB_VAL   struct user *                                             (required)
 *
 * and, optionally:
 *
 *   EBB_HASH(k)            a hash of k (may be weak, e.g. identity); ebb mixes it with the map's
 *                          seed, so patterned keys still spread
 *   EBB_HASH_SEEDED(k, s)  a complete hash of k under seed s, used as it is
 *   EBB_CSTR_KEY           keys are NUL-terminated strings (seeded string hash, strcmp);
 *                          implies EBB_STORE_HASH unless EBB_NO_STORE_HASH is defined
 *   EBB_STORE_HASH         keep each entry's hash in its slot (8 more bytes an entry): for keys
 *                          that are costly to hash or compare, since resizes then never rehash
 *                          and a lookup reads a key only when the whole hash matches
 *   EBB_EQ(a, b)           key equality (default: the key's bytes compare equal)
 *   EBB_KEY_DTOR(k)        run on a key leaving the map (delete, overwrite, clear, destroy)
 *   EBB_VAL_DTOR(v)        run on a value leaving the map
 *   EBB_KEY_CLONE(dst, k)  keys are borrowed: store a copy of k in *dst when a new entry is
 *                          made; non-zero on success, zero when out of memory
 *   EBB_MAP_FIELDS         extra members of the map struct; the destructors and EBB_KEY_CLONE
 *                          reach the map as EBB_MAP (hash and equality do not: they also run
 *                          in lookups, which take a const map and may run in many threads)
 *   EBB_HEADER             emit declarations only (a library ships the definitions)
 *   EBB_IMPL               emit definitions with external linkage (for that library)
 *
 * The generated API, for EBB_NAME users:
 *
 *   void  users_init(users *m);                        random seed, ebb's allocator
 *   void  users_init_with(users *m, const ebb_options *o);
 *   void  users_destroy(users *m);                     frees everything; m is then empty
 *   int   users_put(users *m, KEY k, VAL v);           EBB_INSERTED | EBB_OK | EBB_ENOMEM
 *   VAL  *users_get(const users *m, KEY k);            NULL when absent
 *   int   users_get_or_insert(users *m, KEY k, VAL **v);  a new value starts zeroed
 *   bool  users_delete(users *m, KEY k);
 *   bool  users_take(users *m, KEY k, KEY *kout, VAL *vout);  hand back, undestroyed, what
 *                                                      kout/vout ask for; destroy the rest
 *   void  users_clear(users *m);                       destroys entries, returns all memory
 *   int   users_reserve(users *m, size_t n);           room for n; the map stays at least this
 *   int   users_shrink_to_fit(users *m);              ends a resize under way, then fits the
 *                                                      table to count (below reserve's too)
 *   size_t users_count(const users *m);
 *   users_iter users_begin(users *m);  bool users_iter_done(const users_iter *);
 *   void  users_next(users_iter *);    void users_iter_delete(users_iter *);
 *   void  users_stats(const users *m, ebb_stats *st);
 *   int   users_check(const users *m);                 0 when every invariant holds (tests)
 *
 * Ownership: without EBB_KEY_CLONE, a key and value passed to put/get_or_insert belong to the
 * map once the call succeeds (a duplicate key is destroyed); after a failure they are still the
 * caller's. Destructors run exactly once for every entry that leaves, never for what take hands
 * back. Pointers into the map (get, get_or_insert, iterators) last until the next insert or
 * delete. During iteration, remove entries only with users_iter_delete: every other entry is
 * still visited exactly once. That holds for the iterator deleting; any other iterator of the
 * same map (an outer loop) is then as after any delete, and may miss entries.
 *
 * Threads: a map has no lock. Calls that only read it (get, count, stats, check, iteration
 * without users_iter_delete) may run in any number of threads at once, also while a resize is
 * under way, as long as no thread modifies the map meanwhile: a lookup writes nothing, not even
 * statistics (tests/test_readers.c, under TSan). Every other call needs the map to itself.
 *
 * C++: the headers compile as C++11 and later. Keys and values must be trivially copyable
 * (checked at compile time), since entries move between tables as bytes. Entries may be aligned
 * to 16 bytes at most (also checked). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __cplusplus
#include <type_traits>
#endif

#include "table.h"

#if !defined(EBB_NAME) || !defined(EBB_KEY) || !defined(EBB_VAL)
#error "define EBB_NAME, EBB_KEY and EBB_VAL before including <ebb/map.h>"
#endif

#ifndef EBB_CAT
#define EBB_CAT_(a, b) a##b
#define EBB_CAT(a, b)  EBB_CAT_(a, b)
#define EBB_MAP        ebb_map_
#endif

#define EBB_M_(x)  EBB_CAT(EBB_NAME, x)
#define EBB_T_     EBB_NAME
#define EBB_ENTRY_ EBB_M_(_entry)
#define EBB_ITER_  EBB_M_(_iter)
#define EBB_K_     EBB_M_(_key)
#define EBB_V_     EBB_M_(_val)

#if defined(EBB_HEADER)
#define EBB_API_ extern
#elif defined(EBB_IMPL)
#define EBB_API_
#else
#define EBB_API_ static inline
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef EBB_KEY EBB_K_;
typedef EBB_VAL EBB_V_;

#if defined(EBB_STORE_HASH) || (defined(EBB_CSTR_KEY) && !defined(EBB_NO_STORE_HASH))
#define EBB_KEEP_HASH_ 1
#else
#define EBB_KEEP_HASH_ 0
#endif

typedef struct EBB_ENTRY_ {
    EBB_K_ key;
    EBB_V_ val;
#if EBB_KEEP_HASH_
    uint64_t hash_; /* the key's hash under the map's seed */
#endif
} EBB_ENTRY_;

typedef struct EBB_T_ {
    ebb_core core;
#ifdef EBB_MAP_FIELDS
    EBB_MAP_FIELDS
#endif
} EBB_T_;

typedef struct EBB_ITER_ {
    const EBB_K_ *key; /* the current entry; NULL once done */
    EBB_V_ *val;
    EBB_T_ *map_;
    size_t group_, deleted_;
    unsigned table_;
    unsigned rest_; /* the current group's slots still to visit: the current one is the lowest */
} EBB_ITER_;

EBB_API_ void EBB_M_(_init)(EBB_T_ *m);
EBB_API_ void EBB_M_(_init_with)(EBB_T_ *m, const ebb_options *opt);
EBB_API_ void EBB_M_(_destroy)(EBB_T_ *m);
EBB_API_ int EBB_M_(_put)(EBB_T_ *m, EBB_K_ key, EBB_V_ val);
EBB_API_ EBB_V_ *EBB_M_(_get)(const EBB_T_ *m, EBB_K_ key);
EBB_API_ int EBB_M_(_get_or_insert)(EBB_T_ *m, EBB_K_ key, EBB_V_ **val);
EBB_API_ bool EBB_M_(_delete)(EBB_T_ *m, EBB_K_ key);
EBB_API_ bool EBB_M_(_take)(EBB_T_ *m, EBB_K_ key, EBB_K_ *kout, EBB_V_ *vout);
EBB_API_ void EBB_M_(_clear)(EBB_T_ *m);
EBB_API_ int EBB_M_(_reserve)(EBB_T_ *m, size_t n);
EBB_API_ int EBB_M_(_shrink_to_fit)(EBB_T_ *m);
EBB_API_ size_t EBB_M_(_count)(const EBB_T_ *m);
EBB_API_ EBB_ITER_ EBB_M_(_begin)(EBB_T_ *m);
EBB_API_ bool EBB_M_(_iter_done)(const EBB_ITER_ *it);
EBB_API_ void EBB_M_(_next)(EBB_ITER_ *it);
EBB_API_ void EBB_M_(_iter_delete)(EBB_ITER_ *it);
EBB_API_ void EBB_M_(_stats)(const EBB_T_ *m, ebb_stats *st);
EBB_API_ int EBB_M_(_check)(const EBB_T_ *m);

#ifndef EBB_HEADER

EBB_STATIC_ASSERT_(EBB_ALIGNOF_(EBB_ENTRY_) <= EBB_CTRL_BYTES,
                   "ebb: entries may be aligned to 16 at most");
#ifdef __cplusplus
/* Entries move between tables as bytes, and are never constructed or destroyed as C++ objects. */
EBB_STATIC_ASSERT_(std::is_trivially_copyable<EBB_K_>::value,
                   "ebb: in C++, keys must be trivially copyable (store pointers)");
EBB_STATIC_ASSERT_(std::is_trivially_copyable<EBB_V_>::value,
                   "ebb: in C++, values must be trivially copyable (store pointers)");
#endif

/* ---- Hooks, with their defaults ---- */

static inline uint64_t EBB_M_(__hash)(EBB_K_ k, uint64_t seed) {
#if defined(EBB_HASH_SEEDED)
    return EBB_HASH_SEEDED(k, seed);
#elif defined(EBB_HASH)
    return ebb_hash_u64((uint64_t)(EBB_HASH(k)), seed);
#elif defined(EBB_CSTR_KEY)
    return ebb_hash_bytes_inline(k, strlen(k), seed);
#else
    if (sizeof(EBB_K_) == 8) {
        uint64_t x;
        memcpy(&x, &k, 8);
        return ebb_hash_u64(x, seed);
    }
    if (sizeof(EBB_K_) == 4) {
        uint32_t x;
        memcpy(&x, &k, 4);
        return ebb_hash_u64(x, seed);
    }
    return ebb_hash_bytes_inline(&k, sizeof k, seed);
#endif
}

/* The same hash, for deletes: the built-in string hash out of line, unlike in lookups and inserts.
 * Inline, it made a delete too long for GCC to inline into the caller's loop, and the call then
 * cost more than the hash saved (1M strings: 0.99x boost's time to delete against 0.95x;
 * docs/design.md, "Hashing"). */
static inline uint64_t EBB_M_(__hash_for_delete)(EBB_K_ k, uint64_t seed) {
#if defined(EBB_CSTR_KEY) && !defined(EBB_HASH_SEEDED) && !defined(EBB_HASH)
    return ebb_hash_str(k, seed);
#else
    return EBB_M_(__hash)(k, seed);
#endif
}

static inline bool EBB_M_(__eq)(EBB_K_ a, EBB_K_ b) {
#if defined(EBB_EQ)
    return EBB_EQ(a, b);
#elif defined(EBB_CSTR_KEY)
    return strcmp(a, b) == 0;
#else
    return memcmp(&a, &b, sizeof(EBB_K_)) == 0;
#endif
}

/* An entry's hash: kept in the slot (EBB_STORE_HASH), or computed again from its key. */
static inline uint64_t EBB_M_(__entry_hash)(const EBB_ENTRY_ *e, uint64_t seed) {
#if EBB_KEEP_HASH_
    (void)seed;
    return e->hash_;
#else
    return EBB_M_(__hash)(e->key, seed);
#endif
}

/* Whether entry e holds key, whose hash is h. With the hash kept, a tag that matched by chance
 * (1 in 255 a slot) is told apart without reading the key, which for strings is a cache miss. */
static inline bool EBB_M_(__holds)(const EBB_ENTRY_ *e, uint64_t h, EBB_K_ key) {
#if EBB_KEEP_HASH_
    return e->hash_ == h && EBB_M_(__eq)(e->key, key);
#else
    (void)h;
    return EBB_M_(__eq)(e->key, key);
#endif
}

/* Set a new entry's key (and kept hash). */
static inline void EBB_M_(__set_key)(EBB_ENTRY_ *e, uint64_t h, EBB_K_ key) {
    e->key = key;
#if EBB_KEEP_HASH_
    e->hash_ = h;
#else
    (void)h;
#endif
}

#ifdef EBB_KEY_DTOR
#define EBB_DROP_KEY_(k) EBB_KEY_DTOR(k)
#else
#define EBB_DROP_KEY_(k) ((void)0)
#endif
#ifdef EBB_VAL_DTOR
#define EBB_DROP_VAL_(v) EBB_VAL_DTOR(v)
#else
#define EBB_DROP_VAL_(v) ((void)0)
#endif

static uint64_t EBB_M_(__hash_entry)(const void *entry, uint64_t seed) {
    return EBB_M_(__entry_hash)((const EBB_ENTRY_ *)entry, seed);
}

static inline EBB_ENTRY_ *EBB_M_(__slot)(const ebb_table *t, size_t g, unsigned i) {
    return (EBB_ENTRY_ *)ebb_slot(t, sizeof(EBB_ENTRY_), g, i);
}

/* A shrink to half the groups, the common case: group g's entries all sit at home and go to
 * group g/2. Move as many as it has room for, without hashing or probing; return the entries
 * left over (rare: group g/2 also takes group g^1 and new inserts) for the general path. */
static inline unsigned EBB_M_(__halve_group)(ebb_core *c, size_t g, const unsigned char *ctrl,
                                             unsigned full) {
    size_t d = g / 2;
    unsigned char *dctrl = ebb_group(&c->cur, d);
    unsigned room = ebb_match(dctrl, 0);
    const EBB_ENTRY_ *src = EBB_M_(__slot)(&c->old, g, 0);
    EBB_ENTRY_ *dst = EBB_M_(__slot)(&c->cur, d, 0);
    size_t n = 0;
    for (; full && room; full &= full - 1, room &= room - 1, n++) {
        unsigned i = ebb_lowest(full), j = ebb_lowest(room);
        ebb_fetch_ahead(src + i, sizeof(EBB_ENTRY_));
        dctrl[j] = ctrl[i];
        dst[j] = src[i];
    }
    c->cur.count += n;
    c->old.count -= n;
    return full;
}

/* Move the entries of group g of the retiring table into the current one (src/table.c runs
 * this a few groups at a time). The group empties as a whole, so its tags and the table's count
 * are updated once, not per entry. When every entry of the group sits at home (the usual case),
 * none has a probe path to unwind, and a shrink to half the groups moves them without hashing
 * (for string keys, without touching the key at all).
 * The free slots of the destination groups are kept in registers, one group per parity (a
 * growth sends group g's entries to 2g and 2g+1): reloading a group's control bytes right after
 * storing a tag into them stalls on store forwarding, and was the largest cost of a resize.
 * Large entries are fetched ahead (ebb_fetch_ahead, ebb_fetch_group_ahead): a shrink reads a
 * sparse table. */
static void EBB_M_(__migrate_group)(ebb_core *c, size_t g) {
    unsigned char *ctrl = ebb_group(&c->old, g);
    unsigned full = ebb_match_full(ctrl);
    if (!full) return;
    ebb_fetch_group_ahead(&c->old, sizeof(EBB_ENTRY_), g);
    bool at_home = ebb_group_at_home(&c->old, g);
    bool halving = at_home && c->old.ngroups == 2 * c->cur.ngroups;
    if (halving) {
        full = EBB_M_(__halve_group)(c, g, ctrl, full);
        if (!full) {
            memset(ctrl, 0, EBB_GROUP_SLOTS);
            return;
        }
    }
    size_t moved = 0, direct = 0;
    size_t cached[2] = {SIZE_MAX, SIZE_MAX};
    unsigned room[2] = {0, 0};
    for (; full; full &= full - 1, moved++) {
        unsigned i = ebb_lowest(full);
        EBB_ENTRY_ *src = EBB_M_(__slot)(&c->old, g, i), *dst;
        ebb_fetch_ahead(src, sizeof(EBB_ENTRY_));
        size_t home = g / 2;
        if (!halving) {
            uint64_t h = EBB_M_(__entry_hash)(src, c->seed);
            if (!at_home) ebb_table_unaccount(&c->old, g, i, h);
            home = ebb_home(h, c->cur.ngroups);
        }
        unsigned w = (unsigned)home & 1u;
        if (cached[w] != home) {
            cached[w] = home;
            room[w] = ebb_match(ebb_group(&c->cur, home), 0);
        }
        if (room[w]) {
            unsigned j = ebb_lowest(room[w]);
            room[w] &= room[w] - 1;
            ebb_group(&c->cur, home)[j] = ctrl[i];
            dst = EBB_M_(__slot)(&c->cur, home, j);
            direct++;
        } else {
            /* Home is full: probe on; the slot found may be in a cached group. */
            dst = (EBB_ENTRY_ *)ebb_table_place_at(&c->cur, sizeof(EBB_ENTRY_), home, ctrl[i],
                                                   ebb_class_of_tag(ctrl[i]));
            cached[0] = cached[1] = SIZE_MAX;
        }
        *dst = *src;
    }
    c->cur.count += direct;
    memset(ctrl, 0, EBB_GROUP_SLOTS);
    c->old.count -= moved;
}

static const ebb_type EBB_M_(__type) = {sizeof(EBB_ENTRY_), EBB_M_(__hash_entry),
                                        EBB_M_(__migrate_group)};

/* ---- Lookup ---- */

/* The rest of a probe whose first group, g, did not hold the key but has entries beyond it:
 * walk on while the overflow mask holds the key's class (ebb/table.h). Out of line, so the
 * class is computed only by probes that get this far, not by every lookup (computing it up
 * front made 1M u64 hits and misses 1.15x slower). The group scan is written out here and in
 * __find: a shared helper returning the slot made the compiler store __find's out-parameters
 * and test the pointer on every hit. The API's lookup, insertion and delete use one
 * (__in_group) for their home group only, and leave the rest out of line (__find_rest,
 * __upsert_rest). */
static EBB_ENTRY_ *EBB_M_(__find_on)(const ebb_table *t, size_t skip, uint64_t h, EBB_K_ key,
                                     size_t g, size_t *gout, unsigned *iout, size_t *dout) {
    const size_t group_bytes = EBB_GROUP_SLOTS * sizeof(EBB_ENTRY_);
    ebb_pattern tag = ebb_pattern_of_hash(h);
    unsigned bit = ebb_overflow_bit(h);
    size_t ngroups = t->ngroups;
    for (size_t visited = 1; visited < ngroups; visited++) {
        if (!(ebb_group(t, g)[EBB_OVERFLOW] & bit)) return NULL;
        g = g + 1 == ngroups ? skip : g + 1;
        const unsigned char *slots = t->slots + g * group_bytes;
        for (unsigned m = ebb_match_pattern(ebb_group(t, g), tag); m; m &= m - 1) {
            unsigned i = ebb_lowest(m);
            EBB_ENTRY_ *e = (EBB_ENTRY_ *)(void *)(slots + i * sizeof(EBB_ENTRY_));
            if (EBB_M_(__holds)(e, h, key)) {
                *gout = g;
                *iout = i;
                *dout = visited;
                return e;
            }
        }
    }
    return NULL;
}

/* Find key (hash h) in table t, whose skip is `skip` (a constant 0 for the current table lets
 * the compiler drop the retiring table's arithmetic); on success also report its group and
 * slot, and how many groups past the first one probed it sits (for the current table, its
 * distance from home). `expect_hit` says whether to fetch the home group's first slot line once
 * a tag matches (ebb_prefetch_matched): worth it when the key is probably there (get, delete),
 * a waste of memory bandwidth when it is probably new and will not be written there (put's
 * search of the retiring table). */
static inline EBB_ENTRY_ *EBB_M_(__find)(const ebb_table *t, size_t skip, uint64_t h, EBB_K_ key,
                                         size_t *gout, unsigned *iout, size_t *dout,
                                         bool expect_hit) {
    const size_t group_bytes = EBB_GROUP_SLOTS * sizeof(EBB_ENTRY_);
    ebb_pattern tag = ebb_pattern_of_hash(h);
    size_t g = ebb_home(h, t->ngroups);
    if (g < skip) g = skip;
    const unsigned char *slots = t->slots + g * group_bytes;
    const unsigned char *ctrl = ebb_group(t, g);
    unsigned m = ebb_match_pattern(ctrl, tag);
    if (expect_hit && m) ebb_prefetch_matched(slots);
    for (; m; m &= m - 1) {
        unsigned i = ebb_lowest(m);
        EBB_ENTRY_ *e = (EBB_ENTRY_ *)(void *)(slots + i * sizeof(EBB_ENTRY_));
        if (EBB_M_(__holds)(e, h, key)) {
            *gout = g;
            *iout = i;
            *dout = 0;
            return e;
        }
    }
    if (ctrl[EBB_OVERFLOW] == 0) return NULL;
    return EBB_M_(__find_on)(t, skip, h, key, g, gout, iout, dout);
}

/* Find key in the current table, then in the retiring one; report which. */
static inline EBB_ENTRY_ *EBB_M_(__locate)(const EBB_T_ *m, uint64_t h, EBB_K_ key,
                                           ebb_table **tout, size_t *gout, unsigned *iout,
                                           bool expect_hit) {
    size_t d;
    EBB_ENTRY_ *e = EBB_M_(__find)(&m->core.cur, 0, h, key, gout, iout, &d, expect_hit);
    *tout = (ebb_table *)&m->core.cur;
    if (e || m->core.old.count == 0) return e;
    *tout = (ebb_table *)&m->core.old;
    return EBB_M_(__find)(&m->core.old, m->core.old.skip, h, key, gout, iout, &d, expect_hit);
}

/* The entry holding key (hash h) among the slots of one group whose tags match its own (bit i
 * of `match` for slot i), and its slot in *iout; NULL when none does. */
static inline EBB_ENTRY_ *EBB_M_(__in_group)(unsigned char *slots, unsigned match, uint64_t h,
                                             EBB_K_ key, unsigned *iout) {
    for (unsigned m = match; m; m &= m - 1) {
        unsigned i = ebb_lowest(m);
        EBB_ENTRY_ *e = (EBB_ENTRY_ *)(void *)(slots + i * sizeof(EBB_ENTRY_));
        if (EBB_M_(__holds)(e, h, key)) {
            *iout = i;
            return e;
        }
    }
    return NULL;
}

/* The rest of a search whose key is not in its home group g of the current table: probe on from
 * g, then search the retiring table. Reports, as __locate does, the table, group, slot and (for
 * the current table) distance from home; g is passed by value, so that a caller's stays out of
 * memory on its common path. */
EBB_OUT_OF_LINE static EBB_ENTRY_ *EBB_M_(__find_rest)(const EBB_T_ *m, uint64_t h, EBB_K_ key,
                                                       size_t g, ebb_table **tout, size_t *gout,
                                                       unsigned *iout, size_t *dout) {
    const ebb_core *c = &m->core;
    *tout = (ebb_table *)&c->cur;
    EBB_ENTRY_ *e = NULL;
    if (ebb_group(&c->cur, g)[EBB_OVERFLOW])
        e = EBB_M_(__find_on)(&c->cur, 0, h, key, g, gout, iout, dout);
    if (e || c->old.count == 0) return e;
    *tout = (ebb_table *)&c->old;
    return EBB_M_(__find)(&c->old, c->old.skip, h, key, gout, iout, dout, true);
}

/* The rest of a lookup: __find_rest with the places it reports in this frame, not _get's.
 * Passing their addresses from _get itself put them in _get's stack frame and changed its
 * loop: 1M u64 hits took 1.05x boost's time, against 0.97-0.99x with this (`build/bench/duel
 * 1000000 3`, each build three times, alternating; commit 99a0b6d against this one). */
EBB_OUT_OF_LINE static EBB_ENTRY_ *EBB_M_(__get_rest)(const EBB_T_ *m, uint64_t h, EBB_K_ key,
                                                      size_t g) {
    ebb_table *t;
    size_t fg, fd;
    unsigned i;
    return EBB_M_(__find_rest)(m, h, key, g, &t, &fg, &i, &fd);
}

/* ---- The API ---- */

EBB_API_ void EBB_M_(_init_with)(EBB_T_ *m, const ebb_options *opt) {
    memset(m, 0, sizeof *m);
    ebb_core_init(&m->core, opt);
}

EBB_API_ void EBB_M_(_init)(EBB_T_ *m) {
    EBB_M_(_init_with)(m, NULL);
}

EBB_API_ size_t EBB_M_(_count)(const EBB_T_ *m) {
    return ebb_core_count(&m->core);
}

/* A lookup: the home group of the current table here, the rest out of line (as for a delete,
 * below: the shorter the common case, the more lookups a loop overlaps). */
EBB_API_ EBB_V_ *EBB_M_(_get)(const EBB_T_ *m, EBB_K_ key) {
    const size_t group_bytes = EBB_GROUP_SLOTS * sizeof(EBB_ENTRY_);
    const ebb_table *t = &m->core.cur;
    uint64_t h = EBB_M_(__hash)(key, m->core.seed);
    size_t g = ebb_home(h, t->ngroups);
    const unsigned char *ctrl = ebb_group(t, g);
    unsigned char *slots = t->slots + g * group_bytes;
    unsigned i, match = ebb_match_pattern(ctrl, ebb_pattern_of_hash(h));
    if (match) ebb_prefetch_matched(slots);
    EBB_ENTRY_ *e = EBB_M_(__in_group)(slots, match, h, key, &i);
    if (!e && (ebb_may_be_beyond(ctrl, h) || m->core.old.count))
        e = EBB_M_(__get_rest)(m, h, key, g);
    return e ? &e->val : NULL;
}

/* What an insertion found or made: the entry (NULL when out of memory, with nothing changed),
 * and whether it is new (key set, value unset). Returned by value, in two registers: a flag
 * passed by address would live in the caller's stack frame. */
typedef struct {
    EBB_ENTRY_ *e;
    bool fresh;
} EBB_M_(__upserted);

/* Make key's entry: claim its slot (a resize may start or advance), clone the key when the map
 * owns copies, write it. The key is absent from both tables. `room` holds the free slots of
 * home, its home group in the current table, where the entry goes when nothing else is due. */
static inline EBB_M_(__upserted)
    EBB_M_(__make)(EBB_T_ *ebb_map_, uint64_t h, EBB_K_ key, size_t home, unsigned room) {
    ebb_core *c = &ebb_map_->core;
    EBB_M_(__upserted) r = {NULL, false};
#ifdef EBB_KEY_CLONE
    EBB_K_ copy;
    if (!(EBB_KEY_CLONE(&copy, key))) return r;
    key = copy;
#endif
    if (room && c->old.ctrl == NULL && c->cur.count < c->cur.limit) {
        unsigned i = ebb_lowest(room);
        ebb_group(&c->cur, home)[i] = ebb_tag(h);
        c->cur.count++;
        r.e = EBB_M_(__slot)(&c->cur, home, i);
    } else if (ebb_core_prepare_insert(c, &EBB_M_(__type)) == EBB_OK) {
        r.e = (EBB_ENTRY_ *)ebb_table_place(&c->cur, sizeof(EBB_ENTRY_), h);
    } else {
#ifdef EBB_KEY_CLONE
        EBB_DROP_KEY_(copy);
#endif
        return r;
    }
    EBB_M_(__set_key)(r.e, h, key);
    r.fresh = true;
    return r;
}

/* The rest of an insertion whose key is not in its home group g of the current table and which
 * cannot simply take a free slot there: probe on, search the retiring table, and make the entry
 * if the key is in neither. */
EBB_OUT_OF_LINE static EBB_M_(__upserted)
    EBB_M_(__upsert_rest)(EBB_T_ *ebb_map_, uint64_t h, EBB_K_ key, size_t g) {
    ebb_core *c = &ebb_map_->core;
    const unsigned char *ctrl = ebb_group(&c->cur, g);
    EBB_M_(__upserted) r = {NULL, false};
    size_t fg, d;
    unsigned i;
    if (ctrl[EBB_OVERFLOW]) r.e = EBB_M_(__find_on)(&c->cur, 0, h, key, g, &fg, &i, &d);
    if (!r.e && c->old.count)
        r.e = EBB_M_(__find)(&c->old, c->old.skip, h, key, &fg, &i, &d, false);
    if (r.e) return r;
    return EBB_M_(__make)(ebb_map_, h, key, g, ebb_match(ctrl, 0));
}

/* Find key for an insertion, or make its entry. The common cases, the key in its home group or
 * absent with a free slot there and nothing beyond it, no resize under way or due, are written
 * out here; the rest is out of line, as for a delete (__remove, below). With all of it inline,
 * a caller that did not inline the insertion (the benchmark driver's put) saved six registers
 * and kept an 88-byte frame on every call; split, 1M u64 inserts took 0.95x their time and
 * replaces 0.81x (`bench/ab.py --vs boost 586d09c bad7fcf`). The home group's first slot line is
 * fetched while its control bytes load: an existing key is usually there, and a new entry is
 * written into that group. */
static inline EBB_M_(__upserted) EBB_M_(__upsert)(EBB_T_ *ebb_map_, EBB_K_ key) {
    const size_t group_bytes = EBB_GROUP_SLOTS * sizeof(EBB_ENTRY_);
    ebb_core *c = &ebb_map_->core;
    ebb_table *t = &c->cur;
    uint64_t h = EBB_M_(__hash)(key, c->seed);
    size_t g = ebb_home(h, t->ngroups);
    unsigned char *ctrl = ebb_group(t, g);
    unsigned char *slots = t->slots + g * group_bytes;
    ebb_prefetch(slots, group_bytes);
    unsigned i;
    EBB_M_(__upserted) r = {NULL, false};
    r.e = EBB_M_(__in_group)(slots, ebb_match_pattern(ctrl, ebb_pattern_of_hash(h)), h, key, &i);
    if (r.e) return r;
    unsigned room = ebb_match(ctrl, 0);
    if (!room || ebb_may_be_beyond(ctrl, h) || c->old.ctrl || t->count >= t->limit)
        return EBB_M_(__upsert_rest)(ebb_map_, h, key, g);
    return EBB_M_(__make)(ebb_map_, h, key, g, room);
}

/* An existing entry receives a key it already has: without cloning, the duplicate is ours. */
static inline void EBB_M_(__drop_duplicate)(EBB_T_ *ebb_map_, EBB_ENTRY_ *e, EBB_K_ key) {
#ifndef EBB_KEY_CLONE
    if (memcmp(&e->key, &key, sizeof key) != 0) EBB_DROP_KEY_(key);
#endif
    (void)ebb_map_;
    (void)e;
    (void)key;
}

EBB_API_ int EBB_M_(_put)(EBB_T_ *ebb_map_, EBB_K_ key, EBB_V_ val) {
    EBB_M_(__upserted) r = EBB_M_(__upsert)(ebb_map_, key);
    EBB_ENTRY_ *e = r.e;
    if (!e) return EBB_ENOMEM;
    if (r.fresh) {
        e->val = val;
        return EBB_INSERTED;
    }
    if (memcmp(&e->val, &val, sizeof val) != 0) EBB_DROP_VAL_(e->val);
    e->val = val;
    EBB_M_(__drop_duplicate)(ebb_map_, e, key);
    return EBB_OK;
}

EBB_API_ int EBB_M_(_get_or_insert)(EBB_T_ *ebb_map_, EBB_K_ key, EBB_V_ **val) {
    EBB_M_(__upserted) r = EBB_M_(__upsert)(ebb_map_, key);
    EBB_ENTRY_ *e = r.e;
    if (!e) return EBB_ENOMEM;
    if (r.fresh)
        memset(&e->val, 0, sizeof e->val);
    else
        EBB_M_(__drop_duplicate)(ebb_map_, e, key);
    *val = &e->val;
    return r.fresh ? EBB_INSERTED : EBB_OK;
}

/* Hand an entry's key and value to kout/vout where given, destroy them otherwise. */
static inline void EBB_M_(__release)(EBB_T_ *ebb_map_, EBB_ENTRY_ *e, EBB_K_ *kout, EBB_V_ *vout) {
    if (kout)
        *kout = e->key;
    else
        EBB_DROP_KEY_(e->key);
    if (vout)
        *vout = e->val;
    else
        EBB_DROP_VAL_(e->val);
    (void)ebb_map_;
}

/* After an entry left group g of the current table: pull entries back towards home if some
 * live beyond g (ebb_core_repair), advance a resize under way, or start shrinking. */
EBB_OUT_OF_LINE static void EBB_M_(__after_remove)(ebb_core *c, size_t g) {
    if (ebb_group(&c->cur, g)[EBB_OVERFLOW] && !c->old.ctrl) ebb_core_repair(c, &EBB_M_(__type), g);
    ebb_core_after_delete(c, &EBB_M_(__type));
}

/* The rest of a delete whose key is not in its home group g of the current table. */
EBB_OUT_OF_LINE static bool EBB_M_(__remove_rest)(EBB_T_ *ebb_map_, uint64_t h, EBB_K_ key,
                                                  EBB_K_ *kout, EBB_V_ *vout, size_t g) {
    ebb_core *c = &ebb_map_->core;
    ebb_table *t;
    size_t d;
    unsigned i;
    EBB_ENTRY_ *e = EBB_M_(__find_rest)(ebb_map_, h, key, g, &t, &g, &i, &d);
    if (!e) return false;
    EBB_M_(__release)(ebb_map_, e, kout, vout);
    if (t == &c->cur) {
        ebb_table_erase_found(t, g, i, d);
        EBB_M_(__after_remove)(c, g);
    } else {
        ebb_table_erase(t, g, i, h);
        ebb_core_after_delete(c, &EBB_M_(__type));
    }
    return true;
}

/* Remove key, releasing its entry as above. Most deletes find the key in its home group of the
 * current table, with nothing else to do: that path is written out here and kept short, the
 * rest is out of line. A delete waits on two cache misses (the control bytes, then the slot), and
 * a loop of deletes overlaps them only as far as the processor can look ahead past one delete
 * into the next. With the whole delete in one function, which saved and restored six registers
 * and spilled its probe's results on every call, draining a 1M map took 1.19-1.23x boost's time
 * per batch in `make bench-duel`; written this way, 0.85-0.92x (and 17% fewer instructions). */
static inline bool EBB_M_(__remove)(EBB_T_ *ebb_map_, EBB_K_ key, EBB_K_ *kout, EBB_V_ *vout) {
    const size_t group_bytes = EBB_GROUP_SLOTS * sizeof(EBB_ENTRY_);
    ebb_core *c = &ebb_map_->core;
    ebb_table *t = &c->cur;
    uint64_t h = EBB_M_(__hash_for_delete)(key, c->seed);
    ebb_pattern tag = ebb_pattern_of_hash(h);
    size_t g = ebb_home(h, t->ngroups);
    unsigned char *ctrl = ebb_group(t, g);
    unsigned char *slots = t->slots + g * group_bytes;
    ebb_prefetch(slots, group_bytes);
    unsigned i;
    EBB_ENTRY_ *e = EBB_M_(__in_group)(slots, ebb_match_pattern(ctrl, tag), h, key, &i);
    if (!e) return EBB_M_(__remove_rest)(ebb_map_, h, key, kout, vout, g);
    EBB_M_(__release)(ebb_map_, e, kout, vout);
    ctrl[i] = 0; /* at home: no probe path to unwind (ebb_table_erase_found) */
    t->count--;
    if (ctrl[EBB_OVERFLOW] || c->old.ctrl || t->count < t->shrink_at) EBB_M_(__after_remove)(c, g);
    return true;
}

EBB_API_ bool EBB_M_(_delete)(EBB_T_ *m, EBB_K_ key) {
    return EBB_M_(__remove)(m, key, NULL, NULL);
}

EBB_API_ bool EBB_M_(_take)(EBB_T_ *m, EBB_K_ key, EBB_K_ *kout, EBB_V_ *vout) {
    return EBB_M_(__remove)(m, key, kout, vout);
}

static inline void EBB_M_(__drop_table)(EBB_T_ *ebb_map_, const ebb_table *t) {
    if (t->count == 0) return;
    for (size_t g = t->skip; g < t->ngroups; g++) {
        for (unsigned full = ebb_match_full(ebb_group(t, g)); full; full &= full - 1) {
            EBB_ENTRY_ *e = EBB_M_(__slot)(t, g, ebb_lowest(full));
            EBB_DROP_KEY_(e->key);
            EBB_DROP_VAL_(e->val);
            (void)e;
        }
    }
    (void)ebb_map_;
}

EBB_API_ void EBB_M_(_clear)(EBB_T_ *m) {
#if defined(EBB_KEY_DTOR) || defined(EBB_VAL_DTOR)
    EBB_M_(__drop_table)(m, &m->core.cur);
    EBB_M_(__drop_table)(m, &m->core.old);
#endif
    ebb_core_release(&m->core);
}

EBB_API_ void EBB_M_(_destroy)(EBB_T_ *m) {
    EBB_M_(_clear)(m);
}

EBB_API_ int EBB_M_(_reserve)(EBB_T_ *m, size_t n) {
    return ebb_core_reserve(&m->core, &EBB_M_(__type), n);
}

EBB_API_ int EBB_M_(_shrink_to_fit)(EBB_T_ *m) {
    return ebb_core_shrink_to_fit(&m->core, &EBB_M_(__type));
}

/* ---- Iteration: the current table, then what is left of the retiring one ---- */

static inline const ebb_table *EBB_M_(__iter_table)(const EBB_ITER_ *it) {
    return it->table_ == 0 ? &it->map_->core.cur : &it->map_->core.old;
}

/* Settle on the first entry of the first group at or after the iterator's group that holds one;
 * entering it, start fetching one ahead (ebb_fetch_group_ahead, for large entries). */
static inline void EBB_M_(__seek)(EBB_ITER_ *it) {
    for (; it->table_ < 2; it->table_++, it->group_ = 0) {
        const ebb_table *t = EBB_M_(__iter_table)(it);
        if (t->count == 0) continue;
        if (it->group_ < t->skip) it->group_ = t->skip;
        for (; it->group_ < t->ngroups; it->group_++) {
            unsigned full = ebb_match_full(ebb_group(t, it->group_));
            if (full) {
                ebb_fetch_group_ahead(t, sizeof(EBB_ENTRY_), it->group_);
                it->rest_ = full;
                EBB_ENTRY_ *e = EBB_M_(__slot)(t, it->group_, ebb_lowest(full));
                it->key = &e->key;
                it->val = &e->val;
                return;
            }
        }
    }
    it->key = NULL;
    it->val = NULL;
    /* Deletions made through the iterator deferred the map's upkeep until now. */
    if (it->deleted_) {
        it->deleted_ = 0;
        ebb_core_after_delete(&it->map_->core, &EBB_M_(__type));
    }
}

EBB_API_ EBB_ITER_ EBB_M_(_begin)(EBB_T_ *m) {
    EBB_ITER_ it = {NULL, NULL, m, 0, 0, 0, 0};
    EBB_M_(__seek)(&it);
    return it;
}

EBB_API_ bool EBB_M_(_iter_done)(const EBB_ITER_ *it) {
    return it->key == NULL;
}

/* Within a group, the next entry comes from the taken slots noted on entering it (rest_): no
 * slot's tag changes during an iteration but the current one's, by iter_delete. Re-reading the
 * control bytes for each entry made a walk over a map in cache take 1.5-1.6x the time
 * (docs/design.md, "Costs, measured"). Large entries are fetched ahead (ebb_fetch_ahead, and
 * ebb_fetch_group_ahead in __seek). The first form took iterating 1M 64-byte entries to 0.77x
 * its time, level with boost (make bench-ab A=caa488e B=05e8b47 AB_ARGS="--kind big --rounds 16
 * --vs boost"); entries of 64 bytes and more now take the second. */
EBB_API_ void EBB_M_(_next)(EBB_ITER_ *it) {
    if (it->key == NULL) return;
    ebb_fetch_ahead(it->key, sizeof(EBB_ENTRY_));
    unsigned rest = it->rest_ & (it->rest_ - 1u); /* the current slot is done */
    if (rest) {
        it->rest_ = rest;
        EBB_ENTRY_ *e = EBB_M_(__slot)(EBB_M_(__iter_table)(it), it->group_, ebb_lowest(rest));
        it->key = &e->key;
        it->val = &e->val;
        return;
    }
    it->group_++;
    EBB_M_(__seek)(it);
}

/* Delete the current entry. Nothing moves (no upkeep runs until the iteration ends), so
 * users_next() goes on from the same place. A second call on the same entry does nothing: its
 * slot is already empty, and running the destructors again would free twice. */
EBB_API_ void EBB_M_(_iter_delete)(EBB_ITER_ *it) {
    if (it->key == NULL) return;
    EBB_T_ *ebb_map_ = it->map_;
    ebb_table *t = (ebb_table *)EBB_M_(__iter_table)(it);
    unsigned slot = ebb_lowest(it->rest_);
    if (t->ctrl[it->group_ * EBB_CTRL_BYTES + slot] == 0) return;
    EBB_ENTRY_ *e = EBB_M_(__slot)(t, it->group_, slot);
    uint64_t h = EBB_M_(__entry_hash)(e, ebb_map_->core.seed);
    EBB_DROP_KEY_(e->key);
    EBB_DROP_VAL_(e->val);
    ebb_table_erase(t, it->group_, slot, h);
    it->deleted_++;
}

EBB_API_ void EBB_M_(_stats)(const EBB_T_ *m, ebb_stats *st) {
    ebb_core_stats(&m->core, &EBB_M_(__type), st);
}

/* Structural check (ebb_core_check's codes: -1 to -8, -11 for an overflow mask, -12 for away bits)
 * plus, for every entry: its kept hash is its key's (else -9), and a lookup of its key finds it, at
 * its own slot (else -10). */
EBB_API_ int EBB_M_(_check)(const EBB_T_ *m) {
    int rc = ebb_core_check(&m->core, &EBB_M_(__type));
    if (rc != 0) return rc;
    for (int which = 0; which < 2; which++) {
        const ebb_table *t = which ? &m->core.old : &m->core.cur;
        if (t->count == 0) continue;
        for (size_t g = t->skip; g < t->ngroups; g++) {
            const unsigned char *ctrl = ebb_group(t, g);
            for (unsigned full = ebb_match_full(ctrl); full; full &= full - 1) {
                EBB_ENTRY_ *e = EBB_M_(__slot)(t, g, ebb_lowest(full));
                ebb_table *ft;
                size_t fg;
                unsigned fi;
                uint64_t h = EBB_M_(__hash)(e->key, m->core.seed);
                if (EBB_M_(__entry_hash)(e, m->core.seed) != h) return -9;
                if (EBB_M_(__locate)(m, h, e->key, &ft, &fg, &fi, false) != e) return -10;
            }
        }
    }
    return 0;
}

#undef EBB_DROP_KEY_
#undef EBB_DROP_VAL_
#endif /* !EBB_HEADER */

#ifdef __cplusplus
}
#endif

#undef EBB_M_
#undef EBB_T_
#undef EBB_ENTRY_
#undef EBB_ITER_
#undef EBB_K_
#undef EBB_V_
#undef EBB_API_
#undef EBB_NAME
#undef EBB_KEY
#undef EBB_VAL
#undef EBB_HASH
#undef EBB_HASH_SEEDED
#undef EBB_CSTR_KEY
#undef EBB_STORE_HASH
#undef EBB_NO_STORE_HASH
#undef EBB_KEEP_HASH_
#undef EBB_EQ
#undef EBB_KEY_DTOR
#undef EBB_VAL_DTOR
#undef EBB_KEY_CLONE
#undef EBB_MAP_FIELDS
#undef EBB_HEADER
#undef EBB_IMPL
