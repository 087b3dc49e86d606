/* Helpers shared by the tests: a seeded PRNG, a bijective key scramble, RSS and time. */
#ifndef EBB_TESTS_TESTUTIL_H
#define EBB_TESTS_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

typedef struct rng {
    uint64_t s;
} rng;

/* splitmix64: small, fast, good enough for workloads. */
static inline uint64_t rng_next(rng *g) {
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rng_below(rng *g, uint64_t n) {
    __extension__ typedef unsigned __int128 u128;
    return (uint64_t)(((u128)rng_next(g) * n) >> 64);
}

/* A bijection on 64-bit words (xor-shift and odd multiplies), and its inverse. */
static inline uint64_t scramble(uint64_t x, uint64_t seed) {
    x ^= seed;
    x = (x ^ (x >> 31)) * 0x7fb5d329728ea185ull;
    x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
}

static inline uint64_t unshift(uint64_t y, int s) { /* inverse of y = x ^ (x >> s) */
    uint64_t x = y;
    for (int i = 0; i < 64 / s + 1; i++)
        x = y ^ (x >> s);
    return x;
}

static inline uint64_t unscramble(uint64_t x, uint64_t seed) {
    x = unshift(x, 33);
    x *= 0x4d6dff26c61d8485ull; /* inverse of 0x81dadef4bc2dd44d mod 2^64 */
    x = unshift(x, 27);
    x *= 0x4c5ff4596f4a2f4dull; /* inverse of 0x7fb5d329728ea185 mod 2^64 */
    x = unshift(x, 31);
    return x ^ seed;
}

static inline size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static inline double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
