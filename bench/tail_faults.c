/* bench/tail_faults.c — what the slowest inserts and deletes were doing.
 *
 *     build/bench/tail_faults [N] [THRESHOLD_US]     (defaults 10000000 and 100)
 *
 * Grows an ebb_u64map from empty to N random keys and deletes them all, as the tail workload of
 * `make bench` does (docs/benchmarks.md, section 3), and sorts every operation slower than the
 * threshold by what else happened during it: the thread took a page fault (getrusage before and
 * after), or the map moved entries (a resize step, which may also make one system call), or
 * neither. Then the same for an empty operation between the same two calls, as many times: the
 * machine's own floor. getrusage costs a system call on each side, outside the timed interval, so
 * this run is slower than the demo; it is a diagnosis, not a benchmark. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "ebb/u64map.h"

typedef struct tally {
    uint64_t ops, slow, faulted, moved, neither;
    double max_us;
} tally;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Page faults the calling thread has taken so far, minor and major. */
static long page_faults(void) {
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_minflt + ru.ru_majflt;
}

static uint64_t entries_moved(const ebb_u64map *m) {
    ebb_stats st;
    ebb_u64map_stats(m, &st);
    return st.moved;
}

static void count(tally *t, uint64_t ns, long faults, int moved, double threshold_us) {
    double us = (double)ns / 1e3;
    t->ops++;
    if (us > t->max_us) t->max_us = us;
    if (us <= threshold_us) return;
    t->slow++;
    if (faults > 0)
        t->faulted++;
    else if (moved)
        t->moved++;
    else
        t->neither++;
}

static void report(const char *what, const tally *t, double threshold_us) {
    printf("%-7s %10" PRIu64 " ops  max %8.1f us  over %g us: %4" PRIu64 "  (page fault %" PRIu64
           ", resize step without one %" PRIu64 ", neither %" PRIu64 ")\n",
           what, t->ops, t->max_us, threshold_us, t->slow, t->faulted, t->moved, t->neither);
}

static volatile uint64_t sink; /* what the empty operation writes */

static uint64_t next_key(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

int main(int argc, char **argv) {
    if (argc > 3) {
        fprintf(stderr, "usage: tail_faults [N] [THRESHOLD_US]\n");
        return 2;
    }
    char *end = NULL;
    unsigned long long n = argc > 1 ? strtoull(argv[1], &end, 10) : 10000000ull;
    if (argc > 1 && (argv[1][0] < '0' || argv[1][0] > '9' || *end || n == 0)) {
        fprintf(stderr, "tail_faults: N must be a positive integer, not '%s'\n", argv[1]);
        return 2;
    }
    double threshold = argc > 2 ? strtod(argv[2], &end) : 100.0;
    if (argc > 2 && (end == argv[2] || *end || !(threshold > 0))) { /* NaN fails too */
        fprintf(stderr, "tail_faults: THRESHOLD_US must be a positive number, not '%s'\n", argv[2]);
        return 2;
    }
    ebb_u64map m;
    ebb_u64map_init(&m);
    tally ins = {0}, del = {0}, noise = {0};
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = next_key(&x), moved = entries_moved(&m);
        long f = page_faults();
        uint64_t t = now_ns();
        int rc = ebb_u64map_put(&m, k, i);
        uint64_t ns = now_ns() - t;
        count(&ins, ns, page_faults() - f, entries_moved(&m) != moved, threshold);
        if (rc < 0) {
            fprintf(stderr, "tail_faults: insert failed (%d)\n", rc);
            return 1;
        }
    }
    x = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = next_key(&x), moved = entries_moved(&m);
        long f = page_faults();
        uint64_t t = now_ns();
        bool found = ebb_u64map_delete(&m, k);
        uint64_t ns = now_ns() - t;
        count(&del, ns, page_faults() - f, entries_moved(&m) != moved, threshold);
        if (!found) {
            fprintf(stderr, "tail_faults: key %" PRIu64 " was not found\n", i);
            return 1;
        }
    }
    ebb_u64map_destroy(&m);
    for (uint64_t i = 0; i < 2 * n; i++) {
        long f = page_faults();
        uint64_t t = now_ns();
        sink = i;
        uint64_t ns = now_ns() - t;
        count(&noise, ns, page_faults() - f, 0, threshold);
    }
    report("insert", &ins, threshold);
    report("delete", &del, threshold);
    report("empty", &noise, threshold);
    return 0;
}
