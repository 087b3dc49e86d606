/* Minimal test harness shared by every file of tests/.
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_EQ_U(a, b); }
 *   int main(void) { RUN(test_something); return check_summary(); }
 *
 * A failed CHECK prints file:line and the expression and returns from the test function; the
 * binary exits non-zero if any check failed. EBB_TEST_SCALE (a float, default 1) lets slow
 * builds (sanitizers) shrink the workloads: use test_scaled(n). */
#ifndef EBB_TESTS_CHECK_H
#define EBB_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_tests;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                           \
    do {                                                                                           \
        unsigned long long check_a_ = (unsigned long long)(a);                                     \
        unsigned long long check_b_ = (unsigned long long)(b);                                     \
        if (check_a_ != check_b_) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", __FILE__, __LINE__,  \
                    #a, #b, check_a_, check_b_);                                                   \
            check_failures++;                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int check_before_ = check_failures;                                                        \
        check_tests++;                                                                             \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", check_failures == check_before_ ? "ok  " : "FAIL", #fn);        \
    } while (0)

static inline double test_scale(void) {
    const char *s = getenv("EBB_TEST_SCALE");
    double v = s ? atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

static inline unsigned long test_scaled(unsigned long n) {
    unsigned long v = (unsigned long)((double)n * test_scale());
    return v ? v : 1;
}

static inline int check_summary(void) {
    fprintf(stderr, "%d tests, %d failed checks\n", check_tests, check_failures);
    return check_failures ? 1 : 0;
}

#endif
