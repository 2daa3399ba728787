/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The webhook client (see webhook.h): libcurl's easy interface, one handle
 * kept for the worker's life so connections are reused. libcurl's result
 * codes become messages in one place, post_error().
 */
#include "retailer/webhook.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/msg/jsonread.h"
#include "sensors/text.h"

struct webhook {
    CURL *curl;
    char *url, *ca_file;
    long timeout_s;
    const struct keys *key;
    unsigned char secret[WEBHOOK_SECRET_MAX];
    size_t secret_len; /* 0: requests are not signed */
    /* the answer being read */
    char answer[WEBHOOK_ANSWER_MAX + 1];
    size_t answer_len;
    bool answer_too_long;
};

const char *
webhook_outcome_to_str(enum webhook_outcome o)
{
    switch (o) {
    case WEBHOOK_DELIVERED:
        return "delivered";
    case WEBHOOK_REFUSED:
        return "refused";
    case WEBHOOK_RETRY:
        return "retry";
    }
    return "?";
}

/* http(s)://HOST..., printable ASCII without spaces. */
static bool
url_ok(const char *url)
{
    const char *p;

    if (strncmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        p = url + 7;
    else
        return false;
    if (*p == '\0' || *p == '/' || *p == ':' || strlen(url) > 2000)
        return false;
    for (; *p != '\0'; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

/*
 * The secret: the file's bytes less one final newline, read with
 * keys_read_private (no link followed; refused when group or others have
 * access: it signs what the order system trusts).
 */
static int
read_secret(struct webhook *w, const char *path, char *err, size_t errlen)
{
    char buf[WEBHOOK_SECRET_MAX + 3];
    size_t len = 0;
    int r = keys_read_private(path, "--webhook-secret", buf, sizeof(buf), &len, err,
                              errlen);

    if (r < 0)
        goto out;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (len < WEBHOOK_SECRET_MIN || len > WEBHOOK_SECRET_MAX) {
        r = text_error(err, errlen,
                       "--webhook-secret %s: must hold %d to %d bytes (a final newline "
                       "is not counted)",
                       path, WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX);
        goto out;
    }
    memcpy(w->secret, buf, len);
    w->secret_len = len;
out:
    sodium_memzero(buf, sizeof(buf));
    return r;
}

int
webhook_new(const struct webhook_config *c, struct webhook **out, char *err,
            size_t errlen)
{
    struct webhook *w;
    int r;

    *out = NULL;
    if (!url_ok(c->url))
        return text_error(err, errlen,
                          "--webhook: '%s' is not http://HOST[:PORT]/PATH or "
                          "https://HOST[:PORT]/PATH",
                          c->url);
    if (c->ca_file != NULL && access(c->ca_file, R_OK) != 0)
        return text_error(err, errlen, "--webhook-ca: cannot read %s: %s", c->ca_file,
                          strerror(errno));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return text_error(err, errlen, "--webhook: libcurl cannot start");
    if ((w = calloc(1, sizeof(*w))) == NULL)
        return -ENOMEM;
    w->timeout_s = c->timeout_s > 0 ? c->timeout_s : 30;
    w->key = c->key;
    if ((w->url = strdup(c->url)) == NULL ||
        (c->ca_file != NULL && (w->ca_file = strdup(c->ca_file)) == NULL) ||
        (w->curl = curl_easy_init()) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    if (c->secret_path != NULL && (r = read_secret(w, c->secret_path, err, errlen)) < 0)
        goto out;
    *out = w;
    return 0;
out:
    webhook_free(w);
    return r;
}

void
webhook_free(struct webhook *w)
{
    if (w == NULL)
        return;
    if (w->curl != NULL)
        curl_easy_cleanup(w->curl);
    sodium_memzero(w->secret, sizeof(w->secret));
    free(w->url);
    free(w->ca_file);
    free(w);
}

/* Keep at most WEBHOOK_ANSWER_MAX bytes; more ends the transfer. */
static size_t
on_answer(char *data, size_t size, size_t n, void *arg)
{
    struct webhook *w = arg;
    size_t len = size * n;

    if (len > WEBHOOK_ANSWER_MAX - w->answer_len) {
        w->answer_too_long = true;
        return 0;
    }
    memcpy(w->answer + w->answer_len, data, len);
    w->answer_len += len;
    return len;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const atomic_bool *stop = arg;

    (void)dt, (void)dn, (void)ut, (void)un;
    return stop != NULL && atomic_load(stop) ? 1 : 0;
}

/* "Pantry-Signature: t=T,v1=HEX": HMAC-SHA256 of "T.body" with the secret. */
static void
signature(const struct webhook *w, const char *body, int64_t now_s, char *out,
          size_t outlen)
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char t[32], hex[2 * sizeof(mac) + 1];

    snprintf(t, sizeof(t), "%lld.", (long long)now_s);
    crypto_auth_hmacsha256_init(&st, w->secret, w->secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, strlen(t));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(out, outlen, "Pantry-Signature: t=%lld,v1=%s", (long long)now_s, hex);
    sodium_memzero(&st, sizeof(st));
}

/* "Pantry-Signature-Ed25519: t=T,kid=KID,sig=B64URL" of "T.body". */
static int
ed25519_signature(const struct webhook *w, const char *body, int64_t now_s, char *out,
                  size_t outlen)
{
    unsigned char sig[crypto_sign_BYTES];
    char t[32], kid[KEYS_B64_PK_LEN + 1],
        b64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES,
                                      sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    size_t tn = (size_t)snprintf(t, sizeof(t), "%lld.", (long long)now_s),
           bn = strlen(body);
    unsigned char *msg = malloc(tn + bn);

    if (msg == NULL)
        return -ENOMEM;
    memcpy(msg, t, tn);
    memcpy(msg + tn, body, bn);
    crypto_sign_detached(sig, NULL, msg, tn + bn, w->key->sk);
    free(msg);
    sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    keys_thumbprint(w->key->pk, kid);
    snprintf(out, outlen, "Pantry-Signature-Ed25519: t=%lld,kid=%s,sig=%s",
             (long long)now_s, kid, b64);
    return 0;
}

/*
 * A refusal's reason: the body must be one JSON object whose "reason" is a
 * string (other members are let through); kept as printable ASCII (others
 * become '?'), cut at WEBHOOK_REASON_MAX bytes.
 */
static void
refusal_reason(const struct webhook *w, char *reason, size_t reasonlen)
{
    static const struct jr_member table[] = {
        {"reason", JR_STRING, true, "the reason"},
        {NULL, JR_SCALAR | JR_OBJECT | JR_ARRAY, false, NULL},
    };
    char why[256];
    cJSON *o = NULL;
    const cJSON *r;
    size_t n = 0, max = reasonlen - 1 < WEBHOOK_REASON_MAX ? reasonlen - 1
                                                           : WEBHOOK_REASON_MAX;

    snprintf(reason, reasonlen, "(none given)");
    if (w->answer_len == 0)
        return;
    o = jr_parse(w->answer, w->answer_len, WEBHOOK_ANSWER_MAX, 8, "answer", why,
                 sizeof(why));
    if (o == NULL || jr_members(o, "answer", table, 2, why, sizeof(why)) < 0)
        goto out;
    r = cJSON_GetObjectItemCaseSensitive(o, "reason");
    for (const char *p = cJSON_GetStringValue(r); p != NULL && *p != '\0' && n < max;
         p++)
        reason[n++] = (*p >= ' ' && *p < 0x7f) ? *p : '?';
    if (n > 0)
        reason[n] = '\0';
out:
    cJSON_Delete(o);
}

int
webhook_post(struct webhook *w, const char *key, const char *body, int64_t now_s,
             const atomic_bool *stop, char *reason, size_t reasonlen, char *err,
             size_t errlen)
{
    struct curl_slist *h = NULL, *more;
    char line[256], cerr[CURL_ERROR_SIZE] = "";
    long status = 0;
    CURLcode rc;
    int r;

    reason[0] = err[0] = '\0';
    snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
    if ((h = curl_slist_append(h, "Content-Type: application/json")) == NULL ||
        (more = curl_slist_append(h, line)) == NULL)
        goto nomem;
    h = more;
    if (w->secret_len > 0) {
        signature(w, body, now_s, line, sizeof(line));
        if ((more = curl_slist_append(h, line)) == NULL)
            goto nomem;
        h = more;
    }
    if (w->key != NULL) {
        char ed[320];
        if (ed25519_signature(w, body, now_s, ed, sizeof(ed)) < 0 ||
            (more = curl_slist_append(h, ed)) == NULL)
            goto nomem;
        h = more;
    }
    /* No "Expect: 100-continue": a second round trip for nothing. */
    if ((more = curl_slist_append(h, "Expect:")) == NULL)
        goto nomem;
    h = more;
    w->answer_len = 0;
    w->answer_too_long = false;
    curl_easy_reset(w->curl);
    curl_easy_setopt(w->curl, CURLOPT_URL, w->url);
    curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, (void *)stop);
    curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(w->curl, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT, w->timeout_s);
    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(w->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(w->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "pantry-retailer");
    if (w->ca_file != NULL)
        curl_easy_setopt(w->curl, CURLOPT_CAINFO, w->ca_file);
    rc = curl_easy_perform(w->curl);
    /* A body too long to read still came after its status line: a 2xx or a
     * refusal has been said, and is taken (a refusal's reason unread). */
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && w->answer_too_long)) {
        text_error(err, errlen, "%s", cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
        r = WEBHOOK_RETRY;
        goto out;
    }
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
    if (w->answer_too_long)
        w->answer_len = 0; /* not parsed: cut, it is not JSON */
    w->answer[w->answer_len] = '\0';
    if (status >= 200 && status <= 299) {
        r = WEBHOOK_DELIVERED;
    } else if (status == 409 || status == 422) {
        refusal_reason(w, reason, reasonlen);
        r = WEBHOOK_REFUSED;
    } else {
        text_error(err, errlen, "HTTP status %ld%s", status,
                   w->answer_too_long ? " (and an answer too long to read)" : "");
        r = WEBHOOK_RETRY;
    }
out:
    curl_slist_free_all(h);
    return r;
nomem:
    curl_slist_free_all(h);
    return -ENOMEM;
}
