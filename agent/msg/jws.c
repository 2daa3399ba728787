/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JWS compact tokens, EdDSA/Ed25519 (see jws.h). The signing input is the
 * ASCII of BASE64URL(header) "." BASE64URL(payload) (RFC 7515 §5.1); the
 * signature is Ed25519 over exactly those bytes (RFC 8037 §3.1).
 */
#include "jws.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static size_t
b64_len(size_t bin)
{
    return sodium_base64_ENCODED_LEN(bin, B64) - 1; /* without the NUL */
}

int
jws_sign_header(const struct keys *k, const char *header, const void *payload,
                size_t len, char **out)
{
    uint8_t sig[crypto_sign_BYTES];
    size_t hl = strlen(header), n;
    char *t;

    if (len > JWS_MAX_LEN || hl > JWS_HEADER_MAX)
        return -EINVAL;
    n = b64_len(hl) + 1 + b64_len(len) + 1 + b64_len(sizeof(sig));
    if ((t = malloc(n + 1)) == NULL)
        return -ENOMEM;
    sodium_bin2base64(t, b64_len(hl) + 1, (const uint8_t *)header, hl, B64);
    size_t at = b64_len(hl);
    t[at++] = '.';
    sodium_bin2base64(t + at, b64_len(len) + 1, payload, len, B64);
    at += b64_len(len);
    crypto_sign_detached(sig, NULL, (const uint8_t *)t, at, k->sk);
    t[at++] = '.';
    sodium_bin2base64(t + at, b64_len(sizeof(sig)) + 1, sig, sizeof(sig), B64);
    *out = t;
    return 0;
}

static bool
plain_field(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= JWS_FIELD_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return false;
    return true;
}

int
jws_sign(const struct keys *k, const char *typ, const void *payload, size_t len,
         char **out)
{
    char kid[KEYS_B64_PK_LEN + 1], header[256];

    if (!plain_field(typ))
        return -EINVAL;
    keys_thumbprint(k->pk, kid);
    snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"%s\"}",
             kid, typ);
    return jws_sign_header(k, header, payload, len, out);
}

void
jws_fini(struct jws *j)
{
    if (j == NULL)
        return;
    free(j->payload);
    memset(j, 0, sizeof(*j));
}

/*
 * Strict base64url: only the alphabet, no padding, canonical. -1 if not.
 * Canonical means the unused low bits of the last character are zero: a text
 * with stray bits there decodes to the same bytes, and two texts for one
 * signature would be a malleability (RFC 7515 §2 defines one encoding).
 */
static int
decode(const char *s, size_t n, uint8_t *buf, size_t cap, size_t *out_len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *end = NULL;

    if (n % 4 == 1 ||
        sodium_base642bin(buf, cap, s, n, NULL, out_len, &end, B64) != 0 ||
        end != s + n)
        return -1;
    if (n % 4 != 0) {
        /* 2 characters carry 1 byte (4 bits unused), 3 carry 2 (2 unused). */
        const char *p = memchr(alphabet, s[n - 1], 64);
        unsigned unused = n % 4 == 2 ? 0x0fu : 0x03u;
        if (p == NULL || ((unsigned)(p - alphabet) & unused) != 0)
            return -1;
    }
    return 0;
}

static int
header_field(const cJSON *h, const char *name, char *dst, size_t cap, char *err,
             size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, name);

    if (v == NULL)
        return 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
        return text_error(err, errlen, "header %s: expected a string under %zu bytes",
                          name, cap), -EINVAL;
    snprintf(dst, cap, "%s", v->valuestring);
    return 0;
}

/*
 * Everything but the signature: sizes, the three parts, the header and its
 * alg, the signature's form and the payload. *sig gets the signature, *signed_len
 * the length of the signing input.
 */
static int
parse(const char *token, size_t len, struct jws *out, uint8_t sig[crypto_sign_BYTES],
      size_t *signed_len, char *err, size_t errlen)
{
    const char *d1, *d2;
    uint8_t hbuf[JWS_HEADER_MAX + 1], sbuf[crypto_sign_BYTES + 1];
    size_t hl, pl, sl;
    cJSON *h = NULL;
    int r = -EINVAL;

    memset(out, 0, sizeof(*out));
    if (len == 0 || len > JWS_MAX_LEN || memchr(token, '\0', len) != NULL)
        return text_error(err, errlen, "token: expected 1 to %d bytes", JWS_MAX_LEN),
               -EINVAL;
    d1 = memchr(token, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (d1 == NULL || d2 == NULL ||
        memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
        return text_error(err, errlen, "token: expected three parts separated by "
                          "'.' (compact serialization)"), -EINVAL;
    if (decode(token, (size_t)(d1 - token), hbuf, JWS_HEADER_MAX, &hl) < 0 || hl == 0)
        return text_error(err, errlen, "header: not base64url (no padding) or over "
                          "%d bytes", JWS_HEADER_MAX), -EINVAL;
    hbuf[hl] = '\0';
    if (memchr(hbuf, '\0', hl) == NULL)
        h = cJSON_ParseWithLength((const char *)hbuf, hl);
    if (h == NULL || !cJSON_IsObject(h)) {
        text_error(err, errlen, "header: not a JSON object");
        goto out;
    }
    for (const cJSON *c = h->child; c != NULL; c = c->next)
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            text_error(err, errlen, "header %s: nested values are not accepted",
                       c->string);
            goto out;
        }
    if (cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL) {
        text_error(err, errlen, "header: crit extensions are not understood");
        r = -EPERM;
        goto out;
    }
    if ((r = header_field(h, "alg", out->alg, sizeof(out->alg), err, errlen)) < 0 ||
        (r = header_field(h, "kid", out->kid, sizeof(out->kid), err, errlen)) < 0 ||
        (r = header_field(h, "typ", out->typ, sizeof(out->typ), err, errlen)) < 0)
        goto out;
    /* Only EdDSA: "none" and HMAC algorithms never reach the key (RFC 8725 §3.1). */
    if (strcmp(out->alg, "EdDSA") != 0 && strcmp(out->alg, "Ed25519") != 0) {
        text_error(err, errlen, "alg '%s' refused: only EdDSA (Ed25519) is accepted",
                   out->alg[0] ? out->alg : "(none given)");
        r = -EPERM;
        goto out;
    }
    r = -EINVAL;
    if (decode(d2 + 1, len - (size_t)(d2 + 1 - token), sbuf, sizeof(sbuf), &sl) < 0 ||
        sl != crypto_sign_BYTES) {
        text_error(err, errlen, "signature: expected 64 bytes of base64url");
        goto out;
    }
    pl = (size_t)(d2 - d1 - 1);
    if ((out->payload = malloc(pl + 1)) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    if (decode(d1 + 1, pl, (uint8_t *)out->payload, pl + 1, &out->payload_len) < 0) {
        text_error(err, errlen, "payload: not base64url (no padding)");
        goto out;
    }
    out->payload[out->payload_len] = '\0';
    memcpy(sig, sbuf, crypto_sign_BYTES);
    *signed_len = (size_t)(d2 - token);
    r = 0;
out:
    cJSON_Delete(h);
    if (r < 0)
        jws_fini(out);
    return r;
}

int
jws_verify(const char *token, size_t len, const uint8_t pk[KEYS_PK_BYTES],
           struct jws *out, char *err, size_t errlen)
{
    uint8_t sig[crypto_sign_BYTES];
    size_t signed_len;
    int r = parse(token, len, out, sig, &signed_len, err, errlen);

    if (r < 0)
        return r;
    if (crypto_sign_verify_detached(sig, (const uint8_t *)token, signed_len, pk) != 0) {
        jws_fini(out);
        return text_error(err, errlen, "signature does not verify with this key"),
               -EBADMSG;
    }
    return 0;
}

int
jws_decode_unverified(const char *token, size_t len, struct jws *out, char *err,
                      size_t errlen)
{
    uint8_t sig[crypto_sign_BYTES];
    size_t signed_len;

    return parse(token, len, out, sig, &signed_len, err, errlen);
}
