/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stateless checks of one signed message, in the order of the table in
 * message-check.h. The key is chosen by the topic's device, or by the header's kid as
 * a JOSE library does (RFC 7515 §4.1.4); the token is then verified with
 * jws_verify and that key, and only the verified payload is validated and
 * used. A token is parsed once when it is good: only a rejected one is
 * decoded again, without verification, to tell which rule it broke (the
 * signature check is most of the cost of a message, a second parse the
 * largest part of the rest, tests/retailer/BENCH.md).
 */
#include "retailer/message-check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/msg/jsonread.h"
#include "agent/msg/message.h"
#include "sensors/text.h"

static const char *const reason_names[CHECK_REASON_COUNT] = {
    "ok",          "malformed", "alg",    "signature", "unknown-device",
    "unknown-kid", "typ",       "schema", "payload",   "device-mismatch",
    "sequence",    "stale",     "future", "window",
};

const char *
check_reason_to_str(enum check_reason r)
{
    if ((unsigned)r >= CHECK_REASON_COUNT)
        return "?";
    return reason_names[r];
}

void
check_result_fini(struct check_result *res)
{
    if (res != NULL)
        payload_fini(&res->p);
}

static int fail(struct check_result *res, enum check_reason reason, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

static int
fail(struct check_result *res, enum check_reason reason, const char *fmt, ...)
{
    va_list ap;

    if (res->reason == CHECK_OK) {
        res->reason = reason;
        va_start(ap, fmt);
        text_verror(res->detail, sizeof(res->detail), fmt, ap);
        va_end(ap);
    }
    return 0;
}

/*
 * The device an unverified payload claims, for the message that tells an
 * unknown kid of a known device from an unknown device (verify only).
 */
static void
claimed_device(const struct jws *j, char out[MESSAGE_ID_MAX])
{
    cJSON *root = NULL;
    const cJSON *v;

    out[0] = '\0';
    root = jr_parse(j->payload, j->payload_len, PAYLOAD_MAX, 6, "payload", NULL, 0);
    v = cJSON_GetObjectItemCaseSensitive(root, "device");
    if (cJSON_IsString(v) && text_is_name(v->valuestring, MESSAGE_ID_MAX))
        snprintf(out, MESSAGE_ID_MAX, "%s", v->valuestring);
    cJSON_Delete(root);
}

/*
 * The kid in a token's header, read only to choose a key (verify, where no
 * topic names the device): nothing is trusted from it, jws_verify checks the
 * whole token afterwards. "" when it cannot be read.
 */
static void
peek_kid(const char *token, size_t len, char kid[JWS_FIELD_MAX])
{
    char hdr[JWS_HEADER_MAX + 1];
    const char *dot = memchr(token, '.', len);
    const cJSON *v;
    cJSON *h = NULL;
    size_t n;

    kid[0] = '\0';
    if (dot != NULL && jws_b64url_decode(token, (size_t)(dot - token), (uint8_t *)hdr,
                                         JWS_HEADER_MAX, &n) == 0)
        h = jr_parse(hdr, n, JWS_HEADER_MAX, 2, "header", NULL, 0);
    v = cJSON_GetObjectItemCaseSensitive(h, "kid");
    if (cJSON_IsString(v) && strlen(v->valuestring) < JWS_FIELD_MAX)
        snprintf(kid, JWS_FIELD_MAX, "%s", v->valuestring);
    cJSON_Delete(h);
}

/* Why the pin callback found no key: its detail, and whether the device has
 * another. */
struct key_miss {
    bool other_kid;
    char why[CHECK_DETAIL_MAX];
};

/*
 * Choose the key: by the topic's device (trust store, then the callback:
 * key table and pin, by the header's kid), or, with topic_device NULL, by
 * the token's kid. Returns 1 with pk, kid (the key's thumbprint) and
 * res->device set, 0 when no key is trusted (miss says why), or the
 * callback's negative errno.
 */
static int
choose_key(const struct check_config *c, const char *token, size_t len,
           const char *topic_device, uint8_t pk[KEYS_PK_BYTES],
           char kid[KEYS_B64_PK_LEN + 1], struct check_result *res,
           struct key_miss *miss)
{
    const struct trust_entry *e;
    char peeked[JWS_FIELD_MAX];
    int r;

    if (topic_device == NULL) {
        peek_kid(token, len, peeked);
        if ((e = trust_find_kid(c->trust, peeked)) == NULL)
            return 0;
        snprintf(res->device, sizeof(res->device), "%s", e->device);
        memcpy(pk, e->pk, KEYS_PK_BYTES);
        memcpy(kid, e->kid, sizeof(e->kid));
        return 1;
    }
    if ((e = trust_find_device(c->trust, topic_device)) != NULL) {
        memcpy(pk, e->pk, KEYS_PK_BYTES);
    } else if (c->pin != NULL) {
        peek_kid(token, len, peeked);
        r = c->pin(c->pin_arg, topic_device, peeked, c->now_s, pk, miss->why,
                   sizeof(miss->why));
        if (r == CHECK_KEY_OTHER_KID) {
            miss->other_kid = true;
            return 0;
        }
        if (r <= 0)
            return r;
    } else {
        return 0;
    }
    keys_thumbprint(pk, kid);
    snprintf(res->device, sizeof(res->device), "%s", topic_device);
    return 1;
}

/*
 * Why a token failed before its signature could count (no key, or a bad
 * signature): decoded without verification, the first rule of the table it
 * breaks. Only runs for rejected tokens, so the accepted ones are parsed once.
 */
static int
classify(const struct check_config *c, const char *token, size_t len,
         const char *topic_device, const char *kid, const struct key_miss *miss,
         struct check_result *res)
{
    struct jws j;
    char why[CHECK_DETAIL_MAX], dev[MESSAGE_ID_MAX];
    int r = jws_decode_unverified(token, len, &j, why, sizeof(why));

    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return fail(res, r == -EPERM ? CHECK_ALG : CHECK_MALFORMED, "%s", why);
    snprintf(res->kid, sizeof(res->kid), "%s", j.kid);
    if (kid == NULL && topic_device != NULL && miss->why[0] != '\0') {
        r = fail(res, miss->other_kid ? CHECK_UNKNOWN_KID : CHECK_UNKNOWN_DEVICE, "%s",
                 miss->why);
    } else if (kid == NULL && topic_device != NULL && miss->other_kid) {
        r = fail(res, CHECK_UNKNOWN_KID, "kid \"%.44s\" is not a key of device %s",
                 j.kid, topic_device);
    } else if (kid == NULL && topic_device != NULL) {
        r = fail(res, CHECK_UNKNOWN_DEVICE, "device %s is not in the trust store%s",
                 topic_device, c->pin ? ", the key table or the pins" : "");
    } else if (kid == NULL) {
        claimed_device(&j, dev);
        if (dev[0] != '\0' && trust_find_device(c->trust, dev) != NULL)
            r = fail(res, CHECK_UNKNOWN_KID,
                     "kid \"%.44s\" is not the key trusted "
                     "for device %s",
                     j.kid, dev);
        else
            r = fail(res, CHECK_UNKNOWN_DEVICE,
                     "no trusted key has kid \"%.44s\" "
                     "(device \"%s\" is not in the trust store)",
                     j.kid, dev);
        res->device[0] = '\0';
    } else if (strcmp(j.kid, kid) != 0) {
        r = fail(res, CHECK_UNKNOWN_KID,
                 "kid \"%.44s\" is not the thumbprint of the "
                 "key trusted for device %s",
                 j.kid, res->device);
    } else {
        r = fail(res, CHECK_SIGNATURE,
                 "signature does not verify with the key of "
                 "device %s",
                 res->device);
    }
    jws_fini(&j);
    return r;
}

static const char *
typ_of(enum payload_kind k)
{
    return k == PAYLOAD_REORDER ? MESSAGE_TYP_REORDER : MESSAGE_TYP_CANCEL;
}

/* The local time's offset from UTC at t_s in the TZ of the process, seconds. */
static int32_t
local_offset_s(int64_t t_s)
{
    time_t t = (time_t)t_s;
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || tm.tm_gmtoff < -18 * 3600 ||
        tm.tm_gmtoff > 18 * 3600)
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

/*
 * A reorder v2's delivery windows (validated by payload_parse(): days of
 * mon..sun, HH:MM) into w, their number in *n, and the order's UTC offset;
 * false when it has none to read (version 1).
 */
static bool
order_windows(const cJSON *json, struct delivery_window *w, size_t *n, int32_t *off_s)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(json, "wishes"), "delivery");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(d, "windows"), *e;
    const char *off =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "utc_offset"));
    int h, m;

    *n = 0;
    if (!cJSON_IsArray(list) || off == NULL || strlen(off) != 6 ||
        sscanf(off + 1, "%2d:%2d", &h, &m) != 2)
        return false;
    *off_s = (off[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    cJSON_ArrayForEach(e, list)
    {
        char text[64] = "";
        size_t at = 0;
        const cJSON *day;
        cJSON_ArrayForEach(day, cJSON_GetObjectItemCaseSensitive(e, "days"))
        {
            const char *s = cJSON_GetStringValue(day);
            if (s != NULL && at + 5 < sizeof(text))
                at += (size_t)snprintf(text + at, sizeof(text) - at, "%s%s",
                                       at ? "," : "", s);
        }
        const char *f =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "from"));
        const char *u =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "until"));
        if (*n == DELIVERY_MAX_WINDOWS || f == NULL || u == NULL)
            return false;
        snprintf(text + at, sizeof(text) - at, " %s-%s", f, u);
        if (!window_parse(text, &w[*n]))
            return false;
        (*n)++;
    }
    return true;
}

/* A reorder v2 whose windows meet none of the retailer's: "window". */
static int
check_windows(const struct check_config *c, struct check_result *res)
{
    struct delivery_window w[DELIVERY_MAX_WINDOWS];
    char theirs[64], ours[64];
    size_t n;
    int32_t off_s, ours_s = local_offset_s(res->p.iat_s);

    if (res->kind != PAYLOAD_REORDER || res->p.version < MESSAGE_REORDER_V2 ||
        !order_windows(res->p.json, w, &n, &off_s) ||
        window_meets(w, n, off_s, c->windows, c->n_windows, ours_s))
        return 0;
    window_format(&w[0], theirs, sizeof(theirs));
    window_format(&c->windows[0], ours, sizeof(ours));
    return fail(res, CHECK_WINDOW,
                "no delivery window of the order (%s%s, UTC%c%02d:%02d) meets ours "
                "(%s%s, UTC%c%02d:%02d)",
                theirs, n > 1 ? ", ..." : "", off_s < 0 ? '-' : '+', abs(off_s) / 3600,
                abs(off_s) % 3600 / 60, ours, c->n_windows > 1 ? ", ..." : "",
                ours_s < 0 ? '-' : '+', abs(ours_s) / 3600, abs(ours_s) % 3600 / 60);
}

/* The rules a verified message must keep, each failure with its reason. */
static int
check_rules(const struct check_config *c, const struct jws *v, const char *topic_device,
            enum payload_kind topic_kind, struct check_result *res)
{
    char why[CHECK_DETAIL_MAX];
    int r;

    if (topic_device != NULL) {
        res->kind = topic_kind;
        res->kind_known = true;
        if (strcmp(v->typ, typ_of(topic_kind)) != 0)
            fail(res, CHECK_TYP, "typ \"%s\" on a %s topic (expected %s)", v->typ,
                 payload_kind_to_str(topic_kind), typ_of(topic_kind));
    } else if (strcmp(v->typ, MESSAGE_TYP_REORDER) == 0 ||
               strcmp(v->typ, MESSAGE_TYP_CANCEL) == 0) {
        res->kind =
            strcmp(v->typ, MESSAGE_TYP_REORDER) == 0 ? PAYLOAD_REORDER : PAYLOAD_CANCEL;
        res->kind_known = true;
    } else {
        return fail(res, CHECK_TYP, "typ \"%s\" is not %s or %s", v->typ,
                    MESSAGE_TYP_REORDER, MESSAGE_TYP_CANCEL);
    }
    r = payload_parse(v->payload, v->payload_len, res->kind, &res->p, why, sizeof(why));
    if (r == -EPROTO)
        return fail(res, CHECK_SCHEMA, "%s", why);
    if (r == -EBADR)
        return fail(res, CHECK_TYP, "%s", why);
    if (r < 0)
        return fail(res, CHECK_PAYLOAD, "%s", why);
    if (strcmp(res->p.device, res->device) != 0) {
        const struct trust_entry *e;
        /* verify: a key may be trusted for more than one device id. */
        if (topic_device != NULL ||
            (e = trust_find_device(c->trust, res->p.device)) == NULL ||
            strcmp(e->kid, v->kid) != 0)
            return fail(res, CHECK_DEVICE_MISMATCH,
                        "payload device %s, signed with "
                        "the key of %s",
                        res->p.device, res->device);
        snprintf(res->device, sizeof(res->device), "%s", res->p.device);
    }
    if (res->p.iat_s < c->now_s - c->max_age_s)
        return fail(res, CHECK_STALE, "issued %lld s ago, more than the %lld s allowed",
                    (long long)(c->now_s - res->p.iat_s), (long long)c->max_age_s);
    if (res->p.iat_s > c->now_s + c->max_skew_s)
        return fail(res, CHECK_FUTURE,
                    "issued %lld s in the future, more than the "
                    "%lld s allowed",
                    (long long)(res->p.iat_s - c->now_s), (long long)c->max_skew_s);
    return c->n_windows > 0 ? check_windows(c, res) : 0;
}

int
check_token(const struct check_config *c, const char *token, size_t len,
            const char *topic_device, enum payload_kind topic_kind,
            struct check_result *res)
{
    struct jws v;
    struct key_miss miss = {0};
    uint8_t pk[KEYS_PK_BYTES];
    char kid[KEYS_B64_PK_LEN + 1], why[CHECK_DETAIL_MAX];
    int r;

    memset(res, 0, sizeof(*res));
    res->p.iat_s = -1;
    if ((r = choose_key(c, token, len, topic_device, pk, kid, res, &miss)) < 0)
        return r;
    if (r == 0)
        return classify(c, token, len, topic_device, NULL, &miss, res);
    r = jws_verify(token, len, pk, &v, why, sizeof(why));
    if (r == -ENOMEM)
        return r;
    if (r == -EBADMSG)
        return classify(c, token, len, topic_device, kid, &miss, res);
    if (r < 0)
        return fail(res, r == -EPERM ? CHECK_ALG : CHECK_MALFORMED, "%s", why);
    snprintf(res->kid, sizeof(res->kid), "%s", v.kid);
    if (strcmp(v.kid, kid) != 0) {
        /* Signed by the device's key, but naming another: not taken, as a JOSE
         * library choosing keys by kid would not have found this one. */
        r = fail(res, CHECK_UNKNOWN_KID,
                 "kid \"%.44s\" is not the thumbprint of the "
                 "key trusted for device %s",
                 v.kid, res->device);
        goto out;
    }
    res->signer_known = true;
    r = check_rules(c, &v, topic_device, topic_kind, res);
    if (res->reason != CHECK_OK)
        payload_fini(&res->p);
out:
    jws_fini(&v);
    return r;
}
