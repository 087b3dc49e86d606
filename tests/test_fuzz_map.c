/* A fuzz target for the map, and its replay as a test.
 *
 * An input is a program: its first byte picks the map (16-byte or 248-byte entries), the
 * allocator (ebb's own pages, so tables are mapped, released and recycled; or a hook that fails
 * on request) and how keys collide; then each operation takes five bytes: put, get_or_insert,
 * get, delete, take, runs of up to 4,064 inserts or deletes (growth, shrinking, one resize
 * meeting the next), reserve, shrink_to_fit, clear, iteration deleting as it goes, statistics,
 * and "fail the k-th allocation from now". Each runs on the map and on a reference of plain
 * arrays (tests/fuzz_driver.h), and every invariant is checked after every operation.
 *
 * Keys are 0..8191. Those from 4096 share their whole hash with others, 2 to 512 keys a hash
 * as the first byte says, so chains straddle resizes and overflow counts saturate.
 *
 *   make test           replays tests/fuzz_cases/ and EBB_FUZZ_INPUTS (default 2,000) random
 *                       inputs, in the optimised and the ASan+UBSan build
 *   make fuzz           coverage-guided, with clang's libFuzzer (FUZZ_SECS, default 300)
 *   build/tests/test_fuzz_map FILE...   replay inputs (a crash the fuzzer saved, say) */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebb/ebb.h"
#include "check.h"
#include "fault_alloc.h"
#include "testutil.h"

#define FUZZ_KEYS    8192u
#define FUZZ_SHARED  4096u /* keys from here on share hashes */
#define FUZZ_MAX_LEN 8192  /* bytes of input read; more add nothing */

enum {
    FUZZ_PUT,
    FUZZ_GET_OR_INSERT,
    FUZZ_GET,
    FUZZ_DELETE,
    FUZZ_TAKE,
    FUZZ_INSERT_RUN,
    FUZZ_DELETE_RUN,
    FUZZ_RESERVE,
    FUZZ_SHRINK_TO_FIT,
    FUZZ_CLEAR,
    FUZZ_ITERATE_DELETING,
    FUZZ_FAIL_ALLOC,
    FUZZ_STATS,
    FUZZ_OPS
};

/* ---- The input ------------------------------------------------------------------------------ */

typedef struct fuzz_input {
    const uint8_t *data;
    size_t len, pos;
} fuzz_input;

static unsigned fuzz_byte(fuzz_input *in) {
    return in->pos < in->len ? in->data[in->pos++] : 0;
}

static uint64_t fuzz_key(fuzz_input *in) {
    unsigned lo = fuzz_byte(in);
    return (lo | fuzz_byte(in) << 8) % FUZZ_KEYS;
}

static uint64_t fuzz_word(fuzz_input *in) { /* distinct from one operation to the next */
    return fuzz_byte(in) * 0x9e3779b97f4a7c15ull + in->pos;
}

static size_t fuzz_run(fuzz_input *in) { /* 0 to 4,064, mostly short */
    size_t b = fuzz_byte(in);
    return b * b / 16;
}

/* ---- The reference -------------------------------------------------------------------------- */

typedef struct fuzz_ref {
    uint8_t present[FUZZ_KEYS];
    uint64_t value[FUZZ_KEYS];
    uint32_t seen[FUZZ_KEYS]; /* iteration epoch per key */
    size_t count;
    uint32_t epoch;
    fault_alloc alloc;
} fuzz_ref;

static void fuzz_mark(fuzz_ref *r, uint64_t k, uint64_t v) {
    r->count += !r->present[k];
    r->present[k] = 1;
    r->value[k] = v;
}

static void fuzz_unmark(fuzz_ref *r, uint64_t k) {
    r->count -= r->present[k];
    r->present[k] = 0;
}

static void fuzz_clear(fuzz_ref *r) {
    memset(r->present, 0, sizeof r->present);
    r->count = 0;
}

/* ---- The maps ------------------------------------------------------------------------------- */

/* Keys from FUZZ_SHARED on hash as key >> fuzz_shift does: 2^fuzz_shift keys a hash. */
static unsigned fuzz_shift;

static inline uint64_t fuzz_hash(uint64_t k, uint64_t seed) {
    return ebb_hash_u64(k >= FUZZ_SHARED ? FUZZ_SHARED + (k >> fuzz_shift) : k, seed);
}

typedef struct fuzz_big { /* 240 bytes: resize steps count these by bytes */
    uint64_t w[30];
} fuzz_big;

#define EBB_NAME              fz_small
#define EBB_KEY               uint64_t
#define EBB_VAL               uint64_t
#define EBB_HASH_SEEDED(k, s) fuzz_hash((k), (s))
#include "ebb/map.h"

#define EBB_NAME              fz_big
#define EBB_KEY               uint64_t
#define EBB_VAL               fuzz_big
#define EBB_HASH_SEEDED(k, s) fuzz_hash((k), (s))
#include "ebb/map.h"

#define FMAP           fz_small
#define FVAL           uint64_t
#define FVAL_SET(p, x) (*(p) = (x))
#define FVAL_GET(p)    (*(p))
#define FRUN           fuzz_small
#include "fuzz_driver.h"
#undef FMAP
#undef FVAL
#undef FVAL_SET
#undef FVAL_GET
#undef FRUN

/* The first word and the last, its complement: a partial copy reads wrong. */
static inline void fuzz_big_set(fuzz_big *b, uint64_t x) {
    b->w[0] = x;
    b->w[29] = x ? ~x : 0; /* zero stays zero: a new value starts zeroed */
}
static inline uint64_t fuzz_big_get(const fuzz_big *b) {
    return b->w[29] == (b->w[0] ? ~b->w[0] : 0) ? b->w[0] : ~b->w[0] ^ 1;
}

#define FMAP           fz_big
#define FVAL           fuzz_big
#define FVAL_SET(p, x) fuzz_big_set((p), (x))
#define FVAL_GET(p)    fuzz_big_get(p)
#define FRUN           fuzz_big_entries
#include "fuzz_driver.h"

/* ---- One input ------------------------------------------------------------------------------ */

static fuzz_ref ref; /* 110 KB: static, and cleared for each input */

/* Run one input; 0 when the map disagreed with the reference or leaked through the hook. */
static int fuzz_one(const uint8_t *data, size_t len) {
    fuzz_input in = {data, len < FUZZ_MAX_LEN ? len : FUZZ_MAX_LEN, 0};
    unsigned mode = fuzz_byte(&in);
    static const unsigned shifts[] = {1, 3, 6, 9};
    fuzz_shift = shifts[mode >> 2 & 3];
    memset(&ref, 0, sizeof ref);
    ebb_allocator hook = {fa_alloc, fa_free, &ref.alloc};
    ebb_options opt = {mode & 2 ? &hook : NULL, mode >> 4, EBB_FIXED_SEED};
    int ok = mode & 1 ? fuzz_big_entries(&in, &ref, &opt) : fuzz_small(&in, &ref, &opt);
    if (ref.alloc.blocks || ref.alloc.outstanding || ref.alloc.bad_frees) {
        fprintf(stderr,
                "fuzz: after destroy, the hook has %zu blocks (%zu bytes) out, %zu bad frees\n",
                ref.alloc.blocks, ref.alloc.outstanding, ref.alloc.bad_frees);
        ok = 0;
    }
    return ok;
}

#ifdef EBB_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    if (!fuzz_one(data, len)) abort(); /* a finding: libFuzzer saves the input */
    return 0;
}
#else
/* ---- Replay: saved inputs, then random ones ------------------------------------------------ */

static int replay_file(const char *path) {
    static uint8_t buf[FUZZ_MAX_LEN];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "test_fuzz_map: cannot open %s\n", path);
        return 0;
    }
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int ok = fuzz_one(buf, len);
    if (!ok) fprintf(stderr, "test_fuzz_map: %s fails\n", path);
    return ok;
}

/* Every regular file of dir; the count replayed through *n. */
static int replay_dir(const char *dir, size_t *n) {
    DIR *d = opendir(dir);
    if (!d) return 1; /* no saved cases yet */
    int ok = 1;
    char path[4096];
    for (struct dirent *e; ok && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ok = replay_file(path);
        (*n)++;
    }
    closedir(d);
    return ok;
}

/* Random programs, from short to long, seeded by their index: input i fails the same way
 * every time. */
static int replay_random(size_t count) {
    static uint8_t buf[4096];
    for (size_t i = 0; i < count; i++) {
        rng g = {i + 1};
        size_t len = 1 + rng_below(&g, i % 8 == 0 ? sizeof buf : 400);
        for (size_t b = 0; b < len; b++)
            buf[b] = (uint8_t)rng_next(&g);
        if (!fuzz_one(buf, len)) {
            fprintf(stderr, "test_fuzz_map: random input %zu fails\n", i);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (!replay_file(argv[i])) return 1;
        printf("%d inputs agree\n", argc - 1);
        return 0;
    }
    size_t saved = 0;
    const char *n = getenv("EBB_FUZZ_INPUTS");
    char *end = NULL;
    unsigned long inputs = n && *n ? strtoul(n, &end, 10) : 2000;
    if (end && (*end || *n == '-')) {
        fprintf(stderr, "test_fuzz_map: EBB_FUZZ_INPUTS must be a count, not '%s'\n", n);
        return 2;
    }
    size_t count = test_scaled(inputs);
    if (!replay_dir("tests/fuzz_cases", &saved) || !replay_random(count)) return 1;
    printf("%zu saved and %zu random inputs agree\n", saved, count);
    return 0;
}
#endif
