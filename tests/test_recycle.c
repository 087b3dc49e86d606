/* Recycling: a shrink moves the retiring table's migrated slot pages into the new table with
 * mremap(MREMAP_FIXED) instead of releasing them and faulting in fresh ones (src/table.c).
 *
 * The pages a move replaces must hold no entry, including ones that inserts put ahead of
 * migration: the workload inserts one fresh key per eight deletes while the map shrinks through
 * every size, and midway through every shrink every live key must be found with its value, no
 * deleted key may be, and every invariant must hold. Moved ranges must not pile up as mappings.
 *
 * The kernel unmaps a move's destination before it moves anything, and may then fail (ENOMEM;
 * EFAULT before Linux 6.17 when the source spans two mappings), leaving a hole in the new table
 * that ebb must map again. And a move must not leave a hole in the retiring table either: the
 * table is unmapped whole once retired, which would take with it whatever another mmap had put
 * in the hole meanwhile (another map's table, a large malloc block). Midway through every shrink
 * the retiring table's whole range must still be mapped. This file replaces mremap for its program
 * (the library is linked statically, so its calls come here): with injection on, every other move
 * does the worst the kernel can, unmap the destination and fail. Without ebb's repair of the hole,
 * the next write into it crashes the program.
 *
 * The workload runs on two maps: u64 -> u64 (16-byte entries, 256-byte groups, so a move of
 * 64-256 KiB spans hundreds of groups), and u64 -> 2 KiB values, whose 32 KiB groups make a move
 * span two to eight: an entry in the last group a move would replace is then common, and must
 * stop the move like one in any other. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

#define EBB_NAME rmap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

typedef struct big {
    uint64_t word[256];
} big;

#define EBB_NAME bmap
#define EBB_KEY  uint64_t
#define EBB_VAL  big
#include "ebb/map.h"

static unsigned long moves_tried, moves_failed;
static bool inject;

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...) {
    void *dst = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        dst = va_arg(ap, void *);
        va_end(ap);
    }
    moves_tried++;
    if (inject && (flags & MREMAP_FIXED) && moves_tried % 2 == 0) {
        munmap(dst, new_len); /* what the kernel has done by the time a move fails */
        moves_failed++;
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, dst);
}

/* The process's memory mappings: lines of /proc/self/maps. */
static size_t mapping_count(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    size_t lines = 0;
    if (!f) return 0;
    for (int ch; (ch = fgetc(f)) != EOF;)
        lines += ch == '\n';
    fclose(f);
    return lines;
}

static uint64_t key_of(size_t i) {
    return scramble(i, 0x2ec7);
}

/* Whether every page of t's block is mapped: mincore fails with ENOMEM on a range with a hole.
 * (A static vector: a malloc here would add allocator mappings that the counts above include.) */
static bool wholly_mapped(const ebb_table *t) {
    static unsigned char vec[4096];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    ebb_table_head *h = ebb_head(t);
    uintptr_t from = (uintptr_t)h / page * page, to = (uintptr_t)h + h->bytes;
    for (uintptr_t at = from; at < to; at += sizeof vec * page) {
        size_t len = to - at < sizeof vec * page ? to - at : sizeof vec * page;
        if (mincore((void *)at, len, vec) != 0) return false;
    }
    return true;
}

/* The two maps behind one interface: values are numbers, which the 2 KiB values hold at both
 * ends. Both map structs begin with their ebb_core. */
typedef union any_map {
    rmap r;
    bmap b;
} any_map;

typedef struct map_ops {
    const char *name;
    void (*init)(any_map *m, const ebb_options *o);
    bool (*put)(any_map *m, uint64_t key, uint64_t val); /* whether the key was new */
    bool (*del)(any_map *m, uint64_t key);
    bool (*get)(const any_map *m, uint64_t key, uint64_t *val); /* whether it was found */
    int (*check)(const any_map *m);
    void (*destroy)(any_map *m);
} map_ops;

static void r_init(any_map *m, const ebb_options *o) {
    rmap_init_with(&m->r, o);
}
static bool r_put(any_map *m, uint64_t key, uint64_t val) {
    return rmap_put(&m->r, key, val) == EBB_INSERTED;
}
static bool r_del(any_map *m, uint64_t key) {
    return rmap_delete(&m->r, key);
}
static bool r_get(const any_map *m, uint64_t key, uint64_t *val) {
    const uint64_t *v = rmap_get(&m->r, key);
    if (v) *val = *v;
    return v != NULL;
}
static int r_check(const any_map *m) {
    return rmap_check(&m->r);
}
static void r_destroy(any_map *m) {
    rmap_destroy(&m->r);
}

static void b_init(any_map *m, const ebb_options *o) {
    bmap_init_with(&m->b, o);
}
static bool b_put(any_map *m, uint64_t key, uint64_t val) {
    big b = {{0}};
    b.word[0] = val;
    b.word[255] = ~val;
    return bmap_put(&m->b, key, b) == EBB_INSERTED;
}
static bool b_del(any_map *m, uint64_t key) {
    return bmap_delete(&m->b, key);
}
static bool b_get(const any_map *m, uint64_t key, uint64_t *val) {
    const big *v = bmap_get(&m->b, key);
    if (v) *val = v->word[0] == ~v->word[255] ? v->word[0] : ~(uint64_t)0;
    return v != NULL;
}
static int b_check(const any_map *m) {
    return bmap_check(&m->b);
}
static void b_destroy(any_map *m) {
    bmap_destroy(&m->b);
}

static const map_ops small_entries = {"16-byte entries", r_init,   r_put, r_del, r_get,
                                      r_check,           r_destroy};
static const map_ops big_entries = {"2 KiB entries", b_init,  b_put,    b_del,
                                    b_get,           b_check, b_destroy};

typedef struct shrink_run {
    unsigned shrinks_checked; /* shrinks seen midway (smaller ones finish within one delete) */
    unsigned with_recycled;   /* of those, how many had received recycled pages by then */
    size_t maps_before, maps_most, maps_after; /* after filling, at most midway, destroyed */
    bool ok;                                   /* every check midway and at the end passed */
} shrink_run;

/* Every key that is live is found with its value; no other is. */
static bool contents_match(const map_ops *ops, const any_map *m, const unsigned char *live,
                           size_t keys) {
    for (size_t k = 0; k < keys; k++) {
        uint64_t v = 0;
        bool found = ops->get(m, key_of(k), &v);
        if (live[k] ? !found || v != k : found) return false;
    }
    return true;
}

/* Fill n keys, then delete down to n/600 with one fresh insert per eight deletes, checking midway
 * through each shrink; then delete the rest. */
static shrink_run shrink_with_inserts(const map_ops *ops, size_t n) {
    shrink_run r = {0, 0, 0, 0, 0, true};
    size_t cap = n + n / 4, fresh = n;
    unsigned char *live = calloc(cap, 1);
    if (!live) return (shrink_run){0, 0, 0, 0, 0, false};
    any_map m;
    ebb_options o = {NULL, 11, EBB_FIXED_SEED};
    ops->init(&m, &o);
    const ebb_core *core = &m.r.core; /* the same in both */
    for (size_t i = 0; r.ok && i < n; i++) {
        r.ok = ops->put(&m, key_of(i), i);
        live[i] = 1;
    }
    r.maps_before = r.maps_most = mapping_count();
    uint32_t shrink_seen = 0;
    for (size_t i = n; r.ok && i > n / 600; i--) {
        r.ok = ops->del(&m, key_of(i - 1));
        live[i - 1] = 0;
        if (i % 8 == 0 && fresh < cap) {
            r.ok = r.ok && ops->put(&m, key_of(fresh), fresh);
            live[fresh++] = 1;
        }
        const ebb_table *old = &core->old;
        if (old->count == 0 || core->shrinks == shrink_seen || old->skip * 2 < old->ngroups)
            continue;
        shrink_seen = core->shrinks;
        r.shrinks_checked++;
        r.with_recycled += ebb_head(&core->cur)->recycled > 0;
        r.ok = r.ok && contents_match(ops, &m, live, fresh) && ops->check(&m) == 0;
        r.ok = r.ok && wholly_mapped(old);
        size_t maps = mapping_count();
        if (maps > r.maps_most) r.maps_most = maps;
    }
    r.ok = r.ok && contents_match(ops, &m, live, fresh);
    for (size_t k = 0; r.ok && k < fresh; k++)
        if (live[k]) r.ok = ops->del(&m, key_of(k));
    r.ok = r.ok && core->cur.count + core->old.count == 0 && ops->check(&m) == 0;
    ops->destroy(&m);
    r.maps_after = mapping_count();
    free(live);
    return r;
}

static void test_recycled_pages(void) {
    size_t n = test_scaled(600000);
    shrink_run r = shrink_with_inserts(&small_entries, n);
    fprintf(stderr,
            "  %zu keys: %u shrinks checked midway, %u with recycled pages, %zu mappings at most "
            "(%zu before, %zu after), %lu moves\n",
            n, r.shrinks_checked, r.with_recycled, r.maps_most, r.maps_before, r.maps_after,
            moves_tried);
    CHECK(r.ok);
    CHECK(r.shrinks_checked >= 3);
    CHECK(r.with_recycled >= 2);
    CHECK(r.maps_most <= r.maps_before + 32);
    CHECK(r.maps_after <= r.maps_before);
}

/* Big entries: a move spans few groups, and entries inserted ahead of migration sit in the last
 * of them as often as in any other. */
static void test_recycled_pages_big_entries(void) {
    size_t n = test_scaled(60000);
    moves_tried = 0;
    shrink_run r = shrink_with_inserts(&big_entries, n);
    fprintf(stderr,
            "  %zu keys of %zu bytes: %u shrinks checked midway, %u with recycled pages, %lu "
            "moves\n",
            n, sizeof(bmap_entry), r.shrinks_checked, r.with_recycled, moves_tried);
    CHECK(r.ok);
    CHECK(r.shrinks_checked >= 3);
    CHECK(r.with_recycled >= 2);
    CHECK(r.maps_after <= r.maps_before);
}

static void test_failed_moves_leave_the_map_whole(void) {
    const map_ops *maps[] = {&small_entries, &big_entries};
    size_t keys[] = {test_scaled(600000), test_scaled(60000)};
    for (int i = 0; i < 2; i++) {
        inject = true;
        moves_tried = moves_failed = 0;
        shrink_run r = shrink_with_inserts(maps[i], keys[i]);
        inject = false;
        fprintf(stderr,
                "  %s, %zu keys: %u shrinks checked midway, %lu of %lu moves failed on purpose\n",
                maps[i]->name, keys[i], r.shrinks_checked, moves_failed, moves_tried);
        CHECK(r.ok);
        CHECK(r.shrinks_checked >= 3);
        CHECK(moves_failed >= 2);
    }
}

int main(void) {
    RUN(test_recycled_pages);
    RUN(test_recycled_pages_big_entries);
    RUN(test_failed_moves_leave_the_map_whole);
    return check_summary();
}
