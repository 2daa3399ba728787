/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JWS with EdDSA against RFC 8037 Appendix A.4 (the exact compact token of the
 * example key and payload, and its verification), round trips with kid and
 * typ, and every refusal: altered payload or signature, another key, "none"
 * and HS256 headers, crit, padding, non-canonical base64url, wrong part counts,
 * oversize tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tests/harness.h"
#include "agent/msg/jws.h"

#define A4                                                                             \
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."                        \
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"  \
    "MuM0KAg"

static struct keys rfc;

static void
rfc_key(void)
{
    uint8_t seed[32];
    size_t n;

    CHECK(sodium_init() >= 0);
    CHECK(sodium_base642bin(seed, sizeof(seed),
                            "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", 43, NULL, &n,
                            NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
          n == 32);
    crypto_sign_seed_keypair(rfc.pk, rfc.sk, seed);
}

static int
verify(const char *t, struct jws *j)
{
    char err[256];
    return jws_verify(t, strlen(t), rfc.pk, j, err, sizeof(err));
}

/* The token with the header replaced by base64url(header), signature kept. */
static char *
with_header(const char *header)
{
    char h[512], *t = malloc(strlen(A4) + sizeof(h));
    sodium_bin2base64(h, sizeof(h), (const uint8_t *)header, strlen(header),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sprintf(t, "%s%s", h, strchr(A4, '.'));
    return t;
}

static void
test_rfc8037(void)
{
    char *t = NULL;
    struct jws j;

    CHECK_EQ_I64(jws_sign_header(&rfc, "{\"alg\":\"EdDSA\"}",
                                 "Example of Ed25519 signing", 26, &t),
                 0);
    CHECK_MSG(t != NULL && strcmp(t, A4) == 0, "%s", t ? t : "(null)");
    free(t);
    CHECK_EQ_I64(verify(A4, &j), 0);
    CHECK(strcmp(j.payload, "Example of Ed25519 signing") == 0 && j.payload_len == 26);
    CHECK(strcmp(j.alg, "EdDSA") == 0 && j.kid[0] == '\0' && j.typ[0] == '\0');
    jws_fini(&j);
}

static void
test_round_trip(void)
{
    static const char payload[] = "{\"v\":1,\"type\":\"reorder\"}";
    char *t = NULL, kid[KEYS_B64_PK_LEN + 1];
    struct jws j;
    struct keys other;

    CHECK_EQ_I64(jws_sign(&rfc, "pantry-reorder+jws", payload, strlen(payload), &t), 0);
    CHECK_EQ_I64(verify(t, &j), 0);
    keys_thumbprint(rfc.pk, kid);
    CHECK(strcmp(j.kid, kid) == 0 && strcmp(j.typ, "pantry-reorder+jws") == 0);
    CHECK(strcmp(j.payload, payload) == 0);
    jws_fini(&j);
    /* Another key: the signature does not verify. */
    crypto_sign_keypair(other.pk, other.sk);
    char err[256];
    CHECK_EQ_I64(jws_verify(t, strlen(t), other.pk, &j, err, sizeof(err)), -EBADMSG);
    CHECK(j.payload == NULL);
    free(t);
    CHECK_EQ_I64(jws_sign(&rfc, "bad\"typ", "x", 1, &t), -EINVAL);
    CHECK_EQ_I64(jws_sign(&rfc, "", "x", 1, &t), -EINVAL);
}

static void
test_refusals(void)
{
    struct jws j;
    char t[sizeof(A4) + 8];

    /* A changed payload ("example" lower-case) or signature. */
    strcpy(t, A4);
    t[21] = 'Z';
    CHECK_EQ_I64(verify(t, &j), -EBADMSG);
    strcpy(t, A4);
    t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
    CHECK_EQ_I64(verify(t, &j), -EBADMSG);
    /* Algorithms other than EdDSA never reach the key. */
    static const char *const algs[] = {
        "{\"alg\":\"none\"}",
        "{\"alg\":\"HS256\"}",
        "{\"alg\":\"ES256\"}",
        "{}",
        "{\"alg\":\"EdDSA\",\"crit\":[\"b64\"]}",
    };
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        char *u = with_header(algs[i]);
        int r = verify(u, &j);
        CHECK_MSG(r == -EPERM, "%s: %d", algs[i], r);
        free(u);
    }
    char *u = with_header("{\"alg\":\"EdDSA\",\"crit\":\"b64\"}");
    CHECK_EQ_I64(verify(u, &j), -EPERM);
    free(u);
    /* RFC 9864's fully specified name is accepted too (the signature is then
     * over another header, so it fails only at the signature). */
    u = with_header("{\"alg\":\"Ed25519\"}");
    CHECK_EQ_I64(verify(u, &j), -EBADMSG);
    free(u);
    /* Malformed tokens. */
    static const char *const bad[] = {
        "",
        "a",
        "a.b",
        "a.b.c.d",
        ".RXhh.",
        "eyJhbGciOiJFZERTQSJ9=.e30.AA",
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc=.AA",
        "W10.e30.AA",
        "bnVsbA.e30.AA",
        /* a header with bytes after its object: {"alg":"EdDSA"}x */
        "eyJhbGciOiJFZERTQSJ9eA.e30.AA",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_MSG(verify(bad[i], &j) == -EINVAL, "bad %zu", i);
    /* Non-canonical base64url: the last character carries stray low bits. */
    strcpy(t, A4);
    char *dot2 = strrchr(t, '.');
    dot2[-1] = dot2[-1] == 'c' ? 'd' : 'c'; /* "...pbmc" -> "...pbmd" */
    CHECK_EQ_I64(verify(t, &j), -EINVAL);
    /* Oversize. */
    char *big = malloc(JWS_MAX_LEN + 2);
    memset(big, 'A', JWS_MAX_LEN + 1);
    big[JWS_MAX_LEN + 1] = '\0';
    CHECK_EQ_I64(verify(big, &j), -EINVAL);
    free(big);
}

/*
 * The base64url decoder against libsodium's (an independent implementation):
 * random bytes encoded by libsodium decode to themselves; random texts are
 * taken exactly when libsodium's strict decoder takes them and re-encodes
 * them to the same text (canonical). Seeded, replayable with TEST_SEED.
 */
static void
test_b64_against_sodium(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. \n";
    uint64_t rng = th_seed(20261204);
    uint8_t bin[300], a[300], b[300];
    char text[420], again[420];
    size_t la, lb;

    for (int i = 0; i < 20000; i++) {
        size_t n = th_rand(&rng) % 200;
        for (size_t k = 0; k < n; k++)
            bin[k] = (uint8_t)th_rand(&rng);
        sodium_bin2base64(text, sizeof(text), bin, n,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        CHECK_MSG(jws_b64url_decode(text, strlen(text), a, sizeof(a), &la) == 0 &&
                      la == n && memcmp(a, bin, n) == 0,
                  "round trip of %zu bytes", n);
        /* A random text: mostly the alphabet, sometimes something else. */
        size_t m = th_rand(&rng) % 12;
        for (size_t k = 0; k < m; k++) {
            unsigned r = (unsigned)(th_rand(&rng) % 1000);
            text[k] = r < 990 ? alphabet[r % 64] : alphabet[64 + r % 6];
        }
        int ours = jws_b64url_decode(text, m, a, sizeof(a), &la);
        const char *end = NULL;
        int theirs = sodium_base642bin(b, sizeof(b), text, m, NULL, &lb, &end,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
                             end == text + m
                         ? 0
                         : -1;
        if (theirs == 0) {
            sodium_bin2base64(again, sizeof(again), b, lb,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING);
            if (strlen(again) != m || memcmp(again, text, m) != 0)
                theirs = -1; /* not canonical */
        }
        CHECK_MSG(ours == theirs && (ours < 0 || (la == lb && memcmp(a, b, la) == 0)),
                  "text '%.*s': ours %d, libsodium %d", (int)m, text, ours, theirs);
    }
    /* cap is respected. */
    CHECK_EQ_I64(jws_b64url_decode("AAAA", 4, a, 2, &la), -1);
    CHECK_EQ_I64(jws_b64url_decode("AAAA", 4, a, 3, &la), 0);
}

int
main(void)
{
    rfc_key();
    test_rfc8037();
    test_round_trip();
    test_refusals();
    test_b64_against_sodium();
    return th_done();
}
