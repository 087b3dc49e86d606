/* `ebb demo`: the brief's scenario, measured as the process sees it.
 *
 * Insert N random u64 keys, look them all up, delete 90% of them at random, then clear. After
 * each phase: entries, process RSS, table bytes, load, longest probe, ns/op and the slowest
 * single operation. The reference is a fresh process (this binary, exec'd again, so it shares
 * no pages) that inserts only the survivors. Keys are a bijective scramble of 0..N-1, so no key
 * array inflates the RSS being measured. The last line of stdout is the summary. With --pager,
 * retired tables and the cleared one are unmapped on ebb's background thread, and every RSS
 * reading waits for it to catch up first (ebb_pager_wait). */
#include <errno.h>
#include <inttypes.h>
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

#include "commands.h"
#include "ebb/u64map.h"

extern char **environ;

#define DEFAULT_ENTRIES 10000000ull
#define MAX_ENTRIES     1000000000ull

typedef struct demo {
    uint64_t entries, seed;
    int pager;              /* --pager: unmapping on the pager's thread (ebb_pager_start) */
    uint64_t next_progress; /* the op count at which progress() prints next */
    int progress_tty;
    double ticks_per_ns;
} demo;

/* A phase's timing: wall time, the slowest single operation, and a histogram of operation
 * times in ticks, by powers of two, for percentiles. */
#define LAT_BUCKETS 48
typedef struct phase {
    double t0;
    uint64_t ops, max_ticks;
    uint64_t hist[LAT_BUCKETS];
    double t1; /* when it ended, if not when it is reported (a wait for the pager between) */
} phase;

static uint64_t key_of(uint64_t i, uint64_t seed) {
    uint64_t x = i ^ seed;
    x = (x ^ (x >> 31)) * 0x7fb5d329728ea185ull;
    x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
}

/* One entry in ten survives the delete phase, chosen by a hash of its index. */
static int survives(uint64_t i, uint64_t seed) {
    return key_of(i, ~seed) % 10 == 0;
}

static double now(void) {
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

static double calibrate_ticks_per_ns(void) {
#ifdef __x86_64__
    double t0 = now();
    uint64_t c0 = ticks();
    while (now() - t0 < 0.05) {
    }
    return (double)(ticks() - c0) / ((now() - t0) * 1e9);
#else
    return 1.0;
#endif
}

static size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static double mb(size_t bytes) {
    return (double)bytes / (1024.0 * 1024.0);
}

/* Every tenth of a phase, one line on stderr (overwritten in place on a terminal). */
static void progress(const demo *d, const char *what, uint64_t done, uint64_t total) {
    if (done != d->next_progress) return;
    ((demo *)d)->next_progress += total / 10;
    fprintf(stderr, "%s  %-8s %3d%%  rss %8.1f MB%s", d->progress_tty ? "\r" : "", what,
            (int)(100 * done / total), mb(rss_bytes()), d->progress_tty ? "" : "\n");
    if (d->progress_tty && done == total) fprintf(stderr, "\r%60s\r", "");
}

static void report(const demo *d, const char *name, const ebb_u64map *m, const phase *p) {
    ebb_stats st;
    ebb_u64map_stats(m, &st);
    double secs = (p->t1 ? p->t1 : now()) - p->t0;
    printf("%-10s entries %10zu  rss %8.1f MB  held %8.1f MB  load %.3f  longest_probe %2u", name,
           st.entries, mb(rss_bytes()), mb(st.bytes), st.load, st.longest_probe);
    if (p->ops) printf("  %6.1f ns/op", secs * 1e9 / (double)p->ops);
    if (p->max_ticks) printf("  max %7.1f us", (double)p->max_ticks / d->ticks_per_ns / 1e3);
    printf("\n");
    fflush(stdout);
}

static void time_op(phase *p, uint64_t start) {
    uint64_t t = ticks() - start;
    if (t > p->max_ticks) p->max_ticks = t;
    p->hist[t ? 63 - __builtin_clzll(t) : 0]++;
    p->ops++;
}

/* Upper bound, in microseconds, of the operation time below which a fraction q of ops fall. */
static double percentile_us(const demo *d, const phase *p, double q) {
    uint64_t seen = 0, want = (uint64_t)((double)p->ops * q);
    for (int b = 0; b < LAT_BUCKETS; b++) {
        seen += p->hist[b];
        if (seen > want) return (double)(2ull << b) / d->ticks_per_ns / 1e3;
    }
    return (double)p->max_ticks / d->ticks_per_ns / 1e3;
}

static uint64_t ops_over_us(const demo *d, const phase *p, double us) {
    uint64_t n = 0, limit = (uint64_t)(us * 1e3 * d->ticks_per_ns);
    for (int b = 0; b < LAT_BUCKETS; b++)
        if ((1ull << b) > limit) n += p->hist[b];
    return n;
}

static void report_latency(const demo *d, const char *name, const phase *p) {
    printf("%-10s latency  p99.9 <%6.1f us  p99.99 <%6.1f us  max %7.1f us  ops over 100 us: %llu "
           "of %llu\n",
           name, percentile_us(d, p, 0.999), percentile_us(d, p, 0.9999),
           (double)p->max_ticks / d->ticks_per_ns / 1e3, (unsigned long long)ops_over_us(d, p, 100),
           (unsigned long long)p->ops);
}

/* The same timer around an operation that does nothing but a store: what the machine itself
 * adds (interrupts, the hypervisor, the other core's work) to any single timed operation. */
static void noise_floor(const demo *d, phase *p, uint64_t ops) {
    volatile uint64_t sink = 0;
    *p = (phase){.t0 = now()};
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t t = ticks();
        sink = sink + i;
        time_op(p, t);
    }
    (void)d;
}

static int build(demo *d, ebb_u64map *m, phase *p, int survivors_only) {
    *p = (phase){.t0 = now()};
    d->next_progress = d->entries / 10;
    for (uint64_t i = 0; i < d->entries; i++) {
        if (survivors_only && !survives(i, d->seed)) continue;
        uint64_t t = ticks();
        int rc = ebb_u64map_put(m, key_of(i, d->seed), i);
        time_op(p, t);
        if (rc != EBB_INSERTED) {
            fprintf(stderr, "ebb demo: insert %" PRIu64 " failed: %s\n", i, ebb_strerror(rc));
            return -1;
        }
        if (!survivors_only) progress(d, "insert", i + 1, d->entries);
    }
    return 0;
}

/* Look every entry up. Untimed, for the phase's ns/op: a timer around each operation keeps a
 * lookup's cache misses from overlapping the next one's. Timed (a second pass), for the floor
 * that the insert and delete tails are read against: a lookup reads the table as they do but
 * never resizes, allocates or makes a system call. */
static int lookup_all(const demo *d, ebb_u64map *m, phase *p, bool timed) {
    *p = (phase){.t0 = now()};
    for (uint64_t i = 0; i < d->entries; i++) {
        uint64_t t = timed ? ticks() : 0;
        uint64_t *v = ebb_u64map_get(m, key_of(i, d->seed));
        if (timed) time_op(p, t);
        if (!v || *v != i) {
            fprintf(stderr, "ebb demo: lookup of entry %" PRIu64 " went wrong\n", i);
            return -1;
        }
    }
    p->ops = d->entries;
    return 0;
}

static int delete_most(demo *d, ebb_u64map *m, phase *p, uint64_t *survivors) {
    *p = (phase){.t0 = now()};
    d->next_progress = d->entries / 10;
    *survivors = 0;
    for (uint64_t i = 0; i < d->entries; i++) {
        progress(d, "delete", i + 1, d->entries);
        if (survives(i, d->seed)) {
            ++*survivors;
            continue;
        }
        uint64_t t = ticks();
        bool found = ebb_u64map_delete(m, key_of(i, d->seed));
        time_op(p, t);
        if (!found) {
            fprintf(stderr, "ebb demo: entry %" PRIu64 " was missing at delete\n", i);
            return -1;
        }
    }
    return 0;
}

/* RSS of a fresh process holding only the survivors: this binary, run again. */
static long long reference_rss(const demo *d) {
    char entries[32], seed[32];
    snprintf(entries, sizeof entries, "%" PRIu64, d->entries);
    snprintf(seed, sizeof seed, "%" PRIu64, d->seed);
    char *argv[] = {"ebb", "demo", "--reference-child", "--entries", entries, "--seed", seed, NULL};
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
    ssize_t n = read(fd[0], buf, sizeof buf - 1);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    long long rss = -1;
    if (n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) sscanf(buf, "rss=%lld", &rss);
    return rss;
}

static int run_reference_child(demo *d) {
    ebb_u64map m;
    ebb_u64map_init(&m);
    phase p;
    if (build(d, &m, &p, 1) != 0) return 1;
    printf("rss=%zu\n", rss_bytes());
    ebb_u64map_destroy(&m);
    return 0;
}

static int run(demo *d) {
    if (d->pager && ebb_pager_start() != EBB_OK) {
        fprintf(stderr, "ebb demo: the pager's thread could not be started\n");
        return 1;
    }
    size_t rss_before = rss_bytes();
    d->ticks_per_ns = calibrate_ticks_per_ns();
    printf("ebb demo: %" PRIu64 " random u64 -> u64 entries; insert all, look up all, delete 90%%, "
           "clear%s\n",
           d->entries, d->pager ? "; unmapping on the pager's thread" : "");
    printf("%-10s rss %.1f MB before the map is built\n", "start", mb(rss_before));
    ebb_u64map m;
    ebb_u64map_init(&m);
    phase ins, look, del, clr;
    uint64_t survivors;
    if (build(d, &m, &ins, 0) != 0) return 1;
    report(d, "insert", &m, &ins);
    ebb_stats peak;
    ebb_u64map_stats(&m, &peak);
    if (lookup_all(d, &m, &look, false) != 0) return 1;
    report(d, "lookup", &m, &look);
    phase timed_look;
    if (lookup_all(d, &m, &timed_look, true) != 0) return 1;
    if (delete_most(d, &m, &del, &survivors) != 0) return 1;
    del.t1 = now();
    if (d->pager) ebb_pager_wait();
    report(d, "delete", &m, &del);
    size_t rss_after_delete = rss_bytes();
    long long ref = reference_rss(d);
    if (ref <= 0) {
        fprintf(stderr, "ebb demo: the reference process failed\n");
        return 1;
    }
    printf("%-10s entries %10" PRIu64 "  rss %8.1f MB  (a fresh process that inserted only the "
           "survivors)\n",
           "reference", survivors, mb((size_t)ref));
    report_latency(d, "insert", &ins);
    report_latency(d, "delete", &del);
    report_latency(d, "lookup", &timed_look);
    phase noise;
    noise_floor(d, &noise, ins.ops + del.ops);
    report_latency(d, "noise", &noise);
    printf("%-10s (floors: a lookup never resizes, allocates or makes a system call; noise is the\n"
           "%-10s same timer around an empty operation, as many times as inserts and deletes)\n",
           "", "");
    clr = (phase){.t0 = now()};
    uint64_t t = ticks();
    ebb_u64map_clear(&m);
    time_op(&clr, t); /* the one op of the phase */
    clr.t1 = now();
    if (d->pager) ebb_pager_wait();
    report(d, "clear", &m, &clr);
    size_t rss_after_clear = rss_bytes();
    if (d->pager) {
        ebb_pager_stats ps;
        ebb_pager_get_stats(&ps);
        printf("%-10s %" PRIu64 " tables (%.1f MB) unmapped on the pager's thread; the RSS "
               "readings above waited for it\n",
               "pager", ps.done, mb((size_t)ps.unmapped_bytes));
    }
    uint64_t max_ticks = ins.max_ticks > del.max_ticks ? ins.max_ticks : del.max_ticks;
    printf("summary: entries=%zu survivors=%" PRIu64 " rss_ratio=%.3f max_op_us=%.1f "
           "clear_rss_delta_mb=%.2f\n",
           peak.entries, survivors, (double)rss_after_delete / (double)ref,
           (double)max_ticks / d->ticks_per_ns / 1e3,
           ((double)rss_after_clear - (double)rss_before) / (1024.0 * 1024.0));
    ebb_u64map_destroy(&m);
    return 0;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: ebb demo [--entries N] [--seed S] [--pager]\n"
            "\n"
            "Insert N random u64 -> u64 entries (default 10000000), look them all up, delete\n"
            "90%% at random, then clear. After each phase it prints entries, process RSS, table\n"
            "bytes held, load, longest probe, ns/op and the slowest single operation; then the\n"
            "RSS of a fresh process holding only the survivors. The last line is a summary:\n"
            "  summary: entries= survivors= rss_ratio= max_op_us= clear_rss_delta_mb=\n"
            "\n"
            "N accepts a k, M or G suffix (10M = 10000000); 10 <= N <= 1000000000 (1G).\n"
            "--pager hands unmapping to ebb's background thread (ebb_pager_start).\n");
}

/* A count: digits with an optional k/M/G suffix (powers of ten). */
static int parse_count(const char *s, uint64_t *out) {
    if (!s || *s < '0' || *s > '9') return -1; /* no sign, no leading space */
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return -1;
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1000, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1000000, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1000000000, end++;
    if (*end != '\0' || v > UINT64_MAX / mult) return -1;
    *out = v * mult;
    return 0;
}

static int demo_main(int argc, char **argv) {
    demo d = {.entries = DEFAULT_ENTRIES,
              .seed = 0x5eed,
              .progress_tty = isatty(STDERR_FILENO),
              .ticks_per_ns = 1.0};
    int child = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--reference-child")) {
            child = 1;
        } else if (!strcmp(a, "--pager")) {
            d.pager = 1;
        } else if (!strcmp(a, "--entries") || !strcmp(a, "--seed")) {
            uint64_t v;
            if (i + 1 >= argc || parse_count(argv[i + 1], &v) != 0) {
                fprintf(stderr, "ebb demo: %s needs a positive whole number, got '%s'\n", a,
                        i + 1 < argc ? argv[i + 1] : "");
                return 2;
            }
            if (a[2] == 'e' && (v < 10 || v > MAX_ENTRIES)) {
                fprintf(stderr, "ebb demo: --entries must be between 10 and %llu, got %s\n",
                        (unsigned long long)MAX_ENTRIES, argv[i + 1]);
                return 2;
            }
            *(a[2] == 'e' ? &d.entries : &d.seed) = v;
            i++;
        } else {
            fprintf(stderr, "ebb demo: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (child) {
        d.progress_tty = 0;
        return run_reference_child(&d);
    }
    return run(&d);
}

int ebb_cmd_demo(int argc, char **argv) {
    return ebb_tool_finish_stdout("ebb demo", demo_main(argc, argv));
}
