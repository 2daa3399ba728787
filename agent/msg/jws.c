/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JWS compact tokens, EdDSA/Ed25519 (see jws.h). The signing input is the
 * ASCII of BASE64URL(header) "." BASE64URL(payload) (RFC 7515 §5.1); the
 * signature is Ed25519 over exactly those bytes (RFC 8037 §3.1).
 */
#include "agent/msg/jws.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/msg/jsonread.h"
#include "sensors/text.h"

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
    snprintf(header, sizeof(header),
             "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"%s\"}", kid, typ);
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

/* Base64url's alphabet as values; 64 for a character outside it. */
static const uint8_t b64_value[256] = {
#define X64 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64
    X64, X64, /* 0x00..0x1f */
    64,  64,  64,  64,  64,  64,  64,  64,  64, 64, 64, 64, 64, 62, 64, 64, /* '-' */
    52,  53,  54,  55,  56,  57,  58,  59,  60, 61, 64, 64, 64, 64, 64, 64, /* 0-9 */
    64,  0,   1,   2,   3,   4,   5,   6,   7,  8,  9,  10, 11, 12, 13, 14, /* A-O */
    15,  16,  17,  18,  19,  20,  21,  22,  23, 24, 25, 64, 64, 64, 64, 63, /* P-Z _ */
    64,  26,  27,  28,  29,  30,  31,  32,  33, 34, 35, 36, 37, 38, 39, 40, /* a-o */
    41,  42,  43,  44,  45,  46,  47,  48,  49, 50, 51, 64, 64, 64, 64, 64, /* p-z */
    X64, X64, X64, X64, X64, X64, X64, X64, /* 0x80..0xff */
#undef X64
};

/*
 * Strict base64url: only the alphabet, no padding, canonical. -1 if not.
 * Canonical means the unused low bits of the last character are zero: a text
 * with stray bits there decodes to the same bytes, and two texts for one
 * signature would be a malleability (RFC 7515 §2 defines one encoding).
 *
 * A table, not libsodium's sodium_base642bin(): that one is constant-time, for
 * secrets, and costs about 68 instructions a character; everything decoded
 * here is public, and the retailer decodes every token it verifies (its goal
 * is 85 % of the bare Ed25519 rate, tests/bench/RESULTS.md).
 */
int
jws_b64url_decode(const char *s, size_t n, uint8_t *buf, size_t cap, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t full = n / 4, tail = n % 4, len = full * 3 + (tail ? tail - 1 : 0), o = 0;

    if (tail == 1 || len > cap)
        return -1;
    for (size_t i = 0; i < full * 4; i += 4) {
        unsigned a = b64_value[u[i]], b = b64_value[u[i + 1]], c = b64_value[u[i + 2]],
                 d = b64_value[u[i + 3]];
        if ((a | b | c | d) & 64)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        buf[o++] = (uint8_t)(v >> 16);
        buf[o++] = (uint8_t)(v >> 8);
        buf[o++] = (uint8_t)v;
    }
    if (tail != 0) {
        const unsigned char *t = u + full * 4;
        unsigned a = b64_value[t[0]], b = b64_value[t[1]],
                 c = tail == 3 ? b64_value[t[2]] : 0;
        /* 2 characters carry 1 byte (4 bits unused), 3 carry 2 (2 unused). */
        if ((a | b | c) & 64 || (tail == 2 ? b & 0x0f : c & 0x03) != 0)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        buf[o++] = (uint8_t)(v >> 16);
        if (tail == 3)
            buf[o++] = (uint8_t)(v >> 8);
    }
    *out_len = o;
    return 0;
}

static const struct jr_member header_members[] = {
    {"alg", JR_STRING, false, NULL},
    {"kid", JR_STRING, false, NULL},
    {"typ", JR_STRING, false, NULL},
    {NULL, JR_SCALAR, false, NULL},
};

static int
header_field(const cJSON *h, const char *name, char *dst, size_t cap, char *err,
             size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, name);

    if (v == NULL)
        return 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
        return text_error(err, errlen, "header %s: expected a string under %zu bytes",
                          name, cap),
               -EINVAL;
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
        return text_error(err, errlen,
                          "token: expected three parts separated by "
                          "'.' (compact serialization)"),
               -EINVAL;
    if (jws_b64url_decode(token, (size_t)(d1 - token), hbuf, JWS_HEADER_MAX, &hl) < 0 ||
        hl == 0)
        return text_error(err, errlen,
                          "header: not base64url (no padding) or over "
                          "%d bytes",
                          JWS_HEADER_MAX),
               -EINVAL;
    /* Depth 2: a crit array reaches its own refusal below. */
    if ((h = jr_parse((const char *)hbuf, hl, JWS_HEADER_MAX, 2, "header", err,
                      errlen)) == NULL)
        goto out;
    if (cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL) {
        text_error(err, errlen, "header: crit extensions are not understood");
        r = -EPERM;
        goto out;
    }
    /* Other members are ignored (RFC 7515 §4), but only plain values. */
    if (jr_members(h, "header", header_members,
                   sizeof(header_members) / sizeof(header_members[0]), err, errlen) < 0)
        goto out;
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
    if (jws_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), sbuf, sizeof(sbuf),
                          &sl) < 0 ||
        sl != crypto_sign_BYTES) {
        text_error(err, errlen, "signature: expected 64 bytes of base64url");
        goto out;
    }
    pl = (size_t)(d2 - d1 - 1);
    if ((out->payload = malloc(pl + 1)) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    if (jws_b64url_decode(d1 + 1, pl, (uint8_t *)out->payload, pl + 1,
                          &out->payload_len) < 0) {
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
