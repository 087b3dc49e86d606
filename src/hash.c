/* hash.c — the string hash out of line (its body, and why it is built as it is, are in
 * ebb/ebb.h: the maps inline it) and per-map seeds. Seeds come from one secret per process
 * (getrandom) mixed with a counter: creating a map costs no system call. */
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ebb/ebb.h"

#define K0 EBB_HK0_
#define K1 EBB_HK1_
#define K2 EBB_HK2_
#define K3 EBB_HK3_

uint64_t ebb_hash_bytes(const void *data, size_t len, uint64_t seed) {
    return ebb_hash_bytes_inline(data, len, seed);
}

uint64_t ebb_hash_str(const char *s, uint64_t seed) {
    return ebb_hash_bytes_inline(s, strlen(s), seed);
}

static uint64_t process_secret(void) {
    static _Atomic uint64_t secret;
    uint64_t s = atomic_load_explicit(&secret, memory_order_relaxed);
    if (s) return s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
        struct timespec ts; /* no entropy yet (early boot): time and addresses still vary */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = ebb_mix((uint64_t)ts.tv_nsec ^ K1, (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&ts);
    }
    s |= 1; /* never 0, which means "not yet drawn" */
    uint64_t expected = 0;
    if (!atomic_compare_exchange_strong(&secret, &expected, s)) s = expected;
    return s;
}

uint64_t ebb_seed_next(void) {
    static _Atomic uint64_t counter;
    uint64_t n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    return ebb_mix(process_secret() ^ K2, n * K3 + K0);
}
