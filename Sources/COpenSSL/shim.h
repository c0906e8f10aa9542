#ifndef SITEBUILD_COPENSSL_SHIM_H
#define SITEBUILD_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>

/* Typed entry points for the OpenSSL macros and variadic calls Swift cannot import. */
static inline const EVP_MD *sb_evp_sha256(void) { return EVP_sha256(); }
static inline const EVP_MD *sb_evp_md5(void) { return EVP_md5(); }
static inline EVP_MD_CTX *sb_md_ctx_new(void) { return EVP_MD_CTX_new(); }
static inline void sb_md_ctx_free(EVP_MD_CTX *c) { EVP_MD_CTX_free(c); }
static inline int sb_digest_init(EVP_MD_CTX *c, const EVP_MD *md) { return EVP_DigestInit_ex(c, md, NULL); }
static inline int sb_digest_update(EVP_MD_CTX *c, const void *d, size_t n) { return EVP_DigestUpdate(c, d, n); }
static inline int sb_digest_final(EVP_MD_CTX *c, unsigned char *out, unsigned int *n) { return EVP_DigestFinal_ex(c, out, n); }
static inline unsigned char *sb_hmac_sha256(const void *key, int keylen, const unsigned char *d, size_t n,
                                            unsigned char *out, unsigned int *outlen) {
    return HMAC(EVP_sha256(), key, keylen, d, n, out, outlen);
}
static inline unsigned long sb_err_get(void) { return ERR_get_error(); }
#endif
