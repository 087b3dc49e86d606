// boost::unordered_flat_map (Boost 1.81, Debian's libboost1.81-dev), default load factor.
#define TABLE_NAME "boost"
#include <boost/unordered/unordered_flat_map.hpp>
template <class K, class V, class H, class E>
using bench_map = boost::unordered_flat_map<K, V, H, E>;
#include "cxx_adapter.h"
#include "workload.h"
