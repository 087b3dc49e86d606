/* bench/common.h — what every C and C++ driver shares before its adapter: the key sets, the
 * value types, the hash seed. bench/go/keys.go computes exactly the same keys. */
#ifndef EBB_BENCH_COMMON_H
#define EBB_BENCH_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ebb/ebb.h"

#ifndef TABLE_NAME
#error "define TABLE_NAME before including bench/common.h"
#endif

/* The seed of the hash every table that takes one is given: ebb_hash_u64 / ebb_hash_bytes. */
#define BENCH_SEED  0x243f6a8885a308d3ull
#define STR_KEY_MAX 40

/* The large value: 56 bytes. */
typedef struct bench_big {
    uint64_t w[7];
} bench_big;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench %s: ", TABLE_NAME);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Argument i, optional (dflt when absent): a decimal integer from 1 to max, named `what` in the
 * error. strtoull alone would take " 7" and wrap "-5". */
static inline uint64_t bench_arg(int argc, char **argv, int i, uint64_t dflt, uint64_t max,
                                 const char *what) {
    if (i >= argc) return dflt;
    char *end;
    unsigned long long v = strtoull(argv[i], &end, 10);
    if (argv[i][0] < '0' || argv[i][0] > '9' || *end || v == 0 || v > max)
        die("%s must be an integer from 1 to %llu, not '%s'", what, (unsigned long long)max,
            argv[i]);
    return v;
}

/* The monotonic clock in nanoseconds, and the q-quantile of v[0..n) (sorting v; q = 0.5 the
 * median, the upper middle one for an even n), for the probes that report medians. */
static inline double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double quantile(double *v, size_t n, double q) {
    qsort(v, n, sizeof *v, by_value);
    return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

/* Key i: a bijective scramble of i, so keys are distinct and random-looking. */
static inline uint64_t key_of(uint64_t i) {
    uint64_t x = i ^ 0x5eedull;
    x = (x ^ (x >> 31)) * 0x7fb5d329728ea185ull;
    x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
}

/* One index in ten survives the "delete 90%" phase. */
static inline int survives(uint64_t i) {
    return key_of(~i) % 10 == 0;
}

/* Patterned keys: one per millisecond from Nov 2023, and multiples of 1024. */
static inline uint64_t key_timestamp(uint64_t i) {
    return 1700000000000ull + i;
}
static inline uint64_t key_mul1024(uint64_t i) {
    return i << 10;
}

/* String key i: key_of(i) in base 62 (11 characters, unique), then 0 to 29 more characters:
 * 11 to 40 in all. Returns the length; buf needs STR_KEY_MAX + 1 bytes. */
static inline size_t str_key(uint64_t i, char *buf) {
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    uint64_t x = key_of(i), f = key_of(i ^ 0xf111ull);
    size_t len = 0;
    for (int d = 0; d < 11; d++, x /= 62)
        buf[len++] = digits[x % 62];
    for (size_t extra = (size_t)(f % 30); extra; extra--, f = f * 6364136223846793005ull + 1)
        buf[len++] = digits[(f >> 58) % 62];
    buf[len] = '\0';
    return len;
}

/* The incident's owned value: a heap block of 32 to 160 bytes (a buffer, a big number...). */
static inline void *heap_value(uint64_t i) {
    size_t size = 32 + (size_t)(key_of(i ^ 0xba1ull) % 129);
    unsigned char *p = (unsigned char *)malloc(size);
    if (!p) die("out of memory");
    memset(p, (int)(i & 0xff), size);
    return p;
}

static inline uint64_t hash_u64(uint64_t k) {
    return ebb_hash_u64(k, BENCH_SEED);
}
static inline uint64_t hash_str(const char *p, size_t len) {
    return ebb_hash_bytes_inline(p, len, BENCH_SEED);
}

#endif
