/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stateless checks of one signed message, in the order of the table in
 * check.h. The token is decoded once without its signature to learn the kid
 * (a key is chosen by kid, as a JOSE library does, RFC 7515 §4.1.4), then
 * verified with jws_verify and the chosen key; only the verified payload is
 * validated and used.
 */
#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rutil.h"

static const char *const reason_names[CHECK_REASON_COUNT] = {
    "ok",          "malformed", "alg",    "signature", "unknown-device",
    "unknown-kid", "typ",       "schema", "payload",   "device-mismatch",
    "sequence",    "stale",     "future",
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
        vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
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
    if (message_json_depth_ok(j->payload, j->payload_len, 2))
        root = cJSON_ParseWithLength(j->payload, j->payload_len);
    v = cJSON_GetObjectItemCaseSensitive(root, "device");
    if (cJSON_IsString(v) && rutil_is_id(v->valuestring, MESSAGE_ID_MAX))
        snprintf(out, MESSAGE_ID_MAX, "%s", v->valuestring);
    cJSON_Delete(root);
}

/* Choose the key: by the topic's device, or (topic_device NULL) by the kid. */
static int
choose_key(const struct check_config *c, const struct jws *j, const char *topic_device,
           uint8_t pk[KEYS_PK_BYTES], struct check_result *res)
{
    const struct trust_entry *e;
    char kid[KEYS_B64_PK_LEN + 1];
    int r;

    if (topic_device == NULL) {
        if ((e = trust_find_kid(c->trust, j->kid)) == NULL) {
            char dev[MESSAGE_ID_MAX];
            claimed_device(j, dev);
            if (dev[0] != '\0' && trust_find_device(c->trust, dev) != NULL)
                return fail(res, CHECK_UNKNOWN_KID,
                            "kid \"%.44s\" is not the key "
                            "trusted for device %s",
                            j->kid, dev);
            return fail(res, CHECK_UNKNOWN_DEVICE,
                        "no trusted key has kid "
                        "\"%.44s\" (device \"%s\" is not in the trust store)",
                        j->kid, dev);
        }
        snprintf(res->device, sizeof(res->device), "%s", e->device);
        memcpy(pk, e->pk, KEYS_PK_BYTES);
        return 0;
    }
    if ((e = trust_find_device(c->trust, topic_device)) != NULL) {
        memcpy(pk, e->pk, KEYS_PK_BYTES);
    } else {
        r = c->pin != NULL ? c->pin(c->pin_arg, topic_device, pk) : 0;
        if (r < 0)
            return r;
        if (r == 0)
            return fail(res, CHECK_UNKNOWN_DEVICE,
                        "device %s is not in the trust "
                        "store%s",
                        topic_device, c->pin ? " and has no pinned key" : "");
    }
    keys_thumbprint(pk, kid);
    if (strcmp(j->kid, kid) != 0)
        return fail(res, CHECK_UNKNOWN_KID,
                    "kid \"%.44s\" is not the thumbprint of "
                    "the key trusted for device %s",
                    j->kid, topic_device);
    snprintf(res->device, sizeof(res->device), "%s", topic_device);
    return 0;
}

static const char *
typ_of(enum payload_kind k)
{
    return k == PAYLOAD_REORDER ? MESSAGE_TYP_REORDER : MESSAGE_TYP_CANCEL;
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
    return 0;
}

int
check_token(const struct check_config *c, const char *token, size_t len,
            const char *topic_device, enum payload_kind topic_kind,
            struct check_result *res)
{
    struct jws j, v;
    uint8_t pk[KEYS_PK_BYTES];
    char why[CHECK_DETAIL_MAX];
    int r;

    memset(res, 0, sizeof(*res));
    res->p.iat_s = -1;
    memset(&v, 0, sizeof(v));
    r = jws_decode_unverified(token, len, &j, why, sizeof(why));
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return fail(res, r == -EPERM ? CHECK_ALG : CHECK_MALFORMED, "%s", why);
    snprintf(res->kid, sizeof(res->kid), "%s", j.kid);
    if ((r = choose_key(c, &j, topic_device, pk, res)) < 0 || res->reason != CHECK_OK)
        goto out;
    r = jws_verify(token, len, pk, &v, why, sizeof(why));
    if (r == -ENOMEM)
        goto out;
    if (r < 0) {
        r = fail(res, r == -EBADMSG ? CHECK_SIGNATURE : CHECK_MALFORMED,
                 "%s (device %s)", why, res->device);
        goto out;
    }
    res->signer_known = true;
    r = check_rules(c, &v, topic_device, topic_kind, res);
    if (res->reason != CHECK_OK)
        payload_fini(&res->p);
out:
    jws_fini(&j);
    jws_fini(&v);
    return r;
}
