/* bench/workload.h — the workloads of ebb's benchmark suite, shared by every C and C++ driver.
 *
 * A driver (bench/drv_<table>.c or .cpp) defines TABLE_NAME and a thin adapter of static inline
 * functions for five map shapes, then includes this file, which supplies main():
 *
 *   u64_*   uint64_t -> uint64_t                      (hash: ebb_hash_u64, BENCH_SEED)
 *   big_*   uint64_t -> bench_big (56 bytes)          (same hash)
 *   str_*   borrowed C string -> uint64_t             (hash: ebb_hash_bytes_inline, BENCH_SEED)
 *   own_*   owned C string (the map copies it) -> owned heap value (the map frees it)
 *   id_*    uint64_t -> uint64_t with the identity as the table's hash (patterned keys)
 *
 * Each shape has _new, _free, _put (1: inserted, 0: replaced), _get, _del (1: found), _clear
 * (the table's own clear) and, for u64/big/str, _sum (iterate every entry, sum its values).
 *
 * Workloads (first argument), each writing CSV rows on stdout; bench/go/main.go mirrors them:
 *
 *   ops KIND N REPS        insert, lookup hit, lookup miss, replace, iterate, churn, delete; ns/op
 *   grow KIND N            insert N, delete 90% at random, clear; RSS sampled all along, then a
 *                          fresh process (this binary again) with only the survivors. KIND u64,
 *                          big, str (owned keys, no values) or strval (owned keys and values:
 *                          the incident)
 *   tail N                 every insert and delete timed (rdtsc) growing to N and back to 0,
 *                          then the same timer around an empty operation: the noise floor
 *   churn N OPS            N live keys; OPS more inserts of fresh keys, each followed by the
 *                          delete of the oldest; throughput and RSS sampled along the way
 *   drain N REPS [KIND]    insert N (KIND u64, the default, or big), then delete them all, the
 *                          deletes alone timed (ns/op), for profiling a whole drain: the deletes
 *                          run in drain_deletes or drain_deletes_big (not inlined, for callgrind
 *                          --toggle-collect), and with BENCH_PERF_CTL set to a perf control fifo,
 *                          `perf record -D -1 --control=fifo:F` sees only them. Not mirrored in Go
 *   keys N                 the first key sets, to check that Go computes the same
 *   pattern N REPS SECS    identity hash: random keys, millisecond timestamps, multiples of 1024;
 *                          a phase stops after SECS (a collapsed table is quadratic)
 *
 * Keys are a deterministic function of their index (key_of, str_key), the same in Go, so no key
 * array inflates the RSS of the memory workloads. */
#ifndef EBB_BENCH_WORKLOAD_H
#define EBB_BENCH_WORKLOAD_H

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

#include "common.h"

extern char **environ;

/* ---- Time and memory ---------------------------------------------------------------------- */

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline uint64_t ticks(void) {
#ifdef __x86_64__
    return __rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static double ticks_per_ns = 1.0;

static void calibrate(void) {
#ifdef __x86_64__
    double t0 = now_sec();
    uint64_t c0 = ticks();
    while (now_sec() - t0 < 0.05) {
    }
    ticks_per_ns = (double)(ticks() - c0) / ((now_sec() - t0) * 1e9);
#endif
}

static double rss_mb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* The process's peak resident set so far (VmHWM), MB: a table that holds its old and new arrays
 * together for a moment, as a rehash does, shows there and not in samples of RSS. */
static double peak_rss_mb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lu kB", &kb) == 1) break;
    if (f) fclose(f);
    return (double)kb / 1024.0;
}

static const char *alloc_name(void) {
    const char *a = getenv("BENCH_ALLOC");
    return a && *a ? a : "glibc";
}

static volatile uint64_t sink;

/* ---- Latency histogram: 32 linear sub-buckets per power of two of ticks (3% resolution) --- */

#define LAT_SUB  32
#define LAT_BINS (64 * LAT_SUB)

typedef struct lat_hist {
    uint64_t ops, max;
    uint64_t *bin;
} lat_hist;

static unsigned lat_index(uint64_t t) {
    if (t < LAT_SUB) return (unsigned)t;
    unsigned e = 63u - (unsigned)__builtin_clzll(t); /* e >= 5 */
    return (e - 4) * LAT_SUB + (unsigned)((t >> (e - 5)) & (LAT_SUB - 1));
}

static uint64_t lat_upper(unsigned idx) { /* the largest tick count in bin idx */
    if (idx < LAT_SUB) return idx;
    unsigned e = idx / LAT_SUB + 4, sub = idx % LAT_SUB;
    return ((uint64_t)(LAT_SUB + sub + 1) << (e - 5)) - 1;
}

static void lat_init(lat_hist *h) {
    h->ops = h->max = 0;
    h->bin = (uint64_t *)calloc(LAT_BINS, sizeof *h->bin);
    if (!h->bin) die("out of memory");
}

static inline void lat_add(lat_hist *h, uint64_t t) {
    h->bin[lat_index(t)]++;
    h->ops++;
    if (t > h->max) h->max = t;
}

static double lat_pct_us(const lat_hist *h, double q) {
    uint64_t want = (uint64_t)((double)h->ops * q), seen = 0;
    for (unsigned i = 0; i < LAT_BINS; i++) {
        seen += h->bin[i];
        if (seen > want) {
            uint64_t t = lat_upper(i);
            return (double)(t < h->max ? t : h->max) / ticks_per_ns / 1e3;
        }
    }
    return (double)h->max / ticks_per_ns / 1e3;
}

static uint64_t lat_over_us(const lat_hist *h, double us) {
    uint64_t limit = (uint64_t)(us * 1e3 * ticks_per_ns), n = 0;
    for (unsigned i = 0; i < LAT_BINS; i++)
        if (lat_upper(i) > limit) n += h->bin[i];
    return n;
}

static void lat_row(const char *kind, uint64_t n, const char *phase, const lat_hist *h) {
    printf("tail,%s,%s,%" PRIu64 ",%s,%" PRIu64 ",%.3f,%.3f,%.3f,%.3f,%.1f,%" PRIu64 "\n",
           TABLE_NAME, kind, n, phase, h->ops, lat_pct_us(h, 0.5), lat_pct_us(h, 0.99),
           lat_pct_us(h, 0.999), lat_pct_us(h, 0.9999), (double)h->max / ticks_per_ns / 1e3,
           lat_over_us(h, 100.0));
}

/* ---- ops: the seven operations, ns/op ------------------------------------------------------- */

/* insert n keys, look each up (hit), look up n absent keys (miss), overwrite every value
 * (replace), sum the values (iterate), then n times delete a live key and insert an absent one
 * (churn: the table stays at its size, so deletes pay no shrinking; ns per pair), and delete
 * every key (delete: the table drains to nothing, so a map that gives memory back shrinks through
 * every size on the way). */

/* clang-format lays out a loop passed to TIMED as a macro argument badly. */
/* clang-format off */
#define TIMED(rep_, kind_, n_, op_, count_, body_)                                                 \
    do {                                                                                           \
        double t0_ = now_sec();                                                                    \
        body_;                                                                                     \
        double ns_ = (now_sec() - t0_) * 1e9 / (double)(count_);                                   \
        if ((rep_) > 0)                                                                            \
            printf("ops,%s,%s,%" PRIu64 ",%s,%d,%.2f\n", TABLE_NAME, kind_, (uint64_t)(n_), op_,    \
                   rep_, ns_);                                                                     \
    } while (0)

static void ops_u64(uint64_t n, int rep, const uint64_t *keys, const uint64_t *miss) {
    u64_map *m = u64_new();
    uint64_t s = 0, v;
    TIMED(rep, "u64", n, "insert", n, for (uint64_t i = 0; i < n; i++) s += u64_put(m, keys[i], i));
    if (s != n) die("u64 insert: %" PRIu64 " of %" PRIu64 " new", s, n);
    s = 0;
    TIMED(rep, "u64", n, "lookup_hit", n, for (uint64_t i = 0; i < n; i++) s += u64_get(m, keys[i], &v) ? v : 1);
    if (s != n * (n - 1) / 2) die("u64 lookup hit: wrong sum");
    TIMED(rep, "u64", n, "lookup_miss", n, for (uint64_t i = 0; i < n; i++) s += u64_get(m, miss[i], &v));
    TIMED(rep, "u64", n, "replace", n, for (uint64_t i = 0; i < n; i++) s += u64_put(m, keys[i], i + 1));
    TIMED(rep, "u64", n, "iterate", n, s += u64_sum(m));
    TIMED(rep, "u64", n, "churn", n, for (uint64_t i = 0; i < n; i++) {
        s += u64_del(m, keys[i]);
        s += u64_put(m, miss[i], i);
    });
    TIMED(rep, "u64", n, "delete", n, for (uint64_t i = 0; i < n; i++) s += u64_del(m, miss[i]));
    sink = s;
    u64_free(m);
}

static void ops_big(uint64_t n, int rep, const uint64_t *keys, const uint64_t *miss) {
    big_map *m = big_new();
    uint64_t s = 0;
    bench_big b;
    memset(&b, 0, sizeof b);
    TIMED(rep, "big", n, "insert", n, for (uint64_t i = 0; i < n; i++) {
        b.w[0] = i;
        s += big_put(m, keys[i], &b);
    });
    if (s != n) die("big insert: %" PRIu64 " of %" PRIu64 " new", s, n);
    s = 0;
    TIMED(rep, "big", n, "lookup_hit", n, for (uint64_t i = 0; i < n; i++) {
        const bench_big *p = big_get(m, keys[i]);
        s += p ? p->w[0] : 1;
    });
    if (s != n * (n - 1) / 2) die("big lookup hit: wrong sum");
    TIMED(rep, "big", n, "lookup_miss", n, for (uint64_t i = 0; i < n; i++) s += big_get(m, miss[i]) != NULL);
    TIMED(rep, "big", n, "replace", n, for (uint64_t i = 0; i < n; i++) {
        b.w[0] = i + 1;
        s += big_put(m, keys[i], &b);
    });
    TIMED(rep, "big", n, "iterate", n, s += big_sum(m));
    TIMED(rep, "big", n, "churn", n, for (uint64_t i = 0; i < n; i++) {
        s += big_del(m, keys[i]);
        s += big_put(m, miss[i], &b);
    });
    TIMED(rep, "big", n, "delete", n, for (uint64_t i = 0; i < n; i++) s += big_del(m, miss[i]));
    sink = s;
    big_free(m);
}

static void ops_str(uint64_t n, int rep, char *const *keys, char *const *miss) {
    str_map *m = str_new();
    uint64_t s = 0, v;
    TIMED(rep, "str", n, "insert", n, for (uint64_t i = 0; i < n; i++) s += str_put(m, keys[i], i));
    if (s != n) die("str insert: %" PRIu64 " of %" PRIu64 " new", s, n);
    s = 0;
    TIMED(rep, "str", n, "lookup_hit", n, for (uint64_t i = 0; i < n; i++) s += str_get(m, keys[i], &v) ? v : 1);
    if (s != n * (n - 1) / 2) die("str lookup hit: wrong sum");
    TIMED(rep, "str", n, "lookup_miss", n, for (uint64_t i = 0; i < n; i++) s += str_get(m, miss[i], &v));
    TIMED(rep, "str", n, "replace", n, for (uint64_t i = 0; i < n; i++) s += str_put(m, keys[i], i + 1));
    TIMED(rep, "str", n, "iterate", n, s += str_sum(m));
    TIMED(rep, "str", n, "churn", n, for (uint64_t i = 0; i < n; i++) {
        s += str_del(m, keys[i]);
        s += str_put(m, miss[i], i);
    });
    TIMED(rep, "str", n, "delete", n, for (uint64_t i = 0; i < n; i++) s += str_del(m, miss[i]));
    sink = s;
    str_free(m);
}

/* Strings for the ops workload live in one arena for the whole run (the maps borrow them). */
static char **str_keys(uint64_t from, uint64_t n) {
    char **k = (char **)malloc(n * sizeof *k);
    char *arena = (char *)malloc(n * (STR_KEY_MAX + 1));
    if (!k || !arena) die("out of memory");
    for (uint64_t i = 0; i < n; i++) {
        k[i] = arena;
        arena += str_key(from + i, arena) + 1;
    }
    return k;
}

/* clang-format on */

/* A warm-up rep (a tenth of the size, at most 1M entries, discarded), then reps timed ones. */
static int run_ops(const char *kind, uint64_t n, int reps) {
    uint64_t warm = n / 10 < 1000000 ? n / 10 + 1 : 1000000;
    if (!strcmp(kind, "str")) {
        char **keys = str_keys(0, n), **miss = str_keys(n, n);
        ops_str(warm, 0, keys, miss);
        for (int r = 1; r <= reps; r++)
            ops_str(n, r, keys, miss);
        return 0;
    }
    uint64_t *keys = (uint64_t *)malloc(n * sizeof *keys),
             *miss = (uint64_t *)malloc(n * sizeof *miss);
    if (!keys || !miss) die("out of memory");
    for (uint64_t i = 0; i < n; i++)
        keys[i] = key_of(i), miss[i] = key_of(n + i);
    int big = !strcmp(kind, "big");
    if (!big && strcmp(kind, "u64")) die("ops: unknown kind %s", kind);
    if (big)
        ops_big(warm, 0, keys, miss);
    else
        ops_u64(warm, 0, keys, miss);
    for (int r = 1; r <= reps; r++) {
        if (big)
            ops_big(n, r, keys, miss);
        else
            ops_u64(n, r, keys, miss);
    }
    return 0;
}

/* ---- grow: insert, delete 90%, clear; RSS all along ----------------------------------------- */

typedef struct grower {
    const char *kind;
    uint64_t n, every, done;
    double t0;
    u64_map *u;
    big_map *b;
    own_map *o;
} grower;

static void grow_sample(grower *g, const char *phase, uint64_t entries) {
    printf("grow_ts,%s,%s,%s,%" PRIu64 ",%.4f,%s,%" PRIu64 ",%.2f\n", TABLE_NAME, alloc_name(),
           g->kind, g->n, now_sec() - g->t0, phase, entries, rss_mb());
}

static void grow_put(grower *g, uint64_t i) {
    char buf[STR_KEY_MAX + 1];
    int rc;
    if (g->u) {
        rc = u64_put(g->u, key_of(i), i);
    } else if (g->b) {
        bench_big v;
        memset(&v, 0, sizeof v);
        v.w[0] = i;
        rc = big_put(g->b, key_of(i), &v);
    } else {
        size_t len = str_key(i, buf);
        rc = own_put(g->o, buf, len, g->kind[3] ? heap_value(i) : NULL);
    }
    if (rc != 1) die("grow: insert %" PRIu64 " was not new", i);
}

static void grow_del(grower *g, uint64_t i) {
    char buf[STR_KEY_MAX + 1];
    int found;
    if (g->u)
        found = u64_del(g->u, key_of(i));
    else if (g->b)
        found = big_del(g->b, key_of(i));
    else {
        size_t len = str_key(i, buf);
        found = own_del(g->o, buf, len);
    }
    if (!found) die("grow: delete %" PRIu64 " missed", i);
}

static void grow_clear(grower *g) {
    if (g->u)
        u64_clear(g->u);
    else if (g->b)
        big_clear(g->b);
    else
        own_clear(g->o);
}

/* RSS of a fresh process (this binary again, same environment) holding only the survivors. */
static double reference_rss(const char *self, const char *kind, uint64_t n) {
    char nbuf[32];
    snprintf(nbuf, sizeof nbuf, "%" PRIu64, n);
    char *argv[] = {(char *)self, (char *)"grow-ref", (char *)kind, nbuf, NULL};
    int fd[2];
    if (pipe(fd) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        return -1;
    }
    char buf[64] = {0};
    ssize_t got = read(fd[0], buf, sizeof buf - 1);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    double rss = -1;
    if (got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) sscanf(buf, "rss=%lf", &rss);
    return rss;
}

static void grow_open(grower *g, const char *kind, uint64_t n) {
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->n = n;
    g->every = n / 400 ? n / 400 : 1;
    if (!strcmp(kind, "u64"))
        g->u = u64_new();
    else if (!strcmp(kind, "big"))
        g->b = big_new();
    else if (!strcmp(kind, "str") || !strcmp(kind, "strval"))
        g->o = own_new();
    else
        die("grow: unknown kind %s", kind);
}

static void grow_close(grower *g) {
    if (g->u) u64_free(g->u);
    if (g->b) big_free(g->b);
    if (g->o) own_free(g->o);
}

static int run_grow_ref(const char *kind, uint64_t n) {
    grower g;
    grow_open(&g, kind, n);
    for (uint64_t i = 0; i < n; i++)
        if (survives(i)) grow_put(&g, i);
    printf("rss=%.3f\n", rss_mb());
    fflush(stdout);
    grow_close(&g);
    return 0;
}

static int run_grow(const char *self, const char *kind, uint64_t n) {
    grower g;
    double start = rss_mb();
    grow_open(&g, kind, n);
    g.t0 = now_sec();
    grow_sample(&g, "start", 0);
    double peak = 0;
    for (uint64_t i = 0; i < n; i++) {
        grow_put(&g, i);
        if ((i + 1) % g.every == 0) grow_sample(&g, "insert", i + 1);
    }
    peak = peak_rss_mb();
    double t_ins = now_sec() - g.t0;
    uint64_t left = n;
    for (uint64_t i = 0; i < n; i++) {
        if (survives(i)) continue;
        grow_del(&g, i);
        left--;
        if (i % g.every == 0) grow_sample(&g, "delete", left);
    }
    double after_delete = rss_mb();
    grow_sample(&g, "deleted", left);
    malloc_trim(0); /* glibc's; under a preloaded allocator it has nothing to trim */
    double after_trim = rss_mb();
    grow_sample(&g, "trimmed", left);
    grow_clear(&g);
    double after_clear = rss_mb();
    grow_sample(&g, "cleared", 0);
    double ref = reference_rss(self, kind, n);
    printf("grow,%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f\n", TABLE_NAME,
           alloc_name(), kind, n, left, start, peak, after_delete, after_trim, ref, after_clear,
           t_ins);
    grow_close(&g);
    return ref > 0 ? 0 : 1;
}

/* ---- tail: every insert and delete timed ---------------------------------------------------- */

static int run_tail(uint64_t n) {
    calibrate();
    lat_hist ins, del, noise;
    lat_init(&ins), lat_init(&del), lat_init(&noise);
    u64_map *m = u64_new();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = key_of(i), t = ticks();
        int rc = u64_put(m, k, i);
        lat_add(&ins, ticks() - t);
        if (rc != 1) die("tail: insert %" PRIu64 " was not new", i);
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = key_of(i), t = ticks();
        int found = u64_del(m, k);
        lat_add(&del, ticks() - t);
        if (!found) die("tail: delete %" PRIu64 " missed", i);
    }
    u64_free(m);
    for (uint64_t i = 0; i < 2 * n; i++) { /* the same timer around an empty operation */
        uint64_t k = key_of(i), t = ticks();
        sink = k;
        lat_add(&noise, ticks() - t);
    }
    lat_row("u64", n, "insert", &ins);
    lat_row("u64", n, "delete", &del);
    lat_row("u64", n, "noise", &noise);
    return 0;
}

/* ---- churn: a steady N under a stream of fresh inserts and oldest-first deletes ------------ */

static double lookup_all_ns(u64_map *m, uint64_t from, uint64_t n) {
    uint64_t s = 0, v;
    double t0 = now_sec();
    for (uint64_t i = from; i < from + n; i++)
        s += u64_get(m, key_of(i), &v);
    if (s != n) die("churn: %" PRIu64 " of %" PRIu64 " live keys found", s, n);
    return (now_sec() - t0) * 1e9 / (double)n;
}

static int run_churn(uint64_t n, uint64_t ops) {
    u64_map *m = u64_new();
    for (uint64_t i = 0; i < n; i++)
        u64_put(m, key_of(i), i);
    double before = lookup_all_ns(m, 0, n);
    uint64_t every = ops / 100 ? ops / 100 : 1;
    double t0 = now_sec(), last = t0;
    printf("churn_ts,%s,u64,%" PRIu64 ",0,0.0000,0,%.2f\n", TABLE_NAME, n, rss_mb());
    for (uint64_t j = 0; j < ops; j++) {
        u64_put(m, key_of(n + j), j);
        if (!u64_del(m, key_of(j))) die("churn: delete %" PRIu64 " missed", j);
        if ((j + 1) % every == 0) {
            double t = now_sec();
            printf("churn_ts,%s,u64,%" PRIu64 ",%" PRIu64 ",%.4f,%.2f,%.2f\n", TABLE_NAME, n, j + 1,
                   t - t0, 2.0 * (double)every / (t - last) / 1e6, rss_mb());
            last = t;
        }
    }
    double secs = now_sec() - t0;
    double after = lookup_all_ns(m, ops, n);
    printf("churn,%s,u64,%" PRIu64 ",%" PRIu64 ",%.3f,%.2f,%.2f,%.2f\n", TABLE_NAME, n, 2 * ops,
           2.0 * (double)ops / secs / 1e6, before, after, rss_mb());
    u64_free(m);
    return 0;
}

/* ---- drain: the deletes of a whole map, alone ---------------------------------------------- */

static void perf_ctl(FILE *ctl, const char *cmd) {
    if (!ctl) return;
    fputs(cmd, ctl);
    fflush(ctl);
    usleep(20000); /* perf acts on the fifo asynchronously */
}

__attribute__((noinline)) static uint64_t drain_deletes(u64_map *m, uint64_t n) {
    uint64_t found = 0;
    for (uint64_t i = 0; i < n; i++)
        found += (uint64_t)u64_del(m, key_of(i));
    return found;
}

__attribute__((noinline)) static uint64_t drain_deletes_big(big_map *m, uint64_t n) {
    uint64_t found = 0;
    for (uint64_t i = 0; i < n; i++)
        found += (uint64_t)big_del(m, key_of(i));
    return found;
}

/* One repetition: fill a map of the kind, time its drain (perf sees only that), free it. */
static double drain_once(int big, uint64_t n, FILE *ctl) {
    u64_map *m = big ? NULL : u64_new();
    big_map *b = big ? big_new() : NULL;
    bench_big v;
    memset(&v, 0, sizeof v);
    for (uint64_t i = 0; i < n; i++) {
        v.w[0] = i;
        if ((big ? big_put(b, key_of(i), &v) : u64_put(m, key_of(i), i)) != 1)
            die("drain: insert %" PRIu64 " was not new", i);
    }
    perf_ctl(ctl, "enable\n");
    double t0 = now_sec();
    uint64_t found = big ? drain_deletes_big(b, n) : drain_deletes(m, n);
    double ns = (now_sec() - t0) * 1e9 / (double)n;
    perf_ctl(ctl, "disable\n");
    if (found != n) die("drain: %" PRIu64 " of %" PRIu64 " deletes found their key", found, n);
    if (big)
        big_free(b);
    else
        u64_free(m);
    return ns;
}

static int run_drain(uint64_t n, int reps, const char *kind) {
    int big = !strcmp(kind, "big");
    if (!big && strcmp(kind, "u64")) die("drain: unknown kind '%s' (u64 or big)", kind);
    const char *path = getenv("BENCH_PERF_CTL");
    FILE *ctl = path && *path ? fopen(path, "w") : NULL;
    if (path && *path && !ctl) die("drain: cannot open %s", path);
    for (int r = 1; r <= reps; r++)
        printf("drain,%s,%s,%" PRIu64 ",%d,%.2f\n", TABLE_NAME, kind, n, r,
               drain_once(big, n, ctl));
    if (ctl) fclose(ctl);
    return 0;
}

/* ---- pattern: identity hash on patterned keys ----------------------------------------------- */

static void pattern_one(const char *name, uint64_t n, int reps, double budget,
                        uint64_t (*key)(uint64_t)) {
    for (int r = 0; r <= reps; r++) {
        uint64_t count = r ? n : (n < 100000 ? n : 100000), s = 0, v;
        id_map *m = id_new();
        /* A table whose chains collapse goes quadratic: stop a phase after the time budget and
         * report the ops it managed (ns/op is then a lower bound). */
        double t0 = now_sec(), stop = t0 + budget;
        uint64_t done = 0;
        for (; done < count && ((done & 1023) || now_sec() < stop); done++)
            s += id_put(m, key(done), done);
        double t1 = now_sec();
        uint64_t hits = 0, misses = 0;
        for (stop = t1 + budget; hits < done && ((hits & 1023) || now_sec() < stop); hits++)
            s += id_get(m, key(hits), &v);
        double t2 = now_sec();
        for (stop = t2 + budget; misses < done && ((misses & 1023) || now_sec() < stop); misses++)
            s += id_get(m, key(count + misses), &v);
        double t3 = now_sec();
        id_free(m);
        if (s != done + hits) die("pattern %s: wrong count", name);
        if (!r) continue;
        printf("pattern,%s,%s,%" PRIu64 ",insert,%d,%.2f,%" PRIu64 "\n", TABLE_NAME, name, n, r,
               (t1 - t0) * 1e9 / (double)done, done);
        printf("pattern,%s,%s,%" PRIu64 ",lookup_hit,%d,%.2f,%" PRIu64 "\n", TABLE_NAME, name, n, r,
               (t2 - t1) * 1e9 / (double)hits, hits);
        printf("pattern,%s,%s,%" PRIu64 ",lookup_miss,%d,%.2f,%" PRIu64 "\n", TABLE_NAME, name, n,
               r, (t3 - t2) * 1e9 / (double)misses, misses);
    }
}

static int run_pattern(uint64_t n, int reps, double budget) {
    pattern_one("random", n, reps, budget, key_of);
    pattern_one("timestamp_ms", n, reps, budget, key_timestamp);
    pattern_one("mul1024", n, reps, budget, key_mul1024);
    return 0;
}

/* ---- keys: the key sets themselves, for checking that Go computes the same ------------------ */

static int run_keys(uint64_t n) {
    char buf[STR_KEY_MAX + 1];
    for (uint64_t i = 0; i < n; i++) {
        uint64_t k = key_of(i * 7919);
        str_key(i * 7919, buf);
        printf("%" PRIu64 " %s %d %" PRIu64 " %" PRIu64 "\n", k, buf, survives(i), key_timestamp(i),
               key_mul1024(i));
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

/* Argument i, a positive decimal integer (strtoull alone would take " 7" and wrap "-5"). */
static uint64_t arg_count(int argc, char **argv, int i) {
    if (i >= argc) die("missing argument %d", i);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(argv[i], &end, 10);
    if (argv[i][0] < '0' || argv[i][0] > '9' || *end || v == 0 || errno == ERANGE)
        die("bad count '%s': a positive integer is wanted", argv[i]);
    return v;
}

/* Argument i, a number of repetitions: a count small enough for an int. */
#define MAX_REPS 1000000
static int arg_reps(int argc, char **argv, int i) {
    uint64_t v = arg_count(argc, argv, i);
    if (v > MAX_REPS) die("bad repetitions '%s': at most %d", argv[i], MAX_REPS);
    return (int)v;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    const char *w = argc > 1 ? argv[1] : "";
    int rc;
    if (!strcmp(w, "ops"))
        rc = run_ops(argc > 2 ? argv[2] : "", arg_count(argc, argv, 3), arg_reps(argc, argv, 4));
    else if (!strcmp(w, "grow"))
        rc = run_grow(argv[0], argc > 2 ? argv[2] : "", arg_count(argc, argv, 3));
    else if (!strcmp(w, "grow-ref"))
        rc = run_grow_ref(argc > 2 ? argv[2] : "", arg_count(argc, argv, 3));
    else if (!strcmp(w, "tail"))
        rc = run_tail(arg_count(argc, argv, 2));
    else if (!strcmp(w, "churn"))
        rc = run_churn(arg_count(argc, argv, 2), arg_count(argc, argv, 3));
    else if (!strcmp(w, "drain"))
        rc = run_drain(arg_count(argc, argv, 2), arg_reps(argc, argv, 3),
                       argc > 4 ? argv[4] : "u64");
    else if (!strcmp(w, "keys"))
        rc = run_keys(arg_count(argc, argv, 2));
    else if (!strcmp(w, "pattern"))
        rc = run_pattern(arg_count(argc, argv, 2), arg_reps(argc, argv, 3),
                         (double)arg_count(argc, argv, 4));
    else {
        fprintf(stderr,
                "usage: %s ops u64|big|str N REPS | grow u64|big|str|strval N | tail N |\n"
                "       churn N OPS | drain N REPS [u64|big] | pattern N REPS SECS | keys N\n",
                argv[0]);
        return 2;
    }
    fflush(stdout);
    return rc;
}

#endif
