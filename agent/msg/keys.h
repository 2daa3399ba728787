/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device's Ed25519 key (libsodium): made once by `pantryctl keygen` (or by
 * the package on first start), kept in one file readable by its owner only,
 * and refused by the agent when group or others can read it. The public half
 * is published as a JWK (RFC 8037: kty OKP, crv Ed25519) whose RFC 7638
 * thumbprint is the `kid` of every signed message. Key material is never
 * logged and never printed except the public JWK.
 *
 * File format: one line, "ed25519:" and the 32-byte seed in base64url without
 * padding (43 characters), then "\n". Nothing else is accepted.
 */
#ifndef PANTRY_MSG_KEYS_H
#define PANTRY_MSG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYS_PK_BYTES 32
#define KEYS_SK_BYTES 64   /* libsodium's secret key: seed then public key */
#define KEYS_B64_PK_LEN 43 /* base64url of 32 bytes, no padding */
#define KEYS_JWK_MAX 128   /* {"crv":"Ed25519","kty":"OKP","x":"<43>"} and NUL */

struct keys {
    uint8_t pk[KEYS_PK_BYTES];
    uint8_t sk[KEYS_SK_BYTES];
};

/*
 * Make a new key pair and write it to path, created with mode 0600. An existing
 * file is kept (-EEXIST) unless force, then it is replaced atomically (a temp
 * file in the same folder, fsync, rename). Returns 0 with *out filled, or a
 * negative errno with a message in err.
 */
int keys_generate(const char *path, bool force, struct keys *out, char *err,
                  size_t errlen);

/*
 * Read the key at path. Refuses (-EACCES) a file that is not a regular file or
 * that group or others may read or write, and (-EINVAL) anything but the
 * format above. Returns 0 or a negative errno with a message in err (the path
 * and what to do, never key material).
 */
int keys_load(const char *path, struct keys *out, char *err, size_t errlen);

/* Wipe the secret key (sodium_memzero). */
void keys_wipe(struct keys *k);

/* The public JWK, members in RFC 7638 order: {"crv":"Ed25519","kty":"OKP","x":"..."}. */
void keys_jwk(const uint8_t pk[KEYS_PK_BYTES], char out[KEYS_JWK_MAX]);

/* The RFC 7638 thumbprint of that JWK: base64url(SHA-256(jwk)), 43 chars + NUL. */
void keys_thumbprint(const uint8_t pk[KEYS_PK_BYTES], char out[KEYS_B64_PK_LEN + 1]);

/*
 * The JWK as published on <prefix>/<device>/key (retained) and given to
 * retailers: the RFC 7638 members plus "kid" (the thumbprint), "alg":"EdDSA"
 * and "use":"sig". Any standard JOSE library takes it as it is.
 */
#define KEYS_JWK_PUBLISHED_MAX 192
void keys_jwk_published(const uint8_t pk[KEYS_PK_BYTES],
                        char out[KEYS_JWK_PUBLISHED_MAX]);

#define KEYS_JWK_TEXT_MAX 1024 /* a JWK read from a file or a message, bytes */

/*
 * Read a public Ed25519 JWK (a trust store file, a retailer's key, a retained
 * key message): one JSON object of at most KEYS_JWK_TEXT_MAX bytes with kty
 * "OKP", crv "Ed25519" and x the canonical base64url of 32 bytes. Optional
 * members must be right when present: kid equal to the RFC 7638 thumbprint,
 * alg "EdDSA" or "Ed25519", use "sig"; others are ignored (RFC 7517 §4). A
 * private key member "d" is refused: a private key does not belong where a
 * public one is expected. Returns 0 with pk filled, or -EINVAL with a message
 * in err.
 */
int keys_jwk_parse(const char *text, size_t len, uint8_t pk[KEYS_PK_BYTES], char *err,
                   size_t errlen);

/*
 * Read a small file that holds a secret (a key, a password) into buf: opened
 * without following a link; refused (-EACCES) unless it is a regular file that
 * group and others may not access, and (-EINVAL) when it is cap bytes or more.
 * what names it in messages ("credentials"). Returns 0 with *len, or a
 * negative errno with a message in err (never the content).
 */
int keys_read_private(const char *path, const char *what, char *buf, size_t cap,
                      size_t *len, char *err, size_t errlen);

#define KEYS_CRED_MAX 256 /* user name and password, bytes each with the NUL */

/*
 * A credentials file's text (len bytes): "USER\nPASSWORD\n" (the last newline
 * optional), a user name of 1..255 printable bytes without spaces and a
 * password of 0..255 bytes without control characters. Returns 0, or -EINVAL
 * with what is wrong in err (never the password).
 */
int keys_parse_credentials(const char *text, size_t len, char user[KEYS_CRED_MAX],
                           char pass[KEYS_CRED_MAX], char *err, size_t errlen);

/* keys_read_private() and keys_parse_credentials() of the file at path. */
int keys_read_credentials(const char *path, char user[KEYS_CRED_MAX],
                          char pass[KEYS_CRED_MAX], char *err, size_t errlen);

#endif
