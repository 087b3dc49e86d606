/* When recycling fails. A shrink moves slot pages of the retiring table into the new table with
 * mremap(MREMAP_FIXED); the kernel unmaps the destination before it moves anything, and may then
 * fail (ENOMEM; EFAULT on kernels before 6.17 when the source spans two mappings), leaving a hole
 * in the new table. ebb must map the hole again and release the chunk instead.
 *
 * This file replaces mremap for its program (the library is linked statically, so its calls come
 * here). Every other call does the worst the kernel can: unmap the destination, then fail. A map
 * then shrinks through every size with inserts in between; midway through each shrink every
 * live key is found with its value, no deleted one is, and every invariant holds. Without the
 * library's repair of the hole, the first insert or migration into it crashes the program. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

#define EBB_NAME rmap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

static unsigned long moves_tried, moves_failed;
static bool inject = true;

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

static uint64_t key_of(size_t i) {
    return scramble(i, 0xfa11);
}

static void test_failed_moves_leave_the_map_whole(void) {
    size_t n = test_scaled(600000), cap = n + n / 4, fresh = n;
    unsigned char *live = calloc(cap, 1);
    CHECK(live != NULL);
    if (!live) return;
    rmap m;
    ebb_options o = {NULL, 3, EBB_FIXED_SEED};
    rmap_init_with(&m, &o);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        ok = rmap_put(&m, key_of(i), i) == EBB_INSERTED;
        live[i] = 1;
    }
    CHECK(ok);
    uint32_t shrink_seen = 0;
    unsigned shrinks_checked = 0;
    for (size_t i = n; ok && i > 1000; i--) {
        ok = rmap_delete(&m, key_of(i - 1));
        live[i - 1] = 0;
        if (i % 8 == 0 && fresh < cap) {
            ok = ok && rmap_put(&m, key_of(fresh), fresh) == EBB_INSERTED;
            live[fresh++] = 1;
        }
        const ebb_table *old = &m.core.old;
        if (old->count == 0 || m.core.shrinks == shrink_seen || old->skip * 2 < old->ngroups)
            continue;
        shrink_seen = m.core.shrinks;
        shrinks_checked++;
        for (size_t k = 0; ok && k < fresh; k++) {
            const uint64_t *v = rmap_get(&m, key_of(k));
            ok = live[k] ? v && *v == k : v == NULL;
        }
        ok = ok && rmap_check(&m) == 0;
    }
    CHECK(ok);
    CHECK_EQ_U(rmap_check(&m), 0);
    fprintf(stderr, "  %zu keys: %u shrinks checked midway, %lu of %lu moves failed on purpose\n",
            n, shrinks_checked, moves_failed, moves_tried);
    CHECK(shrinks_checked >= 3);
    CHECK(moves_failed >= 2);
    /* Everything still there grows back and empties cleanly. */
    for (size_t k = 0; ok && k < fresh; k++)
        if (live[k]) ok = rmap_delete(&m, key_of(k));
    CHECK(ok);
    CHECK_EQ_U(rmap_count(&m), 0);
    CHECK_EQ_U(rmap_check(&m), 0);
    rmap_destroy(&m);
    free(live);
}

int main(void) {
    RUN(test_failed_moves_leave_the_map_whole);
    inject = false;
    return check_summary();
}
