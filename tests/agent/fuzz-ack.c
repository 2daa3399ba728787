/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of what the link reads from outside: acks as they arrive on the
 * ack topic (uplink_decode_ack: JSON or a JWS, then message_ack_parse), with
 * and without a retailer key, and the credentials file's grammar. The first
 * byte picks the mode: 0 ack without a key, 1 ack with RFC 8037's example key
 * as the retailer's, 2 credentials; the rest is the input. Invariants: only
 * the documented errors; a parsed ack has every field in its range, and what
 * message_ack_json() makes of it parses back to the same fields; with a key,
 * only a token signed by it passes (the corpus holds one, signed with the
 * RFC's published private key); credentials never contain a control byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tests/fuzz/fuzz.h"
#include "agent/msg/message.h"
#include "agent/link/uplink.h"

static void
check_ack(const struct message_ack *a)
{
    struct message_ack b;
    char *json = NULL, err[256];

    FUZZ_ASSERT(a->seq >= 1 && a->seq <= MESSAGE_INT_MAX);
    FUZZ_ASSERT(a->iat_s >= 0 && a->iat_s <= MESSAGE_INT_MAX);
    FUZZ_ASSERT((unsigned)a->status < ACK_STATUS_COUNT);
    FUZZ_ASSERT(a->eta_s == 0 || a->status == ACK_SHIPPED);
    FUZZ_ASSERT(memchr(a->order_id, '\0', sizeof(a->order_id)) != NULL &&
                a->order_id[0] != '\0');
    FUZZ_ASSERT(memchr(a->device, '\0', sizeof(a->device)) != NULL && a->device[0]);
    FUZZ_ASSERT(memchr(a->reason, '\0', sizeof(a->reason)) != NULL);
    FUZZ_ASSERT(memchr(a->retailer, '\0', sizeof(a->retailer)) != NULL);
    int r = message_ack_json(a, &json);
    FUZZ_ASSERT(r == 0 || r == -ENOMEM);
    if (r == 0) {
        FUZZ_ASSERT(message_ack_parse(json, strlen(json), &b, err, sizeof(err)) == 0);
        FUZZ_ASSERT(memcmp(a, &b, sizeof(b)) == 0);
    }
    free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char pk_b64[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    uint8_t pk[32];
    char user[KEYS_CRED_MAX], pass[KEYS_CRED_MAX], err[256];
    struct message_ack a;
    size_t n;

    if (size < 1 || sodium_init() < 0 ||
        sodium_base642bin(pk, sizeof(pk), pk_b64, 43, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return 0;
    /* An exact-size copy: a read past the end is caught by ASan. */
    char *text = malloc(size - 1 ? size - 1 : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    if (data[0] % 3 == 2) {
        int r = keys_parse_credentials(text, size - 1, user, pass, err, sizeof(err));
        FUZZ_ASSERT(r == 0 || r == -EINVAL);
        if (r == 0) {
            FUZZ_ASSERT(strlen(user) >= 1 && strlen(user) < KEYS_CRED_MAX);
            FUZZ_ASSERT(strlen(pass) < KEYS_CRED_MAX);
            for (const char *s = user; *s; s++)
                FUZZ_ASSERT((unsigned char)*s > 0x20 && *s != 0x7f);
            for (const char *s = pass; *s; s++)
                FUZZ_ASSERT((unsigned char)*s >= 0x20 && *s != 0x7f);
        }
    } else {
        const uint8_t *key = data[0] % 3 == 1 ? pk : NULL;
        int r = uplink_decode_ack(text, size - 1, key, &a, err, sizeof(err));
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EPERM || r == -EPROTO ||
                    r == -ENOMEM);
        if (r == 0)
            check_ack(&a);
        else
            FUZZ_ASSERT(err[0] != '\0');
    }
    free(text);
    return 0;
}
