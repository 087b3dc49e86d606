/* sessions — the README's five-minute tour as a program: a session table that owns its values.
 *
 *   sessions:  session id (uint64_t) -> struct session *   (the map frees what leaves it)
 *
 * One map type is generated from the template, with a value destructor. The program opens
 * sessions, replaces one, looks them up, expires most of them while iterating, hands one back
 * with take, and prints the map's statistics as it goes: the map shrinks by itself as sessions
 * expire, and its table's bytes fall.
 *
 * It checks what the API promises and exits 1 if anything is off: every session is freed
 * exactly once (by the map on replace, delete, expiry and destroy; by the caller after take),
 * and iteration with deletes visits every session once.
 *
 *   make tests && build/examples/sessions */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ebb/ebb.h"

struct session {
    uint64_t id;
    uint64_t expires; /* the tick after which the session is gone */
    unsigned requests;
};

static uint64_t opened, freed; /* sessions allocated and freed, to check the bookkeeping */

static struct session *session_new(uint64_t id, uint64_t expires) {
    struct session *s = malloc(sizeof *s);
    if (!s) return NULL;
    *s = (struct session){.id = id, .expires = expires};
    opened++;
    return s;
}

static void session_free(struct session *s) {
    if (!s) return; /* an entry made by get_or_insert whose value was never set */
    freed++;
    free(s);
}

#define EBB_NAME        sessions
#define EBB_KEY         uint64_t
#define EBB_VAL         struct session *
#define EBB_VAL_DTOR(v) session_free(v)
#include "ebb/map.h"

#define SESSIONS 200000

/* Session i's id: spread out, as ids from a random source would be. */
static uint64_t id_of(uint64_t i) {
    return ebb_hash_u64(i, 42);
}

/* Opens a session; on failure nothing is left behind (the map is unchanged, the session freed). */
static int open_session(sessions *m, uint64_t id, uint64_t expires) {
    struct session *s = session_new(id, expires);
    if (!s) return EBB_ENOMEM;
    int rc = sessions_put(m, id, s);
    if (rc < 0) session_free(s); /* still ours: put did not take it */
    return rc;
}

static void print_stats(const char *when, const sessions *m) {
    ebb_stats st;
    sessions_stats(m, &st);
    printf("%-26s %6zu sessions, tables %7zu bytes, %6zu entries still to move\n", when, st.entries,
           st.bytes, st.migrating);
}

static int fail(const char *what) {
    fprintf(stderr, "sessions: %s\n", what);
    return 1;
}

int main(void) {
    sessions m;
    sessions_init(&m);

    for (uint64_t i = 0; i < SESSIONS; i++) {
        int rc = open_session(&m, id_of(i), i % 100);
        if (rc != EBB_INSERTED) return fail(rc < 0 ? ebb_strerror(rc) : "an id came twice");
    }
    print_stats("opened:", &m);

    /* Replacing a session: put says the key was there, and the map frees the old value. */
    uint64_t before = freed;
    if (open_session(&m, id_of(7), 1000) != EBB_OK || freed != before + 1)
        return fail("replace did not free the old session exactly once");

    /* Lookups hand back a pointer to the value, valid until the next insert or delete. */
    for (uint64_t i = 0; i < SESSIONS; i++) {
        struct session **s = sessions_get(&m, id_of(i));
        if (!s || (*s)->id != id_of(i)) return fail("a session went missing");
        (*s)->requests++;
    }
    if (sessions_get(&m, id_of(SESSIONS)) != NULL) return fail("found a session never opened");

    /* get_or_insert: a new entry's value starts zeroed (NULL here) for the caller to fill. */
    struct session **slot;
    int rc = sessions_get_or_insert(&m, 12345, &slot);
    if (rc == EBB_INSERTED) *slot = session_new(12345, 1000);
    if (rc < 0 || !*slot) return fail("get_or_insert failed");

    /* Expire every session whose tick has passed: deleting the current entry is allowed, and
     * every other entry is still visited exactly once. */
    uint64_t now = 90, visited = 0, expired = 0;
    size_t count = sessions_count(&m);
    for (sessions_iter it = sessions_begin(&m); !sessions_iter_done(&it); sessions_next(&it)) {
        visited++;
        if ((*it.val)->expires < now) {
            sessions_iter_delete(&it); /* frees the session */
            expired++;
        }
    }
    if (visited != count || sessions_count(&m) != count - expired)
        return fail("iteration with deletes saw the wrong entries");
    print_stats("expired 9 in 10:", &m);

    /* The deletes started a shrink, which inserts and deletes carry on a few hundred entries at a
     * time (iteration never moves entries, so that it sees each once). A program that now only
     * reads finishes it at once, and the old table's memory goes back to the system. */
    if (sessions_shrink_to_fit(&m) != EBB_OK) return fail("shrink_to_fit failed");
    print_stats("after shrink_to_fit:", &m);

    /* take: the session leaves the map undestroyed; it is the caller's to free. */
    struct session *kept;
    before = freed;
    if (!sessions_take(&m, id_of(7), NULL, &kept) || freed != before)
        return fail("take destroyed what it should hand back");
    printf("took session %" PRIx64 " (%u request) out of the map\n", kept->id, kept->requests);
    session_free(kept);

    char text[1024];
    ebb_stats st;
    sessions_stats(&m, &st);
    if (ebb_stats_json(&st, text, sizeof text) >= (int)sizeof text) return fail("json too long");
    printf("stats as JSON: %.100s...\n", text);
    if (sessions_check(&m) != 0) return fail("an invariant does not hold");

    sessions_destroy(&m); /* frees every session still open */
    printf("%" PRIu64 " sessions opened, %" PRIu64 " freed\n", opened, freed);
    return opened == freed ? 0 : fail("a session was leaked or freed twice");
}
