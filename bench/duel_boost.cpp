// bench/duel_boost.cpp — boost's side of bench/duel.c: boost::unordered_flat_map (Debian's
// libboost1.81-dev) at its default load factor, given ebb's hash marked avalanching, as in
// bench/cxx_adapter.h.
#include <boost/unordered/unordered_flat_map.hpp>
#include <new>

#include "duel.h"
#include "ebb/ebb.h"

namespace {

constexpr uint64_t seed = 0x243f6a8885a308d3ull; // BENCH_SEED of bench/common.h

struct hash {
    using is_avalanching = void;
    size_t operator()(uint64_t k) const noexcept { return ebb_hash_u64(k, seed); }
};
using map = boost::unordered_flat_map<uint64_t, uint64_t, hash>;

void *make() {
    return new (std::nothrow) map();
}
void release(void *m) {
    delete static_cast<map *>(m);
}

uint64_t put(void *p, const uint64_t *k, size_t n) {
    auto &m = *static_cast<map *>(p);
    uint64_t fresh = 0;
    for (size_t i = 0; i < n; i++)
        fresh += m.insert_or_assign(k[i], k[i]).second;
    return fresh;
}

uint64_t get(void *p, const uint64_t *k, size_t n) {
    auto &m = *static_cast<map *>(p);
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++) {
        auto it = m.find(k[i]);
        found += it != m.end() && it->second == k[i];
    }
    return found;
}

uint64_t del(void *p, const uint64_t *k, size_t n) {
    auto &m = *static_cast<map *>(p);
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++)
        found += m.erase(k[i]);
    return found;
}

uint64_t churn(void *p, const uint64_t *in, const uint64_t *out, size_t n) {
    auto &m = *static_cast<map *>(p);
    uint64_t found = 0;
    for (size_t i = 0; i < n; i++) {
        m.insert_or_assign(in[i], in[i]);
        found += m.erase(out[i]);
    }
    return found;
}

} // namespace

extern "C" const duel_table duel_boost = {"boost", make, release, put, get, del, churn};
