#ifndef SITEBUILD_CXXHASH_SHIM_H
#define SITEBUILD_CXXHASH_SHIM_H
#include <stddef.h>

/* XXH3-128 for Swift, from libxxhash's header-only implementation compiled twice (SSE2
   and AVX2) and chosen at run time by CPU, as xxhsum does: Debian's libxxhash.so is
   built for baseline x86-64 only. The state is opaque. */
typedef struct sb_xxh3_state sb_xxh3_state;

sb_xxh3_state *sb_xxh3_new(void);
void sb_xxh3_free(sb_xxh3_state *state);
int sb_xxh3_reset(sb_xxh3_state *state);
int sb_xxh3_update(sb_xxh3_state *state, const void *data, size_t length);
void sb_xxh3_digest(const sb_xxh3_state *state, unsigned long long *high, unsigned long long *low);
void sb_xxh3_oneshot(const void *data, size_t length, unsigned long long *high, unsigned long long *low);
/* Which implementation runs: "avx2" or "sse2" (or "scalar" off x86-64). */
const char *sb_xxh3_implementation(void);
/* The xxHash version the hashing code was compiled from: major*10000 + minor*100 + release. */
unsigned sb_xxh_version_number(void);
#endif
