/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Grocy sender: a child process of the daemon that does its HTTP and
 * nothing else (grocy-wire.h says what the two ends send). The daemon starts
 * it when a call is due and ends it when the queue has been quiet a while.
 *
 * Why a process and not a thread: libcurl brings some 30 libraries (OpenSSL,
 * GnuTLS, Kerberos, LDAP, ...). Loaded in the daemon they stayed for good and
 * took its RSS from 5.4 MB to 13.8 MB (tests/agent/BENCH-rss-home.md); here
 * they live only while calls go, a few seconds a day. And the code that parses
 * a server's answers runs without the device's signing key or the store in
 * its memory: it is a fresh exec of the daemon's executable, not a fork.
 */
#include "agent/link/grocy-wire.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

/* The libcurl functions we call, from libcurl.so.4. */
static struct {
    CURL *(*easy_init)(void);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

/* The answer being written: the message's head, then its body. */
static union {
    struct grocy_wire_ans head;
    unsigned char bytes[GROCY_ANS_MAX];
} ans;
static size_t body_len;

static int
curl_load(char *err, size_t errlen)
{
    static const char soname[] = "libcurl.so.4";
    void *h;

    if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        snprintf(err, errlen, "%s cannot be loaded (%s): install Debian's libcurl4",
                 soname, dlerror());
        return -ENOENT;
    }
    /* POSIX lets a void * from dlsym() become a function pointer. */
#define SYM(field, name)                                                               \
    if ((*(void **)&curl.field = dlsym(h, name)) == NULL) {                            \
        snprintf(err, errlen, "%s has no %s", soname, name);                           \
        return -ENOENT;                                                                \
    }
    SYM(easy_init, "curl_easy_init")
    SYM(easy_reset, "curl_easy_reset")
    SYM(easy_setopt, "curl_easy_setopt")
    SYM(easy_perform, "curl_easy_perform")
    SYM(easy_getinfo, "curl_easy_getinfo")
    SYM(easy_strerror, "curl_easy_strerror")
    SYM(slist_append, "curl_slist_append")
    SYM(slist_free_all, "curl_slist_free_all")
#undef SYM
    return 0;
}

static size_t
on_data(char *ptr, size_t size, size_t n, void *ctx)
{
    size_t len = size * n;

    (void)ctx;
    if (body_len + len > GROCY_ANSWER_MAX) {
        ans.head.too_big = 1;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    memcpy(ans.bytes + sizeof(ans.head) + body_len, ptr, len);
    body_len += len;
    return len;
}

static int
reply(int fd, uint32_t kind, const char *text)
{
    ans.head.version = GROCY_WIRE_VERSION;
    ans.head.kind = kind;
    snprintf(ans.head.text, sizeof(ans.head.text), "%s", text);
    return send(fd, ans.bytes, sizeof(ans.head) + body_len, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* One POST; its answer in ans. */
static void
post(CURL *h, const struct grocy_req *r)
{
    char hdr[CFG_GROCY_KEY_MAX + 32];
    struct curl_slist *l = curl.slist_append(NULL, "Content-Type: application/json");
    long http = 0;
    CURLcode cc = CURLE_OUT_OF_MEMORY;

    snprintf(hdr, sizeof(hdr), "GROCY-API-KEY: %s", r->key);
    if (l != NULL)
        l = curl.slist_append(l, "Accept: application/json");
    struct curl_slist *all = l != NULL ? curl.slist_append(l, hdr) : NULL;
    explicit_bzero(hdr, sizeof(hdr));
    memset(&ans.head, 0, sizeof(ans.head));
    body_len = 0;
    if (all != NULL) {
        curl.easy_reset(h);
        curl.easy_setopt(h, CURLOPT_URL, r->url);
        curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl.easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
        curl.easy_setopt(h, CURLOPT_HTTPHEADER, all);
        curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
        curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)(r->timeout_ms < 10000 ? r->timeout_ms : 10000));
        /* TLS verified (the system's CAs, or ca_file), never switched off. */
        curl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (r->ca_file[0] != '\0')
            curl.easy_setopt(h, CURLOPT_CAINFO, r->ca_file);
        curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        cc = curl.easy_perform(h);
        curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
        /* The key is in one of the header strings: wipe it before it goes. */
        for (struct curl_slist *s = all; s != NULL; s = s->next)
            explicit_bzero(s->data, strlen(s->data));
        curl.slist_free_all(all);
    } else if (l != NULL) {
        curl.slist_free_all(l);
    }
    ans.head.http = (int32_t)http;
    ans.head.cc = (int32_t)cc;
}

int
grocy_sender_main(void)
{
    static unsigned char msg[GROCY_REQ_MAX + 1];
    static struct grocy_req req;
    char err[sizeof(ans.head.text)];
    int fd = GROCY_SENDER_FD, type = 0;
    socklen_t tl = sizeof(type);
    CURL *h;

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
        fprintf(stderr,
                "pantry-agent: %s is the daemon's own Grocy sender, started "
                "by the daemon: not for use by hand\n",
                GROCY_SENDER_ARG);
        return 2;
    }
    /* Gone with the daemon, whatever way it goes. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    if (close_range(GROCY_SENDER_FD + 1, ~0u, 0) < 0)
        for (int i = GROCY_SENDER_FD + 1; i < 1024; i++)
            close(i);
    if (curl_load(err, sizeof(err)) < 0 || (h = curl.easy_init()) == NULL) {
        if (curl.easy_init != NULL)
            snprintf(err, sizeof(err), "libcurl cannot start a transfer");
        reply(fd, GROCY_WIRE_HELLO, err);
        return 1;
    }
    if (reply(fd, GROCY_WIRE_HELLO, "") < 0)
        return 1;
    for (;;) {
        ssize_t n = recv(fd, msg, sizeof(msg), MSG_TRUNC);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) /* the daemon closed its end: done */
            break;
        bool ok = grocy_wire_req_read(msg, (size_t)n, &req);
        explicit_bzero(msg, sizeof(msg));
        if (!ok) {
            /* Only a daemon of another build sends this: say so and stop. */
            memset(&ans.head, 0, sizeof(ans.head));
            body_len = 0;
            reply(fd, GROCY_WIRE_HELLO,
                  "the Grocy sender got a request it cannot read");
            break;
        }
        post(h, &req);
        explicit_bzero(&req, sizeof(req));
        if (reply(fd, GROCY_WIRE_ANSWER, curl.easy_strerror((CURLcode)ans.head.cc)) < 0)
            break;
    }
    /* Nothing to tidy that the kernel does not: no TLS goodbye to wait for. */
    _exit(0);
}
