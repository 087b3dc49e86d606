// std::unordered_map (libstdc++ 12), default max_load_factor 1.0.
#define TABLE_NAME "std"
#include <unordered_map>
template <class K, class V, class H, class E> using bench_map = std::unordered_map<K, V, H, E>;
#include "cxx_adapter.h"
#include "workload.h"
