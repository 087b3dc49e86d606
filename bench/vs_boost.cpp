// ebb next to boost::unordered_flat_map, in one process, on the same keys.
//
//   make bench-boost [BENCH_ARGS="--sizes 1000000,10000000 --reps 5"]
//
// Workloads per size: insert n random keys into an empty map (no reserve), look all of them up
// (hits), look up n absent keys (misses), delete all. u64 -> u64 and string -> u64 (keys of 8
// to 40 characters; boost stores std::string_view, ebb const char *: neither copies). Each
// workload runs `reps` times, ebb and boost alternating; the report gives medians in ns/op and
// the ratio ebb/boost (below 1: ebb faster).
#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench_sides.h"

namespace {

uint64_t splitmix(uint64_t &s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct Row {
    std::vector<double> ebb, boost;
};

template <class F> double timed_ns(F f, size_t n) {
    double t0 = seconds();
    f();
    return (seconds() - t0) * 1e9 / double(n);
}

volatile uint64_t sink;

void run_u64(size_t n, int reps) {
    uint64_t s = 42 + n;
    std::vector<uint64_t> keys(n), miss(n);
    for (auto &k : keys) k = splitmix(s);
    for (auto &k : miss) k = splitmix(s);
    Row ins, hit, mis, del;
    for (int r = 0; r < reps; r++) {
        void *m = ebb_u64_new();
        ins.ebb.push_back(timed_ns([&] { sink = ebb_u64_insert(m, keys.data(), n); }, n));
        hit.ebb.push_back(timed_ns([&] { sink = ebb_u64_lookup(m, keys.data(), n); }, n));
        mis.ebb.push_back(timed_ns([&] { sink = ebb_u64_lookup(m, miss.data(), n); }, n));
        del.ebb.push_back(timed_ns([&] { sink = ebb_u64_erase(m, keys.data(), n); }, n));
        ebb_u64_free(m);

        boost::unordered_flat_map<uint64_t, uint64_t> b;
        ins.boost.push_back(timed_ns([&] { for (size_t i = 0; i < n; i++) b[keys[i]] = i; sink = b.size(); }, n));
        hit.boost.push_back(timed_ns([&] {
            uint64_t sum = 0;
            for (size_t i = 0; i < n; i++) { auto it = b.find(keys[i]); sum += it != b.end() ? it->second : 1; }
            sink = sum; }, n));
        mis.boost.push_back(timed_ns([&] {
            uint64_t sum = 0;
            for (size_t i = 0; i < n; i++) { auto it = b.find(miss[i]); sum += it != b.end() ? it->second : 1; }
            sink = sum; }, n));
        del.boost.push_back(timed_ns([&] { uint64_t f = 0; for (size_t i = 0; i < n; i++) f += b.erase(keys[i]); sink = f; }, n));
    }
    const char *names[] = {"insert", "lookup hit", "lookup miss", "delete"};
    Row *rows[] = {&ins, &hit, &mis, &del};
    for (int i = 0; i < 4; i++) {
        double e = median(rows[i]->ebb), b = median(rows[i]->boost);
        std::printf("| u64 | %zu | %s | %.1f | %.1f | %.2f |\n", n, names[i], e, b, e / b);
    }
}

void run_str(size_t n, int reps) {
    uint64_t s = 7 + n;
    std::vector<std::string> store(2 * n);
    for (auto &k : store) {
        size_t len = 8 + splitmix(s) % 33;
        k.resize(len);
        for (auto &c : k) c = char('a' + splitmix(s) % 26);
    }
    std::vector<const char *> keys(n), miss(n);
    std::vector<std::string_view> vkeys(n), vmiss(n);
    for (size_t i = 0; i < n; i++) {
        keys[i] = store[i].c_str(), vkeys[i] = store[i];
        miss[i] = store[n + i].c_str(), vmiss[i] = store[n + i];
    }
    Row ins, hit, mis, del;
    for (int r = 0; r < reps; r++) {
        void *m = ebb_str_new();
        ins.ebb.push_back(timed_ns([&] { sink = ebb_str_insert(m, keys.data(), n); }, n));
        hit.ebb.push_back(timed_ns([&] { sink = ebb_str_lookup(m, keys.data(), n); }, n));
        mis.ebb.push_back(timed_ns([&] { sink = ebb_str_lookup(m, miss.data(), n); }, n));
        del.ebb.push_back(timed_ns([&] { sink = ebb_str_erase(m, keys.data(), n); }, n));
        ebb_str_free(m);

        boost::unordered_flat_map<std::string_view, uint64_t> b;
        ins.boost.push_back(timed_ns([&] { for (size_t i = 0; i < n; i++) b[vkeys[i]] = i; sink = b.size(); }, n));
        hit.boost.push_back(timed_ns([&] {
            uint64_t sum = 0;
            for (size_t i = 0; i < n; i++) { auto it = b.find(vkeys[i]); sum += it != b.end() ? it->second : 1; }
            sink = sum; }, n));
        mis.boost.push_back(timed_ns([&] {
            uint64_t sum = 0;
            for (size_t i = 0; i < n; i++) { auto it = b.find(vmiss[i]); sum += it != b.end() ? it->second : 1; }
            sink = sum; }, n));
        del.boost.push_back(timed_ns([&] { uint64_t f = 0; for (size_t i = 0; i < n; i++) f += b.erase(vkeys[i]); sink = f; }, n));
    }
    const char *names[] = {"insert", "lookup hit", "lookup miss", "delete"};
    Row *rows[] = {&ins, &hit, &mis, &del};
    for (int i = 0; i < 4; i++) {
        double e = median(rows[i]->ebb), b = median(rows[i]->boost);
        std::printf("| string | %zu | %s | %.1f | %.1f | %.2f |\n", n, names[i], e, b, e / b);
    }
}

} // namespace

int main(int argc, char **argv) {
    std::vector<size_t> sizes = {1000000, 10000000};
    int reps = 5;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--sizes") && i + 1 < argc) {
            sizes.clear();
            for (char *p = argv[++i]; *p;) {
                char *end;
                unsigned long long v = std::strtoull(p, &end, 10);
                if (end == p || v == 0) { std::fprintf(stderr, "vs_boost: bad --sizes\n"); return 2; }
                sizes.push_back(v);
                p = *end == ',' ? end + 1 : end;
            }
        } else {
            std::fprintf(stderr, "usage: vs_boost [--sizes N,N...] [--reps R]\n");
            return 2;
        }
    }
    if (reps < 1) { std::fprintf(stderr, "vs_boost: --reps must be at least 1\n"); return 2; }
    std::printf("| keys | entries | operation | ebb ns/op | boost ns/op | ebb/boost |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (size_t n : sizes) run_u64(n, reps);
    for (size_t n : sizes) run_str(n, reps);
    return 0;
}
