/* table.c — allocation, resizing and page return for every ebb map (layout: ebb/table.h).
 *
 * Resizing is incremental. Growing (at 7/8 of the slots, to twice the groups) or shrinking (to
 * half the groups) allocates the new table and makes the old one the retiring table; every
 * later insert or delete then migrates some of its groups, so no single operation pays for the
 * whole table: while growing, at least 24 entries or 32 empty groups and at most 38 entries;
 * while shrinking, ten times that (at most 270 entries, a few microseconds), because deletes
 * drive a shrink and a shrink should be finished when they stop. Large entries count by bytes
 * instead: a step stops after 16 KiB of them (at least 2 entries growing, 16 shrinking), since
 * its time then goes into copying them and faulting in their pages. Lookups meanwhile search
 * both tables.
 *
 * Shrink thresholds, with hysteresis where it matters: thrashing needs a change of direction.
 * After a growth, the map shrinks only below 3/8 of its limit (a 25% drop from the half-full
 * table the growth left). After a shrink, the next shrink comes at 15/32, so a map that keeps
 * losing entries lands on the table a freshly built map of its size would have, except in a
 * band of ~9% of sizes. A full grow-shrink cycle still needs a 25% swing.
 *
 * A resize always finishes before the next is due. Growing from n groups (13.1n entries) takes
 * at most 13.1n/24 + n/32 < 0.6n steps (13.1n/2 + n/32 < 6.6n for the largest entries); the
 * next growth is 13n inserts away. A shrink to n' groups at 15/32 moves at most 12.3n' entries,
 * in about 0.05n' steps (0.77n' for the largest entries), while the new table takes 0.82n' more
 * inserts before it must grow (3.3n' after a shrink at 3/8).
 *
 * Memory. Tables of 64 KiB or more come straight from mmap: fresh pages read as zero, which is
 * an empty table, so allocating costs no memset, and the map never depends on malloc (glibc
 * keeps freed mid-size blocks resident). Each migration step also faults in the next 8 KiB of
 * the new table's control bytes (MADV_POPULATE_WRITE), which lookups read before anything writes
 * them: left to page faults, each page would fault twice (the read maps the zero page, the first
 * write copies it). Slots fault in once, when first written. As migration
 * passes over the retiring table, the pages behind it go back to the system with
 * madvise(MADV_DONTNEED), in chunks of 1/16 of the table between 64 and 256 KiB (slots, control
 * bytes, overflow counts and away bits alike), so resident memory tracks the entries during a
 * resize, not after it, and unmapping the emptied table frees nothing resident, which would
 * take longer than an operation may. Slot pages that the current
 * table will need soon are not released but moved into it (mremap, "recycling"): a shrink then
 * faults in almost nothing, because the retiring table frees slot bytes twice as fast as the new
 * one fills them. Transparent huge pages are declined for tables: a fault that zeroes 2 MiB would
 * be the stall this design avoids. Smaller tables use calloc, or the user's allocator hook for
 * everything. With the pager running (src/pager.c), every munmap goes to its thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ebb/table.h"
#include "pager.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4 /* Linux 5.7 */
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels say EINVAL and we fault lazily */
#endif

#define MMAP_MIN (64u * 1024u) /* tables this large bypass malloc */
/* Slots start on a cache line: entries of 32, 64 or 128 bytes then never straddle two lines,
 * which every one of 64 bytes did when the slots followed the control bytes directly (16 bytes
 * past a line). SLOT_SLACK covers the padding whatever the block's alignment. */
#define SLOT_ALIGN 64u
#define SLOT_SLACK (SLOT_ALIGN - 1u)
/* Page handling while resizing (both can be overridden at build time, for experiments): the
 * retiring table is released in chunks of 1/16 of its size within [RELEASE_MIN, RELEASE_MAX],
 * and each step faults in POPULATE_STEP bytes of the new table. Fresh pages are slow to fault in
 * on a VM (the hypervisor backs them too): 8 KiB per step kept `make demo` at 9-13 inserts over
 * 100 us in 10M, where 32 KiB gave 25-78 (docs/design.md, "Resizing without stalls"). */
#define RELEASE_MIN (64u * 1024u)
#ifndef RELEASE_MAX
#define RELEASE_MAX (256u * 1024u)
#endif
#ifndef POPULATE_STEP
#define POPULATE_STEP (8u * 1024u)
#endif
#define UNMAP_STEP     (32u * 1024u * 1024u) /* a retired table is unmapped this much per step */
#define STEP_GROUPS    32                    /* groups one growth step may visit */
#define STEP_ENTRIES   24  /* a growth step stops once it has moved this many (+14) */
#define SHRINK_GROUPS  256 /* the same for a shrink, which deletes drive: deletes are */
#define SHRINK_ENTRIES 256 /* cheap, and a shrink should be done when they stop */
/* Larger entries take fewer a step: at most STEP_BYTES of them, but never fewer than these
 * floors, which still finish a resize before the next is due (above). */
#define STEP_BYTES   (16u * 1024u)
#define STEP_LEAST   2
#define SHRINK_LEAST 16
#define MAX_LOAD_NUM 7 /* grow when entries reach 7/8 of the slots */
#define MAX_LOAD_DEN 8

/* ebb_tag() of every low byte, four times over (0 is empty, so its tag is 1). */
#define TAG_WORD(t)   ((t) == 0 ? 0x01010101u : (uint32_t)(t)*0x01010101u)
#define TAG_WORD4(t)  TAG_WORD(t), TAG_WORD((t) + 1), TAG_WORD((t) + 2), TAG_WORD((t) + 3)
#define TAG_WORD16(t) TAG_WORD4(t), TAG_WORD4((t) + 4), TAG_WORD4((t) + 8), TAG_WORD4((t) + 12)
#define TAG_WORD64(t)                                                                              \
    TAG_WORD16(t), TAG_WORD16((t) + 16), TAG_WORD16((t) + 32), TAG_WORD16((t) + 48)
const uint32_t ebb_tag_words[256] = {TAG_WORD64(0), TAG_WORD64(64), TAG_WORD64(128),
                                     TAG_WORD64(192)};

/* The control bytes of an empty map: one group, always empty, never written. Its slots point
 * there too, never read (every control byte says empty): lookups compute the address of group
 * 0's slots before reading its tags, and an offset from a null pointer is undefined behaviour
 * (clang's UBSan stopped every lookup in an empty map). */
static const unsigned char empty_group[EBB_CTRL_BYTES];

static ebb_table empty_table(void) {
    return (ebb_table){
        .ctrl = (unsigned char *)empty_group, .slots = (unsigned char *)empty_group, .ngroups = 1};
}

static bool is_allocated(const ebb_table *t) {
    return t->ctrl != NULL && t->limit != 0;
}

static size_t limit_for(size_t ngroups) {
    return ngroups * EBB_GROUP_SLOTS * MAX_LOAD_NUM / MAX_LOAD_DEN;
}

/* Cached: migration asks on every step, and sysconf is a call into libc each time. */
static size_t page_size(void) {
    static _Atomic size_t cached;
    size_t page = atomic_load_explicit(&cached, memory_order_relaxed);
    if (page == 0) {
        page = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&cached, page, memory_order_relaxed);
    }
    return page;
}

static unsigned char *align_down(unsigned char *p, size_t page) {
    return (unsigned char *)((uintptr_t)p / page * page);
}

static unsigned char *align_up(unsigned char *p, size_t page) {
    return align_down(p + page - 1, page);
}

void ebb_core_init(ebb_core *c, const ebb_options *opt) {
    memset(c, 0, sizeof *c);
    c->cur = empty_table();
    c->alloc = opt ? opt->allocator : NULL;
    c->seed = opt && (opt->flags & EBB_FIXED_SEED) ? opt->seed : ebb_seed_next();
}

/* ---- Table memory -------------------------------------------------------------------------- */

/* Whether anonymous memory gets transparent huge pages without asking (THP mode "always"): only
 * then must tables decline them, and the call that does so costs tens of microseconds. Read
 * once per process; unreadable means "assume so". */
static bool thp_always(void) {
    static _Atomic int mode; /* 0 unknown, 1 always, 2 not */
    int m = atomic_load_explicit(&mode, memory_order_relaxed);
    if (m == 0) {
        char buf[64] = {0};
        int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0) close(fd);
        m = n > 0 && strstr(buf, "[always]") == NULL ? 2 : 1;
        atomic_store_explicit(&mode, m, memory_order_relaxed);
    }
    return m == 1;
}

/* Fresh zero pages for a table: anywhere, or exactly at `at` (replacing what is there). The
 * mapping is accounted as committed memory (no MAP_NORESERVE), so that under the kernel's
 * default overcommit policy a table larger than the machine's memory fails here, as EBB_ENOMEM,
 * rather than when its pages are touched, by the OOM killer. */
static void *map_pages(void *at, size_t bytes) {
    void *p = mmap(at, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_NOHUGEPAGE
    if (thp_always()) madvise(p, bytes, MADV_NOHUGEPAGE);
#endif
    return p;
}

/* Allocate a table of ngroups empty groups: head, control bytes, slots, overflow counts, away
 * bits (see ebb/table.h). On failure *t is untouched. */
static int table_alloc(ebb_core *c, const ebb_type *ty, size_t ngroups, ebb_table *t) {
    size_t fixed = sizeof(ebb_table_head) + SLOT_SLACK; /* the head, the padding before slots */
    if (ty->entry_size > SIZE_MAX / 2 / EBB_GROUP_SLOTS) return EBB_ENOMEM; /* per_group wraps */
    size_t per_group = EBB_CTRL_BYTES + EBB_GROUP_SLOTS * ty->entry_size + 1 + sizeof(uint16_t);
    if (ngroups == 0 || ngroups > (SIZE_MAX / 2 - fixed) / per_group) return EBB_ENOMEM;
    size_t ctrl_bytes = ngroups * EBB_CTRL_BYTES;
    size_t slot_bytes = ngroups * EBB_GROUP_SLOTS * ty->entry_size;
    size_t tail = ngroups + (ngroups & 1) + ngroups * sizeof(uint16_t); /* counts, away bits */
    size_t bytes = fixed + ctrl_bytes + slot_bytes + tail;
    ebb_table_head *h;
    size_t mapped = 0;
    if (c->alloc) {
        h = c->alloc->alloc(c->alloc->ctx, bytes);
        if (!h) return EBB_ENOMEM;
    } else if (bytes >= MMAP_MIN) {
        h = map_pages(NULL, bytes);
        if (!h) return EBB_ENOMEM;
        mapped = 1;
    } else {
        h = calloc(1, bytes);
        if (!h) return EBB_ENOMEM;
    }
    unsigned char *ctrl = (unsigned char *)(h + 1);
    unsigned char *slots = align_up(ctrl + ctrl_bytes, SLOT_ALIGN);
    if (c->alloc) { /* mapped and calloc'd blocks come zeroed */
        memset(h, 0, sizeof *h + ctrl_bytes);
        memset(slots + slot_bytes, 0, tail);
    }
    h->bytes = bytes;
    h->mapped = mapped;
    h->populated = mapped ? page_size() : bytes; /* the head's page is already resident */
    *t = (ebb_table){.ctrl = ctrl,
                     .slots = slots,
                     .ngroups = ngroups,
                     .limit = limit_for(ngroups),
                     .counts = slots + slot_bytes};
    return EBB_OK;
}

static void table_free(const ebb_core *c, ebb_table *t) {
    if (!is_allocated(t)) return;
    ebb_table_head *h = ebb_head(t);
    if (h->mapped)
        ebb_pages_unmap(h, h->bytes); /* on the pager when it runs (src/pager.c) */
    else if (c->alloc)
        c->alloc->free(c->alloc->ctx, h, h->bytes);
    else
        free(h);
    t->ctrl = NULL;
}

/* The first page of a table that holds slots only: below it, pages hold control bytes (the page
 * shared by both included), which must read as zero until written. */
static unsigned char *slot_pages(const ebb_table *t) {
    return align_up(t->slots, page_size());
}

/* Fault in the next stretch of the current table's control bytes, if it is mapped and fresh. They
 * are read before they are written (every lookup reads them), so left to page faults each page
 * would fault twice: the read maps the shared zero page, the first write copies it. Slots are
 * read only once their control byte is set, so a write faults each in once, on demand, which
 * costs less than faulting it in ahead (1.4-1.5 us a page here, against 1.7 us in 8 KiB steps,
 * `make bench-pages`); and in a shrink, recycled pages of the retiring table cover them (below).
 * Whether it made a system call. */
static bool populate_ahead(ebb_core *c) {
    ebb_table_head *h = ebb_head(&c->cur);
    if (!h->mapped || h->populated >= h->bytes) return false;
    unsigned char *at = (unsigned char *)h + h->populated;
    if (at >= slot_pages(&c->cur)) return false;
    size_t len = h->bytes - h->populated < POPULATE_STEP ? h->bytes - h->populated : POPULATE_STEP;
    if (madvise(at, len, MADV_POPULATE_WRITE) != 0)
        len = h->bytes - h->populated; /* not supported here: leave it to page faults */
    h->populated += len;
    return true;
}

/* The next stretch of [*done, end), rounded to pages, worth a system call: at least `least`
 * bytes and at most two chunks. 0 when there is none yet. */
static size_t next_release(const unsigned char *done, unsigned char *end, size_t page, size_t least,
                           size_t chunk) {
    end = align_down(end, page);
    if (end <= done || (size_t)(end - done) < least) return 0;
    size_t len = (size_t)(end - done);
    return len > 2 * chunk ? 2 * chunk : len;
}

/* Whether any entry of the current table has its slot in [p, p + len). */
static bool slots_hold_entries(const ebb_table *t, size_t entry_size, const unsigned char *p,
                               size_t len) {
    size_t group_bytes = EBB_GROUP_SLOTS * entry_size;
    size_t first = (size_t)(p - t->slots) / group_bytes;
    size_t last = (size_t)(p + len - 1 - t->slots) / group_bytes;
    if (last >= t->ngroups) last = t->ngroups - 1;
    for (size_t g = first; g <= last; g++)
        if (ebb_match_full(ebb_group(t, g))) return true;
    return false;
}

/* Recycling. The retiring table's migrated slot pages are resident and hold only stale entries;
 * the current table's slot pages ahead of migration are not resident yet. Moving the first into
 * the second with mremap costs a fraction of releasing them and faulting in fresh ones (on these
 * VMs 0.1-0.25 us a page in 128-256 KiB chunks, against 1.3-1.5 us, `make bench-pages`: the
 * kernel neither zeroes, frees nor allocates). It needs no zeroes: a slot is read only when its
 * control byte says it is taken, and control bytes are never recycled. So the chunk goes to the
 * current table's populate frontier, moved first past the groups that migration is filling now,
 * provided no entry lives in the pages it replaces (an insert may have put one there). The
 * source stays mapped, empty (MREMAP_DONTUNMAP): a plain move would leave a hole in the retiring
 * table, where another mmap (another map's table, a large malloc block) could land, to be
 * unmapped with the table once it retires. Whether it moved [src, src+len). */
static _Atomic bool can_recycle = true; /* false once the kernel turned MREMAP_DONTUNMAP down */

static bool recycle(ebb_core *c, const ebb_type *ty, unsigned char *src, size_t len) {
    ebb_table *cur = &c->cur;
    ebb_table_head *h = ebb_head(cur);
    size_t page = page_size();
    if (!h->mapped || !atomic_load_explicit(&can_recycle, memory_order_relaxed)) return false;
    /* Where migration writes now: the current-table groups that the retiring table's next groups
     * map to, and a few more for entries displaced from them. */
    size_t front = (c->old.skip + 1) * cur->ngroups / c->old.ngroups + 4;
    unsigned char *base = (unsigned char *)h;
    unsigned char *dst = base + h->populated;
    unsigned char *past_front = cur->slots + front * EBB_GROUP_SLOTS * ty->entry_size;
    if (dst < slot_pages(cur)) return false; /* control bytes must be zeroes */
    if (dst < past_front) dst = align_up(past_front, page);
    if (dst + len > align_down(cur->counts, page)) return false; /* counts must stay */
    if (slots_hold_entries(cur, ty->entry_size, dst, len)) return false;
    if (mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, dst) ==
        MAP_FAILED) {
        /* A kernel without MREMAP_DONTUNMAP says EINVAL: release instead from now on. */
        if (errno == EINVAL) atomic_store_explicit(&can_recycle, false, memory_order_relaxed);
        /* The kernel may have unmapped dst before failing (for one, when src spans two mappings,
         * as it does in a table that received recycled pages itself): map it again, empty. */
        map_pages(dst, len);
        return false;
    }
    h->populated = (size_t)(dst + len - base);
    h->recycled += len;
    return true;
}

/* The first whole page of a mapped table's control bytes (the head's page stays). */
static unsigned char *ctrl_pages(const ebb_table *t) {
    size_t page = page_size();
    unsigned char *first = align_down((unsigned char *)ebb_head(t), page) + page;
    return align_up(t->ctrl, page) > first ? align_up(t->ctrl, page) : first;
}

/* A retired table: every group migrated and nothing left in it, but not yet wholly unmapped. */
static bool is_retired(const ebb_table *t) {
    return t->count == 0 && t->skip == t->ngroups;
}

/* The parts of a retiring table that migration empties from the front, in the order they go
 * back: slots, control bytes, overflow counts, away bits. */
enum { PART_SLOTS, PART_CTRL, PART_COUNTS, PART_AWAY, PARTS };

/* How far migration has emptied each part of retiring table t, whose entries are entry_size
 * bytes: the whole of it once the table is retired. Control bytes stop at group skip-1, whose
 * overflow mask (zero when its count is) tells migration whether group skip's entries all sit
 * at home (ebb_group_at_home), and a released page reads as zero; and before the page they
 * share with the slots. */
static void migrated_ends(const ebb_table *t, size_t entry_size, unsigned char *end[PARTS]) {
    size_t skip = t->skip;
    end[PART_SLOTS] = t->slots + skip * EBB_GROUP_SLOTS * entry_size;
    end[PART_CTRL] = t->ctrl + (skip && !is_retired(t) ? skip - 1 : skip) * EBB_CTRL_BYTES;
    unsigned char *shared = align_down(t->slots, page_size()); /* the page ctrl shares with slots */
    if (end[PART_CTRL] > shared) end[PART_CTRL] = shared;
    end[PART_COUNTS] = t->counts + skip;
    end[PART_AWAY] = (unsigned char *)(ebb_away(t) + skip);
}

/* Hand back the pages of the retiring table that migration has emptied: the first page holds
 * the head (deletes still update it), and a page shared by two parts waits for the later one.
 * While migration runs, a part goes back a chunk at a time; once the table is retired, whatever
 * is left of it, so that unmapping the table (retire_step) finds nothing resident to free: its
 * overflow counts and away bits alone, three bytes a group, once made that munmap take 150-330
 * us at 10M entries. Slot pages go to the current table where they can (recycle), back to the
 * system otherwise. These calls stay on the map's thread even when the pager runs
 * (src/pager.c says why). One system call at most; whether it made one. */
static bool release_migrated(ebb_core *c, const ebb_type *ty) {
    ebb_table *t = &c->old;
    ebb_table_head *h = ebb_head(t);
    if (!h->mapped) return false;
    size_t page = page_size();
    unsigned char **done[PARTS] = {&h->slots_done, &h->ctrl_done, &h->counts_done, &h->away_done};
    if (!h->ctrl_done) {
        h->slots_done = slot_pages(t);
        h->ctrl_done = ctrl_pages(t);
        h->counts_done = align_up(t->counts, page);
        h->away_done = align_up((unsigned char *)ebb_away(t), page);
    }
    size_t chunk = h->bytes / 16;
    chunk = chunk < RELEASE_MIN ? RELEASE_MIN : chunk > RELEASE_MAX ? RELEASE_MAX : chunk;
    chunk = chunk / page * page;
    size_t least = is_retired(t) ? page : chunk;
    unsigned char *end[PARTS];
    migrated_ends(t, ty->entry_size, end);
    for (int part = 0; part < PARTS; part++) {
        size_t len = next_release(*done[part], end[part], page, least, chunk);
        if (len == 0) continue;
        bool moved = part == PART_SLOTS && recycle(c, ty, *done[part], len);
        if (!moved && madvise(*done[part], len, MADV_DONTNEED) != 0) return false;
        *done[part] += len;
        h->released += len;
        return true;
    }
    return false;
}

/* ---- Migration ----------------------------------------------------------------------------- */

/* Once the retiring table is empty, free it; a large mapped one is unmapped from its end over
 * several steps instead, because one munmap of hundreds of megabytes (tearing down its page
 * tables) takes longer than an operation may (130-150 us for 256 MiB on these VMs). Until
 * then it stays as c->old with nothing in it, which lookups, iteration and stats skip. With the
 * pager running, the whole table goes to it in one call, resident leftovers included. */
static void retire_step(ebb_core *c, const ebb_type *ty) {
    ebb_table_head *h = ebb_head(&c->old);
    c->old.skip = c->old.ngroups;
    bool whole = h->mapped && ebb_pager_running(); /* the pager takes all of it at once */
    if (!whole && release_migrated(c, ty)) return; /* what is still resident, a chunk a step */
    if (whole || !h->mapped || h->bytes <= UNMAP_STEP) {
        table_free(c, &c->old);
        c->old = (ebb_table){0};
        return;
    }
    size_t keep = (size_t)(align_up((unsigned char *)h + h->bytes - UNMAP_STEP, page_size()) -
                           (unsigned char *)h);
    if (munmap((unsigned char *)h + keep, h->bytes - keep) == 0) {
        h->bytes = keep;
        return;
    }
    /* Cutting a mapping short can split it in two, which the kernel refuses once the process has
     * vm.max_map_count mappings; retrying would never end. Unmapping the whole table splits
     * nothing (unless its mapping merged with a neighbour's; then its pages are released): the
     * long call, once, is better than a map that never lets go. */
    table_free(c, &c->old);
    c->old = (ebb_table){0};
}

/* How many entries of entry_size bytes a step moves before it stops: the budget, or as many as
 * fit in STEP_BYTES if fewer, since a step's time then goes into copying them and faulting in
 * the pages they land on (256 entries of 2 KiB made a shrink step take 400-550 us at p99.9,
 * `make bench-sizes`), but never fewer than `least`. */
static size_t step_entries(size_t budget, size_t least, size_t entry_size) {
    size_t n = STEP_BYTES / entry_size;
    return n >= budget ? budget : n < least ? least : n;
}

/* One bounded step of the resize under way. */
static void migrate_step(ebb_core *c, const ebb_type *ty) {
    if (c->old.count == 0) {
        retire_step(c, ty);
        return;
    }
    size_t before = c->old.count;
    size_t groups = c->shrinking ? SHRINK_GROUPS : STEP_GROUPS;
    size_t entries = c->shrinking ? step_entries(SHRINK_ENTRIES, SHRINK_LEAST, ty->entry_size)
                                  : step_entries(STEP_ENTRIES, STEP_LEAST, ty->entry_size);
    for (size_t visited = 0; visited < groups && c->old.count != 0; visited++) {
        ty->migrate_group(c, c->old.skip); /* erase relies on skip naming this group */
        c->old.skip++;
        if (before - c->old.count >= entries) break;
    }
    c->moved += before - c->old.count;
    /* One system call per step at most (each may cost tens of microseconds on a VM): returning
     * memory first, so that it never falls behind; faulting in ahead otherwise. */
    if (c->old.count == 0)
        retire_step(c, ty);
    else if (!release_migrated(c, ty))
        populate_ahead(c);
}

static void finish_migration(ebb_core *c, const ebb_type *ty) {
    while (c->old.ctrl)
        migrate_step(c, ty);
}

/* The entry count under which the current table shrinks: 3/8 of its limit after a growth, 15/32
 * after a shrink; never below one group or a reserve()d size. */
static void set_shrink_threshold(ebb_core *c) {
    ebb_table *t = &c->cur;
    if (t->ngroups <= 1 || (t->ngroups + 1) / 2 < c->floor_groups)
        t->shrink_at = 0;
    else
        t->shrink_at = c->shrinking ? t->limit * 15 / 32 : t->limit * 3 / 8;
}

/* Make a table of ngroups the current one; the previous becomes the retiring table. Needs no
 * resize under way. On failure nothing changes. */
static int start_resize(ebb_core *c, const ebb_type *ty, size_t ngroups) {
    ebb_table t;
    int rc = table_alloc(c, ty, ngroups, &t);
    if (rc != EBB_OK) return rc;
    c->shrinking = is_allocated(&c->cur) && ngroups < c->cur.ngroups;
    if (c->cur.count == 0) {
        table_free(c, &c->cur);
    } else {
        c->old = c->cur;
        c->old.skip = 0;
    }
    c->cur = t;
    set_shrink_threshold(c);
    return EBB_OK;
}

static size_t groups_for(size_t entries) {
    size_t g = entries / (EBB_GROUP_SLOTS * MAX_LOAD_NUM) * MAX_LOAD_DEN;
    while (limit_for(g) < entries)
        g++;
    return g ? g : 1;
}

int ebb_core_grow_slow(ebb_core *c, const ebb_type *ty) {
    if (c->old.ctrl) {
        migrate_step(c, ty);
        if (ebb_core_count(c) < c->cur.limit) return EBB_OK;
        finish_migration(c, ty); /* unreachable by the arithmetic above; kept as a guard */
    }
    if (c->cur.count < c->cur.limit) return EBB_OK;
    size_t ngroups = is_allocated(&c->cur) ? c->cur.ngroups * 2 : 1;
    if (ngroups < c->floor_groups) ngroups = c->floor_groups;
    int rc = start_resize(c, ty, ngroups);
    if (rc != EBB_OK) return rc;
    if (c->old.ctrl) {
        c->grows++;
        migrate_step(c, ty);
    }
    return EBB_OK;
}

void ebb_core_after_delete_slow(ebb_core *c, const ebb_type *ty) {
    if (c->old.ctrl) {
        migrate_step(c, ty);
        return;
    }
    if (c->cur.count >= c->cur.shrink_at) return;
    size_t ngroups = (c->cur.ngroups + 1) / 2;
    /* A failed allocation only postpones the shrink: a delete never fails. */
    if (start_resize(c, ty, ngroups) != EBB_OK) return;
    c->shrinks++;
    if (c->old.ctrl) migrate_step(c, ty);
}

/* Resize synchronously to ngroups (reserve, shrink_to_fit: explicit, O(n) calls). */
static int resize_now(ebb_core *c, const ebb_type *ty, size_t ngroups) {
    finish_migration(c, ty);
    if (is_allocated(&c->cur) && ngroups == c->cur.ngroups) return EBB_OK;
    size_t before = c->cur.ngroups;
    int rc = start_resize(c, ty, ngroups);
    if (rc != EBB_OK) return rc;
    if (c->old.ctrl) {
        if (ngroups > before)
            c->grows++;
        else
            c->shrinks++;
        finish_migration(c, ty);
    }
    return EBB_OK;
}

int ebb_core_reserve(ebb_core *c, const ebb_type *ty, size_t entries) {
    if (entries > SIZE_MAX / MAX_LOAD_DEN / 2) return EBB_EINVAL;
    size_t ngroups = groups_for(entries);
    size_t floor = ngroups > c->floor_groups ? ngroups : c->floor_groups;
    if (!is_allocated(&c->cur) || limit_for(c->cur.ngroups) < entries) {
        int rc = resize_now(c, ty, ngroups);
        if (rc != EBB_OK) return rc; /* the floor stays as it was: nothing changed */
    }
    c->floor_groups = floor;
    set_shrink_threshold(c);
    return EBB_OK;
}

int ebb_core_shrink_to_fit(ebb_core *c, const ebb_type *ty) {
    size_t floor = c->floor_groups;
    c->floor_groups = 0;
    finish_migration(c, ty);
    set_shrink_threshold(c);
    if (c->cur.count == 0) {
        ebb_core_release(c);
        return EBB_OK;
    }
    size_t ngroups = groups_for(c->cur.count);
    if (ngroups >= c->cur.ngroups) return EBB_OK;
    int rc = resize_now(c, ty, ngroups);
    if (rc != EBB_OK) { /* the map is as it was, reserve()'s floor included */
        c->floor_groups = floor;
        set_shrink_threshold(c);
    }
    return rc;
}

void ebb_core_release(ebb_core *c) {
    table_free(c, &c->cur);
    table_free(c, &c->old);
    c->cur = empty_table();
    c->old = (ebb_table){0};
    c->floor_groups = 0;
}

/* ---- Repair after delete ------------------------------------------------------------------- */

/* Deletion moves nothing, so under churn at high load entries that were displaced while their
 * home group was full stay displaced after it empties, and probe chains lengthen (at 81% load:
 * misses went from 1.5 to 8 groups after a table's worth of churn). The repair undoes that
 * where it starts: when a delete leaves a hole in group g and g's overflow count says some entry
 * lives beyond g on a path through it, the first such entry found in the next REPAIR_REACH
 * groups moves back into the hole; the hole it leaves is treated the same way, for at most
 * REPAIR_GROUPS holes. Each step hashes entries of the groups it searches until it finds one. */
#ifndef REPAIR_GROUPS
#define REPAIR_GROUPS 8 /* holes followed down the chain (0 turns repair off, for experiments) */
#endif
#define REPAIR_REACH 3 /* groups searched past a hole */

/* Is group g on the probe path from home to r (home <= g < r, cyclically)? */
static bool path_crosses(size_t home, size_t g, size_t r, size_t ngroups) {
    size_t to_g = g >= home ? g - home : g + ngroups - home;
    size_t to_r = r >= home ? r - home : r + ngroups - home;
    return to_g < to_r;
}

/* A repair that moves an entry out of group r usually goes on to refill r from r+1 (the entries
 * there that pass r), and each candidate it reads is a cache miss, one after the other. Start
 * loading the likeliest next one, the highest displaced entry of r+1 (displaced entries take the
 * highest free slot), while this move waits for its own: at 7/8 load, where a delete moves one
 * entry on average, churn at 1.7M u64 went from 2.16x boost's time to 1.95x with the class test
 * of commit 2cc51ce (docs/design.md, "Structure"). Forced inline: as a function of its own, GCC
 * found it free of effects and dropped it (tests/prefetch_codegen.sh checks). */
static EBB_ALWAYS_INLINE void fetch_next_candidate(const ebb_table *t, const uint16_t *away,
                                                   size_t entry_size, size_t r) {
    size_t next = r + 1 == t->ngroups ? 0 : r + 1;
    if (away[next]) __builtin_prefetch(ebb_slot(t, entry_size, next, ebb_highest(away[next])));
}

/* Move one entry living up to REPAIR_REACH groups past g, whose path crosses g, into one of the
 * free slots `holes` of g; it no longer passes groups g..r-1. Returns r, where the hole now is,
 * or SIZE_MAX when there is no such entry. Only entries away from home can cross g: the away
 * bits name them, and their tags' classes rule out more, so few entries are read and hashed
 * (each read may be a cache miss). In group g+1 every entry away from home crosses g. */
static size_t pull_back(ebb_core *c, const ebb_type *ty, size_t g, unsigned holes) {
    ebb_table *t = &c->cur;
    uint16_t *away = ebb_away(t);
    size_t r = g;
    /* The classes an entry must have to pass every group from g to r-1. */
    unsigned want = ebb_group(t, g)[EBB_OVERFLOW];
    for (int reach = 0; reach < REPAIR_REACH && want; reach++) {
        r = r + 1 == t->ngroups ? 0 : r + 1;
        unsigned char *from = ebb_group(t, r);
        for (unsigned cand = away[r]; cand;) {
            unsigned i = ebb_highest(cand);
            cand &= ~(1u << i);
            if (!(want & ebb_class_of_tag(from[i]))) continue;
            void *e = ebb_slot(t, ty->entry_size, r, i);
            fetch_next_candidate(t, away, ty->entry_size, r);
            size_t home = ebb_home(ty->hash(e, c->seed), t->ngroups);
            if (!path_crosses(home, g, r, t->ngroups)) continue;
            size_t old_distance = r >= home ? r - home : r + t->ngroups - home;
            size_t new_distance = g >= home ? g - home : g + t->ngroups - home;
            ebb_table_head *hd = ebb_head(t);
            ebb_note_distance(hd, old_distance, -1);
            ebb_note_distance(hd, new_distance, 1);
            unsigned hole = ebb_pick_free(holes, new_distance);
            memcpy(ebb_slot(t, ty->entry_size, g, hole), e, ty->entry_size);
            ebb_group(t, g)[hole] = from[i];
            from[i] = 0;
            away[r] &= (uint16_t)(~(1u << i));
            if (new_distance) away[g] |= (uint16_t)(1u << hole);
            for (size_t p = g; p != r; p = p + 1 == t->ngroups ? 0 : p + 1)
                ebb_uncount(t->ctrl, t->counts, p);
            c->repaired++;
            return r;
        }
        want &= ebb_group(t, r)[EBB_OVERFLOW]; /* zero: nothing passes r */
    }
    return SIZE_MAX;
}

void ebb_core_repair(ebb_core *c, const ebb_type *ty, size_t g) {
    for (int step = 0; step < REPAIR_GROUPS; step++) {
        unsigned char *ctrl = ebb_group(&c->cur, g);
        unsigned holes = ebb_match(ctrl, 0);
        if (!holes || c->cur.counts[g] == 0 || c->cur.counts[g] == EBB_SATURATED) return;
        g = pull_back(c, ty, g, holes);
        if (g == SIZE_MAX) return;
    }
}

/* ---- Statistics and checking --------------------------------------------------------------- */

static void add_table_stats(const ebb_table *t, ebb_stats *st) {
    if (!is_allocated(t) || is_retired(t)) return;
    const ebb_table_head *h = ebb_head(t);
    st->slots += t->ngroups * EBB_GROUP_SLOTS;
    st->bytes += h->bytes - h->released;
    st->saturated += h->saturated;
    size_t displaced = 0;
    for (int b = 1; b < EBB_PROBE_BUCKETS; b++) {
        st->probe_hist[b] += h->probe_hist[b];
        displaced += h->probe_hist[b];
    }
    st->probe_hist[0] += t->count - displaced;
}

void ebb_core_stats(const ebb_core *c, const ebb_type *ty, ebb_stats *st) {
    (void)ty;
    memset(st, 0, sizeof *st);
    add_table_stats(&c->cur, st);
    add_table_stats(&c->old, st);
    st->entries = ebb_core_count(c);
    st->load = st->slots ? (double)st->entries / (double)st->slots : 0.0;
    st->capacity = c->cur.limit;
    st->migrating = c->old.count;
    st->grows = c->grows;
    st->shrinks = c->shrinks;
    st->moved = c->moved;
    st->repaired = c->repaired;
    double sum = 0;
    for (int b = 0; b < EBB_PROBE_BUCKETS; b++) {
        if (st->probe_hist[b]) st->longest_probe = (unsigned)b;
        sum += (double)b * (double)st->probe_hist[b];
    }
    st->mean_probe = st->entries ? sum / (double)st->entries : 0.0;
}

/* Recompute, from the entries alone, everything a table records about them. */
static int check_table(const ebb_table *t, const ebb_type *ty, uint64_t seed) {
    if (!is_allocated(t)) return t->count == 0 ? 0 : -2;
    if (is_retired(t)) return 0; /* partly unmapped: nothing to read */
    size_t *expect = calloc(t->ngroups, sizeof *expect);
    unsigned char *classes = calloc(t->ngroups, 1); /* overflow classes each mask must hold */
    const uint16_t *away = ebb_away(t);
    size_t hist[EBB_PROBE_BUCKETS] = {0}, count = 0;
    int rc = expect && classes ? 0 : -7;
    for (size_t g = 0; g < t->ngroups && rc == 0; g++) {
        const unsigned char *ctrl = ebb_group(t, g);
        unsigned full = ebb_match_full(ctrl);
        if (g < t->skip && full) rc = -5;
        if (g >= t->skip && (away[g] & ~full) != 0) rc = -12; /* an empty slot marked away */
        for (; full && rc == 0; full &= full - 1) {
            unsigned i = ebb_lowest(full);
            uint64_t h = ty->hash(ebb_slot(t, ty->entry_size, g, i), seed);
            size_t home = ebb_home(h, t->ngroups);
            if (ctrl[i] != ebb_tag(h)) rc = -1;
            if ((home != g) != ((away[g] >> i) & 1u)) rc = -12;
            hist[ebb_bucket(g >= home ? g - home : g + t->ngroups - home)]++;
            count++;
            for (size_t p = ebb_probe_start(t, h); p != g; p = ebb_probe_next(t, p)) {
                expect[p]++;
                classes[p] |= (unsigned char)ebb_overflow_bit(h);
            }
        }
    }
    for (size_t g = t->skip; g < t->ngroups && rc == 0; g++) {
        unsigned char n = t->counts[g], mask = ebb_group(t, g)[EBB_OVERFLOW];
        if (n != EBB_SATURATED && n != expect[g]) rc = -3;
        if ((mask & classes[g]) != classes[g] || (mask == 0) != (n == 0)) rc = -11;
    }
    if (rc == 0 && count != t->count) rc = -2;
    hist[0] = 0; /* at home: not kept (ebb_note_distance) */
    if (rc == 0 && memcmp(hist, ebb_head(t)->probe_hist, sizeof hist) != 0) rc = -4;
    free(expect);
    free(classes);
    return rc;
}

/* A retiring table's released control pages must stop short of the overflow mask of group
 * skip-1, which migration reads to know whether group skip is all at home. */
static bool keeps_front_mask(const ebb_table *t) {
    const ebb_table_head *h = ebb_head(t);
    if (is_retired(t) || !h->mapped || !h->ctrl_done || h->ctrl_done == ctrl_pages(t)) return true;
    return h->ctrl_done <= t->ctrl + t->skip * EBB_CTRL_BYTES - 1;
}

int ebb_core_check(const ebb_core *c, const ebb_type *ty) {
    if (c->old.ctrl == NULL && c->old.count != 0) return -2;
    if (c->old.ctrl && !keeps_front_mask(&c->old)) return -8;
    if (is_allocated(&c->cur) && ebb_core_count(c) > c->cur.limit) return -6;
    if (c->cur.skip != 0) return -5;
    int rc = check_table(&c->cur, ty, c->seed);
    if (rc == 0 && c->old.ctrl) rc = check_table(&c->old, ty, c->seed);
    return rc;
}
