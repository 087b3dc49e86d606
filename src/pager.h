/* pager.h — how the core unmaps tables (src/pager.c): on the background pager when it runs,
 * on the calling thread otherwise. Internal to the library. */
#ifndef EBB_SRC_PAGER_H
#define EBB_SRC_PAGER_H

#include <stdbool.h>
#include <stddef.h>

/* munmap of [addr, addr+len), now or in order on the pager. */
void ebb_pages_unmap(void *addr, size_t len);

/* Whether unmaps go to the pager (a hint: it may stop meanwhile, and ebb_pages_unmap then
 * unmaps on the calling thread). */
bool ebb_pager_running(void);

#endif
