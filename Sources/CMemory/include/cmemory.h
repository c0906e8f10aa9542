#ifndef SITEBUILD_CMEMORY_H
#define SITEBUILD_CMEMORY_H
#include <stddef.h>

/* Serve allocations of `threshold` bytes and more with their own mappings, returned to the
   system when freed, and stop glibc from raising that threshold on its own. Returns 1 when
   set, 0 where the C library has no such setting. */
int sb_map_large_allocations(size_t threshold);

#endif
