/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JWS compact serialization (RFC 7515) with EdDSA over Ed25519 (RFC 8037):
 * what the agent signs its reorders and cancels with, and what the retailer
 * and the agent (for signed acks) verify. Verification is strict and bounded:
 * the whole token, each part and the header have size caps; base64url must be
 * canonical without padding; the header is one flat JSON object whose `alg` is
 * "EdDSA" (or "Ed25519", RFC 9864) and nothing else, so "none" and HMAC
 * confusion are refused before any key is used; a `crit` header is refused.
 */
#ifndef PANTRY_MSG_JWS_H
#define PANTRY_MSG_JWS_H

#include <stddef.h>
#include <stdint.h>

#include "agent/msg/keys.h"

#define JWS_MAX_LEN 16384   /* a whole token, bytes */
#define JWS_HEADER_MAX 1024 /* the decoded header, bytes */
#define JWS_FIELD_MAX 64    /* kid and typ, bytes with the NUL */

/*
 * Sign payload (len bytes) with k: header {"alg":"EdDSA","kid":KID,"typ":typ}
 * where KID is k's RFC 7638 thumbprint. *out gets the NUL-terminated compact
 * token from malloc (the caller frees it). Returns 0, -EINVAL (typ too long or
 * with quotes or control characters, payload too big), -ENOMEM.
 */
int jws_sign(const struct keys *k, const char *typ, const void *payload, size_t len,
             char **out);

/* The same with the caller's protected header text (JSON, as it is signed). */
int jws_sign_header(const struct keys *k, const char *header, const void *payload,
                    size_t len, char **out);

struct jws {
    char alg[16];
    char kid[JWS_FIELD_MAX]; /* "" when absent */
    char typ[JWS_FIELD_MAX]; /* "" when absent */
    char *payload;           /* decoded, NUL-terminated, from malloc */
    size_t payload_len;
};

/*
 * Check token (len bytes, no trailing newline) against the public key pk and,
 * on success, fill *out (free with jws_fini). Returns 0, or with a message in
 * err: -EINVAL malformed (size, dots, base64url, header JSON), -EPERM an `alg`
 * other than EdDSA/Ed25519 or a `crit` header, -EBADMSG a signature that does
 * not verify, -ENOMEM. On failure *out is empty.
 */
int jws_verify(const char *token, size_t len, const uint8_t pk[KEYS_PK_BYTES],
               struct jws *out, char *err, size_t errlen);

/*
 * The same checks as jws_verify() except the signature, which is not looked
 * at: for a signed message whose sender's key is not configured (an ack when
 * no retailer key is set). Its content is then exactly as trustworthy as an
 * unsigned message. Same returns, without -EBADMSG.
 */
int jws_decode_unverified(const char *token, size_t len, struct jws *out, char *err,
                          size_t errlen);

/*
 * Decode n characters of strict base64url (RFC 7515 §2: the URL-safe alphabet,
 * no padding, canonical: the unused low bits of the last character zero) into
 * buf (cap bytes). Returns 0 with *out_len, or -1 for anything else (a stray
 * character, a length of 1 mod 4, stray bits, too long for cap). Not
 * constant-time: for public data only.
 */
int jws_b64url_decode(const char *s, size_t n, uint8_t *buf, size_t cap,
                      size_t *out_len);

/* Free the payload; j may be NULL. */
void jws_fini(struct jws *j);

#endif
