/* ready_made — the two maps compiled into libebb, used without the template.
 *
 *   ebb_u64map:  uint64_t -> uint64_t         (<ebb/u64map.h>)
 *   ebb_strmap:  owned C string -> void *     (<ebb/strmap.h>, with an optional value destructor)
 *
 * The program counts the words of a text twice: the u64 map counts them by their hash, the
 * string map by the words themselves, into counters it owns (val_dtor = free). Keys given to the
 * string map are borrowed: it copies a word only when the word is new, so the caller's buffer
 * can be reused at once. At the end it hands one entry back with take, which leaves the key's
 * copy and the value to the caller, and checks that both counts agree (exit 1 if not).
 *
 *   make tests && build/examples/ready_made */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebb/strmap.h"
#include "ebb/u64map.h"

static const char text[] =
    "the map rises as entries arrive and ebbs as they leave; the memory the map gives back "
    "goes back to the system, and the process sees it go. no operation stalls the program, "
    "since the map moves its entries a few at a time as it grows and as it shrinks.";

static int fail(const char *what, int rc) {
    fprintf(stderr, "ready_made: %s: %s\n", what, ebb_strerror(rc));
    return 1;
}

/* Counts one word in both maps; a negative status when out of memory. */
static int count_word(ebb_u64map *by_hash, ebb_strmap *by_word, const char *word) {
    uint64_t *n;
    int rc = ebb_u64map_get_or_insert(by_hash, ebb_hash_str(word, 0), &n);
    if (rc < 0) return rc;
    ++*n; /* a new count starts at 0 */

    void **val;
    rc = ebb_strmap_get_or_insert(by_word, word, &val); /* copies word if it is new */
    if (rc < 0) return rc;
    if (rc == EBB_INSERTED) {
        *val = calloc(1, sizeof(unsigned));
        if (!*val) {
            ebb_strmap_delete(by_word, word); /* leave no entry without a counter */
            return EBB_ENOMEM;
        }
    }
    ++*(unsigned *)*val;
    return EBB_OK;
}

int main(void) {
    ebb_u64map by_hash;
    ebb_strmap by_word;
    ebb_u64map_init(&by_hash);
    ebb_strmap_init(&by_word);
    by_word.val_dtor = free; /* the counters belong to the map */

    char word[32];
    size_t len = 0, words = 0;
    for (const char *p = text;; p++) {
        if (isalpha((unsigned char)*p) && len + 1 < sizeof word) {
            word[len++] = *p;
            continue;
        }
        if (len) {
            word[len] = '\0';
            int rc = count_word(&by_hash, &by_word, word);
            if (rc < 0) return fail("count", rc);
            words++;
            len = 0; /* the buffer is ours again: the map kept its own copy */
        }
        if (!*p) break;
    }

    /* Both maps saw the same words: the same number of them, with the same counts. */
    int ok = ebb_u64map_count(&by_hash) == ebb_strmap_count(&by_word);
    for (ebb_strmap_iter it = ebb_strmap_begin(&by_word); !ebb_strmap_iter_done(&it);
         ebb_strmap_next(&it)) {
        uint64_t *n = ebb_u64map_get(&by_hash, ebb_hash_str(*it.key, 0));
        ok = ok && n && *n == *(unsigned *)*it.val;
    }
    printf("%zu words, %zu distinct; counts agree: %s\n", words, ebb_strmap_count(&by_word),
           ok ? "yes" : "NO");

    /* take hands back the map's copy of the key and the value, undestroyed: both are ours now. */
    const char *key;
    void *val;
    const uint64_t *expect = ebb_u64map_get(&by_hash, ebb_hash_str("the", 0));
    if (!ebb_strmap_take(&by_word, "the", &key, &val)) return fail("take", EBB_EINVAL);
    printf("took \"%s\": %u times\n", key, *(unsigned *)val);
    ok = ok && strcmp(key, "the") == 0 && expect && *(unsigned *)val == *expect &&
         !ebb_strmap_get(&by_word, key);
    ebb_strmap_free_key(key, NULL); /* copied with the map's allocator: NULL, malloc */
    free(val);

    ebb_strmap_destroy(&by_word); /* frees every key copy and, with val_dtor, every counter */
    ebb_u64map_destroy(&by_hash);
    return ok ? 0 : 1;
}
