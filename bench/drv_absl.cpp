// absl::flat_hash_map (Debian 12's libabsl-dev), default load factor.
#define TABLE_NAME "absl"
#include <absl/container/flat_hash_map.h>
template <class K, class V, class H, class E> using bench_map = absl::flat_hash_map<K, V, H, E>;
#include "cxx_adapter.h"
#include "workload.h"
