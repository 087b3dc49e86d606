/* hash.c — the byte-string hash and per-map seeds.
 *
 * The string hash reads 16 bytes per step and folds each pair of words into the running state
 * with one 64x64->128-bit multiply (ebb_mix); inputs of 16 bytes or less take no loop, reading
 * the first and last words (overlapping when short). The seed enters the state first, so
 * without it an attacker cannot predict which strings collide. Both factors of every multiply
 * hold the state: a factor of data and constants alone is zero for one known word (the
 * constant itself), and that product erased the seed and everything before it, so all strings
 * with that word at a block's start collided under every seed (tests/test_map_unit.c). Seeds come
 * from one secret per process (getrandom) mixed with a counter: creating a map costs no system
 * call. */
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ebb/ebb.h"

#define K0 0xa0761d6478bd642full
#define K1 0xe7037ed1a0b428dbull
#define K2 0x8ebc6af09c88c6e3ull
#define K3 0x589965cc75374cc3ull

static inline uint64_t read64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t read32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

uint64_t ebb_hash_bytes(const void *data, size_t len, uint64_t seed) {
    const unsigned char *p = data;
    uint64_t state = ebb_mix(seed ^ K0, (uint64_t)len ^ K1);
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 8) {
            a = read64(p);
            b = read64(p + len - 8);
        } else if (len >= 4) {
            a = read32(p);
            b = read32(p + len - 4);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len / 2] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t left = len;
        while (left > 16) {
            state = ebb_mix(read64(p) ^ state ^ K2, read64(p + 8) ^ state);
            p += 16;
            left -= 16;
        }
        a = read64(p + left - 16);
        b = read64(p + left - 8);
    }
    return ebb_mix(ebb_mix(a ^ state ^ K2, b ^ state) ^ K3, state ^ K0);
}

uint64_t ebb_hash_str(const char *s, uint64_t seed) {
    return ebb_hash_bytes(s, strlen(s), seed);
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
