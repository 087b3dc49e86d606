/* page_costs — what memory return costs on this machine, the figures behind docs/design.md's
 * "Memory that really returns":
 *
 *   1. pages: per 4 KiB page, in chunks of 8 KiB to 256 KiB over a 64 MiB mapping, the cost of
 *      faulting in fresh pages ahead (MADV_POPULATE_WRITE), of releasing them (MADV_DONTNEED), and
 *      of moving resident pages from one mapping into another (mremap, the source left mapped and
 *      empty: MREMAP_DONTUNMAP), which is what a shrink's
 *      recycling does instead of the other two; and of the page fault a first write takes, which
 *      is how a table's slot pages come in;
 *   2. delete: deleting every key of a map of N u64 -> u64 one by one, user and system time per
 *      delete and page faults, once as the map shrinks and once held at its size by reserve()
 *      (so the difference is the price of giving the memory back).
 *
 *   build/bench/page_costs [N] [REPS]      (make -f bench/bench.mk build/bench/page_costs)
 *
 * Medians over REPS (default 7); the machine is shared, so compare lines of one run. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#define EBB_NAME pc_map
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE    4096u
#define SPAN    (64u << 20)
#define MAXREPS 64
#define MAXKEYS 1000000000 /* 8 GB of keys, and a map four times that */

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

static unsigned char *fresh_mapping(void) {
    void *p = mmap(NULL, SPAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) {
        perror("page_costs: mmap");
        exit(1);
    }
    return p;
}

/* One round at chunk size `chunk`: us per page to populate, to release, to move, and to fault
 * in by writing. */
static void pages_round(size_t chunk, double *pop, double *rel, double *mov, double *wr) {
    unsigned char *a = fresh_mapping(), *b = fresh_mapping();
    double t = now();
    for (size_t off = 0; off < SPAN; off += PAGE)
        b[off] = 1;
    *wr = (now() - t) * 1e6 / (SPAN / PAGE);
    munmap(b, SPAN);
    b = fresh_mapping();
    t = now();
    for (size_t off = 0; off < SPAN; off += chunk)
        madvise(a + off, chunk, MADV_POPULATE_WRITE);
    *pop = (now() - t) * 1e6 / (SPAN / PAGE);
    t = now();
    for (size_t off = 0; off < SPAN; off += chunk)
        madvise(a + off, chunk, MADV_DONTNEED);
    *rel = (now() - t) * 1e6 / (SPAN / PAGE);
    memset(a, 1, SPAN); /* resident again, to be moved */
    t = now();
    for (size_t off = 0; off < SPAN; off += chunk)
        if (mremap(a + off, chunk, chunk, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
                   b + off) == MAP_FAILED) {
            perror("page_costs: mremap");
            exit(1);
        }
    *mov = (now() - t) * 1e6 / (SPAN / PAGE);
    munmap(a, SPAN);
    munmap(b, SPAN);
}

static void pages(int reps) {
    static const size_t chunks[] = {8192, 32768, 131072, 262144};
    printf("us per 4 KiB page (median of %d)   populate   release   release+populate   mremap   "
           "write fault\n",
           reps);
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        double pop[MAXREPS], rel[MAXREPS], mov[MAXREPS], both[MAXREPS], wr[MAXREPS];
        for (int r = 0; r < reps; r++) {
            pages_round(chunks[c], &pop[r], &rel[r], &mov[r], &wr[r]);
            both[r] = pop[r] + rel[r];
        }
        printf("  chunk %4zu KiB %27.2f %9.2f %18.2f %8.2f %13.2f\n", chunks[c] / 1024,
               median(pop, reps), median(rel, reps), median(both, reps), median(mov, reps),
               median(wr, reps));
    }
}

static void usage(struct rusage *u) {
    getrusage(RUSAGE_SELF, u);
}

static double secs(struct timeval t) {
    return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define DELETE_FIGURES 5

/* Insert keys[0..n), then delete them all: wall, user and system ns per delete, page faults, and
 * entries moved (by shrinks) per delete. */
static void delete_round(const uint64_t *keys, size_t n, int hold, double out[DELETE_FIGURES]) {
    pc_map m;
    pc_map_init(&m);
    for (size_t i = 0; i < n; i++)
        if (pc_map_put(&m, keys[i], i) < 0) {
            fprintf(stderr, "page_costs: out of memory\n");
            exit(1);
        }
    if (hold) {
        ebb_stats st;
        pc_map_stats(&m, &st);
        pc_map_reserve(&m, st.capacity); /* the size it has: it will not shrink below it */
    }
    ebb_stats st0, st1;
    pc_map_stats(&m, &st0);
    struct rusage u0, u1;
    usage(&u0);
    double t = now();
    size_t gone = 0;
    for (size_t i = 0; i < n; i++)
        gone += pc_map_delete(&m, keys[i]);
    out[0] = (now() - t) * 1e9 / (double)n;
    usage(&u1);
    out[1] = (secs(u1.ru_utime) - secs(u0.ru_utime)) * 1e9 / (double)n;
    out[2] = (secs(u1.ru_stime) - secs(u0.ru_stime)) * 1e9 / (double)n;
    out[3] = (double)(u1.ru_minflt - u0.ru_minflt);
    pc_map_stats(&m, &st1);
    out[4] = (double)(st1.moved - st0.moved) / (double)n;
    if (gone != n) {
        fprintf(stderr, "page_costs: deleted %zu of %zu\n", gone, n);
        exit(1);
    }
    pc_map_destroy(&m);
}

static void deletes(size_t n, int reps) {
    uint64_t *keys = malloc(n * sizeof *keys), s = 1;
    if (!keys) {
        fprintf(stderr, "page_costs: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = splitmix(&s);
    printf("delete all of %zu u64 keys (median of %d)   ns/delete   user   system   page faults   "
           "moves/delete\n",
           n, reps);
    static const char *names[2] = {"shrinking (the default)", "held by reserve()"};
    for (int hold = 0; hold < 2; hold++) {
        double v[DELETE_FIGURES][MAXREPS], out[DELETE_FIGURES];
        for (int r = 0; r < reps; r++) {
            delete_round(keys, n, hold, out);
            for (int k = 0; k < DELETE_FIGURES; k++)
                v[k][r] = out[k];
        }
        printf("  %-24s %24.1f %6.1f %8.1f %13.0f %14.2f\n", names[hold], median(v[0], reps),
               median(v[1], reps), median(v[2], reps), median(v[3], reps), median(v[4], reps));
    }
    free(keys);
}

static int usage_error(void) {
    fprintf(stderr, "usage: page_costs [N in 1..%d] [REPS in 1..%d]\n", MAXKEYS, MAXREPS);
    return 2;
}

/* A whole decimal number in [1, max], or 0. */
static long count_arg(const char *s, long max) {
    char *end = NULL;
    if (*s < '0' || *s > '9') return 0;
    long v = strtol(s, &end, 10);
    return *end == '\0' && v >= 1 && v <= max ? v : 0;
}

int main(int argc, char **argv) {
    if (argc > 3) return usage_error();
    long n = argc > 1 ? count_arg(argv[1], MAXKEYS) : 1000000;
    long reps = argc > 2 ? count_arg(argv[2], MAXREPS) : 7;
    if (n == 0 || reps == 0) return usage_error();
    pages((int)reps);
    deletes((size_t)n, (int)reps);
    return 0;
}
