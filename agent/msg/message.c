/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reorder and cancel payloads as JSON (see message.h). cJSON prints numbers with
 * up to 17 significant digits and checks the round trip, so a mass of whole
 * milligrams divided by 1000 prints as exactly its three decimals.
 */
#include "agent/msg/message.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/msg/jsonread.h"
#include "sensors/text.h"
#include "models/units.h"
#include "agent/msg/utc.h"

static bool
add_str(cJSON *o, const char *key, const char *v)
{
    return v != NULL && cJSON_AddStringToObject(o, key, v) != NULL;
}

static bool
add_num(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) != NULL;
}

static bool
add_time(cJSON *o, const char *key, int64_t t_s)
{
    char buf[UTC_TEXT_LEN];

    if (t_s == MODELS_NEVER)
        return cJSON_AddNullToObject(o, key) != NULL;
    utc_format(t_s, buf, sizeof(buf));
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static int
finish(cJSON *root, bool ok, char **out)
{
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    if (!ok)
        return -EINVAL;
    if (text == NULL)
        return -ENOMEM;
    *out = text;
    return 0;
}

static const char *const day_names[] = {"mon", "tue", "wed", "thu",
                                        "fri", "sat", "sun"};

static bool
delivery_ok(const struct message_delivery *d)
{
    size_t n = d->place != NULL ? strlen(d->place) : 0;

    if (n < 1 || n > 31 ||
        strspn(d->place, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n ||
        d->n_windows > DELIVERY_MAX_WINDOWS ||
        (d->n_windows > 0 && d->windows == NULL) || d->utc_offset_s % 60 != 0 ||
        d->utc_offset_s > DELIVERY_OFFSET_MAX_S ||
        d->utc_offset_s < -DELIVERY_OFFSET_MAX_S ||
        (d->not_before_s != MODELS_NEVER && d->not_before_s < 0) ||
        d->n_away > DELIVERY_MAX_AWAY || (d->n_away > 0 && d->away == NULL))
        return false;
    for (size_t i = 0; i < d->n_away; i++)
        if (d->away[i].from_s < 0 || d->away[i].until_s <= d->away[i].from_s)
            return false;
    for (size_t i = 0; i < d->n_windows; i++) {
        const struct delivery_window *w = &d->windows[i];
        if ((w->days & DELIVERY_DAYS_ALL) == 0 || (w->days & ~DELIVERY_DAYS_ALL) != 0 ||
            w->from_min >= w->until_min || w->until_min > 1440)
            return false;
    }
    return true;
}

static bool
add_hhmm(cJSON *o, const char *key, unsigned min)
{
    char buf[16];

    snprintf(buf, sizeof(buf), "%02u:%02u", min / 60, min % 60);
    return add_str(o, key, buf);
}

/* "delivery": {"place", "windows": [{"days": [..], "from", "until"}..],
 * "utc_offset": "+HH:MM", "not_before": time or null} */
static bool
add_delivery(cJSON *o, const struct message_delivery *d)
{
    cJSON *dl, *list, *win, *days;
    int32_t off = d->utc_offset_s < 0 ? -d->utc_offset_s : d->utc_offset_s;
    char buf[16];

    if ((dl = cJSON_AddObjectToObject(o, "delivery")) == NULL ||
        !add_str(dl, "place", d->place) ||
        (list = cJSON_AddArrayToObject(dl, "windows")) == NULL)
        return false;
    for (size_t i = 0; i < d->n_windows; i++) {
        if ((win = cJSON_CreateObject()) == NULL)
            return false;
        if (!cJSON_AddItemToArray(list, win)) {
            cJSON_Delete(win);
            return false;
        }
        if ((days = cJSON_AddArrayToObject(win, "days")) == NULL)
            return false;
        for (unsigned k = 0; k < 7; k++) {
            cJSON *name;
            if (!(d->windows[i].days & (1u << k)))
                continue;
            if ((name = cJSON_CreateString(day_names[k])) == NULL)
                return false;
            if (!cJSON_AddItemToArray(days, name)) {
                cJSON_Delete(name);
                return false;
            }
        }
        if (!add_hhmm(win, "from", d->windows[i].from_min) ||
            !add_hhmm(win, "until", d->windows[i].until_min))
            return false;
    }
    snprintf(buf, sizeof(buf), "%c%02d:%02d", d->utc_offset_s < 0 ? '-' : '+',
             (int)(off / 3600), (int)(off % 3600 / 60));
    if (!add_str(dl, "utc_offset", buf) ||
        !add_time(dl, "not_before", d->not_before_s) ||
        (list = cJSON_AddArrayToObject(dl, "away")) == NULL)
        return false;
    for (size_t i = 0; i < d->n_away; i++) {
        if (d->away[i].until_s <= d->now_s)
            continue; /* over: nothing for the retailer to plan around */
        if ((win = cJSON_CreateObject()) == NULL)
            return false;
        if (!cJSON_AddItemToArray(list, win)) {
            cJSON_Delete(win);
            return false;
        }
        if (!add_time(win, "from", d->away[i].from_s) ||
            !add_time(win, "until", d->away[i].until_s) ||
            !add_str(win, "arrive", d->away[i].before ? "before" : "after"))
            return false;
    }
    return true;
}

static bool
wishes_ok(const struct message_reorder *m)
{
    const struct message_wishes *w = m->wishes;

    if (w->n_products > MESSAGE_PRODUCTS_MAX ||
        (w->n_products > 0 && w->products == NULL) || w->packs_min < 1 ||
        w->packs_min > m->packs || m->packs > w->packs_max || w->packs_max > 100 ||
        w->price_max_cents < 0 || w->price_max_cents > 1000000)
        return false;
    if (!delivery_ok(&w->delivery))
        return false;
    for (size_t i = 0; i < w->n_products; i++) {
        const struct message_product *p = &w->products[i];
        if (p->sku == NULL || p->gtin == NULL ||
            (p->sku[0] == '\0' && p->gtin[0] == '\0'))
            return false;
    }
    return true;
}

/* "wishes": {"products": [{"sku", "gtin"}...], "retailer_chooses", "packs_min",
 * "packs_max"[, "price_max", "currency"]} */
static bool
add_wishes(cJSON *root, const struct message_reorder *m)
{
    const struct message_wishes *w = m->wishes;
    cJSON *o, *list, *p;

    if ((o = cJSON_AddObjectToObject(root, "wishes")) == NULL ||
        (list = cJSON_AddArrayToObject(o, "products")) == NULL)
        return false;
    for (size_t i = 0; i < w->n_products; i++) {
        if ((p = cJSON_CreateObject()) == NULL)
            return false;
        if (!cJSON_AddItemToArray(list, p)) {
            cJSON_Delete(p);
            return false;
        }
        if (!add_str(p, "sku", w->products[i].sku) ||
            !add_str(p, "gtin", w->products[i].gtin))
            return false;
    }
    return cJSON_AddBoolToObject(o, "retailer_chooses", w->n_products == 0) != NULL &&
           add_num(o, "packs_min", w->packs_min) &&
           add_num(o, "packs_max", w->packs_max) &&
           (w->price_max_cents == 0 ||
            (add_num(o, "price_max", (double)w->price_max_cents / 100.0) &&
             add_str(o, "currency", m->currency))) &&
           add_delivery(o, &w->delivery);
}

int
message_reorder_json(const struct message_reorder *m, char **out)
{
    cJSON *root, *item, *qty, *fc;
    bool ok;

    if (m->seq < 1 || m->seq > MESSAGE_SEQ_MAX || m->packs < 1 || m->pack_mg < 1 ||
        m->stock_mg < 0 || m->price_cents < 0 || m->iat_s < 0 ||
        (m->wishes != NULL && !wishes_ok(m)))
        return -EINVAL;
    if ((root = cJSON_CreateObject()) == NULL)
        return -ENOMEM;
    ok = add_num(root, "v",
                 m->wishes != NULL ? MESSAGE_REORDER_V2 : MESSAGE_SCHEMA_VERSION) &&
         add_str(root, "type", "reorder") && add_str(root, "order_id", m->order_id) &&
         add_str(root, "device", m->device_id) &&
         add_num(root, "seq", (double)m->seq) &&
         add_num(root, "iat", (double)m->iat_s) &&
         (item = cJSON_AddObjectToObject(root, "item")) != NULL &&
         add_str(item, "id", m->item_id) && add_str(item, "name", m->item_name) &&
         add_str(item, "sku", m->sku) && add_str(item, "gtin", m->gtin) &&
         (qty = cJSON_AddObjectToObject(root, "quantity")) != NULL &&
         add_num(qty, "packs", m->packs) &&
         add_num(qty, "pack_g", (double)m->pack_mg / 1000.0) &&
         (m->price_cents == 0 ||
          (add_num(qty, "price", (double)m->price_cents / 100.0) &&
           add_str(qty, "currency", m->currency))) &&
         add_str(root, "reason", m->reason) &&
         (fc = cJSON_AddObjectToObject(root, "forecast")) != NULL &&
         add_num(fc, "stock_g", (double)m->stock_mg / 1000.0) &&
         add_num(fc, "rate_g_per_day", (double)m->rate_ugpd / 1e6) &&
         add_time(fc, "runout", m->runout_s) &&
         add_time(fc, "runout_early", m->runout_lo_s) &&
         add_time(fc, "runout_late", m->runout_hi_s) &&
         add_num(fc, "service_level", m->service_bp / 10000.0) &&
         (m->wishes == NULL || add_wishes(root, m));
    return finish(root, ok, out);
}

int
message_cancel_json(const struct message_cancel *m, char **out)
{
    cJSON *root;
    bool ok;

    if (m->seq < 1 || m->seq > MESSAGE_SEQ_MAX || m->iat_s < 0)
        return -EINVAL;
    if ((root = cJSON_CreateObject()) == NULL)
        return -ENOMEM;
    ok = add_num(root, "v", MESSAGE_SCHEMA_VERSION) &&
         add_str(root, "type", "cancel") && add_str(root, "order_id", m->order_id) &&
         add_str(root, "device", m->device_id) &&
         add_num(root, "seq", (double)m->seq) &&
         add_num(root, "iat", (double)m->iat_s) && add_str(root, "reason", m->reason);
    return finish(root, ok, out);
}

int
message_status_json(const char *device_id, bool online, const char *version, char **out)
{
    cJSON *root;
    bool ok;

    if ((root = cJSON_CreateObject()) == NULL)
        return -ENOMEM;
    ok = add_num(root, "v", MESSAGE_SCHEMA_VERSION) &&
         add_str(root, "type", "status") && add_str(root, "device", device_id) &&
         add_str(root, "state", online ? "online" : "offline") &&
         add_str(root, "version", version);
    return finish(root, ok, out);
}

/* ---- acks ---- */

static const char *const ack_status_names[] = {"accepted", "shipped", "rejected",
                                               "cancelled"};

const char *
message_ack_status_to_str(enum message_ack_status s)
{
    if ((unsigned)s >= ACK_STATUS_COUNT)
        return "?";
    return ack_status_names[s];
}

int
message_ack_json(const struct message_ack *a, char **out)
{
    cJSON *root;
    bool ok;

    if (a->seq < 1 || a->seq > MESSAGE_SEQ_MAX || a->iat_s < 0 ||
        a->iat_s > MESSAGE_INT_MAX || (unsigned)a->status >= ACK_STATUS_COUNT ||
        a->eta_s < 0 || (a->eta_s != 0 && a->status != ACK_SHIPPED))
        return -EINVAL;
    if ((root = cJSON_CreateObject()) == NULL)
        return -ENOMEM;
    ok = add_num(root, "v", MESSAGE_SCHEMA_VERSION) && add_str(root, "type", "ack") &&
         add_str(root, "order_id", a->order_id) && add_str(root, "device", a->device) &&
         add_num(root, "seq", (double)a->seq) &&
         add_num(root, "iat", (double)a->iat_s) &&
         add_str(root, "status", message_ack_status_to_str(a->status)) &&
         (a->eta_s == 0 || add_time(root, "eta", a->eta_s)) &&
         (a->reason[0] == '\0' || add_str(root, "reason", a->reason)) &&
         (a->retailer[0] == '\0' || add_str(root, "retailer", a->retailer));
    return finish(root, ok, out);
}

/* A string member of 1..cap-1 bytes of printable characters (no controls). */
static bool
get_text(const cJSON *v, char *dst, size_t cap, bool allow_empty)
{
    size_t n;

    if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) >= cap ||
        (n == 0 && !allow_empty))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v->valuestring[i] < 0x20 || v->valuestring[i] == 0x7f)
            return false;
    memcpy(dst, v->valuestring, n + 1);
    return true;
}

/* An integer in 0..MESSAGE_INT_MAX written as a JSON number without fraction. */
static bool
get_int(const cJSON *v, int64_t *out)
{
    double d;

    if (!cJSON_IsNumber(v))
        return false;
    d = v->valuedouble;
    if (!(d >= 0 && d <= (double)MESSAGE_INT_MAX) || floor(d) != d)
        return false;
    *out = (int64_t)d;
    return true;
}

int
message_ack_parse(const char *text, size_t len, struct message_ack *out, char *err,
                  size_t errlen)
{
    static const struct jr_member members[] = {
        {"v", JR_NUMBER, false, "the schema version"},
        {"type", JR_STRING, false, "\"ack\""},
        {"order_id", JR_STRING, false, "the order id"},
        {"device", JR_STRING, false, "the device id"},
        {"seq", JR_NUMBER, false, "the sequence number"},
        {"iat", JR_NUMBER, false, "the time of issue"},
        {"status", JR_STRING, false, "accepted, shipped, rejected or cancelled"},
        {"eta", JR_STRING, false, NULL},
        {"reason", JR_STRING, false, NULL},
        {"retailer", JR_STRING, false, NULL},
    };
    const cJSON *v;
    cJSON *root = NULL;
    int64_t version;
    int r = -EINVAL;

    memset(out, 0, sizeof(*out));
    if ((root = jr_parse(text, len, MESSAGE_ACK_MAX, MESSAGE_ACK_DEPTH, "ack", err,
                         errlen)) == NULL)
        goto out;
    if (!get_int(cJSON_GetObjectItemCaseSensitive(root, "v"), &version)) {
        text_error(err, errlen, "ack: v: expected the schema version, an integer");
        goto out;
    }
    if (version != MESSAGE_SCHEMA_VERSION) {
        text_error(err, errlen,
                   "ack: schema version %lld is not known (this program "
                   "reads %d)",
                   (long long)version, MESSAGE_SCHEMA_VERSION);
        r = -EPROTO;
        goto out;
    }
    /* Another version may have other members: the table is this version's. */
    if (jr_members(root, "ack", members, sizeof(members) / sizeof(members[0]), err,
                   errlen) < 0)
        goto out;
    v = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!cJSON_IsString(v) || strcmp(v->valuestring, "ack") != 0) {
        text_error(err, errlen, "ack: type: expected \"ack\"");
        goto out;
    }
    if (!get_text(cJSON_GetObjectItemCaseSensitive(root, "order_id"), out->order_id,
                  sizeof(out->order_id), false) ||
        !text_is_name(out->order_id, MESSAGE_ID_MAX)) {
        text_error(err, errlen,
                   "ack: order_id: expected 1 to %d characters of "
                   "A-Z a-z 0-9 _ -",
                   MESSAGE_ID_MAX - 1);
        goto out;
    }
    if (!get_text(cJSON_GetObjectItemCaseSensitive(root, "device"), out->device,
                  sizeof(out->device), false) ||
        !text_is_name(out->device, MESSAGE_ID_MAX)) {
        text_error(err, errlen,
                   "ack: device: expected 1 to %d characters of "
                   "A-Z a-z 0-9 _ -",
                   MESSAGE_ID_MAX - 1);
        goto out;
    }
    if (!get_int(cJSON_GetObjectItemCaseSensitive(root, "seq"), &out->seq) ||
        out->seq < 1 || out->seq > MESSAGE_SEQ_MAX) {
        text_error(err, errlen, "ack: seq: expected an integer from 1 to 2^31 - 1");
        goto out;
    }
    if (!get_int(cJSON_GetObjectItemCaseSensitive(root, "iat"), &out->iat_s)) {
        text_error(err, errlen, "ack: iat: expected seconds since the epoch");
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "status");
    out->status = ACK_STATUS_COUNT;
    for (unsigned k = 0; cJSON_IsString(v) && k < ACK_STATUS_COUNT; k++)
        if (strcmp(v->valuestring, ack_status_names[k]) == 0)
            out->status = (enum message_ack_status)k;
    if (out->status == ACK_STATUS_COUNT) {
        text_error(err, errlen,
                   "ack: status: expected accepted, shipped, rejected or "
                   "cancelled");
        goto out;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "eta")) != NULL &&
        (out->status != ACK_SHIPPED || !cJSON_IsString(v) ||
         utc_parse(v->valuestring, &out->eta_s) < 0)) {
        text_error(err, errlen,
                   "ack: eta: only with status shipped, as "
                   "YYYY-MM-DDTHH:MM:SSZ");
        goto out;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "reason")) != NULL &&
        !get_text(v, out->reason, sizeof(out->reason), true)) {
        text_error(err, errlen,
                   "ack: reason: expected text under %d bytes without "
                   "control characters",
                   MESSAGE_REASON_MAX);
        goto out;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "retailer")) != NULL &&
        (!get_text(v, out->retailer, sizeof(out->retailer), false) ||
         !text_is_name(out->retailer, MESSAGE_ID_MAX))) {
        text_error(err, errlen,
                   "ack: retailer: expected 1 to %d characters of "
                   "A-Z a-z 0-9 _ -",
                   MESSAGE_ID_MAX - 1);
        goto out;
    }
    r = 0;
out:
    cJSON_Delete(root);
    if (r < 0)
        memset(out, 0, sizeof(*out));
    return r;
}
