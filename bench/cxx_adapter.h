// bench/cxx_adapter.h — the adapter for the C++ peers (boost, absl, std), which share one
// interface. The driver defines TABLE_NAME and `bench_map<K, V, Hash, Eq>`, then includes this
// file and workload.h. Hashes are the ones ebb uses (ebb_hash_u64, ebb_hash_bytes_inline with
// BENCH_SEED); marked avalanching, so boost uses them as they are (as ebb does) instead of mixing
// them again. The identity hash of the patterned workload is not marked: each table does with a
// weak hash what it does by default.
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "common.h"

struct u64_hash {
    using is_avalanching = void;
    size_t operator()(uint64_t k) const noexcept { return hash_u64(k); }
};
struct str_hash {
    using is_avalanching = void;
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return hash_str(s.data(), s.size()); }
};
struct str_eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
struct id_hash {
    size_t operator()(uint64_t k) const noexcept { return k; }
};
struct free_deleter {
    void operator()(void *p) const noexcept { free(p); }
};
using owned_value = std::unique_ptr<void, free_deleter>;

// The adapters are a table, one line per operation, and read best as one.
// clang-format off
struct u64_map { bench_map<uint64_t, uint64_t, u64_hash, std::equal_to<uint64_t>> m; };
struct big_map { bench_map<uint64_t, bench_big, u64_hash, std::equal_to<uint64_t>> m; };
struct str_map { bench_map<std::string_view, uint64_t, str_hash, str_eq> m; };
struct own_map { bench_map<std::string, owned_value, str_hash, str_eq> m; };
struct id_map { bench_map<uint64_t, uint64_t, id_hash, std::equal_to<uint64_t>> m; };

template <class M> static M *new_map() { return new M(); }

template <class M, class K, class V> static inline int put_kv(M *m, const K &k, const V &v) {
    return m->m.insert_or_assign(k, v).second;
}
template <class M, class K> static inline int get_k(M *m, const K &k, uint64_t *v) {
    auto it = m->m.find(k);
    if (it == m->m.end()) return 0;
    *v = it->second;
    return 1;
}
template <class M, class K> static inline int del_k(M *m, const K &k) {
    auto it = m->m.find(k);
    if (it == m->m.end()) return 0;
    m->m.erase(it);
    return 1;
}

static u64_map *u64_new(void) { return new_map<u64_map>(); }
static void u64_free(u64_map *m) { delete m; }
static inline int u64_put(u64_map *m, uint64_t k, uint64_t v) { return put_kv(m, k, v); }
static inline int u64_get(u64_map *m, uint64_t k, uint64_t *v) { return get_k(m, k, v); }
static inline int u64_del(u64_map *m, uint64_t k) { return del_k(m, k); }
static void u64_clear(u64_map *m) { m->m.clear(); }
static uint64_t u64_sum(u64_map *m) {
    uint64_t s = 0;
    for (auto &kv : m->m) s += kv.second;
    return s;
}

static big_map *big_new(void) { return new_map<big_map>(); }
static void big_free(big_map *m) { delete m; }
static inline int big_put(big_map *m, uint64_t k, const bench_big *v) { return put_kv(m, k, *v); }
static inline const bench_big *big_get(big_map *m, uint64_t k) {
    auto it = m->m.find(k);
    return it == m->m.end() ? nullptr : &it->second;
}
static inline int big_del(big_map *m, uint64_t k) { return del_k(m, k); }
static void big_clear(big_map *m) { m->m.clear(); }
static uint64_t big_sum(big_map *m) {
    uint64_t s = 0;
    for (auto &kv : m->m) s += kv.second.w[0];
    return s;
}

static str_map *str_new(void) { return new_map<str_map>(); }
static void str_free(str_map *m) { delete m; }
static inline int str_put(str_map *m, const char *k, uint64_t v) { return put_kv(m, std::string_view(k), v); }
static inline int str_get(str_map *m, const char *k, uint64_t *v) { return get_k(m, std::string_view(k), v); }
static inline int str_del(str_map *m, const char *k) { return del_k(m, std::string_view(k)); }
static uint64_t str_sum(str_map *m) {
    uint64_t s = 0;
    for (auto &kv : m->m) s += kv.second;
    return s;
}

static own_map *own_new(void) { return new_map<own_map>(); }
static void own_free(own_map *m) { delete m; }
static inline int own_put(own_map *m, const char *k, size_t len, void *v) {
    auto r = m->m.try_emplace(std::string(k, len));
    r.first->second.reset(v);
    return r.second;
}
static inline int own_del(own_map *m, const char *k, size_t len) { return del_k(m, std::string_view(k, len)); }
static void own_clear(own_map *m) { m->m.clear(); }

static id_map *id_new(void) { return new_map<id_map>(); }
static void id_free(id_map *m) { delete m; }
static inline int id_put(id_map *m, uint64_t k, uint64_t v) { return put_kv(m, k, v); }
static inline int id_get(id_map *m, uint64_t k, uint64_t *v) { return get_k(m, k, v); }
// clang-format on
