/* maps_of_maps — visits counted per (user, page) in a map of maps.
 *
 *   users:  user name -> pages      (the outer map owns its inner maps)
 *   pages:  page path -> visit count
 *
 * Ownership does the bookkeeping. Both maps copy the string keys they are given
 * (EBB_KEY_CLONE) and free their copies (EBB_KEY_DTOR), so callers may pass temporary
 * buffers. The outer map destroys an inner map whenever one leaves it (EBB_VAL_DTOR): deleting
 * a user, clearing or destroying the outer map frees everything below. And an inner map is
 * deleted as soon as its last page goes, so no empty inner map stays behind.
 *
 * Events come from a deterministic stream: each is counted when it arrives and un-counted
 * WINDOW events later (a sliding window, as a "last N minutes" counter would do).
 *
 *   make tests && build/examples/maps_of_maps        (exit status 0 when every check holds) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebb/ebb.h"

static int copy_string(const char **dst, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    *dst = p;
    return p != NULL;
}

static void free_string(const char *s) {
    free((void *)(uintptr_t)s);
}

/* The inner map: page -> count. */
#define EBB_NAME pages
#define EBB_KEY  const char *
#define EBB_VAL  uint64_t
#define EBB_CSTR_KEY
#define EBB_KEY_CLONE(dst, k) copy_string((dst), (k))
#define EBB_KEY_DTOR(k)       free_string(k)
#include "ebb/map.h"

static void pages_free(pages *p) {
    if (!p) return; /* a user entry whose inner map could not be allocated */
    pages_destroy(p);
    free(p);
}

/* The outer map: user -> pages *, which it owns. */
#define EBB_NAME users
#define EBB_KEY  const char *
#define EBB_VAL  pages *
#define EBB_CSTR_KEY
#define EBB_KEY_CLONE(dst, k) copy_string((dst), (k))
#define EBB_KEY_DTOR(k)       free_string(k)
#define EBB_VAL_DTOR(v)       pages_free(v)
#include "ebb/map.h"

/* Count one visit; EBB_ENOMEM when out of memory (nothing is then left half-made). */
static int visit(users *u, const char *user, const char *page) {
    pages **inner;
    int rc = users_get_or_insert(u, user, &inner);
    if (rc < 0) return rc;
    if (rc == EBB_INSERTED) { /* a new user: its value starts NULL */
        *inner = malloc(sizeof **inner);
        if (!*inner) {
            users_delete(u, user);
            return EBB_ENOMEM;
        }
        pages_init(*inner);
    }
    uint64_t *count;
    rc = pages_get_or_insert(*inner, page, &count);
    if (rc < 0) {
        if (pages_count(*inner) == 0) users_delete(u, user);
        return rc;
    }
    ++*count; /* a new count starts at 0 */
    return EBB_OK;
}

/* Un-count a visit; false if it was never counted. */
static int unvisit(users *u, const char *user, const char *page) {
    pages **inner = users_get(u, user);
    uint64_t *count = inner ? pages_get(*inner, page) : NULL;
    if (!count) return 0;
    if (--*count == 0) pages_delete(*inner, page);
    if (pages_count(*inner) == 0) users_delete(u, user); /* frees the inner map too */
    return 1;
}

/* Event i of the stream: a user (a few are far busier than the rest) and a page. */
static void event(uint64_t i, char *user, char *page) {
    uint64_t h = ebb_hash_u64(i, 2024);
    unsigned who = (unsigned)(h % 1000);
    snprintf(user, 32, "user-%u", who < 500 ? who % 20 : who);
    snprintf(page, 32, "/docs/page/%u", (unsigned)(h >> 32) % 40);
}

/* Walk the map of maps: no inner map may be empty, and the counts must add up. */
static int consistent(users *u, uint64_t expect_visits, size_t *pairs) {
    uint64_t visits = 0;
    *pairs = 0;
    for (users_iter it = users_begin(u); !users_iter_done(&it); users_next(&it)) {
        pages *p = *it.val;
        if (pages_count(p) == 0) return 0;
        *pairs += pages_count(p);
        for (pages_iter jt = pages_begin(p); !pages_iter_done(&jt); pages_next(&jt))
            visits += *jt.val;
    }
    return visits == expect_visits;
}

#define EVENTS 200000
#define WINDOW 20000

int main(void) {
    users u;
    users_init(&u);
    char user[32], page[32];
    int ok = 1;
    for (uint64_t i = 0; ok && i < EVENTS + WINDOW; i++) {
        if (i < EVENTS) {
            event(i, user, page);
            ok = visit(&u, user, page) == EBB_OK;
        }
        if (ok && i >= WINDOW) { /* the event leaving the window */
            event(i - WINDOW, user, page);
            ok = unvisit(&u, user, page);
        }
        if (ok && i == EVENTS - 1) {
            size_t pairs;
            ok = consistent(&u, WINDOW, &pairs);
            ebb_stats st;
            users_stats(&u, &st);
            printf("last %d of %d events: %zu users, %zu (user, page) pairs, no empty inner "
                   "map: %s; outer table %zu bytes\n",
                   WINDOW, EVENTS, users_count(&u), pairs, ok ? "yes" : "NO", st.bytes);
        }
    }
    /* Every event has left the window: every inner map, emptied, must have gone with it. */
    size_t pairs = 0;
    ok = ok && consistent(&u, 0, &pairs) && users_count(&u) == 0;
    printf("after every event left the window: %zu users, %zu pairs: %s\n", users_count(&u), pairs,
           ok ? "ok" : "FAILED");
    users_destroy(&u);
    return ok ? 0 : 1;
}
