/* The AVX2 build of XXH3, from the system's xxhash.h; only called when the CPU has AVX2. */
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#define XXH_NAMESPACE sb_avx2_
#include <xxhash.h>
#include "xxh3_variants.h"
XXH3_VARIANT(avx2)
#pragma clang attribute pop
#define SB_HAVE_AVX2 1
#endif
int sb_xxh3_avx2_compiled(void) {
#ifdef SB_HAVE_AVX2
    return 1;
#else
    return 0;
#endif
}
