/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verifier's decisions: every verdict and rejection code, with tokens made
 * independently (data/jwcrypto-tokens.txt: python3-jwcrypto and hand-made
 * hostile tokens, each with the verdict the contract gives it) and with tokens
 * signed by msg's jws_sign; the issued-at window at its edges; sequence and
 * dedupe across restarts of a real SQLite file; and the acks, read back with
 * msg's ack parser and verified with the retailer's public key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "retailer/ack.h"
#include "retailer/message-check.h"
#include "tests/harness.h"
#include "agent/msg/jws.h"
#include "retailer/ledger.h"
#include "agent/msg/message.h"
#include "retailer/retailer-state.h"

#define NOW 1790856000 /* 2026-10-01T12:00:00Z */
#define WEEK (7 * 86400)

static void
seed_key(uint8_t fill, struct keys *k)
{
    uint8_t seed[crypto_sign_SEEDBYTES];

    memset(seed, fill, sizeof(seed));
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

static char *
reorder_json(const char *device, const char *order_id, int64_t seq, int64_t iat)
{
    struct message_reorder m = {
        .order_id = order_id,
        .device_id = device,
        .seq = seq,
        .iat_s = iat,
        .item_id = "rice",
        .item_name = "Rice",
        .sku = "",
        .gtin = "",
        .packs = 1,
        .pack_mg = 1000000,
        .currency = "EUR",
        .reason = "button",
        .stock_mg = 0,
        .rate_ugpd = 0,
        .runout_s = INT64_MAX,
        .runout_lo_s = INT64_MAX,
        .runout_hi_s = INT64_MAX,
        .service_bp = 9500,
    };
    char *text = NULL;

    CHECK(message_reorder_json(&m, &text) == 0);
    return text;
}

static char *
token(const struct keys *k, const char *typ, const char *payload)
{
    char *t = NULL;

    CHECK(jws_sign(k, typ, payload, strlen(payload), &t) == 0);
    return t;
}

static char *
reorder_token(const struct keys *k, const char *device, int n, int64_t seq, int64_t iat)
{
    char oid[64], *p, *t;

    snprintf(oid, sizeof(oid), "rice-20261001T120000Z-%08x", n);
    p = reorder_json(device, oid, seq, iat);
    t = token(k, MESSAGE_TYP_REORDER, p);
    free(p);
    return t;
}

/* Judge token (listen mode when topic_device is set) and apply the ledger. */
static int
judge(const struct check_config *c, struct ledger *l, const char *tok,
      const char *topic_device, enum payload_kind kind, enum check_reason *reason)
{
    struct check_result res;
    int v;

    CHECK(check_token(c, tok, strlen(tok), topic_device, kind, &res) == 0);
    v = ledger_apply(l, &res);
    *reason = res.reason;
    check_result_fini(&res);
    return v;
}

static void
test_jwcrypto_scenario(void)
{
    char path[4096], *line = NULL;
    size_t cap = 0;
    FILE *f;
    struct trust *t = NULL;
    struct ledger *l = NULL;
    int lines = 0;

    snprintf(path, sizeof(path), "%s/tests/retailer/data/jwcrypto-tokens.txt",
             getenv("TEST_SOURCE_ROOT") ? getenv("TEST_SOURCE_ROOT") : "..");
    if ((f = fopen(path, "r")) == NULL) {
        CHECK_MSG(0, "cannot read %s", path);
        return;
    }
    CHECK(trust_new(&t) == 0 && ledger_new(&l) == 0);
    struct check_config c = {
        .trust = t, .now_s = NOW, .max_age_s = WEEK, .max_skew_s = 300};
    while (getline(&line, &cap, f) > 0) {
        char verdict[16], reason[32];
        int off = 0;
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "jwk pi ", 7) == 0) {
            uint8_t pk[KEYS_PK_BYTES];
            CHECK(keys_jwk_parse(line + 7, strlen(line + 7), pk, NULL, 0) == 0);
            CHECK(trust_add(t, "pi", pk) == 0);
            continue;
        }
        if (sscanf(line, "%15s %31s %n", verdict, reason, &off) != 2 || off == 0) {
            CHECK_MSG(0, "bad fixture line %s", line);
            continue;
        }
        lines++;
        enum check_reason got;
        int v = judge(&c, l, line + off, NULL, PAYLOAD_REORDER, &got);
        CHECK_MSG(strcmp(ledger_verdict_to_str((enum ledger_verdict)v), verdict) == 0,
                  "fixture line %d: verdict %s, want %s (%s)", lines,
                  ledger_verdict_to_str((enum ledger_verdict)v), verdict,
                  check_reason_to_str(got));
        if (strcmp(reason, "-") != 0)
            CHECK_MSG(strcmp(check_reason_to_str(got), reason) == 0,
                      "fixture line %d: reason %s, want %s", lines,
                      check_reason_to_str(got), reason);
    }
    CHECK_EQ_I64(lines, 27);
    free(line);
    fclose(f);
    ledger_free(l);
    trust_free(t);
}

static int
pin_none(void *arg, const char *device, const char *kid, int64_t now_s,
         uint8_t pk[KEYS_PK_BYTES], char *why, size_t whylen)
{
    const struct keys *k = arg;

    (void)kid;
    (void)now_s;
    (void)why;
    (void)whylen;
    if (strcmp(device, "pinned") != 0)
        return 0;
    memcpy(pk, k->pk, KEYS_PK_BYTES);
    return 1;
}

/* Listen mode: the device comes from the topic. */
static void
test_topic_rules(void)
{
    struct keys pi, other;
    struct trust *t = NULL;
    struct ledger *l = NULL;
    enum check_reason why;
    char *tok, *p, hdr[256], kid[KEYS_B64_PK_LEN + 1];

    seed_key(1, &pi);
    seed_key(2, &other);
    CHECK(trust_new(&t) == 0 && ledger_new(&l) == 0);
    CHECK(trust_add(t, "pi", pi.pk) == 0);
    struct check_config c = {.trust = t,
                             .now_s = NOW,
                             .max_age_s = WEEK,
                             .max_skew_s = 300,
                             .pin = pin_none,
                             .pin_arg = &other};

    tok = reorder_token(&pi, "pi", 1, 5, NOW);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_REORDER, &why), LEDGER_ACCEPTED);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_REORDER, &why), LEDGER_DUPLICATE);
    /* The same bytes on the cancel topic: typ does not match the topic. */
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_CANCEL, &why), LEDGER_REJECTED);
    CHECK_EQ_I64(why, CHECK_TYP);
    /* On another device's topic: that device is unknown. */
    CHECK_EQ_I64(judge(&c, l, tok, "ghost", PAYLOAD_REORDER, &why), LEDGER_REJECTED);
    CHECK_EQ_I64(why, CHECK_UNKNOWN_DEVICE);
    free(tok);
    /* A device known by its pin only (trust on first use). */
    tok = reorder_token(&other, "pinned", 2, 1, NOW);
    CHECK_EQ_I64(judge(&c, l, tok, "pinned", PAYLOAD_REORDER, &why), LEDGER_ACCEPTED);
    free(tok);
    /* pi's payload on pi's topic signed with another key and pi's kid. */
    keys_thumbprint(pi.pk, kid);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"%s\"}", kid,
             MESSAGE_TYP_REORDER);
    p = reorder_json("pi", "rice-20261001T120000Z-00000003", 6, NOW);
    CHECK(jws_sign_header(&other, hdr, p, strlen(p), &tok) == 0);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_REORDER, &why), LEDGER_REJECTED);
    CHECK_EQ_I64(why, CHECK_SIGNATURE);
    free(tok);
    /* alg Ed25519 (RFC 9864) is EdDSA too. */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"Ed25519\",\"kid\":\"%s\",\"typ\":\"%s\"}",
             kid, MESSAGE_TYP_REORDER);
    CHECK(jws_sign_header(&pi, hdr, p, strlen(p), &tok) == 0);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_REORDER, &why), LEDGER_ACCEPTED);
    free(tok);
    /* No kid at all: not the device's key. */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"typ\":\"%s\"}",
             MESSAGE_TYP_REORDER);
    CHECK(jws_sign_header(&pi, hdr, p, strlen(p), &tok) == 0);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_REORDER, &why), LEDGER_REJECTED);
    CHECK_EQ_I64(why, CHECK_UNKNOWN_KID);
    free(tok);
    free(p);
    /* The payload names another device than the topic. */
    tok = reorder_token(&pi, "pj", 4, 7, NOW);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_REORDER, &why), LEDGER_REJECTED);
    CHECK_EQ_I64(why, CHECK_DEVICE_MISMATCH);
    free(tok);
    /* A cancel shares the sequence counter: 6 was taken by the Ed25519 reorder. */
    p = strdup("{\"v\":1,\"type\":\"cancel\",\"order_id\":\"rice-20261001T120000Z-"
               "00000001\",\"device\":\"pi\",\"seq\":6,\"iat\":1790856000,"
               "\"reason\":\"button\"}");
    tok = token(&pi, MESSAGE_TYP_CANCEL, p);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_CANCEL, &why), LEDGER_REJECTED);
    CHECK_EQ_I64(why, CHECK_SEQUENCE);
    free(tok);
    /* A cancel of another order (the one above is answered for good) with 7. */
    memcpy(strstr(p, "00000001"), "00000002", 8);
    *strstr(p, "\"seq\":6") = '\0';
    char *p7 = NULL;
    CHECK(asprintf(&p7, "%s\"seq\":7,\"iat\":1790856000,\"reason\":\"button\"}", p) >
          0);
    tok = token(&pi, MESSAGE_TYP_CANCEL, p7);
    free(p7);
    CHECK_EQ_I64(judge(&c, l, tok, "pi", PAYLOAD_CANCEL, &why), LEDGER_ACCEPTED);
    free(tok);
    free(p);
    ledger_free(l);
    trust_free(t);
}

static void
test_window_edges(void)
{
    static const struct {
        int64_t iat;
        enum check_reason want;
    } rows[] = {
        {NOW - 3600 - 1, CHECK_STALE}, {NOW - 3600, CHECK_OK},   {NOW, CHECK_OK},
        {NOW + 30, CHECK_OK},          {NOW + 31, CHECK_FUTURE}, {0, CHECK_STALE},
    };
    struct keys pi;
    struct trust *t = NULL;

    seed_key(1, &pi);
    CHECK(trust_new(&t) == 0 && trust_add(t, "pi", pi.pk) == 0);
    /* --max-age 1h --max-skew 30s */
    struct check_config c = {
        .trust = t, .now_s = NOW, .max_age_s = 3600, .max_skew_s = 30};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct check_result res;
        char *tok = reorder_token(&pi, "pi", 1, 1, rows[i].iat);
        CHECK(check_token(&c, tok, strlen(tok), "pi", PAYLOAD_REORDER, &res) == 0);
        CHECK_MSG(res.reason == rows[i].want, "iat now%+lld: %s, want %s",
                  (long long)(rows[i].iat - NOW), check_reason_to_str(res.reason),
                  check_reason_to_str(rows[i].want));
        CHECK(res.signer_known);
        check_result_fini(&res);
        free(tok);
    }
    trust_free(t);
}

struct acks_arg {
    struct ack_config cfg;
    int calls;
};

static int
make_acks(void *arg, const struct check_result *res, enum ledger_verdict v, char **acks)
{
    struct acks_arg *a = arg;

    a->calls++;
    return ack_make(&a->cfg, res, v, acks);
}

/* One judgement through the database, by listener (its *pending, if asked). */
static int
judge_as(struct state *s, const struct check_config *c, struct acks_arg *a,
         const char *tok, const char *listener, char **acks, int *same, int *pending)
{
    struct check_result res;
    int v, p;

    CHECK(check_token(c, tok, strlen(tok), "pi", PAYLOAD_REORDER, &res) == 0);
    CHECK(ledger_identified(&res));
    v = state_judge(s, &res, tok, NOW, listener, make_acks, a, acks, same, &p);
    check_result_fini(&res);
    if (pending != NULL)
        *pending = p;
    return v;
}

static int
judge_db(struct state *s, const struct check_config *c, struct acks_arg *a,
         const char *tok, char **acks, int *same)
{
    return judge_as(s, c, a, tok, "test", acks, same, NULL);
}

static int
count_order(void *arg, const struct state_order *o)
{
    (void)o;
    (*(int *)arg)++;
    return 0;
}

/* How many accepted messages f lets through. */
static int
count_accepted(struct state *s, struct state_filter f)
{
    int n = 0;

    CHECK_EQ_I64(state_accepted_each(s, &f, count_order, &n), 0);
    return n;
}

/*
 * The hand-off record: a new accepted message is pending for its listener;
 * its duplicate is pending for that listener again until it is marked
 * handed off, and pending for another listener only as someone else's.
 */
static void
test_state_handoff(void)
{
    char dir[] = "/tmp/test-retailer-XXXXXX", path[128], cmd[512];
    struct keys pi, shop;
    struct trust *t = NULL;
    struct state *s;
    char *acks, *tok;
    int same, pending;
    long others;

    seed_key(1, &pi);
    seed_key(9, &shop);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/r.db", dir);
    CHECK(trust_new(&t) == 0 && trust_add(t, "pi", pi.pk) == 0);
    struct check_config c = {
        .trust = t, .now_s = NOW, .max_age_s = WEEK, .max_skew_s = 300};
    struct acks_arg a = {{.retailer = "shop-1", .now_s = NOW}, 0};

    CHECK(state_open(path, &s, NULL, 0) == 0);
    tok = reorder_token(&pi, "pi", 1, 5, NOW);
    CHECK_EQ_I64(judge_as(s, &c, &a, tok, "one", &acks, &same, &pending),
                 LEDGER_ACCEPTED);
    free(acks);
    CHECK_EQ_I64(pending, STATE_PENDING_MINE);
    CHECK_EQ_I64(count_accepted(s, (struct state_filter){.pending_only = true}), 1);
    CHECK_EQ_I64(count_accepted(
                     s, (struct state_filter){.pending_only = true, .listener = "two"}),
                 0);
    CHECK_EQ_I64(state_pending_others(s, "two", &others), 0);
    CHECK_EQ_I64(others, 1);
    CHECK_EQ_I64(judge_as(s, &c, &a, tok, "one", &acks, &same, &pending),
                 LEDGER_DUPLICATE);
    free(acks);
    CHECK_EQ_I64(pending, STATE_PENDING_MINE);
    CHECK_EQ_I64(judge_as(s, &c, &a, tok, "two", &acks, &same, &pending),
                 LEDGER_DUPLICATE);
    free(acks);
    CHECK_EQ_I64(pending, STATE_PENDING_OTHER);
    CHECK_EQ_I64(state_handed_off(s, PAYLOAD_REORDER, "pi",
                                  "rice-20261001T120000Z-00000001", NOW),
                 0);
    CHECK_EQ_I64(judge_as(s, &c, &a, tok, "one", &acks, &same, &pending),
                 LEDGER_DUPLICATE);
    free(acks);
    CHECK_EQ_I64(pending, STATE_PENDING_NO);
    CHECK_EQ_I64(count_accepted(s, (struct state_filter){.pending_only = true}), 0);
    CHECK_EQ_I64(count_accepted(s, (struct state_filter){.since_s = NOW}), 1);
    CHECK_EQ_I64(count_accepted(s, (struct state_filter){.since_s = NOW + 1}), 0);
    state_close(s);
    free(tok);
    trust_free(t);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

static void
check_ack(const char *text, enum message_ack_status status, int64_t seq,
          const uint8_t pk[KEYS_PK_BYTES])
{
    struct message_ack a;
    struct jws j;
    char err[256];

    CHECK(text != NULL);
    if (text == NULL)
        return;
    size_t n = strcspn(text, "\n"); /* the first ack of the lines */
    CHECK_MSG(jws_verify(text, n, pk, &j, err, sizeof(err)) == 0, "%s", err);
    CHECK(strcmp(j.typ, MESSAGE_TYP_ACK) == 0);
    CHECK(message_ack_parse(j.payload, j.payload_len, &a, err, sizeof(err)) == 0);
    CHECK_EQ_I64(a.status, status);
    CHECK_EQ_I64(a.seq, seq);
    CHECK(strcmp(a.device, "pi") == 0);
    CHECK(strcmp(a.retailer, "shop-1") == 0);
    jws_fini(&j);
}

static void
test_state_restarts(void)
{
    char dir[] = "/tmp/test-retailer-XXXXXX", path[128];
    struct keys pi, shop;
    struct trust *t = NULL;
    struct state *s;
    char *acks, *first_acks, *tok5, *tok;
    int same;

    seed_key(1, &pi);
    seed_key(9, &shop);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/r.db", dir);
    CHECK(trust_new(&t) == 0 && trust_add(t, "pi", pi.pk) == 0);
    struct check_config c = {
        .trust = t, .now_s = NOW, .max_age_s = WEEK, .max_skew_s = 300};
    struct acks_arg a = {
        {.key = &shop, .retailer = "shop-1", .ship_eta_s = 86400, .now_s = NOW}, 0};

    CHECK(state_open(path, &s, NULL, 0) == 0);
    tok5 = reorder_token(&pi, "pi", 1, 5, NOW);
    CHECK_EQ_I64(judge_db(s, &c, &a, tok5, &first_acks, &same), LEDGER_ACCEPTED);
    /* accepted, then shipped with eta now + 1 d */
    CHECK(first_acks != NULL && strchr(first_acks, '\n') != NULL);
    if (first_acks != NULL) {
        char *nl = strchr(first_acks, '\n');
        *nl = '\0';
        check_ack(first_acks, ACK_ACCEPTED, 5, shop.pk);
        char *second = strdup(nl + 1);
        second[strcspn(second, "\n")] = '\0';
        check_ack(second, ACK_SHIPPED, 5, shop.pk);
        free(second);
        *nl = '\n';
    }
    state_close(s);

    /* Restarted: the same message is a duplicate with the same acks, unjudged. */
    CHECK(state_open(path, &s, NULL, 0) == 0);
    a.calls = 0;
    CHECK_EQ_I64(judge_db(s, &c, &a, tok5, &acks, &same), LEDGER_DUPLICATE);
    CHECK_EQ_I64(a.calls, 0);
    CHECK_EQ_I64(same, 1);
    CHECK(acks != NULL && first_acks != NULL && strcmp(acks, first_acks) == 0);
    free(acks);
    /* A new order with a lower sequence number: rejected, acknowledged so. */
    tok = reorder_token(&pi, "pi", 2, 4, NOW);
    CHECK_EQ_I64(judge_db(s, &c, &a, tok, &acks, &same), LEDGER_REJECTED);
    check_ack(acks, ACK_REJECTED, 4, shop.pk);
    free(acks);
    state_close(s);

    /* Restarted again: the rejection is remembered; the counter is still 5. */
    CHECK(state_open(path, &s, NULL, 0) == 0);
    CHECK_EQ_I64(judge_db(s, &c, &a, tok, &acks, &same), LEDGER_DUPLICATE);
    free(acks);
    free(tok);
    tok = reorder_token(&pi, "pi", 3, 5, NOW);
    CHECK_EQ_I64(judge_db(s, &c, &a, tok, &acks, &same), LEDGER_REJECTED);
    free(acks);
    free(tok);
    tok = reorder_token(&pi, "pi", 4, 6, NOW);
    CHECK_EQ_I64(judge_db(s, &c, &a, tok, &acks, &same), LEDGER_ACCEPTED);
    free(acks);
    free(tok);
    /* Pins: the first key stays. */
    CHECK_EQ_I64(state_pin_put(s, "new", shop.pk, NOW), 0);
    CHECK_EQ_I64(state_pin_put(s, "new", shop.pk, NOW), 1);
    CHECK_EQ_I64(state_pin_put(s, "new", pi.pk, NOW), -EEXIST);
    uint8_t pk[KEYS_PK_BYTES];
    CHECK_EQ_I64(state_pin_get(s, "new", pk), 1);
    CHECK(memcmp(pk, shop.pk, KEYS_PK_BYTES) == 0);
    CHECK_EQ_I64(state_pin_get(s, "nobody", pk), 0);
    state_close(s);

    free(first_acks);
    free(tok5);
    trust_free(t);
    unlink(path);
    snprintf(path, sizeof(path), "%s/r.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/r.db-shm", dir);
    unlink(path);
    rmdir(dir);
}

/* A database of a later schema version is refused, not changed. */
static void
test_state_newer_schema(void)
{
    char dir[] = "/tmp/test-retailer-XXXXXX", path[128], cmd[512];
    struct state *s;
    char err[256] = "";

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/r.db", dir);
    CHECK(state_open(path, &s, NULL, 0) == 0);
    state_close(s);
    snprintf(cmd, sizeof(cmd), "rm -f %s-wal %s-shm", path, path);
    CHECK(system(cmd) == 0);
    /* Bump user_version with a raw write of the header field (offset 60). */
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f != NULL) {
        uint8_t v[4] = {0, 0, 0, STATE_SCHEMA_VERSION + 1};
        CHECK(fseek(f, 60, SEEK_SET) == 0 && fwrite(v, 1, 4, f) == 4);
        fclose(f);
    }
    CHECK_EQ_I64(state_open(path, &s, err, sizeof(err)), -EPROTO);
    CHECK(strstr(err, "newer") != NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* A rejection's reason is cut to what an ack holds, on a character boundary. */
static void
test_ack_reason(void)
{
    struct check_result res;
    struct ack_config cfg = {.now_s = NOW};
    struct message_ack a;
    char *acks = NULL, err[256];

    memset(&res, 0, sizeof(res));
    res.signer_known = res.kind_known = true;
    res.kind = PAYLOAD_REORDER;
    res.reason = CHECK_PAYLOAD;
    strcpy(res.device, "pi");
    strcpy(res.p.order_id, "o-1");
    res.p.seq = 3;
    /* 300 bytes of two-byte characters and a control character. */
    for (size_t i = 0; i + 2 < sizeof(res.detail); i += 2)
        memcpy(res.detail + i, "\xc3\xa9", 2);
    res.detail[1] = '\x01';
    res.detail[0] = 'x';
    CHECK(ack_make(&cfg, &res, LEDGER_REJECTED, &acks) == 0);
    CHECK(acks != NULL);
    if (acks == NULL)
        return;
    acks[strcspn(acks, "\n")] = '\0';
    CHECK_MSG(message_ack_parse(acks, strlen(acks), &a, err, sizeof(err)) == 0, "%s",
              err);
    CHECK(strncmp(a.reason, "payload: x?", 11) == 0);
    CHECK(strlen(a.reason) <= MESSAGE_REASON_MAX - 1);
    CHECK_EQ_I64(a.status, ACK_REJECTED);
    free(acks);
    /* Nothing to say to an unknown signer. */
    res.signer_known = false;
    CHECK(ack_make(&cfg, &res, LEDGER_REJECTED, &acks) == 0);
    CHECK(acks == NULL);
}

/* The eta of the "shipped" ack of an accepted reorder (the second ack line). */
static int64_t
shipped_eta(const struct ack_config *cfg, struct check_result *res, const char *id)
{
    struct message_ack a;
    char *acks = NULL, err[256];
    int64_t eta = -1;
    snprintf(res->p.order_id, sizeof(res->p.order_id), "%s", id);
    CHECK(ack_make(cfg, res, LEDGER_ACCEPTED, &acks) == 0);
    const char *nl = acks != NULL ? strchr(acks, '\n') : NULL;
    if (nl != NULL && nl[1] != '\0') {
        const char *line = nl + 1;
        size_t len = strcspn(line, "\n");
        CHECK_MSG(message_ack_parse(line, len, &a, err, sizeof(err)) == 0, "%s", err);
        CHECK_EQ_I64(a.status, ACK_SHIPPED);
        eta = a.eta_s;
    }
    free(acks);
    return eta;
}

/*
 * The shipped ack's eta: now + --ship-eta; from the order's iat with
 * --eta-from-order (an agent on a virtual clock); with --ship-eta-max a time
 * between the two, the same for the same order id, not the same for all.
 */
static void
test_ack_eta(void)
{
    struct check_result res;
    struct ack_config cfg = {.ship_eta_s = 2 * 86400, .now_s = NOW};
    const int64_t iat = NOW - 40 * 86400;

    memset(&res, 0, sizeof(res));
    res.signer_known = res.kind_known = true;
    res.kind = PAYLOAD_REORDER;
    strcpy(res.device, "pi");
    res.p.seq = 3;
    res.p.iat_s = iat;
    CHECK_EQ_I64(shipped_eta(&cfg, &res, "o-1"), NOW + 2 * 86400);
    cfg.eta_from_order = true;
    CHECK_EQ_I64(shipped_eta(&cfg, &res, "o-1"), iat + 2 * 86400);
    cfg.ship_eta_max_s = 3 * 86400;
    bool differ = false;
    int64_t first = shipped_eta(&cfg, &res, "o-0");
    for (int k = 0; k < 20; k++) {
        char id[16];
        snprintf(id, sizeof(id), "o-%d", k);
        int64_t e = shipped_eta(&cfg, &res, id);
        CHECK(e >= iat + 2 * 86400 && e <= iat + 3 * 86400);
        CHECK_EQ_I64(shipped_eta(&cfg, &res, id), e);
        differ = differ || e != first;
    }
    CHECK(differ);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    RUN(test_jwcrypto_scenario);
    RUN(test_topic_rules);
    RUN(test_window_edges);
    RUN(test_state_restarts);
    RUN(test_state_newer_schema);
    RUN(test_state_handoff);
    RUN(test_ack_reason);
    RUN(test_ack_eta);
    return th_done();
}
