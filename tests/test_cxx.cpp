/* The public headers used from C++ (built as C++11, with the same warnings as the library):
 * the ready-made maps and the template, checked against std::unordered_map. C++ services are
 * among ebb's users, and nothing else in the suite compiles a header as C++; that the headers
 * compile alone and refuse keys that are not trivially copyable is tests/cxx_headers.sh's. */
#include <cinttypes>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ebb/strmap.h"
#include "ebb/u64map.h"

#include "check.h"

struct point {
    uint32_t x, y;
};

static uint64_t point_hash(point p) {
    return (uint64_t)p.x << 32 | p.y;
}

static int values_dropped; /* how many times the template's value destructor ran */

#define EBB_NAME        pointmap
#define EBB_KEY         point
#define EBB_VAL         int
#define EBB_HASH(k)     point_hash(k)
#define EBB_EQ(a, b)    ((a).x == (b).x && (a).y == (b).y)
#define EBB_VAL_DTOR(v) ((void)(v), values_dropped++)
#include "ebb/map.h"

static uint64_t next_random(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random puts, gets, get-or-inserts, deletes and takes over a key range that makes the map grow
 * and shrink, each answer compared with std::unordered_map's. */
static void test_u64map_against_unordered_map(void) {
    ebb_u64map m;
    ebb_options o = {};
    o.seed = 7;
    o.flags = EBB_FIXED_SEED;
    ebb_u64map_init_with(&m, &o);
    std::unordered_map<uint64_t, uint64_t> ref;
    uint64_t s = 88172645463325252ull;
    unsigned long ops = test_scaled(400000);
    /* Phases of 50,000 operations: mostly inserts, then mostly removals, and so on. */
    static const int grow_mix[8] = {0, 0, 0, 0, 1, 2, 3, 4},
                     shrink_mix[8] = {0, 1, 3, 4, 4, 4, 4, 4};
    for (unsigned long i = 0; i < ops; i++) {
        uint64_t r = next_random(&s);
        uint64_t k = r % 60000, v = r >> 20;
        const int *mix = (i / 50000) % 2 ? shrink_mix : grow_mix;
        switch (mix[r >> 61]) {
        case 0: {
            int rc = ebb_u64map_put(&m, k, v);
            CHECK(rc == (ref.count(k) ? EBB_OK : EBB_INSERTED));
            ref[k] = v;
            break;
        }
        case 1: {
            uint64_t *got = ebb_u64map_get(&m, k);
            auto it = ref.find(k);
            CHECK((got != nullptr) == (it != ref.end()));
            if (got) CHECK_EQ_U(*got, it->second);
            break;
        }
        case 2: {
            uint64_t *slot = nullptr;
            int rc = ebb_u64map_get_or_insert(&m, k, &slot);
            CHECK(rc == (ref.count(k) ? EBB_OK : EBB_INSERTED));
            CHECK(slot != nullptr);
            CHECK_EQ_U(*slot, ref[k]); /* a new value starts zeroed, as ref's does */
            *slot = v;
            ref[k] = v;
            break;
        }
        case 3: {
            uint64_t kout = 0, vout = 0;
            bool took = ebb_u64map_take(&m, k, &kout, &vout);
            auto it = ref.find(k);
            CHECK(took == (it != ref.end()));
            if (took) {
                CHECK_EQ_U(kout, k);
                CHECK_EQ_U(vout, it->second);
                ref.erase(it);
            }
            break;
        }
        default:
            CHECK(ebb_u64map_delete(&m, k) == (ref.erase(k) == 1));
        }
        CHECK_EQ_U(ebb_u64map_count(&m), ref.size());
        if (i % 25000 == 0) CHECK_EQ_U(ebb_u64map_check(&m), 0);
    }
    ebb_stats st;
    ebb_u64map_stats(&m, &st);
    CHECK(st.grows > 0 && st.shrinks > 0);
    uint64_t seen = 0;
    for (ebb_u64map_iter it = ebb_u64map_begin(&m); !ebb_u64map_iter_done(&it);
         ebb_u64map_next(&it)) {
        auto r = ref.find(*it.key);
        CHECK(r != ref.end() && r->second == *it.val);
        seen++;
    }
    CHECK_EQ_U(seen, ref.size());
    ebb_u64map_destroy(&m);
}

/* The template with a struct key, a weak user hash and a value destructor: deleting during
 * iteration visits every other entry once, and the destructor runs once per entry that leaves. */
static void test_template_struct_key(void) {
    values_dropped = 0;
    pointmap m;
    pointmap_init(&m);
    const uint32_t n = (uint32_t)test_scaled(50000);
    for (uint32_t i = 0; i < n; i++)
        CHECK_EQ_U(pointmap_put(&m, point{i % 1024, i / 1024}, (int)i), EBB_INSERTED);
    for (uint32_t i = 0; i < n; i += 10)
        CHECK_EQ_U(pointmap_put(&m, point{i % 1024, i / 1024}, (int)(i + n)), EBB_OK);
    int dropped = values_dropped;
    CHECK_EQ_U(dropped, (n + 9) / 10); /* the overwritten values */
    std::set<int> visited;
    size_t deleted = 0;
    for (pointmap_iter it = pointmap_begin(&m); !pointmap_iter_done(&it); pointmap_next(&it)) {
        CHECK(visited.insert(*it.val).second);
        if (*it.val % 2) {
            pointmap_iter_delete(&it);
            deleted++;
        }
    }
    CHECK_EQ_U(visited.size(), n);
    CHECK_EQ_U(pointmap_count(&m), n - deleted);
    CHECK_EQ_U(values_dropped, (size_t)dropped + deleted);
    CHECK_EQ_U(pointmap_check(&m), 0);
    int *v = pointmap_get(&m, point{4, 0});
    CHECK(v && *v == 4);
    CHECK(pointmap_get(&m, point{5, 0}) == nullptr);
    size_t left = pointmap_count(&m);
    pointmap_destroy(&m);
    CHECK_EQ_U(values_dropped, (size_t)dropped + deleted + left);
}

static int strings_freed;
static void free_string(void *p) {
    delete static_cast<std::string *>(p);
    strings_freed++;
}

/* The owned-string map from C++: keys are copied (the caller's buffer may change afterwards),
 * values are destroyed by val_dtor on overwrite, delete and destroy, never after take. */
static void test_strmap_from_cxx(void) {
    strings_freed = 0;
    ebb_strmap m;
    ebb_strmap_init(&m);
    m.val_dtor = free_string;
    std::string key;
    for (int i = 0; i < 1000; i++) {
        key = "user:" + std::to_string(i);
        CHECK_EQ_U(ebb_strmap_put(&m, key.c_str(), new std::string(key)), EBB_INSERTED);
    }
    key = "user:7";
    CHECK_EQ_U(ebb_strmap_put(&m, key.c_str(), new std::string("seven")), EBB_OK);
    CHECK_EQ_U(strings_freed, 1);
    key[5] = '8'; /* the map holds its own copy of "user:7" */
    void **got = ebb_strmap_get(&m, "user:7");
    CHECK(got && *static_cast<std::string *>(*got) == "seven");
    CHECK(ebb_strmap_delete(&m, "user:8"));
    CHECK_EQ_U(strings_freed, 2);
    const char *kout = nullptr;
    void *vout = nullptr;
    CHECK(ebb_strmap_take(&m, "user:9", &kout, &vout));
    CHECK(std::strcmp(kout, "user:9") == 0);
    CHECK_EQ_U(strings_freed, 2);
    ebb_strmap_free_key(kout, nullptr);
    free_string(vout);
    CHECK_EQ_U(ebb_strmap_count(&m), 998);
    ebb_strmap_destroy(&m);
    CHECK_EQ_U(strings_freed, 1001); /* 1,001 values made, every one freed once */
}

int main() {
    RUN(test_u64map_against_unordered_map);
    RUN(test_template_struct_key);
    RUN(test_strmap_from_cxx);
    return check_summary();
}
