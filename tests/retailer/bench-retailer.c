/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The retailer's offline verify path against the bare signature check, timed
 * in one run on one core (CPU 0, sched_setaffinity):
 *
 *   raw   crypto_sign_verify_detached over each token's signing input, the
 *         signatures decoded beforehand: the floor no verifier can go under;
 *   full  check_token (token checks, key by kid, signature, typ, payload
 *         validation, window) and ledger_apply (dedupe and sequence in
 *         memory): everything `verify` does but reading and printing lines.
 *
 * N reorders of one device, signed with jws_sign, ROUNDS rounds of each,
 * interleaved so that a busy machine slows both: prints the best rate of
 * each and the median over the rounds of the ratio of the two times. With "write DIR"
 * it also writes DIR/tokens.txt and DIR/trust/ for timing `pantry-retailer verify` end
 * to end (run-bench.sh).
 *
 * usage: bench-retailer [N] [write DIR]
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "retailer/message-check.h"
#include "agent/msg/jws.h"
#include "retailer/ledger.h"
#include "agent/msg/message.h"

#define ROUNDS 7
#define NOW 1790856000 /* 2026-10-01T12:00:00Z */

static double
seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
make_token(const struct keys *k, long i, char **out)
{
    char oid[64], *payload = NULL;
    struct message_reorder m = {
        .order_id = oid,
        .device_id = "pi-kitchen",
        .seq = i + 1,
        .iat_s = NOW - 60,
        .item_id = "rice",
        .item_name = "Basmati rice",
        .sku = "R-1",
        .gtin = "4006381333931",
        .packs = 2,
        .pack_mg = 500000,
        .price_cents = 349,
        .currency = "EUR",
        .reason = "predicted",
        .stock_mg = 120500,
        .rate_ugpd = 80250000,
        .runout_s = NOW + 86400,
        .runout_lo_s = NOW + 43200,
        .runout_hi_s = NOW + 2 * 86400,
        .service_bp = 9500,
    };

    snprintf(oid, sizeof(oid), "rice-20261001T120000Z-%08lx", (unsigned long)i);
    if (message_reorder_json(&m, &payload) < 0 ||
        jws_sign(k, MESSAGE_TYP_REORDER, payload, strlen(payload), out) < 0)
        exit(1);
    free(payload);
}

static int
write_files(const char *dir, const struct keys *k, char **tok, long n)
{
    char path[4096], jwk[KEYS_JWK_PUBLISHED_MAX];
    FILE *f;

    snprintf(path, sizeof(path), "%s/trust", dir);
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof(path), "%s/trust/pi-kitchen.jwk", dir);
    keys_jwk_published(k->pk, jwk);
    if ((f = fopen(path, "w")) == NULL)
        return -1;
    fprintf(f, "%s\n", jwk);
    fclose(f);
    snprintf(path, sizeof(path), "%s/tokens.txt", dir);
    if ((f = fopen(path, "w")) == NULL)
        return -1;
    for (long i = 0; i < n; i++)
        fprintf(f, "%s\n", tok[i]);
    return fclose(f);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    uint8_t seed[crypto_sign_SEEDBYTES] = {7};
    uint8_t(*sig)[crypto_sign_BYTES];
    size_t *signed_len;
    struct keys k;
    struct trust *t = NULL;
    char **tok;
    double raw_best = 1e9, full_best = 1e9, ratio[ROUNDS];
    long accepted = 0;
    cpu_set_t one;

    if (n < 1 || sodium_init() < 0)
        return 1;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof(one), &one) < 0)
        perror("sched_setaffinity (timing on any core)");
    crypto_sign_seed_keypair(k.pk, k.sk, seed);
    tok = calloc((size_t)n, sizeof(*tok));
    sig = calloc((size_t)n, sizeof(*sig));
    signed_len = calloc((size_t)n, sizeof(*signed_len));
    if (tok == NULL || sig == NULL || signed_len == NULL || trust_new(&t) < 0 ||
        trust_add(t, "pi-kitchen", k.pk) < 0)
        return 1;
    for (long i = 0; i < n; i++) {
        make_token(&k, i, &tok[i]);
        const char *s = tok[i];
        size_t bl, at = strlen(s) - strlen(strrchr(s, '.'));
        signed_len[i] = at;
        if (sodium_base642bin(sig[i], crypto_sign_BYTES, s + at + 1, strlen(s + at + 1),
                              NULL, &bl, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
            return 1;
    }
    if (argc > 3 && strcmp(argv[2], "write") == 0 &&
        write_files(argv[3], &k, tok, n) < 0) {
        perror(argv[3]);
        return 1;
    }
    struct check_config c = {
        .trust = t, .now_s = NOW, .max_age_s = 7 * 86400, .max_skew_s = 300};
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = seconds();
        for (long i = 0; i < n; i++)
            if (crypto_sign_verify_detached(sig[i], (const uint8_t *)tok[i],
                                            signed_len[i], k.pk) != 0)
                return 1;
        double t1 = seconds();
        struct ledger *l;
        if (ledger_new(&l) < 0)
            return 1;
        double t2 = seconds();
        accepted = 0;
        for (long i = 0; i < n; i++) {
            struct check_result res;
            if (check_token(&c, tok[i], strlen(tok[i]), NULL, PAYLOAD_REORDER, &res) <
                0)
                return 1;
            accepted += ledger_apply(l, &res) == LEDGER_ACCEPTED;
            check_result_fini(&res);
        }
        double t3 = seconds();
        ledger_free(l);
        ratio[round] = (t1 - t0) / (t3 - t2);
        if (t1 - t0 < raw_best)
            raw_best = t1 - t0;
        if (t3 - t2 < full_best)
            full_best = t3 - t2;
    }
    if (accepted != n) {
        fprintf(stderr, "only %ld of %ld accepted\n", accepted, n);
        return 1;
    }
    qsort(ratio, ROUNDS, sizeof(ratio[0]), cmp_double);
    printf("tokens=%ld bytes=%zu raw_per_s=%.0f full_per_s=%.0f ratio=%.3f\n", n,
           strlen(tok[0]), (double)n / raw_best, (double)n / full_best,
           ratio[ROUNDS / 2]);
    for (long i = 0; i < n; i++)
        free(tok[i]);
    free(tok);
    free(sig);
    free(signed_len);
    trust_free(t);
    return 0;
}
