/* The baseline build of XXH3 (SSE2 on x86-64), from the system's xxhash.h. */
#define XXH_INLINE_ALL
#define XXH_NAMESPACE sb_generic_
#include <xxhash.h>
#include "xxh3_variants.h"

XXH3_VARIANT(generic)

/* The xxHash version this was compiled from (XXH_VERSION_NUMBER: major*10000 + minor*100 + release). */
unsigned sb_xxh_version_number(void) { return XXH_VERSION_NUMBER; }
