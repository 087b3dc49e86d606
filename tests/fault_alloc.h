/* A counting allocator that fails on request, for ebb_options.allocator: the k-th allocation
 * from now, or every one above a size. Shared by the allocation-failure test and the fuzzer. It
 * also checks that every free names the size that was asked for, and counts what is still out.
 *
 *   fault_alloc fa = {0};
 *   ebb_allocator a = {fa_alloc, fa_free, &fa};
 *   ebb_options o = {&a, seed, EBB_FIXED_SEED};
 */
#ifndef EBB_TESTS_FAULT_ALLOC_H
#define EBB_TESTS_FAULT_ALLOC_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct fault_alloc {
    size_t outstanding; /* bytes allocated and not yet freed */
    size_t blocks;      /* blocks allocated and not yet freed */
    size_t bad_frees;   /* frees whose size differed from the allocation's */
    unsigned fail_in;   /* 0: work; k: the k-th allocation from now fails */
    size_t fail_above;  /* when non-zero, every allocation larger than this fails */
    bool failed;        /* an allocation failed since this was last cleared */
    size_t failed_size; /* the size of the last one that did */
} fault_alloc;

#define FA_HEADER 16 /* keeps the block 16-byte aligned, as malloc's */

static void *fa_alloc(void *ctx, size_t size) {
    fault_alloc *fa = ctx;
    bool fail = fa->fail_above && size > fa->fail_above;
    if (fa->fail_in && --fa->fail_in == 0) fail = true;
    if (fail) {
        fa->failed = true;
        fa->failed_size = size;
        return NULL;
    }
    unsigned char *p = malloc(FA_HEADER + size);
    if (!p) return NULL;
    memcpy(p, &size, sizeof size);
    fa->outstanding += size;
    fa->blocks++;
    return p + FA_HEADER;
}

static void fa_free(void *ctx, void *ptr, size_t size) {
    fault_alloc *fa = ctx;
    if (!ptr) return;
    unsigned char *p = (unsigned char *)ptr - FA_HEADER;
    size_t asked;
    memcpy(&asked, p, sizeof asked);
    if (asked != size) fa->bad_frees++;
    fa->outstanding -= asked;
    fa->blocks--;
    free(p);
}

/* Arm: the k-th allocation from now fails (0: none). */
static void fa_arm(fault_alloc *fa, unsigned k) {
    fa->fail_in = k;
    fa->failed = false;
}

#endif
