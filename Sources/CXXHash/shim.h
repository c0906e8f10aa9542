#ifndef SITEBUILD_CXXHASH_SHIM_H
#define SITEBUILD_CXXHASH_SHIM_H
#include <xxhash.h>

/* The XXH3-128 streaming API, with the 128-bit result split into two words. */
static inline XXH3_state_t *sb_xxh3_new(void) { XXH3_state_t *s = XXH3_createState(); if (s) XXH3_128bits_reset(s); return s; }
static inline void sb_xxh3_free(XXH3_state_t *s) { XXH3_freeState(s); }
static inline int sb_xxh3_reset(XXH3_state_t *s) { return XXH3_128bits_reset(s) == XXH_OK; }
static inline int sb_xxh3_update(XXH3_state_t *s, const void *d, size_t n) { return XXH3_128bits_update(s, d, n) == XXH_OK; }
static inline void sb_xxh3_digest(const XXH3_state_t *s, unsigned long long *high, unsigned long long *low) {
    XXH128_hash_t h = XXH3_128bits_digest(s); *high = h.high64; *low = h.low64;
}
static inline void sb_xxh3_oneshot(const void *d, size_t n, unsigned long long *high, unsigned long long *low) {
    XXH128_hash_t h = XXH3_128bits(d, n); *high = h.high64; *low = h.low64;
}
#endif
