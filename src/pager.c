/* pager.c — unmapping on a background thread (ebb_pager_start, <ebb/ebb.h>).
 *
 * Structure. One pager per process: a ring of QUEUE_JOBS ranges to unmap under one mutex, and
 * one thread that unmaps them in order. A map hands it what it would otherwise munmap itself
 * (src/table.c): a retired table, or the table of a map being cleared or destroyed. munmap
 * frees every resident page of its range: for a table of hundreds of megabytes, milliseconds
 * (which the map without the pager avoids only by releasing a retiring table's pages a chunk
 * per step first, and then unmapping it in 32 MiB steps of 42-76 us); handing it over costs a
 * lock and a wake-up. The thread unmaps in pieces of UNMAP_PIECE, so that it never holds the
 * process's mmap lock for long.
 *
 * Releases (madvise(MADV_DONTNEED) behind migration) stay on the map's thread: handed to the
 * pager as well (a scratch build), they made the map thread's own page faults slow while they
 * ran, which cost more than they saved (docs/design.md, "Unmapping off the caller's thread").
 *
 * Invariants. Ranges are unmapped in the order they were handed over, and an unmap made on the
 * caller's thread instead (the pager stopped meanwhile) waits until none is outstanding. A
 * range is memory its map will never touch again; the pager touches nothing else. `head` counts
 * jobs finished, `tail` jobs handed over: the ring holds [head, tail), and the job at head is
 * the one running.
 *
 * Costs: one mutex round trip per job and per piece of it, and a futex wake when the thread
 * sleeps. When the ring is full (the thread starved of CPU), the caller waits for room.
 *
 * fork: the child has no pager thread. It unmaps the jobs outstanding at once (their ranges are
 * the parent's pages, shared until written; once the parent unmapped its side they would be the
 * child's alone, for good) and starts with the pager stopped. The one piece (up to 8 MiB) the
 * thread was unmapping at the fork stays mapped in the child: whether that munmap came before
 * the fork, and its range was mapped again since, cannot be known, and unmapping a range reused
 * by a new table would lose its entries. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "ebb/ebb.h"
#include "pager.h"

#define QUEUE_JOBS 1024

typedef struct job {
    void *addr;
    size_t len;
} job;

static struct {
    pthread_mutex_t mu;      /* everything below but `active` */
    pthread_mutex_t control; /* serialises start, stop and fork */
    pthread_cond_t work;     /* a job arrived, or stop was asked */
    pthread_cond_t idle;     /* a job finished */
    pthread_t thread;
    bool running;   /* the thread exists */
    bool accepting; /* submit() may queue */
    uint64_t head, tail;
    job ring[QUEUE_JOBS];
    ebb_pager_stats st;
} pager = {.mu = PTHREAD_MUTEX_INITIALIZER,
           .control = PTHREAD_MUTEX_INITIALIZER,
           .work = PTHREAD_COND_INITIALIZER,
           .idle = PTHREAD_COND_INITIALIZER};

/* True from start until the thread has exited: while false, no job is outstanding, and maps
 * unmap on their own thread without taking the lock. */
static _Atomic bool active;

/* Unmapping holds the process's mmap lock for writing, and a page fault on a program thread
 * that needs that lock waits until it is let go: so a range goes in pieces, as the inline path
 * unmaps a retired table in 32 MiB steps. A precaution: no run here has told pieces and one
 * call apart (the slow faults first blamed on this came from releases, above). */
#ifndef UNMAP_PIECE
#define UNMAP_PIECE (8u << 20)
#endif

/* munmap, or where the kernel refuses it, give the pages back all the same. Unmapping part of a
 * mapping can split it in two, which fails once the process holds vm.max_map_count mappings (a
 * table's mapping may have merged with a neighbour's, so even a whole table can be a part).
 * The address range then stays reserved, but its memory returns. */
static void unmap_or_release(void *addr, size_t len) {
    if (munmap(addr, len) != 0) madvise(addr, len, MADV_DONTNEED);
}

/* Unmap the job at the ring's head, a piece at a time. Each piece is taken off the job under the
 * lock before it is unmapped, so the job always holds exactly what no munmap has been asked for
 * yet: a child forked meanwhile unmaps that, and never a piece the parent may already have
 * unmapped and mapped again. Called and returns with the lock held. */
static void run_head(void) {
    job *j = &pager.ring[pager.head % QUEUE_JOBS];
    while (j->len > 0) {
        unsigned char *at = j->addr; /* page-aligned, and so is every piece after it */
        size_t len = j->len > UNMAP_PIECE ? UNMAP_PIECE : j->len;
        j->addr = at + len;
        j->len -= len;
        pthread_mutex_unlock(&pager.mu);
        unmap_or_release(at, len);
        pthread_mutex_lock(&pager.mu);
        pager.st.pending_bytes -= len;
        pager.st.unmapped_bytes += len;
    }
}

static void *pager_main(void *unused) {
    (void)unused;
    pthread_mutex_lock(&pager.mu);
    for (;;) {
        while (pager.head == pager.tail && pager.accepting)
            pthread_cond_wait(&pager.work, &pager.mu);
        if (pager.head == pager.tail) break; /* stopped and drained */
        run_head();
        pager.head++;
        pager.st.done++;
        pthread_cond_broadcast(&pager.idle);
    }
    pthread_mutex_unlock(&pager.mu);
    return NULL;
}

/* Queue a job; false when the caller must unmap itself (after any outstanding jobs, which this
 * waits for). */
static bool submit(void *addr, size_t len) {
    if (!atomic_load_explicit(&active, memory_order_acquire)) return false;
    pthread_mutex_lock(&pager.mu);
    if (pager.accepting && pager.tail - pager.head == QUEUE_JOBS) {
        pager.st.waits++;
        while (pager.accepting && pager.tail - pager.head == QUEUE_JOBS)
            pthread_cond_wait(&pager.idle, &pager.mu);
    }
    if (!pager.accepting) {
        while (pager.head != pager.tail)
            pthread_cond_wait(&pager.idle, &pager.mu);
        pthread_mutex_unlock(&pager.mu);
        return false;
    }
    pager.ring[pager.tail++ % QUEUE_JOBS] = (job){addr, len};
    pager.st.handed++;
    pager.st.pending_bytes += len;
    pthread_cond_signal(&pager.work);
    pthread_mutex_unlock(&pager.mu);
    return true;
}

void ebb_pages_unmap(void *addr, size_t len) {
    if (!submit(addr, len)) unmap_or_release(addr, len);
}

bool ebb_pager_running(void) {
    return atomic_load_explicit(&active, memory_order_relaxed);
}

/* ---- fork ---------------------------------------------------------------------------------- */

static void before_fork(void) {
    pthread_mutex_lock(&pager.control);
    pthread_mutex_lock(&pager.mu);
}

static void after_fork_parent(void) {
    pthread_mutex_unlock(&pager.mu);
    pthread_mutex_unlock(&pager.control);
}

/* The child has no pager thread. What the parent had handed over is mapped here too, as pages
 * shared until written, and the parent unmapping its side would leave them to the child alone:
 * so the child unmaps what is outstanding, now, on its only thread. */
static void after_fork_child(void) {
    for (; pager.head != pager.tail; pager.head++) {
        job *j = &pager.ring[pager.head % QUEUE_JOBS];
        if (j->len) unmap_or_release(j->addr, j->len);
        pager.st.unmapped_bytes += j->len;
        pager.st.dropped++;
    }
    pager.st.pending_bytes = 0;
    pager.running = pager.accepting = false;
    atomic_store_explicit(&active, false, memory_order_relaxed);
    /* Waiters of the parent do not exist here. */
    pthread_cond_init(&pager.work, NULL);
    pthread_cond_init(&pager.idle, NULL);
    pthread_mutex_unlock(&pager.mu);
    pthread_mutex_unlock(&pager.control);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static int fork_hooked; /* pthread_atfork's result */

static void hook_fork(void) {
    fork_hooked = pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* ---- The API ------------------------------------------------------------------------------- */

/* The thread starts with every signal blocked, so signals meant for the program go to its own
 * threads; it is named for ps, top and /proc. */
static int spawn(void) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&pager.thread, NULL, pager_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) return EBB_ESYS;
    pthread_setname_np(pager.thread, "ebb-pager");
    return EBB_OK;
}

int ebb_pager_start(void) {
    pthread_once(&fork_once, hook_fork);
    if (fork_hooked != 0) return EBB_ESYS;
    pthread_mutex_lock(&pager.control);
    int rc = EBB_OK;
    if (!pager.running) {
        pthread_mutex_lock(&pager.mu);
        pager.accepting = true;
        rc = spawn();
        pager.running = rc == EBB_OK;
        pager.accepting = pager.running;
        atomic_store_explicit(&active, pager.running, memory_order_release);
        pthread_mutex_unlock(&pager.mu);
    }
    pthread_mutex_unlock(&pager.control);
    return rc;
}

void ebb_pager_stop(void) {
    pthread_mutex_lock(&pager.control);
    if (pager.running) {
        pthread_mutex_lock(&pager.mu);
        pager.accepting = false;
        pthread_cond_broadcast(&pager.work);
        pthread_mutex_unlock(&pager.mu);
        pthread_join(pager.thread, NULL); /* it drains the ring first */
        pthread_mutex_lock(&pager.mu);
        pager.running = false;
        atomic_store_explicit(&active, false, memory_order_release);
        pthread_mutex_unlock(&pager.mu);
    }
    pthread_mutex_unlock(&pager.control);
}

void ebb_pager_wait(void) {
    pthread_mutex_lock(&pager.mu);
    while (pager.head != pager.tail)
        pthread_cond_wait(&pager.idle, &pager.mu);
    pthread_mutex_unlock(&pager.mu);
}

void ebb_pager_get_stats(ebb_pager_stats *st) {
    pthread_mutex_lock(&pager.mu);
    *st = pager.st;
    st->running = pager.running;
    pthread_mutex_unlock(&pager.mu);
}
