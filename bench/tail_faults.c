/* bench/tail_faults.c — what the slowest inserts and deletes were doing.
 *
 *     build/bench/tail_faults [N] [THRESHOLD_US] [inline|pager]   (defaults 10000000 100 inline)
 *
 * Grows an ebb_u64map from empty to N random keys and deletes them all, as the tail workload of
 * `make bench` does (docs/benchmarks.md, section 3), and sorts every operation by what else
 * happened during it: the thread took a page fault (getrusage before and after), or the map
 * moved entries (a resize step, which may also make one system call), or neither. For each kind
 * it reports the time spent, the operations slower than the threshold, and those per second of
 * time spent: a machine that takes the CPU away at random (a VM's host, an interrupt) makes an
 * operation slow in proportion to how long it runs, whatever it does, so a kind that stalls by
 * itself shows a higher rate than the others.
 *
 * Two floors, timed between the same two calls: after every insert and every delete, a lookup
 * of a key from another stream (almost surely a miss: it reads the control bytes, as an insert
 * or delete does, but never writes, resizes or allocates), and at the end an empty operation.
 * getrusage costs a system call on each side, outside the timed interval, so this run is slower
 * than the demo; it is a diagnosis, not a benchmark.
 *
 * "pager" runs the same with ebb_pager_start(): retired tables are then unmapped on the pager's
 * thread (page faults are counted for this thread only, RUSAGE_THREAD). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ebb/u64map.h"

/* What happened during an operation besides its own work. */
enum { FAULTED, RESIZED, PLAIN, KINDS };
static const char *const kind_names[KINDS] = {"page fault", "resize step", "neither"};

#define HIST_US 1000 /* per-kind histogram: whole microseconds below this, then one bucket */

typedef struct kind_tally {
    uint64_t ops, slow, ns;
    double max_us;
    uint64_t hist[HIST_US + 1];
} kind_tally;

typedef struct tally {
    kind_tally kind[KINDS];
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
    kind_tally *k = &t->kind[faults > 0 ? FAULTED : moved ? RESIZED : PLAIN];
    double us = (double)ns / 1e3;
    k->ops++;
    k->ns += ns;
    k->hist[ns / 1000 < HIST_US ? ns / 1000 : HIST_US]++;
    if (us > k->max_us) k->max_us = us;
    if (us > threshold_us) k->slow++;
}

/* The time under which a fraction q of the kind's operations took, in whole microseconds (an
 * upper bound: the histogram's buckets are 1 us wide). */
static unsigned quantile_us(const kind_tally *k, double q) {
    uint64_t want = (uint64_t)((double)k->ops * q), seen = 0;
    for (unsigned b = 0; b < HIST_US; b++)
        if ((seen += k->hist[b]) > want) return b + 1;
    return HIST_US;
}

/* One line per kind that occurred: operations, time spent, p99.9 and the slowest, and how many
 * exceeded the threshold, also per second of time spent (the rate to compare with the floors). */
static void report(const char *what, const tally *t, double threshold_us) {
    for (int i = 0; i < KINDS; i++) {
        const kind_tally *k = &t->kind[i];
        if (!k->ops) continue;
        double secs = (double)k->ns / 1e9;
        printf("%-7s %-12s %10" PRIu64
               " ops %8.3f s  p99.9 <%4u us  max %8.1f us  over %g us: %5" PRIu64
               "  (%6.1f per s)\n",
               what, kind_names[i], k->ops, secs, quantile_us(k, 0.999), k->max_us, threshold_us,
               k->slow, secs > 0 ? (double)k->slow / secs : 0.0);
    }
}

static uint64_t next_key(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static volatile uint64_t sink; /* what the floors write */

/* The floor during the run: a lookup of key, drawn from a stream of its own (so almost surely
 * absent: which it is does not matter, since neither kind writes to the map). */
static void time_lookup(const ebb_u64map *m, tally *t, uint64_t key, double threshold) {
    uint64_t moved = entries_moved(m);
    long f = page_faults();
    uint64_t start = now_ns();
    sink += ebb_u64map_get(m, key) != NULL;
    uint64_t ns = now_ns() - start;
    count(t, ns, page_faults() - f, entries_moved(m) != moved, threshold);
}

int main(int argc, char **argv) {
    if (argc > 4) {
        fprintf(stderr, "usage: tail_faults [N] [THRESHOLD_US] [inline|pager]\n");
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
    bool pager = argc > 3 && strcmp(argv[3], "pager") == 0;
    if (argc > 3 && !pager && strcmp(argv[3], "inline") != 0) {
        fprintf(stderr, "tail_faults: the third argument is 'inline' or 'pager', not '%s'\n",
                argv[3]);
        return 2;
    }
    if (pager && ebb_pager_start() != EBB_OK) {
        fprintf(stderr, "tail_faults: the pager did not start\n");
        return 1;
    }
    printf("unmapping: %s\n", pager ? "on the pager's thread" : "inline");
    ebb_u64map m;
    ebb_u64map_init(&m);
    static tally ins, del, miss, noise;
    uint64_t x = 0x9e3779b97f4a7c15ull, y = 0x2545f4914f6cdd1dull; /* y: lookups */
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
        time_lookup(&m, &miss, next_key(&y), threshold);
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
        time_lookup(&m, &miss, next_key(&y), threshold);
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
    report("lookup", &miss, threshold);
    report("empty", &noise, threshold);
    return 0;
}
