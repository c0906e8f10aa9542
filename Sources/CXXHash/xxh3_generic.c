/* The baseline build of XXH3 (SSE2 on x86-64), from the system's xxhash.h. */
#define XXH_INLINE_ALL
#define XXH_NAMESPACE sb_generic_
#include <xxhash.h>
#include "xxh3_variants.h"

XXH3_VARIANT(generic)
