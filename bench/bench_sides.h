/* The C functions bench/vs_boost.cpp drives (implemented in bench/ebb_side.c). */
#ifndef EBB_BENCH_SIDES_H
#define EBB_BENCH_SIDES_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
void *ebb_u64_new(void);
void ebb_u64_free(void *m);
uint64_t ebb_u64_insert(void *m, const uint64_t *keys, size_t n);
uint64_t ebb_u64_lookup(void *m, const uint64_t *keys, size_t n);
uint64_t ebb_u64_erase(void *m, const uint64_t *keys, size_t n);
size_t ebb_u64_bytes(void *m);
void *ebb_str_new(void);
void ebb_str_free(void *m);
uint64_t ebb_str_insert(void *m, const char *const *keys, size_t n);
uint64_t ebb_str_lookup(void *m, const char *const *keys, size_t n);
uint64_t ebb_str_erase(void *m, const char *const *keys, size_t n);
#ifdef __cplusplus
}
#endif
#endif
