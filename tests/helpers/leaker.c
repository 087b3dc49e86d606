/* Test child for `ebb watch`: holds BASE_MB resident, stays flat for DELAY_S seconds, then leaks
 * RATE_MB_PER_S (touching fresh pages every 10 ms) until it has run DURATION_S seconds in all,
 * or until killed when DURATION_S is 0. Memory comes from one reserved mapping whose pages are
 * touched in order, so RSS follows the intended curve exactly.
 *   leaker BASE_MB RATE_MB_PER_S DELAY_S DURATION_S */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: leaker BASE_MB RATE_MB_PER_S DELAY_S DURATION_S\n");
        return 2;
    }
    double base = atof(argv[1]) * 1048576, rate = atof(argv[2]) * 1048576;
    double delay = atof(argv[3]), duration = atof(argv[4]);
    size_t reserve = (size_t)64 << 30;
    char *mem = mmap(NULL, reserve, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) return 1;
    size_t touched = 0;
    double start = now();
    for (;;) {
        double t = now() - start;
        if (duration > 0 && t >= duration) return 0;
        double want = base + (t > delay ? (t - delay) * rate : 0);
        for (; touched < (size_t)want && touched < reserve; touched += 4096)
            mem[touched] = 1;
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}
