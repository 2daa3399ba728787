/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of jws_verify: any bytes as a token, against the RFC 8037 example
 * key. Never crash or read past len (an exact-size heap copy); a token that
 * verifies has alg EdDSA or Ed25519, a payload no longer than the token, and
 * was signed by that key (no forgery from mutations: only the corpus's own
 * A.4 token and tokens equal to it may pass).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tests/fuzz/fuzz.h"
#include "agent/msg/jws.h"

#define A4                                                                             \
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."                        \
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"  \
    "MuM0KAg"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t pk_b64[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    uint8_t pk[KEYS_PK_BYTES];
    size_t n;
    struct jws j;
    char err[256];

    if (sodium_init() < 0 ||
        sodium_base642bin(pk, sizeof(pk), (const char *)pk_b64, 43, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return 0;
    char *token = malloc(size ? size : 1);
    if (token == NULL)
        return 0;
    memcpy(token, data, size);
    int r = jws_verify(token, size, pk, &j, err, sizeof(err));
    FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EPERM || r == -EBADMSG || r == -ENOMEM);
    if (r == 0) {
        FUZZ_ASSERT(strcmp(j.alg, "EdDSA") == 0 || strcmp(j.alg, "Ed25519") == 0);
        FUZZ_ASSERT(j.payload_len <= size && j.payload[j.payload_len] == '\0');
        /* Ed25519 is not malleable and the base64url is canonical: the only
         * token of this key the fuzzer can hold is the one it was given. */
        FUZZ_ASSERT(size == strlen(A4) && memcmp(token, A4, size) == 0);
    } else {
        FUZZ_ASSERT(j.payload == NULL && err[0] != '\0');
    }
    jws_fini(&j);
    free(token);
    return 0;
}
