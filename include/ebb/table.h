/* ebb/table.h — the type-independent core under every generated map. Internal: the generated
 * maps use it; applications use the maps. Layout and names may change between versions.
 *
 * Structure. A table is ngroups groups of 15 slots, in one block: a head, then the control
 * array (16 bytes per group), then the slots (15 entries per group, from a cache line's start:
 * a 64-byte entry fills one line, not parts of two), then the overflow counts
 * (one byte per group), then the away bits (two bytes per group). Control bytes of group g:
 *   bytes 0..14  tag of slot i: 0 = empty, else 1..255 taken from the hash's low byte
 *   byte  15     overflow mask: bit b set when an entry of overflow class b (the low three
 *                bits of its tag, ebb_class_of_tag) may live beyond this group on a probe path
 *                that started at or before it
 * and counts[g], the overflow count: how many entries live beyond group g on such a path
 * (saturates at 255 and then stays). The mask is zero exactly when the count is: a count that
 * returns to zero clears it. Bits of entries that have left stay set until then, which costs a
 * miss a group more, never a wrong answer. And away[g], bit i set exactly when slot i of g holds
 * an entry that is not in its home group: what a repair looks for (src/table.c), which the
 * tags cannot tell it.
 * Keeping control bytes apart from the entries keeps them dense (1/16 of the slot bytes for
 * 16-byte entries), so they stay in cache when the entries do not.
 * An entry's home group is fastrange(hash, ngroups) (the hash's high bits); it sits in the
 * first group from home, wrapping, that had a free slot when it was inserted.
 *
 * Invariant: for every entry, every group from its home (included) to its own group (excluded)
 * counts it in its overflow count and has its class in its overflow mask. So a lookup walks from
 * home and stops at the first group whose tags do not match and whose mask lacks the key's
 * class; a delete clears the tag and decrements the counts on the path. Nothing marks a deleted
 * slot, so churn leaves no tombstones and probe paths are exactly as long as the live entries
 * make them. The mask is what lookups read, and it lets a miss stop where the count alone would
 * send it on: near full load many groups have entries beyond them, and a miss through such a
 * group then only goes on if one of those shares its class (boost's flat map does the same with
 * its overflow byte, which it cannot clear: it rehashes the table instead). The counts, which
 * no lookup reads, keep the mask exact enough to clear.
 *
 * Resizing (see src/table.c) keeps a second, retiring table whose groups [0, skip) have been
 * migrated: probes in it start at max(home, skip) and wrap to skip instead of 0, which stays
 * correct because an entry still there sits at or beyond skip, and every group of its path at
 * or beyond skip still counts it.
 *
 * Costs: a hit reads one control line and usually the slot next to it; a miss reads control
 * lines only; neither reads counts or away bits. Memory: 19 bytes of control, counts and away
 * bits per 15 slots, plus a 208-byte table head. */
#ifndef EBB_TABLE_H
#define EBB_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ebb.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* For the rare paths of an operation whose common case is inline: kept out of line so that the
 * common case stays short (no registers saved for the rare path's sake). */
#if defined(__GNUC__) || defined(__clang__)
#define EBB_OUT_OF_LINE __attribute__((noinline))
#else
#define EBB_OUT_OF_LINE
#endif

/* For the prefetch helpers below. A prefetch has no side effect the compiler must keep, so a
 * function that only prefetches is one whose calls it may delete: GCC 12 split the lookup's
 * prefetch helper into a function of its own (fnsplit), found that function free of side
 * effects, and dropped its call from every lookup. Forced inline, the prefetch stays where it
 * is written. */
#if defined(__GNUC__) || defined(__clang__)
#define EBB_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define EBB_ALWAYS_INLINE inline
#endif

#define EBB_GROUP_SLOTS 15
#define EBB_CTRL_BYTES  16
#define EBB_OVERFLOW    15  /* index of the overflow mask in the control bytes */
#define EBB_SATURATED   255 /* an overflow count that has saturated is never decremented */

/* The head placed before group 0 of every allocated table. */
typedef struct ebb_table_head {
    size_t probe_hist[EBB_PROBE_BUCKETS];  /* displaced entries by distance from home, in groups;
                                              [0] stays 0 (see ebb_note_distance) */
    size_t bytes;                          /* size of the allocation */
    size_t released;                       /* bytes handed back to the system while retiring */
    size_t saturated;                      /* groups whose overflow count reached 255 */
    unsigned char *ctrl_done, *slots_done; /* retiring: released up to here (src/table.c) */
    unsigned char *counts_done, *away_done;
    size_t populated; /* fresh: bytes faulted in ahead of use */
    size_t mapped;    /* 1 if the block came from mmap */
    size_t recycled;  /* fresh: bytes moved in from the retiring table */
} ebb_table_head;

EBB_STATIC_ASSERT_(sizeof(ebb_table_head) % 16 == 0, "slots must stay 16-byte aligned");

typedef struct ebb_table {
    unsigned char *ctrl;  /* control bytes of group 0; the head sits just before them */
    unsigned char *slots; /* slot 0 of group 0 */
    size_t ngroups;
    size_t count;          /* entries in this table */
    size_t limit;          /* entries this table takes before the map grows */
    size_t skip;           /* retiring table: groups [0, skip) are migrated and empty */
    size_t shrink_at;      /* the map shrinks when it holds fewer entries than this */
    unsigned char *counts; /* overflow count of each group, after the slots; then the away bits */
} ebb_table;

/* The per-map state shared by every generated map type. */
typedef struct ebb_core {
    ebb_table cur; /* inserts go here */
    ebb_table old; /* being migrated into cur; old.ctrl == NULL when no resize is under way */
    uint64_t seed;
    const ebb_allocator *alloc;
    size_t floor_groups;     /* reserve()d size the map does not shrink below */
    uint64_t grows, shrinks; /* 32 bits wrapped in half an hour of a map oscillating in size */
    uint32_t shrinking;      /* the last resize was a shrink (sets the next shrink threshold) */
    uint64_t moved;
    uint64_t repaired; /* entries pull_back (src/table.c) moved */
} ebb_core;

/* What the core needs to know of an entry type: its size, how to hash one, and how to move
 * one group of the retiring table into the current one (generated per type, so hashing and
 * copying are inlined where most of a resize's time goes). */
typedef struct ebb_type {
    size_t entry_size;
    uint64_t (*hash)(const void *entry, uint64_t seed);
    void (*migrate_group)(ebb_core *c, size_t g);
} ebb_type;

/* ---- Group primitives ---------------------------------------------------------------------- */

static inline size_t ebb_home(uint64_t h, size_t ngroups) {
    return (size_t)(((ebb_u128)h * ngroups) >> 64);
}

static inline unsigned char ebb_tag(uint64_t h) {
    unsigned char t = (unsigned char)h;
    return (unsigned char)(t + (t == 0));
}

/* The overflow class of an entry, as a bit of the overflow mask: the low three bits of its tag,
 * independent of its home (the hash's high bits). Taken from the tag so that a repair can tell,
 * from the control bytes alone, which entries cannot be the ones it looks for. */
static inline unsigned ebb_class_of_tag(unsigned char tag) {
    return 1u << (tag & 7u);
}

static inline unsigned ebb_overflow_bit(uint64_t h) {
    return ebb_class_of_tag(ebb_tag(h));
}

/* Whether a key of hash h that is not in the group with control bytes ctrl (its home) may live
 * beyond it: the group's mask holds the key's class. Near full load most masks hold some class,
 * and a miss that went on for another's paid three calls to learn it need not. The class is
 * computed only when the mask is not empty; below 3/4 load it nearly always is empty. */
static inline bool ebb_may_be_beyond(const unsigned char *ctrl, uint64_t h) {
    unsigned mask = ctrl[EBB_OVERFLOW];
    return mask != 0 && (mask & ebb_overflow_bit(h)) != 0;
}

/* ebb_tag(h) repeated in the four bytes of a word, for every value of h's low byte (src/table.c).
 */
extern const uint32_t ebb_tag_words[256];

/* A tag repeated in every byte, ready to compare with a group's control bytes. Built from a
 * 32-bit word: broadcasting a byte stored in memory makes the compiler spill one byte and
 * reload four, a load that cannot be forwarded from the store and so waits for every older
 * instruction, including the previous lookup's cache miss; lookups then stop overlapping. */
#ifdef __SSE2__
typedef __m128i ebb_pattern;
static inline ebb_pattern ebb_pattern_of(unsigned char t) {
    return _mm_shuffle_epi32(_mm_cvtsi32_si128((int)(t * 0x01010101u)), 0);
}
/* The pattern of hash h's tag, read from a table: a lookup's critical path is its instruction
 * count (fewer instructions let more lookups, and their cache misses, overlap). */
static inline ebb_pattern ebb_pattern_of_hash(uint64_t h) {
    return _mm_shuffle_epi32(_mm_cvtsi32_si128((int)ebb_tag_words[(unsigned char)h]), 0);
}
#else
typedef unsigned char ebb_pattern;
static inline ebb_pattern ebb_pattern_of(unsigned char t) {
    return t;
}
static inline ebb_pattern ebb_pattern_of_hash(uint64_t h) {
    return (ebb_pattern)ebb_tag_words[(unsigned char)h];
}
#endif

/* Bit i set when tag i of the group equals the pattern's tag. */
static inline unsigned ebb_match_pattern(const unsigned char *ctrl, ebb_pattern p) {
#ifdef __SSE2__
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)ctrl);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, p)) & 0x7fffu;
#else
    unsigned m = 0;
    for (unsigned i = 0; i < EBB_GROUP_SLOTS; i++)
        m |= (unsigned)(ctrl[i] == p) << i;
    return m;
#endif
}

/* Bit i set when tag i of the group equals t (t == 0 finds the empty slots). */
static inline unsigned ebb_match(const unsigned char *ctrl, unsigned char t) {
#ifdef __SSE2__
    if (t == 0) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)ctrl);
        return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_setzero_si128())) & 0x7fffu;
    }
#endif
    return ebb_match_pattern(ctrl, ebb_pattern_of(t));
}

static inline unsigned ebb_match_full(const unsigned char *ctrl) {
    return ~ebb_match(ctrl, 0) & 0x7fffu;
}

static inline unsigned ebb_lowest(unsigned mask) {
    return (unsigned)__builtin_ctz(mask);
}

static inline unsigned ebb_highest(unsigned mask) {
    return 31u - (unsigned)__builtin_clz(mask);
}

/* The free slot an entry takes in a group: the lowest when the group is its home, the highest
 * when it was displaced there. Home entries then sit in the group's first lines, where a hit's
 * prefetch aims (a repair finds displaced entries by their away bits, wherever they sit). */
static inline unsigned ebb_pick_free(unsigned free_slots, size_t distance) {
    return distance ? ebb_highest(free_slots) : ebb_lowest(free_slots);
}

/* The away bits of group 0 (ebb/table.h, "Structure"): after the counts, 2-byte aligned. The
 * counts start at an odd address when both the group count and the entry size are odd, so the
 * pad is taken from the address (the table reserves a byte for it when ngroups is odd, the only
 * case where counts + ngroups can be odd). */
static inline uint16_t *ebb_away_of(unsigned char *counts, size_t ngroups) {
    unsigned char *end = counts + ngroups;
    return (uint16_t *)(void *)(end + ((uintptr_t)end & 1));
}

static inline uint16_t *ebb_away(const ebb_table *t) {
    return ebb_away_of(t->counts, t->ngroups);
}

static inline ebb_table_head *ebb_head(const ebb_table *t) {
    return (ebb_table_head *)(void *)t->ctrl - 1;
}

static inline unsigned char *ebb_group(const ebb_table *t, size_t g) {
    return t->ctrl + g * EBB_CTRL_BYTES;
}

static inline void *ebb_slot(const ebb_table *t, size_t entry_size, size_t g, unsigned i) {
    return t->slots + (g * EBB_GROUP_SLOTS + i) * entry_size;
}

static inline size_t ebb_bucket(size_t distance) {
    return distance < EBB_PROBE_BUCKETS - 1 ? distance : EBB_PROBE_BUCKETS - 1;
}

/* Count an entry that arrives at (delta 1) or leaves (delta -1) a slot `distance` groups past its
 * home. Only displaced entries are counted; those at home are the table's count minus the rest
 * (ebb_core_stats). An increment on every insert and delete would be a read-modify-write of one
 * shared word whose address hangs on the probe's result: each operation's update then waits for
 * the previous one's cache miss, and operations stop overlapping. */
static inline void ebb_note_distance(ebb_table_head *h, size_t distance, int delta) {
    if (distance) h->probe_hist[ebb_bucket(distance)] += (size_t)(ptrdiff_t)delta;
}

/* Start fetching the slots of a group (bytes long) while its control bytes are still on their
 * way, for an insert or a delete: most end in their home group, and the two cache misses then
 * overlap instead of following one another. One line: when lookups fetched this way too, it was
 * the best trade measured between their hits (1M u64 hits 30 -> 21 ns) and misses (at 10M, two
 * lines doubled the miss time). Inserts, replaces and churn of 1M u64 -> 56-byte values took
 * 1.03-1.05x the time without it (`bench/ab.py`, 6 rounds, at commit d1c9c46). Lookups wait for
 * a matching tag instead (ebb_prefetch_matched). EBB_PREFETCH_BYTES overrides the span. */
#ifndef EBB_PREFETCH_BYTES
#define EBB_PREFETCH_BYTES 64
#endif
static EBB_ALWAYS_INLINE void ebb_prefetch(const unsigned char *p, size_t bytes) {
    size_t span = bytes < EBB_PREFETCH_BYTES ? bytes : EBB_PREFETCH_BYTES;
    for (size_t off = 0; off < span; off += 64)
        __builtin_prefetch(p + off);
}

/* A lookup, which may miss, fetches the same line only once a tag of its group matches the
 * key's, as boost's flat map does (find_impl, boost/unordered/detail/foa.hpp). The processor
 * predicts that branch: through a run of hits it takes it and fetches the line while the
 * control bytes are still on their way, as an unconditional fetch would; through a run of
 * misses it does not fetch the line at all, where an unconditional fetch spends a read of
 * memory on every miss (and, probably, the cache room of control bytes the next misses want).
 * Against boost in one process (`build/bench/duel [str] N ROUNDS`, runs alternating between
 * builds of commit 92e6ba4 and of this code), u64 misses went from 1.05x boost's time to 0.96x
 * at 1M, 1.13x to 1.02x at 3M and 1.01x to 0.94x at 5M, string misses at 1M from 1.10x to
 * 1.00x; at 10M they lost, 0.86x to 0.92x (u64) and 0.94x to 1.02x (strings), for a reason not
 * found. Hits moved by 1.5% or less. Entries over 32 bytes fetched this way first
 * (docs/design.md, "Costs, measured"). */
static EBB_ALWAYS_INLINE void ebb_prefetch_matched(const unsigned char *p) {
    __builtin_prefetch(p);
}

/* Prefetching for a walk over a table in address order (iteration, migration), which reads a
 * table at half load or less with gaps the hardware prefetcher does not follow. Entries under 32
 * bytes need no help (several share a line); for entries of 32 to 63 bytes most lines still hold
 * one, and the memory EBB_FETCH_AHEAD bytes past the current entry is fetched. From 64 bytes
 * that address is mostly an empty slot, and the walk fetches by group as it enters each one:
 * - Up to EBB_LINES_AHEAD_MAX bytes, every line of the group about EBB_GROUP_AHEAD bytes ahead,
 *   empty slots included. A group's free slots lie together in its middle (ebb_pick_free), and
 *   a walk that reads only the taken ones skips several lines at a time, which stops the
 *   hardware's stream prefetch on these machines; a walk with no gaps keeps it running. Against
 *   fetching only the taken slots of that group, iterating took about half the time for 64-byte
 *   entries at 1M and 10M (0.62x in cache), and 0.65-0.70x for 128-byte entries at 10M
 *   (docs/design.md, "Costs, measured").
 * - Larger entries fetch only the taken slots of that group: every line was too many to fetch
 *   (256 bytes: 1.6x the time at 1M). Against fetching 1 KiB past each entry, iterating 1M
 *   entries of 128 and 256 bytes took 0.80x and 0.85x the time.
 * For 32-byte entries the taken-slot group walk took 1.7x the time of the fixed distance
 * (EBB_GROUP_AHEAD_MIN=32). Addresses are computed as integers: one may lie past the table, which
 * a prefetch tolerates and pointer arithmetic would not. */
#ifndef EBB_FETCH_AHEAD
#define EBB_FETCH_AHEAD 1024u
#endif
#ifndef EBB_GROUP_AHEAD
#define EBB_GROUP_AHEAD 4096u
#endif
#ifndef EBB_GROUP_AHEAD_MIN /* the entry size from which walks fetch by group */
#define EBB_GROUP_AHEAD_MIN 64u
#endif
static EBB_ALWAYS_INLINE void ebb_fetch_ahead(const void *p, size_t entry_size) {
    if (entry_size >= 32 && entry_size < EBB_GROUP_AHEAD_MIN)
        __builtin_prefetch((const void *)((uintptr_t)p + EBB_FETCH_AHEAD));
}

#ifndef EBB_LINES_AHEAD_MAX /* the largest entry for which walks fetch every line */
#define EBB_LINES_AHEAD_MAX 128u
#endif
static EBB_ALWAYS_INLINE void ebb_fetch_group_ahead(const ebb_table *t, size_t entry_size,
                                                    size_t g) {
    if (entry_size < EBB_GROUP_AHEAD_MIN) return;
    size_t ahead = EBB_GROUP_AHEAD / (EBB_GROUP_SLOTS * entry_size);
    g += ahead ? ahead : 1;
    if (g >= t->ngroups) return;
    uintptr_t slots = (uintptr_t)t->slots + g * EBB_GROUP_SLOTS * entry_size;
    if (entry_size <= EBB_LINES_AHEAD_MAX) {
        uintptr_t end = slots + EBB_GROUP_SLOTS * entry_size;
        for (uintptr_t line = slots & ~(uintptr_t)63; line < end; line += 64)
            __builtin_prefetch((const void *)line);
        return;
    }
    for (unsigned full = ebb_match_full(t->ctrl + g * EBB_CTRL_BYTES); full; full &= full - 1)
        __builtin_prefetch((const void *)(slots + ebb_lowest(full) * entry_size));
}

/* First group a probe for hash h visits, and the group after g. */
static inline size_t ebb_probe_start(const ebb_table *t, uint64_t h) {
    size_t g = ebb_home(h, t->ngroups);
    return g < t->skip ? t->skip : g;
}

static inline size_t ebb_probe_next(const ebb_table *t, size_t g) {
    return g + 1 == t->ngroups ? t->skip : g + 1;
}

/* Claim a slot for an entry whose home group is `home`, whose tag is `tag` and whose overflow
 * class is `bit` in table t (which must have room and no skip) and return it. The caller writes the
 * entry. Table fields are read into locals first: stores through the unsigned char pointers below
 * may alias anything, and would force the compiler to reload them. */
static inline void *ebb_table_place_at(ebb_table *t, size_t entry_size, size_t home,
                                       unsigned char tag, unsigned bit) {
    unsigned char *ctrl0 = t->ctrl, *counts = t->counts;
    size_t ngroups = t->ngroups;
    size_t g = home;
    size_t distance = 0;
    for (;;) {
        unsigned char *ctrl = ctrl0 + g * EBB_CTRL_BYTES;
        unsigned free_slots = ebb_match(ctrl, 0);
        if (free_slots) {
            unsigned i = ebb_pick_free(free_slots, distance);
            ctrl[i] = tag;
            if (distance) ebb_away_of(counts, ngroups)[g] |= (uint16_t)(1u << i);
            ebb_note_distance((ebb_table_head *)(void *)ctrl0 - 1, distance, 1);
            t->count++;
            return t->slots + (g * EBB_GROUP_SLOTS + i) * entry_size;
        }
        ctrl[EBB_OVERFLOW] |= (unsigned char)bit;
        if (counts[g] != EBB_SATURATED && ++counts[g] == EBB_SATURATED)
            ((ebb_table_head *)(void *)ctrl0 - 1)->saturated++;
        g = g + 1 == ngroups ? 0 : g + 1;
        distance++;
    }
}

/* Claim a slot for hash h in table t (which must have room and no skip) and return it. */
static inline void *ebb_table_place(ebb_table *t, size_t entry_size, uint64_t h) {
    return ebb_table_place_at(t, entry_size, ebb_home(h, t->ngroups), ebb_tag(h),
                              ebb_overflow_bit(h));
}

/* Whether every entry of group g of the retiring table sits in its home group. Entries displaced
 * into g were counted by the overflow count of the group before it, which migration never
 * decrements, so a zero there is proof (a stale nonzero count only sends g the slow way). It is
 * read from the mask, which is zero exactly when the count is, on the control line migration
 * reads anyway. Such a group's entries leave without walking their probe paths; and when the
 * current table has exactly half the groups, each goes to group g/2 without being hashed again
 * (fastrange: floor(floor(h*n/2^64)/2) == floor(h*(n/2)/2^64)). */
static inline bool ebb_group_at_home(const ebb_table *old, size_t g) {
    size_t prev = g == 0 ? old->ngroups - 1 : g - 1;
    return old->ctrl[prev * EBB_CTRL_BYTES + EBB_OVERFLOW] == 0;
}

/* One entry fewer beyond group p: its overflow count drops, and its mask clears at zero. */
static inline void ebb_uncount(unsigned char *ctrl0, unsigned char *counts, size_t p) {
    if (counts[p] != EBB_SATURATED && --counts[p] == 0)
        ctrl0[p * EBB_CTRL_BYTES + EBB_OVERFLOW] = 0;
}

/* Take the entry in slot i of group g, whose hash is h, off the table's books: its probe-length
 * bucket, its away bit, and the overflow counts of the groups its probe path crosses. Its tag
 * and the count stay. */
static inline void ebb_table_unaccount(ebb_table *t, size_t g, unsigned i, uint64_t h) {
    unsigned char *ctrl0 = t->ctrl;
    size_t ngroups = t->ngroups, skip = t->skip;
    size_t home = ebb_home(h, ngroups);
    size_t distance = g >= home ? g - home : g + ngroups - home;
    ebb_note_distance((ebb_table_head *)(void *)ctrl0 - 1, distance, -1);
    if (distance) ebb_away(t)[g] &= (uint16_t)(~(1u << i));
    for (size_t p = home < skip ? skip : home; p != g; p = p + 1 == ngroups ? skip : p + 1)
        ebb_uncount(ctrl0, t->counts, p);
}

/* Remove the entry in slot i of group g, whose hash is h. */
static inline void ebb_table_erase(ebb_table *t, size_t g, unsigned i, uint64_t h) {
    ebb_table_unaccount(t, g, i, h);
    t->ctrl[g * EBB_CTRL_BYTES + i] = 0;
    t->count--;
}

/* Remove the entry in slot i of group g of a table without skip (the current table), found by a
 * probe that went `distance` groups past the entry's home: the lookup already knows the path,
 * so nothing is hashed or divided again. */
static inline void ebb_table_erase_found(ebb_table *t, size_t g, unsigned i, size_t distance) {
    unsigned char *ctrl0 = t->ctrl;
    size_t ngroups = t->ngroups;
    ebb_note_distance((ebb_table_head *)(void *)ctrl0 - 1, distance, -1);
    if (distance) ebb_away(t)[g] &= (uint16_t)(~(1u << i));
    for (size_t p = g; distance; distance--) {
        p = p == 0 ? ngroups - 1 : p - 1;
        ebb_uncount(ctrl0, t->counts, p);
    }
    ctrl0[g * EBB_CTRL_BYTES + i] = 0;
    t->count--;
}

/* ---- Out-of-line core (src/table.c) --------------------------------------------------------- */

void ebb_core_init(ebb_core *c, const ebb_options *opt);
/* Make room for one more entry (may start a resize) and advance a resize under way. */
int ebb_core_grow_slow(ebb_core *c, const ebb_type *ty);
/* After a delete: advance a resize under way, or start shrinking when the map is sparse. */
void ebb_core_after_delete_slow(ebb_core *c, const ebb_type *ty);
int ebb_core_reserve(ebb_core *c, const ebb_type *ty, size_t entries);
int ebb_core_shrink_to_fit(ebb_core *c, const ebb_type *ty);
/* Free every table (the caller has dropped the entries) and return to the empty state. */
void ebb_core_release(ebb_core *c);
void ebb_core_stats(const ebb_core *c, const ebb_type *ty, ebb_stats *st);
/* After a delete left a free slot in group g of the current table, whose overflow count says
 * entries live beyond it: move such entries back towards home, a few groups down the chain. */
void ebb_core_repair(ebb_core *c, const ebb_type *ty, size_t g);
/* Verify every structural invariant (tests): 0 when sound, else a negative code. */
int ebb_core_check(const ebb_core *c, const ebb_type *ty);

static inline size_t ebb_core_count(const ebb_core *c) {
    return c->cur.count + c->old.count;
}

static inline int ebb_core_prepare_insert(ebb_core *c, const ebb_type *ty) {
    if (c->old.ctrl == NULL && c->cur.count < c->cur.limit) return EBB_OK;
    return ebb_core_grow_slow(c, ty);
}

/* After a delete, nothing to do unless a resize is under way or the map has become sparse
 * enough to shrink (thresholds in src/table.c). */
static inline void ebb_core_after_delete(ebb_core *c, const ebb_type *ty) {
    if (c->old.ctrl == NULL && c->cur.count >= c->cur.shrink_at) return;
    ebb_core_after_delete_slow(c, ty);
}

#ifdef __cplusplus
}
#endif
#endif
