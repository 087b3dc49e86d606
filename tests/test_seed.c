/* Per-map seeds (src/hash.c): one secret per process from getrandom, mixed with a counter.
 *
 *   - the secret is drawn once: creating many maps makes one getrandom call in all;
 *   - every map of a process gets its own seed, and two processes get different ones;
 *   - without entropy (getrandom failing, as early in boot) seeds still differ between maps and
 *     between processes, drawn from the clock, and the maps work.
 *
 * This file replaces getrandom for its program, to count its calls and to make it fail; each
 * case runs in a child of its own, whose secret is not yet drawn. */
#include <errno.h>
#include <stdbool.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ebb/u64map.h"

static int getrandom_fails; /* set in a child before its first map */
static int getrandom_calls;

ssize_t getrandom(void *buf, size_t len, unsigned flags) {
    getrandom_calls++;
    if (getrandom_fails) {
        errno = EAGAIN;
        return -1;
    }
    return (ssize_t)syscall(SYS_getrandom, buf, len, flags);
}

#define MAPS 64

/* In a child: make MAPS maps, check each works and that their seeds all differ and the secret
 * was drawn once; write the first seed to fd. Exit status 0 when all held. */
static void child_maps(int fd, bool fail) {
    getrandom_fails = fail;
    getrandom_calls = 0; /* ASan's runtime makes one call before main */
    static ebb_u64map m[MAPS];
    bool ok = true;
    for (int i = 0; i < MAPS; i++) {
        ebb_u64map_init(&m[i]);
        for (uint64_t k = 0; k < 1000; k++)
            ok &= ebb_u64map_put(&m[i], k * 1024, k) == EBB_INSERTED;
        for (uint64_t k = 0; k < 1000; k++) {
            const uint64_t *v = ebb_u64map_get(&m[i], k * 1024);
            ok &= v && *v == k;
        }
        for (int j = 0; j < i; j++)
            ok &= m[i].core.seed != m[j].core.seed;
    }
    ok &= getrandom_calls == 1;
    uint64_t first = m[0].core.seed;
    ok &= write(fd, &first, sizeof first) == (ssize_t)sizeof first;
    for (int i = 0; i < MAPS; i++)
        ebb_u64map_destroy(&m[i]);
    exit(ok ? 0 : 1); /* not _exit: a --coverage build writes its counts at exit */
}

/* Run child_maps in a fresh child; its first seed in *seed. */
static bool run_child(bool fail, uint64_t *seed) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_maps(fds[1], fail);
    }
    close(fds[1]);
    bool got = pid > 0 && read(fds[0], seed, sizeof *seed) == (ssize_t)sizeof *seed;
    close(fds[0]);
    int status = 0;
    bool passed =
        pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!passed)
        fprintf(stderr, "  child (getrandom %s) failed its checks\n", fail ? "failing" : "working");
    return got && passed;
}

static void test_seeds_differ_between_maps_and_processes(void) {
    uint64_t a = 0, b = 0;
    CHECK(run_child(false, &a));
    CHECK(run_child(false, &b));
    CHECK(a != b);
}

static void test_seeds_without_entropy(void) {
    uint64_t a = 0, b = 0;
    CHECK(run_child(true, &a));
    usleep(1000); /* the fallback reads the clock: two processes a moment apart */
    CHECK(run_child(true, &b));
    CHECK(a != b);
}

int main(void) {
    RUN(test_seeds_differ_between_maps_and_processes);
    RUN(test_seeds_without_entropy);
    return check_summary();
}
