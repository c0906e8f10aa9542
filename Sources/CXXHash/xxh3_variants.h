/* Defines sb_<name>_new/free/reset/update/digest/oneshot over one build of XXH3-128. */
#define XXH3_VARIANT(name) \
    void *sb_##name##_new(void) { XXH3_state_t *s = XXH3_createState(); if (s) XXH3_128bits_reset(s); return s; } \
    void sb_##name##_free(void *s) { XXH3_freeState((XXH3_state_t *)s); } \
    int sb_##name##_reset(void *s) { return XXH3_128bits_reset((XXH3_state_t *)s) == XXH_OK; } \
    int sb_##name##_update(void *s, const void *d, size_t n) { return XXH3_128bits_update((XXH3_state_t *)s, d, n) == XXH_OK; } \
    void sb_##name##_digest(const void *s, unsigned long long *hi, unsigned long long *lo) { \
        XXH128_hash_t h = XXH3_128bits_digest((const XXH3_state_t *)s); *hi = h.high64; *lo = h.low64; } \
    void sb_##name##_oneshot(const void *d, size_t n, unsigned long long *hi, unsigned long long *lo) { \
        XXH128_hash_t h = XXH3_128bits(d, n); *hi = h.high64; *lo = h.low64; }
