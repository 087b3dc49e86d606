/* Differential test: random operations on ebb maps and on a trivially correct reference, tens of
 * millions of them across seeds, through growth, steady churn, shrinking and iteration with
 * deletes (tests/diff_driver.h). Four map types: the library's ebb_u64map, a template map with
 * the default hash, one with an identity user hash (weak hash, post-mixed by ebb), and one that
 * keeps each entry's hash in its slot (EBB_STORE_HASH, as string maps do). */
#include <stdint.h>

#include "ebb/u64map.h"

#define EBB_NAME tmap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#include "ebb/map.h"

#define EBB_NAME    weakmap
#define EBB_KEY     uint64_t
#define EBB_VAL     uint64_t
#define EBB_HASH(k) (k)
#include "ebb/map.h"

#define EBB_NAME keptmap
#define EBB_KEY  uint64_t
#define EBB_VAL  uint64_t
#define EBB_STORE_HASH
#include "ebb/map.h"

#define DMAP   ebb_u64map
#define DRIVER diff_library_map
#include "diff_driver.h"
#undef DMAP
#undef DRIVER

#define DMAP   tmap
#define DRIVER diff_template_map
#include "diff_driver.h"
#undef DMAP
#undef DRIVER

#define DMAP   weakmap
#define DRIVER diff_weak_hash_map
#include "diff_driver.h"
#undef DMAP
#undef DRIVER

#define DMAP   keptmap
#define DRIVER diff_kept_hash_map
#include "diff_driver.h"
#undef DMAP
#undef DRIVER

static void test_scramble_is_a_bijection(void) {
    for (uint64_t i = 0; i < 100000; i++)
        CHECK_EQ_U(unscramble(scramble(i, 42), 42), i);
}

static void test_small_universe_many_seeds(void) {
    for (uint64_t seed = 1; seed <= test_scaled(40); seed++)
        diff_template_map(seed, 2000, test_scaled(20000));
}

static void test_library_map(void) {
    diff_library_map(7, test_scaled(1u << 20), test_scaled(3000000));
}

static void test_template_map(void) {
    diff_template_map(11, test_scaled(1u << 21), test_scaled(4000000));
}

static void test_weak_hash_map(void) {
    diff_weak_hash_map(13, test_scaled(1u << 20), test_scaled(3000000));
}

static void test_kept_hash_map(void) {
    diff_kept_hash_map(17, test_scaled(1u << 20), test_scaled(3000000));
}

int main(void) {
    RUN(test_scramble_is_a_bijection);
    RUN(test_small_universe_many_seeds);
    RUN(test_library_map);
    RUN(test_template_map);
    RUN(test_weak_hash_map);
    RUN(test_kept_hash_map);
    return check_summary();
}
