/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link's pure parts, against cases worked out by hand: the outbox's
 * sending decisions (every row of the table in outbox.h), the reconnect
 * backoff (its bounds for every attempt, and the cap), the credentials file
 * grammar, and the decoding of acks with and without a retailer key (signed
 * by the key, by another key, unsigned, with the wrong typ or kid).
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "agent/msg/jws.h"
#include "agent/msg/keys.h"
#include "agent/link/mqtt.h"
#include "agent/link/outbox.h"
#include "agent/link/uplink.h"

static struct outbox_msg
msg(int64_t seq)
{
    struct outbox_msg m;

    memset(&m, 0, sizeof(m));
    m.kind = seq % 2 ? STORE_MSG_REORDER : STORE_MSG_CANCEL;
    m.seq = seq;
    snprintf(m.order_id, sizeof(m.order_id), "o-%lld", (long long)seq);
    return m;
}

static void
test_outbox(void)
{
    struct outbox o;
    struct outbox_msg p[4] = {msg(3), msg(5), msg(6), msg(9)}, got;
    int64_t wake = 0;

    outbox_init(&o, 1000, 5000);
    /* Nothing pending: nothing to do, no timer. */
    CHECK_EQ_I64(outbox_next(&o, p, 0, 0, &wake), -1);
    CHECK_EQ_I64(wake, INT64_MAX);
    /* Nothing sent on this connection: the lowest number goes first. */
    CHECK_EQ_I64(outbox_next(&o, p, 4, 0, &wake), 0);
    outbox_sent(&o, &p[0], 101, 50);
    /* Sent, no PUBACK yet: wait for it, or for the round 5 s after the send. */
    CHECK_EQ_I64(outbox_next(&o, p, 4, 60, &wake), -1);
    CHECK_EQ_I64(wake, 5050);
    /* A token that is not ours changes nothing. */
    CHECK(!outbox_puback(&o, 999, &got));
    CHECK(outbox_puback(&o, 101, &got));
    CHECK(got.seq == 3 && strcmp(got.order_id, "o-3") == 0);
    CHECK(!outbox_puback(&o, 101, &got)); /* each token once */
    /* PUBACK, no answer: wait until 1000 ms after the send. */
    CHECK_EQ_I64(outbox_next(&o, p, 4, 1049, &wake), -1);
    CHECK_EQ_I64(wake, 1050);
    /* The wait is over: the next one. */
    CHECK_EQ_I64(outbox_next(&o, p, 4, 1050, &wake), 1);
    outbox_sent(&o, &p[1], 102, 1050);
    /* Answered before its PUBACK was seen (an ack can overtake it): the next. */
    CHECK_EQ_I64(outbox_next(&o, p + 2, 2, 1051, &wake), 0);
    outbox_sent(&o, &p[2], 103, 1051);
    CHECK_EQ_I64(o.sent_upto, 6);
    CHECK(outbox_puback(&o, 103, &got) && got.seq == 6);
    /* 6 is answered, 9 went out after the wait; 3 and 9 stay unanswered: all
     * sent in this round, so the next round starts 5 s after the last send. */
    struct outbox_msg q[2] = {msg(3), msg(9)};
    CHECK_EQ_I64(outbox_next(&o, q, 2, 1052, &wake), 1);
    outbox_sent(&o, &q[1], 104, 1052);
    CHECK(outbox_puback(&o, 104, &got));
    CHECK_EQ_I64(outbox_next(&o, q, 2, 2052, &wake), -1);
    CHECK_EQ_I64(wake, 6052);
    CHECK_EQ_I64(outbox_next(&o, q, 2, 6052, &wake), 0);
    outbox_sent(&o, &q[0], 105, 6052);
    CHECK_EQ_I64(o.round_wait_ms, 10000); /* doubled for the round after */
    CHECK(outbox_puback(&o, 105, &got));
    CHECK_EQ_I64(outbox_next(&o, q, 2, 7052, &wake), 1); /* ack_wait over: 9 */
    outbox_sent(&o, &q[1], 106, 7052);
    CHECK(outbox_puback(&o, 106, &got));
    CHECK_EQ_I64(outbox_next(&o, q, 2, 8000, &wake), -1);
    CHECK_EQ_I64(wake, 17052);
    /* The wait between rounds stops doubling at an hour. */
    for (int i = 0; i < 20; i++)
        outbox_sent(&o, &q[0], 200 + i, 9000);
    CHECK_EQ_I64(o.round_wait_ms, OUTBOX_RESEND_MAX_MS);
    /* A reconnect: everything unanswered goes again, from the lowest, and the
     * round wait starts over. */
    outbox_reset(&o);
    CHECK_EQ_I64(o.ack_wait_ms, 1000);
    CHECK_EQ_I64(o.round_wait_ms, 5000);
    CHECK_EQ_I64(outbox_next(&o, p, 4, 2000, &wake), 0);
    /* Tokens are forgotten oldest first beyond OUTBOX_INFLIGHT. */
    for (int i = 0; i < OUTBOX_INFLIGHT + 2; i++) {
        struct outbox_msg m = msg(100 + i);
        outbox_sent(&o, &m, 1000 + i, 3000);
    }
    CHECK(!outbox_puback(&o, 1000, &got));
    CHECK(!outbox_puback(&o, 1001, &got));
    CHECK(outbox_puback(&o, 1002, &got) && got.seq == 102);
    CHECK(outbox_puback(&o, 1000 + OUTBOX_INFLIGHT + 1, &got) && o.last_puback);
}

/* Strict: once a retailer answers, nothing passes an unanswered message. */
/* No retailer known and nothing answers: the head goes again each round even
 * while the next waits for ack_wait (a first message lost because the
 * retailer had not subscribed yet must not wait for ack_wait). */
static void
test_outbox_lost_head(void)
{
    struct outbox o;
    struct outbox_msg p[2] = {msg(1), msg(2)}, got;
    int64_t wake = 0;

    outbox_init(&o, 60000, 2000);
    CHECK_EQ_I64(outbox_next(&o, p, 2, 0, &wake), 0);
    outbox_sent(&o, &p[0], 1, 0);
    CHECK(outbox_puback(&o, 1, &got));
    CHECK_EQ_I64(outbox_next(&o, p, 2, 100, &wake), -1);
    CHECK_EQ_I64(wake, 2000); /* the round, before ack_wait's 60000 */
    CHECK_EQ_I64(outbox_next(&o, p, 2, 2000, &wake), 0);
    outbox_sent(&o, &p[0], 2, 2000);
    CHECK(outbox_puback(&o, 2, &got));
    CHECK_EQ_I64(outbox_next(&o, p, 2, 2001, &wake), -1);
    CHECK_EQ_I64(wake, 6000); /* the round wait doubled */
    /* Answered: 2 goes at once. */
    CHECK_EQ_I64(outbox_next(&o, p + 1, 1, 2002, &wake), 0);
}

static void
test_outbox_strict(void)
{
    struct outbox o;
    struct outbox_msg p[2] = {msg(4), msg(7)}, got;
    int64_t wake = 0;

    outbox_init(&o, 1000, 5000);
    outbox_set_strict(&o);
    CHECK_EQ_I64(outbox_next(&o, p, 2, 0, &wake), 0);
    outbox_sent(&o, &p[0], 1, 0);
    CHECK(outbox_puback(&o, 1, &got));
    /* Long past ack_wait: 7 still waits; 4 goes again when the round is due. */
    CHECK_EQ_I64(outbox_next(&o, p, 2, 4999, &wake), -1);
    CHECK_EQ_I64(wake, 5000);
    CHECK_EQ_I64(outbox_next(&o, p, 2, 5000, &wake), 0);
    outbox_sent(&o, &p[0], 2, 5000);
    CHECK_EQ_I64(outbox_next(&o, p, 2, 9000, &wake), -1);
    CHECK_EQ_I64(wake, 15000); /* the round wait doubled */
    /* 4 answered: 7 goes at once. */
    CHECK_EQ_I64(outbox_next(&o, p + 1, 1, 9001, &wake), 0);
    /* A reconnect keeps the strictness. */
    outbox_reset(&o);
    CHECK(o.strict);
}

/* Issue 12: rounds that went unanswered grow the wait; the retailer's answer
 * brings it back to resend, so the next lost message goes again after 5 s,
 * not after the 20 s the silent spell grew it to. */
static void
test_outbox_answer_resets_wait(void)
{
    struct outbox o;
    struct outbox_msg p[2] = {msg(4), msg(7)}, got;
    int64_t wake = 0;

    outbox_init(&o, 1000, 5000);
    outbox_set_strict(&o);
    CHECK_EQ_I64(outbox_next(&o, p, 2, 0, &wake), 0);
    outbox_sent(&o, &p[0], 1, 0);
    CHECK_EQ_I64(outbox_next(&o, p, 2, 5000, &wake), 0); /* round 2 */
    outbox_sent(&o, &p[0], 2, 5000);
    CHECK_EQ_I64(outbox_next(&o, p, 2, 15000, &wake), 0); /* round 3, 10 s later */
    outbox_sent(&o, &p[0], 3, 15000);
    CHECK_EQ_I64(o.round_wait_ms, 20000);
    /* 4 answered at 16 s: 7 goes at once, and is not answered. */
    outbox_answered(&o);
    CHECK_EQ_I64(outbox_next(&o, p + 1, 1, 16000, &wake), 0);
    outbox_sent(&o, &p[1], 4, 16000);
    CHECK(outbox_puback(&o, 4, &got));
    CHECK_EQ_I64(outbox_next(&o, p + 1, 1, 16001, &wake), -1);
    CHECK_EQ_I64(wake, 21000); /* 16 s + 5 s, not 16 s + 20 s */
    CHECK_EQ_I64(outbox_next(&o, p + 1, 1, 21000, &wake), 0);
    outbox_sent(&o, &p[1], 5, 21000);
    CHECK_EQ_I64(outbox_next(&o, p + 1, 1, 21001, &wake), -1);
    CHECK_EQ_I64(wake, 31000); /* and it grows again from there */
}

static void
test_backoff(void)
{
    /* attempt k waits in [d/2, d) with d = min(60 s, 1 s * 2^k). */
    for (unsigned k = 0; k < 40; k++) {
        int64_t d = k >= 6 ? 60000 : 1000LL << k;
        CHECK_EQ_I64(mqtt_backoff_ms(k, 0), d / 2);
        CHECK_MSG(mqtt_backoff_ms(k, UINT32_MAX) < d &&
                      mqtt_backoff_ms(k, UINT32_MAX) >= d - 1,
                  "attempt %u: %lld", k, (long long)mqtt_backoff_ms(k, UINT32_MAX));
        CHECK_EQ_I64(mqtt_backoff_ms(k, 0x80000000u), d / 2 + d / 4);
    }
    CHECK_EQ_I64(mqtt_backoff_ms(UINT32_MAX, 0), 30000);
}

static void
test_credentials(void)
{
    static const struct {
        const char *text;
        const char *user, *pass; /* NULL: refused */
    } cases[] = {
        {"pantry\nsecret\n", "pantry", "secret"},
        {"pantry\nsecret", "pantry", "secret"},
        {"pantry\n\n", "pantry", ""},
        {"pantry\npass word with spaces\n", "pantry", "pass word with spaces"},
        {"pantry", NULL, NULL},
        {"\nsecret\n", NULL, NULL},
        {"pan try\nsecret\n", NULL, NULL},
        {"pantry\nsecret\nthird\n", NULL, NULL},
        {"pantry\nsec\tret\n", NULL, NULL},
        {"pantry\nsecret\n\n", NULL, NULL},
    };
    char user[KEYS_CRED_MAX], pass[KEYS_CRED_MAX], err[256], big[600];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = keys_parse_credentials(cases[i].text, strlen(cases[i].text), user, pass,
                                       err, sizeof(err));
        if (cases[i].user != NULL) {
            CHECK_MSG(r == 0 && strcmp(user, cases[i].user) == 0 &&
                          strcmp(pass, cases[i].pass) == 0,
                      "case %zu: %d %s", i, r, err);
        } else {
            CHECK_MSG(r == -EINVAL, "case %zu accepted", i);
            CHECK_MSG(strstr(err, "secret") == NULL, "case %zu: the password in '%s'",
                      i, err);
        }
    }
    /* Limits: 255 bytes each, and a NUL anywhere. */
    memset(big, 'a', sizeof(big));
    big[255] = '\n';
    CHECK_EQ_I64(keys_parse_credentials(big, 256 + 255, user, pass, err, sizeof(err)),
                 0);
    CHECK_EQ_I64(keys_parse_credentials(big, 256 + 256, user, pass, err, sizeof(err)),
                 -EINVAL);
    big[255] = 'a';
    big[256] = '\n';
    CHECK_EQ_I64(keys_parse_credentials(big, 300, user, pass, err, sizeof(err)),
                 -EINVAL);
    CHECK_EQ_I64(keys_parse_credentials("a\nb\0c", 5, user, pass, err, sizeof(err)),
                 -EINVAL);
}

/* An ack signed by python3-jwcrypto (an independent JOSE library) with RFC 8037
 * A.1's example key, whose private half is published (corpus/ack/). */
static const char jwcrypto_ack[] =
    "eyJhbGciOiAiRWREU0EiLCAia2lkIjogImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWeno3"
    "VHhIQ1R3WEJ5Z3JTNGsiLCAidHlwIjogInBhbnRyeS1hY2srandzIn0.eyJ2IjoxLCJ0eXBl"
    "IjoiYWNrIiwib3JkZXJfaWQiOiJyaWNlLTIwMjYxMDAxVDEyMDAwMFotMDEyM2FiY2QiLCJk"
    "ZXZpY2UiOiJkZW1vLXBpIiwic2VxIjozLCJpYXQiOjE3OTA4NTYwMDAsInN0YXR1cyI6InNo"
    "aXBwZWQiLCJldGEiOiIyMDI2LTEwLTAzVDEyOjAwOjAwWiIsInJldGFpbGVyIjoic2hvcC0x"
    "In0.3PXDLdCOCwJtO1BnPsFidTS6SwRXmJi2ySnhCviFm3NoKztPQuBv9zAbms6eStJy72uK"
    "t5LFvPr0D4BKH0DhDA";

#define ACK                                                                            \
    "{\"v\":1,\"type\":\"ack\",\"order_id\":\"o-1\",\"device\":\"pi\",\"seq\":3,"      \
    "\"iat\":10,\"status\":\"accepted\"}"

static void
test_decode_ack(void)
{
    struct keys shop, other;
    struct message_ack a;
    char err[256], *tok = NULL;
    const char *header_no_kid = "{\"alg\":\"EdDSA\",\"typ\":\"pantry-ack+jws\"}";

    /* RFC 8032 7.1 test keys would do as well; any two distinct seeds. */
    memset(&shop, 0, sizeof(shop));
    memset(&other, 0, sizeof(other));
    uint8_t seed1[32] = {1}, seed2[32] = {2};
    CHECK_EQ_I64(crypto_sign_seed_keypair(shop.pk, shop.sk, seed1), 0);
    CHECK_EQ_I64(crypto_sign_seed_keypair(other.pk, other.sk, seed2), 0);

    /* Without a retailer key: plain JSON, and a JWS read without a check. */
    CHECK_EQ_I64(uplink_decode_ack(ACK, strlen(ACK), NULL, &a, err, sizeof(err)), 0);
    CHECK(a.seq == 3 && a.status == ACK_ACCEPTED && strcmp(a.order_id, "o-1") == 0);
    CHECK_EQ_I64(jws_sign(&other, MESSAGE_TYP_ACK, ACK, strlen(ACK), &tok), 0);
    CHECK_EQ_I64(uplink_decode_ack(tok, strlen(tok), NULL, &a, err, sizeof(err)), 0);
    /* With one: the same token signed by another key is refused, */
    CHECK_EQ_I64(uplink_decode_ack(tok, strlen(tok), shop.pk, &a, err, sizeof(err)),
                 -EPERM);
    free(tok);
    /* unsigned is refused, */
    CHECK_EQ_I64(uplink_decode_ack(ACK, strlen(ACK), shop.pk, &a, err, sizeof(err)),
                 -EPERM);
    CHECK(strstr(err, "unsigned") != NULL);
    /* signed by it: taken. */
    CHECK_EQ_I64(jws_sign(&shop, MESSAGE_TYP_ACK, ACK, strlen(ACK), &tok), 0);
    CHECK_EQ_I64(uplink_decode_ack(tok, strlen(tok), shop.pk, &a, err, sizeof(err)), 0);
    CHECK_EQ_I64(a.seq, 3);
    /* One changed byte of the payload part: the signature fails. */
    char *dot = strchr(tok, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    CHECK(uplink_decode_ack(tok, strlen(tok), shop.pk, &a, err, sizeof(err)) < 0);
    free(tok);
    /* Signed by it, but another typ (a reorder's), or no kid: refused. */
    CHECK_EQ_I64(jws_sign(&shop, MESSAGE_TYP_REORDER, ACK, strlen(ACK), &tok), 0);
    CHECK_EQ_I64(uplink_decode_ack(tok, strlen(tok), shop.pk, &a, err, sizeof(err)),
                 -EINVAL);
    CHECK(strstr(err, "typ") != NULL);
    free(tok);
    CHECK_EQ_I64(jws_sign_header(&shop, header_no_kid, ACK, strlen(ACK), &tok), 0);
    CHECK_EQ_I64(uplink_decode_ack(tok, strlen(tok), shop.pk, &a, err, sizeof(err)),
                 -EPERM);
    CHECK(strstr(err, "kid") != NULL);
    free(tok);
    /* Not a token, not JSON. */
    CHECK_EQ_I64(uplink_decode_ack("hello", 5, NULL, &a, err, sizeof(err)), -EINVAL);
    CHECK_EQ_I64(uplink_decode_ack("", 0, NULL, &a, err, sizeof(err)), -EINVAL);
    /* A good signature over a bad ack: the ack's own error. */
    const char *v2 = "{\"v\":2,\"type\":\"ack\"}";
    CHECK_EQ_I64(jws_sign(&shop, MESSAGE_TYP_ACK, v2, strlen(v2), &tok), 0);
    CHECK_EQ_I64(uplink_decode_ack(tok, strlen(tok), shop.pk, &a, err, sizeof(err)),
                 -EPROTO);
    free(tok);
    /* Another library's token, with the RFC's public key as the retailer's. */
    uint8_t rfc[KEYS_PK_BYTES];
    const char *rfc_jwk = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":"
                          "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
    CHECK_EQ_I64(keys_jwk_parse(rfc_jwk, strlen(rfc_jwk), rfc, err, sizeof(err)), 0);
    CHECK_EQ_I64(uplink_decode_ack(jwcrypto_ack, strlen(jwcrypto_ack), rfc, &a, err,
                                   sizeof(err)),
                 0);
    CHECK(a.status == ACK_SHIPPED && a.eta_s == 1791028800 && a.seq == 3);
    CHECK_EQ_I64(uplink_decode_ack(jwcrypto_ack, strlen(jwcrypto_ack), shop.pk, &a, err,
                                   sizeof(err)),
                 -EPERM);
    keys_wipe(&shop);
    keys_wipe(&other);
}

int
main(void)
{
    RUN(test_outbox);
    RUN(test_outbox_strict);
    RUN(test_outbox_lost_head);
    RUN(test_outbox_answer_resets_wait);
    RUN(test_backoff);
    RUN(test_credentials);
    RUN(test_decode_ack);
    return th_done();
}
