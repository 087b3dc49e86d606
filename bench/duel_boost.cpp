// bench/duel_boost.cpp — boost's side of bench/duel.c: boost::unordered_flat_map (Debian's
// libboost1.81-dev) at its default load factor, given ebb's hashes marked avalanching, as in
// bench/cxx_adapter.h: u64 -> u64, std::string_view (of the borrowed C string) -> u64, and
// u64 -> 56 bytes.
#include <boost/unordered/unordered_flat_map.hpp>
#include <new>
#include <string_view>

#include "duel.h"
#include "ebb/ebb.h"

namespace {

constexpr uint64_t seed = 0x243f6a8885a308d3ull; // BENCH_SEED of bench/common.h

struct u64_hash {
    using is_avalanching = void;
    size_t operator()(uint64_t k) const noexcept { return ebb_hash_u64(k, seed); }
};
struct str_hash {
    using is_avalanching = void;
    size_t operator()(std::string_view s) const noexcept {
        return ebb_hash_bytes_inline(s.data(), s.size(), seed);
    }
};

// The value stored with a key, and whether v is key k's (bench/duel.h).
uint64_t value_of(uint64_t k) {
    return k;
}
uint64_t value_of(const char *k) {
    return duel_str_value(k);
}
template <class K> bool same_value(uint64_t v, K k) {
    return v == value_of(k);
}
bool same_value(const duel_big &v, uint64_t k) {
    return duel_big_is(&v, k);
}

// The map's key for a key of the batch.
uint64_t key(uint64_t k) {
    return k;
}
std::string_view key(const char *k) {
    return std::string_view(k);
}

// Small values by default; Big = true for the 56-byte values.
template <class Map, class K, bool Big = false> struct ops {
    static auto value(K k) {
        if constexpr (Big)
            return duel_big_value(k);
        else
            return value_of(k);
    }
    static void *make() { return new (std::nothrow) Map(); }
    static void release(void *m) { delete static_cast<Map *>(m); }
    static uint64_t put(void *p, const void *keys, size_t n) {
        auto &m = *static_cast<Map *>(p);
        auto k = static_cast<const K *>(keys);
        uint64_t fresh = 0;
        for (size_t i = 0; i < n; i++)
            fresh += m.insert_or_assign(key(k[i]), value(k[i])).second;
        return fresh;
    }
    static uint64_t get(void *p, const void *keys, size_t n) {
        auto &m = *static_cast<Map *>(p);
        auto k = static_cast<const K *>(keys);
        uint64_t found = 0;
        for (size_t i = 0; i < n; i++) {
            auto it = m.find(key(k[i]));
            found += it != m.end() && same_value(it->second, k[i]);
        }
        return found;
    }
    static uint64_t del(void *p, const void *keys, size_t n) {
        auto &m = *static_cast<Map *>(p);
        auto k = static_cast<const K *>(keys);
        uint64_t found = 0;
        for (size_t i = 0; i < n; i++)
            found += m.erase(key(k[i]));
        return found;
    }
    static uint64_t churn(void *p, const void *in, const void *out, size_t n) {
        auto &m = *static_cast<Map *>(p);
        auto a = static_cast<const K *>(in), b = static_cast<const K *>(out);
        uint64_t found = 0;
        for (size_t i = 0; i < n; i++) {
            m.insert_or_assign(key(a[i]), value(a[i]));
            found += m.erase(key(b[i]));
        }
        return found;
    }
};

using u64_ops = ops<boost::unordered_flat_map<uint64_t, uint64_t, u64_hash>, uint64_t>;
using str_ops = ops<boost::unordered_flat_map<std::string_view, uint64_t, str_hash>, const char *>;
using big_ops = ops<boost::unordered_flat_map<uint64_t, duel_big, u64_hash>, uint64_t, true>;

} // namespace

extern "C" const duel_table duel_boost = {"boost",       u64_ops::make, u64_ops::release,
                                          u64_ops::put,  u64_ops::get,  u64_ops::del,
                                          u64_ops::churn};
extern "C" const duel_table duel_boost_str = {"boost",       str_ops::make, str_ops::release,
                                              str_ops::put,  str_ops::get,  str_ops::del,
                                              str_ops::churn};
extern "C" const duel_table duel_boost_big = {"boost",       big_ops::make, big_ops::release,
                                              big_ops::put,  big_ops::get,  big_ops::del,
                                              big_ops::churn};
