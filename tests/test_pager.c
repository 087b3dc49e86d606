/* The pager (src/pager.c): unmapping on a background thread.
 *
 *   - with it running, no insert, delete, clear or destroy unmaps a table itself: every munmap
 *     of a table comes from the pager's thread, while releases behind migration
 *     (MADV_DONTNEED) stay on the map's (this file replaces both calls for its program and
 *     notes the caller; not under TSan, whose own interceptors they would bypass);
 *   - the memory still goes back: RSS after deleting 90% and after clear, once the pager has
 *     caught up, as without it;
 *   - maps stay right: the differential driver runs in two threads at once, each on its own map,
 *     while a third starts and stops the pager over and over (TSan checks the locking);
 *   - stop and wait leave nothing outstanding; start and stop may be repeated;
 *   - a child of fork() starts without the pager, and its maps work; it unmaps at once what the
 *     parent had handed over and not yet seen unmapped;
 *   - with the pager starved and its ring full, a hand-over waits for room and goes on when the
 *     pager does; stopped meanwhile, the caller unmaps its tables itself, and none stays mapped. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ebb/u64map.h"

#define DMAP   ebb_u64map
#define DRIVER diff_map
#include "diff_driver.h"
#undef DMAP
#undef DRIVER

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif
#define WATCH_CALLS (!UNDER_TSAN)

static const uint64_t SEED = 0x5eed;

/* Insert keys scramble(0..n-1); whether every one was new. */
static bool fill(ebb_u64map *m, size_t n) {
    bool ok = true;
    for (uint64_t i = 0; i < n; i++)
        ok &= ebb_u64map_put(m, scramble(i, SEED), i) == EBB_INSERTED;
    return ok;
}

#if WATCH_CALLS
/* Calls that return table pages, by the thread that made them: the test's main thread, or any
 * other (the pager). */
static pthread_t main_thread;
static _Atomic unsigned long main_releases, main_unmaps, other_releases, other_unmaps;

int madvise(void *addr, size_t len, int advice) {
    if (advice == MADV_DONTNEED) {
        if (pthread_equal(pthread_self(), main_thread))
            main_releases++;
        else
            other_releases++;
    }
    return (int)syscall(SYS_madvise, addr, len, advice);
}

/* Only unmaps of 64 KiB and more: tables that large are ebb's own mappings (src/table.c);
 * stdio and the runtime unmap smaller ones of their own. */
static _Atomic int hold_pager, pager_held; /* the pager's munmaps wait while hold_pager is set */

int munmap(void *addr, size_t len) {
    if (len >= 64 * 1024 && hold_pager && !pthread_equal(pthread_self(), main_thread)) {
        pager_held = 1;
        while (hold_pager)
            usleep(1000);
    }
    if (len >= 64 * 1024) {
        if (pthread_equal(pthread_self(), main_thread))
            main_unmaps++;
        else
            other_unmaps++;
    }
    return (int)syscall(SYS_munmap, addr, len);
}

/* Grow to n and clear, grow again and delete to zero: with the pager running every unmap of a
 * table is the pager's, and every release the caller's. Then the same with the pager stopped:
 * every unmap is the caller's (the counts can tell the two apart). */
static void cycle(size_t n) {
    ebb_u64map m;
    ebb_u64map_init(&m);
    for (int round = 0; round < 2; round++) {
        fill(&m, n);
        if (round == 0) {
            ebb_u64map_clear(&m);
            continue;
        }
        for (uint64_t i = 0; i < n; i++)
            ebb_u64map_delete(&m, scramble(i, SEED));
    }
    ebb_u64map_destroy(&m);
}

static void test_calls_leave_the_callers_thread(void) {
    size_t n = test_scaled(1000000);
    main_thread = pthread_self();
    CHECK_EQ_U(ebb_pager_start(), EBB_OK);
    cycle(n);
    ebb_pager_wait();
    unsigned long mr = main_releases, mu = main_unmaps, pr = other_releases, pu = other_unmaps;
    ebb_pager_stop();
    main_unmaps = 0;
    cycle(n);
    fprintf(stderr,
            "  pager running: %lu unmaps on the pager, %lu here, releases %lu here and %lu on the "
            "pager; stopped: %lu unmaps here\n",
            pu, mu, mr, pr, (unsigned long)main_unmaps);
    CHECK_EQ_U(mu, 0);
    CHECK(pu >= 20);
    CHECK_EQ_U(pr, 0);
    CHECK(mr >= 20);
    CHECK(main_unmaps >= 20);
}
#endif

/* RSS in MiB after deleting 90% of n keys and after a clear, each once the pager is idle. */
static void rss_after(size_t n, double *after_delete, double *after_clear) {
    ebb_u64map m;
    ebb_u64map_init(&m);
    fill(&m, n);
    for (uint64_t i = 0; i < n; i++)
        if (i % 10) ebb_u64map_delete(&m, scramble(i, SEED));
    ebb_pager_wait();
    *after_delete = (double)rss_bytes() / 1048576.0;
    ebb_u64map_clear(&m);
    ebb_pager_wait();
    *after_clear = (double)rss_bytes() / 1048576.0;
    ebb_u64map_destroy(&m);
}

static void test_memory_still_returns(void) {
    size_t n = test_scaled(2000000);
    double base = (double)rss_bytes() / 1048576.0, del_on, clear_on, del_off, clear_off;
    CHECK_EQ_U(ebb_pager_start(), EBB_OK);
    rss_after(n, &del_on, &clear_on);
    ebb_pager_stats st;
    ebb_pager_get_stats(&st);
    ebb_pager_stop();
    rss_after(n, &del_off, &clear_off);
    fprintf(stderr,
            "  %zu keys, 90%% deleted: RSS %.1f MiB with the pager, %.1f without (%.1f before); "
            "after clear %.1f and %.1f; pager unmapped %.1f MiB in %llu calls\n",
            n, del_on, del_off, base, clear_on, clear_off, (double)st.unmapped_bytes / 1048576.0,
            (unsigned long long)st.done);
    CHECK(st.done >= 10 && st.unmapped_bytes > n * 16);
    CHECK(del_on <= del_off * 1.1 + 1.0);
    CHECK(clear_on <= clear_off + 1.0);
    CHECK(UNDER_TSAN || clear_on <= base + 1.0); /* TSan's shadow of the table stays resident */
}

/* Two threads run the differential driver, each on its own map; a third starts and stops the
 * pager until they are done. */
static _Atomic bool drivers_done;

static void *drive(void *seed) {
    diff_map((uint64_t)(uintptr_t)seed, test_scaled(400000), test_scaled(600000));
    return NULL;
}

static void *toggle(void *unused) {
    (void)unused;
    unsigned long toggles = 0;
    while (!atomic_load(&drivers_done)) {
        if (ebb_pager_start() != EBB_OK) break;
        usleep(2000);
        if (toggles++ % 3 == 0) ebb_pager_wait();
        ebb_pager_stop();
        usleep(500);
    }
    return (void *)(uintptr_t)toggles;
}

static void test_maps_stay_right_while_the_pager_comes_and_goes(void) {
    pthread_t a, b, t;
    void *toggles = NULL;
    atomic_store(&drivers_done, false);
    CHECK(pthread_create(&t, NULL, toggle, NULL) == 0);
    CHECK(pthread_create(&a, NULL, drive, (void *)(uintptr_t)3) == 0);
    CHECK(pthread_create(&b, NULL, drive, (void *)(uintptr_t)4) == 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    atomic_store(&drivers_done, true);
    pthread_join(t, &toggles);
    ebb_pager_stats st;
    ebb_pager_get_stats(&st);
    fprintf(stderr, "  pager started %lu times; %llu calls handed over, %llu made, %llu waits\n",
            (unsigned long)(uintptr_t)toggles, (unsigned long long)st.handed,
            (unsigned long long)st.done, (unsigned long long)st.waits);
    CHECK((uintptr_t)toggles >= 2);
    CHECK(st.handed > 0);
    CHECK_EQ_U(st.done, st.handed);
    CHECK_EQ_U(st.pending_bytes, 0);
    CHECK_EQ_U(st.running, 0);
}

static void test_start_stop_wait_repeat(void) {
    ebb_pager_wait(); /* not running: returns at once */
    ebb_pager_stop(); /* not running: nothing to do */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_U(ebb_pager_start(), EBB_OK);
        CHECK_EQ_U(ebb_pager_start(), EBB_OK); /* already running */
        ebb_pager_stats st;
        ebb_pager_get_stats(&st);
        CHECK_EQ_U(st.running, 1);
        ebb_u64map m;
        ebb_u64map_init(&m);
        bool filled = fill(&m, 100000);
        ebb_u64map_destroy(&m); /* one unmap, handed over */
        CHECK(filled);
        ebb_pager_stop();
        ebb_pager_get_stats(&st);
        CHECK_EQ_U(st.running, 0);
        CHECK_EQ_U(st.done, st.handed);
        CHECK_EQ_U(st.pending_bytes, 0);
    }
}

/* The child of a fork made while the pager runs (with calls outstanding, likely: a 200 MiB
 * table's unmap was just handed over) has no pager, and its maps grow, shrink and clear. */
static void test_fork_child_starts_without_pager(void) {
    CHECK_EQ_U(ebb_pager_start(), EBB_OK);
    ebb_u64map m;
    ebb_u64map_init(&m);
    size_t n = test_scaled(1000000);
    CHECK(fill(&m, n));
    ebb_u64map_clear(&m);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        ebb_pager_stats st;
        ebb_pager_get_stats(&st);
        int bad = st.running != 0 || st.pending_bytes != 0;
        bad |= !fill(&m, n);
        for (uint64_t i = 0; i < n; i++)
            bad |= !ebb_u64map_delete(&m, scramble(i, SEED));
        bad |= ebb_u64map_count(&m) != 0 || ebb_u64map_check(&m) != 0;
        /* Its own pager, if it wants one (TSan supports no threads after such a fork). */
        bad |= !UNDER_TSAN && ebb_pager_start() != EBB_OK;
        ebb_u64map_destroy(&m);
        ebb_pager_stop();
        _exit(bad);
    }
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    ebb_u64map_destroy(&m);
    ebb_pager_stop();
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#if WATCH_CALLS
/* Whether the page at p is mapped in this process. */
static bool is_mapped(const unsigned char *p) {
    unsigned char in;
    return mincore((void *)p, 1, &in) == 0;
}

/* A child forked while unmaps are outstanding makes them itself, at once: the ranges are mapped
 * in it as pages shared with the parent, and once the parent had unmapped its side they would
 * be the child's alone, held for good. Here the pager is held inside the munmap of its first
 * piece of a cleared 1M map's table when the fork comes; its middle must be gone in
 * the child. (The piece being unmapped is no longer the job's, and stays: at most 8 MiB.) */
static void test_fork_child_unmaps_what_was_outstanding(void) {
    main_thread = pthread_self();
    CHECK_EQ_U(ebb_pager_start(), EBB_OK);
    ebb_u64map m;
    ebb_u64map_init(&m);
    CHECK(fill(&m, 1000000));
    const unsigned char *base = (const unsigned char *)ebb_head(&m.core.cur);
    size_t bytes = ebb_head(&m.core.cur)->bytes, page = (size_t)sysconf(_SC_PAGESIZE);
    CHECK(bytes > 16u << 20);                                  /* more than one piece */
    const unsigned char *mid = base + bytes / 2 / page * page; /* past the first piece */
    hold_pager = 1; /* no CHECK may return before it is cleared */
    pager_held = 0;
    ebb_u64map_clear(&m);
    for (int i = 0; i < 10000 && !pager_held; i++)
        usleep(1000);
    bool held = pager_held, before = is_mapped(mid);
    fflush(NULL);
    pid_t pid = held ? fork() : -1;
    if (pid == 0) {
        ebb_pager_stats st;
        ebb_pager_get_stats(&st);
        if (is_mapped(mid) || st.dropped != 1 || st.pending_bytes != 0)
            fprintf(stderr, "  child: mid page mapped %d, dropped %llu, pending %zu\n",
                    is_mapped(mid), (unsigned long long)st.dropped, st.pending_bytes);
        _exit(is_mapped(mid) || st.dropped != 1 || st.pending_bytes != 0);
    }
    int status = 0;
    bool forked = pid > 0 && waitpid(pid, &status, 0) == pid;
    hold_pager = 0;
    ebb_pager_wait();
    CHECK(held);
    CHECK(before);
    CHECK(!is_mapped(mid));
    ebb_u64map_destroy(&m);
    ebb_pager_stop();
    CHECK(forked);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- A full ring: the pager starved (here held inside its first munmap) ---- */

/* More tables than the pager's ring holds (1024 jobs in src/pager.c, the running one included),
 * each mapped (64 KiB and more) and handed over by destroy. */
#define RING_TABLES 1100
typedef struct hand_over {
    const unsigned char *base[RING_TABLES];
    _Atomic int done;
    bool ok;
} hand_over;

static void *hand_over_tables(void *arg) {
    hand_over *h = arg;
    h->ok = true;
    for (int i = 0; i < RING_TABLES; i++) {
        ebb_u64map m;
        ebb_u64map_init(&m);
        h->ok &= ebb_u64map_reserve(&m, 4096) == EBB_OK;
        h->ok &= m.core.cur.ngroups > 0 && ebb_head(&m.core.cur)->bytes >= 64 * 1024;
        h->base[i] = h->ok ? (const unsigned char *)ebb_head(&m.core.cur) : NULL;
        ebb_u64map_destroy(&m);
    }
    atomic_store(&h->done, 1);
    return NULL;
}

/* Start hand_over_tables on a thread with the pager held, and wait until a hand-over waits for
 * room (its stats say so); the stats from before in *before. False after 10 s without. */
static bool fill_the_ring(hand_over *h, pthread_t *thread, ebb_pager_stats *before) {
    main_thread = pthread_self();
    ebb_pager_get_stats(before);
    hold_pager = 1;
    pager_held = 0;
    if (pthread_create(thread, NULL, hand_over_tables, h) != 0) {
        hold_pager = 0;
        return false;
    }
    ebb_pager_stats st = *before;
    for (int i = 0; i < 10000 && st.waits == before->waits; i++) {
        usleep(1000);
        ebb_pager_get_stats(&st);
    }
    return st.waits > before->waits;
}

static size_t still_mapped(const hand_over *h) {
    size_t n = 0;
    for (int i = 0; i < RING_TABLES; i++)
        n += h->base[i] && is_mapped(h->base[i]);
    return n;
}

/* A hand-over to a full ring waits for room, and goes on as the pager catches up: every table
 * is handed over and unmapped in the end. */
static void test_full_ring_waits_for_room(void) {
    static hand_over h;
    pthread_t thread;
    ebb_pager_stats before, during, after;
    CHECK_EQ_U(ebb_pager_start(), EBB_OK);
    bool waited = fill_the_ring(&h, &thread, &before);
    ebb_pager_get_stats(&during);
    int done_while_held = atomic_load(&h.done);
    hold_pager = 0;
    pthread_join(thread, NULL);
    ebb_pager_wait();
    ebb_pager_get_stats(&after);
    ebb_pager_stop();
    fprintf(stderr, "  ring full: %llu handed over, %llu of them waited; %zu tables still mapped\n",
            (unsigned long long)(after.handed - before.handed),
            (unsigned long long)(after.waits - before.waits), still_mapped(&h));
    CHECK(waited);
    CHECK(h.ok);
    CHECK(!done_while_held);
    CHECK_EQ_U(during.handed - during.done, 1024); /* the ring holds no more */
    CHECK_EQ_U(after.handed - before.handed, RING_TABLES);
    CHECK_EQ_U(after.done, after.handed);
    CHECK_EQ_U(after.pending_bytes, 0);
    CHECK_EQ_U(still_mapped(&h), 0);
}

static void *stop_pager(void *unused) {
    (void)unused;
    ebb_pager_stop();
    return NULL;
}

/* Stopping the pager while a hand-over waits for room: the pager drains its ring, the waiting
 * caller unmaps its table itself once the ring is empty, and so do the calls after it. Nothing
 * is left mapped and nothing deadlocks. */
static void test_stop_while_a_caller_waits_for_room(void) {
    static hand_over h;
    pthread_t thread, stopper;
    ebb_pager_stats before, after;
    CHECK_EQ_U(ebb_pager_start(), EBB_OK);
    bool waited = fill_the_ring(&h, &thread, &before);
    bool stopping = pthread_create(&stopper, NULL, stop_pager, NULL) == 0;
    usleep(300 * 1000); /* let the stop be asked (it then waits for the held pager to drain) */
    hold_pager = 0;
    if (stopping) pthread_join(stopper, NULL);
    pthread_join(thread, NULL);
    ebb_pager_get_stats(&after);
    fprintf(stderr, "  stopped while full: %llu of %d tables handed over, %zu still mapped\n",
            (unsigned long long)(after.handed - before.handed), RING_TABLES, still_mapped(&h));
    CHECK(waited);
    CHECK(stopping);
    CHECK(h.ok);
    CHECK_EQ_U(after.running, 0);
    /* The ring was full when the stop came, so the tables after it the caller unmapped itself.
     * (This relies on the stopper having asked within the sleep above: two uncontended locks.)
     * A caller still queueing to a stopping pager shows here, or as tables left pending and
     * mapped; one never woken hangs the test. */
    CHECK(after.handed - before.handed >= 1024 && after.handed - before.handed < RING_TABLES);
    CHECK_EQ_U(after.done, after.handed);
    CHECK_EQ_U(after.pending_bytes, 0);
    CHECK_EQ_U(still_mapped(&h), 0);
}
#endif

int main(void) {
#if WATCH_CALLS
    RUN(test_calls_leave_the_callers_thread);
    RUN(test_fork_child_unmaps_what_was_outstanding);
    RUN(test_full_ring_waits_for_room);
    RUN(test_stop_while_a_caller_waits_for_room);
#endif
    RUN(test_memory_still_returns);
    RUN(test_maps_stay_right_while_the_pager_comes_and_goes);
    RUN(test_start_stop_wait_repeat);
    RUN(test_fork_child_starts_without_pager);
    return check_summary();
}
