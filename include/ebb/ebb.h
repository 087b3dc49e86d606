/* ebb — hash maps whose memory follows their contents.
 *
 * This header is the common public surface: status codes, the allocator hook, map options,
 * statistics and the hash functions. The maps themselves come from the template in
 * <ebb/map.h> (one typed map per #include) or ready-made in <ebb/u64map.h> and <ebb/strmap.h>.
 *
 * Conventions: every public name carries the `ebb_` / `EBB_` prefix. Calls that may allocate
 * return a status (negative on failure) and leave the map unchanged and valid when they fail.
 * Nothing in the library prints or aborts. */
#ifndef EBB_EBB_H
#define EBB_EBB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Compile-time checks in the headers, which C11 and C++11 programs both include. */
#ifdef __cplusplus
#define EBB_STATIC_ASSERT_(cond, msg) static_assert(cond, msg)
#define EBB_ALIGNOF_(type)            alignof(type)
#else
#define EBB_STATIC_ASSERT_(cond, msg) _Static_assert(cond, msg)
#define EBB_ALIGNOF_(type)            _Alignof(type)
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define EBB_VERSION       "0.1.0"
#define EBB_VERSION_MAJOR 0
#define EBB_VERSION_MINOR 1

/* Results of map operations. Insertions return EBB_INSERTED when the key was new and EBB_OK
 * when it was already there; failures are negative and change nothing. */
typedef enum ebb_status {
    EBB_OK = 0,
    EBB_INSERTED = 1,
    EBB_ENOMEM = -1, /* an allocation failed */
    EBB_EINVAL = -2, /* an argument is out of range */
    EBB_ESYS = -3,   /* the system refused a resource (a thread) */
} ebb_status;

/* A short, static description of a status ("out of memory", ...). */
const char *ebb_strerror(int status);

/* The allocator hook. alloc returns memory aligned like malloc's, or NULL; free receives the
 * size that was asked for. With a hook the map cannot hand pages back by itself beyond calling
 * free: returning them to the system is then the hook's business. */
typedef struct ebb_allocator {
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);
    void *ctx;
} ebb_allocator;

#define EBB_FIXED_SEED 1u /* use ebb_options.seed instead of a random per-map seed */

typedef struct ebb_options {
    const ebb_allocator *allocator; /* NULL: ebb's own, which returns pages to the system */
    uint64_t seed;                  /* with EBB_FIXED_SEED: reproducible hashing (tests) */
    unsigned flags;
} ebb_options;

/* Statistics of one map. Reading them costs O(1) (the histogram is kept up to date). */
#define EBB_PROBE_BUCKETS 16
typedef struct ebb_stats {
    size_t entries;
    size_t slots;    /* slots of every table held (two while a resize is under way) */
    size_t bytes;    /* table bytes held, without what keys and values point to */
    double load;     /* entries / slots */
    size_t capacity; /* entries the current table takes before it grows */
    size_t probe_hist[EBB_PROBE_BUCKETS]; /* entries by groups away from home; last: 15+ */
    unsigned longest_probe;               /* highest non-empty bucket of probe_hist */
    double mean_probe;                    /* mean groups away from home */
    size_t tombstones;                    /* always 0: deletion leaves none behind */
    size_t migrating;                     /* entries still in the table being retired */
    size_t saturated;                     /* groups whose overflow count saturated (255) */
    uint64_t grows, shrinks;              /* resizes started */
    uint64_t moved;                       /* entries moved by resizes */
    uint64_t repaired; /* entries moved back towards home after deletes (the drift repair) */
} ebb_stats;

/* Write the statistics into buf (snprintf-like: returns the length the full text needs). */
int ebb_stats_text(const ebb_stats *st, char *buf, size_t len);
int ebb_stats_json(const ebb_stats *st, char *buf, size_t len);

/* ---- Background unmapping ----------------------------------------------------------------- */

/* When a resize ends, the retired table is unmapped, and clear and destroy unmap the map's
 * table: without help that is done on the calling thread, a retired table a step at a time
 * (42-76 us a step on a VM), a cleared one at once (milliseconds for hundreds of megabytes).
 * With the pager running, maps that take their memory from ebb (no allocator hook) hand those
 * unmaps to one background thread of the process, and the call returns at once; the memory
 * still goes back, moments later, in order. Maps need nothing else: each is still used by one
 * thread at a time, as before.
 *
 * start: EBB_OK (also when it already runs), or EBB_ESYS when no thread could be made (maps
 * then unmap on their callers' threads). stop: finishes every unmap handed over, then ends the
 * thread. wait: returns once every unmap handed over so far is done (before measuring RSS,
 * say). A child of fork() starts without the pager. */
int ebb_pager_start(void);
void ebb_pager_stop(void);
void ebb_pager_wait(void);

typedef struct ebb_pager_stats {
    int running;             /* the thread exists */
    uint64_t handed;         /* unmaps handed over */
    uint64_t done;           /* of those, made */
    uint64_t waits;          /* hand-overs that waited for room (the thread was behind) */
    uint64_t dropped;        /* unmaps outstanding at a fork, made by the child at once */
    size_t pending_bytes;    /* bytes handed over and not yet unmapped */
    uint64_t unmapped_bytes; /* bytes the thread unmapped */
} ebb_pager_stats;

void ebb_pager_get_stats(ebb_pager_stats *st);

/* ---- Hashing ------------------------------------------------------------------------------ */

__extension__ typedef unsigned __int128 ebb_u128;

/* Multiply two 64-bit words and fold the 128-bit product: the mixing step of every ebb hash. */
static inline uint64_t ebb_mix(uint64_t a, uint64_t b) {
    ebb_u128 r = (ebb_u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Seeded hash of a 64-bit integer. Also the finaliser applied to user-supplied hashes, so an
 * identity hash on patterned keys (timestamps, multiples of 1024 or of 2^16) still spreads.
 * One folded multiply is not enough: for keys k << s its top bits, which choose the group, are
 * k times the constant mod 2^(64-s), and for some s that is near a fraction with a small
 * denominator (s = 16..18: p/7037), so the keys fell into that many clusters. The second
 * multiply (64-bit, its low half) carries the fold's low bits, where the high half of the
 * product put the well-mixed bits of such keys, up into the top ones. */
static inline uint64_t ebb_hash_u64(uint64_t x, uint64_t seed) {
    return ebb_mix(x ^ seed, 0x9e3779b97f4a7c15ull) * 0xd6e8feb86659fd93ull;
}

/* Seeded hash of a byte string. It reads 16 bytes per step and folds each pair of words into
 * the running state with one 64x64->128-bit multiply (ebb_mix); inputs of 16 bytes or less take
 * no loop, reading the first and last words (overlapping when short). The seed enters the state
 * first, so without it an attacker cannot predict which strings collide. Both factors of every
 * multiply hold the state: a factor of data and constants alone is zero for one known word (the
 * constant itself), and that product erased the seed and everything before it, so all strings
 * with that word at a block's start collided under every seed (tests/test_map_unit.c).
 * Inline, because the maps hash every key they are given: with the hash inline instead of a call
 * into the library, a map of 1M strings took 76 ns a lookup instead of 93, and 45 ns an insert
 * instead of 55 (docs/design.md, "Hashing"). ebb_hash_bytes and ebb_hash_str are the same hash
 * out of line. */
#define EBB_HK0_ 0xa0761d6478bd642full
#define EBB_HK1_ 0xe7037ed1a0b428dbull
#define EBB_HK2_ 0x8ebc6af09c88c6e3ull
#define EBB_HK3_ 0x589965cc75374cc3ull

static inline uint64_t ebb_load64_(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t ebb_load32_(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t ebb_hash_bytes_inline(const void *data, size_t len, uint64_t seed) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t state = ebb_mix(seed ^ EBB_HK0_, (uint64_t)len ^ EBB_HK1_);
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 8) {
            a = ebb_load64_(p);
            b = ebb_load64_(p + len - 8);
        } else if (len >= 4) {
            a = ebb_load32_(p);
            b = ebb_load32_(p + len - 4);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len / 2] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = len;
        while (left > 16) {
            state = ebb_mix(ebb_load64_(p) ^ state ^ EBB_HK2_, ebb_load64_(p + 8) ^ state);
            p += 16;
            left -= 16;
        }
        a = ebb_load64_(p + left - 16);
        b = ebb_load64_(p + left - 8);
    }
    return ebb_mix(ebb_mix(a ^ state ^ EBB_HK2_, b ^ state) ^ EBB_HK3_, state ^ EBB_HK0_);
}

/* The same, out of line, and the hash of a NUL-terminated string (its bytes before the NUL). */
uint64_t ebb_hash_bytes(const void *data, size_t len, uint64_t seed);
uint64_t ebb_hash_str(const char *s, uint64_t seed);

/* A fresh seed: a per-process secret from the operating system mixed with a counter. */
uint64_t ebb_seed_next(void);

#ifdef __cplusplus
}
#endif
#endif
