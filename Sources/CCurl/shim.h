#ifndef SITEBUILD_CCURL_SHIM_H
#define SITEBUILD_CCURL_SHIM_H
#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <stdlib.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic: Swift cannot call them.
   These typed wrappers are the only way the Swift code reaches them. */
static inline CURLcode sb_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode sb_curl_setopt_write(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode sb_curl_setopt_read(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, f); }
static inline CURLcode sb_curl_setopt_header(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f); }
static inline CURLcode sb_curl_setopt_seek(CURL *h, int (*f)(void *, curl_off_t, int)) { return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, f); }
/* CURLVERSION_NOW is a macro Swift cannot import. */
static inline curl_version_info_data *sb_curl_version_info(void) { return curl_version_info(CURLVERSION_NOW); }
/* CURLOPT_SSL_CTX_FUNCTION: called with the SSL_CTX of each new TLS connection (OpenSSL). */
static inline CURLcode sb_curl_setopt_ssl_ctx(CURL *h, CURLcode (*f)(CURL *, void *, void *)) { return curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, f); }
static inline CURLcode sb_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sb_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sb_curl_getinfo_string(CURL *h, CURLINFO i, const char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode sb_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode sb_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode sb_curl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
/* The socket interface: curl says which sockets to watch and when to time out; the caller
   waits with epoll and reports readiness with curl_multi_socket_action. */
static inline CURLMcode sb_curl_multi_setopt_socketfunction(CURLM *m, int (*f)(CURL *, curl_socket_t, int, void *, void *)) {
    return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f);
}
static inline CURLMcode sb_curl_multi_setopt_timerfunction(CURLM *m, int (*f)(CURLM *, long, void *)) {
    return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, f);
}
/* The CURLcode of a finished transfer: CURLMsg.data is a union Swift reads awkwardly. */
static inline CURLcode sb_curl_msg_result(const CURLMsg *m) { return m->data.result; }
/* The read callback's "abort the transfer" return value, as the size_t the callback returns. */
static inline size_t sb_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }

/* A share of TLS sessions between transfers, so that a new connection to a host resumes the
   session an earlier one got (an abbreviated handshake: no certificate chain sent or verified
   again) rather than starting afresh. Transfers use it from the event-loop thread and set or
   drop it (CURLOPT_SHARE, curl_easy_cleanup) from others, so each kind of shared data has its
   own mutex, passed as the share's user data. NULL when curl cannot make it. */
static inline void sb_curl_share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u) {
    (void)h; (void)a;
    pthread_mutex_lock((pthread_mutex_t *)u + (d < CURL_LOCK_DATA_LAST ? d : 0));
}
static inline void sb_curl_share_unlock(CURL *h, curl_lock_data d, void *u) {
    (void)h;
    pthread_mutex_unlock((pthread_mutex_t *)u + (d < CURL_LOCK_DATA_LAST ? d : 0));
}
static inline CURLSH *sb_curl_share_tls_sessions(void) {
    CURLSH *share = curl_share_init();
    pthread_mutex_t *locks = malloc(sizeof(pthread_mutex_t) * CURL_LOCK_DATA_LAST);
    if (!share || !locks) { if (share) curl_share_cleanup(share); free(locks); return NULL; }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&locks[i], NULL);
    if (curl_share_setopt(share, CURLSHOPT_USERDATA, (void *)locks) != CURLSHE_OK
        || curl_share_setopt(share, CURLSHOPT_LOCKFUNC, sb_curl_share_lock) != CURLSHE_OK
        || curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, sb_curl_share_unlock) != CURLSHE_OK
        || curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        curl_share_cleanup(share);
        free(locks);
        return NULL;
    }
    return share;
}
#endif
