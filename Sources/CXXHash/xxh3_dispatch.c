#include "shim.h"
#include <stddef.h>

#define DECLARE(name) \
    void *sb_##name##_new(void); void sb_##name##_free(void *); int sb_##name##_reset(void *); \
    int sb_##name##_update(void *, const void *, size_t); \
    void sb_##name##_digest(const void *, unsigned long long *, unsigned long long *); \
    void sb_##name##_oneshot(const void *, size_t, unsigned long long *, unsigned long long *);
DECLARE(generic)
DECLARE(avx2)
int sb_xxh3_avx2_compiled(void);

static int use_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
#if defined(__x86_64__)
        cached = sb_xxh3_avx2_compiled() && __builtin_cpu_supports("avx2");
#else
        cached = 0;
#endif
    }
    return cached;
}

/* A state remembers which build made it, so new/update/digest always match. */
struct sb_xxh3_state { void *inner; int avx2; };

sb_xxh3_state *sb_xxh3_new(void) {
    static sb_xxh3_state dummy;
    (void)dummy;
    sb_xxh3_state *s = (sb_xxh3_state *)__builtin_malloc(sizeof(sb_xxh3_state));
    if (!s) return NULL;
    s->avx2 = use_avx2();
    s->inner = s->avx2 ? sb_avx2_new() : sb_generic_new();
    if (!s->inner) { __builtin_free(s); return NULL; }
    return s;
}
void sb_xxh3_free(sb_xxh3_state *s) {
    if (!s) return;
    if (s->avx2) sb_avx2_free(s->inner); else sb_generic_free(s->inner);
    __builtin_free(s);
}
int sb_xxh3_reset(sb_xxh3_state *s) { return s->avx2 ? sb_avx2_reset(s->inner) : sb_generic_reset(s->inner); }
int sb_xxh3_update(sb_xxh3_state *s, const void *d, size_t n) {
    return s->avx2 ? sb_avx2_update(s->inner, d, n) : sb_generic_update(s->inner, d, n);
}
void sb_xxh3_digest(const sb_xxh3_state *s, unsigned long long *hi, unsigned long long *lo) {
    if (s->avx2) sb_avx2_digest(s->inner, hi, lo); else sb_generic_digest(s->inner, hi, lo);
}
void sb_xxh3_oneshot(const void *d, size_t n, unsigned long long *hi, unsigned long long *lo) {
    if (use_avx2()) sb_avx2_oneshot(d, n, hi, lo); else sb_generic_oneshot(d, n, hi, lo);
}
const char *sb_xxh3_implementation(void) {
#if defined(__x86_64__)
    return use_avx2() ? "avx2" : "sse2";
#else
    return "scalar";
#endif
}
