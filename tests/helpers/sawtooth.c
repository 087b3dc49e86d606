/* Test child for `ebb watch`: a steady sawtooth around MEAN_MB, ±AMPLITUDE (a fraction), with a
 * period of PERIOD_S seconds: 90% of each period rising, 10% falling (freed pages are returned
 * with MADV_DONTNEED so RSS really drops). Runs DURATION_S seconds, or until killed when 0.
 *   sawtooth MEAN_MB AMPLITUDE PERIOD_S DURATION_S */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: sawtooth MEAN_MB AMPLITUDE PERIOD_S DURATION_S\n");
        return 2;
    }
    double mean = atof(argv[1]) * 1048576, amp = atof(argv[2]), period = atof(argv[3]);
    double duration = atof(argv[4]);
    size_t reserve = (size_t)(mean * (1 + amp)) + (1 << 20);
    char *mem = mmap(NULL, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 1;
    size_t touched = 0;
    double start = now();
    for (;;) {
        double t = now() - start;
        if (duration > 0 && t >= duration) return 0;
        double p = fmod(t, period) / period, x = p < 0.9 ? p / 0.9 : (1 - p) / 0.1;
        size_t want = (size_t)(mean * (1 - amp + 2 * amp * x)) & ~(size_t)4095;
        if (want > reserve) want = reserve & ~(size_t)4095;
        for (; touched < want; touched += 4096)
            mem[touched] = 1;
        if (touched > want) {
            madvise(mem + want, touched - want, MADV_DONTNEED);
            touched = want;
        }
        struct timespec tick = {0, 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
}
