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
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/core_names.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

/* Typed entry points for the OpenSSL macros and variadic calls Swift cannot import. */
/* SHA-256 fetched from the default provider once: passing EVP_sha256() makes every digest
   init look the implementation up again (a lock and a name search per hash). */
static inline const EVP_MD *sb_evp_sha256(void) {
    static EVP_MD *cached = NULL;
    EVP_MD *md = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
    if (md) return md;
    md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!md) return EVP_sha256();
    EVP_MD *expected = NULL;
    if (!__atomic_compare_exchange_n(&cached, &expected, md, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        EVP_MD_free(md);
        md = expected;
    }
    return md;
}
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
static inline void sb_err_string(unsigned long code, char *buf, size_t len) { ERR_error_string_n(code, buf, len); }
static inline void sb_err_clear(void) { ERR_clear_error(); }

/* P-256 (prime256v1) for SigV4A. Keys cross this boundary as raw bytes: a 32-byte big-endian
   private scalar and a 65-byte uncompressed public point (04 || X || Y). */

/* Writes scalar·G as an uncompressed point into out65. Returns 1 on success, 0 on failure. */
static inline int sb_p256_public_point(const unsigned char *scalar, size_t scalar_len, unsigned char *out65) {
    int ok = 0;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *point = group ? EC_POINT_new(group) : NULL;
    BIGNUM *d = BN_bin2bn(scalar, (int)scalar_len, NULL);
    BN_CTX *ctx = BN_CTX_new();
    if (group && point && d && ctx && EC_POINT_mul(group, point, d, NULL, NULL, ctx) == 1 &&
        EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, out65, 65, ctx) == 65) {
        ok = 1;
    }
    BN_CTX_free(ctx);
    BN_clear_free(d);
    EC_POINT_free(point);
    EC_GROUP_free(group);
    return ok;
}

/* A P-256 EVP_PKEY from raw parts: a key pair when scalar is non-NULL, else a public key.
   Returns NULL on failure (e.g. a point not on the curve); free with sb_pkey_free. */
static inline EVP_PKEY *sb_p256_pkey(const unsigned char *scalar, size_t scalar_len,
                                     const unsigned char *point, size_t point_len) {
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    BIGNUM *d = scalar ? BN_bin2bn(scalar, (int)scalar_len, NULL) : NULL;
    if (bld && ctx && (scalar == NULL || d) &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) == 1 &&
        (d == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) == 1) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
        EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
            pkey = NULL;
        }
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(d);
    return pkey;
}
static inline void sb_pkey_free(EVP_PKEY *key) { EVP_PKEY_free(key); }

/* ECDSA over SHA-256(msg), DER encoded. sig must hold 72 bytes; *sig_len is in/out.
   Returns 1 on success, 0 on failure. */
static inline int sb_ecdsa_sha256_sign(EVP_PKEY *key, const void *msg, size_t msg_len,
                                       unsigned char *sig, size_t *sig_len) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(c, sig, sig_len, (const unsigned char *)msg, msg_len) == 1;
    EVP_MD_CTX_free(c);
    return ok;
}

/* Verifies a DER ECDSA signature over SHA-256(msg): 1 valid, 0 invalid, negative on error. */
static inline int sb_ecdsa_sha256_verify(EVP_PKEY *key, const void *msg, size_t msg_len,
                                         const unsigned char *sig, size_t sig_len) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int rc = -1;
    if (c && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, key) == 1) {
        rc = EVP_DigestVerify(c, sig, sig_len, (const unsigned char *)msg, msg_len);
    }
    EVP_MD_CTX_free(c);
    return rc;
}
/* A PEM CA bundle parsed once, as the X509_STORE X509_STORE_load_file fills (its certificates
   and CRLs), or NULL when the file cannot be read or holds neither. The store is only read
   afterwards (sb_ca_bundle_add_to), never used to verify, so threads may share it. */
static inline X509_STORE *sb_ca_bundle_load(const char *path) {
    X509_STORE *store = X509_STORE_new();
    if (!store) return NULL;
    if (X509_STORE_load_file(store, path) != 1 || sk_X509_OBJECT_num(X509_STORE_get0_objects(store)) <= 0) {
        X509_STORE_free(store);
        ERR_clear_error();
        return NULL;
    }
    return store;
}

/* Adds the certificates and CRLs of a bundle from sb_ca_bundle_load to the certificate store
   of `ssl_ctx` (an SSL_CTX *), as loading the file into it would, without parsing it again:
   the objects are shared by reference count. Returns 1, or 0 when one could not be added. */
static inline int sb_ca_bundle_add_to(X509_STORE *bundle, void *ssl_ctx) {
    X509_STORE *target = SSL_CTX_get_cert_store((SSL_CTX *)ssl_ctx);
    if (!target) return 0;
    STACK_OF(X509_OBJECT) *objects = X509_STORE_get0_objects(bundle);
    int ok = 1;
    for (int i = 0; i < sk_X509_OBJECT_num(objects); i++) {
        X509_OBJECT *object = sk_X509_OBJECT_value(objects, i);
        X509 *certificate = X509_OBJECT_get0_X509(object);
        X509_CRL *crl = X509_OBJECT_get0_X509_CRL(object);
        if (certificate && X509_STORE_add_cert(target, certificate) != 1) ok = 0;
        if (crl && X509_STORE_add_crl(target, crl) != 1) ok = 0;
    }
    if (!ok) ERR_clear_error();
    return ok;
}

#endif
