/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ed25519 device keys with libsodium (see keys.h). The seed alone is stored:
 * crypto_sign_seed_keypair() gives the same pair from it on every machine.
 */
#include "agent/msg/keys.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/msg/jsonread.h"
#include "sensors/text.h"

#define PREFIX "ed25519:"
#define SEED_B64_LEN 43
#define LINE_LEN (sizeof(PREFIX) - 1 + SEED_B64_LEN + 1)

static int
init_sodium(char *err, size_t errlen)
{
    if (sodium_init() < 0)
        return text_error(err, errlen, "libsodium cannot start"), -EIO;
    return 0;
}

void
keys_wipe(struct keys *k)
{
    sodium_memzero(k, sizeof(*k));
}

int
keys_generate(const char *path, bool force, struct keys *out, char *err, size_t errlen)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    char line[LINE_LEN + 1], tmp[4096];
    int fd = -1, r;

    if ((r = init_sodium(err, errlen)) < 0)
        return r;
    if (!force && access(path, F_OK) == 0)
        return text_error(err, errlen,
                          "%s exists: keep it, or replace it with "
                          "--force (retailers must then trust the new key)",
                          path),
               -EEXIST;
    if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
        return text_error(err, errlen, "%s: path too long", path), -ENAMETOOLONG;
    randombytes_buf(seed, sizeof(seed));
    crypto_sign_seed_keypair(out->pk, out->sk, seed);
    memcpy(line, PREFIX, sizeof(PREFIX) - 1);
    sodium_bin2base64(line + sizeof(PREFIX) - 1, SEED_B64_LEN + 1, seed, sizeof(seed),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    line[LINE_LEN - 1] = '\n';
    sodium_memzero(seed, sizeof(seed));
    /* 0600 from the start (O_EXCL: never through someone else's file), then an
     * atomic rename, so a crash leaves the old key or the new one, never half. */
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        r = -errno;
        text_error(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (write(fd, line, LINE_LEN) != (ssize_t)LINE_LEN || fsync(fd) < 0) {
        r = -EIO;
        text_error(err, errlen, "%s: write failed", tmp);
        goto out;
    }
    close(fd);
    fd = -1;
    if (!force && access(path, F_OK) == 0) {
        r = -EEXIST;
        text_error(err, errlen, "%s appeared meanwhile: not replaced", path);
        goto out;
    }
    if (rename(tmp, path) < 0) {
        r = -errno;
        text_error(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    r = 0;
out:
    sodium_memzero(line, sizeof(line));
    if (fd >= 0)
        close(fd);
    if (r < 0) {
        unlink(tmp);
        keys_wipe(out);
    }
    return r;
}

int
keys_load(const char *path, struct keys *out, char *err, size_t errlen)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    char line[LINE_LEN + 2];
    struct stat st;
    size_t seed_len = 0;
    ssize_t n;
    int fd, r;

    if ((r = init_sodium(err, errlen)) < 0)
        return r;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return text_error(err, errlen, "%s: %s%s", path, strerror(errno),
                          errno == ENOENT ? " (make one with pantryctl keygen)" : ""),
               -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return text_error(err, errlen, "%s: not a regular file", path), -EACCES;
    }
    if (st.st_mode & 077) {
        close(fd);
        return text_error(err, errlen,
                          "%s: group or others may access the private "
                          "key (mode %03o): chmod 600 it, and make a new key if "
                          "anyone could have read it",
                          path, (unsigned)(st.st_mode & 0777)),
               -EACCES;
    }
    n = read(fd, line, sizeof(line));
    close(fd);
    r = -EINVAL;
    if (n == (ssize_t)LINE_LEN && memcmp(line, PREFIX, sizeof(PREFIX) - 1) == 0 &&
        line[LINE_LEN - 1] == '\n' &&
        sodium_base642bin(seed, sizeof(seed), line + sizeof(PREFIX) - 1, SEED_B64_LEN,
                          NULL, &seed_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
        seed_len == sizeof(seed)) {
        crypto_sign_seed_keypair(out->pk, out->sk, seed);
        r = 0;
    } else {
        text_error(err, errlen,
                   "%s: not a pantry-agent key (expected one line "
                   "\"ed25519:\" and 43 base64url characters)",
                   path);
    }
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(line, sizeof(line));
    return r;
}

void
keys_jwk(const uint8_t pk[KEYS_PK_BYTES], char out[KEYS_JWK_MAX])
{
    char x[KEYS_B64_PK_LEN + 1];

    sodium_bin2base64(x, sizeof(x), pk, KEYS_PK_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    /* RFC 7638 §3.2: the required members only, in lexicographic order, no
     * whitespace; the same text is the JWK we publish. */
    snprintf(out, KEYS_JWK_MAX, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}",
             x);
}

void
keys_thumbprint(const uint8_t pk[KEYS_PK_BYTES], char out[KEYS_B64_PK_LEN + 1])
{
    char jwk[KEYS_JWK_MAX];
    uint8_t h[crypto_hash_sha256_BYTES];

    keys_jwk(pk, jwk);
    crypto_hash_sha256(h, (const unsigned char *)jwk, strlen(jwk));
    sodium_bin2base64(out, KEYS_B64_PK_LEN + 1, h, sizeof(h),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void
keys_jwk_published(const uint8_t pk[KEYS_PK_BYTES], char out[KEYS_JWK_PUBLISHED_MAX])
{
    char x[KEYS_B64_PK_LEN + 1], kid[KEYS_B64_PK_LEN + 1];

    sodium_bin2base64(x, sizeof(x), pk, KEYS_PK_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    keys_thumbprint(pk, kid);
    snprintf(out, KEYS_JWK_PUBLISHED_MAX,
             "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\",\"kid\":\"%s\","
             "\"alg\":\"EdDSA\",\"use\":\"sig\"}",
             x, kid);
}

/* The string member name of o, NULL when absent, and -1 in *bad if not a string. */
static const char *
jwk_str(const cJSON *o, const char *name, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (v == NULL)
        return NULL;
    if (!cJSON_IsString(v)) {
        *bad = true;
        return NULL;
    }
    return v->valuestring;
}

int
keys_jwk_parse(const char *text, size_t len, uint8_t pk[KEYS_PK_BYTES], char *err,
               size_t errlen)
{
    char kid[KEYS_B64_PK_LEN + 1], again[KEYS_B64_PK_LEN + 1];
    const char *kty, *crv, *x, *k, *alg, *use;
    size_t n = 0;
    bool bad = false;
    cJSON *o;
    int r = -EINVAL;

    /* Depth 2: key_ops and x5c are arrays (ignored, as RFC 7517 §4 says). */
    if ((o = jr_parse(text, len, KEYS_JWK_TEXT_MAX, 2, "JWK", err, errlen)) == NULL)
        return -EINVAL;
    kty = jwk_str(o, "kty", &bad);
    crv = jwk_str(o, "crv", &bad);
    x = jwk_str(o, "x", &bad);
    k = jwk_str(o, "kid", &bad);
    alg = jwk_str(o, "alg", &bad);
    use = jwk_str(o, "use", &bad);
    if (bad) {
        text_error(err, errlen, "JWK: kty, crv, x, kid, alg and use must be strings");
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "d") != NULL) {
        text_error(err, errlen,
                   "JWK: holds a private key (\"d\"): give the public "
                   "key only, and keep the private one secret");
        goto out;
    }
    if (kty == NULL || strcmp(kty, "OKP") != 0 || crv == NULL ||
        strcmp(crv, "Ed25519") != 0) {
        text_error(err, errlen, "JWK: expected kty \"OKP\" and crv \"Ed25519\"");
        goto out;
    }
    if (x == NULL || strlen(x) != KEYS_B64_PK_LEN ||
        sodium_base642bin(pk, KEYS_PK_BYTES, x, KEYS_B64_PK_LEN, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != KEYS_PK_BYTES) {
        text_error(err, errlen, "JWK: x: expected 43 base64url characters (32 bytes)");
        goto out;
    }
    /* Canonical x only: one key, one text (and one thumbprint). */
    sodium_bin2base64(again, sizeof(again), pk, KEYS_PK_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (strcmp(again, x) != 0) {
        text_error(err, errlen, "JWK: x: not canonical base64url");
        goto out;
    }
    keys_thumbprint(pk, kid);
    if (k != NULL && strcmp(k, kid) != 0) {
        text_error(err, errlen, "JWK: kid is not the key's RFC 7638 thumbprint %s",
                   kid);
        goto out;
    }
    if ((alg != NULL && strcmp(alg, "EdDSA") != 0 && strcmp(alg, "Ed25519") != 0) ||
        (use != NULL && strcmp(use, "sig") != 0)) {
        text_error(err, errlen, "JWK: alg must be EdDSA and use sig when given");
        goto out;
    }
    r = 0;
out:
    cJSON_Delete(o);
    if (r < 0)
        sodium_memzero(pk, KEYS_PK_BYTES);
    return r;
}

int
keys_read_private(const char *path, const char *what, char *buf, size_t cap,
                  size_t *len, char *err, size_t errlen)
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return text_error(err, errlen, "%s %s: %s", what, path, strerror(errno)),
               -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return text_error(err, errlen, "%s %s: not a regular file", what, path),
               -EACCES;
    }
    if (st.st_mode & 077) {
        close(fd);
        return text_error(err, errlen,
                          "%s %s: group or others may read it (mode %03o): "
                          "chmod 600 it",
                          what, path, (unsigned)(st.st_mode & 0777)),
               -EACCES;
    }
    n = read(fd, buf, cap);
    close(fd);
    if (n < 0 || (size_t)n >= cap)
        return text_error(err, errlen, "%s %s: unreadable or over %zu bytes", what,
                          path, cap - 1),
               -EINVAL;
    *len = (size_t)n;
    return 0;
}

int
keys_parse_credentials(const char *text, size_t len, char user[KEYS_CRED_MAX],
                       char pass[KEYS_CRED_MAX], char *err, size_t errlen)
{
    const char *nl = memchr(text, '\n', len), *end;
    size_t ul, pl;

    if (memchr(text, '\0', len) != NULL)
        return text_error(err, errlen, "credentials: a NUL byte in the file"), -EINVAL;
    if (nl == NULL)
        return text_error(err, errlen,
                          "credentials: expected the user name on the "
                          "first line and the password on the second"),
               -EINVAL;
    ul = (size_t)(nl - text);
    end = text + len;
    if (end > nl + 1 && end[-1] == '\n')
        end--;
    pl = (size_t)(end - (nl + 1));
    if (ul == 0 || ul >= KEYS_CRED_MAX)
        return text_error(err, errlen,
                          "credentials: the user name must be 1 to %d "
                          "bytes",
                          KEYS_CRED_MAX - 1),
               -EINVAL;
    if (pl >= KEYS_CRED_MAX)
        return text_error(err, errlen,
                          "credentials: the password must be at most %d "
                          "bytes",
                          KEYS_CRED_MAX - 1),
               -EINVAL;
    for (size_t i = 0; i < ul; i++)
        if ((unsigned char)text[i] <= 0x20 || text[i] == 0x7f)
            return text_error(err, errlen,
                              "credentials: the user name has a space or "
                              "a control character"),
                   -EINVAL;
    for (size_t i = 0; i < pl; i++)
        if ((unsigned char)nl[1 + i] < 0x20 || nl[1 + i] == 0x7f)
            return text_error(err, errlen,
                              "credentials: the password has a control "
                              "character or a third line follows"),
                   -EINVAL;
    memcpy(user, text, ul);
    user[ul] = '\0';
    memcpy(pass, nl + 1, pl);
    pass[pl] = '\0';
    return 0;
}

int
keys_read_credentials(const char *path, char user[KEYS_CRED_MAX],
                      char pass[KEYS_CRED_MAX], char *err, size_t errlen)
{
    char buf[2 * KEYS_CRED_MAX + 4];
    size_t len = 0;
    int r = keys_read_private(path, "credentials", buf, sizeof(buf), &len, err, errlen);

    if (r == 0)
        r = keys_parse_credentials(buf, len, user, pass, err, errlen);
    sodium_memzero(buf, sizeof(buf));
    return r;
}
